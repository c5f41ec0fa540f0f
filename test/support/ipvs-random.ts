/**
 * Seeded random ipvs tables for property tests (no dependency). Address and port pools are
 * small on purpose, so two generated tables share many ids and plans have real work to do.
 */
import { destId, normalizeDest, normalizeRuleset, serviceId } from "../../components/core/ipvs/ipvs-model";
import type { Family } from "../../components/base/address";
import type { DestSettings, IpvsDest, IpvsService, Ruleset, ServiceKey, ServiceSettings } from "../../components/core/ipvs/ipvs-model";

/** A small deterministic PRNG (mulberry32) with helpers. */
export class Rng {
    private state: number;
    constructor(seed: number) {
        this.state = seed >>> 0;
    }
    next(): number {
        this.state = (this.state + 0x6d2b79f5) >>> 0;
        let t = this.state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }
    int(n: number): number {
        return Math.floor(this.next() * n);
    }
    pick<T>(xs: readonly T[]): T {
        return xs[this.int(xs.length)];
    }
    chance(p: number): boolean {
        return this.next() < p;
    }
    subset<T>(xs: readonly T[], p: number): T[] {
        return xs.filter(() => this.chance(p));
    }
}

const VIPS: Record<Family, string[]> = { inet: ["192.168.13.100", "192.168.13.101"], inet6: ["2001:db8:1::100", "::ffff:10.9.9.9"] };
const REALS: Record<Family, string[]> = { inet: ["192.168.13.112", "192.168.13.113", "10.0.0.21", "10.0.0.22"], inet6: ["2001:db8::2", "2001:db8::3", "fe80::1:0:0:1"] };
const SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"];

function genServiceKey(rng: Rng): ServiceKey {
    if (rng.chance(0.25)) return { kind: "fwmark", mark: rng.pick([1, 7, 2 ** 31 + 5, 2 ** 32 - 1]), family: rng.pick<Family>(["inet", "inet6"]) };
    const family = rng.pick<Family>(["inet", "inet", "inet6"]);
    return { kind: "addr", protocol: rng.pick(["tcp", "tcp", "udp", "sctp"] as const), address: rng.pick(VIPS[family]), port: rng.pick([80, 443, 53, 0]) };
}

/** Valid settings for a service (ipvsadm would accept them). */
export function genServiceSettings(rng: Rng, key: ServiceKey): ServiceSettings {
    const scheduler = rng.pick(SCHEDULERS);
    const flagPool = scheduler === "sh" || scheduler === "mh" ? [`${scheduler}-fallback`, `${scheduler}-port`] : ["flag-1", "flag-2", "flag-3"];
    const settings: ServiceSettings = { scheduler, schedFlags: rng.chance(0.3) ? rng.subset(flagPool, 0.6) : [], onePacket: false };
    const family = key.kind === "fwmark" ? key.family : key.address.includes(":") ? "inet6" : "inet";
    if ((key.kind === "addr" && key.port === 0) || rng.chance(0.35)) {
        const netmask = rng.chance(0.5) ? undefined : family === "inet" ? rng.pick(["255.255.255.0", "255.255.0.0"]) : rng.pick(["64", "48"]);
        settings.persistence = netmask ? { timeout: rng.pick([60, 300, 3600]), netmask } : { timeout: rng.pick([60, 300, 3600]) };
        if (rng.chance(0.2)) settings.pe = "sip";
    }
    if ((key.kind === "fwmark" || key.protocol === "udp") && rng.chance(0.3)) settings.onePacket = true;
    return settings;
}

/** Valid settings for a real server of a service of `family` at an address of `destFamily`. */
export function genDestSettings(rng: Rng, family: Family, destFamily: Family): DestSettings {
    const forwarding = family !== destFamily ? "tun" : rng.pick(["dr", "nat", "tun"] as const);
    const upperThreshold = rng.pick([0, 0, 10, 1000]);
    const settings: DestSettings = {
        forwarding,
        weight: rng.pick([0, 1, 1, 3, 100, 65535]),
        upperThreshold,
        lowerThreshold: upperThreshold === 0 ? 0 : rng.pick([0, Math.floor(upperThreshold / 2), upperThreshold]),
    };
    if (forwarding === "tun") {
        const type = rng.pick(["ipip", "gue", "gre"] as const);
        settings.tunnel =
            type === "gue"
                ? { type, port: rng.pick([6080, 5555]), checksum: rng.pick(["nocsum", "csum", "remcsum"] as const) }
                : type === "gre"
                  ? { type, checksum: rng.pick(["nocsum", "csum"] as const) }
                  : { type, checksum: "nocsum" };
    }
    return settings;
}

function genDest(rng: Rng, key: ServiceKey): IpvsDest {
    const family: Family = key.kind === "fwmark" ? key.family : key.address.includes(":") ? "inet6" : "inet";
    const destFamily = rng.chance(0.1) ? (family === "inet" ? "inet6" : "inet") : family;
    const settings = genDestSettings(rng, family, destFamily);
    const port = key.kind === "addr" && settings.forwarding !== "nat" ? key.port : rng.pick([0, 80, 8080]);
    return { key: { address: rng.pick(REALS[destFamily]), port }, settings };
}

// Like ipvsadm, DR and TUN real servers of an address service take the service port; then
// the last of two real servers with one id wins.
function uniqueDests(key: ServiceKey, dests: IpvsDest[]): IpvsDest[] {
    const seen = new Map<string, IpvsDest>();
    for (const x of dests) {
        const d = normalizeDest(key.kind === "addr" && x.settings.forwarding !== "nat" ? { ...x, key: { ...x.key, port: key.port } } : x);
        seen.set(destId(key, d.key), d);
    }
    return [...seen.values()];
}

/** A random valid, normalised ruleset. */
export function genRuleset(rng: Rng, maxServices = 5): Ruleset {
    const services = new Map<string, IpvsService>();
    const n = rng.int(maxServices + 1);
    for (let i = 0; i < n; i++) {
        const key = genServiceKey(rng);
        const dests = uniqueDests(key, Array.from({ length: rng.int(5) }, () => genDest(rng, key)));
        services.set(serviceId(key), { key, settings: genServiceSettings(rng, key), dests });
    }
    return normalizeRuleset({ services: [...services.values()] });
}

/** A table derived from `a`: services and real servers kept, edited, dropped or added. */
export function mutate(rng: Rng, a: Ruleset): Ruleset {
    const out = new Map<string, IpvsService>();
    for (const svc of a.services) {
        if (rng.chance(0.2)) continue;
        const settings = rng.chance(0.3) ? genServiceSettings(rng, svc.key) : svc.settings;
        const family: Family = svc.key.kind === "fwmark" ? svc.key.family : svc.key.address.includes(":") ? "inet6" : "inet";
        const dests = svc.dests
            .filter(() => !rng.chance(0.25))
            .map((d) => (rng.chance(0.3) ? { key: d.key, settings: genDestSettings(rng, family, d.key.address.includes(":") ? "inet6" : "inet") } : d));
        const added = Array.from({ length: rng.int(3) }, () => genDest(rng, svc.key));
        out.set(serviceId(svc.key), { key: svc.key, settings, dests: uniqueDests(svc.key, [...dests, ...added]) });
    }
    for (const extra of genRuleset(rng, 2).services) if (!out.has(serviceId(extra.key))) out.set(serviceId(extra.key), extra);
    return normalizeRuleset({ services: [...out.values()] });
}

/** Service and dest ids of a ruleset. */
export function idsOf(r: Ruleset): { services: string[]; dests: string[] } {
    return {
        services: r.services.map((s) => serviceId(s.key)),
        dests: r.services.flatMap((s) => s.dests.map((d) => destId(s.key, d.key))),
    };
}

/** A random "created earlier" set: a subset of the ids of both tables. */
export function genOwned(rng: Rng, a: Ruleset, b: Ruleset): { services: string[]; dests: string[] } {
    const ia = idsOf(a);
    const ib = idsOf(b);
    return { services: rng.subset([...new Set([...ia.services, ...ib.services])], 0.6), dests: rng.subset([...new Set([...ia.dests, ...ib.dests])], 0.6) };
}

/** A planning case: a live table, a desired one derived from it, and what was owned. */
export function genScenario(rng: Rng): { live: Ruleset; desired: Ruleset; owned: { services: string[]; dests: string[] } } {
    const live = genRuleset(rng);
    const desired = mutate(rng, live);
    return { live, desired, owned: genOwned(rng, live, desired) };
}

/**
 * What the table should be after a plan, written independently of the planner: desired
 * entries, plus foreign entries left alone, plus owned services kept for foreign real servers.
 */
export function expectedAfter(live: Ruleset, desired: Ruleset, owned: { services: string[]; dests: string[] }): Ruleset {
    const ownedS = new Set(owned.services);
    const ownedD = new Set(owned.dests);
    const want = new Map(desired.services.map((s) => [serviceId(s.key), s]));
    const out: IpvsService[] = [];
    for (const w of desired.services) {
        const l = live.services.find((s) => serviceId(s.key) === serviceId(w.key));
        const wantD = new Set(w.dests.map((d) => destId(w.key, d.key)));
        const foreign = (l?.dests ?? []).filter((d) => !wantD.has(destId(w.key, d.key)) && !ownedD.has(destId(w.key, d.key)));
        out.push({ key: w.key, settings: w.settings, dests: [...w.dests, ...foreign] });
    }
    for (const l of live.services) {
        if (want.has(serviceId(l.key))) continue;
        const foreign = l.dests.filter((d) => !ownedD.has(destId(l.key, d.key)));
        if (!ownedS.has(serviceId(l.key)) || foreign.length > 0) out.push({ key: l.key, settings: l.settings, dests: foreign });
    }
    return normalizeRuleset({ services: out });
}
