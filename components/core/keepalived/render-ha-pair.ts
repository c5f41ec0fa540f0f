/**
 * An HaPair node: a director whose VIPs and ipvs table belong to keepalived. The node keeps the
 * director's package, kernel module and sysctls, but gets no VIP steps: keepalived adds the VIPs
 * on the master only and rebuilds the table itself when it starts at boot. Marks of fwmark
 * services are the director's on both nodes, since either may be master; they alone need a
 * boot unit here.
 */
import type { GroupView } from "../host/cluster-model";
import { directorModel, mergeChecks, type DirectorModel } from "../host/cluster-model";
import type { HostStep } from "../host/host-step";
import { directorSteps, vsSysctl } from "../host/render-director";
import { bootStep } from "../host/render-boot";
import { LOAD_MARKS_AT_BOOT } from "../host/render-fwmark";
import { renderKeepalived, type KeepalivedConfig, type VrrpInstance } from "./render-keepalived";
import { keepalivedSteps, type KeepalivedSteps } from "./render-keepalived-steps";
import { handbackStep } from "./render-handback";
import { ConfigError } from "../../base/errors";
import type { HaPairSpec } from "../../schema/ha-pair";
import { familyLabel, familyOf } from "../../base/address";

/**
 * How often a connection with traffic is synced to the other node, in seconds. By default the
 * kernel syncs a connection at its 3rd incoming packet and then every 50th, so a node that
 * comes back (failback) learns a quiet long-lived connection minutes later, if ever, and resets
 * it when it takes the VIP. With the period at 0 and a refresh period, each connection that
 * receives a packet is synced again once its timer has moved this far, so a returning node
 * knows every connection with traffic within this plus the sync daemon's 2 s send delay: a
 * preemptDelay above both lets failback keep connections.
 */
export const SYNC_REFRESH_SECONDS = 2;
const SYNC_SYSCTLS = [
    [vsSysctl("sync_threshold"), "3 0"],
    [vsSysctl("sync_refresh_period"), SYNC_REFRESH_SECONDS],
] as const;

/** A node as the validated pair has it, plus its host's address: the unicast VRRP source and the peer's target. */
export type HaNodeInput = HaPairSpec["nodes"][number] & { address: string };

/** A validated pair (haPairSchema's output, defaults applied) whose nodes carry their addresses. */
export type HaPairInput = Omit<HaPairSpec, "nodes"> & { nodes: readonly [HaNodeInput, HaNodeInput] };

export interface HaNode {
    host: string;
    model: DirectorModel;
    keepalived: KeepalivedConfig;
    conf: string;
    /** install, sysctl and marks as a director has them, a boot unit for the marks; then the keepalived steps. */
    steps: { install: HostStep; sysctl: HostStep; marks?: HostStep; boot?: HostStep; keepalived: KeepalivedSteps; handback?: HostStep };
}

/** Both nodes of a pair, rendered. Throws ConfigError for combinations keepalived would refuse. */
export function haPairNodes(pair: HaPairInput, groups: GroupView[]): [HaNode, HaNode] {
    const owner = `HaPair ${pair.name}`;
    const [a, b] = pair.nodes;
    const vipFamilies = new Set(groups.flatMap((g) => g.vips).map(familyOf));
    // The instance speaks IPv4 VRRP when any VIP is IPv4 (IPv6 VIPs ride along as excluded), else IPv6.
    const vrrpFamily = vipFamilies.has("inet") ? "inet" : "inet6";
    if (pair.unicast) {
        const vrrp = familyLabel(vrrpFamily);
        const other = familyLabel(vrrpFamily === "inet" ? "inet6" : "inet");
        const wrong = pair.nodes.filter((n) => familyOf(n.address) !== vrrpFamily);
        if (wrong.length > 0) {
            throw new ConfigError([
                `${owner}.unicast: VRRP runs over ${vrrp} here (from the VIPs), but ${wrong.map((n) => `${n.host} (${n.address})`).join(", ")} has an ${other} address; unicast peers must match. Fix: use multicast, or give the nodes ${vrrp} addresses.`,
            ]);
        }
    }
    return [node(pair, a, b, groups, owner), node(pair, b, a, groups, owner)];
}

function node(pair: HaPairInput, self: HaNodeInput, peer: HaNodeInput, groups: GroupView[], owner: string): HaNode {
    const model = directorModel(self.host, self.address, self.interface, pair.aliasStart, groups);
    // keepalived ignores nopreempt and preempt_delay unless the instance starts as BACKUP.
    const waits = pair.nopreempt || pair.preemptDelay !== undefined;
    const vrrp: VrrpInstance = {
        name: pair.name,
        state: !waits && self.priority > peer.priority ? "MASTER" : "BACKUP",
        interface: self.interface,
        virtualRouterId: pair.virtualRouterId,
        priority: self.priority,
        advertInt: pair.advertInt,
        nopreempt: pair.nopreempt,
        syncConnections: pair.syncConnections,
        vips: model.vips,
    };
    if (pair.preemptDelay !== undefined) vrrp.preemptDelay = pair.preemptDelay;
    if (pair.authentication) vrrp.password = pair.authentication.password;
    if (pair.unicast) vrrp.unicast = { source: self.address, peer: peer.address };
    const keepalived: KeepalivedConfig = { routerId: self.host, owner, vrrp, ruleset: model.ruleset, checks: mergeChecks(groups) };
    const conf = renderKeepalived(keepalived);
    const director = directorSteps(model, pair.syncConnections ? SYNC_SYSCTLS : []);
    const steps: HaNode["steps"] = { install: director.install, sysctl: director.sysctl, keepalived: keepalivedSteps({ conf, vips: model.vips, ruleset: model.ruleset, drain: pair.drain, maintenance: self.maintenance }) };
    const handback = handbackStep(pair, { self, peer });
    if (handback) steps.handback = handback;
    if (director.marks) {
        steps.marks = director.marks;
        steps.boot = bootStep("director", [LOAD_MARKS_AT_BOOT], { holds: "fwmark marks" });
    }
    return { host: self.host, model, keepalived, conf, steps };
}
