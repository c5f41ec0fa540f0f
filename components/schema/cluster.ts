/**
 * The whole stack config: hosts, VipGroups and the roles that use them. Cross references
 * (names, addresses, ownership) are checked here, so every component can trust its input.
 */
import { z } from "zod";
import { objectName, printable } from "./common";
import { hostSchema } from "./host";
import { vipGroupSchema, persistenceNetmaskFits } from "./vip-group";
import { directorSchema } from "./director";
import { realServerSchema } from "./real-server";
import { haPairSchema } from "./ha-pair";
import { parseOrThrow } from "./parse";
import { familyLabel, familyOf } from "../base/address";

const KERNEL_IFNAMSIZ = 15;

export const clusterSchema = z
    .strictObject({
        hosts: z.record(objectName, hostSchema),
        vipGroups: z.array(vipGroupSchema).min(1, "must define at least one VipGroup"),
        directors: z.array(directorSchema).default([]),
        realServers: z.array(realServerSchema).default([]),
        haPairs: z.array(haPairSchema).default([]),
    })
    .superRefine(checkReferences);

export type ClusterSpec = z.infer<typeof clusterSchema>;
type Issue = (path: (string | number)[], message: string) => void;

/** A host's address by name; only the stack's own hosts count (not "constructor" and the like). */
function hostAddress(c: ClusterSpec, name: string): string | undefined {
    return Object.hasOwn(c.hosts, name) ? c.hosts[name].address : undefined;
}

function checkReferences(c: ClusterSpec, ctx: z.RefinementCtx): void {
    const issue: Issue = (path, message) => ctx.addIssue({ code: "custom", path, message });
    const hostNames = Object.keys(c.hosts);
    const needHost = (name: string, path: (string | number)[]) => {
        if (!Object.hasOwn(c.hosts, name)) issue(path, `names host "${printable(name)}", which is not in hosts (${hostNames.join(", ") || "none defined"}). Fix: add it to hosts or correct the name.`);
    };
    const groupNames = new Map<string, number>();
    c.vipGroups.forEach((g, i) => {
        if (groupNames.has(g.name)) issue(["vipGroups", i, "name"], `VipGroup "${g.name}" is defined twice. Fix: rename one.`);
        groupNames.set(g.name, i);
    });
    checkVipsAndPools(c, issue, needHost);

    const owner = new Map<string, string>();
    const claimGroups = (groups: string[], who: string, path: (string | number)[]) =>
        groups.forEach((name, j) => {
            if (!groupNames.has(name)) issue([...path, j], `names VipGroup "${printable(name)}", which is not defined. Fix: define it under vipGroups.`);
            const prev = owner.get(name);
            if (prev) issue([...path, j], `VipGroup "${name}" is already served by ${prev}; an ipvs entry has exactly one owner. Fix: serve it from one Director or one HaPair.`);
            owner.set(name, who);
        });
    const directorHosts = new Set<string>();
    c.directors.forEach((d, i) => {
        needHost(d.host, ["directors", i, "host"]);
        if (directorHosts.has(d.host)) issue(["directors", i, "host"], `host "${d.host}" is a director twice. Fix: merge its vipGroups into one entry.`);
        directorHosts.add(d.host);
        claimGroups(d.vipGroups, `directors[${i}]`, ["directors", i, "vipGroups"]);
        checkAliasLabels(d.interface, d.aliasStart, vipCount(c, d.vipGroups), issue, ["directors", i, "interface"]);
    });
    c.haPairs.forEach((p, i) => {
        p.nodes.forEach((n, k) => {
            needHost(n.host, ["haPairs", i, "nodes", k, "host"]);
            if (directorHosts.has(n.host)) issue(["haPairs", i, "nodes", k, "host"], `host "${n.host}" is already a Director; keepalived would fight it for the ipvs table. Fix: use separate hosts.`);
            checkAliasLabels(n.interface, p.aliasStart, vipCount(c, p.vipGroups), issue, ["haPairs", i, "nodes", k, "interface"]);
        });
        claimGroups(p.vipGroups, `haPairs[${i}]`, ["haPairs", i, "vipGroups"]);
    });
    const rsHosts = new Set<string>();
    c.realServers.forEach((r, i) => {
        needHost(r.host, ["realServers", i, "host"]);
        if (rsHosts.has(r.host)) issue(["realServers", i, "host"], `host "${r.host}" is listed twice. Fix: remove one.`);
        rsHosts.add(r.host);
        checkAliasLabels("lo", r.aliasStart, 1, issue, ["realServers", i, "aliasStart"]);
    });
}

function vipCount(c: ClusterSpec, groups: string[]): number {
    return c.vipGroups.filter((g) => groups.includes(g.name)).reduce((n, g) => n + g.vips.length, 0);
}

/** The kernel refuses labels longer than IFNAMSIZ-1; ens33:N must fit for every VIP. */
function checkAliasLabels(iface: string, start: number, count: number, issue: Issue, path: (string | number)[]): void {
    const longest = `${iface}:${start + Math.max(count, 1) - 1}`;
    if (longest.length > KERNEL_IFNAMSIZ) {
        issue(path, `alias label "${longest}" would be ${longest.length} characters; the kernel allows ${KERNEL_IFNAMSIZ}. Fix: use a shorter interface name or a smaller aliasStart.`);
    }
}

function checkVipsAndPools(c: ClusterSpec, issue: Issue, needHost: (name: string, path: (string | number)[]) => void): void {
    const hostByAddress = new Map(Object.entries(c.hosts).map(([name, h]) => [h.address, name]));
    c.vipGroups.forEach((g, gi) => {
        g.vips.forEach((vip, vi) => {
            const clash = hostByAddress.get(vip);
            if (clash) issue(["vipGroups", gi, "vips", vi], `VIP ${vip} is host "${clash}"'s own address; taking it over would cut that host off. Fix: pick an unused address for the VIP.`);
        });
        g.services.forEach((svc, si) => {
            const at = ["vipGroups", gi, "services", si];
            const resolved = new Map<string, number>();
            svc.realServers.forEach((rs, ri) => {
                if (rs.host !== undefined) needHost(rs.host, [...at, "realServers", ri, "host"]);
                const address = rs.address ?? (rs.host !== undefined ? hostAddress(c, rs.host) : undefined);
                if (address === undefined) return;
                if (g.vips.includes(address)) issue([...at, "realServers", ri], `real server address ${address} is one of this group's VIPs. Fix: use the real server's own address.`);
                const key = `${address}:${rs.port ?? svc.port ?? 0}`;
                const first = resolved.get(key);
                if (first !== undefined && first !== ri) issue([...at, "realServers", ri], `resolves to the same real server as realServers[${first}] (${key}). Fix: list it once.`);
                resolved.set(key, ri);
            });
            g.vips.forEach((vip, vi) => {
                const family = familyOf(vip);
                const netmask = svc.persistence?.netmask;
                if (netmask !== undefined && !persistenceNetmaskFits(netmask, vip)) {
                    issue([...at, "persistence", "netmask"], `does not fit VIP ${vip}: IPv4 takes a dotted netmask, IPv6 a prefix length. Fix: split the VIPs into groups per family.`);
                }
                const sameFamily = svc.realServers.filter((rs) => {
                    const a = rs.address ?? (rs.host !== undefined ? hostAddress(c, rs.host) : undefined);
                    return a !== undefined && familyOf(a) === family;
                });
                if (svc.realServers.length > 0 && sameFamily.length === 0 && svc.fwmark === undefined) {
                    issue(["vipGroups", gi, "vips", vi], `VIP ${vip} is ${familyLabel(family)} but service ${si} has no ${familyLabel(family)} real server. Fix: add one, or move the VIP to another group.`);
                }
            });
        });
    });
}

/**
 * Validates stack config; throws ConfigError naming every bad field. Touches nothing. This is
 * the one validation pass: the cluster builder hands its parts to the components as they are.
 */
export function parseCluster(input: unknown): ClusterSpec {
    return parseOrThrow(clusterSchema, input, "cluster");
}
