/**
 * RealServer: a host behind VipGroups. DR: ARP sysctls (or arptables rules, with arpMethod
 * arptables), then the VIPs on lo:N. TUN: for each
 * tunnel type its pools send it, the modules, the receiving device up (tunl0, gre0, ip6tnl0,
 * ip6gre0) and gue ports opened, rp_filter off there, IPv4 VIPs on that device. NAT: the
 * director as default gateway. All of it survives reboot, and destroy restores what was there
 * before.
 */
import * as pulumi from "@pulumi/pulumi";
import { realServerSettingsSchema, type RealServerSettings, type RealServerSettingsInput } from "./schema/real-server";
import { parseOrThrow } from "./schema/parse";
import { realServerModel, type GroupView, type RealServerModel } from "./core/host/cluster-model";
import { realServerSteps } from "./core/host/render-real-server";
import type { HostStep } from "./core/host/host-step";
import { hostAccess, refuseOwnAddress, type HostAccess, type HostInput } from "./parts/host-access";
import { chain, stepCommand, stepLookup } from "./parts/host-steps";
import { renderWhenKnown } from "./parts/host-render";
import { knownViews, type VipGroup } from "./vip-group";

/** For use as a library: raw settings, validated here once. */
/**
 * A RealServer used directly. The settings are typed from the schema's input type
 * (RealServerSettingsInput). The host's address and SSH settings may be pulumi.Inputs; the
 * settings here are plain values, each for the reason its comment gives: they are checked when
 * the component is constructed, before any resource exists.
 */
export interface RealServerArgs {
    host: HostInput;
    /** The groups whose pools list this host; its role and VIPs follow from them. */
    vipGroups: VipGroup[];
    /** Interface facing clients and director. Default ens33. Plain: it is the host's own interface name, which no other resource gives. */
    interface?: RealServerSettingsInput["interface"];
    /** First lo alias number (lo:N). Default 0. Plain: like `interface`, a setting of the host. */
    aliasStart?: RealServerSettingsInput["aliasStart"];
    /**
     * NAT: the director's address, to become the default gateway. Default none. Plain: whether
     * it is set decides whether the host gets its gateway step, and only the addresses and SSH
     * settings of hosts and the addresses and weights of real servers are deferred until known
     * (parts/deferred.ts); pass the director's address as a string.
     */
    natGateway?: RealServerSettingsInput["natGateway"];
    /** DR/TUN: hide the VIPs from ARP with "sysctl" (arp_ignore/arp_announce) or "arptables" rules. Default "sysctl". Plain: it decides which resources exist (the arptables step). */
    arpMethod?: RealServerSettingsInput["arpMethod"];
}

/** From the cluster builder: settings and host as parseCluster validated them, taken as they are. */
export interface ParsedRealServerArgs {
    parsed: RealServerSettings;
    host: HostAccess;
    vipGroups: VipGroup[];
}

export class RealServer extends pulumi.ComponentResource {
    readonly model: RealServerModel;
    /**
     * The steps that make this host able to serve (ARP settings, tunnel, gateway, VIPs): what a
     * director's table waits for before sending it traffic. The boot unit is not among them; it
     * matters only at the next boot, and waiting for it would put it on every converge's path.
     */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: RealServerArgs | ParsedRealServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("lvs:index:RealServer", name, {}, opts);
        const root = `RealServer ${name}`;
        const { parsed, host, vipGroups } = "parsed" in args ? args : parseArgs(root, args);
        const { interface: iface, aliasStart, natGateway, arpMethod } = parsed;
        const render = ([address]: string[], groups: GroupView[]) => {
            const model = realServerModel({ host: host.name, address, interface: iface, aliasStart, natGateway, arpMethod }, groups);
            const s = realServerSteps(model);
            // The order they run in: the host made ready, then its VIPs, then the boot unit.
            const ready = [s.install, s.tunnel, s.sysctl, s.arptables, s.gateway].filter((x): x is HostStep => x !== undefined);
            return { model, ready, vips: s.vips, boot: s.boot, hostSteps: [[...ready, ...s.vips, s.boot]] };
        };
        // With Outputs among the args, the scripts come from the same render once they are known.
        const { shape, known } = renderWhenKnown([{ access: host, root }], { shape: vipGroups.map((g) => g.view), known: knownViews(vipGroups) }, render);
        this.model = shape.model;
        const step = stepLookup(shape.hostSteps[0], known?.apply((k) => k.hostSteps[0]));

        const prefix = `${name}-realserver`;
        const base = chain(prefix, host, shape.ready.map(step), { parent: this });
        const vips = shape.vips.map((st) => stepCommand(prefix, host, step(st), { parent: this, dependsOn: base.slice(-1) }));
        this.ready = [...base, ...vips];
        stepCommand(prefix, host, step(shape.boot), { parent: this, dependsOn: this.ready });
        this.registerOutputs({ vips: this.model.vips.map((v) => v.address), roles: this.model.roles });
    }
}

/** The one validation of a RealServer used directly; errors are named `RealServer <name>...`. */
function parseArgs(root: string, args: RealServerArgs): ParsedRealServerArgs {
    const host = hostAccess(args.host, root);
    const parsed = parseOrThrow(realServerSettingsSchema, { interface: args.interface, aliasStart: args.aliasStart, natGateway: args.natGateway, arpMethod: args.arpMethod }, root);
    refuseOwnAddress(host, args.vipGroups.map((g) => g.view), root);
    return { parsed, host, vipGroups: args.vipGroups };
}
