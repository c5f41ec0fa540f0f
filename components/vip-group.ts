/**
 * VipGroup: VIPs, their virtual services and real-server pools. Pure: it touches no host. It
 * yields the desired ipvs ruleset, which Directors and HaPairs apply.
 */
import * as pulumi from "@pulumi/pulumi";
import { addressBookSchema, unknownHostIssues, vipGroupSchema, type RealServerRefSpecInput, type ServiceSpecInput, type VipGroupSpec, type VipGroupSpecInput } from "./schema/vip-group";
import { ConfigError } from "./base/errors";
import { parseOrThrow } from "./schema/parse";
import { groupView, type AddressBook, type GroupView } from "./core/host/cluster-model";
import { toEntries } from "./core/ipvs/ipvs-entries";
import { tableSummary, type TableSummary } from "./core/ipvs/ipvs-summary";
import { GROUP_FIELDS, holdsOutputs, whenKnown, withStandIns, type WithInputs } from "./parts/deferred";

/** A pool's real server as VipGroupArgs takes it: RealServerRefSpecInput, with `address` and `weight` as pulumi.Inputs too. */
export type RealServerRefArgs = WithInputs<RealServerRefSpecInput, "address" | "weight">;
/** A virtual service as VipGroupArgs takes it: ServiceSpecInput, with its real servers as RealServerRefArgs. */
export type ServiceSpecArgs = Omit<ServiceSpecInput, "realServers"> & { realServers?: RealServerRefArgs[] };
/** A group as VipGroupArgs takes it: VipGroupSpecInput (defaults optional), with its services as ServiceSpecArgs. */
export type VipGroupSpecArgs = Omit<VipGroupSpecInput, "services"> & { services: ServiceSpecArgs[] };

/** For use as a library: a group spec, validated here once. */
export interface VipGroupArgs {
    /**
     * The group (see the config reference). A real server's `address` and `weight` may be
     * pulumi.Inputs (for instance the address of a VM this program creates); they are validated
     * once known. Outputs elsewhere are refused: the VIPs, services and pools decide which
     * resources exist.
     */
    spec: VipGroupSpecArgs;
    /** Addresses of hosts named in pools by `host:`; each address may be a pulumi.Input. Default none. */
    hosts?: Readonly<Record<string, { address: pulumi.Input<string> }>>;
}

/** From the cluster builder: the group as parseCluster validated it, taken as it is. */
export interface ParsedVipGroupArgs {
    parsed: VipGroupSpec;
    hosts: AddressBook;
}

export class VipGroup extends pulumi.ComponentResource {
    /** The validated spec (with stand-ins for values that were Outputs: see `known`). */
    readonly spec: VipGroupSpec;
    /** Plain data for Directors and HaPairs: their shape. With Outputs among the args, the addresses and weights in it are stand-ins. */
    readonly view: GroupView;
    /** Present when some of the args were Outputs: the view with the real values, validated once they are known. */
    readonly known?: pulumi.Output<GroupView>;
    /** Desired entries, keyed by identity, as ipvsadm would save them. */
    readonly entries: pulumi.Output<Record<string, string>>;
    readonly vips: pulumi.Output<string[]>;
    /** Counts of the group's services and real-server entries: its registered outputs, with the VIPs. */
    readonly summary: TableSummary;

    constructor(name: string, args: VipGroupArgs | ParsedVipGroupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lvs:index:VipGroup", name, {}, opts);
        const root = `VipGroup ${name}`;
        if ("parsed" in args) {
            this.spec = args.parsed;
            this.view = groupView(args.hosts, this.spec);
            this.entries = pulumi.output(toEntries(this.view.ruleset));
        } else if (!holdsOutputs([args.spec, args.hosts])) {
            const parsed = parseGroup(args.spec, args.hosts, root);
            this.spec = parsed.spec;
            this.view = groupView(parsed.hosts, this.spec);
            this.entries = pulumi.output(toEntries(this.view.ruleset));
        } else {
            // A pool's stand-in address for `host: rs1` is the one RealServer rs1 gets for an Output address.
            const hosts = withStandIns(args.hosts ?? {}, `${root}.hosts`, GROUP_FIELDS, (path) => String(path[0]));
            const parsed = parseGroup(withStandIns(args.spec, root, GROUP_FIELDS, (path) => `${root}.${path.join(".")}`), hosts, root);
            this.spec = parsed.spec;
            this.view = groupView(parsed.hosts, this.spec);
            this.known = whenKnown([args.spec, args.hosts ?? {}], (plain) => {
                const [spec, book] = plain as [unknown, unknown];
                const known = parseGroup(spec, book, root);
                return groupView(known.hosts, known.spec);
            });
            this.entries = this.known.apply((view) => toEntries(view.ruleset));
        }
        this.vips = pulumi.output(this.view.vips);
        this.summary = tableSummary(this.view.ruleset);
        this.registerOutputs({ vips: this.vips, ...this.summary });
    }
}

/** The one validation of a VipGroup used directly: its spec, its address book, and the hosts its pools name against the book. */
function parseGroup(rawSpec: unknown, rawHosts: unknown, root: string): { spec: VipGroupSpec; hosts: AddressBook } {
    const spec = parseOrThrow(vipGroupSchema, rawSpec, root);
    const hosts = parseOrThrow(addressBookSchema, rawHosts ?? {}, `${root}.hosts`);
    const unknown = unknownHostIssues(spec, hosts, root);
    if (unknown.length > 0) throw new ConfigError(unknown);
    return { spec, hosts };
}

/** The views of these groups with their real values: known now, or later when some were Outputs. */
export function knownViews(groups: readonly VipGroup[]): pulumi.Output<GroupView[]> | undefined {
    if (!groups.some((g) => g.known)) return undefined;
    return pulumi.all(groups.map((g) => g.known ?? pulumi.output(g.view))) as pulumi.Output<GroupView[]>;
}
