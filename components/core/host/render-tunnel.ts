/**
 * The real server's side of TUN: for each tunnel type its pools send it (tunnel-receive.ts),
 * the modules, the receiving device up and, for gue, the UDP port opened with `ip fou`. Destroy
 * sets down only the devices the stack brought up and deletes only the fou ports it added: each
 * is recorded before it is changed, so what the operator had before is left as it was.
 */
import type { RealServerModel } from "./cluster-model";
import { HostStep, REMOVE_STATE_DIR_IF_EMPTY, STATE_DIR, script, writeFile } from "./host-step";
import { tunnelReceiver } from "./tunnel-receive";
import { familyOf } from "../../base/address";
import { shellCommand, shellQuote } from "../../base/shell-quote";

const MODULES_FILE = "/etc/modules-load.d/pulumi-lvs-tunnel.conf";
/** Written by earlier versions, which brought tunl0 up on every TUN real server. */
const LEGACY_MODULES_FILE = "/etc/modules-load.d/pulumi-lvs-ipip.conf";
/** One line per change the stack made: `link DEV` or `fou PORT [-6]`. */
const ADDED = `${STATE_DIR}/realserver-tunnel.added`;

interface FouPort {
    /** How the state file records it, and how `ip fou show` prints it. */
    record: string;
    shown: string;
    add: string[];
}

interface TunnelPlan {
    modules: string[];
    devices: string[];
    fou: FouPort[];
}

function plan(m: RealServerModel): TunnelPlan {
    const family = familyOf(m.address);
    const v6 = family === "inet6" ? ["-6"] : [];
    const receivers = m.tunnels.map((t) => tunnelReceiver(family, t.type));
    const fou = m.tunnels.flatMap((t) => {
        if (t.type !== "gue" || t.port === undefined) return [];
        return [{ record: ["fou", t.port, ...v6].join(" "), shown: ["port", t.port, "gue", ...v6].join(" "), add: ["ip", "fou", "add", "port", String(t.port), "gue", ...v6] }];
    });
    return {
        modules: [...new Set(receivers.flatMap((r) => r.modules))].sort(),
        devices: [...new Set(receivers.map((r) => r.device))],
        fou,
    };
}

/** Spelled as before this change, so the boot script of an ipip-only host stays the same. */
const linkUp = (device: string) => shellCommand(["ip", "link", "set", device, "up"]);
const fouAdd = (p: FouPort) => `ip fou show | grep -qxF ${shellQuote(p.shown)} || ${shellCommand(p.add)}`;

/** Lines for the boot unit: links do not survive a reboot, nor do fou ports. */
export function tunnelBootLines(m: RealServerModel): string[] {
    const p = plan(m);
    return [...p.modules.map((mod) => `modprobe ${shellQuote(mod)}`), ...p.devices.map(linkUp), ...p.fou.map(fouAdd)];
}

/** The modules whose devices' sysctl keys must exist before the sysctl step reads them. */
export function tunnelModules(m: RealServerModel): string[] {
    return plan(m).modules;
}

/** The IPv4 devices decapsulated packets arrive on: rp_filter must let them through there. */
export function tunnelDevicesV4(m: RealServerModel): string[] {
    return familyOf(m.address) === "inet" ? plan(m).devices : [];
}

// A host on which an earlier version ran has tunl0 up by us, with no record of it.
const ADOPT_LEGACY = `if [ -e ${LEGACY_MODULES_FILE} ] && ! grep -qxF 'link tunl0' ${ADDED} 2>/dev/null; then mkdir -p ${STATE_DIR} && echo 'link tunl0' >> ${ADDED}; fi`;

// Undoes one recorded change; a device or port already gone is fine.
const RELEASE = [
    "release() {",
    "  case \"$1\" in",
    "    link) if [ -e \"/sys/class/net/$2\" ]; then ip link set \"$2\" down || true; fi ;;",
    "    fou) ip fou del port \"$2\" ${3:+\"$3\"} 2>/dev/null || true ;;",
    "  esac",
    "}",
];

export function tunnelStep(m: RealServerModel): HostStep {
    const p = plan(m);
    const wanted = `|${[...p.devices.map((d) => `link ${d}`), ...p.fou.map((f) => f.record)].join("|")}|`;
    const create = script([
        ...p.modules.map((mod) => `modprobe ${shellQuote(mod)}`),
        ADOPT_LEGACY,
        `mkdir -p ${STATE_DIR}`,
        `touch ${ADDED}`,
        writeFile(MODULES_FILE, p.modules.join("\n")),
        `rm -f ${LEGACY_MODULES_FILE}`,
        // What an earlier apply added and this one no longer wants is undone now, and forgotten.
        ...RELEASE,
        "while read -r kind name flag; do",
        "  line=\"$kind $name${flag:+ $flag}\"",
        `  case ${shellQuote(wanted)} in *"|$line|"*) printf '%s\\n' "$line" ;; *) release "$kind" "$name" "$flag" ;; esac`,
        `done < ${ADDED} > ${ADDED}.tmp`,
        `mv ${ADDED}.tmp ${ADDED}`,
        // Record before changing, and only what was not so already.
        ...p.devices.flatMap((d) => [
            `if ! grep -qxF ${shellQuote(`link ${d}`)} ${ADDED} && ! ip -o link show dev ${shellQuote(d)} | grep -q '[<,]UP[,>]'; then echo ${shellQuote(`link ${d}`)} >> ${ADDED}; fi`,
            linkUp(d),
        ]),
        // A port held by another mapping (the operator's FOU, say) fails the add: forget it then,
        // or destroy would close what is not ours.
        ...p.fou.flatMap((f) => [
            `if ! ip fou show | grep -qxF ${shellQuote(f.shown)}; then`,
            `  grep -qxF ${shellQuote(f.record)} ${ADDED} || echo ${shellQuote(f.record)} >> ${ADDED}`,
            `  if ! ${shellCommand(f.add)}; then grep -vxF ${shellQuote(f.record)} ${ADDED} > ${ADDED}.tmp || true; mv ${ADDED}.tmp ${ADDED}; exit 1; fi`,
            "fi",
        ]),
    ]);
    const del = script([
        ADOPT_LEGACY,
        `rm -f ${MODULES_FILE} ${LEGACY_MODULES_FILE}`,
        `if [ -e ${ADDED} ]; then`,
        ...RELEASE.map((l) => `  ${l}`),
        `  while read -r kind name flag; do release "$kind" "$name" "$flag"; done < ${ADDED}`,
        `  rm -f ${ADDED}`,
        "fi",
        REMOVE_STATE_DIR_IF_EMPTY,
    ]);
    return { key: "tunnel", create, delete: del };
}
