/**
 * Issue 14, the status view, with the real engine on the lab: `npm run status` (the built
 * command, bin/components/cli/status.js) against live tables of a DR director: client requests
 * show in the counters; a weight changed by hand shows as drifted with the stack's value, a
 * service of someone else's as foreign; --watch reads again every second, and requests sent
 * meanwhile show in a later reading. The HaPair's view (VRRP states and VIPs, a server its
 * checks took out, a failover, the master powered off) is read on ha-pair.test.ts's stack,
 * which brings up the same pair.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientGetMany, onHost, onHostOk, up } from "../lab/lab";
import { engineEnv, freshStack, pulumi, pulumiOk, ROOT } from "./support/engine";
import { VIP, drCluster, writeLabStack } from "./support/lab-stack";
import { RS_ADDRESS, webCommand } from "./support/keepalived-lab";
import { status, statusJson, statusRow as row } from "./support/status-cli";
import { spawn } from "child_process";
import type { HostStatus } from "../../components/cli/status-report";

const DR = "e2e-status-dr";
const FOREIGN = "-A -t 10.9.9.9:80";

/** Polls `done` every 250 ms; fails naming `what` when `timeoutMs` passes. */
async function whenTrue(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
        if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

const dest = (rs: keyof typeof RS_ADDRESS) => `-a -t ${VIP}:80 -r ${RS_ADDRESS[rs]}:80`;

describe.sequential("npm run status on the lab", () => {
    beforeAll(async () => {
        await up();
        writeLabStack(DR, drCluster([{ host: "rs1" }, { host: "rs2" }]));
        await pulumi(["destroy", "--yes", "--skip-preview", "--stack", DR]);
        await freshStack(DR);
        await Promise.all(["rs1", "rs2"].map((rs) => onHostOk(rs as "rs1", webCommand(true))));
    });

    afterAll(async () => {
        await onHost("director1", `ipvsadm -D -t 10.9.9.9:80 2>/dev/null; true`);
        const down = await pulumi(["destroy", "--yes", "--skip-preview", "--stack", DR]);
        if (down.code !== 0) console.log(`[cleanup] destroy ${DR} exited ${down.code}:\n${down.stdout.slice(-2000)}\n${down.stderr.slice(-2000)}`);
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
});
