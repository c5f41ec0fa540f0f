/**
 * Builds every component for a validated cluster spec. index.ts is this plus config loading;
 * other programs can call it too.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "./schema/cluster";
import { VipGroup } from "./vip-group";
import { Director } from "./director";
import { RealServer } from "./real-server";
import { HaPair, type HaPairArgs } from "./ha-pair";
import type { HostInput } from "./validate";

export interface ClusterResources {
    vipGroups: Record<string, VipGroup>;
    directors: Record<string, Director>;
    realServers: Record<string, RealServer>;
    haPairs: Record<string, HaPair>;
}

export interface BuildOptions {
    /** How host steps run: "ssh2" (default) or "pulumi-command" (needs that provider's plugin). */
    runner?: "ssh2" | "pulumi-command";
}

export function buildCluster(spec: ClusterSpec, privateKey: pulumi.Input<string>, opts: BuildOptions = {}): ClusterResources {
    const hostInput = (name: string): HostInput => ({ name, spec: spec.hosts[name], privateKey, runner: opts.runner });
    const vipGroups = Object.fromEntries(spec.vipGroups.map((g) => [g.name, new VipGroup(g.name, { spec: g, hosts: spec.hosts })]));
    const groupsFor = (names: string[]) => names.map((n) => vipGroups[n]);
    const directors = Object.fromEntries(
        spec.directors.map((d) => [
            d.host,
            new Director(d.host, { host: hostInput(d.host), vipGroups: groupsFor(d.vipGroups), interface: d.interface, aliasStart: d.aliasStart, drain: d.drain, healthChecks: d.healthChecks }),
        ]),
    );
    const haPairs = Object.fromEntries(
        spec.haPairs.map((p) => [p.name, new HaPair(p.name, {
                ...p,
                nodes: [p.nodes[0], p.nodes[1]].map((n) => ({ host: hostInput(n.host), priority: n.priority, interface: n.interface })) as HaPairArgs["nodes"],
                vipGroups: groupsFor(p.vipGroups),
            }),]),
    );
    // A real server takes part in every group whose pool lists its address.
    const allGroups = Object.values(vipGroups);
    const realServers = Object.fromEntries(
        spec.realServers.map((r) => [
            r.host,
            new RealServer(r.host, { host: hostInput(r.host), vipGroups: allGroups, interface: r.interface, aliasStart: r.aliasStart, natGateway: r.natGateway }),
        ]),
    );
    return { vipGroups, directors, realServers, haPairs };
}
