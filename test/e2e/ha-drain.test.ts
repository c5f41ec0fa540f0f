/**
 * Issue 13, drained removal in a HaPair, with the real engine on the lab: keepalived on
 * director1 and director2 serves VIP:80 (HTTP) and VIP:9000 (echo) over rs1-rs3 with TCP
 * checks. Under client load (short GETs and long-lived echo connections that keep talking),
 * rs3 leaves the pool twice, side by side:
 * - ours: `pulumi up` of the stack without rs3. The config step sets rs3 to weight 0 on both
 *   nodes, waits for its connections to end, then reloads keepalived;
 * - keepalived's own way: the same config written in place and reloaded, which deletes rs3 at
 *   once.
 * Ours must lose nothing; the plain reload's figures are printed beside it, and it must break
 * a connection that rs3 carried, or this test could not tell a drain from none.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { onHost, onHostOk, up, type LabHostName } from "../lab/lab";
import { freshStack, pulumi, pulumiOk, report } from "./support/engine";
import { VIP, liveEntries, writeLabStack } from "./support/lab-stack";
import { RS_ADDRESS, holdsVip, keepalivedDiagnostics, labHaPair, sleep, webCommand } from "./support/keepalived-lab";
import { describeLoad, startClientLoad } from "./support/client-load";
import { ECHO_PORT, ECHO_START, ECHO_STOP } from "../../bench/load/echo-server";
import type { LoadConfig, LoadSummary } from "../../bench/load/loadgen";

const STACK = "e2e-ha-drain";
const S = ["--stack", STACK];
const DIRECTORS = ["director1", "director2"] as const;
const MEMBERS = ["rs1", "rs2", "rs3"] as const;
type Member = (typeof MEMBERS)[number];
const PORTS = [80, ECHO_PORT];
/**
 * Checks that a TCG guest busy with the load still passes: with FAST_TCP_CHECK's 1 s connect
 * timeout and one retry, checks failed under this load and keepalived took live servers out,
 * cutting their connections whatever the drain did.
 */
const CHECK = { type: "tcp", delayLoop: 3, connectTimeout: 3, retry: 3, delayBeforeRetry: 1 } as const;
const DRAIN = { timeoutSeconds: 30, pollSeconds: 1 };
/** Where each director keeps the config without rs3 for the plain reload. */
const WITHOUT_RS3 = "/tmp/ha-drain-without-rs3.conf";
const CONF = "/etc/keepalived/keepalived.conf";

/**
 * bench:lab's long connections: they live 8 s, inside the drain limit, so a drained server's
 * connections close by themselves. Four at a time, opened one after another, so round robin
 * over three servers always has one on rs3. What this test judges is whether a connection is
 * cut (a reset, or no echo ever), not how late a busy TCG guest answers: an echo may take 20 s
 * and a request 5 s, as in ha-sync. With bench:lab's 3 s, CI runs counted echoes from rs1 and
 * rs2 late while keepalived checked three servers from both directors; and 25 requests a
 * second overran the real servers, so 5.
 */
const LOAD: LoadConfig = {
    short: { host: VIP, port: 80, ratePerSecond: 5, timeoutMs: 5_000 },
    long: { host: VIP, port: ECHO_PORT, connections: 4, lifetimeMs: 8_000, lineEveryMs: 250, echoTimeoutMs: 20_000, connectTimeoutMs: 5_000, staggerMs: 700 },
    maxSeconds: 600,
};

function cluster(members: readonly Member[]): Record<string, unknown> {
    const realServers = members.map((host) => ({ host }));
    return {
        vipGroups: [{ name: "web", vips: [VIP], services: PORTS.map((port) => ({ protocol: "tcp", port, scheduler: "rr", healthCheck: CHECK, realServers })) }],
        haPairs: [labHaPair({ virtualRouterId: 52, drain: DRAIN })],
        realServers,
    };
}

const desired = (members: readonly Member[]) =>
    Object.fromEntries(PORTS.flatMap((port) => [[`-A -t ${VIP}:${port}`, "-s rr"], ...members.map((m) => [`-a -t ${VIP}:${port} -r ${RS_ADDRESS[m]}:${port}`, "-g -w 1"])]));

/** Polls until both directors' tables are `members`' (keepalived builds them in its own time). */
async function untilTables(members: readonly Member[], timeoutMs: number): Promise<void> {
    const started = Date.now();
    for (;;) {
        const live = await Promise.all(DIRECTORS.map((d) => liveEntries(d)));
        if (live.every((t) => JSON.stringify(Object.entries(t).sort()) === JSON.stringify(Object.entries(desired(members)).sort()))) return;
        if (Date.now() - started > timeoutMs) {
            for (const [i, d] of DIRECTORS.entries()) expect(live[i], d).toEqual(desired(members));
        }
        await sleep(500);
    }
}

/** Runs `change` under the load: 3 s warm-up, the change, 3 s settle, then every open connection lives out its lifetime. */
async function underLoad(label: string, change: () => Promise<unknown>): Promise<{ load: LoadSummary; seconds: number }> {
    const load = await startClientLoad(LOAD, "warm-up");
    try {
        await sleep(3_000);
        load.mark("change");
        const started = Date.now();
        await change();
        const seconds = (Date.now() - started) / 1000;
        load.mark("settle");
        await sleep(3_000);
        const summary = await load.stop();
        console.log(`${describeLoad(label, summary)}; the change took ${seconds.toFixed(1)} s`);
        return { load: summary, seconds };
    } finally {
        load.kill();
    }
}

/** The stdout of a host step, as the engine's state records it. */
async function stepStdout(name: string): Promise<string> {
    const state = JSON.parse((await pulumiOk(["stack", "export", ...S])).stdout) as { deployment: { resources: { urn: string; outputs?: { stdout?: string } }[] } };
    return state.deployment.resources.find((r) => r.urn.endsWith(`::${name}`))?.outputs?.stdout ?? "";
}

const broken = (s: LoadSummary) => s.total.long.reset + s.total.long.stalled;

describe.sequential("drained removal in a HaPair, under client load", () => {
    beforeAll(async () => {
        await up();
        writeLabStack(STACK, cluster(MEMBERS));
        await pulumi(["destroy", "--yes", "--skip-preview", ...S]);
        await freshStack(STACK);
        await Promise.all(MEMBERS.map((rs) => onHostOk(rs, `${webCommand(true)}; ${ECHO_START}`)));
    });

    beforeEach(({ onTestFailed }) => onTestFailed(keepalivedDiagnostics("ipvsadm -L -n")));

    afterAll(async () => {
        const down = await pulumi(["destroy", "--yes", "--skip-preview", ...S]);
        if (down.code !== 0) console.log(`[cleanup] destroy exited ${down.code}:\n${down.stdout.slice(-3000)}\n${down.stderr.slice(-2000)}`);
        await Promise.all(MEMBERS.map((rs) => onHost(rs, ECHO_STOP)));
        await Promise.all(DIRECTORS.map((d) => onHost(d, `rm -f ${WITHOUT_RS3}`)));
    });

    it("1. up: both nodes' tables serve :80 and :9000 over rs1-rs3; director1 holds the VIP", async () => {
        const r = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("up of the HA pair with three real servers", r.seconds);
        await untilTables(MEMBERS, 10_000);
        expect(await holdsVip("director1")).toBe(true);
    });

    it("2. ours: rs3 leaves by `pulumi up`; drained on both nodes before the reload, no request failed, no connection broken", async () => {
        writeLabStack(STACK, cluster(["rs1", "rs2"]));
        const { load, seconds } = await underLoad("ours: rs3 removed by pulumi up (drained)", () => pulumiOk(["up", "--yes", "--skip-preview", ...S]));
        report("up that drains rs3 and reloads keepalived", seconds);
        await untilTables(["rs1", "rs2"], 10_000);
        await Promise.all(DIRECTORS.map((d) => onHostOk(d, `cp ${CONF} ${WITHOUT_RS3}`)));
        const drains = Object.fromEntries(await Promise.all(DIRECTORS.map(async (d) => [d, await stepStdout(`web-ha-${d}-keepalived`)] as const)));
        for (const d of DIRECTORS) console.log(`[drain] ${d}: ${drains[d].trim()}`);
        // rs3 carried long connections across the change: the drain had something to wait for.
        expect(load.total.long.servers.rs3 ?? 0).toBeGreaterThan(0);
        expect(load.total.short.failed, JSON.stringify(load.total.short.reasons)).toBe(0);
        expect(broken(load), JSON.stringify(load.total.long.reasons)).toBe(0);
        expect(load.total.long.failedOpen).toBe(0);
        // Each node drained rs3 on both ports before its reload; the master waited for its connections.
        for (const d of DIRECTORS) expect(drains[d], d).toMatch(/pulumi-lvs: drained 2 leaving real server\(s\) before the reload: waited \d+ s, 0 active connection\(s\) left/);
        expect(Number(/waited (\d+) s/.exec(drains.director1)?.[1])).toBeGreaterThan(0);
    });

    it("3. keepalived's own reload of the same config deletes rs3 at once and breaks its connections (side by side)", async () => {
        writeLabStack(STACK, cluster(MEMBERS));
        await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        await untilTables(MEMBERS, 10_000);
        const { load } = await underLoad("keepalived reload: rs3 removed", async () => {
            await Promise.all(DIRECTORS.map((d: LabHostName) => onHostOk(d, `cp ${WITHOUT_RS3} ${CONF} && systemctl reload keepalived`)));
            await untilTables(["rs1", "rs2"], 10_000);
        });
        expect(load.total.long.servers.rs3 ?? 0).toBeGreaterThan(0);
        expect(broken(load), "the plain reload broke no connection: the load cannot tell a drain from none").toBeGreaterThan(0);
        // The stack takes the hosts as they are now: the same config, so no reload, and rs3's RealServer goes.
        writeLabStack(STACK, cluster(["rs1", "rs2"]));
        await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        await untilTables(["rs1", "rs2"], 10_000);
    });

    it("4. destroy leaves neither the drain manifest nor keepalived's table", async () => {
        await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
        for (const d of DIRECTORS) {
            expect((await onHostOk(d, "ls /var/lib/pulumi-lvs /etc/pulumi-lvs 2>/dev/null || true")).trim(), d).toBe("");
            expect(await liveEntries(d), d).toEqual({});
        }
    });
});
