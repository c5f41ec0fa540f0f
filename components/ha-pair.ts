/**
 * HaPair: two directors under keepalived. One VRRP instance holds the VIPs (ens33:N) on the
 * master; on both nodes keepalived builds the ipvs table from virtual_server blocks and
 * health-checks the real servers. Each node's IpvsTable (manager "keepalived") lists in the
 * preview exactly which entries keepalived will add, change or remove, and waits on apply
 * until the live table matches. Both nodes load the marks of fwmark services (either may be
 * master), with a boot unit that loads them again.
 */
import * as pulumi from "@pulumi/pulumi";
import { haPairSchema, type HaNodeSpecInput, type HaPairSpec, type HaPairSpecInput } from "./schema/ha-pair";
import { parseOrThrow } from "./schema/parse";
import { haPairNodes, type HaNode } from "./core/keepalived/render-ha-pair";
import type { GroupView } from "./core/host/cluster-model";
import type { HostStep } from "./core/host/host-step";
import { toEntries } from "./core/ipvs/ipvs-entries";
import { keepalivedSettle } from "./core/keepalived/render-keepalived-steps";
import type { IpvsTable } from "./providers/ipvs-table";
import { hostAccess, refuseOwnAddress, type HostAccess, type HostInput } from "./parts/host-access";
import { chain, stepCommand, stepLookup } from "./parts/host-steps";
import { keepalivedTable } from "./parts/keepalived-table";
import { renderWhenKnown } from "./parts/host-render";
import { knownViews, type VipGroup } from "./vip-group";
import { tableSummary, type TableSummary } from "./core/ipvs/ipvs-summary";
import { slowReloadWarning } from "./core/keepalived/reload-estimate";

/**
 * A node of an HaPair used directly, typed from the schema's input type (HaNodeSpecInput). The
 * host's address and SSH settings may be pulumi.Inputs. The settings here, like HaPairArgs', are
 * plain: they are written into keepalived.conf and checked against each other (distinct
 * priorities, not both nodes in maintenance) when the component is constructed, and the
 * maintenance switch decides which resources exist (the peer's handback step).
 */
export interface HaNodeArgs {
    host: HostInput;
    /** 1..254; the higher one starts as MASTER (unless nopreempt or preemptDelay is set). */
    priority: HaNodeSpecInput["priority"];
    /** VRRP and VIP interface. Default ens33. */
    interface?: HaNodeSpecInput["interface"];
    /** Planned maintenance: the node hands the VIPs to its peer within about a second, by VRRP; once this is off, the peer hands them back the same way (with preemptDelay; without it the node preempts at once). Default false. */
    maintenance?: HaNodeSpecInput["maintenance"];
}

/**
 * For use as a library: settings typed from the schema's input type (HaPairSpecInput), validated
 * here once. Plain values, for the reason HaNodeArgs gives: they make up keepalived.conf, are
 * checked against each other when the component is constructed, and some decide which resources
 * exist (preemptDelay and nopreempt the handback step).
 */
export interface HaPairArgs {
    /** The VRRP instance name. Default: the resource name (must be 1-40 lowercase letters, digits or '-'). */
    name?: HaPairSpecInput["name"];
    nodes: [HaNodeArgs, HaNodeArgs];
    /** VRRP router id 1..255, unique on the segment. */
    virtualRouterId: HaPairSpecInput["virtualRouterId"];
    /** Seconds between VRRP adverts. Default 1. */
    advertInt?: HaPairSpecInput["advertInt"];
    /** VRRP PASS authentication (1-8 characters; sent in clear text, so not a real secret). Default none. */
    authentication?: HaPairSpecInput["authentication"];
    /** Unicast adverts between the nodes' addresses instead of multicast. Default false. */
    unicast?: HaPairSpecInput["unicast"];
    /** A recovered higher-priority node does not take the VIPs back. Default false. */
    nopreempt?: HaPairSpecInput["nopreempt"];
    /** Seconds a recovered higher-priority node waits before taking over. Default none; with syncConnections, 10 or more lets it learn the backup's connections first, so failback keeps them. */
    preemptDelay?: HaPairSpecInput["preemptDelay"];
    /** Sync connection state to the backup (ipvs sync daemon), so failover keeps connections. Default true. */
    syncConnections?: HaPairSpecInput["syncConnections"];
    /** A real server removed from the pool gets weight 0 and keeps its connections until they end or this limit passes; then the reload deletes it. Default 60 s, polled every 2 s. */
    drain?: HaPairSpecInput["drain"];
    /** Alias numbers start here (ens33:N). Default 0. */
    aliasStart?: HaPairSpecInput["aliasStart"];
    vipGroups: VipGroup[];
    /** See ParsedDirectorArgs.realServers: both nodes' tables wait for them. Default none. */
    realServers?: pulumi.Resource[];
}

/** From the cluster builder: the pair and its nodes' hosts as parseCluster validated them, taken as they are. */
export interface ParsedHaPairArgs {
    parsed: HaPairSpec;
    /** The hosts of parsed.nodes, in the same order. */
    hosts: readonly [HostAccess, HostAccess];
    vipGroups: VipGroup[];
    /** See ParsedDirectorArgs.realServers: both nodes' tables wait for them. Default none. */
    realServers?: pulumi.Resource[];
}

export class HaPair extends pulumi.ComponentResource {
    /** Both nodes as rendered: director model, keepalived config and host steps. */
    readonly nodes: readonly [HaNode, HaNode];
    /** Each node's IpvsTable, by host name. */
    readonly tables: Readonly<Record<string, IpvsTable>>;
    /** Entries as live after the last apply, by host name. */
    readonly entries: pulumi.Output<Record<string, Record<string, string>>>;
    /** The nodes' host names and the counts of each node's table (both carry the same services): the registered outputs. */
    readonly summary: { nodes: string[] } & TableSummary;

    constructor(name: string, args: HaPairArgs | ParsedHaPairArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lvs:index:HaPair", name, {}, opts);
        const root = `HaPair ${name}`;
        const { parsed, hosts, vipGroups } = "parsed" in args ? args : parseArgs(name, args);
        const render = (addresses: string[], groups: GroupView[]) => {
            const withAddress = (i: 0 | 1) => ({ ...parsed.nodes[i], address: addresses[i] });
            const nodes = haPairNodes({ ...parsed, nodes: [withAddress(0), withAddress(1)] }, groups);
            return { nodes, hostSteps: nodes.map(nodeSteps), entries: nodes.map((n) => toEntries(n.model.ruleset)) };
        };
        // With Outputs among the args, the scripts and entries come from the same render once they are known.
        const nodeHosts = hosts.map((access, i) => ({ access, root: `${root}.nodes[${i}]` }));
        const { shape, known } = renderWhenKnown(nodeHosts, { shape: vipGroups.map((g) => g.view), known: knownViews(vipGroups) }, render);
        this.nodes = [shape.nodes[0], shape.nodes[1]];
        // Both nodes carry the same services; a preview shows this before any reload is tried.
        const slowReload = slowReloadWarning(`HaPair ${parsed.name}`, parsed.advertInt, this.nodes[0].model.ruleset);
        if (slowReload) void pulumi.log.warn(slowReload, this);

        const tables: Record<string, IpvsTable> = {};
        const configs: pulumi.CustomResource[] = [];
        const lookups = shape.hostSteps.map((steps, i) => stepLookup(steps, known?.apply((k) => k.hostSteps[i])));
        this.nodes.forEach((node, i) => {
            const step = lookups[i];
            const prefix = `${name}-${node.host}`;
            const [install, sysctl] = chain(prefix, hosts[i], [step(node.steps.install), step(node.steps.sysctl)], { parent: this });
            if (node.steps.marks) {
                const marks = stepCommand(prefix, hosts[i], step(node.steps.marks), { parent: this, dependsOn: [install] });
                if (node.steps.boot) stepCommand(prefix, hosts[i], step(node.steps.boot), { parent: this, dependsOn: [marks] });
            }
            const k = node.steps.keepalived;
            const keepalived = keepalivedTable(
                prefix,
                hosts[i],
                { install: step(k.install), config: step(k.config), enable: step(k.enable), entries: known ? known.apply((k) => k.entries[i]) : shape.entries[i], settle: keepalivedSettle(node.model.ruleset) },
                { parent: this, dependsOn: [sysctl, ...(args.realServers ?? [])], secretConfig: parsed.authentication !== undefined },
            );
            tables[node.host] = keepalived.table;
            configs.push(keepalived.config);
        });
        // A node leaving maintenance is back as backup once its keepalived step is done; only then may its peer hand the VIPs back.
        this.nodes.forEach((node, i) => {
            if (node.steps.handback) stepCommand(`${name}-${node.host}`, hosts[i], lookups[i](node.steps.handback), { parent: this, dependsOn: [configs[i], configs[1 - i]] });
        });
        this.tables = tables;
        this.entries = pulumi.all(Object.fromEntries(Object.entries(tables).map(([host, t]) => [host, t.liveEntries])));
        this.summary = { nodes: this.nodes.map((n) => n.host), ...tableSummary(this.nodes[0].model.ruleset) };
        this.registerOutputs({ ...this.summary });
    }
}

/** A node's host steps, all of them, in one list (their keys are unique on the host). */
function nodeSteps(node: HaNode): HostStep[] {
    const s = node.steps;
    return [s.install, s.sysctl, s.marks, s.boot, s.keepalived.install, s.keepalived.config, s.keepalived.enable, s.handback].filter((x): x is HostStep => x !== undefined);
}

/**
 * The one validation of an HaPair used directly: its hosts, then its settings through the
 * cluster's own haPairSchema (nodes and groups named as the schema names them), then VIPs
 * against the nodes' addresses. Errors are named `HaPair <name>...`.
 */
function parseArgs(name: string, args: HaPairArgs): ParsedHaPairArgs {
    const root = `HaPair ${name}`;
    const hosts = args.nodes.map((n, i) => hostAccess(n.host, `${root}.nodes[${i}]`));
    const { nodes, vipGroups, virtualRouterId, advertInt, authentication, unicast, nopreempt, preemptDelay, syncConnections, drain, aliasStart } = args;
    const parsed = parseOrThrow(
        haPairSchema,
        {
            name: args.name ?? name,
            nodes: nodes.map((n) => ({ host: n.host.name, priority: n.priority, interface: n.interface, maintenance: n.maintenance })),
            virtualRouterId,
            advertInt,
            authentication,
            unicast,
            nopreempt,
            preemptDelay,
            syncConnections,
            drain,
            aliasStart,
            vipGroups: vipGroups.map((g) => g.spec.name),
        },
        root,
    );
    const groups = vipGroups.map((g) => g.view);
    hosts.forEach((h, i) => refuseOwnAddress(h, groups, `${root}.nodes[${i}]`));
    return { parsed, hosts: [hosts[0], hosts[1]], vipGroups };
}
