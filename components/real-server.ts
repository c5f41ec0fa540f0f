/**
 * RealServer: a host behind VipGroups. DR: ARP sysctls, then the VIPs on lo:N. TUN: ipip,
 * rp_filter off, VIPs on tunl0. NAT: the director as default gateway. All of it survives
 * reboot, and destroy restores what was there before.
 */
import * as pulumi from "@pulumi/pulumi";
import { realServerSchema } from "./schema/real-server";
import { realServerModel, type RealServerModel } from "./core/host/cluster-model";
import { realServerSteps } from "./core/host/render-real-server";
import type { HostStep } from "./core/host/host-step";
import { chain, stepCommand } from "./host-commands";
import { hostAccess, parseOrThrow, refuseOwnAddress, type HostInput } from "./validate";
import type { VipGroup } from "./vip-group";

const optionsSchema = realServerSchema.omit({ host: true });

export interface RealServerArgs {
    host: HostInput;
    /** The groups whose pools list this host; its role and VIPs follow from them. */
    vipGroups: VipGroup[];
    /** Interface facing clients and director. Default ens33. */
    interface?: string;
    /** First lo alias number (lo:N). Default 0. */
    aliasStart?: number;
    /** NAT: the director's address, to become the default gateway. */
    natGateway?: string;
}

export class RealServer extends pulumi.ComponentResource {
    readonly model: RealServerModel;

    constructor(name: string, args: RealServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lvs:index:RealServer", name, {}, opts);
        const root = `RealServer ${name}`;
        const host = hostAccess(args.host, root);
        const options = parseOrThrow(optionsSchema, { interface: args.interface, aliasStart: args.aliasStart, natGateway: args.natGateway }, root);
        const groups = args.vipGroups.map((g) => g.view);
        refuseOwnAddress(host, groups, root);
        this.model = realServerModel({ host: host.name, address: host.spec.address, ...options }, groups);

        const steps = realServerSteps(this.model);
        const prefix = `${name}-realserver`;
        const ordered: HostStep[] = [steps.tunnel, steps.sysctl, steps.gateway].filter((s): s is HostStep => s !== undefined);
        const base = chain(prefix, host, ordered, { parent: this });
        const vips = steps.vips.map((s) => stepCommand(prefix, host, s, { parent: this, dependsOn: base.slice(-1) }));
        stepCommand(prefix, host, steps.boot, { parent: this, dependsOn: [...base, ...vips] });
        this.registerOutputs({ vips: this.model.vips.map((v) => v.address), roles: this.model.roles });
    }
}
