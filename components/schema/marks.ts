/**
 * What a fwmark service marks: the packets (protocol, destination ports, VIPs) the director
 * tags with the service's mark, so that IPVS hands them to it. A fwmark service without marks
 * serves only what something else marks.
 *
 * A packet carries one mark and IPVS looks a marked packet up by its mark before its port, so
 * every (protocol, port, VIP) may be claimed once on a director: by one mark or by one port
 * service. `markClaims` and `overlaps` find the second claims, for the group and the cluster.
 */
import { z } from "zod";
import { ipAddress, printable } from "./common";
import { formatAddrPort } from "../base/address";

export const MARK_PROTOCOLS = ["tcp", "udp", "sctp"] as const;
export type MarkProtocol = (typeof MARK_PROTOCOLS)[number];

/** A port (lo = hi) or an inclusive range of ports. */
export interface PortRange {
    lo: number;
    hi: number;
}

const PORT_FIX = 'Fix: write a port 1..65535 such as 443, or a range "lo-hi" with lo below hi, such as "10000-10100".';

/** The ports one `ports` item stands for, or why it stands for none. */
export function portRangeOf(item: number | string): PortRange | string {
    if (typeof item === "number") return Number.isInteger(item) && item >= 1 && item <= 65535 ? { lo: item, hi: item } : `${item} is not a port 1..65535. ${PORT_FIX}`;
    const m = /^([0-9]{1,5})-([0-9]{1,5})$/.exec(item);
    if (!m) return `"${printable(item)}" is neither a port number nor a range "lo-hi". ${PORT_FIX}`;
    const [lo, hi] = [Number(m[1]), Number(m[2])];
    if (lo < 1 || hi > 65535) return `"${item}" reaches outside 1..65535. ${PORT_FIX}`;
    if (lo >= hi) return `"${item}" is no range: lo must be below hi (one port is written as a number). ${PORT_FIX}`;
    return { lo, hi };
}

const markPort = z.union([z.number(), z.string()], { error: `must be a port number or a "lo-hi" range string. ${PORT_FIX}` }).superRefine((item, ctx) => {
    const r = portRangeOf(item);
    if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
});

export const markSchema = z.strictObject({
    /** tcp, udp or sctp. */
    protocol: z.enum(MARK_PROTOCOLS),
    /** Destination ports: numbers, or "lo-hi" ranges with lo below hi; all 1..65535. */
    ports: z.array(markPort).min(1, "must list at least one port. Fix: add the destination ports to mark, e.g. [80, 443]."),
    /** Which of the group's VIPs; default all of them. */
    vips: z.array(ipAddress).min(1, "must list at least one VIP. Fix: list some of the group's VIPs, or leave vips out to mark all of them.").optional(),
});

export type MarkSpec = z.infer<typeof markSchema>;
/** What a user writes (zod's input type): defaults optional, unions and literals kept; a misspelled field or a wrong type fails tsc. */
export type MarkSpecInput = z.input<typeof markSchema>;

type Path = (string | number)[];

/** The parts of a group the claims are made from (a VipGroupSpec, or anything shaped so). */
export interface ClaimingGroup {
    vips: string[];
    services: { protocol?: MarkProtocol; port?: number; fwmark?: number; marks?: MarkSpec[] }[];
}

/** One (protocol, VIP, port range) a service takes: a mark's item, or a port service on one of its VIPs. */
export interface PortClaim {
    protocol: MarkProtocol;
    vip: string;
    range: PortRange;
    /** The mark it sets, or undefined for a port service. */
    fwmark?: number;
    /** Group and service index, so callers can tell claims of one group or service apart. */
    group: number;
    service: number;
    /** Where it is written, from the group's root: a mark's port item or a port service. */
    path: Path;
}

/** The VIPs a mark covers: its own list (only the group's VIPs, each once), or all the group's. */
export function markVips(groupVips: string[], mark: MarkSpec): string[] {
    return mark.vips === undefined ? [...groupVips] : [...new Set(mark.vips)].filter((v) => groupVips.includes(v));
}

/**
 * Every claim of a group, in config order. A port service's port 0 claims nothing: the kernel
 * tries it only after the fwmark and port services, as the catch-all it is meant to be.
 */
export function markClaims(group: ClaimingGroup, gi: number): PortClaim[] {
    const claims: PortClaim[] = [];
    group.services.forEach((svc, si) => {
        if (svc.fwmark === undefined && svc.protocol !== undefined && svc.port !== undefined && svc.port !== 0) {
            for (const vip of group.vips) claims.push({ protocol: svc.protocol, vip, range: { lo: svc.port, hi: svc.port }, group: gi, service: si, path: ["services", si] });
        }
        if (svc.fwmark === undefined) return;
        const fwmark = svc.fwmark;
        (svc.marks ?? []).forEach((mark, mi) => {
            const vips = markVips(group.vips, mark);
            mark.ports.forEach((item, pi) => {
                const range = portRangeOf(item);
                if (typeof range === "string") return;
                for (const vip of vips) claims.push({ protocol: mark.protocol, vip, range, fwmark, group: gi, service: si, path: ["services", si, "marks", mi, "ports", pi] });
            });
        });
    });
    return claims;
}

export interface Overlap {
    /** Always a mark's claim: the mark is what the user adds, and where the fix goes. */
    claim: PortClaim;
    other: PortClaim;
    message: string;
}

const meets = (a: PortClaim, b: PortClaim) => a.protocol === b.protocol && a.vip === b.vip && a.range.lo <= b.range.hi && b.range.lo <= a.range.hi;

/**
 * The first overlap of each mark's port item: with a port service anywhere in the list, or with
 * an earlier mark. `where` names the other claim's service in messages ("services[1]", or
 * "vipGroups[0].services[1]"); `counts` leaves out pairs the caller reports elsewhere.
 */
export function overlaps(claims: PortClaim[], where: (c: PortClaim) => string, counts: (a: PortClaim, b: PortClaim) => boolean = () => true): Overlap[] {
    const found: Overlap[] = [];
    // One item marks several VIPs: say it once.
    const said = new Set<string>();
    claims.forEach((claim, i) => {
        const key = claim.path.join(".");
        if (claim.fwmark === undefined || said.has(key)) return;
        const other = claims.find((o, j) => j !== i && (o.fwmark === undefined || j < i) && meets(claim, o) && counts(claim, o));
        if (!other) return;
        said.add(key);
        found.push({ claim, other, message: overlapMessage(claim, other, where) });
    });
    return found;
}

function overlapMessage(claim: PortClaim, other: PortClaim, where: (c: PortClaim) => string): string {
    const lo = Math.max(claim.range.lo, other.range.lo);
    const hi = Math.min(claim.range.hi, other.range.hi);
    const what = lo === hi ? `${claim.protocol} ${formatAddrPort(claim.vip, lo)}` : `${claim.protocol} ${claim.vip} ports ${lo}-${hi}`;
    if (other.fwmark === undefined) {
        return `${what} is also the port service ${where(other)}: the kernel looks a marked packet up by its mark first, so that service would never get a new connection, and which of the two should serve it is ambiguous. Fix: leave port ${lo === hi ? lo : `${lo}-${hi}`} out of the marks, or remove the port service.`;
    }
    if (other.group === claim.group && other.service === claim.service) {
        return `${what} is marked twice by this service (also at ${pathText(other.path)}). Fix: list each port once for a VIP.`;
    }
    return `${what} is also marked by ${where(other)} (fwmark ${other.fwmark}): a packet carries one mark, so the later rule would win silently. Fix: mark each protocol, port and VIP in one fwmark service.`;
}

/** "marks[0].ports[1]" from the part of a path after the service. */
function pathText(path: Path): string {
    return path.slice(2).reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), "");
}

/** Field checks a group's marks need beyond their schema: only on fwmark services, only the group's VIPs, no overlaps inside the group. */
export function checkGroupMarks(group: ClaimingGroup, ctx: z.RefinementCtx): void {
    const issue = (path: Path, message: string) => ctx.addIssue({ code: "custom", path, message });
    group.services.forEach((svc, si) => {
        if (svc.marks === undefined) return;
        if (svc.fwmark === undefined) {
            issue(["services", si, "marks"], "only applies to a fwmark service: marks tag packets with the service's firewall mark, and a port service has none. Fix: give the service a fwmark (and no protocol or port), or remove marks.");
            return;
        }
        svc.marks.forEach((mark, mi) => {
            const seen = new Set<string>();
            (mark.vips ?? []).forEach((vip, vi) => {
                const at = ["services", si, "marks", mi, "vips", vi];
                if (!group.vips.includes(vip)) issue(at, `${vip} is not one of this group's VIPs (${group.vips.join(", ")}): the director holds no other. Fix: list only the group's VIPs, or leave vips out to mark all of them.`);
                else if (seen.has(vip)) issue(at, `VIP ${vip} is listed twice. Fix: remove the duplicate.`);
                seen.add(vip);
            });
        });
    });
    for (const o of overlaps(markClaims(group, 0), (c) => `services[${c.service}]`)) issue(o.claim.path, o.message);
}
