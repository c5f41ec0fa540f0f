/**
 * From a validated cluster spec to what each host should look like: the desired ipvs ruleset
 * of every director, and the VIPs and role of every real server. Pure: no Pulumi, no I/O.
 */
import type { ServiceSpec, VipGroupSpec, RealServerRefSpec } from "../../schema/vip-group";
import type { ArpMethod } from "../../schema/real-server";
import type { IpvsDest, IpvsService, Ruleset, ServiceKey, ServiceSettings, DestSettings, TunnelSettings } from "../ipvs/ipvs-model";
import { normalizeRuleset, serviceId } from "../ipvs/ipvs-model";
import { canonicalAddress } from "../../base/address";
import { familyOf, type Family } from "../../base/address";
import { groupMarks, type MarkRule } from "./render-fwmark";
import { ConfigError } from "../../base/errors";
import { TUNNEL_TYPES, tunnelReceiver, type TunnelType } from "./tunnel-receive";

/** One VIP address on an interface, with its alias label (IPv6 addresses carry no label). */
export interface VipAlias {
    address: string;
    prefix: number;
    device: string;
    label?: string;
    /**
     * An IPv6 VIP on a director's own interface is added deprecated (preferred_lft 0): as a /128
     * it matches every neighbour's address longer than the interface's /64, so source address
     * selection would pick it for the director's own traffic, tunnelled packets included, and a
     * TUN real server drops packets whose outer source is its own VIP.
     */
    deprecated?: true;
}

export type RealServerRole = "dr" | "tun" | "nat";

/** One way this host receives TUN traffic (in its own address family); `port` for gue. */
export interface RealServerTunnel {
    type: TunnelType;
    port?: number;
}

export interface RealServerModel {
    host: string;
    address: string;
    interface: string;
    /** VIPs this host must accept locally (DR: on lo; TUN: IPv4 on the tunnel's device, IPv6 on lo). */
    vips: VipAlias[];
    roles: RealServerRole[];
    /** The union of the tunnels its pools send it, sorted (ipip, gue by port, gre); empty without TUN. */
    tunnels: RealServerTunnel[];
    natGateway?: string;
    /** DR/TUN: how the host hides its IPv4 VIPs from ARP. Default "sysctl". */
    arpMethod: ArpMethod;
}

export interface DirectorModel {
    host: string;
    address: string;
    interface: string;
    vips: VipAlias[];
    ruleset: Ruleset;
    /** NAT pools need forwarding on the director. */
    ipForward: boolean;
    /** What the director marks for its fwmark services; empty when nothing. */
    marks: MarkRule[];
}

/** Host name -> address, to resolve pool members given by host name. */
export type AddressBook = Readonly<Record<string, { address: string }>>;

/**
 * What keepalived needs about one ipvs service beyond the Ruleset: the spec's health check,
 * sorry server and quorum. Only where keepalived runs (HaPair, or a Director with healthChecks).
 */
export type ServiceChecks = Pick<ServiceSpec, "healthCheck" | "sorryServer" | "quorum">;

/** A VipGroup as its users see it: its VIPs and the ipvs services it wants. */
export interface GroupView {
    name: string;
    vips: string[];
    ruleset: Ruleset;
    /** keepalived settings keyed by service id (serviceId, e.g. "-t 192.168.13.100:80"). Absent means none. */
    checks?: Record<string, ServiceChecks>;
    /** Packets the group's fwmark services mark. Absent means none. */
    marks?: MarkRule[];
}

/** Resolves a pool member to its address. Schema checks guarantee the host exists. */
export function realServerAddress(hosts: AddressBook, rs: RealServerRefSpec): string {
    if (rs.address !== undefined) return rs.address;
    const host = rs.host !== undefined && Object.hasOwn(hosts, rs.host) ? hosts[rs.host] : undefined;
    if (!host) throw new Error(`real server "${rs.host ?? "?"}" is not in hosts; give its address instead`);
    return host.address;
}

function serviceSettings(svc: ServiceSpec, vip: string | undefined): ServiceSettings {
    const settings: ServiceSettings = {
        scheduler: svc.scheduler,
        schedFlags: [...svc.schedulerFlags].sort(),
        onePacket: svc.onePacket,
    };
    if (svc.persistence) {
        const netmask = svc.persistence.netmask;
        const single = netmask === undefined || netmask === "255.255.255.255" || (vip !== undefined && familyOf(vip) === "inet6" && netmask === 128);
        settings.persistence = single ? { timeout: svc.persistence.timeout } : { timeout: svc.persistence.timeout, netmask: String(netmask) };
    }
    return settings;
}

function destFor(hosts: AddressBook, svc: ServiceSpec, rs: RealServerRefSpec): IpvsDest {
    const settings: DestSettings = {
        forwarding: rs.forwarding,
        weight: rs.weight,
        upperThreshold: rs.upperThreshold,
        lowerThreshold: rs.lowerThreshold,
    };
    if (rs.forwarding === "tun") {
        const t = rs.tunnel ?? { type: "ipip" as const, checksum: "nocsum" as const };
        settings.tunnel = t.port !== undefined ? { type: t.type, port: t.port, checksum: t.checksum } : { type: t.type, checksum: t.checksum };
    }
    const servicePort = svc.fwmark !== undefined ? 0 : (svc.port ?? 0);
    return { key: { address: realServerAddress(hosts, rs), port: rs.port ?? servicePort }, settings };
}

/** The ipvs services one spec service becomes, each with the VIP it derives from: every VIP, or each family once for a fwmark. */
function serviceKeysOf(group: VipGroupSpec, svc: ServiceSpec): { key: ServiceKey; vip: string }[] {
    if (svc.fwmark !== undefined) {
        const mark = svc.fwmark;
        return [...new Set(group.vips.map(familyOf))].map((family) => ({
            key: { kind: "fwmark", mark, family },
            vip: group.vips.find((v) => familyOf(v) === family) ?? group.vips[0],
        }));
    }
    return group.vips.map((vip) => ({ key: { kind: "addr", protocol: svc.protocol ?? "tcp", address: vip, port: svc.port ?? 0 }, vip }));
}

/** The ipvs services of one VipGroup: every VIP times every service (fwmark services once per family). */
export function groupRuleset(hosts: AddressBook, group: VipGroupSpec): Ruleset {
    const services: IpvsService[] = [];
    const poolOf = (svc: ServiceSpec, family: Family) =>
        svc.realServers.filter((rs) => familyOf(realServerAddress(hosts, rs)) === family).map((rs) => destFor(hosts, svc, rs));
    for (const svc of group.services) {
        for (const { key, vip } of serviceKeysOf(group, svc)) {
            services.push({ key, settings: serviceSettings(svc, vip), dests: poolOf(svc, familyOf(vip)) });
        }
    }
    return normalizeRuleset({ services });
}

/** keepalived settings of a group's services, keyed by canonical service id; services without any are left out. */
export function groupChecks(group: VipGroupSpec): Record<string, ServiceChecks> {
    const checks: Record<string, ServiceChecks> = {};
    for (const svc of group.services) {
        const c: ServiceChecks = {};
        if (svc.healthCheck) c.healthCheck = svc.healthCheck;
        if (svc.sorryServer) c.sorryServer = svc.sorryServer;
        if (svc.quorum !== undefined) c.quorum = svc.quorum;
        if (Object.keys(c).length === 0) continue;
        for (const { key } of serviceKeysOf(group, svc)) {
            // Canonical as the ruleset's ids are (ipvsadm's inet_ntop form), so lookups by serviceId match.
            checks[serviceId(key.kind === "addr" ? { ...key, address: canonicalAddress(key.address) } : key)] = c;
        }
    }
    return checks;
}

export function groupView(hosts: AddressBook, group: VipGroupSpec): GroupView {
    return { name: group.name, vips: [...group.vips], ruleset: groupRuleset(hosts, group), checks: groupChecks(group), marks: groupMarks(group) };
}

/** Union of the groups' keepalived settings (service ids are unique across groups served together). */
export function mergeChecks(groups: GroupView[]): Record<string, ServiceChecks> {
    return Object.assign({}, ...groups.map((g) => g.checks ?? {})) as Record<string, ServiceChecks>;
}

/** VIP aliases for a director interface: ens33:N for IPv4, plain /128 for IPv6. */
export function directorAliases(vips: string[], device: string, aliasStart: number): VipAlias[] {
    let n = aliasStart;
    return vips.map((address) =>
        familyOf(address) === "inet" ? { address, prefix: 32, device, label: `${device}:${n++}` } : { address, prefix: 128, device, deprecated: true },
    );
}

/** All VIPs of some groups, first occurrence order. */
export function vipsOf(groups: GroupView[]): string[] {
    return [...new Set(groups.flatMap((g) => g.vips))];
}

/** Union of the groups' rulesets (schema checks keep services from clashing). */
export function mergeRulesets(groups: GroupView[]): Ruleset {
    return normalizeRuleset({ services: groups.flatMap((g) => g.ruleset.services) });
}

export function directorModel(host: string, address: string, iface: string, aliasStart: number, groups: GroupView[]): DirectorModel {
    const ruleset = mergeRulesets(groups);
    return {
        host,
        address,
        interface: iface,
        vips: directorAliases(vipsOf(groups), iface, aliasStart),
        ruleset,
        ipForward: ruleset.services.some((s) => s.dests.some((d) => d.settings.forwarding === "nat")),
        marks: groups.flatMap((g) => g.marks ?? []),
    };
}

export interface RealServerInput {
    host: string;
    address: string;
    interface: string;
    aliasStart: number;
    natGateway?: string;
    /** Default "sysctl". */
    arpMethod?: ArpMethod;
}

/** What a real server needs follows from the pools that list its address. */
export function realServerModel(r: RealServerInput, groups: GroupView[]): RealServerModel {
    const roles = new Set<RealServerRole>();
    const local = new Map<string, RealServerRole>();
    const tunnels = new Map<string, RealServerTunnel>();
    /** VIP -> the tunnel types it arrives over. */
    const tunnelTypes = new Map<string, Set<TunnelType>>();
    for (const g of groups) {
        for (const svc of g.ruleset.services) {
            for (const d of svc.dests) {
                if (d.key.address !== r.address) continue;
                roles.add(d.settings.forwarding);
                if (d.settings.forwarding === "nat") continue;
                const vips = svc.key.kind === "addr" ? [svc.key.address] : g.vips.filter((v) => familyOf(v) === familyOf(r.address));
                for (const vip of vips) if (!local.has(vip)) local.set(vip, d.settings.forwarding);
                const t = d.settings.tunnel;
                if (d.settings.forwarding !== "tun" || !t) continue;
                refuseGreChecksum(r.host, serviceId(svc.key), t);
                tunnels.set(`${t.type} ${t.port ?? ""}`, t.port !== undefined ? { type: t.type, port: t.port } : { type: t.type });
                for (const vip of vips) tunnelTypes.set(vip, (tunnelTypes.get(vip) ?? new Set()).add(t.type));
            }
        }
    }
    let n = r.aliasStart;
    const vips = [...local].map(([vip, role]): VipAlias => {
        if (familyOf(vip) === "inet6") return { address: vip, prefix: 128, device: "lo" };
        if (role !== "tun") return { address: vip, prefix: 32, device: "lo", label: `lo:${n++}` };
        // The decapsulated packet arrives on the type's device; a VIP arriving over several types
        // takes the first one's (tunl0 before gre0). Any local device would accept it: this keeps
        // it off the client-facing interface, where ARP would see it.
        const first = TUNNEL_TYPES.find((t) => tunnelTypes.get(vip)?.has(t)) ?? "ipip";
        return { address: vip, prefix: 32, device: tunnelReceiver("inet", first).device };
    });
    const order = (t: RealServerTunnel) => TUNNEL_TYPES.indexOf(t.type) * 65536 + (t.port ?? 0);
    const sorted = [...tunnels.values()].sort((a, b) => order(a) - order(b));
    const model: RealServerModel = { host: r.host, address: r.address, interface: r.interface, vips, roles: [...roles].sort(), tunnels: sorted, arpMethod: r.arpMethod ?? "sysctl" };
    if (r.natGateway !== undefined) model.natGateway = r.natGateway;
    return model;
}

/** See tunnel-receive.ts: gre0 and ip6gre0 drop checksummed GRE, and no setting changes that. */
function refuseGreChecksum(host: string, service: string, t: TunnelSettings): void {
    if (t.type !== "gre" || t.checksum !== "csum") return;
    throw new ConfigError([
        `RealServer ${host}: service ${service} sends it GRE with checksums (tunnel.checksum csum), but the kernel receives GRE on gre0 (ip6gre0), whose checksum setting cannot be changed, and drops every GRE packet whose checksum flag differs from the device's. Fix: use checksum nocsum for gre, or type gue with csum.`,
    ]);
}
