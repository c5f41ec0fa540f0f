/**
 * The bad-input catalogue (issue 10): config that used to get through the schema and fail
 * later on a host, or be accepted and do the wrong thing. Each case is refused by
 * parseCluster, so by `pulumi preview` before any host is reached, with the field path, the
 * reason and the fix. The near misses beside them stay accepted.
 */
import { describe, expect, it } from "vitest";
import { parseCluster } from "../../components/schema/cluster";
import { ConfigError } from "../../components/base/errors";
import { clusterOf } from "../support/stacks";

type Cluster = Record<string, any>;
const svc = (c: Cluster) => c.vipGroups[0].services[0];
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function issuesOf(c: Cluster): string[] {
    try {
        parseCluster(c);
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).issues;
    }
    return [];
}

/** seed-000 with `mutate` applied. */
function seed(mutate: (c: Cluster) => void): Cluster {
    const c = clusterOf("seed-000");
    mutate(c);
    return c;
}

const host = (c: Cluster, name: string, address: string) => (c.hosts[name] = { ...copy(c.hosts.rs1), address });

/** A second group "web2" on VIP `vip` (tcp `port`), served by the first director unless `owner` says otherwise. */
function secondGroup(c: Cluster, vip: string, port = 80): Cluster {
    const g = copy(c.vipGroups[0]);
    g.name = "web2";
    g.vips = [vip];
    g.services[0].port = port;
    c.vipGroups.push(g);
    return g;
}

/** Two HA pairs (d2+d3 serve web, d4+director1 serve web2), with `tweak` applied to the second. */
function twoPairs(c: Cluster, tweak: (second: Cluster) => void): void {
    host(c, "d2", "192.168.13.120");
    host(c, "d3", "192.168.13.121");
    host(c, "d4", "192.168.13.122");
    secondGroup(c, "192.168.13.101");
    c.directors = [];
    const second = { name: "b", virtualRouterId: 2, vipGroups: ["web2"], nodes: [{ host: "d4", priority: 100 }, { host: "director1", priority: 90 }] };
    tweak(second);
    c.haPairs = [{ name: "a", virtualRouterId: 1, vipGroups: ["web"], nodes: [{ host: "d2", priority: 100 }, { host: "d3", priority: 90 }] }, second];
}

/** Service `i` of the first group becomes fwmark `fwmark` (persistent, rs1 and rs2) marking `marks`. */
function fwmarkService(c: Cluster, marks: unknown, fwmark = 1, i = 0): void {
    c.vipGroups[0].services[i] = { fwmark, scheduler: "rr", persistence: { timeout: 300 }, marks, realServers: [{ host: "rs1" }, { host: "rs2" }] };
}

/** The first group gets a second VIP and a fwmark service (mark 1, tcp 80) beside its tcp 80 port service. */
function markBesidePortService(c: Cluster, marks: unknown): void {
    c.vipGroups[0].vips.push("192.168.13.101");
    fwmarkService(c, marks, 1, 1);
}

const MARKS = "cluster.vipGroups[0].services[0].marks[0]";

const refused: [string, (c: Cluster) => void, string, RegExp][] = [
    ["a lower threshold with no upper one (the kernel: Numerical result out of range)", (c) => (svc(c).realServers[0].lowerThreshold = 5), "cluster.vipGroups[0].services[0].realServers[0].lowerThreshold", /needs an upperThreshold/],
    ["persistence above 31 days", (c) => (svc(c).persistence = { timeout: 2678401 }), "cluster.vipGroups[0].services[0].persistence.timeout", /1\.\.2678400 seconds/],
    ["a prefix length as the netmask of an IPv4 VIP", (c) => (svc(c).persistence = { netmask: 24 }), "cluster.vipGroups[0].services[0].persistence.netmask", /IPv4 takes a dotted netmask.*Fix: write 255\.255\.255\.0 for \/24/],
    [
        "a sorry server port on a fwmark service",
        (c) => (c.vipGroups[0].services[0] = { fwmark: 7, realServers: [{ host: "rs1" }], healthCheck: { type: "tcp", connectPort: 80 }, sorryServer: { address: "192.168.13.114", port: 80 } }),
        "cluster.vipGroups[0].services[0].sorryServer.port",
        /keepalived refuses a port there/,
    ],
    ["a DR sorry server on another port (keepalived resets it)", (c) => (svc(c).sorryServer = { address: "192.168.13.114", port: 8080 }), "cluster.vipGroups[0].services[0].sorryServer.port", /keepalived resets it to 80/],
    ["a sorry server without a port on a port service", (c) => (svc(c).sorryServer = { address: "192.168.13.114" }), "cluster.vipGroups[0].services[0].sorryServer.port", /is required/],
    [
        "every real server at weight 0 under keepalived's default quorum",
        (c) => {
            c.directors[0].healthChecks = true;
            svc(c).healthCheck = { type: "tcp" };
            for (const rs of svc(c).realServers) rs.weight = 0;
        },
        "cluster.vipGroups[0].services[0].realServers",
        /default quorum of 1/,
    ],
    [
        "every real server at weight 0 under keepalived, even with a sorry server (keepalived -t warns and lowers the quorum to 0)",
        (c) => {
            c.directors[0].healthChecks = true;
            Object.assign(svc(c), { healthCheck: { type: "tcp" }, sorryServer: { address: "192.168.13.114", port: 80 } });
            for (const rs of svc(c).realServers) rs.weight = 0;
        },
        "cluster.vipGroups[0].services[0].realServers",
        /lower the quorum to 0/,
    ],
    ["one host in two HA pairs", (c) => twoPairs(c, (p) => (p.nodes[0].host = "d2")), "cluster.haPairs[1].nodes[0].host", /already a node of haPairs\[0\]/],
    ["two HA pairs with one name", (c) => twoPairs(c, (p) => (p.name = "a")), "cluster.haPairs[1].name", /also haPairs\[0\]'s name/],
    ["two HA pairs with one virtual_router_id", (c) => twoPairs(c, (p) => (p.virtualRouterId = 1)), "cluster.haPairs[1].virtualRouterId", /two VRRP instances with one id/],
    [
        "the same VIP and service in two groups on one director",
        (c) => {
            secondGroup(c, "192.168.13.100");
            c.directors[0].vipGroups.push("web2");
        },
        "cluster.vipGroups[1].services[0]",
        /tcp 192\.168\.13\.100:80 is also defined in vipGroups\[0\]\.services\[0\]/,
    ],
    [
        "the same VIP on two directors",
        (c) => {
            secondGroup(c, "192.168.13.100", 81);
            host(c, "d2", "192.168.13.120");
            c.directors.push({ host: "d2", vipGroups: ["web2"] });
        },
        "cluster.vipGroups[1].vips[0]",
        /also served by directors\[0\]/,
    ],
    [
        "a VIP that is a real server's address in another group",
        (c) => {
            secondGroup(c, "192.168.13.50");
            c.directors[0].vipGroups.push("web2");
            svc(c).realServers.push({ address: "192.168.13.50" });
        },
        "cluster.vipGroups[1].vips[0]",
        /real server's address in vipGroups\[0\]/,
    ],
    ["a pool member named after an Object property", (c) => (svc(c).realServers[0] = { host: "constructor" }), "cluster.vipGroups[0].services[0].realServers[0].host", /not in hosts/],
    ["the unspecified address as a VIP", (c) => (c.vipGroups[0].vips = ["0.0.0.0"]), "cluster.vipGroups[0].vips[0]", /unspecified address/],
    ["a loopback VIP", (c) => (c.vipGroups[0].vips = ["127.0.0.1"]), "cluster.vipGroups[0].vips[0]", /loopback address/],
    ["a multicast VIP", (c) => (c.vipGroups[0].vips = ["224.0.0.18"]), "cluster.vipGroups[0].vips[0]", /multicast address/],
    ["a health-check timer of a nanosecond", (c) => (svc(c).healthCheck = { type: "tcp", delayLoop: 1e-9 }), "cluster.vipGroups[0].services[0].healthCheck.delayLoop", /0\.001\.\.3600 seconds/],
    ["a 3000-character MISC command (keepalived -t crashes)", (c) => (svc(c).healthCheck = { type: "misc", command: `/usr/local/bin/${"a".repeat(3000)}` }), "cluster.vipGroups[0].services[0].healthCheck.command", /at most 1000 characters/],
    ["an HTTP path keepalived would split into another keyword", (c) => (svc(c).healthCheck = { type: "http", path: `/${"a".repeat(1100)}` }), "cluster.vipGroups[0].services[0].healthCheck.path", /another keyword/],
    ["a NAT real server without natGateway", (c) => (svc(c).realServers[0].forwarding = "nat"), "cluster.realServers[0].natGateway", /is required: "rs1" is a NAT real server/],
    ["natGateway on a DR-only real server", (c) => (c.realServers[0].natGateway = "192.168.13.111"), "cluster.realServers[0].natGateway", /not a NAT real server in any pool/],
    ["a misspelt arpMethod", (c) => (c.realServers[0].arpMethod = "arptable"), "cluster.realServers[0].arpMethod", /Fix: use one of "sysctl", "arptables"/],
    [
        "arpMethod arptables on a NAT-only real server",
        (c) => {
            svc(c).realServers[0].forwarding = "nat";
            Object.assign(c.realServers[0], { natGateway: "192.168.13.111", arpMethod: "arptables" });
        },
        "cluster.realServers[0].arpMethod",
        /not a DR or TUN real server in any pool/,
    ],
    [
        "arpMethod arptables on a real server with an IPv6 address",
        (c) => {
            c.hosts.rs1.address = "2001:db8::21";
            c.vipGroups[0].vips.push("2001:db8::100");
            c.realServers[0].arpMethod = "arptables";
        },
        "cluster.realServers[0].arpMethod",
        /IPv6 has no ARP/,
    ],
    ["an ssh.host with leading zeros (read as octal)", (c) => (c.hosts.rs1.ssh.host = "192.168.013.100"), "cluster.hosts.rs1.ssh.host", /another form/],
    ["an ssh.host that is one number (read as 32 bits)", (c) => (c.hosts.rs1.ssh.host = "1111111111"), "cluster.hosts.rs1.ssh.host", /another form/],
    ["a bastion host in hex", (c) => (c.hosts.rs1.ssh.bastion = { host: "0x7f.1", hostKey: c.hosts.rs1.ssh.hostKey }), "cluster.hosts.rs1.ssh.bastion.host", /another form/],
    ["a NAT real server on the director's own address with a remapped port", (c) => svc(c).realServers.push({ address: "192.168.13.111", port: 8080, forwarding: "nat" }), "cluster.vipGroups[0].services[0].realServers[2].port", /makes it Local/],
    // The rules the README lists that have no example above.
    ["a VIP that is a host's own address", (c) => (c.vipGroups[0].vips = ["192.168.13.111"]), "cluster.vipGroups[0].vips[0]", /host "director1"'s own address/],
    ["the IPv6 unspecified address as a VIP", (c) => (c.vipGroups[0].vips = ["::"]), "cluster.vipGroups[0].vips[0]", /unspecified address/],
    ["an alias label longer than the kernel's 15 characters", (c) => Object.assign(c.directors[0], { interface: "enp0s31f6abcd", aliasStart: 99 }), "cluster.directors[0].interface", /"enp0s31f6abcd:99" would be 16 characters; the kernel allows 15/],
    [
        "one VipGroup served by two directors",
        (c) => {
            host(c, "d2", "192.168.13.120");
            c.directors.push({ host: "d2", vipGroups: ["web"] });
        },
        "cluster.directors[1].vipGroups[0]",
        /already served by directors\[0\]/,
    ],
    [
        "a HaPair node that is also a Director",
        (c) => {
            host(c, "d2", "192.168.13.120");
            secondGroup(c, "192.168.13.101");
            c.haPairs = [{ name: "a", virtualRouterId: 1, vipGroups: ["web2"], nodes: [{ host: "director1", priority: 100 }, { host: "d2", priority: 90 }] }];
        },
        "cluster.haPairs[0].nodes[0].host",
        /already a Director/,
    ],
    ["two nodes of a pair with one priority", (c) => twoPairs(c, (p) => (p.nodes[1].priority = 100)), "cluster.haPairs[1].nodes[1].priority", /distinct priorities/],
    ["port 0 without persistence", (c) => (svc(c).port = 0), "cluster.vipGroups[0].services[0].port", /only allowed with persistence/],
    ["one-packet scheduling on a TCP service", (c) => (svc(c).onePacket = true), "cluster.vipGroups[0].services[0].onePacket", /only applies to UDP/],
    ["a scheduler flag of another scheduler", (c) => Object.assign(svc(c), { scheduler: "sh", schedulerFlags: ["mh-port"] }), "cluster.vipGroups[0].services[0].schedulerFlags[0]", /not a flag of scheduler sh/],
    ["a DR real server on another port", (c) => (svc(c).realServers[0].port = 8080), "cluster.vipGroups[0].services[0].realServers[0].port", /DR cannot remap ports/],
    ["tunnel settings on a DR real server", (c) => (svc(c).realServers[0].tunnel = { type: "ipip" }), "cluster.vipGroups[0].services[0].realServers[0].tunnel", /only apply with forwarding tun/],
    ["a gue tunnel without its port", (c) => Object.assign(svc(c).realServers[0], { forwarding: "tun", tunnel: { type: "gue" } }), "cluster.vipGroups[0].services[0].realServers[0].tunnel.port", /is required for a gue tunnel/],
    ["remcsum on a gre tunnel", (c) => Object.assign(svc(c).realServers[0], { forwarding: "tun", tunnel: { type: "gre", checksum: "remcsum" } }), "cluster.vipGroups[0].services[0].realServers[0].tunnel.checksum", /only applies to gue/],
    ["checksummed GRE to a real server the stack sets up (gre0 drops it)", (c) => Object.assign(svc(c).realServers[0], { forwarding: "tun", tunnel: { type: "gre", checksum: "csum" } }), "cluster.vipGroups[0].services[0].realServers[0].tunnel.checksum", /csum cannot reach "rs1".*drops every GRE packet/],
    ["one real server twice in a service", (c) => svc(c).realServers.push({ host: "rs1", weight: 2 }), "cluster.vipGroups[0].services[0].realServers[2]", /listed twice/],
    ["an IPv6 VIP with no IPv6 real server", (c) => c.vipGroups[0].vips.push("2001:db8::100"), "cluster.vipGroups[0].vips[1]", /has no IPv6 real server/],
    ["a lower threshold above the upper one", (c) => Object.assign(svc(c).realServers[0], { upperThreshold: 5, lowerThreshold: 10 }), "cluster.vipGroups[0].services[0].realServers[0].lowerThreshold", /must not exceed upperThreshold/],
    ["a shell metacharacter in an interface name", (c) => (c.directors[0].interface = "ens33;reboot"), "cluster.directors[0].interface", /./],
    ["a host with no pinned host key", (c) => delete c.hosts.rs1.ssh.hostKey, "cluster.hosts.rs1.ssh.hostKey", /host keys are verified by default/],
    // zod's own messages get their fix from the issue's data.
    ["an aliasStart out of range", (c) => (c.directors[0].aliasStart = 100), "cluster.directors[0].aliasStart", /<=99\. Fix: use at most 99\.$/],
    ["a misspelt field", (c) => (c.directors[0].interfce = "ens33"), "cluster.directors[0]", /Unrecognized key: "interfce"\. Fix: remove it, or correct its spelling/],
    ["a scheduler that does not exist", (c) => (svc(c).scheduler = "roundrobin"), "cluster.vipGroups[0].services[0].scheduler", /Fix: use one of "rr", "wrr"/],
    ["a director naming a VipGroup that does not exist", (c) => (c.directors[0].vipGroups = ["nope"]), "cluster.directors[0].vipGroups[0]", /not defined/],
    // Marks of fwmark services (issue 11): every packet a director marks belongs to one service.
    ["marks on a port service", (c) => (svc(c).marks = [{ protocol: "tcp", ports: [80] }]), "cluster.vipGroups[0].services[0].marks", /only applies to a fwmark service.*Fix: give the service a fwmark/],
    ["an empty list of marks", (c) => fwmarkService(c, []), "cluster.vipGroups[0].services[0].marks", /at least one mark/],
    ["a mark with no ports", (c) => fwmarkService(c, [{ protocol: "tcp", ports: [] }]), `${MARKS}.ports`, /at least one port/],
    ["a mark on a protocol IPVS does not serve", (c) => fwmarkService(c, [{ protocol: "icmp", ports: [80] }]), `${MARKS}.protocol`, /Fix: use one of "tcp", "udp", "sctp"/],
    ["a marked port above 65535", (c) => fwmarkService(c, [{ protocol: "tcp", ports: [70000] }]), `${MARKS}.ports[0]`, /70000 is not a port 1\.\.65535/],
    ["a marked port 0", (c) => fwmarkService(c, [{ protocol: "tcp", ports: [0] }]), `${MARKS}.ports[0]`, /0 is not a port 1\.\.65535/],
    ["a marked range upside down", (c) => fwmarkService(c, [{ protocol: "udp", ports: ["10100-10000"] }]), `${MARKS}.ports[0]`, /lo must be below hi/],
    ["a marked range of one port", (c) => fwmarkService(c, [{ protocol: "udp", ports: ["80-80"] }]), `${MARKS}.ports[0]`, /one port is written as a number/],
    ["a marked range past 65535", (c) => fwmarkService(c, [{ protocol: "udp", ports: ["60000-70000"] }]), `${MARKS}.ports[0]`, /outside 1\.\.65535/],
    ["a marked port by service name", (c) => fwmarkService(c, [{ protocol: "tcp", ports: ["http"] }]), `${MARKS}.ports[0]`, /"http" is neither a port number nor a range/],
    ["a marked port that is neither number nor string", (c) => fwmarkService(c, [{ protocol: "tcp", ports: [true] }]), `${MARKS}.ports[0]`, /must be a port number or a "lo-hi" range string/],
    ["a mark on a VIP of no group of ours", (c) => fwmarkService(c, [{ protocol: "tcp", ports: [80], vips: ["192.168.13.200"] }]), `${MARKS}.vips[0]`, /not one of this group's VIPs \(192\.168\.13\.100\)/],
    ["a mark listing one VIP twice", (c) => fwmarkService(c, [{ protocol: "tcp", ports: [80], vips: ["192.168.13.100", "192.168.13.100"] }]), `${MARKS}.vips[1]`, /listed twice/],
    ["one port marked twice by one service", (c) => fwmarkService(c, [{ protocol: "tcp", ports: [80, "79-81"] }]), `${MARKS}.ports[1]`, /tcp 192\.168\.13\.100:80 is marked twice by this service \(also at marks\[0\]\.ports\[0\]\)/],
    [
        "one port marked by two fwmark services of a group (the later rule would win silently)",
        (c) => {
            fwmarkService(c, [{ protocol: "tcp", ports: [80, 443] }], 1);
            fwmarkService(c, [{ protocol: "tcp", ports: ["440-450"] }], 2, 1);
        },
        "cluster.vipGroups[0].services[1].marks[0].ports[0]",
        /tcp 192\.168\.13\.100:443 is also marked by services\[0\] \(fwmark 1\): a packet carries one mark, so the later rule would win silently/,
    ],
    [
        "a marked port that a port service of the group serves",
        (c) => markBesidePortService(c, [{ protocol: "tcp", ports: [80, 443], vips: ["192.168.13.101"] }]),
        "cluster.vipGroups[0].services[1].marks[0].ports[0]",
        /tcp 192\.168\.13\.101:80 is also the port service services\[0\]: the kernel looks a marked packet up by its mark first/,
    ],
    [
        "a marked range over a port service of another group on the same director",
        (c) => {
            secondGroup(c, "192.168.13.100", 8080);
            c.directors[0].vipGroups.push("web2");
            fwmarkService(c, [{ protocol: "tcp", ports: ["8000-8099"] }]);
        },
        "cluster.vipGroups[0].services[0].marks[0].ports[0]",
        /tcp 192\.168\.13\.100:8080 is also the port service vipGroups\[1\]\.services\[0\], which directors\[0\] \(director1\) serves too/,
    ],
    [
        "overlapping marks of two groups on one HaPair",
        (c) => {
            twoPairs(c, () => undefined);
            c.haPairs = [{ ...c.haPairs[0], vipGroups: ["web", "web2"] }];
            fwmarkService(c, [{ protocol: "udp", ports: ["10000-10100"] }], 1);
            const web2 = c.vipGroups[1];
            web2.vips = ["192.168.13.100"];
            web2.services[0] = { fwmark: 2, marks: [{ protocol: "udp", ports: ["10050-10200"] }], realServers: [{ host: "rs1" }] };
        },
        "cluster.vipGroups[1].services[0].marks[0].ports[0]",
        /udp 192\.168\.13\.100 ports 10050-10100 is also marked by vipGroups\[0\]\.services\[0\], which haPairs\[0\] \(a\) serves too \(fwmark 1\)/,
    ],
];

describe("the bad-input catalogue", () => {
    it.each(refused)("refuses %s, naming the field, the reason and the fix", (_what, mutate, path, reason) => {
        const issues = issuesOf(seed(mutate));
        const hit = issues.find((line) => line.startsWith(`${path}: `));
        expect(hit, `issues were:\n${issues.join("\n")}`).toBeDefined();
        expect(hit).toMatch(reason);
        expect(hit).toMatch(/Fix: /);
    });
});

const accepted: [string, (c: Cluster) => void][] = [
    ["a lower threshold under an upper one", (c) => Object.assign(svc(c).realServers[0], { upperThreshold: 10, lowerThreshold: 5 })],
    ["persistence of exactly 31 days", (c) => (svc(c).persistence = { timeout: 2678400 })],
    ["a dotted netmask on an IPv4 VIP", (c) => (svc(c).persistence = { netmask: "255.255.255.0" })],
    [
        "a NAT service's sorry server on another port",
        (c) => {
            for (const rs of svc(c).realServers) rs.forwarding = "nat";
            for (const r of c.realServers) r.natGateway = "192.168.13.111";
            svc(c).sorryServer = { address: "192.168.13.114", port: 8080 };
        },
    ],
    ["a fwmark service's sorry server without a port", (c) => (c.vipGroups[0].services[0] = { fwmark: 7, realServers: [{ host: "rs1" }], healthCheck: { type: "tcp", connectPort: 80 }, sorryServer: { address: "192.168.13.114" } })],
    ["every real server at weight 0 on a plain Director (quiesced)", (c) => svc(c).realServers.forEach((rs: Cluster) => (rs.weight = 0))],
    ["two HA pairs kept apart", (c) => twoPairs(c, () => undefined)],
    [
        "the same VIP on one director in two groups with other ports",
        (c) => {
            secondGroup(c, "192.168.13.100", 443);
            c.directors[0].vipGroups.push("web2");
        },
    ],
    [
        "a NAT real server with its gateway",
        (c) => {
            svc(c).realServers[0].forwarding = "nat";
            c.realServers[0].natGateway = "192.168.13.111";
        },
    ],
    ["arpMethod arptables on a DR real server", (c) => (c.realServers[0].arpMethod = "arptables")],
    ["arpMethod arptables on a TUN real server", (c) => Object.assign(c.realServers[0], { arpMethod: "arptables" }) && Object.assign(svc(c).realServers[0], { forwarding: "tun" })],
    ["a NAT real server on the director's own address, on the service port", (c) => svc(c).realServers.push({ address: "192.168.13.111", forwarding: "nat" })],
    ["checksummed GRE to a real server given by address, which the operator sets up", (c) => svc(c).realServers.push({ address: "192.168.13.114", forwarding: "tun", tunnel: { type: "gre", checksum: "csum" } })],
    ["checksummed GUE to a real server the stack sets up", (c) => Object.assign(svc(c).realServers[0], { forwarding: "tun", tunnel: { type: "gue", port: 5555, checksum: "csum" } })],
    ["an ssh.host that is a DNS name with digits", (c) => (c.hosts.rs1.ssh.host = "rs1.dc2.example")],
    ["an ssh.host that is a plain dotted quad", (c) => (c.hosts.rs1.ssh.host = "10.20.30.40")],
    ["a persistent fwmark service marking tcp 80 and 443 (one client, one real server, both ports)", (c) => fwmarkService(c, [{ protocol: "tcp", ports: [80, 443] }])],
    ["a fwmark service marking a udp range and an sctp port", (c) => fwmarkService(c, [{ protocol: "udp", ports: ["10000-10100"] }, { protocol: "sctp", ports: [3868] }])],
    ["a fwmark service with no marks (marked by the operator's own rules)", (c) => (c.vipGroups[0].services[0] = { fwmark: 1, realServers: [{ host: "rs1" }] })],
    ["one port marked for two VIPs by two fwmark services", (c) => {
        c.vipGroups[0].vips.push("192.168.13.101");
        fwmarkService(c, [{ protocol: "tcp", ports: [80], vips: ["192.168.13.100"] }], 1);
        fwmarkService(c, [{ protocol: "tcp", ports: [80], vips: ["192.168.13.101"] }], 2, 1);
    }],
    ["tcp and udp of one port marked by two fwmark services", (c) => {
        fwmarkService(c, [{ protocol: "tcp", ports: [53] }], 1);
        fwmarkService(c, [{ protocol: "udp", ports: [53] }], 2, 1);
    }],
    ["a marked port beside a port service's own", (c) => markBesidePortService(c, [{ protocol: "tcp", ports: ["81-89", 443] }, { protocol: "udp", ports: [80] }])],
    ["a marked port beside a port-0 service (the kernel tries port 0 last)", (c) => {
        Object.assign(svc(c), { port: 0, persistence: { timeout: 300 } });
        fwmarkService(c, [{ protocol: "tcp", ports: [443] }], 1, 1);
    }],
    ["a marked port on a VIP of another director", (c) => {
        host(c, "d2", "192.168.13.120");
        secondGroup(c, "192.168.13.101", 80);
        c.directors.push({ host: "d2", vipGroups: ["web2"] });
        fwmarkService(c, [{ protocol: "tcp", ports: [80] }]);
    }],
    ["marks on a group of IPv4 and IPv6 VIPs", (c) => {
        c.vipGroups[0].vips.push("2001:db8::100");
        fwmarkService(c, [{ protocol: "tcp", ports: [80, 443] }, { protocol: "udp", ports: [53], vips: ["2001:db8::100"] }]);
    }],
];

describe("near misses stay accepted", () => {
    it.each(accepted)("accepts %s", (_what, mutate) => {
        expect(issuesOf(seed(mutate))).toEqual([]);
    });
});

describe("the catalogue itself", () => {
    it("names each case once and prints its size", () => {
        const names = [...refused.map(([what]) => what), ...accepted.map(([what]) => what)];
        expect(new Set(names).size).toBe(names.length);
        const fields = new Set(refused.map(([, , path]) => path.replace(/\[\d+\]/g, "[]")));
        console.log(`[catalogue] ${refused.length} refusals over ${fields.size} fields, ${accepted.length} near misses accepted`);
        expect(fields.size).toBeGreaterThan(1);
    });
});
