/**
 * Issue 14, the status view, with the real engine on the lab: `npm run status` (the built
 * command, bin/components/cli/status.js) against live tables.
 * - A DR director: client requests show in the counters; a weight changed by hand shows as
 *   drifted with the stack's value, a service of someone else's as foreign; --watch reads
 *   again every second, and requests sent meanwhile show in a later reading.
 * - A HaPair: each node's VRRP state and VIPs; a real server whose web server stopped shows as
 *   missing on both nodes (keepalived's checks took it out); after keepalived stops on the
 *   master, the backup shows as the master holding the VIP; with the master powered off, it is
 *   reported as not read (and why), the backup still read, and the command exits 1.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientGetMany, killHost, onHost, onHostOk, startHost, up } from "../lab/lab";
import { engineEnv, freshStack, pulumi, pulumiOk, ROOT } from "./support/engine";
import { VIP, drCluster, writeLabStack } from "./support/lab-stack";
import { FAST_TCP_CHECK, RS_ADDRESS, holdsVip, labHaPair, sleep, webCommand } from "./support/keepalived-lab";
import { runProcess } from "../support/process";
import { spawn } from "child_process";
import type { HostStatus, StatusRow } from "../../components/cli/status-report";

const DR = "e2e-status-dr";
const HA = "e2e-status-ha";
const FOREIGN = "-A -t 10.9.9.9:80";

/** `npm run status`, built: its exit code and output. */
async function status(stack: string, json: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
    return runProcess("node", ["bin/components/cli/status.js", "--stack", stack, ...(json ? ["--json"] : [])], { cwd: ROOT, env: engineEnv(), timeoutMs: 120_000 });
}

async function statusJson(stack: string): Promise<HostStatus[]> {
    const r = await status(stack, true);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { hosts: HostStatus[] }).hosts;
}

/** Polls `done` every 250 ms; fails naming `what` when `timeoutMs` passes. */
async function whenTrue(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
        if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s`);
        await sleep(250);
    }
}

const row = (h: HostStatus, entry: string): StatusRow | undefined => h.rows.find((r) => r.entry === entry);
const byHost = (hosts: HostStatus[], name: string): HostStatus => {
    const h = hosts.find((x) => x.host === name);
    if (!h) throw new Error(`no ${name} in ${hosts.map((x) => x.host).join(", ")}`);
    return h;
};
const dest = (rs: keyof typeof RS_ADDRESS) => `-a -t ${VIP}:80 -r ${RS_ADDRESS[rs]}:80`;

describe.sequential("npm run status on the lab", () => {
    beforeAll(async () => {
        await up();
        for (const [stack, cluster] of [
            [DR, drCluster([{ host: "rs1" }, { host: "rs2" }])],
            [HA, haCluster()],
        ] as const) {
            writeLabStack(stack, cluster);
            await pulumi(["destroy", "--yes", "--skip-preview", "--stack", stack]);
            await freshStack(stack);
        }
        await Promise.all(["rs1", "rs2"].map((rs) => onHostOk(rs as "rs1", webCommand(true))));
    });

    afterAll(async () => {
        await onHost("director1", `ipvsadm -D -t 10.9.9.9:80 2>/dev/null; true`);
        await onHost("director1", "systemctl start keepalived 2>/dev/null; true");
        await Promise.all(["rs1", "rs2"].map((rs) => onHost(rs as "rs1", webCommand(true))));
        for (const stack of [DR, HA]) {
            const down = await pulumi(["destroy", "--yes", "--skip-preview", "--stack", stack]);
            if (down.code !== 0) console.log(`[cleanup] destroy ${stack} exited ${down.code}:\n${down.stdout.slice(-2000)}\n${down.stderr.slice(-2000)}`);
        }
    });

    it("a DR director: counters from client traffic, a drifted weight with the stack's value, a foreign service", async () => {
        await pulumiOk(["up", "--yes", "--skip-preview", "--stack", DR]);
        const answers = await clientGetMany(VIP, 20);
        expect(answers.filter((a) => a === "FAILED")).toEqual([]);
        await onHostOk("director1", `ipvsadm -e -t ${VIP}:80 -r ${RS_ADDRESS.rs2}:80 -g -w 5 && ipvsadm -A -t 10.9.9.9:80 -s wlc`);

        const [d1] = await statusJson(DR);
        expect(d1.host).toBe("director1");
        expect(d1.error).toBeUndefined();
        expect(row(d1, `-A -t ${VIP}:80`)).toMatchObject({ mark: "owned", live: "-s rr" });
        expect(row(d1, `-A -t ${VIP}:80`)?.stats?.connections).toBeGreaterThanOrEqual(20);
        expect(row(d1, dest("rs1"))).toMatchObject({ mark: "owned", live: "-g -w 1", weight: 1 });
        expect(row(d1, dest("rs2"))).toMatchObject({ mark: "drifted", live: "-g -w 5", stack: "-g -w 1", weight: 5 });
        expect(row(d1, FOREIGN)).toMatchObject({ mark: "foreign", live: "-s wlc" });
        // The same numbers as ipvsadm's own, read beside it.
        const own = await onHostOk("director1", `ipvsadm -L -n --stats --exact -t ${VIP}:80`);
        const perServer = (rs: keyof typeof RS_ADDRESS) => Number(new RegExp(`-> ${RS_ADDRESS[rs].replace(/\./g, "\\.")}:80\\s+(\\d+)`).exec(own)?.[1]);
        expect(row(d1, dest("rs1"))?.stats?.connections).toBe(perServer("rs1"));
        expect(row(d1, dest("rs2"))?.stats?.connections).toBe(perServer("rs2"));

        const text = await status(DR, false);
        console.log(`[status] the text view:\n${text.stdout}`);
        expect(text.code).toBe(0);
        expect(text.stdout).toContain("director1 (table written by ipvsadm)");
        expect(text.stdout).toMatch(new RegExp(`DRIFTED\\s+-> ${RS_ADDRESS.rs2.replace(/\./g, "\\.")}:80\\s+-g -w 5 \\(stack: -g -w 1\\)`));
        expect(text.stdout).toMatch(/foreign\s+-t 10\.9\.9\.9:80/);

        await onHostOk("director1", "ipvsadm -D -t 10.9.9.9:80");

        // --watch: a reading a second, each a new document in --json; traffic between readings shows in a later one.
        const watcher = spawn("node", ["bin/components/cli/status.js", "--stack", DR, "--json", "--watch", "1"], { cwd: ROOT, env: engineEnv(), stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        watcher.stdout.on("data", (d: Buffer) => (out += d.toString()));
        const readings = () => out.split(/\n(?=\{\n {2}"stack")/).filter((doc) => doc.trim().endsWith("}")).map((doc) => JSON.parse(doc) as { at: string; hosts: HostStatus[] });
        const connections = (r: { hosts: HostStatus[] }) => row(r.hosts[0], `-A -t ${VIP}:80`)?.stats?.connections ?? -1;
        try {
            await whenTrue(() => readings().length >= 1, 60_000, "a first --watch reading");
            const first = readings()[0];
            expect(first.hosts.map((h) => h.error)).toEqual([undefined]);
            expect(row(first.hosts[0], FOREIGN)).toBeUndefined();
            expect((await clientGetMany(VIP, 10)).filter((a) => a === "FAILED")).toEqual([]);
            await whenTrue(() => readings().some((r) => connections(r) >= connections(first) + 10), 60_000, "a --watch reading with the 10 new connections");
            const all = readings();
            expect(new Set(all.map((r) => r.at)).size).toBe(all.length);
            expect(watcher.exitCode).toBeNull();
        } finally {
            watcher.kill();
        }
        await pulumiOk(["destroy", "--yes", "--skip-preview", "--stack", DR]);
    });

    it("a HaPair: VRRP states and VIPs, a real server its checks took out, and a failover", async () => {
        await pulumiOk(["up", "--yes", "--skip-preview", "--stack", HA]);
        let hosts = await statusJson(HA);
        expect(byHost(hosts, "director1").node).toMatchObject({ keepalived: "active", vrrp: "MASTER", holdsVips: [VIP] });
        expect(byHost(hosts, "director2").node).toMatchObject({ keepalived: "active", vrrp: "BACKUP", holdsVips: [] });
        for (const h of hosts) expect(h.rows.map((r) => r.mark), h.host).toEqual(["owned", "owned", "owned"]);

        await onHostOk("rs2", webCommand(false));
        hosts = await until(HA, (hs) => hs.every((h) => row(h, dest("rs2"))?.mark === "missing"), 30_000);
        for (const h of hosts) expect(row(h, dest("rs1"))?.mark, h.host).toBe("owned");
        await onHostOk("rs2", webCommand(true));

        await onHostOk("director1", "systemctl stop keepalived");
        const started = Date.now();
        while (!(await holdsVip("director2")) && Date.now() - started < 20_000) await sleep(500);
        hosts = await statusJson(HA);
        expect(byHost(hosts, "director1").node).toMatchObject({ keepalived: "inactive", holdsVips: [] });
        expect(byHost(hosts, "director2").node).toMatchObject({ keepalived: "active", vrrp: "MASTER", holdsVips: [VIP] });

        // A director that cannot be reached: said so, by name and why, the other still read, and the exit code 1.
        await killHost("director1");
        try {
            const r = await status(HA, true);
            expect(r.code).toBe(1);
            hosts = (JSON.parse(r.stdout) as { hosts: HostStatus[] }).hosts;
            expect(byHost(hosts, "director1").error).toMatch(/unreachable|handshake|refused|timed out/i);
            expect(byHost(hosts, "director1").rows).toEqual([]);
            expect(byHost(hosts, "director2").error).toBeUndefined();
            expect(byHost(hosts, "director2").node).toMatchObject({ vrrp: "MASTER", holdsVips: [VIP] });
            const text = await status(HA, false);
            expect(text.code).toBe(1);
            expect(text.stdout).toMatch(/director1.*not read: /);
        } finally {
            await startHost("director1");
        }
    });
});

/** The status, read until `done` holds or the time is up (then the last reading, for the assertions to name). */
async function until(stack: string, done: (hosts: HostStatus[]) => boolean, timeoutMs: number): Promise<HostStatus[]> {
    const started = Date.now();
    for (;;) {
        const hosts = await statusJson(stack);
        if (done(hosts) || Date.now() - started > timeoutMs) {
            expect(done(hosts), JSON.stringify(hosts.map((h) => [h.host, h.rows.map((r) => [r.entry, r.mark])]))).toBe(true);
            return hosts;
        }
        await sleep(1_000);
    }
}

function haCluster(): Record<string, unknown> {
    const realServers = [{ host: "rs1" }, { host: "rs2" }];
    return {
        vipGroups: [{ name: "web", vips: [VIP], services: [{ protocol: "tcp", port: 80, scheduler: "rr", healthCheck: FAST_TCP_CHECK, realServers }] }],
        haPairs: [labHaPair({ virtualRouterId: 56 })],
        realServers,
    };
}
