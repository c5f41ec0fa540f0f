/**
 * HaPair under Pulumi mocks, in preview and update mode: which resources each node gets, in
 * which order they depend on each other, and the exact commands and ipvs entries they carry.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { dependencyRecorder, runUnderMocks, type MockResource } from "../support/mocks";
import { clusterOf } from "../support/stacks";
import { parseCluster } from "../../components/schema/cluster";
import { buildCluster } from "../../components/cluster";
import { HaPair } from "../../components/ha-pair";
import { VipGroup } from "../../components/vip-group";
import { ConfigError } from "../../components/base/errors";
import type { StepRunner } from "../../components/parts/host-access";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

const isSecret = (v: unknown): boolean => typeof v === "object" && v !== null && SECRET_SIG in v;
/** Inputs with secrets unwrapped. */
function plain(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(plain);
    if (typeof v !== "object" || v === null) return v;
    const o = v as Record<string, unknown>;
    return SECRET_SIG in o ? plain(o.value) : Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plain(x)]));
}

const byName = (rs: MockResource[], name: string): MockResource => {
    const r = rs.find((x) => x.name === name);
    if (!r) throw new Error(`no resource ${name}; have ${rs.map((x) => x.name).join(", ")}`);
    return r;
};

async function seed002(dryRun: boolean, edit: (c: ReturnType<typeof clusterOf>) => void = () => {}, runner?: StepRunner) {
    const rec = dependencyRecorder();
    let pair: HaPair | undefined;
    const c = clusterOf("seed-002");
    edit(c);
    const spec = parseCluster(c);
    const rs = await runUnderMocks(() => {
        const groups = Object.fromEntries(spec.vipGroups.map((g) => [g.name, new VipGroup(g.name, { spec: g, hosts: spec.hosts })]));
        const p = spec.haPairs[0];
        pair = new HaPair(
            p.name,
            {
                ...p,
                nodes: [0, 1].map((i) => ({ host: { name: p.nodes[i].host, spec: spec.hosts[p.nodes[i].host], privateKey: pulumi.secret(KEY), runner }, priority: p.nodes[i].priority, interface: p.nodes[i].interface })) as never,
                vipGroups: p.vipGroups.map((n) => groups[n]),
            },
            { transformations: [rec.transformation] },
        );
    }, dryRun);
    return { rs, rec, pair: pair! };
}

const STEPS = ["install", "sysctl", "keepalived-install", "keepalived", "ipvs", "keepalived-enable"];

describe.each([true, false])("HaPair for seed 002 (dryRun=%s)", (dryRun) => {
    // One program run per mode serves the read-only assertions below, which keeps the suite fast.
    let run: Awaited<ReturnType<typeof seed002>>;
    beforeAll(async () => {
        run = await seed002(dryRun);
    });

    it("gives each node install, sysctl, keepalived steps and a keepalived-managed IpvsTable; no VIP or boot commands", () => {
        const { rs, rec, pair } = run;
        const names = rs.map((r) => `${r.type} ${r.name}`).sort();
        const expected = ["lvs:index:HaPair web-ha", "lvs:index:VipGroup web"];
        for (const host of ["director1", "director2"]) {
            for (const step of STEPS) expected.push(step === "ipvs" ? `pulumi-nodejs:dynamic/lvs:IpvsTable web-ha-${host}-ipvs` : `pulumi-nodejs:dynamic/lvs:RemoteStep web-ha-${host}-${step}`);
        }
        expect(names).toEqual(expected.sort());
        for (const host of ["director1", "director2"]) for (const step of STEPS) expect(rec.parentOf(`web-ha-${host}-${step}`)).toBe(pair);
    });

    it("registers counts as outputs, the nodes' entries staying in their IpvsTables alone", () => {
        const { rs, pair } = run;
        const entries = Object.keys((plain(byName(rs, "web-ha-director1-ipvs").inputs) as { entries: Record<string, string> }).entries);
        const realServers = entries.filter((id) => id.startsWith("-a ")).length;
        expect(pair.summary).toEqual({ nodes: ["director1", "director2"], services: entries.length - realServers, realServers });
        expect(realServers).toBeGreaterThan(0);
    });

    it("orders each node: install -> sysctl -> keepalived-install -> keepalived -> IpvsTable -> keepalived-enable", () => {
        const { rec } = run;
        for (const host of ["director1", "director2"]) {
            const n = (s: string) => `web-ha-${host}-${s}`;
            expect(rec.deps(n("install"))).toEqual([]);
            for (let i = 1; i < STEPS.length; i++) expect(rec.deps(n(STEPS[i]))).toEqual([n(STEPS[i - 1])]);
        }
    });

    it("shows in the preview exactly the entries keepalived will build, on both nodes", () => {
        const { rs } = run;
        for (const host of ["director1", "director2"]) {
            const table = plain(byName(rs, `web-ha-${host}-ipvs`).inputs) as { entries: unknown; manager: unknown; drain: unknown; connection: { host: string } };
            expect(table.entries).toEqual({
                "-A -t 192.168.13.100:80": "-s rr",
                "-a -t 192.168.13.100:80 -r 192.168.13.112:80": "-g -w 1",
                "-a -t 192.168.13.100:80 -r 192.168.13.113:80": "-g -w 1",
            });
            expect(table.manager).toBe("keepalived");
            expect(table.drain).toEqual({ timeoutSeconds: 30, pollSeconds: 2 });
            expect(table.connection.host).toBe(host === "director1" ? "192.168.13.111" : "192.168.13.114");
            expect(isSecret(byName(rs, `web-ha-${host}-ipvs`).inputs.connection)).toBe(true);
        }
    });

    it("carries the config: keepalived -t on the staged file, then the move, then start or reload (never restart)", () => {
        const { rs } = run;
        const cmd = byName(rs, "web-ha-director1-keepalived").inputs;
        const create = cmd.create as string;
        expect(cmd.update).toBe(create);
        const at = (s: string) => {
            const i = create.indexOf(s);
            expect(i, s).toBeGreaterThanOrEqual(0);
            return i;
        };
        expect(at("keepalived -t -f /etc/pulumi-lvs/keepalived.conf.new")).toBeLessThan(at("mv /etc/pulumi-lvs/keepalived.conf.new /etc/keepalived/keepalived.conf"));
        expect(at("mv /etc/pulumi-lvs/keepalived.conf.new /etc/keepalived/keepalived.conf")).toBeLessThan(
            at("if systemctl is-active --quiet keepalived; then systemctl reload keepalived; else systemctl start keepalived; fi"),
        );
        expect(create).not.toMatch(/restart/);
        expect(create).toContain("    state MASTER\n    interface ens33\n    virtual_router_id 51\n    priority 100\n");
        expect(byName(rs, "web-ha-director2-keepalived").inputs.create).toContain("    state BACKUP\n    interface ens33\n    virtual_router_id 51\n    priority 90\n");
        expect(cmd.delete).toContain("mv /var/lib/pulumi-lvs/keepalived.conf.orig /etc/keepalived/keepalived.conf");
        expect(cmd.delete).toContain("ip addr del 192.168.13.100/32 dev ens33");
        expect(byName(rs, "web-ha-director1-keepalived-enable").inputs.delete).toContain("systemctl stop keepalived");
        expect(byName(rs, "web-ha-director1-keepalived-install").inputs.create).toContain('need="$need keepalived"');
        expect(byName(rs, "web-ha-director1-sysctl").inputs.create).toContain("net/ipv4/vs/expire_nodest_conn");
        expect(JSON.stringify(rs.map((r) => r.inputs.create ?? ""))).not.toContain("not-a-real-key");
    });

    it("keeps the VRRP password out of plain-text state: the config scripts become secrets", async () => {
        const { rs } = await seed002(dryRun, (c) => (c.haPairs[0].authentication = { password: "s3cret" }));
        const cmd = byName(rs, "web-ha-director1-keepalived").inputs;
        expect(isSecret(cmd.create)).toBe(true);
        expect(isSecret(cmd.update)).toBe(true);
        expect(plain(cmd.create)).toContain("        auth_type PASS\n        auth_pass s3cret\n");
        expect(JSON.stringify(cmd.delete)).not.toContain("s3cret");
        for (const r of rs.filter((x) => x.name !== "web-ha-director1-keepalived" && x.name !== "web-ha-director2-keepalived")) {
            expect(JSON.stringify(r.inputs), r.name).not.toContain("s3cret");
        }
    });
});

describe("HaPair with the pulumi-command runner", () => {
    it("keeps the VRRP password secret: the scripts travel in a secret stdin, the commands only name the part", async () => {
        const { rs } = await seed002(true, (c) => (c.haPairs[0].authentication = { password: "s3cret" }), "pulumi-command");
        const cmd = byName(rs, "web-ha-director1-keepalived").inputs;
        expect(isSecret(cmd.stdin)).toBe(true);
        expect(plain(cmd.stdin)).toContain("        auth_type PASS\n        auth_pass s3cret\n");
        expect(plain(cmd.stdin)).toContain("mv /var/lib/pulumi-lvs/keepalived.conf.orig /etc/keepalived/keepalived.conf");
        expect(plain([cmd.create, cmd.update, cmd.delete])).toEqual(["sh -s create", "sh -s create", "sh -s delete"]);
        for (const r of rs.filter((x) => x.name !== "web-ha-director1-keepalived" && x.name !== "web-ha-director2-keepalived")) {
            expect(JSON.stringify(r.inputs), r.name).not.toContain("s3cret");
        }
    });
});

describe("HaPair with a fwmark service that marks its packets", () => {
    it("loads the marks on both nodes (either may be master) after install, with a boot unit after them", async () => {
        const { rs, rec, pair } = await seed002(true, (c) => {
            c.vipGroups[0].services[0] = { fwmark: 1, persistence: { timeout: 300 }, marks: [{ protocol: "tcp", ports: [80, 443] }], healthCheck: { type: "tcp", connectPort: 80 }, realServers: [{ host: "rs1" }, { host: "rs2" }] };
        });
        for (const host of ["director1", "director2"]) {
            const n = (s: string) => `web-ha-${host}-${s}`;
            expect(rec.deps(n("marks"))).toEqual([n("install")]);
            expect(rec.deps(n("boot"))).toEqual([n("marks")]);
            expect(rec.parentOf(n("marks"))).toBe(pair);
            expect(byName(rs, n("marks")).inputs.create).toContain("ip daddr 192.168.13.100 tcp dport { 80, 443 } meta mark set 1");
            expect(byName(rs, n("boot")).inputs.create).toContain("nft -f /etc/pulumi-lvs/marks.nft");
        }
    });
});

describe("HaPair validation and API", () => {
    const g = () => new VipGroup("web", { spec: { name: "web", vips: ["192.168.13.100"], services: [{ protocol: "tcp", port: 80, realServers: [{ address: "192.168.13.112" }] }] } });
    const node = (name: string, address: string, priority: number) => ({ host: { name, spec: { address, ssh: { insecureSkipHostKeyCheck: true } }, privateKey: KEY }, priority });

    it("is built by buildCluster from the stack (seed-002), with outputs per host", async () => {
        const rs = await runUnderMocks(() => {
            const built = buildCluster(parseCluster(clusterOf("seed-002")), pulumi.secret(KEY));
            expect(Object.keys(built.haPairs)).toEqual(["web-ha"]);
            expect(Object.keys(built.haPairs["web-ha"].tables)).toEqual(["director1", "director2"]);
        }, true);
        expect(rs.filter((r) => r.type === "lvs:index:HaPair").map((r) => r.name)).toEqual(["web-ha"]);
    });

    it("defaults the instance name to the resource name and applies the schema defaults", async () => {
        await runUnderMocks(() => {
            const pair = new HaPair("edge", { nodes: [node("a", "192.168.13.111", 2), node("b", "192.168.13.114", 1)], virtualRouterId: 7, vipGroups: [g()] });
            const vrrp = pair.nodes[0].keepalived.vrrp!;
            expect([vrrp.name, vrrp.interface, vrrp.advertInt, vrrp.syncConnections, vrrp.nopreempt, vrrp.state]).toEqual(["edge", "ens33", 1, true, false, "MASTER"]);
            expect(pair.nodes[1].keepalived.vrrp?.state).toBe("BACKUP");
        }, true);
    });

    it.each([
        ["equal priorities", { nodes: [node("a", "192.168.13.111", 1), node("b", "192.168.13.114", 1)] }, /^HaPair p\.nodes\[1\]\.priority: equals nodes\[0\]\.priority/],
        ["a bad router id", { virtualRouterId: 256 }, /^HaPair p\.virtualRouterId: must be 1\.\.255/],
        ["a hostile interface", { nodes: [{ ...node("a", "192.168.13.111", 2), interface: "ens33 }" }, node("b", "192.168.13.114", 1)] }, /^HaPair p\.nodes\[0\]\.interface: must be an interface name/],
        ["a node owning the VIP", { nodes: [node("a", "192.168.13.100", 2), node("b", "192.168.13.114", 1)] }, /^HaPair p\.nodes\[0\]\.vipGroups: VipGroup "web" has VIP 192\.168\.13\.100/],
    ])("refuses %s before registering any host step", async (_what, patch, message) => {
        const created = await runUnderMocks(() => {
            let err: unknown;
            try {
                new HaPair("p", { nodes: [node("a", "192.168.13.111", 2), node("b", "192.168.13.114", 1)], virtualRouterId: 7, vipGroups: [g()], ...patch } as never);
            } catch (e) {
                err = e;
            }
            expect(err).toBeInstanceOf(ConfigError);
            expect((err as ConfigError).issues[0]).toMatch(message);
        }, true);
        expect(created.filter((r) => r.type === "pulumi-nodejs:dynamic/lvs:RemoteStep")).toHaveLength(0);
    });
});

describe("HaPair's preview warning for a reload that may outlast VRRP's master-down interval", () => {
    it("is silent for seed 002, and warns once, on the pair, at 500 services over two real servers with advertInt 1", async () => {
        const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
        try {
            await seed002(true);
            expect(warn).not.toHaveBeenCalled();
            const { pair } = await seed002(true, (c) => {
                const first = c.vipGroups[0].services[0];
                c.vipGroups[0].services = Array.from({ length: 500 }, (_, i) => ({ ...first, port: 10_000 + i }));
            });
            expect(warn).toHaveBeenCalledTimes(1);
            const [message, resource] = warn.mock.calls[0];
            expect(message).toMatch(/^HaPair web-ha: keepalived's reload of 1000 real servers may take about \d+ s on each node/);
            expect(message).toContain("3 × advertInt = 3 s");
            expect(resource).toBe(pair);
        } finally {
            warn.mockRestore();
        }
    });
});
