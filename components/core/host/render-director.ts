/**
 * Director host steps: the ipvsadm package and kernel module, the kernel settings LVS needs,
 * the VIP aliases on the client-facing interface, and a boot unit that restores both VIPs and
 * the stack's own ipvs rules (saved by the IpvsTable provider) after a reboot.
 */
import type { DirectorModel } from "./cluster-model";
import type { HostStep } from "./host-step";
import { STATE_DIR, script } from "./host-step";
import { shellCommand } from "../../base/shell-quote";
import { sysctlKey, sysctlStep } from "./render-sysctl";
import { vipAddArgv, vipStep } from "./render-vip";
import { bootStep } from "./render-boot";
import { LOAD_MARKS_AT_BOOT, marksStep } from "./render-fwmark";

/** Where IpvsTable saves the entries it owns, in `ipvsadm -R` form, for the boot unit. */
export const OWNED_RULES_FILE = `${STATE_DIR}/ipvs.rules`;

/** Loads a kernel module unless it is in already: under emulation a modprobe costs half a second. */
function loadModule(name: string): string {
    const q = shellCommand([name]);
    return `[ -d /sys/module/${q} ] || modprobe ${q}`;
}

/** Installs packages with whichever manager the host has; a no-op when the commands exist. */
export function installStep(packages: { command: string; pkg: string }[], modules: string[], name: string): HostStep {
    const missing = packages.map(({ command, pkg }) => `command -v ${shellCommand([command])} >/dev/null 2>&1 || need="$need ${pkg}"`);
    return {
        key: "install",
        create: script([
            'need=""',
            ...missing,
            'if [ -n "$need" ]; then',
            "  if command -v apt-get >/dev/null 2>&1; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need; }",
            "  elif command -v dnf >/dev/null 2>&1; then dnf install -y $need",
            "  elif command -v yum >/dev/null 2>&1; then yum install -y $need",
            '  else echo "pulumi-lvs: no apt-get, dnf or yum to install:$need" >&2; exit 1; fi',
            "fi",
            ...(modules.length > 0
                ? [
                      ...modules.map(loadModule),
                      "mkdir -p /etc/modules-load.d",
                      `printf '%s\\n' ${modules.map((m) => shellCommand([m])).join(" ")} > /etc/modules-load.d/pulumi-lvs-${name}.conf`,
                  ]
                : []),
        ]),
        // Packages stay: removing ipvsadm could break other users of the host. Only our file goes.
        delete: script(modules.length > 0 ? [`rm -f /etc/modules-load.d/pulumi-lvs-${name}.conf`] : []),
    };
}

export interface DirectorSteps {
    install: HostStep;
    sysctl: HostStep;
    /** Only when a fwmark service declares marks: a stack without any leaves nftables alone. */
    marks?: HostStep;
    vips: HostStep[];
    boot: HostStep;
}

/** A net.ipv4.vs sysctl key. */
export const vsSysctl = (name: string) => sysctlKey("net", "ipv4", "vs", name);

/** `moreSysctls`: settings a role adds to the director's own (an HaPair node's connection sync). */
export function directorSteps(m: DirectorModel, moreSysctls: ReadonlyArray<readonly [string, number | string]> = []): DirectorSteps {
    const vs = vsSysctl;
    const settings: (readonly [string, number | string])[] = [
        // A removed or quiesced real server must not keep old (or persistent) clients forever.
        [vs("expire_nodest_conn"), 1],
        [vs("expire_quiescent_template"), 1],
    ];
    if (m.ipForward) settings.push([sysctlKey("net", "ipv4", "ip_forward"), 1]);
    settings.push(...moreSysctls);
    const marks = m.marks.length > 0;
    const steps: DirectorSteps = {
        install: installStep([{ command: "ipvsadm", pkg: "ipvsadm" }, ...(marks ? [{ command: "nft", pkg: "nftables" }] : [])], ["ip_vs"], "director"),
        sysctl: sysctlStep({ name: "director", settings, before: [loadModule("ip_vs")] }),
        vips: m.vips.map((v) => vipStep(v, true)),
        boot: bootStep("director", [
            "modprobe ip_vs",
            ...m.vips.map((v) => shellCommand(vipAddArgv(v))),
            `if [ -s ${OWNED_RULES_FILE} ]; then ipvsadm -R < ${OWNED_RULES_FILE}; fi`,
            // Last: should nft fail at boot, the unit fails visibly with the VIPs and table already up.
            ...(marks ? [LOAD_MARKS_AT_BOOT] : []),
        ]),
    };
    if (marks) steps.marks = marksStep(m.marks);
    return steps;
}
