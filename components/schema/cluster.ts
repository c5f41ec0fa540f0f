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
import { markClaims, overlaps } from "./marks";
import { parseOrThrow } from "./parse";
import { ipv4NetmaskOfPrefix } from "../base/netmask";
import { familyLabel, familyOf, formatAddrPort } from "../base/address";

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
/** What a user writes (zod's input type): defaults optional, unions and literals kept; a misspelled field or a wrong type fails tsc. */
export type ClusterSpecInput = z.input<typeof clusterSchema>;
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
    checkHaPairsApart(c, issue);
    checkNatGateways(c, issue);
    checkArpMethods(c, issue);
    checkGreChecksums(c, issue);
    const owners = ownersOf(c);
    checkServedVips(c, owners, issue);
    checkMarksPerOwner(c, owners, issue);
}

/** Who serves each VipGroup: the label for messages, the owner's own addresses, and whether keepalived builds its table. */
interface Owner {
    label: string;
    addresses: string[];
    keepalived: boolean;
}

function ownersOf(c: ClusterSpec): Map<string, Owner> {
    const owners = new Map<string, Owner>();
    const claim = (groups: string[], owner: Owner) => groups.forEach((g) => owners.has(g) || owners.set(g, owner));
    c.directors.forEach((d, i) => claim(d.vipGroups, { label: `directors[${i}] (${d.host})`, addresses: [hostAddress(c, d.host)].filter(isDefined), keepalived: d.healthChecks }));
    c.haPairs.forEach((p, i) => claim(p.vipGroups, { label: `haPairs[${i}] (${p.name})`, addresses: p.nodes.map((n) => hostAddress(c, n.host)).filter(isDefined), keepalived: true }));
    return owners;
}

const isDefined = <T>(v: T | undefined): v is T => v !== undefined;

/** Each pair is its own VRRP instance: a name, a host and a virtual_router_id belong to one pair. */
function checkHaPairsApart(c: ClusterSpec, issue: Issue): void {
    const names = new Map<string, number>();
    const vrids = new Map<number, number>();
    const nodes = new Map<string, number>();
    c.haPairs.forEach((p, i) => {
        const sameName = names.get(p.name);
        if (sameName !== undefined) issue(["haPairs", i, "name"], `HaPair "${p.name}" is also haPairs[${sameName}]'s name; resources and keepalived's router_id would collide. Fix: rename one.`);
        else names.set(p.name, i);
        const sameVrid = vrids.get(p.virtualRouterId);
        if (sameVrid !== undefined) issue(["haPairs", i, "virtualRouterId"], `${p.virtualRouterId} is also haPairs[${sameVrid}]'s: two VRRP instances with one id on a network take each other's adverts. Fix: give each pair its own virtualRouterId (1..255).`);
        else vrids.set(p.virtualRouterId, i);
        p.nodes.forEach((n, k) => {
            const other = nodes.get(n.host);
            if (other !== undefined && other !== i) issue(["haPairs", i, "nodes", k, "host"], `host "${n.host}" is already a node of haPairs[${other}]; both pairs would write its keepalived.conf. Fix: put each host in one pair, with all its VipGroups there.`);
            else nodes.set(n.host, i);
        });
    });
}

/** The resolved address of a pool member. */
function memberAddress(c: ClusterSpec, rs: { host?: string; address?: string }): string | undefined {
    return rs.address ?? (rs.host !== undefined ? hostAddress(c, rs.host) : undefined);
}

/** A NAT real server must send its replies back through the director, and only a NAT one may have its default route replaced. */
function checkNatGateways(c: ClusterSpec, issue: Issue): void {
    c.realServers.forEach((r, i) => {
        const address = hostAddress(c, r.host);
        if (address === undefined) return;
        const nat = c.vipGroups.flatMap((g, gi) => g.services.flatMap((svc, si) => (svc.realServers.some((m) => m.forwarding === "nat" && memberAddress(c, m) === address) ? [`vipGroups[${gi}].services[${si}]`] : [])));
        if (nat.length > 0 && r.natGateway === undefined) {
            issue(["realServers", i, "natGateway"], `is required: "${r.host}" is a NAT real server in ${nat[0]}, and its replies must return through the director. Fix: set natGateway to the director's address on ${r.host}'s network.`);
        }
        if (nat.length === 0 && r.natGateway !== undefined) {
            issue(["realServers", i, "natGateway"], `"${r.host}" is not a NAT real server in any pool, yet natGateway would replace its default route. Fix: remove natGateway, or set forwarding: nat in its pool.`);
        }
    });
}

/** arptables rules are for a DR/TUN real server with an IPv4 address (the source ARP packets get); elsewhere they would do nothing. */
function checkArpMethods(c: ClusterSpec, issue: Issue): void {
    c.realServers.forEach((r, i) => {
        if (r.arpMethod !== "arptables") return;
        const address = hostAddress(c, r.host);
        if (address === undefined) return;
        const hidden = c.vipGroups.some((g) => g.services.some((svc) => svc.realServers.some((m) => m.forwarding !== "nat" && memberAddress(c, m) === address)));
        if (!hidden) {
            issue(["realServers", i, "arpMethod"], `"${r.host}" is not a DR or TUN real server in any pool, so it has no VIP to hide from ARP and the arptables rules would do nothing. Fix: remove arpMethod, or set forwarding: dr or tun in its pool.`);
        } else if (familyOf(address) !== "inet") {
            issue(["realServers", i, "arpMethod"], `"${r.host}" has the IPv6 address ${address}: IPv6 has no ARP, and arptables needs an IPv4 address to give ARP packets from a VIP as their source. Fix: remove arpMethod.`);
        }
    });
}

/**
 * A real server the stack configures receives GRE on the fallback device gre0 (ip6gre0), which
 * takes no checksum and cannot be made to; the kernel drops GRE whose checksum flag differs from
 * the receiving device's. A server given by address only is the operator's to set up.
 */
function checkGreChecksums(c: ClusterSpec, issue: Issue): void {
    const configured = new Map<string, string>();
    for (const r of c.realServers) {
        const address = hostAddress(c, r.host);
        if (address !== undefined) configured.set(address, r.host);
    }
    c.vipGroups.forEach((g, gi) => g.services.forEach((svc, si) => svc.realServers.forEach((m, ri) => {
        const address = memberAddress(c, m);
        const host = address === undefined ? undefined : configured.get(address);
        if (host === undefined || m.forwarding !== "tun" || m.tunnel?.type !== "gre" || m.tunnel.checksum !== "csum") return;
        issue(["vipGroups", gi, "services", si, "realServers", ri, "tunnel", "checksum"], `csum cannot reach "${host}": the stack sets it up to receive GRE on gre0 (ip6gre0), whose checksum setting the kernel does not let anyone change, and the kernel drops every GRE packet whose checksum flag differs from the receiving device's. Fix: use nocsum for gre, or type gue (which takes csum).`);
    })));
}

/**
 * Rules over the VIPs as served: one owner per VIP, one definition per virtual service on a
 * director, no VIP that is also a real server, a keepalived pool that can be up, and no port
 * remap on the director's own address (the kernel serves it as Local, on the service port).
 */
function checkServedVips(c: ClusterSpec, owners: Map<string, Owner>, issue: Issue): void {
    const vipOwner = new Map<string, { owner: Owner; gi: number }>();
    const serviceAt = new Map<string, { gi: number; si: number }>();
    const poolAddresses = new Map<string, number>();
    c.vipGroups.forEach((g, gi) => g.services.forEach((svc) => svc.realServers.forEach((m) => {
        const a = memberAddress(c, m);
        if (a !== undefined && !poolAddresses.has(a)) poolAddresses.set(a, gi);
    })));
    c.vipGroups.forEach((g, gi) => {
        const owner = owners.get(g.name);
        g.vips.forEach((vip, vi) => {
            const pool = poolAddresses.get(vip);
            if (pool !== undefined && pool !== gi) issue(["vipGroups", gi, "vips", vi], `VIP ${vip} is a real server's address in vipGroups[${pool}]: the director would answer for it and the real server would hold it on lo. Fix: pick an unused address for the VIP.`);
            if (!owner) return;
            const prev = vipOwner.get(vip);
            if (prev && prev.owner !== owner) issue(["vipGroups", gi, "vips", vi], `VIP ${vip} is also served by ${prev.owner.label} through vipGroups[${prev.gi}]; two owners would both answer ARP for it. Fix: serve each VIP from one Director or one HaPair.`);
            else if (!prev) vipOwner.set(vip, { owner, gi });
        });
        if (!owner) return;
        g.services.forEach((svc, si) => {
            const at = ["vipGroups", gi, "services", si];
            const keys = svc.fwmark !== undefined ? [`${owner.label} fwmark ${svc.fwmark}`] : g.vips.map((vip) => `${owner.label} ${svc.protocol} ${formatAddrPort(vip, svc.port ?? 0)}`);
            for (const key of keys) {
                const first = serviceAt.get(key);
                if (first && first.gi !== gi) issue(at, `${key.slice(owner.label.length + 1)} is also defined in vipGroups[${first.gi}].services[${first.si}], on the same director: the kernel holds one virtual service per key. Fix: define it in one group.`);
                else if (!first) serviceAt.set(key, { gi, si });
            }
            // keepalived lowers such a quorum to 0 with a warning: the service then counts as up with
            // nothing to serve, so even a sorry server never takes over. (An explicit quorum above
            // the pool's weight is refused when the config is rendered.)
            if (owner.keepalived && svc.realServers.length > 0 && svc.realServers.every((m) => m.weight === 0) && svc.quorum === undefined) {
                issue([...at, "realServers"], "every real server has weight 0, below keepalived's default quorum of 1: keepalived would lower the quorum to 0 and count the service as up with nothing to serve. Fix: give a real server a weight above 0 (a weight-0 pool is only for a plain Director).");
            }
            svc.realServers.forEach((m, ri) => {
                const a = memberAddress(c, m);
                if (m.forwarding === "nat" && a !== undefined && owner.addresses.includes(a) && m.port !== undefined && svc.port !== undefined && svc.port !== 0 && m.port !== svc.port) {
                    issue([...at, "realServers", ri, "port"], `real server ${a} is the director's own address: the kernel makes it Local and serves it on the service port ${svc.port}, so NAT cannot remap it to ${m.port}. Fix: use port ${svc.port}, or another host's address.`);
                }
            });
        });
    });
}

/** A mark must not claim what another group on the same director claims (the group's own overlaps are its schema's). */
function checkMarksPerOwner(c: ClusterSpec, owners: Map<string, Owner>, issue: Issue): void {
    const groupsOf = new Map<Owner, number[]>();
    c.vipGroups.forEach((g, gi) => {
        const owner = owners.get(g.name);
        if (owner) groupsOf.set(owner, [...(groupsOf.get(owner) ?? []), gi]);
    });
    for (const [owner, gis] of groupsOf) {
        const claims = gis.flatMap((gi) => markClaims(c.vipGroups[gi], gi));
        const where = (claim: { group: number; service: number }) => `vipGroups[${claim.group}].services[${claim.service}], which ${owner.label} serves too`;
        for (const o of overlaps(claims, where, (a, b) => a.group !== b.group)) issue(["vipGroups", o.claim.group, ...o.claim.path], o.message);
    }
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
                    const hint = typeof netmask === "number" && netmask <= 32 && family === "inet" ? `write ${ipv4NetmaskOfPrefix(netmask)} for /${netmask}` : "split the VIPs into groups per family";
                    issue([...at, "persistence", "netmask"], `does not fit VIP ${vip}: IPv4 takes a dotted netmask, IPv6 a prefix length. Fix: ${hint}.`);
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
