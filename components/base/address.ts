/**
 * The one model of an IP address, for every layer: parsing, the canonical text, the family
 * and a stable order.
 *
 * Canonical forms follow what `ipvsadm -S -n` prints (glibc `inet_ntop`): IPv4 dotted
 * decimal; IPv6 lowercase with the longest run of two or more zero groups compressed, and
 * IPv4-compatible (`::1.2.3.4`) and IPv4-mapped (`::ffff:1.2.3.4`) addresses in mixed
 * notation. Config is canonicalised to the same form, so that "2001:DB8::1" in a stack and
 * "2001:db8::1" on the host compare equal instead of churning the diff forever.
 */

/** Address family, named as ipvsadm and keepalived name it: inet (IPv4) or inet6 (IPv6). */
export type Family = "inet" | "inet6";

/** A parsed address: family, canonical text and the bytes used for stable ordering. */
export interface ParsedAddress {
    readonly family: Family;
    readonly address: string;
    readonly bytes: readonly number[];
}

function parseIpv4Bytes(text: string): number[] | undefined {
    const parts = text.split(".");
    if (parts.length !== 4) return undefined;
    const bytes: number[] = [];
    for (const part of parts) {
        // Leading zeros are refused: inet_aton, which ipvsadm uses, reads them as octal.
        if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
        const n = Number(part);
        if (n > 255) return undefined;
        bytes.push(n);
    }
    return bytes;
}

function parseHexGroups(text: string): number[] | undefined {
    if (text === "") return [];
    const groups: number[] = [];
    for (const g of text.split(":")) {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        groups.push(parseInt(g, 16));
    }
    return groups;
}

function parseIpv6Words(input: string): number[] | undefined {
    let text = input;
    let tail: number[] = [];
    const lastColon = text.lastIndexOf(":");
    if (lastColon >= 0 && text.slice(lastColon + 1).includes(".")) {
        const v4 = parseIpv4Bytes(text.slice(lastColon + 1));
        if (!v4) return undefined;
        tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
        // Keep the colon when it is part of a "::" right before the IPv4 tail.
        text = text.slice(0, lastColon + 1);
        text = text.endsWith("::") ? text : text.slice(0, -1);
    }
    const halves = text.split("::");
    if (halves.length > 2) return undefined;
    const head = parseHexGroups(halves[0]);
    if (!head) return undefined;
    if (halves.length === 1) {
        const words = [...head, ...tail];
        return words.length === 8 ? words : undefined;
    }
    const rest = parseHexGroups(halves[1]);
    if (!rest) return undefined;
    const fill = 8 - head.length - rest.length - tail.length;
    if (fill < 1) return undefined;
    return [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
}

/** The longest run of two or more zero words (the first one on ties), or undefined. */
function longestZeroRun(words: readonly number[]): { start: number; length: number } | undefined {
    let best: { start: number; length: number } | undefined;
    for (let i = 0; i < words.length; ) {
        if (words[i] !== 0) {
            i++;
            continue;
        }
        let j = i;
        while (j < words.length && words[j] === 0) j++;
        if (j - i >= 2 && j - i > (best?.length ?? 0)) best = { start: i, length: j - i };
        i = j;
    }
    return best;
}

// glibc's inet_ntop writes IPv4-compatible and IPv4-mapped addresses in mixed notation;
// otherwise its output is the RFC 5952 form.
function formatIpv6(words: number[]): string {
    const zeros = (n: number): boolean => words.slice(0, n).every((w) => w === 0);
    const v4 = `${words[6] >> 8}.${words[6] & 0xff}.${words[7] >> 8}.${words[7] & 0xff}`;
    if (zeros(6) && words[6] !== 0) return `::${v4}`;
    if (zeros(5) && words[5] === 0xffff) return `::ffff:${v4}`;
    const hex = words.map((w) => w.toString(16));
    const run = longestZeroRun(words);
    if (!run) return hex.join(":");
    return `${hex.slice(0, run.start).join(":")}::${hex.slice(run.start + run.length).join(":")}`;
}

// Sorting compares addresses over and over; a table has few distinct ones. Bounded so a
// long-lived process cannot grow it without limit.
const CACHE_LIMIT = 4096;
const cache = new Map<string, ParsedAddress | undefined>();

/** Parses an IPv4 or IPv6 address (no brackets, no port); undefined when invalid. */
export function tryParseAddress(text: string): ParsedAddress | undefined {
    if (cache.has(text)) return cache.get(text);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    const parsed = parseUncached(text);
    cache.set(text, parsed);
    return parsed;
}

function parseUncached(text: string): ParsedAddress | undefined {
    const v4 = parseIpv4Bytes(text);
    if (v4) return { family: "inet", address: v4.join("."), bytes: v4 };
    if (!text.includes(":")) return undefined;
    const words = parseIpv6Words(text);
    if (!words) return undefined;
    const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
    return { family: "inet6", address: formatIpv6(words), bytes };
}

/** Parses an address or throws an error that names the offending text. */
export function parseAddress(text: string): ParsedAddress {
    const parsed = tryParseAddress(text);
    if (!parsed) {
        throw new Error(`invalid IP address "${text}": expected IPv4 dotted decimal or IPv6 without brackets`);
    }
    return parsed;
}

/** Canonical text of an address (see module doc); throws on an invalid one. */
export function canonicalAddress(text: string): string {
    return parseAddress(text).address;
}

/**
 * Why an address cannot be a VIP, or undefined when it can: the unspecified address (every
 * address of the host), loopback (never leaves the host) and multicast (no TCP, no ARP
 * owner) are accepted by `ip addr` but never reach a client as a virtual service.
 */
export function unusableAsVip(address: string): string | undefined {
    const p = tryParseAddress(address);
    if (!p) return undefined;
    const b = p.bytes;
    if (b.every((x) => x === 0)) return "the unspecified address (every address of the host)";
    if (p.family === "inet") {
        if (b[0] === 127) return "a loopback address";
        if (b[0] >= 224 && b[0] <= 239) return "a multicast address";
        return undefined;
    }
    if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return "the loopback address";
    if (b[0] === 0xff) return "a multicast address";
    return undefined;
}

/** The family of an address; throws on an invalid one. */
export function familyOf(address: string): Family {
    return parseAddress(address).family;
}

/** "IPv4" or "IPv6", for messages. */
export function familyLabel(family: Family): string {
    return family === "inet" ? "IPv4" : "IPv6";
}

/** Orders two addresses: IPv4 before IPv6, then numerically. */
export function compareAddresses(a: string, b: string): number {
    const pa = parseAddress(a);
    const pb = parseAddress(b);
    if (pa.family !== pb.family) return pa.family === "inet" ? -1 : 1;
    for (let i = 0; i < pa.bytes.length; i++) {
        if (pa.bytes[i] !== pb.bytes[i]) return pa.bytes[i] - pb.bytes[i];
    }
    return 0;
}

/** `ADDR:PORT` as ipvsadm prints it: IPv6 addresses in brackets. */
export function formatAddrPort(address: string, port: number): string {
    return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Splits `ADDR:PORT` or `[ADDR]:PORT` (port optional); undefined when malformed. */
export function splitAddrPort(text: string): { address: string; port?: number } | undefined {
    let host: string;
    let portText: string | undefined;
    if (text.startsWith("[")) {
        const close = text.indexOf("]");
        if (close < 0) return undefined;
        host = text.slice(1, close);
        const rest = text.slice(close + 1);
        // ipvsadm requires a port after a bracketed address.
        if (!rest.startsWith(":")) return undefined;
        portText = rest.slice(1);
    } else if (text.indexOf(":") !== text.lastIndexOf(":") && tryParseAddress(text)?.family === "inet6") {
        // Two colons or more: a bare IPv6 address. ADDR:PORT never reaches the address cache,
        // where 10,000 distinct ones would push out the few addresses a table repeats.
        host = text;
    } else {
        const colon = text.lastIndexOf(":");
        host = colon < 0 ? text : text.slice(0, colon);
        portText = colon < 0 ? undefined : text.slice(colon + 1);
    }
    const parsed = tryParseAddress(host);
    if (!parsed) return undefined;
    if (portText === undefined) return { address: parsed.address };
    if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) return undefined;
    return { address: parsed.address, port: Number(portText) };
}
