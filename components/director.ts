/**
 * Director: installs ipvsadm, sets the kernel settings LVS needs, puts the VIPs on the
 * client-facing interface (ens33:N) and owns the host's ipvs entries through IpvsTable. With
 * healthChecks, keepalived (checks only, no VRRP) builds the table instead and takes a dead
 * real server out until it answers again; the IpvsTable then shows and verifies its entries.
 */
import * as pulumi from "@pulumi/pulumi";
import { directorSchema } from "./schema/director";
import { directorModel, mergeChecks, type DirectorModel, type GroupView } from "./core/host/cluster-model";
import { directorSteps, OWNED_RULES_FILE } from "./core/host/render-director";
import { toEntries } from "./core/ipvs/ipvs-entries";
import { chain, stepCommand, type StepOptions } from "./host-commands";
import { sshTarget } from "./connection";
import { IpvsTable } from "./providers/ipvs-table";
import { renderKeepalived } from "./core/keepalived/render-keepalived";
import { keepalivedSteps } from "./core/keepalived/render-keepalived-steps";
import { keepalivedTable } from "./keepalived-table";
import { ConfigError } from "./base/errors";
import { hostAccess, parseOrThrow, refuseOwnAddress, type HostInput } from "./validate";
import type { HostAccess } from "./connection";
import type { VipGroup } from "./vip-group";

const optionsSchema = directorSchema.omit({ host: true, vipGroups: true });

export interface DirectorArgs {
    host: HostInput;
    vipGroups: VipGroup[];
    /** Default ens33. */
    interface?: string;
    /** First alias number (ens33:N). Default 0. */
    aliasStart?: number;
    /** Drain of leaving real servers. Default 60 s timeout, 2 s polls. */
    drain?: { timeoutSeconds?: number; pollSeconds?: number };
    /** Health-check real servers with keepalived (no VRRP). Default false. */
    healthChecks?: boolean;
}

export class Director extends pulumi.ComponentResource {
    readonly model: DirectorModel;
    readonly table: IpvsTable;
    /** Entries as live after the last apply. */
    readonly entries: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: DirectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lvs:index:Director", name, {}, opts);
        const root = `Director ${name}`;
        const host = hostAccess(args.host, root);
        const options = parseOrThrow(optionsSchema, { interface: args.interface, aliasStart: args.aliasStart, drain: args.drain, healthChecks: args.healthChecks }, root);
        const groups = args.vipGroups.map((g) => g.view);
        refuseOwnAddress(host, groups, root);
        this.model = directorModel(host.name, host.spec.address, options.interface, options.aliasStart, groups);

        const steps = directorSteps(this.model);
        const prefix = `${name}-director`;
        const [install, sysctl] = chain(prefix, host, [steps.install, steps.sysctl], { parent: this });
        const vips = steps.vips.map((s) => stepCommand(prefix, host, s, { parent: this, dependsOn: [sysctl] }));
        this.table = options.healthChecks
            ? checkedTable(prefix, host, this.model, groups, root, { parent: this, dependsOn: [sysctl] })
            : new IpvsTable(
                  `${prefix}-ipvs`,
                  { host: host.name, connection: sshTarget(host), entries: toEntries(this.model.ruleset), drain: options.drain, rulesFile: OWNED_RULES_FILE, localAddresses: [host.spec.address] },
                  { parent: this, dependsOn: [install] },
              );
        stepCommand(prefix, host, steps.boot, { parent: this, dependsOn: [...vips, this.table] });
        this.entries = this.table.entries;
        this.registerOutputs({ entries: this.entries });
    }
}

/** keepalived in checks-only mode owns the table; the Director keeps its VIPs (keepalived does not touch them). */
function checkedTable(prefix: string, host: HostAccess, model: DirectorModel, groups: GroupView[], root: string, opts: StepOptions): IpvsTable {
    const checks = mergeChecks(groups);
    if (!Object.values(checks).some((c) => c.healthCheck !== undefined)) {
        throw new ConfigError([`${root}.healthChecks: is on, but no service of its VipGroups has a healthCheck. Fix: add healthCheck to the services to check, or turn healthChecks off.`]);
    }
    const conf = renderKeepalived({ routerId: host.name, owner: root, ruleset: model.ruleset, checks });
    const steps = keepalivedSteps({ conf, vips: [], ruleset: model.ruleset });
    return keepalivedTable(prefix, host, steps, model.ruleset, opts);
}
