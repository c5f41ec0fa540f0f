/**
 * What keepalived would reject, ignore or misread is refused before any host is touched:
 * hostile strings by the schemas (and again by the renderer's word guards), and combinations
 * `keepalived -t` refuses (quorum above the pool's weight, a service without real servers,
 * unicast peers of the wrong family) with the field and a fix.
 */
import { describe, expect, it } from "vitest";
import { parseCluster } from "../../components/schema/cluster";
import { healthCheckSchema } from "../../components/schema/health-check";
import { haPairSchema } from "../../components/schema/ha-pair";
import { ConfigError } from "../../components/base/errors";
import { groupView, mergeChecks } from "../../components/core/host/cluster-model";
import { haPairNodes } from "../../components/core/keepalived/render-ha-pair";
import { renderKeepalived } from "../../components/core/keepalived/render-keepalived";
import { quoted, timer, word } from "../../components/core/keepalived/keepalived-syntax";
import type { Ruleset } from "../../components/core/ipvs/ipvs-model";
import { clusterOf } from "../support/stacks";

const seed = () => clusterOf("seed-002");

function issuesOf(fn: () => unknown): string[] {
    try {
        fn();
    } catch (e) {
        if (e instanceof ConfigError) return e.issues;
        throw e;
    }
    throw new Error("expected a ConfigError");
}

/** Renders the seed's pair after `edit` changes the raw cluster. */
/** The raw stack config as the test support loads it (deliberately loose: tests edit it freely). */
type RawCluster = ReturnType<typeof clusterOf>;

function renderSeed(edit: (c: RawCluster) => void): string {
    const c = seed();
    edit(c);
    const spec = parseCluster(c);
    const groups = spec.vipGroups.map((g) => groupView(spec.hosts, g));
    const p = spec.haPairs[0];
    const node = (i: 0 | 1) => ({ ...p.nodes[i], address: spec.hosts[p.nodes[i].host].address });
    return haPairNodes({ ...p, nodes: [node(0), node(1)] }, groups)[0].conf;
}

describe("hostile strings", () => {
    it.each([
        ["path with a newline", { type: "http", path: "/x\n}\nvirtual_server 1.2.3.4 80 {" }],
        ["path with a comment", { type: "http", path: "/x#y" }],
        ["path with a brace", { type: "http", path: "/{x}" }],
        ["path with a $ substitution", { type: "http", path: "/$X" }],
        ["path with a space", { type: "http", path: "/a b" }],
        ["misc command with a quote", { type: "misc", command: '/bin/check "x' }],
        ["misc command with $", { type: "misc", command: "/bin/check $HOME" }],
        ["misc command with ;", { type: "misc", command: "/bin/check;reboot" }],
        ["misc command with a backslash", { type: "misc", command: "/bin/check \\x22" }],
        ["relative misc command", { type: "misc", command: "check" }],
        ["connect_ip that is not an address", { type: "tcp", connectIp: "1.2.3.4 }" }],
    ])("refuses a health check %s", (_what, check) => {
        expect(healthCheckSchema.safeParse(check).success).toBe(false);
    });

    it("refuses connectIp/connectPort on a misc check, naming the field", () => {
        const r = healthCheckSchema.safeParse({ type: "misc", command: "/bin/true", connectPort: 80 });
        expect(r.success).toBe(false);
        expect(r.error?.issues[0].path).toEqual(["connectPort"]);
    });

    it.each([
        ["a password with a space", { authentication: { password: "a b" } }],
        ["a password with a brace", { authentication: { password: "}" } }],
        ["a password longer than keepalived reads (8)", { authentication: { password: "123456789" } }],
        ["an interface with a shell character", { nodes: [{ host: "a", priority: 2, interface: "ens33;x" }, { host: "b", priority: 1 }] }],
        ["a name with spaces", { name: "web ha" }],
    ])("refuses a pair with %s", (_what, patch) => {
        const pair = { name: "web-ha", virtualRouterId: 51, nodes: [{ host: "a", priority: 2 }, { host: "b", priority: 1 }], vipGroups: ["web"], ...patch };
        expect(haPairSchema.safeParse(pair).success).toBe(false);
    });

    it("names the stack field of a hostile value", () => {
        const c = seed();
        c.vipGroups[0].services[0].healthCheck = { type: "http", path: "/ok\n}" };
        expect(issuesOf(() => parseCluster(c))[0]).toMatch(/^cluster\.vipGroups\[0\]\.services\[0\]\.healthCheck\.path: must be a URL path/);
    });

    it("refuses, in the renderer itself, anything that is not one inert word (a schema gap must not become config)", () => {
        for (const bad of ["a b", "x\ny", "{", "}", "#c", "!c", "$V", "@main", "'q'", '"q"', "a\\b", ""]) {
            expect(() => word(bad, "value")).toThrow(/not a plain word/);
        }
        expect(word("/health?x=1&y=%20", "path")).toBe("/health?x=1&y=%20");
        expect(() => quoted('/bin/x "y', "cmd")).toThrow(/interpret/);
        expect(() => quoted("/bin/x $y", "cmd")).toThrow(/interpret/);
        expect(() => quoted("/bin/x\n", "cmd")).toThrow(/interpret/);
        expect(quoted("/bin/x --a=b", "cmd")).toBe('"/bin/x --a=b"');
        expect(() => timer(0.0000001, "t")).toThrow(/positive/);
        expect(timer(1e-6, "t")).toBe("0.000001");
    });

    it("refuses a hostile value that reaches the renderer without a schema", () => {
        const ruleset: Ruleset = {
            services: [
                {
                    key: { kind: "addr", protocol: "tcp", address: "192.168.13.100", port: 80 },
                    settings: { scheduler: "rr\n}\nglobal_defs {", schedFlags: [], onePacket: false },
                    dests: [{ key: { address: "192.168.13.112", port: 80 }, settings: { forwarding: "dr", weight: 1, upperThreshold: 0, lowerThreshold: 0 } }],
                },
            ],
        };
        expect(() => renderKeepalived({ routerId: "d1", owner: "Director d1", ruleset, checks: {} })).toThrow(/scheduler .* is not a plain word/);
        expect(() => renderKeepalived({ routerId: "d1 x", owner: "Director d1", ruleset: { services: [] }, checks: {} })).toThrow(/router_id/);
        expect(() => renderKeepalived({ routerId: "d1", owner: "Director d1\nvrrp_instance x {", ruleset: { services: [] }, checks: {} })).toThrow(/control character/);
    });
});

describe("combinations keepalived refuses", () => {
    it("refuses a quorum above the pool's total weight (keepalived -t fails on it)", () => {
        const issues = issuesOf(() => renderSeed((c) => (c.vipGroups[0].services[0].quorum = 3)));
        expect(issues).toEqual([
            "HaPair web-ha: virtual service -t 192.168.13.100:80: quorum 3 exceeds the total weight of its real servers (2); keepalived -t refuses that. Fix: lower quorum or raise weights.",
        ]);
        expect(renderSeed((c) => (c.vipGroups[0].services[0].quorum = 2))).toContain("    quorum 2\n");
    });

    it("refuses a service without real servers (keepalived would silently ignore it)", () => {
        const issues = issuesOf(() => renderSeed((c) => (c.vipGroups[0].services[0].realServers = [])));
        expect(issues[0]).toMatch(/^HaPair web-ha: virtual service -t 192\.168\.13\.100:80 has no real servers; .* Fix:/);
    });

    it("refuses a TCP check on a fwmark service without connectPort (its real servers have no port)", () => {
        const issues = issuesOf(() =>
            renderSeed((c) => {
                const svc = c.vipGroups[0].services[0];
                delete svc.protocol;
                delete svc.port;
                svc.fwmark = 5;
            }),
        );
        expect(issues[0]).toMatch(/-f 5: a tcp check needs a port.*Fix: set healthCheck\.connectPort/);
        expect(
            renderSeed((c) => {
                const svc = c.vipGroups[0].services[0];
                delete svc.protocol;
                delete svc.port;
                svc.fwmark = 5;
                svc.healthCheck.connectPort = 80;
            }),
        ).toContain("virtual_server fwmark 5 {\n    lvs_sched rr\n    lvs_method DR\n    ip_family inet\n");
    });

    it("refuses a sorry server of the other address family", () => {
        const issues = issuesOf(() =>
            renderSeed((c) => {
                c.vipGroups[0].vips.push("2001:db8::100");
                c.hosts.rs6 = { address: "2001:db8::21", ssh: c.hosts.rs1.ssh };
                c.vipGroups[0].services[0].realServers.push({ host: "rs6" });
                c.vipGroups[0].services[0].sorryServer = { address: "192.168.13.120", port: 80 };
            }),
        );
        expect(issues).toEqual([expect.stringMatching(/-t \[2001:db8::100\]:80: sorry server 192\.168\.13\.120 is not IPv6/)]);
    });

    it("refuses unicast VRRP when the nodes' addresses are not of the VIPs' family", () => {
        const c = seed();
        c.vipGroups[0].vips = ["2001:db8::100"];
        c.hosts.rs1.address = "2001:db8::21";
        c.hosts.rs2.address = "2001:db8::22";
        c.haPairs[0].unicast = true;
        const spec = parseCluster(c);
        const groups = [groupView(spec.hosts, spec.vipGroups[0])];
        const p = spec.haPairs[0];
        const node = (i: 0 | 1) => ({ ...p.nodes[i], address: spec.hosts[p.nodes[i].host].address });
        expect(issuesOf(() => haPairNodes({ ...p, nodes: [node(0), node(1)] }, groups))[0]).toMatch(
            /^HaPair web-ha\.unicast: VRRP runs over IPv6 here .* director1 \(192\.168\.13\.111\), director2 \(192\.168\.13\.114\) has an IPv4 address; .*Fix:/,
        );
        expect(mergeChecks(groups)["-t [2001:db8::100]:80"]?.healthCheck?.type).toBe("tcp");
    });

    it("collects every refused service in one error", () => {
        const issues = issuesOf(() =>
            renderSeed((c) => {
                c.vipGroups[0].vips.push("192.168.13.101");
                c.vipGroups[0].services[0].quorum = 5;
            }),
        );
        expect(issues.map((i) => i.split(":")[1].trim())).toEqual(["virtual service -t 192.168.13.100", "virtual service -t 192.168.13.101"]);
    });
});
