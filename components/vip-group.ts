/**
 * VipGroup: VIPs, their virtual services and real-server pools. Pure: it touches no host. It
 * validates its spec and yields the desired ipvs ruleset, which Directors and HaPairs apply.
 */
import * as pulumi from "@pulumi/pulumi";
import { vipGroupSchema, type VipGroupSpec } from "./schema/vip-group";
import { ConfigError, issueLines } from "./base/errors";
import { groupView, type AddressBook, type GroupView } from "./core/host/cluster-model";
import { toEntries } from "./core/ipvs/ipvs-entries";

export interface VipGroupArgs {
    /** The group (see the config reference); validated here. */
    spec: unknown;
    /** Addresses of hosts named in pools by `host:`. */
    hosts?: AddressBook;
}

export class VipGroup extends pulumi.ComponentResource {
    /** The validated spec. */
    readonly spec: VipGroupSpec;
    /** Plain data for Directors and HaPairs. */
    readonly view: GroupView;
    /** Desired entries, keyed by identity, as ipvsadm would save them. */
    readonly entries: pulumi.Output<Record<string, string>>;
    readonly vips: pulumi.Output<string[]>;

    constructor(name: string, args: VipGroupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lvs:index:VipGroup", name, {}, opts);
        const parsed = vipGroupSchema.safeParse(args.spec);
        if (!parsed.success) throw new ConfigError(issueLines(`VipGroup ${name}`, parsed.error));
        this.spec = parsed.data;
        this.view = groupView(args.hosts ?? {}, this.spec);
        this.entries = pulumi.output(toEntries(this.view.ruleset));
        this.vips = pulumi.output(this.view.vips);
        this.registerOutputs({ entries: this.entries, vips: this.vips });
    }
}
