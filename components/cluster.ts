/**
 * Builds every component for a validated cluster spec. index.ts is this plus config loading;
 * other programs can call it too. parseCluster validated the spec once; each component takes
 * its part as it is.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "./schema/cluster";
import type { HostAccess, StepRunner } from "./parts/host-access";
import { VipGroup } from "./vip-group";
import { Director } from "./director";
import { RealServer } from "./real-server";
import { HaPair } from "./ha-pair";

export interface ClusterResources {
    vipGroups: Record<string, VipGroup>;
    directors: Record<string, Director>;
    realServers: Record<string, RealServer>;
    haPairs: Record<string, HaPair>;
}

export interface BuildOptions {
    /** How host steps run (see StepRunner). Default "ssh2". */
    runner?: StepRunner;
}

/** The RealServers whose address a pool of these groups lists, in the order given. */
export function realServersBehind(groups: VipGroup[], realServers: Record<string, RealServer>): RealServer[] {
    const addresses = new Set(groups.flatMap((g) => g.view.ruleset.services.flatMap((s) => s.dests.map((d) => d.key.address))));
    return Object.values(realServers).filter((r) => addresses.has(r.model.address));
}

export function buildCluster(spec: ClusterSpec, privateKey: pulumi.Input<string>, opts: BuildOptions = {}): ClusterResources {
    const host = (name: string): HostAccess => ({ name, spec: spec.hosts[name], privateKey, runner: opts.runner });
    const vipGroups = Object.fromEntries(spec.vipGroups.map((g) => [g.name, new VipGroup(g.name, { parsed: g, hosts: spec.hosts })]));
    const groupsFor = (names: string[]) => names.map((n) => vipGroups[n]);
    // A real server takes part in every group whose pool lists its address.
    const allGroups = Object.values(vipGroups);
    const realServers = Object.fromEntries(spec.realServers.map((r) => [r.host, new RealServer(r.host, { parsed: r, host: host(r.host), vipGroups: allGroups })]));
    // A table waits for the real servers its pools send to (ParsedDirectorArgs.realServers says why).
    const behind = (names: string[]) => realServersBehind(groupsFor(names), realServers).flatMap((r) => r.ready);
    const directors = Object.fromEntries(
        spec.directors.map((d) => [d.host, new Director(d.host, { parsed: d, host: host(d.host), vipGroups: groupsFor(d.vipGroups), realServers: behind(d.vipGroups) })]),
    );
    const haPairs = Object.fromEntries(
        spec.haPairs.map((p) => [p.name, new HaPair(p.name, { parsed: p, hosts: [host(p.nodes[0].host), host(p.nodes[1].host)], vipGroups: groupsFor(p.vipGroups), realServers: behind(p.vipGroups) })]),
    );
    return { vipGroups, directors, realServers, haPairs };
}
