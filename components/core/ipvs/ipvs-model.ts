/**
 * The ipvs table model: identity keys kept apart from settings, canonical ids and a
 * normaliser that makes two equal tables structurally equal (sorted, canonical values).
 *
 * Id formats (also the text ipvsadm itself uses, so they read naturally in a preview):
 * - service: `-t 192.168.13.100:80`, `-u [2001:db8::1]:53`, `--sctp-service 10.0.0.1:9`,
 *   `-f 7` (IPv4 fwmark), `-f 7 -6` (IPv6 fwmark). Fwmarks are unsigned decimal.
 * - dest: `<service id> -r <ADDR:PORT>`, e.g. `-t 192.168.13.100:80 -r 192.168.13.112:80`.
 */
import { compareAddresses, canonicalAddress, formatAddrPort, parseAddress } from "../../base/address";
import { canonicalNetmask } from "../../base/netmask";
import type { Family } from "../../base/address";

/** Transport protocol of an address-based virtual service. */
export type Protocol = "tcp" | "udp" | "sctp";

/**
 * Identity of a virtual service. `address` is canonical: IPv4 dotted, IPv6 lowercase
 * compressed, no brackets. `mark` is an unsigned 32-bit fwmark (1..4294967295).
 */
export type ServiceKey =
    | { kind: "addr"; protocol: Protocol; address: string; port: number }
    | { kind: "fwmark"; mark: number; family: Family };

/** Settings of a virtual service (everything `-A`/`-E` sets besides the key). */
export interface ServiceSettings {
    /** Scheduler name; ipvsadm's default is wlc. */
    scheduler: string;
    /** Scheduler flags, canonical names for the scheduler (sh-*, mh-* or flag-N), sorted. */
    schedFlags: string[];
    /**
     * Persistence (`-p`, default timeout 300 s). `netmask` is omitted for the host mask
     * (/32 or /128); IPv4 as a dotted quad, IPv6 as a prefix length such as "64".
     */
    persistence?: { timeout: number; netmask?: string };
    /** Persistence engine (`--pe`), e.g. "sip". */
    pe?: string;
    /** One-packet scheduling (`-o`). */
    onePacket: boolean;
}

/** Packet forwarding method: direct routing (-g), NAT (-m) or tunnelling (-i). */
export type Forwarding = "dr" | "nat" | "tun";

/** Tunnel encapsulation of a tunnelling real server; `port` only for gue. */
export interface TunnelSettings {
    type: "ipip" | "gue" | "gre";
    port?: number;
    checksum: "nocsum" | "csum" | "remcsum";
}

/** Identity of a real server within its service. */
export interface DestKey {
    address: string;
    port: number;
}

/** Settings of a real server (everything `-a`/`-e` sets besides the key). */
export interface DestSettings {
    forwarding: Forwarding;
    /** 0..65535; 0 quiesces the server (no new connections). ipvsadm's default is 1. */
    weight: number;
    /** Connection thresholds (-x/-y); 0 means none. */
    upperThreshold: number;
    lowerThreshold: number;
    /** Present exactly when forwarding is "tun". */
    tunnel?: TunnelSettings;
}

/** A real server entry. */
export interface IpvsDest {
    key: DestKey;
    settings: DestSettings;
}

/** A virtual service entry with its real servers. */
export interface IpvsService {
    key: ServiceKey;
    settings: ServiceSettings;
    dests: IpvsDest[];
}

/** A whole ipvs table, or the part of it a stack cares about. */
export interface Ruleset {
    services: IpvsService[];
}

/** ipvsadm's defaults, used when an option is left out. */
export const IPVS_DEFAULTS = {
    scheduler: "wlc",
    persistenceTimeout: 300,
    weight: 1,
    forwarding: "dr" as Forwarding,
} as const;

const PROTOCOL_SWITCH: Record<Protocol, string> = { tcp: "-t", udp: "-u", sctp: "--sctp-service" };
const PROTOCOL_ORDER: Protocol[] = ["tcp", "udp", "sctp"];

/** Address family of a service: from its address, or the fwmark's `-6`. */
export function serviceFamily(k: ServiceKey): Family {
    return k.kind === "fwmark" ? k.family : parseAddress(k.address).family;
}

/** The ipvsadm arguments naming a service, e.g. ["-t", "10.0.0.1:80"] or ["-f", "7", "-6"]. */
export function serviceKeyArgs(k: ServiceKey): string[] {
    if (k.kind === "fwmark") return k.family === "inet6" ? ["-f", String(k.mark), "-6"] : ["-f", String(k.mark)];
    return [PROTOCOL_SWITCH[k.protocol], formatAddrPort(k.address, k.port)];
}

/** Canonical service id (see module doc), e.g. "-t 192.168.13.100:80" or "-f 7 -6". */
export function serviceId(k: ServiceKey): string {
    return serviceKeyArgs(k).join(" ");
}

/** Canonical dest id: "<service id> -r <ADDR:PORT>". */
export function destId(s: ServiceKey, d: DestKey): string {
    return `${serviceId(s)} -r ${formatAddrPort(d.address, d.port)}`;
}

/** Entry id of a service as the preview shows it: "-A <service id>". */
export function serviceEntryId(k: ServiceKey): string {
    return `-A ${serviceId(k)}`;
}

/** Entry id of a dest as the preview shows it: "-a <dest id>". */
export function destEntryId(s: ServiceKey, d: DestKey): string {
    return `-a ${destId(s, d)}`;
}

/** Stable order of services: address services (tcp, udp, sctp; by address, port) then fwmarks. */
export function compareServiceKeys(a: ServiceKey, b: ServiceKey): number {
    if (a.kind !== b.kind) return a.kind === "addr" ? -1 : 1;
    if (a.kind === "fwmark" && b.kind === "fwmark") {
        if (a.mark !== b.mark) return a.mark - b.mark;
        return a.family === b.family ? 0 : a.family === "inet" ? -1 : 1;
    }
    if (a.kind === "addr" && b.kind === "addr") {
        const p = PROTOCOL_ORDER.indexOf(a.protocol) - PROTOCOL_ORDER.indexOf(b.protocol);
        if (p !== 0) return p;
        return compareAddresses(a.address, b.address) || a.port - b.port;
    }
    return 0;
}

/** Stable order of real servers: by address (IPv4 first), then port. */
export function compareDestKeys(a: DestKey, b: DestKey): number {
    return compareAddresses(a.address, b.address) || a.port - b.port;
}

// Scheduler flag bits are shared: sh-fallback, mh-fallback and flag-1 are one bit, and so
// on; ipvsadm prints the name that belongs to the scheduler.
const FLAG_BITS: Record<string, number> = {
    "flag-1": 0,
    "flag-2": 1,
    "flag-3": 2,
    "sh-fallback": 0,
    "sh-port": 1,
    "mh-fallback": 0,
    "mh-port": 1,
};

function flagName(scheduler: string, bit: number): string {
    if ((scheduler === "sh" || scheduler === "mh") && bit < 2) {
        return `${scheduler}-${bit === 0 ? "fallback" : "port"}`;
    }
    return `flag-${bit + 1}`;
}

/** Every scheduler flag name ipvsadm knows. */
export const SCHED_FLAG_NAMES: readonly string[] = Object.keys(FLAG_BITS);

/** Scheduler flags as bit numbers (0..2); throws on an unknown flag name. */
export function schedFlagBits(flags: readonly string[]): number[] {
    const bits = new Set<number>();
    for (const f of flags) {
        const bit = FLAG_BITS[f];
        if (bit === undefined) throw new Error(`unknown scheduler flag "${f}": expected one of ${SCHED_FLAG_NAMES.join(", ")}`);
        bits.add(bit);
    }
    return [...bits].sort();
}

/** Canonical flag names for a scheduler (aliases folded, deduplicated, sorted). */
export function canonicalSchedFlags(scheduler: string, flags: readonly string[]): string[] {
    return schedFlagBits(flags)
        .map((b) => flagName(scheduler, b))
        .sort();
}

function normalizeServiceKey(k: ServiceKey): ServiceKey {
    if (k.kind === "fwmark") return { kind: "fwmark", mark: k.mark, family: k.family };
    return { kind: "addr", protocol: k.protocol, address: canonicalAddress(k.address), port: k.port };
}

function normalizeServiceSettings(s: ServiceSettings, family: Family): ServiceSettings {
    const out: ServiceSettings = {
        scheduler: s.scheduler,
        schedFlags: canonicalSchedFlags(s.scheduler, s.schedFlags),
        onePacket: s.onePacket,
    };
    if (s.persistence) {
        const netmask = s.persistence.netmask === undefined ? undefined : canonicalNetmask(family, s.persistence.netmask);
        out.persistence = netmask === undefined ? { timeout: s.persistence.timeout } : { timeout: s.persistence.timeout, netmask };
    }
    if (s.pe) out.pe = s.pe;
    return out;
}

function normalizeTunnel(t: TunnelSettings | undefined): TunnelSettings {
    if (!t || t.type === "ipip") return { type: "ipip", checksum: "nocsum" };
    if (t.type === "gre") return { type: "gre", checksum: t.checksum };
    return t.port === undefined ? { type: "gue", checksum: t.checksum } : { type: "gue", port: t.port, checksum: t.checksum };
}

/**
 * Canonical dest: canonical address and settings. The port is kept as given: ipvsadm's rule
 * that DR and TUN real servers take the service port applies to -a/-e input (parseCommand),
 * while the kernel keeps a local real server's own port and `-S` prints it with -g.
 */
export function normalizeDest(d: IpvsDest): IpvsDest {
    const s = d.settings;
    const settings: DestSettings = {
        forwarding: s.forwarding,
        weight: s.weight,
        upperThreshold: s.upperThreshold,
        lowerThreshold: s.lowerThreshold,
    };
    if (s.forwarding === "tun") settings.tunnel = normalizeTunnel(s.tunnel);
    return { key: { address: canonicalAddress(d.key.address), port: d.key.port }, settings };
}

/**
 * Sorted, canonical copy of a ruleset: canonical addresses, netmasks and flag names, tunnel
 * defaults, services and dests in stable order. Throws on duplicate ids.
 */
export function normalizeRuleset(r: Ruleset): Ruleset {
    const seen = new Set<string>();
    const services = r.services.map((svc) => {
        const key = normalizeServiceKey(svc.key);
        const id = serviceId(key);
        if (seen.has(id)) throw new Error(`duplicate virtual service ${id}: each service may appear once`);
        seen.add(id);
        const dests = svc.dests.map(normalizeDest).sort((a, b) => compareDestKeys(a.key, b.key));
        for (let i = 1; i < dests.length; i++) {
            if (compareDestKeys(dests[i - 1].key, dests[i].key) === 0) {
                throw new Error(`duplicate real server ${destId(key, dests[i].key)}: each real server may appear once per service`);
            }
        }
        return { key, settings: normalizeServiceSettings(svc.settings, serviceFamily(key)), dests };
    });
    services.sort((a, b) => compareServiceKeys(a.key, b.key));
    return { services };
}
