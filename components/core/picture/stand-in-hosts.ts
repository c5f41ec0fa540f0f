/**
 * Hosts a stack names but does not define where the picture can see them. The lab's stack
 * takes its hosts from a file the lab writes (`pulumi-lvs:hostsFile`), and a checkout where
 * the lab never ran has no such file; the cluster is still there to draw. parseCluster, the one
 * validation pass, needs an address for every host it is told about, so each missing host gets
 * a stand-in address from the ranges kept for documentation (RFC 5737, RFC 3849), one not used
 * anywhere in the stack. The picture never shows a stand-in: it draws such a host by name
 * (cluster-graph's `unknownHosts`). Checks that compare addresses see the stand-ins, so they
 * cannot catch what the real addresses would break; the program still checks those.
 */
import type { ClusterInput } from "../../schema/cluster-document";
import { tryParseAddress, type Family } from "../../base/address";

export interface WithStandIns {
    cluster: ClusterInput;
    /** Names given a stand-in address, sorted. */
    standIns: string[];
}

/** `input` with a stand-in for each host a role or pool names and `hosts` lacks; unchanged when none is missing. */
export function withStandInHosts(input: ClusterInput): WithStandIns {
    const hosts = input.hosts ?? {};
    if (!isRecord(hosts)) return { cluster: input, standIns: [] };
    const wanted = referencedHosts(input);
    const missing = [...wanted.keys()].filter((name) => !Object.hasOwn(hosts, name)).sort();
    if (missing.length === 0) return { cluster: input, standIns: [] };
    const next = freeAddresses(usedAddresses(input));
    const added = Object.fromEntries(missing.map((name) => [name, { address: next(wanted.get(name) ?? "inet"), ssh: { insecureSkipHostKeyCheck: true } }]));
    return { cluster: { ...input, hosts: { ...hosts, ...added } }, standIns: missing };
}

/**
 * Every host name the roles and pools use, with the family its stand-in needs: IPv6 only for a
 * host that serves nothing but IPv6 VIPs, since a pool must hold a server of each VIP's family.
 */
function referencedHosts(input: ClusterInput): Map<string, Family> {
    const families = new Map<string, Set<Family>>();
    const note = (name: unknown, family?: Family) => {
        if (typeof name !== "string") return;
        const set = families.get(name) ?? new Set<Family>();
        if (family) set.add(family);
        families.set(name, set);
    };
    for (const d of list(input.directors)) note(field(d, "host"));
    for (const r of list(input.realServers)) note(field(r, "host"));
    for (const p of list(input.haPairs)) for (const node of list(field(p, "nodes"))) note(field(node, "host"));
    for (const g of list(input.vipGroups)) {
        const vipFamilies = list(field(g, "vips")).flatMap((v) => (typeof v === "string" ? [tryParseAddress(v)?.family ?? "inet"] : []));
        const family: Family = vipFamilies.length > 0 && vipFamilies.every((f) => f === "inet6") ? "inet6" : "inet";
        for (const svc of list(field(g, "services"))) for (const member of list(field(svc, "realServers"))) note(field(member, "host"), family);
    }
    return new Map([...families].map(([name, set]) => [name, set.size > 0 && !set.has("inet") ? "inet6" : "inet"]));
}

/** Every address written anywhere in the stack, canonical, so no stand-in collides with one. */
function usedAddresses(value: unknown, found = new Set<string>()): Set<string> {
    if (typeof value === "string") {
        const parsed = tryParseAddress(value);
        if (parsed) found.add(parsed.address);
    } else if (Array.isArray(value)) value.forEach((v) => usedAddresses(v, found));
    else if (isRecord(value)) Object.values(value).forEach((v) => usedAddresses(v, found));
    return found;
}

function freeAddresses(used: Set<string>): (family: Family) => string {
    const next = { inet: 0, inet6: 0 };
    const candidate: Record<Family, (i: number) => string> = {
        inet: (i) => `${["192.0.2", "198.51.100", "203.0.113"][Math.floor(i / 254) % 3]}.${(i % 254) + 1}`,
        inet6: (i) => `2001:db8:ffff::${(i + 1).toString(16)}`,
    };
    return (family) => {
        let address: string;
        do address = candidate[family](next[family]++);
        while (used.has(address));
        used.add(address);
        return address;
    };
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function list(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}

function field(v: unknown, key: string): unknown {
    return isRecord(v) ? v[key] : undefined;
}
