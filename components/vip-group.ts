/**
 * VipGroup: VIPs, their virtual services and real-server pools. Pure: it touches no host. It
 * yields the desired ipvs ruleset, which Directors and HaPairs apply.
 */
import * as pulumi from "@pulumi/pulumi";
import { vipGroupSchema, type VipGroupSpec } from "./schema/vip-group";
import { parseOrThrow } from "./schema/parse";
import { groupView, type AddressBook, type GroupView } from "./core/host/cluster-model";
import { toEntries } from "./core/ipvs/ipvs-entries";
import { tableSummary, type TableSummary } from "./core/ipvs/ipvs-summary";

/** For use as a library: a raw group spec, validated here once. */
export interface VipGroupArgs {
    /** The group (see the config reference). */
    spec: unknown;
    /** Addresses of hosts named in pools by `host:`. Default none. */
    hosts?: AddressBook;
}

/** From the cluster builder: the group as parseCluster validated it, taken as it is. */
export interface ParsedVipGroupArgs {
    parsed: VipGroupSpec;
    hosts: AddressBook;
}

export class VipGroup extends pulumi.ComponentResource {
    /** The validated spec. */
    readonly spec: VipGroupSpec;
    /** Plain data for Directors and HaPairs. */
    readonly view: GroupView;
    /** Desired entries, keyed by identity, as ipvsadm would save them. */
    readonly entries: pulumi.Output<Record<string, string>>;
    readonly vips: pulumi.Output<string[]>;
    /** Counts of the group's services and real-server entries: its registered outputs, with the VIPs. */
    readonly summary: TableSummary;

    constructor(name: string, args: VipGroupArgs | ParsedVipGroupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lvs:index:VipGroup", name, {}, opts);
        this.spec = "parsed" in args ? args.parsed : parseOrThrow(vipGroupSchema, args.spec, `VipGroup ${name}`);
        this.view = groupView(args.hosts ?? {}, this.spec);
        this.entries = pulumi.output(toEntries(this.view.ruleset));
        this.vips = pulumi.output(this.view.vips);
        this.summary = tableSummary(this.view.ruleset);
        this.registerOutputs({ vips: this.vips, ...this.summary });
    }
}
