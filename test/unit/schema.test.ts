import { describe, expect, it } from "vitest";
import { parseCluster } from "../../components/schema/cluster";
import { ConfigError } from "../../components/base/errors";
import { clusterOf } from "../support/stacks";

function rejection(mutate: (c: Record<string, any>) => void): string[] {
    const c = clusterOf("seed-000");
    mutate(c);
    try {
        parseCluster(c);
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).issues;
    }
    throw new Error("config was accepted");
}

const svc = (c: Record<string, any>) => c.vipGroups[0].services[0];

describe("cluster schema", () => {
    it.each(["seed-000", "seed-001", "seed-004"])("accepts stack %s", (stack) => {
        const spec = parseCluster(clusterOf(stack));
        expect(spec.vipGroups.length).toBeGreaterThan(0);
    });

    it("fills the documented defaults", () => {
        const spec = parseCluster(clusterOf("seed-000"));
        expect(spec.hosts.rs1.ssh).toMatchObject({ port: 22, user: "root", insecureSkipHostKeyCheck: false, connectTimeoutSeconds: 5 });
        expect(svc(spec as any).realServers[0]).toMatchObject({ weight: 1, upperThreshold: 0, lowerThreshold: 0, forwarding: "dr" });
        expect(spec.directors[0].drain).toEqual({ timeoutSeconds: 60, pollSeconds: 2 });
    });

    it("canonicalises IPv6 VIPs the way ipvsadm prints them", () => {
        const c = clusterOf("seed-000");
        c.hosts.rs3 = { address: "2001:DB8:0:0::113", ssh: c.hosts.rs1.ssh };
        c.vipGroups[0].vips = ["2001:0db8::0100"];
        svc(c).realServers = [{ host: "rs3" }];
        c.realServers = [{ host: "rs3" }];
        const spec = parseCluster(c);
        expect(spec.vipGroups[0].vips).toEqual(["2001:db8::100"]);
        expect(spec.hosts.rs3.address).toBe("2001:db8::113");
    });

    // Each row: what is wrong, how to break the seed-000 config, the field path and a reason fragment.
    const cases: [string, (c: Record<string, any>) => void, string, RegExp][] = [
        ["DR port remap", (c) => (svc(c).realServers[0].port = 8080), "cluster.vipGroups[0].services[0].realServers[0].port", /cannot remap ports/],
        ["TUN port remap", (c) => Object.assign(svc(c).realServers[0], { forwarding: "tun", port: 81 }), "realServers[0].port", /TUN cannot remap/],
        ["same real server twice", (c) => svc(c).realServers.push({ host: "rs1" }), "cluster.vipGroups[0].services[0].realServers[2]", /listed twice/],
        ["same server by host and by address", (c) => svc(c).realServers.push({ address: "192.168.13.112" }), "realServers[2]", /same real server/],
        ["duplicate service", (c) => c.vipGroups[0].services.push({ protocol: "tcp", port: 80 }), "cluster.vipGroups[0].services[1]", /duplicates services\[0\]/],
        ["flag of another scheduler", (c) => Object.assign(svc(c), { scheduler: "sh", schedulerFlags: ["mh-port"] }), "services[0].schedulerFlags[0]", /not a flag of scheduler sh/],
        ["flag on rr", (c) => (svc(c).schedulerFlags = ["sh-port"]), "schedulerFlags[0]", /takes no flags/],
        ["unknown scheduler", (c) => (svc(c).scheduler = "fastest"), "services[0].scheduler", /./],
        ["VIP is a host's address", (c) => (c.vipGroups[0].vips = ["192.168.13.112"]), "cluster.vipGroups[0].vips[0]", /own address/],
        ["weight too high", (c) => (svc(c).realServers[0].weight = 65536), "realServers[0].weight", /0\.\.65535/],
        ["weight negative", (c) => (svc(c).realServers[1].weight = -1), "realServers[1].weight", /0\.\.65535/],
        ["threshold too high", (c) => (svc(c).realServers[0].upperThreshold = 2 ** 31), "realServers[0].upperThreshold", /0\.\.2147483647/],
        ["lower above upper", (c) => Object.assign(svc(c).realServers[0], { upperThreshold: 10, lowerThreshold: 20 }), "realServers[0].lowerThreshold", /must not exceed/],
        ["lower threshold without an upper one", (c) => (svc(c).realServers[0].lowerThreshold = 5), "realServers[0].lowerThreshold", /needs an upperThreshold.*Fix: set upperThreshold to at least 5/],
        ["persistence over 31 days", (c) => (svc(c).persistence = { timeout: 2678401 }), "services[0].persistence.timeout", /1\.\.2678400 seconds.*Fix:/],
        ["a pool member named after an Object property", (c) => (svc(c).realServers[0] = { host: "constructor" }), "realServers[0].host", /not in hosts/],
        ["the unspecified IPv4 VIP", (c) => (c.vipGroups[0].vips = ["0.0.0.0"]), "cluster.vipGroups[0].vips[0]", /unspecified address.*Fix:/],
        ["the unspecified IPv6 VIP", (c) => (c.vipGroups[0].vips = ["::"]), "cluster.vipGroups[0].vips[0]", /unspecified address/],
        ["a loopback VIP", (c) => (c.vipGroups[0].vips = ["127.0.0.2"]), "cluster.vipGroups[0].vips[0]", /loopback address/],
        ["the IPv6 loopback VIP", (c) => (c.vipGroups[0].vips = ["::1"]), "cluster.vipGroups[0].vips[0]", /loopback address/],
        ["a multicast VIP", (c) => (c.vipGroups[0].vips = ["239.1.1.1"]), "cluster.vipGroups[0].vips[0]", /multicast address/],
        ["an IPv6 multicast VIP", (c) => (c.vipGroups[0].vips = ["ff02::1"]), "cluster.vipGroups[0].vips[0]", /multicast address/],
        ["interface with space", (c) => (c.directors[0].interface = "ens 33"), "cluster.directors[0].interface", /interface name/],
        ["interface too long", (c) => (c.realServers[0].interface = "averyveryverylongif0"), "cluster.realServers[0].interface", /1-15/],
        ["alias label too long", (c) => Object.assign(c.directors[0], { interface: "enp0s31f6abcde", aliasStart: 10 }), "cluster.directors[0].interface", /alias label/],
        ["interface with colon", (c) => (c.directors[0].interface = "ens33:0"), "cluster.directors[0].interface", /no ':'/],
        ["port 0 without persistence", (c) => (svc(c).port = 0), "services[0].port", /only allowed with persistence/],
        ["gue tunnel without port", (c) => Object.assign(svc(c).realServers[0], { forwarding: "tun", tunnel: { type: "gue" } }), "realServers[0].tunnel.port", /required for a gue/],
        ["one-packet on tcp", (c) => (svc(c).onePacket = true), "services[0].onePacket", /only applies to UDP/],
        ["missing host key", (c) => delete c.hosts.rs1.ssh.hostKey, "cluster.hosts.rs1.ssh.hostKey", /verified by default/],
        ["connect timeout of 0", (c) => (c.hosts.rs1.ssh.connectTimeoutSeconds = 0), "cluster.hosts.rs1.ssh.connectTimeoutSeconds", /1\.\.300 seconds/],
        ["connect timeout of an hour", (c) => (c.hosts.rs1.ssh.connectTimeoutSeconds = 3600), "cluster.hosts.rs1.ssh.connectTimeoutSeconds", /1\.\.300 seconds/],
        ["unknown host", (c) => (svc(c).realServers[0].host = "rs9"), "realServers[0].host", /not in hosts/],
        ["unknown group", (c) => (c.directors[0].vipGroups = ["nope"]), "cluster.directors[0].vipGroups[0]", /not defined/],
        ["unknown field", (c) => (svc(c).wieght = 3), "cluster.vipGroups[0].services[0]", /wieght/],
        ["bad VIP", (c) => (c.vipGroups[0].vips = ["192.168.13.300"]), "cluster.vipGroups[0].vips[0]", /not an IPv4 or IPv6/],
        [
            "equal VRRP priorities",
            (c) => {
                c.hosts.director2 = { address: "192.168.13.114", ssh: c.hosts.rs1.ssh };
                c.directors = [];
                c.haPairs = [{ name: "ha", virtualRouterId: 51, vipGroups: ["web"], nodes: [{ host: "director1", priority: 100 }, { host: "director2", priority: 100 }] }];
            },
            "cluster.haPairs[0].nodes[1].priority",
            /distinct priorities/,
        ],
        [
            "both nodes in maintenance",
            (c) => {
                c.hosts.director2 = { address: "192.168.13.114", ssh: c.hosts.rs1.ssh };
                c.directors = [];
                c.haPairs = [{ name: "ha", virtualRouterId: 51, vipGroups: ["web"], nodes: [{ host: "director1", priority: 150, maintenance: true }, { host: "director2", priority: 100, maintenance: true }] }];
            },
            "cluster.haPairs[0].nodes[1].maintenance",
            /no node to hold them\. Fix: take one node out of maintenance first/,
        ],
        ["group served twice", (c) => c.directors.push({ host: "rs1", vipGroups: ["web"] }), "cluster.directors[1].vipGroups[0]", /exactly one owner/],
    ];

    it.each(cases)("rejects %s, naming the field", (_what, mutate, path, reason) => {
        const issues = rejection(mutate);
        const hit = issues.find((line) => line.includes(path));
        expect(hit, `issues were:\n${issues.join("\n")}`).toBeDefined();
        expect(hit).toMatch(reason);
    });

    // Hostile strings: every string field must be refused before anything reaches a shell.
    // Shell metacharacters are refused everywhere; names and addresses also refuse spaces, paths and options.
    const shellMeta = ["$(reboot)", "`id`", "a;rm -rf /", "x' || true '", "ens33\nip link del ens33", "\u0000", "ens33&", "a|b", 'a"b', "a>b"];
    const hostile = [...shellMeta, "a b", "../../etc/passwd", "--help"];
    const stringFields: [string, (c: Record<string, any>, v: string) => void][] = [
        ["hosts.*.address", (c, v) => (c.hosts.rs1.address = v)],
        ["hosts.*.ssh.host", (c, v) => (c.hosts.rs1.ssh.host = v)],
        ["hosts.*.ssh.user", (c, v) => (c.hosts.rs1.ssh.user = v)],
        ["hosts.*.ssh.hostKey", (c, v) => (c.hosts.rs1.ssh.hostKey = `ssh-ed25519 AAAA${v}`)],
        ["hosts key (name)", (c, v) => (c.hosts[v] = c.hosts.rs1)],
        ["vipGroups.name", (c, v) => (c.vipGroups[0].name = v)],
        ["vips", (c, v) => (c.vipGroups[0].vips = [v])],
        ["scheduler", (c, v) => (svc(c).scheduler = v)],
        ["schedulerFlags", (c, v) => Object.assign(svc(c), { scheduler: "sh", schedulerFlags: [v] })],
        ["realServers.host", (c, v) => (svc(c).realServers[0].host = v)],
        ["realServers.address", (c, v) => (svc(c).realServers[0] = { address: v })],
        ["forwarding", (c, v) => (svc(c).realServers[0].forwarding = v)],
        ["protocol", (c, v) => (svc(c).protocol = v)],
        ["persistence.netmask", (c, v) => (svc(c).persistence = { netmask: v })],
        ["directors.interface", (c, v) => (c.directors[0].interface = v)],
        ["directors.host", (c, v) => (c.directors[0].host = v)],
        ["realServers.interface", (c, v) => (c.realServers[0].interface = v)],
        ["realServers.natGateway", (c, v) => (c.realServers[0].natGateway = v)],
        ["healthCheck.path", (c, v) => (svc(c).healthCheck = { type: "http", path: `/${v}` })],
        ["healthCheck.command", (c, v) => (svc(c).healthCheck = { type: "misc", command: `/bin/check ${v}` })],
    ];
    it.each(stringFields)("refuses hostile strings in %s", (field, set) => {
        // A URL path may hold '&' (a query), and a key line or a check command may hold a space.
        const values = field === "healthCheck.path" ? shellMeta.filter((v) => v !== "ens33&") : /hostKey|healthCheck/.test(field) ? shellMeta : hostile;
        for (const v of values) {
            const c = clusterOf("seed-000");
            set(c, v);
            expect(() => parseCluster(c), `value ${JSON.stringify(v)}`).toThrow(ConfigError);
        }
    });
});
