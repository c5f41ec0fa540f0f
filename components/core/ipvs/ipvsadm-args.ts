/**
 * ipvsadm's command-line grammar (1.31) as it applies to entry lines: the `-A` (service) and
 * `-a` (real server) lines that `ipvsadm -S` prints and that entry ids/values spell. One
 * reader for both, so they agree with the real tool on defaults (scheduler wlc, weight 1, DR,
 * `-p` 300 s), on the port rule for DR/TUN and on which combinations it refuses. Error
 * messages are ipvsadm's own wording.
 *
 * Every switch ipvsadm knows is tokenised (ipvsadm-tokens.ts), so a stray one is refused with
 * ipvsadm's message. The other commands (-E, -D, -L, -S, ...) are read only by the test fake,
 * which builds its dispatcher from the pieces exported here (test/support/ipvsadm-command.ts).
 */
import { splitAddrPort, tryParseAddress, type Family } from "../../base/address";
import { canonicalNetmask } from "../../base/netmask";
import { IPVS_DEFAULTS, canonicalSchedFlags, schedFlagBits } from "./ipvs-model";
import { COLUMNS, IpvsadmUsageError, columnOf, tokenize, type RawOption } from "./ipvsadm-tokens";
import type { DestSettings, Forwarding, IpvsDest, Protocol, ServiceKey, ServiceSettings, TunnelSettings } from "./ipvs-model";

/** A parsed entry line, with ipvsadm's defaults filled in. */
export type EntryLine = { cmd: "add-service"; key: ServiceKey; settings: ServiceSettings } | { cmd: "add-dest"; service: ServiceKey; dest: IpvsDest };

/** Reader options. */
export interface ArgsOptions {
    /** Accept negative fwmarks as `ipvsadm -S` 1.31 prints marks >= 2^31 (default false). */
    signedFwmark?: boolean;
    /**
     * Keep real-server ports as written instead of applying ipvsadm's DR/TUN port rule
     * (default false). For `-S` output, which prints the kernel's ports: a local real server
     * keeps its own port yet is printed with -g.
     */
    literalPorts?: boolean;
}

/** Options of -A/-E and of -a/-e, by column. */
export const SERVICE_OPTS = ["scheduler", "persistent", "netmask", "ops", "pe", "sched-flags"];
export const DEST_OPTS = ["forwarding-method", "weight", "u-threshold", "l-threshold", "tun-type", "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum"];

/** Which columns a command requires and which it allows besides (ipvsadm's legality table). */
export interface CommandRule {
    required: string[];
    optional: string[];
}

/** The rules of the two entry commands. */
export const ENTRY_RULES: Readonly<Record<"add-service" | "add-server", CommandRule>> = {
    "add-service": { required: ["service-address"], optional: SERVICE_OPTS },
    "add-server": { required: ["service-address", "real-server"], optional: DEST_OPTS },
};

const MAX_TIMEOUT = 86400 * 31;
const INT_MAX = 2 ** 31 - 1;

function toNumber(text: string | undefined, min: number, max: number): number | undefined {
    if (text === undefined || !/^-?[0-9]+$/.test(text)) return undefined;
    const n = Number(text);
    return n >= min && n <= max ? n : undefined;
}

function parseFwmark(text: string, signed: boolean): number {
    const n = toNumber(text, signed ? -(2 ** 31) : 1, 2 ** 32 - 1);
    if (n === undefined || n === 0) throw new IpvsadmUsageError(`invalid fwmark value \`${text}' specified`);
    return n < 0 ? n + 2 ** 32 : n;
}

/** A line's options as read, before a command's checks turn them into a service or real server. */
export interface Draft {
    key?: ServiceKey;
    family: Family;
    scheduler?: string;
    persistence?: { timeout: number; netmask?: string };
    pe?: string;
    onePacket: boolean;
    schedFlags?: string;
    dest?: { address: string; port?: number; family: Family };
    forwarding: Forwarding;
    weight: number;
    upper: number;
    lower: number;
    tunType: TunnelSettings["type"];
    tunPort?: number;
    checksums: TunnelSettings["checksum"][];
}

const PROTOCOL_OF: Record<string, Protocol> = { "tcp-service": "tcp", "udp-service": "udp", "sctp-service": "sctp" };

function applyOption(d: Draft, o: RawOption, opts: ArgsOptions): void {
    const v = o.value ?? "";
    switch (o.id) {
        case "tcp-service":
        case "udp-service":
        case "sctp-service": {
            const ap = splitAddrPort(v);
            if (!ap) throw new IpvsadmUsageError("illegal virtual server address[:port] specified");
            d.key = { kind: "addr", protocol: PROTOCOL_OF[o.id], address: ap.address, port: ap.port ?? 0 };
            d.family = tryParseAddress(ap.address)?.family ?? "inet";
            return;
        }
        case "fwmark-service":
            d.key = { kind: "fwmark", mark: parseFwmark(v, opts.signedFwmark ?? false), family: "inet" };
            d.family = "inet";
            return;
        case "ipv6":
            if (d.key?.kind !== "fwmark") throw new IpvsadmUsageError("-6 used before -f\n");
            d.key = { ...d.key, family: "inet6" };
            d.family = "inet6";
            return;
        case "scheduler":
            d.scheduler = v;
            return;
        case "persistent": {
            const t = o.value === undefined ? IPVS_DEFAULTS.persistenceTimeout : toNumber(v, 1, MAX_TIMEOUT);
            if (t === undefined) throw new IpvsadmUsageError(`invalid timeout value \`${v}' specified`);
            d.persistence = { ...d.persistence, timeout: t };
            return;
        }
        case "netmask": {
            // Stricter than ipvsadm on purpose: its inet_aton reads "-M 24" as 0.0.0.24.
            const valid = d.family === "inet6" ? toNumber(v, 1, 128) !== undefined : tryParseAddress(v)?.family === "inet";
            if (!valid) {
                throw new IpvsadmUsageError(d.family === "inet6" ? "illegal ipv6 netmask specified" : "illegal virtual server persistent mask specified");
            }
            d.persistence = { timeout: d.persistence?.timeout ?? 0, netmask: canonicalNetmask(d.family, v) };
            return;
        }
        case "real-server": {
            const ap = splitAddrPort(v);
            if (!ap) throw new IpvsadmUsageError("illegal real server address[:port] specified");
            d.dest = { address: ap.address, port: ap.port, family: tryParseAddress(ap.address)?.family ?? "inet" };
            return;
        }
        case "gatewaying":
        case "ipip":
        case "masquerading":
            d.forwarding = o.id === "gatewaying" ? "dr" : o.id === "ipip" ? "tun" : "nat";
            return;
        case "weight":
            d.weight = requireNumber(v, 0, 65535, "illegal weight specified");
            return;
        case "u-threshold":
            d.upper = requireNumber(v, 0, INT_MAX, "illegal u_threshold specified");
            return;
        case "l-threshold":
            d.lower = requireNumber(v, 0, INT_MAX, "illegal l_threshold specified");
            return;
        case "ops":
            d.onePacket = true;
            return;
        case "pe":
            d.pe = v;
            return;
        case "sched-flags":
            d.schedFlags = v;
            return;
        case "tun-type":
            if (v !== "ipip" && v !== "gue" && v !== "gre") throw new IpvsadmUsageError("illegal tunnel type specified");
            d.tunType = v;
            return;
        case "tun-port":
            d.tunPort = requireNumber(v, 1, 65535, "illegal tunnel port specified");
            return;
        case "tun-nocsum":
        case "tun-csum":
        case "tun-remcsum":
            d.checksums.push(o.id === "tun-nocsum" ? "nocsum" : o.id === "tun-csum" ? "csum" : "remcsum");
            return;
        default:
            return;
    }
}

function requireNumber(text: string, min: number, max: number, message: string): number {
    const n = toNumber(text, min, max);
    if (n === undefined) throw new IpvsadmUsageError(message);
    return n;
}

/** Refuses, as ipvsadm does, a missing required column or one the command does not take. */
export function checkLegality(command: string, seen: ReadonlySet<string>, rules: Readonly<Record<string, CommandRule>>): void {
    const rule = rules[command];
    if (!rule) throw new IpvsadmUsageError(`unsupported command '${command}'`);
    for (const col of COLUMNS) {
        if (!seen.has(col)) {
            if (rule.required.includes(col)) throw new IpvsadmUsageError(`You need to supply the '${col}' option for the '${command}' command`);
        } else if (!rule.required.includes(col) && !rule.optional.includes(col)) {
            throw new IpvsadmUsageError(`Illegal '${col}' option with the '${command}' command`);
        }
    }
}

// Which tunnel options each tunnel type takes: 'x' illegal, '+' required, '1' one of a group.
const TUNNEL_RULES: Record<TunnelSettings["type"], Record<string, "x" | "+" | "1">> = {
    ipip: { "tun-port": "x", "tun-nocsum": "x", "tun-csum": "x", "tun-remcsum": "x" },
    gue: { "tun-port": "+", "tun-nocsum": "1", "tun-csum": "1", "tun-remcsum": "1" },
    gre: { "tun-port": "x", "tun-nocsum": "1", "tun-csum": "1", "tun-remcsum": "x" },
};

function checkTunnel(type: TunnelSettings["type"], seen: ReadonlySet<string>): void {
    let exclusive: string | undefined;
    for (const [opt, rule] of Object.entries(TUNNEL_RULES[type])) {
        if (!seen.has(opt)) {
            if (rule === "+") throw new IpvsadmUsageError(`You need to supply the '${opt}' option for the '${type}' tunnel type`);
            continue;
        }
        if (rule === "x") throw new IpvsadmUsageError(`Illegal '${opt}' option with the '${type}' tunnel type`);
        if (rule === "1") {
            if (exclusive) throw new IpvsadmUsageError(`The option '${opt}' conflicts with the '${exclusive}' option in the '${type}' tunnel type`);
            exclusive = opt;
        }
    }
}

function buildServiceSettings(d: Draft): ServiceSettings {
    const scheduler = d.scheduler ?? IPVS_DEFAULTS.scheduler;
    const settings: ServiceSettings = { scheduler, schedFlags: [], onePacket: d.onePacket };
    if (d.schedFlags !== undefined) settings.schedFlags = parseSchedFlags(scheduler, d.schedFlags);
    // -M without -p is accepted by ipvsadm but has no effect: the kernel ignores the mask.
    if (d.persistence && d.persistence.timeout > 0) {
        settings.persistence = d.persistence.netmask === undefined ? { timeout: d.persistence.timeout } : { ...d.persistence };
    }
    if (d.pe) settings.pe = d.pe;
    return settings;
}

function parseSchedFlags(scheduler: string, text: string): string[] {
    const names = text.split(",").filter((f) => f !== "");
    for (const f of names) {
        try {
            schedFlagBits([f]);
        } catch {
            throw new IpvsadmUsageError(`invalid scheduler flag \`${f}'`);
        }
        const owner = f.startsWith("sh-") ? "sh" : f.startsWith("mh-") ? "mh" : undefined;
        if (owner && owner !== scheduler) throw new IpvsadmUsageError(`incompatible scheduler flag \`${f}'`);
    }
    return canonicalSchedFlags(scheduler, names);
}

/** The real server an -a/-e line names, with its settings; refuses what ipvsadm refuses. */
export function destOf(d: Draft, key: ServiceKey, seen: ReadonlySet<string>, literalPorts: boolean): IpvsDest {
    const dest = d.dest;
    if (!dest) throw new IpvsadmUsageError("You need to supply the 'real-server' option");
    const svcPort = key.kind === "addr" ? key.port : 0;
    // DR and TUN cannot remap ports: ipvsadm silently uses the service port.
    const port = key.kind === "addr" && d.forwarding !== "nat" && !literalPorts ? svcPort : dest.port ?? svcPort;
    if (dest.family !== d.family && d.forwarding !== "tun") {
        throw new IpvsadmUsageError("Different address family is allowed only for tunneling servers");
    }
    const tunnelOpts = ["tun-type", "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum"];
    if (tunnelOpts.some((t) => seen.has(t)) && d.forwarding !== "tun") {
        throw new IpvsadmUsageError("Tunnel options conflict with forward method");
    }
    checkTunnel(d.tunType, seen);
    const settings: DestSettings = { forwarding: d.forwarding, weight: d.weight, upperThreshold: d.upper, lowerThreshold: d.lower };
    if (d.forwarding === "tun") {
        const checksum = d.tunType === "ipip" ? "nocsum" : d.checksums[0] ?? "nocsum";
        settings.tunnel = d.tunType === "gue" ? { type: "gue", port: d.tunPort, checksum } : { type: d.tunType, checksum };
    }
    return { key: { address: dest.address, port }, settings };
}

/** The service a line names; ipvsadm refuses a service command without one. */
export function serviceKeyOf(d: Draft): ServiceKey {
    if (!d.key) throw new IpvsadmUsageError("You need to supply the 'service-address' option");
    return d.key;
}

/** The service an -A/-E line names, with its settings; refuses what ipvsadm refuses. */
export function serviceOf(d: Draft): { key: ServiceKey; settings: ServiceSettings } {
    const key = serviceKeyOf(d);
    const settings = buildServiceSettings(d);
    if (key.kind === "addr" && key.port === 0 && !settings.persistence) {
        throw new IpvsadmUsageError("Zero port specified for non-persistent service");
    }
    if (settings.onePacket && key.kind === "addr" && key.protocol !== "udp") {
        throw new IpvsadmUsageError("One-Packet Scheduling is only for UDP virtual services");
    }
    return { key, settings };
}

/**
 * Reads one ipvsadm invocation (argv without the program name): its command and its options
 * in order, with ipvsadm's checks on each option. `seen` holds the columns given.
 */
export function readArgs(argv: readonly string[], opts: ArgsOptions = {}): { command: string; draft: Draft; seen: ReadonlySet<string> } {
    const { command, options, positional } = tokenize(argv);
    if (positional.length > 0) throw new IpvsadmUsageError(`unexpected argument ${positional[0]}`);
    const draft: Draft = { family: "inet", onePacket: false, forwarding: IPVS_DEFAULTS.forwarding, weight: IPVS_DEFAULTS.weight, upper: 0, lower: 0, tunType: "ipip", checksums: [] };
    const seen = new Set<string>();
    for (const o of options) {
        const col = columnOf(o.id);
        if (col !== "ipv6" && col !== "sort") {
            if (seen.has(col)) throw new IpvsadmUsageError(`multiple '${col}' options specified`);
            seen.add(col);
        }
        applyOption(draft, o, opts);
    }
    return { command, draft, seen };
}

/**
 * Parses an entry line (`-A ...` or `-a ...`, argv without the program name), applying
 * ipvsadm's defaults and checks. Throws IpvsadmUsageError with ipvsadm's message on anything
 * it would refuse, and on any other command.
 */
export function parseEntryLine(argv: readonly string[], opts: ArgsOptions = {}): EntryLine {
    const { command, draft, seen } = readArgs(argv, opts);
    checkLegality(command, seen, ENTRY_RULES);
    if (command === "add-service") return { cmd: "add-service", ...serviceOf(draft) };
    const service = serviceKeyOf(draft);
    return { cmd: "add-dest", service, dest: destOf(draft, service, seen, opts.literalPorts ?? false) };
}
