/**
 * IP address parsing and canonical forms. ipvsadm prints addresses the way inet_ntop does
 * (IPv4 dotted quad, IPv6 lowercase and RFC 5952 compressed), so config is canonicalised to
 * the same form; otherwise "2001:DB8::1" in a stack and "2001:db8::1" on the host would churn
 * the diff forever.
 */

export type IpFamily = 4 | 6;

const IPV4_OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Canonical IPv4 text, or undefined when `text` is not a plain dotted quad (no leading zeros). */
export function canonicalIpv4(text: string): string | undefined {
    const parts = text.split(".");
    if (parts.length !== 4 || !parts.every((p) => IPV4_OCTET.test(p))) return undefined;
    return parts.join(".");
}

function ipv6Groups(text: string): number[] | undefined {
    if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
    const halves = text.split("::");
    if (halves.length > 2) return undefined;
    const parseHalf = (half: string): number[] | undefined => {
        if (half === "") return [];
        const out: number[] = [];
        const pieces = half.split(":");
        for (let i = 0; i < pieces.length; i++) {
            const piece = pieces[i];
            if (i === pieces.length - 1 && piece.includes(".")) {
                const v4 = canonicalIpv4(piece);
                if (!v4) return undefined;
                const o = v4.split(".").map(Number);
                out.push((o[0] << 8) | o[1], (o[2] << 8) | o[3]);
            } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
                out.push(parseInt(piece, 16));
            } else {
                return undefined;
            }
        }
        return out;
    };
    const head = parseHalf(halves[0]);
    const tail = halves.length === 2 ? parseHalf(halves[1]) : [];
    if (!head || !tail) return undefined;
    if (halves.length === 1) return head.length === 8 ? head : undefined;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** Canonical (RFC 5952) IPv6 text, or undefined when `text` is not an IPv6 address. */
export function canonicalIpv6(text: string): string | undefined {
    const groups = ipv6Groups(text);
    if (!groups) return undefined;
    // The longest run of two or more zero groups collapses to "::" (first one on ties).
    let bestStart = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
        if (groups[i] !== 0) {
            i++;
            continue;
        }
        let j = i;
        while (j < 8 && groups[j] === 0) j++;
        if (j - i > bestLen) {
            bestStart = i;
            bestLen = j - i;
        }
        i = j;
    }
    // IPv4-mapped addresses print their last 32 bits as a dotted quad, as inet_ntop does.
    if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
        return `::ffff:${groups[6] >> 8}.${groups[6] & 0xff}.${groups[7] >> 8}.${groups[7] & 0xff}`;
    }
    const hex = groups.map((g) => g.toString(16));
    if (bestStart < 0) return hex.join(":");
    const left = hex.slice(0, bestStart).join(":");
    const right = hex.slice(bestStart + bestLen).join(":");
    return `${left}::${right}`;
}

/** Canonical address text and its family, or undefined for anything that is not an address. */
export function parseIp(text: string): { address: string; family: IpFamily } | undefined {
    const v4 = canonicalIpv4(text);
    if (v4) return { address: v4, family: 4 };
    const v6 = canonicalIpv6(text);
    if (v6) return { address: v6, family: 6 };
    return undefined;
}

/** The family of an already canonical address. */
export function ipFamily(address: string): IpFamily {
    return address.includes(":") ? 6 : 4;
}

/** IPv4 dotted netmask for a prefix length (0..32). */
export function ipv4Netmask(prefix: number): string {
    const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join(".");
}

/** Prefix length of a contiguous IPv4 netmask, or undefined when it is not contiguous. */
export function ipv4PrefixOf(netmask: string): number | undefined {
    const v4 = canonicalIpv4(netmask);
    if (!v4) return undefined;
    const bits = v4.split(".").reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
    const ones = bits.toString(2).replace(/0+$/, "");
    if (bits !== 0 && /0/.test(ones)) return undefined;
    return bits === 0 ? 0 : ones.length;
}
