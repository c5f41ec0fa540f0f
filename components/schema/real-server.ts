/** RealServer: a host behind VipGroups. Its role (DR, TUN, NAT) follows from the pools that name it. */
import { z } from "zod";
import { interfaceName, ipv4Address, objectName } from "./common";

/** How a DR/TUN real server hides its VIPs from ARP. */
export const arpMethod = z.enum(["sysctl", "arptables"]);
export type ArpMethod = z.infer<typeof arpMethod>;

export const realServerSchema = z.strictObject({
    /** A name from `hosts`. */
    host: objectName,
    /** The interface facing the clients and the director (ARP sysctls are set on it too). Default ens33. */
    interface: interfaceName.default("ens33"),
    /** DR VIPs go on lo:N, lo:N+1, ... Default 0. */
    aliasStart: z.number().int().min(0).max(99).default(0),
    /** NAT only: the director's address on this network, to become the default gateway. */
    natGateway: ipv4Address.optional(),
    /**
     * DR/TUN only: how the host keeps quiet about its IPv4 VIPs on the network. "sysctl" sets
     * arp_ignore=1 and arp_announce=2 (all + interface); "arptables" leaves those alone and
     * installs arptables, with rules in chains of our own: ARP requests for a VIP are dropped,
     * and ARP packets the host sends from a VIP get its own address as source. Default "sysctl".
     */
    arpMethod: arpMethod.default("sysctl"),
});

/** A RealServer's own settings, without the host name the cluster resolves. */
export const realServerSettingsSchema = realServerSchema.omit({ host: true });

export type RealServerSpec = z.infer<typeof realServerSchema>;
export type RealServerSettings = z.infer<typeof realServerSettingsSchema>;
/** What a user writes (zod's input type): defaults optional, unions and literals kept; a misspelled field or a wrong type fails tsc. */
export type RealServerSpecInput = z.input<typeof realServerSchema>;
export type RealServerSettingsInput = z.input<typeof realServerSettingsSchema>;
