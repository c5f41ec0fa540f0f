/**
 * Safety with the real engine: bad config fails before any host is touched, naming the field;
 * a host whose key does not match the pinned one is never sent a command; the private key
 * never appears in plaintext in state or in the engine's output.
 */
import * as fs from "fs";
import { beforeAll, describe, expect, it } from "vitest";
import { onHostOk, readLabHosts, up } from "../lab/lab";
import { freshStack, pulumi, writeStackConfig, ROOT } from "./support/engine";
import { VIP, drCluster, liveEntries, writeLabStack } from "./support/lab-stack";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stackHosts } = require("../../scripts/lab-stack-hosts.js") as { stackHosts(lab: unknown): Record<string, { address: string; ssh: { hostKey: string } }> };

const STACK = "e2e-safety";
const S = ["--stack", STACK];

async function untouched(): Promise<void> {
    expect(await liveEntries("director1")).toEqual({});
    expect(await onHostOk("director1", "ip -4 addr show dev ens33")).not.toContain(VIP);
    for (const rs of ["rs1", "rs2"] as const) expect(await onHostOk(rs, "ip -4 addr show dev lo")).not.toContain(VIP);
}

describe.sequential("safety with the real engine", () => {
    beforeAll(async () => {
        await up();
        await freshStack(STACK);
    });

    it("refuses invalid config before touching any host, naming the field", async () => {
        const cluster = drCluster([{ host: "rs1" }, { host: "rs2" }]) as { vipGroups: { services: { realServers: { port?: number }[] }[] }[] };
        cluster.vipGroups[0].services[0].realServers[0].port = 8080;
        writeLabStack(STACK, cluster);
        const r = await pulumi(["up", "--yes", "--skip-preview", ...S]);
        expect(r.code).not.toBe(0);
        expect(r.stdout + r.stderr).toContain("cluster.vipGroups[0].services[0].realServers[0].port: DR cannot remap ports");
        await untouched();
    });

    it("ends a preview of a config with several faults in one error: every issue on its own line, no stack trace", async () => {
        const cluster = drCluster([{ host: "rs1" }, { host: "rs2" }]) as { vipGroups: { vips: string[]; services: Record<string, unknown>[] }[] };
        cluster.vipGroups[0].vips = ["127.0.0.1"];
        Object.assign(cluster.vipGroups[0].services[0], { persistence: { timeout: 3_000_000 } });
        (cluster.vipGroups[0].services[0].realServers as Record<string, unknown>[])[0].lowerThreshold = 5;
        writeLabStack(STACK, cluster);
        const r = await pulumi(["preview", ...S]);
        const out = r.stdout + r.stderr;
        expect(r.code).not.toBe(0);
        expect(out).toMatch(/^\s+- cluster\.vipGroups\[0\]\.vips\[0\]: 127\.0\.0\.1 is a loopback address.* Fix: /m);
        expect(out).toMatch(/^\s+- cluster\.vipGroups\[0\]\.services\[0\]\.persistence\.timeout: must be 1\.\.2678400 seconds.* Fix: /m);
        expect(out).toMatch(/^\s+- cluster\.vipGroups\[0\]\.services\[0\]\.realServers\[0\]\.lowerThreshold: needs an upperThreshold.* Fix: /m);
        expect(out).not.toContain("unhandled exception");
        expect(out).not.toMatch(/^\s+at /m);
        await untouched();
    });

    it("never sends a command to a host whose key does not match the pinned one", async () => {
        const lab = readLabHosts();
        const hosts = stackHosts(lab);
        // Every host pinned to director2's key: director1, rs1 and rs2 all present another one.
        for (const name of ["director1", "rs1", "rs2"]) hosts[name].ssh.hostKey = hosts.director2.ssh.hostKey;
        writeStackConfig(STACK, { "pulumi-lvs:sshPrivateKeyFile": lab.privateKeyPath, "pulumi-lvs:cluster": { ...drCluster([{ host: "rs1" }, { host: "rs2" }]), hosts } });
        const r = await pulumi(["up", "--yes", "--skip-preview", ...S]);
        expect(r.code).not.toBe(0);
        expect(r.stdout + r.stderr).toMatch(/host key does not match the pinned hostKey/);
        await untouched();
    });

    it("keeps the private key out of state and output", async () => {
        const lab = readLabHosts();
        writeLabStack(STACK, drCluster([{ host: "rs1" }, { host: "rs2" }]));
        const upRun = await pulumi(["up", "--yes", "--skip-preview", ...S]);
        expect(upRun.code, upRun.stdout.slice(-3000)).toBe(0);
        const keyBody = fs.readFileSync(lab.privateKeyPath, "utf8").split("\n")[1];
        const exported = await pulumi(["stack", "export", ...S]);
        expect(exported.stdout.length).toBeGreaterThan(1000);
        expect(exported.stdout).not.toContain(keyBody);
        expect(upRun.stdout + upRun.stderr).not.toContain(keyBody);
        const stateFiles = fs.readdirSync(`${ROOT}/.lab/pulumi-state`, { recursive: true }).map(String);
        for (const f of stateFiles) {
            const p = `${ROOT}/.lab/pulumi-state/${f}`;
            if (fs.statSync(p).isFile()) expect(fs.readFileSync(p, "utf8").includes(keyBody), p).toBe(false);
        }
        const down = await pulumi(["destroy", "--yes", "--skip-preview", ...S]);
        expect(down.code).toBe(0);
        await untouched();
    });
});
