/**
 * The packets a director marks for its fwmark services, as an nftables table of our own
 * (`table inet pulumi_lvs`), and the host step that loads it. The table is the whole of what
 * we touch in nftables: loading replaces only it, delete removes only it, and other tables
 * (the operator's firewall, a container runtime's) are never read or flushed.
 */
import type { MarkProtocol, PortRange } from "../../schema/marks";
import { markVips, portRangeOf } from "../../schema/marks";
import type { VipGroupSpec } from "../../schema/vip-group";
import { compareAddresses, familyOf, type Family } from "../../base/address";
import { CONFIG_DIR, type HostStep, script, writeFile } from "./host-step";

/** One nft rule: packets to these VIPs of one family, on these ports, get `mark`. */
export interface MarkRule {
    mark: number;
    family: Family;
    protocol: MarkProtocol;
    /** Sorted, each once. */
    vips: string[];
    /** Sorted by their first port. */
    ports: PortRange[];
}

export const MARKS_TABLE = "inet pulumi_lvs";
/** The ruleset as last loaded; the boot unit loads it again. */
export const MARKS_FILE = `${CONFIG_DIR}/marks.nft`;
const STAGED = `${MARKS_FILE}.new`;

/** A group's rules in config order (service, mark, then IPv4 before IPv6): one rule per mark and family. */
export function groupMarks(group: VipGroupSpec): MarkRule[] {
    const rules: MarkRule[] = [];
    for (const { fwmark, marks = [] } of group.services) {
        if (fwmark === undefined) continue;
        for (const m of marks) {
            const vips = markVips(group.vips, m).sort(compareAddresses);
            const ports = m.ports.map(portRangeOf).filter((r): r is PortRange => typeof r !== "string").sort((a, b) => a.lo - b.lo);
            for (const family of ["inet", "inet6"] as const) {
                const own = vips.filter((v) => familyOf(v) === family);
                if (own.length > 0) rules.push({ mark: fwmark, family, protocol: m.protocol, vips: own, ports });
            }
        }
    }
    return rules;
}

/** nft's notation for one value or an anonymous set of them. */
const setOf = (items: string[]) => (items.length === 1 ? items[0] : `{ ${items.join(", ")} }`);

function ruleLine(r: MarkRule): string {
    const ports = r.ports.map((p) => (p.lo === p.hi ? `${p.lo}` : `${p.lo}-${p.hi}`));
    return `${r.family === "inet" ? "ip" : "ip6"} daddr ${setOf(r.vips)} ${r.protocol} dport ${setOf(ports)} meta mark set ${r.mark}`;
}

/**
 * The file `nft -f` loads in one transaction. Declaring the table before deleting it makes the
 * delete succeed on a first load too, so a re-run swaps our table whole and touches no other.
 */
export function renderMarks(rules: MarkRule[]): string {
    return [
        "# Managed by pulumi-lvs: marks the packets of its fwmark virtual services.",
        `# Loading this file replaces table ${MARKS_TABLE} and nothing else.`,
        `table ${MARKS_TABLE} {}`,
        `delete table ${MARKS_TABLE}`,
        `table ${MARKS_TABLE} {`,
        "\tchain prerouting {",
        // -150 is mangle's priority: before routing, so the mark is there when IPVS looks the
        // packet up on input. A number, not the name: nft before 0.9.1 has no names for priorities.
        "\t\ttype filter hook prerouting priority -150; policy accept;",
        ...rules.map((r) => `\t\t${ruleLine(r)}`),
        "\t}",
        "}",
        "",
    ].join("\n");
}

/**
 * Loads the marks. The new file is loaded from a staging path and kept only once nft has taken
 * it, so a refused ruleset leaves the loaded rules and the boot file as they were.
 */
export function marksStep(rules: MarkRule[]): HostStep {
    const create = script([
        "command -v nft >/dev/null 2>&1 || { echo 'pulumi-lvs: nft is missing (the install step installs nftables)' >&2; exit 1; }",
        writeFile(STAGED, renderMarks(rules)),
        `if ! out=$(nft -f ${STAGED} 2>&1); then`,
        `  rm -f ${STAGED}`,
        `  printf 'pulumi-lvs: nft refused the marks; the loaded rules and ${MARKS_FILE} are unchanged:\\n%s\\n' "$out" >&2`,
        "  exit 1",
        "fi",
        `mv ${STAGED} ${MARKS_FILE}`,
    ]);
    const del = script([
        `if command -v nft >/dev/null 2>&1 && nft list table ${MARKS_TABLE} >/dev/null 2>&1; then nft delete table ${MARKS_TABLE}; fi`,
        `rm -f ${MARKS_FILE} ${STAGED}`,
        `rmdir ${CONFIG_DIR} 2>/dev/null || true`,
    ]);
    return { key: "marks", create, delete: del };
}

/** For a boot unit: the marks again, after a reboot emptied nftables. */
export const LOAD_MARKS_AT_BOOT = `if [ -s ${MARKS_FILE} ]; then nft -f ${MARKS_FILE}; fi`;
