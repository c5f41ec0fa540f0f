/**
 * Persistence netmasks: IPv4 takes a dotted quad (255.255.255.0), IPv6 a prefix length (64),
 * as ipvsadm's -M does. Built on the address model in address.ts.
 */
import { tryParseAddress, type Family } from "./address";

/** The IPv4 form of `text` (dotted quad, no leading zeros), or undefined. */
function ipv4(text: string): { address: string; bytes: readonly number[] } | undefined {
    const parsed = tryParseAddress(text);
    return parsed?.family === "inet" ? parsed : undefined;
}

/** Prefix length of a contiguous IPv4 netmask, or undefined when it is not one. */
export function ipv4PrefixOf(netmask: string): number | undefined {
    const v4 = ipv4(netmask);
    if (!v4) return undefined;
    const bits = v4.bytes.reduce((acc, o) => ((acc << 8) | o) >>> 0, 0);
    const ones = bits.toString(2).replace(/0+$/, "");
    if (bits !== 0 && /0/.test(ones)) return undefined;
    return bits === 0 ? 0 : ones.length;
}

/**
 * Canonical persistence netmask for a family: IPv4 dotted quad, IPv6 prefix length.
 * Returns undefined for the host mask (/32, /128), which ipvsadm does not print.
 */
export function canonicalNetmask(family: Family, mask: string): string | undefined {
    if (family === "inet6") {
        if (!/^[0-9]{1,3}$/.test(mask) || Number(mask) < 1 || Number(mask) > 128) {
            throw new Error(`invalid IPv6 persistence netmask "${mask}": expected a prefix length 1..128`);
        }
        return Number(mask) === 128 ? undefined : String(Number(mask));
    }
    const v4 = ipv4(mask);
    if (!v4) throw new Error(`invalid IPv4 persistence netmask "${mask}": expected a dotted quad like 255.255.255.0`);
    return v4.address === "255.255.255.255" ? undefined : v4.address;
}

/** The dotted IPv4 netmask of a prefix length 0..32 (24 -> 255.255.255.0). */
export function ipv4NetmaskOfPrefix(prefix: number): string {
    const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 0xff).join(".");
}
