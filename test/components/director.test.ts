import { describe, expect, it } from "vitest";
import { spawnSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { dependencyRecorder, inPlaintext, isSecret, reveal, runUnderMocks, type MockResource } from "../support/mocks";
import { clusterOf } from "../support/stacks";
import { parseCluster } from "../../components/schema/cluster";
import { buildCluster, realServersBehind } from "../../components/cluster";
import { RealServer } from "../../components/real-server";
import { VipGroup } from "../../components/vip-group";
import { Director } from "../../components/director";
import { ConfigError } from "../../components/base/errors";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n";

async function seed000(dryRun: boolean): Promise<MockResource[]> {
    return runUnderMocks(() => {
        buildCluster(parseCluster(clusterOf("seed-000")), pulumi.secret(KEY));
    }, dryRun);
}

const byName = (rs: MockResource[], name: string) => {
    const r = rs.find((x) => x.name === name);
    if (!r) throw new Error(`no resource ${name}; have ${rs.map((x) => x.name).join(", ")}`);
    return r;
};

describe.each([true, false])("seed-000 components (dryRun=%s)", (dryRun) => {
    it("registers components and host steps named from stable keys", async () => {
        const rs = await seed000(dryRun);
        const names = rs.map((r) => `${r.type} ${r.name}`).sort();
        expect(names).toEqual(
            [
                "lvs:index:VipGroup web",
                "lvs:index:Director director1",
                "pulumi-nodejs:dynamic/lvs:RemoteStep director1-director-install",
                "pulumi-nodejs:dynamic/lvs:RemoteStep director1-director-sysctl",
                "pulumi-nodejs:dynamic/lvs:RemoteStep director1-director-vip-192.168.13.100",
                "pulumi-nodejs:dynamic/lvs:RemoteStep director1-director-boot",
                "pulumi-nodejs:dynamic/lvs:IpvsTable director1-director-ipvs",
                "lvs:index:RealServer rs1",
                "pulumi-nodejs:dynamic/lvs:RemoteStep rs1-realserver-sysctl",
                "pulumi-nodejs:dynamic/lvs:RemoteStep rs1-realserver-vip-192.168.13.100",
                "pulumi-nodejs:dynamic/lvs:RemoteStep rs1-realserver-boot",
                "lvs:index:RealServer rs2",
                "pulumi-nodejs:dynamic/lvs:RemoteStep rs2-realserver-sysctl",
                "pulumi-nodejs:dynamic/lvs:RemoteStep rs2-realserver-vip-192.168.13.100",
                "pulumi-nodejs:dynamic/lvs:RemoteStep rs2-realserver-boot",
            ].sort(),
        );
    });

    it("registers counts as outputs, the entries staying in the IpvsTable alone", async () => {
        let built: ReturnType<typeof buildCluster> | undefined;
        await runUnderMocks(() => {
            built = buildCluster(parseCluster(clusterOf("seed-000")), pulumi.secret(KEY));
        }, dryRun);
        expect(built?.directors.director1.summary).toEqual({ services: 1, realServers: 2 });
        expect(built?.vipGroups.web.summary).toEqual({ services: 1, realServers: 2 });
    });

    it("carries the exact commands, with pinned host keys and the key as a secret", async () => {
        const rs = await seed000(dryRun);
        const raw = byName(rs, "rs1-realserver-vip-192.168.13.100").inputs;
        expect(isSecret(raw.connection) || isSecret(raw.connection.privateKey)).toBe(true);
        expect(isSecret(byName(rs, "director1-director-ipvs").inputs.connection)).toBe(true);
        const vip = reveal(raw);
        // RemoteStep takes the scripts themselves and feeds them to sh -s on stdin.
        expect(vip.create).toBe("set -eu\n{\nip addr replace 192.168.13.100/32 dev lo label lo:0\n} </dev/null\n");
        expect(vip.stdin).toBeUndefined();
        expect(vip.update).toBe(vip.create);
        expect(vip.delete).toContain("ip addr del 192.168.13.100/32 dev lo");
        expect(vip.connection).toMatchObject({ name: "rs1", host: "192.168.13.112", connectTimeoutSeconds: 5 });
        expect(vip.connection.hostKey).toMatch(/^ssh-ed25519 /);
        const dvip = reveal(byName(rs, "director1-director-vip-192.168.13.100").inputs);
        expect(dvip.create).toContain("ip addr replace 192.168.13.100/32 dev ens33 label ens33:0");
        const table = reveal(byName(rs, "director1-director-ipvs").inputs);
        expect(table.entries).toEqual({
            "-A -t 192.168.13.100:80": "-s rr",
            "-a -t 192.168.13.100:80 -r 192.168.13.112:80": "-g -w 1",
            "-a -t 192.168.13.100:80 -r 192.168.13.113:80": "-g -w 1",
        });
        expect(table.manager).toBe("ipvsadm");
        // The key exists only inside secrets: never in the serialized provider or any plain input.
        expect(String(table.__provider)).not.toContain("not-a-real-key");
        for (const r of rs) expect(inPlaintext(r.inputs, "not-a-real-key"), r.name).toBe(false);
    });
});

describe("a director's table and the real servers behind it", () => {
    it("waits for the RealServers its pools list, so a new one has its VIP before traffic reaches it", async () => {
        const rec = dependencyRecorder();
        // rs2 stays a RealServer but leaves the pool: the table does not wait for it.
        const c = clusterOf("seed-000");
        c.vipGroups[0].services[0].realServers = [{ host: "rs1", forwarding: "dr" }];
        const spec = parseCluster(c);
        let behind: string[] = [];
        await runUnderMocks(() => {
            const host = (name: string) => ({ name, spec: spec.hosts[name], privateKey: pulumi.secret(KEY) });
            const group = new VipGroup("web", { parsed: spec.vipGroups[0], hosts: spec.hosts });
            const realServers = Object.fromEntries(spec.realServers.map((r) => [r.host, new RealServer(r.host, { parsed: r, host: host(r.host), vipGroups: [group] }, { transformations: [rec.transformation] })]));
            const pool = realServersBehind([group], realServers);
            behind = pool.map(rec.nameOf);
            new Director("director1", { parsed: spec.directors[0], host: host("director1"), vipGroups: [group], realServers: pool.flatMap((r) => r.ready) }, { transformations: [rec.transformation] });
        }, true);
        expect(behind).toEqual(["rs1"]);
        // rs1's ARP settings and VIP, not its boot unit, which only the next boot needs.
        expect(rec.deps("director1-director-ipvs")).toEqual(["director1-director-install", "rs1-realserver-sysctl", "rs1-realserver-vip-192.168.13.100"]);
        expect(rec.deps("rs1-realserver-boot")).toEqual(["rs1-realserver-sysctl", "rs1-realserver-vip-192.168.13.100"]);
    });
});

describe("a director whose fwmark service marks its packets", () => {
    it("gets a marks step carrying the nft rules, and nothing of nftables without marks", async () => {
        const c = clusterOf("seed-000");
        c.vipGroups[0].services[0] = { fwmark: 1, persistence: { timeout: 300 }, marks: [{ protocol: "tcp", ports: [80, 443] }], realServers: [{ host: "rs1" }, { host: "rs2" }] };
        const rs = await runUnderMocks(() => void buildCluster(parseCluster(c), pulumi.secret(KEY)), true);
        const marks = reveal(byName(rs, "director1-director-marks").inputs);
        expect(marks.create).toContain("ip daddr 192.168.13.100 tcp dport { 80, 443 } meta mark set 1");
        expect(marks.update).toBe(marks.create);
        expect(marks.delete).toContain("nft delete table inet pulumi_lvs");
        expect(reveal(byName(rs, "director1-director-boot").inputs).create).toContain("nft -f /etc/pulumi-lvs/marks.nft");
        expect(reveal(byName(rs, "director1-director-ipvs").inputs).entries).toMatchObject({ "-A -f 1": "-s wlc -p 300" });
        const plain = await seed000(true);
        expect(plain.map((r) => r.name)).not.toContain("director1-director-marks");
    });
});

describe("a real server with arpMethod arptables", () => {
    it("gets install and arptables steps, in that order before its VIP, and no ARP sysctls", async () => {
        const c = clusterOf("seed-000");
        c.realServers[0].arpMethod = "arptables";
        const rs = await runUnderMocks(() => void buildCluster(parseCluster(c), pulumi.secret(KEY)), true);
        expect(rs.map((r) => r.name).filter((n) => n.startsWith("rs1-"))).toEqual(["rs1-realserver-install", "rs1-realserver-arptables", "rs1-realserver-vip-192.168.13.100", "rs1-realserver-boot"]);
        const arp = reveal(byName(rs, "rs1-realserver-arptables").inputs);
        expect(arp.create).toContain("arptables -A pulumi-lvs-out -s 192.168.13.100 -j mangle --mangle-ip-s 192.168.13.112");
        expect(arp.update).toBe(arp.create);
        expect(reveal(byName(rs, "rs1-realserver-boot").inputs).create).toContain("arptables -A pulumi-lvs-in -d 192.168.13.100 -j DROP");
        // rs2 keeps the default.
        expect(rs.map((r) => r.name)).toContain("rs2-realserver-sysctl");
        expect(rs.map((r) => r.name)).not.toContain("rs2-realserver-arptables");
    });
});

describe("step runner", () => {
    it("uses @pulumi/command remote.Command, with the pinned host key and the scripts on stdin, when asked to", async () => {
        const rs = await runUnderMocks(() => {
            buildCluster(parseCluster(clusterOf("seed-000")), pulumi.secret(KEY), { runner: "pulumi-command" });
        }, true);
        const vip = byName(rs, "rs1-realserver-vip-192.168.13.100");
        expect(vip.type).toBe("command:remote:Command");
        const inputs = reveal(vip.inputs);
        // Dials are bounded like our own transport's: the default 5 s connect timeout, three attempts.
        expect(inputs.connection).toMatchObject({ host: "192.168.13.112", port: 22, user: "root", hostKey: expect.stringMatching(/^ssh-ed25519 /), perDialTimeout: 5, dialErrorLimit: 3 });
        // The scripts go on stdin; the commands only name the part to run (stepOnStdin).
        expect([inputs.create, inputs.update, inputs.delete]).toEqual(["sh -s create", "sh -s create", "sh -s delete"]);
        expect(inputs.stdin).toContain('case "${1:-}" in\ncreate)\nset -eu\n{\nip addr replace 192.168.13.100/32 dev lo label lo:0\n} </dev/null\n;;\ndelete)\n');
        expect(inputs.stdin.slice(inputs.stdin.indexOf("delete)"))).toContain("ip addr del 192.168.13.100/32 dev lo");
        for (const r of rs) expect(inPlaintext(r.inputs, "not-a-real-key"), r.name).toBe(false);
        // Every step's stdin is a script /bin/sh accepts.
        for (const r of rs.filter((x) => x.type === "command:remote:Command")) {
            expect(spawnSync("/bin/sh", ["-n", "-s", "create"], { input: reveal(r.inputs).stdin, encoding: "utf8" }).status, r.name).toBe(0);
        }
    });
});

describe("component validation", () => {
    it("refuses a VIP equal to the director's own address before registering host steps", async () => {
        const created = await runUnderMocks(() => {
            const g = new VipGroup("g", { spec: { name: "g", vips: ["192.168.13.111"], services: [{ protocol: "tcp", port: 80, realServers: [{ address: "192.168.13.112" }] }] } });
            expect(
                () =>
                    new Director("d", {
                        host: { name: "director1", spec: { address: "192.168.13.111", ssh: { insecureSkipHostKeyCheck: true } }, privateKey: KEY },
                        vipGroups: [g],
                    }),
            ).toThrow(/own address/);
        }, true);
        expect(created.filter((r) => r.type === "pulumi-nodejs:dynamic/lvs:RemoteStep")).toHaveLength(0);
    });

    it("names the component and field for a bad interface", async () => {
        await runUnderMocks(() => {
            const g = new VipGroup("g2", { spec: { name: "g2", vips: ["192.168.13.100"], services: [{ protocol: "tcp", port: 80 }] } });
            let err: unknown;
            try {
                new Director("d2", { host: { name: "d", spec: { address: "192.168.13.111", ssh: { insecureSkipHostKeyCheck: true } }, privateKey: KEY }, vipGroups: [g], interface: "eth0;reboot" });
            } catch (e) {
                err = e;
            }
            expect(err).toBeInstanceOf(ConfigError);
            expect((err as ConfigError).issues[0]).toMatch(/^Director d2\.interface: must be an interface name/);
        }, true);
    });
});
