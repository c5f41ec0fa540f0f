/**
 * A Director with healthChecks: keepalived in checks-only mode builds its ipvs table, so a
 * dead real server leaves the table and comes back when healthy (the seed-002 curl loop done
 * properly); the Director keeps its VIP. Without healthChecks nothing keepalived appears.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { dependencyRecorder, runUnderMocks, type MockResource } from "../support/mocks";
import { clusterOf } from "../support/stacks";
import { parseCluster } from "../../components/schema/cluster";
import { buildCluster } from "../../components/cluster";
import { ConfigError } from "../../components/base/errors";
import { Director } from "../../components/director";
import { VipGroup } from "../../components/vip-group";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Seed 000 (one DR director) with the seed-002 TCP check and `healthChecks` as given. */
function cluster(healthChecks: boolean, withCheck = true): ReturnType<typeof clusterOf> {
    const c = clusterOf("seed-000");
    if (withCheck) c.vipGroups[0].services[0].healthCheck = { type: "tcp", delayLoop: 6, connectTimeout: 3, retry: 3, delayBeforeRetry: 3 };
    c.directors[0].healthChecks = healthChecks;
    return c;
}

/** Builds the director under mocks, recording each resource's dependsOn by name. */
async function build(c: ReturnType<typeof clusterOf>, dryRun: boolean) {
    const rec = dependencyRecorder();
    const spec = parseCluster(c);
    const rs = await runUnderMocks(() => {
        const g = spec.vipGroups[0];
        const d = spec.directors[0];
        const group = new VipGroup(g.name, { spec: g, hosts: spec.hosts });
        const host = { name: d.host, spec: spec.hosts[d.host], privateKey: pulumi.secret(KEY) };
        new Director(d.host, { host, vipGroups: [group], interface: d.interface, healthChecks: d.healthChecks }, { transformations: [rec.transformation] });
    }, dryRun);
    return { rs, dependsOn: rec.deps };
}

const byName = (rs: MockResource[], name: string): MockResource => {
    const r = rs.find((x) => x.name === name);
    if (!r) throw new Error(`no resource ${name}; have ${rs.map((x) => x.name).join(", ")}`);
    return r;
};
const unwrap = (v: Record<string, unknown>) => (SECRET_SIG in v ? v.value : v) as { host: string };

describe.each([true, false])("Director with healthChecks (dryRun=%s)", (dryRun) => {
    let run: Awaited<ReturnType<typeof build>>;
    beforeAll(async () => {
        run = await build(cluster(true), dryRun);
    });

    it("adds the keepalived steps and hands the table to keepalived, keeping its own VIP and boot unit", () => {
        const director = run.rs.filter((r) => r.name.startsWith("director1-")).map((r) => `${r.type} ${r.name}`).sort();
        expect(director).toEqual(
            [
                "pulumi-nodejs:dynamic/lvs:RemoteStep director1-director-install",
                "pulumi-nodejs:dynamic/lvs:RemoteStep director1-director-sysctl",
                "pulumi-nodejs:dynamic/lvs:RemoteStep director1-director-vip-192.168.13.100",
                "pulumi-nodejs:dynamic/lvs:RemoteStep director1-director-keepalived-install",
                "pulumi-nodejs:dynamic/lvs:RemoteStep director1-director-keepalived",
                "pulumi-nodejs:dynamic/lvs:RemoteStep director1-director-keepalived-enable",
                "pulumi-nodejs:dynamic/lvs:RemoteStep director1-director-boot",
                "pulumi-nodejs:dynamic/lvs:IpvsTable director1-director-ipvs",
            ].sort(),
        );
        const table = byName(run.rs, "director1-director-ipvs").inputs;
        expect(table.manager).toBe("keepalived");
        expect(table.entries).toEqual({
            "-A -t 192.168.13.100:80": "-s rr",
            "-a -t 192.168.13.100:80 -r 192.168.13.112:80": "-g -w 1",
            "-a -t 192.168.13.100:80 -r 192.168.13.113:80": "-g -w 1",
        });
        expect(unwrap(table.connection).host).toBe("192.168.13.111");
    });

    it("orders sysctl -> keepalived-install -> keepalived -> IpvsTable -> keepalived-enable, and boot after VIP and table", () => {
        const n = (s: string) => `director1-director-${s}`;
        expect(run.dependsOn(n("sysctl"))).toEqual([n("install")]);
        expect(run.dependsOn(n("keepalived-install"))).toEqual([n("sysctl")]);
        expect(run.dependsOn(n("keepalived"))).toEqual([n("keepalived-install")]);
        expect(run.dependsOn(n("ipvs"))).toEqual([n("keepalived")]);
        expect(run.dependsOn(n("keepalived-enable"))).toEqual([n("ipvs")]);
        expect(run.dependsOn(n("boot"))).toEqual([n("ipvs"), n("vip-192.168.13.100")]);
    });

    it("writes a checks-only keepalived.conf (no VRRP) whose delete leaves the Director's VIP alone", () => {
        const cmd = byName(run.rs, "director1-director-keepalived").inputs;
        expect(cmd.create).toContain("# Checks only: no VRRP; the Director keeps its VIPs itself.");
        expect(cmd.create).not.toMatch(/vrrp_instance|virtual_ipaddress/);
        expect(cmd.create).toContain("virtual_server 192.168.13.100 80 {\n    lvs_sched rr\n    lvs_method DR\n    protocol TCP\n    delay_loop 6\n");
        expect(cmd.create.match(/TCP_CHECK \{\n {12}connect_timeout 3\n {12}retry 3\n {12}delay_before_retry 3\n {8}\}/g)).toHaveLength(2);
        expect(cmd.create.indexOf("keepalived -t -f")).toBeLessThan(cmd.create.indexOf("mv /etc/pulumi-lvs/keepalived.conf.new /etc/keepalived/keepalived.conf"));
        expect(cmd.create).not.toMatch(/restart/);
        expect(cmd.delete).not.toMatch(/ip addr del/);
        expect(byName(run.rs, "director1-director-vip-192.168.13.100").inputs.create).toContain("ip addr replace 192.168.13.100/32 dev ens33 label ens33:0");
    });
});

describe("Director without healthChecks", () => {
    it("keeps the ipvsadm-managed table under the same name and registers nothing keepalived", async () => {
        const { rs } = await build(cluster(false), true);
        expect(rs.filter((r) => r.name.includes("keepalived"))).toEqual([]);
        expect(byName(rs, "director1-director-ipvs").inputs.manager).toBe("ipvsadm");
    });

    it("refuses healthChecks when no service has a healthCheck", async () => {
        await runUnderMocks(() => {
            let err: unknown;
            try {
                buildCluster(parseCluster(cluster(true, false)), pulumi.secret(KEY));
            } catch (e) {
                err = e;
            }
            expect(err).toBeInstanceOf(ConfigError);
            expect((err as ConfigError).issues).toEqual([
                "Director director1.healthChecks: is on, but no service of its VipGroups has a healthCheck. Fix: add healthCheck to the services to check, or turn healthChecks off.",
            ]);
        }, true);
    });
});
