/**
 * Seeded random HA clusters, as stack config (before parsing): both families, every
 * scheduler and its flags, persistence with netmasks, thresholds, fwmark, udp and sctp,
 * every forwarding method and tunnel type, every checker, sorry servers, quorum and the VRRP
 * options. Some draws break a rule on purpose; callers keep what parseCluster accepts.
 */
import { Rng } from "./ipvs-random";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIReplaceWithTheHostsOwnKey";
const HOSTS: Record<string, string> = {
    d1: "192.168.13.111",
    d2: "192.168.13.110",
    rs1: "192.168.13.112",
    rs2: "192.168.13.113",
    rs3: "192.168.13.114",
    rs6a: "2001:db8::21",
    rs6b: "2001:db8::22",
};
const SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"];
const FLAGS: Record<string, string[]> = { sh: ["sh-fallback", "sh-port"], mh: ["mh-fallback", "mh-port"] };
type Obj = Record<string, unknown>;

function timer(rng: Rng): number {
    return rng.pick([1, 2, 3, 0.5, 2.5, 10]);
}

function healthCheck(rng: Rng, fwmark: boolean): Obj | undefined {
    if (!rng.chance(0.7)) return undefined;
    const common: Obj = { delayLoop: timer(rng), connectTimeout: timer(rng), retry: rng.int(4), delayBeforeRetry: timer(rng) };
    const kind = rng.pick(["tcp", "http", "misc"]);
    if (kind === "misc") return { type: "misc", ...common, command: rng.pick(["/usr/local/bin/check", "/usr/lib/nagios/plugins/check_tcp -p 80", "/bin/true"]) };
    const port = fwmark || rng.chance(0.3) ? { connectPort: rng.pick([80, 8080]) } : {};
    if (kind === "http") return { type: "http", ...common, ...port, path: rng.pick(["/", "/health", "/status?full=1"]), statusCode: rng.pick([200, 204]) };
    return { type: "tcp", ...common, ...port };
}

function realServer(rng: Rng, host: string, family6: boolean, port: number | undefined): Obj {
    // NAT needs an IPv4 gateway (natGateway), so IPv6 real servers use DR or TUN.
    const forwarding = rng.pick(family6 ? ["dr", "tun"] : ["dr", "dr", "nat", "tun"]);
    const rs: Obj = { host, forwarding, weight: rng.pick([0, 1, 1, 3, 100]) };
    if (rng.chance(0.3)) {
        const upper = rng.pick([10, 1000]);
        Object.assign(rs, { upperThreshold: upper, lowerThreshold: rng.chance(0.5) ? Math.floor(upper / 2) : 0 });
    }
    if (forwarding === "nat" && port !== undefined && rng.chance(0.5)) rs.port = 8080;
    if (forwarding === "tun" && rng.chance(0.6)) {
        const type = rng.pick(["ipip", "gue", "gre"]);
        const checksum = rng.pick(type === "gue" ? ["nocsum", "csum", "remcsum"] : ["nocsum", "csum"]);
        rs.tunnel = { type, checksum, ...(type === "gue" ? { port: 6080 } : {}) };
    }
    return rs;
}

function service(rng: Rng, family6: boolean, used: Set<string>): Obj | undefined {
    const fwmark = rng.chance(0.25);
    const protocol = rng.pick(["tcp", "tcp", "udp", "sctp"]);
    const port = rng.pick([80, 443, 53, 3306]);
    const id = fwmark ? "fwmark" : `${protocol} ${port}`;
    if (used.has(id)) return undefined;
    used.add(id);
    const scheduler = rng.pick(SCHEDULERS);
    const svc: Obj = fwmark ? { fwmark: 1 + rng.int(1000) } : { protocol, port };
    Object.assign(svc, { scheduler, schedulerFlags: rng.subset(FLAGS[scheduler] ?? [], 0.5) });
    if (rng.chance(0.4)) svc.persistence = { timeout: rng.pick([1, 60, 300, 2678400]), ...(rng.chance(0.5) ? { netmask: family6 ? rng.pick([48, 64]) : rng.pick(["255.255.255.0", "255.255.0.0"]) } : {}) };
    if (!fwmark && protocol === "udp" && rng.chance(0.3)) svc.onePacket = true;
    const pool = family6 ? ["rs6a", "rs6b"] : ["rs1", "rs2", "rs3"];
    svc.realServers = rng.subset(pool, 0.6).map((h) => realServer(rng, h, family6, fwmark ? undefined : port));
    if ((svc.realServers as Obj[]).length === 0) svc.realServers = [realServer(rng, pool[0], family6, fwmark ? undefined : port)];
    const check = healthCheck(rng, fwmark);
    if (check) svc.healthCheck = check;
    if (rng.chance(0.3)) {
        const address = family6 ? "2001:db8::30" : "192.168.13.120";
        const nat = (svc.realServers as Obj[])[0].forwarding === "nat";
        svc.sorryServer = fwmark ? { address } : { address, port: nat && rng.chance(0.5) ? 8080 : port };
    }
    if (rng.chance(0.2)) svc.quorum = 1 + rng.int(3);
    return svc;
}

/** One HA pair (d1, d2) serving an IPv4 group and, sometimes, an IPv6 one. */
export function genHaCluster(rng: Rng): Obj {
    const groups: Obj[] = [];
    for (const family6 of rng.chance(0.4) ? [false, true] : [false]) {
        const used = new Set<string>();
        const services = Array.from({ length: 1 + rng.int(3) }, () => service(rng, family6, used)).filter((s): s is Obj => s !== undefined);
        const vips = family6 ? ["2001:db8::100"] : rng.chance(0.5) ? ["192.168.13.100", "192.168.13.101"] : ["192.168.13.100"];
        groups.push({ name: family6 ? "web6" : "web4", vips, services });
    }
    const usedHosts = new Set(groups.flatMap((g) => (g.services as Obj[]).flatMap((s) => (s.realServers as Obj[]).map((r) => r.host as string))));
    const natHosts = new Set(groups.flatMap((g) => (g.services as Obj[]).flatMap((s) => (s.realServers as Obj[]).filter((r) => r.forwarding === "nat").map((r) => r.host as string))));
    // A real server the stack configured could not receive checksummed GRE (parseCluster refuses
    // it); such hosts stay unconfigured, so the director side of gre csum is still drawn.
    const greCsumHosts = new Set(groups.flatMap((g) => (g.services as Obj[]).flatMap((s) => (s.realServers as Obj[]).filter((r) => (r.tunnel as Obj | undefined)?.type === "gre" && (r.tunnel as Obj).checksum === "csum").map((r) => r.host as string))));
    const nopreempt = rng.chance(0.3);
    return {
        hosts: Object.fromEntries(Object.entries(HOSTS).map(([name, address]) => [name, { address, ssh: { hostKey: KEY } }])),
        vipGroups: groups,
        haPairs: [
            {
                name: "edge",
                virtualRouterId: 1 + rng.int(255),
                advertInt: rng.pick([1, 2, 3]),
                ...(rng.chance(0.3) ? { authentication: { password: "s3cret" } } : {}),
                unicast: rng.chance(0.4),
                nopreempt,
                ...(!nopreempt && rng.chance(0.3) ? { preemptDelay: rng.pick([0, 30]) } : {}),
                syncConnections: rng.chance(0.7),
                nodes: [
                    { host: "d1", priority: 100 },
                    { host: "d2", priority: 90 },
                ],
                vipGroups: groups.map((g) => g.name),
            },
        ],
        realServers: [...usedHosts].filter((h) => !greCsumHosts.has(h)).sort().map((host) => ({ host, ...(natHosts.has(host) ? { natGateway: "192.168.13.111" } : {}) })),
    };
}
