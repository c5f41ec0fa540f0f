/**
 * How a real server's kernel takes in what IPVS sends it for each tunnel type (the director's
 * ip_vs_xmit.c encapsulates; these modules decapsulate). A packet for which no configured
 * tunnel matches goes to the module's fallback device, which only receives while it is up:
 * - ipip: IPv4 in IPv4 (protocol 4), taken by `ipip` on tunl0; IPv6 in IPv6 (next header 41)
 *   by `ip6_tunnel` on ip6tnl0.
 * - gue: UDP to the tunnel port carrying a GUE header and the same inner packet. `fou` opens
 *   the port (`ip fou add port P gue`) and hands the inner packet back to the stack as protocol
 *   4 / 41, so it lands on tunl0 / ip6tnl0 exactly as ipip does.
 * - gre: GRE (protocol 47) with the inner packet's ethertype, taken by `ip_gre` on gre0 and by
 *   `ip6_gre` on ip6gre0. The fallback devices carry no checksum flag and cannot be changed
 *   (the kernel refuses changelink on them), and a GRE packet whose checksum flag differs from
 *   the receiving device's is dropped: so only nocsum GRE reaches them.
 */
import type { Family } from "../../base/address";
import type { TunnelSettings } from "../ipvs/ipvs-model";

export type TunnelType = TunnelSettings["type"];

/** What one tunnel type needs on the real server: modules to load and the device that receives. */
export interface TunnelReceiver {
    modules: string[];
    device: string;
}

const RECEIVERS: Record<Family, Record<TunnelType, TunnelReceiver>> = {
    inet: {
        ipip: { modules: ["ipip"], device: "tunl0" },
        gue: { modules: ["fou", "ipip"], device: "tunl0" },
        gre: { modules: ["ip_gre"], device: "gre0" },
    },
    inet6: {
        ipip: { modules: ["ip6_tunnel"], device: "ip6tnl0" },
        gue: { modules: ["fou", "ip6_tunnel"], device: "ip6tnl0" },
        gre: { modules: ["ip6_gre"], device: "ip6gre0" },
    },
};

/** ipip first: the order in which a VIP that arrives over several types picks its device. */
export const TUNNEL_TYPES: readonly TunnelType[] = ["ipip", "gue", "gre"];

export function tunnelReceiver(family: Family, type: TunnelType): TunnelReceiver {
    return RECEIVERS[family][type];
}

/** The receiving devices of a family, each once (tunl0, gre0 for IPv4). */
export function tunnelDevices(family: Family): string[] {
    return [...new Set(TUNNEL_TYPES.map((t) => RECEIVERS[family][t].device))];
}

/** The fallback devices; a VIP put on one of them needs the device up. */
export const TUNNEL_DEVICES: ReadonlySet<string> = new Set([...tunnelDevices("inet"), ...tunnelDevices("inet6")]);
