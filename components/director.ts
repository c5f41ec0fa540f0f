/**
 * Director: installs ipvsadm, sets the kernel settings LVS needs, puts the VIPs on the
 * client-facing interface (ens33:N) and owns the host's ipvs entries through IpvsTable. With
 * healthChecks, keepalived (checks only, no VRRP) builds the table instead and takes a dead
 * real server out until it answers again; the IpvsTable then shows and verifies its entries.
 */
import * as pulumi from "@pulumi/pulumi";
import { directorSettingsSchema, type DirectorSettings, type DirectorSettingsInput } from "./schema/director";
import { parseOrThrow } from "./schema/parse";
import { directorModel, type DirectorModel, type GroupView } from "./core/host/cluster-model";
import { directorSteps, OWNED_RULES_FILE } from "./core/host/render-director";
import { toEntries } from "./core/ipvs/ipvs-entries";
import { tableSummary, type TableSummary } from "./core/ipvs/ipvs-summary";
import { checksOnlySteps } from "./core/keepalived/checks-only";
import { IpvsTable } from "./providers/ipvs-table";
import { sshTarget } from "./parts/connection";
import { keepalivedSettle } from "./core/keepalived/render-keepalived-steps";
import { hostAccess, refuseOwnAddress, type HostAccess, type HostInput } from "./parts/host-access";
import { chain, stepCommand, stepLookup } from "./parts/host-steps";
import { keepalivedTable } from "./parts/keepalived-table";
import { renderWhenKnown } from "./parts/host-render";
import { knownViews, type VipGroup } from "./vip-group";

/** For use as a library: raw settings, validated here once. */
/**
 * A Director used directly. The settings are typed from the schema's input type
 * (DirectorSettingsInput). The host's address and SSH settings, and the real servers' addresses
 * and weights in the VipGroups, may be pulumi.Inputs. The settings here are plain values, each
 * for the reason its comment gives: they are checked when the component is constructed, before
 * any resource exists.
 */
export interface DirectorArgs {
    host: HostInput;
    vipGroups: VipGroup[];
    /** The client-facing interface that carries the VIP aliases. Default ens33. Plain: it is the host's own interface name, which no other resource gives. */
    interface?: DirectorSettingsInput["interface"];
    /** First alias number (ens33:N). Default 0. Plain: like `interface`, a setting of the host. */
    aliasStart?: DirectorSettingsInput["aliasStart"];
    /** Drain of leaving real servers. Default 60 s timeout, 2 s polls. Plain: the stack's own policy, not another resource's output. */
    drain?: DirectorSettingsInput["drain"];
    /** Health-check real servers with keepalived (no VRRP). Default false. Plain: it decides which resources exist (keepalived's steps). */
    healthChecks?: DirectorSettingsInput["healthChecks"];
    /** See ParsedDirectorArgs.realServers. Default none. */
    realServers?: pulumi.Resource[];
}

/** From the cluster builder: settings and host as parseCluster validated them, taken as they are. */
export interface ParsedDirectorArgs {
    parsed: DirectorSettings;
    host: HostAccess;
    vipGroups: VipGroup[];
    /**
     * What makes the real servers behind this director's pools ready to serve (each RealServer's
     * `ready` steps, or the RealServers themselves). Its table waits for them, so a real server
     * added has its VIP (and ARP settings) before the first connection is sent its way, which
     * the host would otherwise drop (bench:lab's load part saw requests wait for a second SYN);
     * a real server removed from the program is deleted after the table has drained it, and
     * destroy takes the table down before them. Default none.
     */
    realServers?: pulumi.Resource[];
}

export class Director extends pulumi.ComponentResource {
    readonly model: DirectorModel;
    readonly table: IpvsTable;
    /** Entries as live after the last apply. */
    readonly entries: pulumi.Output<Record<string, string>>;
    /** Counts of the desired services and real-server entries: the registered outputs (the entries are the table's). */
    readonly summary: TableSummary;

    constructor(name: string, args: DirectorArgs | ParsedDirectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lvs:index:Director", name, {}, opts);
        const root = `Director ${name}`;
        const { parsed, host, vipGroups } = "parsed" in args ? args : parseArgs(root, args);
        const realServers = args.realServers ?? [];
        const render = ([address]: string[], groups: GroupView[]) => {
            const model = directorModel(host.name, address, parsed.interface, parsed.aliasStart, groups);
            const steps = directorSteps(model);
            // With health checks keepalived owns the table; the Director keeps its VIPs (keepalived does not touch them).
            const keepalived = parsed.healthChecks ? checksOnlySteps(root, model, groups, parsed.drain) : undefined;
            const all = [steps.install, steps.sysctl, ...steps.vips, ...(steps.marks ? [steps.marks] : []), steps.boot, ...(keepalived ? [keepalived.install, keepalived.config, keepalived.enable] : [])];
            return { model, steps, keepalived, hostSteps: [all], entries: toEntries(model.ruleset) };
        };
        // With Outputs among the args, the scripts and entries come from the same render once they are known.
        const { shape, known } = renderWhenKnown([{ access: host, root }], { shape: vipGroups.map((g) => g.view), known: knownViews(vipGroups) }, render);
        this.model = shape.model;
        const step = stepLookup(shape.hostSteps[0], known?.apply((k) => k.hostSteps[0]));
        const entries = known ? known.apply((k) => k.entries) : shape.entries;

        const { steps, keepalived } = shape;
        const prefix = `${name}-director`;
        const [install, sysctl] = chain(prefix, host, [step(steps.install), step(steps.sysctl)], { parent: this });
        const vips = steps.vips.map((s) => stepCommand(prefix, host, step(s), { parent: this, dependsOn: [sysctl] }));
        const marks = steps.marks ? [stepCommand(prefix, host, step(steps.marks), { parent: this, dependsOn: [install] })] : [];
        this.table = keepalived
            ? keepalivedTable(
                  prefix,
                  host,
                  { install: step(keepalived.install), config: step(keepalived.config), enable: step(keepalived.enable), entries, settle: keepalivedSettle(this.model.ruleset) },
                  { parent: this, dependsOn: [sysctl, ...realServers] },
              ).table
            : new IpvsTable(
                  `${prefix}-ipvs`,
                  {
                      host: host.name,
                      connection: sshTarget(host),
                      entries,
                      drain: parsed.drain,
                      rulesFile: OWNED_RULES_FILE,
                      localAddresses: known ? known.apply((k) => [k.model.address]) : [this.model.address],
                  },
                  { parent: this, dependsOn: [install, ...realServers] },
              );
        stepCommand(prefix, host, step(steps.boot), { parent: this, dependsOn: [...vips, ...marks, this.table] });
        this.entries = this.table.liveEntries;
        this.summary = tableSummary(this.model.ruleset);
        this.registerOutputs({ ...this.summary });
    }
}

/** The one validation of a Director used directly; errors are named `Director <name>...`. */
function parseArgs(root: string, args: DirectorArgs): ParsedDirectorArgs {
    const host = hostAccess(args.host, root);
    const parsed = parseOrThrow(directorSettingsSchema, { interface: args.interface, aliasStart: args.aliasStart, drain: args.drain, healthChecks: args.healthChecks }, root);
    refuseOwnAddress(host, args.vipGroups.map((g) => g.view), root);
    return { parsed, host, vipGroups: args.vipGroups };
}
