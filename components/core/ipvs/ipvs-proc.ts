/**
 * The live table from one ipvsadm listing instead of two. `ipvsadm -S -n` lacks thresholds,
 * so the table used to be read with -S and again with `-L -n --thresholds`; each listing of a
 * 10,000-entry table costs about 1.5 s on a small VM (ipvsadm asks the kernel service by
 * service). `-L -n --thresholds` holds everything but forwarding and weight, and the kernel's
 * own /proc/net/ip_vs (read in a tenth of that) holds those two. Tunnel settings are in
 * neither: a table with a tunnel real server needs -S too (readLive in the IpvsTable provider).
 */
import { canonicalAddress, splitAddrPort } from "../../base/address";
import { destId, normalizeRuleset } from "./ipvs-model";
import { LIST_PROTOCOLS, listedServiceKey } from "./ipvs-parse";
import type { Forwarding, IpvsService, Protocol, Ruleset, ServiceKey, ServiceSettings } from "./ipvs-model";

const FORWARDING: Record<string, Forwarding | undefined> = { Route: "dr", Local: "dr", Masq: "nat", Tunnel: "tun" };

/** What /proc/net/ip_vs says of one real server. */
interface ProcDest {
    forwarding: Forwarding;
    weight: number;
}

/** "0A090001:0050" or "[fd13:0000:...:0100]:01BB", as the kernel prints them. */
function procAddrPort(text: string): { address: string; port: number } | undefined {
    const m = /^(?:([0-9A-F]{8})|\[([0-9a-f:]+)\]):([0-9A-F]{4})$/.exec(text);
    if (!m) return undefined;
    const port = parseInt(m[3], 16);
    if (m[1]) {
        const n = parseInt(m[1], 16);
        return { address: [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."), port };
    }
    return { address: canonicalAddress(m[2]), port };
}

/**
 * Forwarding and weight of each real server in /proc/net/ip_vs, by destId; undefined if a line
 * is not as the kernel writes it. An fwmark line does not say its family; its real servers'
 * addresses do (a mark without real servers has nothing to look up).
 */
export function parseProcIpvs(text: string): Map<string, ProcDest> | undefined {
    const out = new Map<string, ProcDest>();
    let service: { protocol?: Protocol; address?: string; port?: number; mark?: number } | undefined;
    for (const line of text.split("\n").slice(3)) {
        const t = line.trim().split(/\s+/).filter((w) => w !== "");
        if (t.length === 0) continue;
        if (t[0] === "->") {
            const at = procAddrPort(t[1] ?? "");
            const forwarding = FORWARDING[t[2] ?? ""];
            if (!service || !at || !forwarding || !/^-?[0-9]+$/.test(t[3] ?? "")) return undefined;
            const key: ServiceKey =
                service.mark !== undefined
                    ? { kind: "fwmark", mark: service.mark, family: at.address.includes(":") ? "inet6" : "inet" }
                    : { kind: "addr", protocol: service.protocol!, address: service.address!, port: service.port! };
            out.set(destId(key, at), { forwarding, weight: Number(t[3]) });
        } else if (t[0] === "FWM" && /^[0-9A-F]{8}$/.test(t[1] ?? "")) {
            service = { mark: parseInt(t[1], 16) };
        } else {
            const at = procAddrPort(t[1] ?? "");
            if (!LIST_PROTOCOLS[t[0]] || !at) return undefined;
            service = { protocol: LIST_PROTOCOLS[t[0]], address: at.address, port: at.port };
        }
    }
    return out;
}

/** "TCP  10.0.0.1:80" or "FWM  7 IPv6": the key and where the settings start. */
function listedKey(t: string[]): { key: ServiceKey; rest: number } | undefined {
    const key = listedServiceKey(t);
    if (!key) return undefined;
    return { key, rest: key.kind === "fwmark" && key.family === "inet6" ? 3 : 2 };
}

/** "sh (sh-fallback,sh-port) persistent 600 mask 255.255.255.0 pe sip ops", as `ipvsadm -L` prints it. */
function listedSettings(t: string[]): ServiceSettings | undefined {
    const [scheduler, ...rest] = t;
    if (!scheduler) return undefined;
    const s: ServiceSettings = { scheduler, schedFlags: [], onePacket: false };
    for (let i = 0; i < rest.length; i++) {
        const w = rest[i];
        if (i === 0 && w.startsWith("(") && w.endsWith(")")) s.schedFlags = w.slice(1, -1).split(",");
        else if (w === "persistent" && /^[0-9]+$/.test(rest[i + 1] ?? "")) s.persistence = { timeout: Number(rest[++i]) };
        else if (w === "mask" && s.persistence && rest[i + 1]) s.persistence.netmask = rest[++i];
        else if (w === "pe" && rest[i + 1]) s.pe = rest[++i];
        else if (w === "ops") s.onePacket = true;
        else return undefined;
    }
    return s;
}

/**
 * The table from `ipvsadm -L -n --thresholds` and /proc/net/ip_vs, read in that order; as
 * parseSave with mergeThresholds would give it from -S. Undefined when these two cannot say
 * it all: a tunnel real server (its encapsulation is in neither), a real server the second
 * read lacks (the table changed in between), or a line of a form not known here.
 */
export function parseListingWithProc(listing: string, proc: string): Ruleset | undefined {
    const weights = parseProcIpvs(proc);
    if (!weights) return undefined;
    const services: IpvsService[] = [];
    for (const line of listing.split("\n")) {
        const t = line.trim().split(/\s+/).filter((w) => w !== "");
        if (t.length === 0 || line.startsWith("IP Virtual Server version") || t[0] === "Prot" || t[1] === "RemoteAddress:Port") continue;
        if (t[0] === "->") {
            const svc = services.at(-1);
            const at = splitAddrPort(t[1] ?? "");
            const nums = t.slice(2, 4);
            if (!svc || !at || at.port === undefined || nums.length !== 2 || !nums.every((n) => /^[0-9]+$/.test(n))) return undefined;
            const dest = { address: at.address, port: at.port };
            const w = weights.get(destId(svc.key, dest));
            if (!w || w.forwarding === "tun") return undefined;
            svc.dests.push({ key: dest, settings: { forwarding: w.forwarding, weight: w.weight, upperThreshold: Number(nums[0]), lowerThreshold: Number(nums[1]) } });
            continue;
        }
        const k = listedKey(t);
        const settings = k && listedSettings(t.slice(k.rest));
        if (!k || !settings) return undefined;
        services.push({ key: k.key, settings, dests: [] });
    }
    return normalizeRuleset({ services });
}
