/**
 * From a validated cluster spec to what each host should look like: the desired ipvs ruleset
 * of every director, and the VIPs and role of every real server. Pure: no Pulumi, no I/O.
 */
import type { ClusterSpec } from "../schema/cluster";
import type { ServiceSpec, VipGroupSpec, RealServerRefSpec } from "../schema/vip-group";
import type { IpvsDest, IpvsService, Ruleset, ServiceKey, ServiceSettings, DestSettings } from "./ipvs-model";
import { normalizeRuleset } from "./ipvs-model";
import { ipFamily } from "./ip-address";

/** One VIP address on an interface, with its alias label (IPv6 addresses carry no label). */
export interface VipAlias {
    address: string;
    prefix: number;
    device: string;
    label?: string;
}

export type RealServerRole = "dr" | "tun" | "nat";

export interface RealServerModel {
    host: string;
    address: string;
    interface: string;
    /** VIPs this host must accept locally (DR: on lo, TUN: on tunl0). */
    vips: VipAlias[];
    roles: RealServerRole[];
    natGateway?: string;
}

export interface DirectorModel {
    host: string;
    address: string;
    interface: string;
    vips: VipAlias[];
    ruleset: Ruleset;
    /** NAT pools need forwarding on the director. */
    ipForward: boolean;
}

/** Resolves a pool member to its address. Schema checks guarantee the host exists. */
export function realServerAddress(cluster: ClusterSpec, rs: RealServerRefSpec): string {
    if (rs.address !== undefined) return rs.address;
    const host = rs.host !== undefined ? cluster.hosts[rs.host] : undefined;
    if (!host) throw new Error(`real server ${rs.host ?? "?"} has no address`);
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
        const isDefault = netmask === undefined || netmask === "255.255.255.255" || (vip !== undefined && ipFamily(vip) === 6 && netmask === 128);
        settings.persistence = isDefault ? { timeout: svc.persistence.timeout } : { timeout: svc.persistence.timeout, netmask: String(netmask) };
    }
    return settings;
}

function destFor(cluster: ClusterSpec, svc: ServiceSpec, rs: RealServerRefSpec): IpvsDest {
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
    return { key: { address: realServerAddress(cluster, rs), port: rs.port ?? servicePort }, settings };
}

/** The ipvs services of one VipGroup: every VIP times every service (fwmark services once per family). */
export function groupRuleset(cluster: ClusterSpec, group: VipGroupSpec): Ruleset {
    const services: IpvsService[] = [];
    for (const svc of group.services) {
        if (svc.fwmark !== undefined) {
            const families = [...new Set(group.vips.map(ipFamily))];
            for (const fam of families) {
                const key: ServiceKey = { kind: "fwmark", mark: svc.fwmark, family: fam === 6 ? "inet6" : "inet" };
                const dests = svc.realServers.filter((rs) => ipFamily(realServerAddress(cluster, rs)) === fam).map((rs) => destFor(cluster, svc, rs));
                services.push({ key, settings: serviceSettings(svc, group.vips.find((v) => ipFamily(v) === fam)), dests });
            }
            continue;
        }
        for (const vip of group.vips) {
            const key: ServiceKey = { kind: "addr", protocol: svc.protocol ?? "tcp", address: vip, port: svc.port ?? 0 };
            const dests = svc.realServers
                .filter((rs) => ipFamily(realServerAddress(cluster, rs)) === ipFamily(vip))
                .map((rs) => destFor(cluster, svc, rs));
            services.push({ key, settings: serviceSettings(svc, vip), dests });
        }
    }
    return normalizeRuleset({ services });
}

function groupsNamed(cluster: ClusterSpec, names: string[]): VipGroupSpec[] {
    return cluster.vipGroups.filter((g) => names.includes(g.name));
}

/** VIP aliases for a director interface: ens33:N for IPv4, plain /128 for IPv6. */
export function directorAliases(vips: string[], device: string, aliasStart: number): VipAlias[] {
    let n = aliasStart;
    return vips.map((address) =>
        ipFamily(address) === 4 ? { address, prefix: 32, device, label: `${device}:${n++}` } : { address, prefix: 128, device },
    );
}

function vipsOf(groups: VipGroupSpec[]): string[] {
    return [...new Set(groups.flatMap((g) => g.vips))];
}

export function directorModels(cluster: ClusterSpec): DirectorModel[] {
    return cluster.directors.map((d) => {
        const groups = groupsNamed(cluster, d.vipGroups);
        const ruleset = normalizeRuleset({ services: groups.flatMap((g) => groupRuleset(cluster, g).services) });
        return {
            host: d.host,
            address: cluster.hosts[d.host].address,
            interface: d.interface,
            vips: directorAliases(vipsOf(groups), d.interface, d.aliasStart),
            ruleset,
            ipForward: ruleset.services.some((s) => s.dests.some((x) => x.settings.forwarding === "nat")),
        };
    });
}

export function realServerModels(cluster: ClusterSpec): RealServerModel[] {
    return cluster.realServers.map((r) => {
        const address = cluster.hosts[r.host].address;
        const roles = new Set<RealServerRole>();
        const localVips: { vip: string; role: RealServerRole }[] = [];
        for (const g of cluster.vipGroups) {
            for (const svc of g.services) {
                for (const rs of svc.realServers) {
                    if (realServerAddress(cluster, rs) !== address) continue;
                    roles.add(rs.forwarding);
                    if (rs.forwarding === "nat") continue;
                    for (const vip of g.vips) if (ipFamily(vip) === ipFamily(address)) localVips.push({ vip, role: rs.forwarding });
                }
            }
        }
        const unique = [...new Map(localVips.map((v) => [v.vip, v])).values()];
        let n = r.aliasStart;
        const vips = unique.map(({ vip, role }): VipAlias => {
            const device = role === "tun" ? "tunl0" : "lo";
            if (ipFamily(vip) === 6) return { address: vip, prefix: 128, device };
            return device === "lo" ? { address: vip, prefix: 32, device, label: `lo:${n++}` } : { address: vip, prefix: 32, device };
        });
        const model: RealServerModel = { host: r.host, address, interface: r.interface, vips, roles: [...roles].sort() };
        if (r.natGateway !== undefined) model.natGateway = r.natGateway;
        return model;
    });
}
