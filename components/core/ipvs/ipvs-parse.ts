/**
 * Parsers for what ipvsadm prints: `-S -n` (the table), `-L -n --thresholds` (the -x/-y
 * values -S leaves out) and `-L -n` (connection counts, for draining).
 */
import { splitAddrPort } from "../../base/address";
import { assembleRuleset, type AssemblyWording } from "./entry-lines";
import { destId } from "./ipvs-model";
import type { Protocol, Ruleset, ServiceKey } from "./ipvs-model";

function lineError(what: string, n: number, line: string, reason: string): Error {
    return new Error(`${what} line ${n}: ${reason}: "${line.trim()}"`);
}

/**
 * Parses `ipvsadm -S -n` output into a normalised ruleset. Accepts every option ipvsadm
 * prints (and -x/-y, which it does not), negative fwmarks (1.31 prints marks >= 2^31 that
 * way) and tunnel lines without --tun-type (older ipvsadm: ipip). Thresholds not in the text
 * are 0: merge `-L -n --thresholds` with mergeThresholds. Throws with the line number.
 */
export function parseSave(text: string): Ruleset {
    const lines = text.split("\n").flatMap((line, i) => {
        const words = line.trim().split(/\s+/).filter((t) => t !== "");
        return words.length === 0 ? [] : [{ words, fail: (reason: string) => lineError("ipvsadm -S", i + 1, line, reason) }];
    });
    return assembleRuleset(lines, SAVE_WORDING, { signedFwmark: true, literalPorts: true });
}

const SAVE_WORDING: AssemblyWording = {
    notAnEntry: 'expected an "-A" (service) or "-a" (real server) line',
    orphan: (service) => `real server before its service -A ${service}`,
};

/** Per real server numbers from `ipvsadm -L -n --thresholds`. */
export interface DestThresholds {
    upper: number;
    lower: number;
    active: number;
    inactive: number;
}

/** Per real server numbers from `ipvsadm -L -n`. `forward` is "Local" for a local address. */
export interface DestConnections {
    forward: "Route" | "Masq" | "Tunnel" | "Local";
    weight: number;
    active: number;
    inactive: number;
}

/** Protocol names as `ipvsadm -L` and /proc/net/ip_vs print them. */
export const LIST_PROTOCOLS: Readonly<Record<string, Protocol>> = { TCP: "tcp", UDP: "udp", SCTP: "sctp" };

/** The key of a service row of `ipvsadm -L -n` ("TCP  10.0.0.10:80 ...", "FWM  7 IPv6 ..."). */
export function listedServiceKey(tokens: string[]): ServiceKey | undefined {
    if (tokens[0] === "FWM") {
        const mark = /^-?[0-9]+$/.test(tokens[1] ?? "") ? Number(tokens[1]) : NaN;
        if (!Number.isInteger(mark) || mark === 0 || mark < -(2 ** 31) || mark >= 2 ** 32) return undefined;
        return { kind: "fwmark", mark: mark < 0 ? mark + 2 ** 32 : mark, family: tokens[2] === "IPv6" ? "inet6" : "inet" };
    }
    const protocol = LIST_PROTOCOLS[tokens[0]];
    const ap = splitAddrPort(tokens[1] ?? "");
    if (!protocol || !ap || ap.port === undefined) return undefined;
    return { kind: "addr", protocol, address: ap.address, port: ap.port };
}

// Both listings share a layout: a version line, two header lines, then service lines
// ("TCP  10.0.0.10:80 rr ...", "FWM  7 IPv6 rr") each followed by "  -> ADDR:PORT ..." rows.
function parseListing<T>(what: string, text: string, row: (fields: string[]) => T | undefined): Map<string, T> {
    const out = new Map<string, T>();
    let current: ServiceKey | undefined;
    text.split("\n").forEach((line, i) => {
        const tokens = line.trim().split(/\s+/).filter((t) => t !== "");
        if (tokens.length === 0 || line.startsWith("IP Virtual Server version") || tokens[0] === "Prot") return;
        if (tokens[0] === "->") {
            if (tokens[1] === "RemoteAddress:Port") return;
            const ap = splitAddrPort(tokens[1] ?? "");
            const value = row(tokens.slice(2));
            if (!current) throw lineError(what, i + 1, line, "real server row before any service");
            if (!ap || ap.port === undefined || value === undefined) throw lineError(what, i + 1, line, "unreadable real server row");
            out.set(destId(current, { address: ap.address, port: ap.port }), value);
            return;
        }
        current = listedServiceKey(tokens);
        if (!current) throw lineError(what, i + 1, line, "unreadable service row");
    });
    return out;
}

function counts(fields: string[], n: number): number[] | undefined {
    const nums = fields.slice(0, n);
    if (nums.length !== n || !nums.every((f) => /^[0-9]+$/.test(f))) return undefined;
    return nums.map(Number);
}

/** Parses `ipvsadm -L -n --thresholds`: thresholds and connection counts keyed by destId. */
export function parseListThresholds(text: string): Map<string, DestThresholds> {
    return parseListing("ipvsadm -L -n --thresholds", text, (fields) => {
        const c = counts(fields, 4);
        return c && { upper: c[0], lower: c[1], active: c[2], inactive: c[3] };
    });
}

const FORWARD_NAMES: ReadonlySet<string> = new Set(["Route", "Masq", "Tunnel", "Local"]);

function isForwardName(s: string | undefined): s is DestConnections["forward"] {
    return s !== undefined && FORWARD_NAMES.has(s);
}

/** Parses `ipvsadm -L -n`: forwarding, weight and connection counts keyed by destId. */
export function parseListConnections(text: string): Map<string, DestConnections> {
    return parseListing("ipvsadm -L -n", text, (fields) => {
        const forward = fields[0];
        const c = counts(fields.slice(1), 3);
        if (!c || !isForwardName(forward)) return undefined;
        return { forward, weight: c[0], active: c[1], inactive: c[2] };
    });
}

/**
 * Copies thresholds from a `-L -n --thresholds` reading onto a ruleset read with `-S -n`.
 * A real server missing from the map (the table changed between the two reads) keeps its
 * values. Returns a new ruleset.
 */
export function mergeThresholds(r: Ruleset, thresholds: ReadonlyMap<string, Pick<DestThresholds, "upper" | "lower">>): Ruleset {
    return {
        services: r.services.map((svc) => ({
            ...svc,
            dests: svc.dests.map((d) => {
                const t = thresholds.get(destId(svc.key, d.key));
                return t ? { key: d.key, settings: { ...d.settings, upperThreshold: t.upper, lowerThreshold: t.lower } } : d;
            }),
        })),
    };
}
