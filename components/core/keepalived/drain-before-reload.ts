/**
 * Drained removal under keepalived. A reload makes keepalived diff its old config against the
 * new one and delete at once every real server that left, connections and all (keepalived
 * #1228; on the lab's kernel the next packet of such a connection is answered by a reset). So
 * before it reloads, the config step sets each leaving real server to weight 0, which sends it
 * no new connection, and waits until none has an active connection or the drain timeout
 * passes, as a Director drains its own table. The reload then deletes servers nobody uses.
 *
 * Which servers leave is known only on the host, where the old config runs: the step keeps a
 * manifest of the real servers of the config it loaded (DEST_MANIFEST) and compares it with
 * the new config's. Each line names a server the way `ipvsadm -L -n` lists it, so a short awk
 * over the listing finds the live ones and their active connections.
 *
 * keepalived's own view of a drained server stays at its configured weight, so a health check
 * that sees it come back up during the wait would give it its weight again; the reload that
 * follows removes it whatever its weight.
 */
import type { IpvsDest, Ruleset, ServiceKey } from "../ipvs/ipvs-model";
import { normalizeRuleset } from "../ipvs/ipvs-model";
import { destArgs } from "../ipvs/ipvs-render";
import { formatAddrPort } from "../../base/address";
import { shellCommand } from "../../base/shell-quote";
import { CONFIG_DIR, STATE_DIR } from "../host/host-step";
import type { DrainSpec } from "../../schema/director";

/** The real servers of the config keepalived runs, one per line (see destManifest). */
export const DEST_MANIFEST = `${STATE_DIR}/keepalived.dests`;
/** The new config's manifest, waiting for the reload that makes it the running one. */
export const STAGED_MANIFEST = `${CONFIG_DIR}/keepalived.dests.new`;
/** The leaving servers of the reload in progress; removed when the drain ends. */
const LEAVING = `${CONFIG_DIR}/keepalived.leaving`;

/** A service row's first words in `ipvsadm -L -n`: "TCP 10.0.0.10:80", "FWM 7", "FWM 7 IPv6". */
export function listedService(k: ServiceKey): string {
    if (k.kind === "addr") return `${k.protocol.toUpperCase()} ${formatAddrPort(k.address, k.port)}`;
    // ipvsadm 1.31 prints marks of 2^31 and above as negative numbers.
    const mark = k.mark >= 2 ** 31 ? k.mark - 2 ** 32 : k.mark;
    return k.family === "inet6" ? `FWM ${mark} IPv6` : `FWM ${mark}`;
}

/** ipvsadm's edit of a real server to weight 0, every other setting as it is. */
function toWeightZero(service: ServiceKey, d: IpvsDest): string {
    return ["-e", ...destArgs(service, { key: d.key, settings: { ...d.settings, weight: 0 } })].join(" ");
}

/**
 * One line per real server of `ruleset`: listed service, TAB, listed `ADDR:PORT`, TAB, the
 * `ipvsadm -R` line that drains it. Stable order, so an unchanged table gives the same text.
 */
export function destManifest(ruleset: Ruleset): string {
    const lines = normalizeRuleset(ruleset).services.flatMap((s) => s.dests.map((d) => [listedService(s.key), formatAddrPort(d.key.address, d.key.port), toWeightZero(s.key, d)].join("\t")));
    return lines.map((l) => `${l}\n`).join("");
}

/**
 * `ipvsadm -L -n` as lines of listed service, TAB, listed real server, TAB, active
 * connections. Header rows and services without real servers print nothing.
 */
const LISTED_DESTS = [
    "ipvsadm -L -n | awk -v OFS='\\t' '",
    '  $1 == "->" { if (svc != "" && $2 != "RemoteAddress:Port") print svc, $2, $5; next }',
    '  $1 == "FWM" { svc = ($3 == "IPv6") ? "FWM " $2 " IPv6" : "FWM " $2; next }',
    '  $1 == "TCP" || $1 == "UDP" || $1 == "SCTP" { svc = $1 " " $2; next }',
    "  { svc = \"\" }'",
].join("\n");

/**
 * Shell lines, run after the new config passed `keepalived -t` and its manifest is staged, and
 * before the reload: drain the real servers in the running config's manifest that the staged
 * one lacks. Prints what it waited for. Nothing to do on a first load (no manifest yet) or
 * when keepalived is not running (its table is gone with it).
 */
export function drainBeforeReload(drain: DrainSpec): string[] {
    const leaving = shellCommand([LEAVING]);
    return [
        `if [ -s ${DEST_MANIFEST} ] && [ -e ${STAGED_MANIFEST} ] && systemctl is-active --quiet keepalived && command -v ipvsadm >/dev/null 2>&1; then`,
        `  awk -F'\\t' 'NR == FNR { if (NF) keep[$1 FS $2] = 1; next } NF && !(($1 FS $2) in keep)' ${STAGED_MANIFEST} ${DEST_MANIFEST} > ${leaving}`,
        // Live leaving servers: active connections, TAB, the line that drains it.
        `  live_leaving() { ${LISTED_DESTS} | awk -F'\\t' 'NR == FNR { edit[$1 FS $2] = $3; next } ($1 FS $2) in edit { print $3 "\\t" edit[$1 FS $2] }' ${leaving} -; }`,
        // One listing decides, counts and edits (at thousands of entries each costs about a second).
        `  live=$(if [ -s ${leaving} ]; then live_leaving; fi)`,
        '  if [ -n "$live" ]; then',
        `    count=$(printf '%s\\n' "$live" | wc -l)`,
        // -R runs every line; one that fails (a server keepalived dropped meanwhile) stops no other.
        `    printf '%s\\n' "$live" | cut -f2 | ipvsadm -R || echo 'pulumi-lvs: warning: ipvsadm refused a weight-0 edit; that real server is removed without draining' >&2`,
        "    started=$(date +%s)",
        "    while :; do",
        "      active=$(live_leaving | awk -F'\\t' '{ n += $1 } END { print n + 0 }')",
        "      waited=$(( $(date +%s) - started ))",
        `      if [ "$active" -eq 0 ] || [ "$waited" -ge ${drain.timeoutSeconds} ]; then break; fi`,
        `      sleep ${drain.pollSeconds}`,
        "    done",
        '    echo "pulumi-lvs: drained $count leaving real server(s) before the reload: waited $waited s, $active active connection(s) left"',
        "  fi",
        `  rm -f ${leaving}`,
        "fi",
    ];
}
