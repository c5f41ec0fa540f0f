/**
 * Issue 13, what a keepalived reload does in a HaPair, with the real engine on the lab
 * (director1 the master, director2 the backup, rs1-rs3 health-checked on their web port):
 * - a persistence change (set, changed, removed) reaches both nodes' live tables by reload;
 * - at 1,000 virtual servers, the preview says the reload may outlast VRRP's master-down
 *   interval, and the reload that follows changes the table with no VRRP transition on either
 *   node. bench:reload measures the same at 10, 100 and 1,000;
 * - destroy of those 1,000 leaves neither node a service of the pair, though keepalived's stop
 *   gives up part-way through so large a table.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as path from "path";
import { onHost, onHostOk, up } from "../lab/lab";
import { freshStack, pulumi, pulumiOk, report, ROOT } from "./support/engine";
import { VIP, liveEntries, writeLabStack } from "./support/lab-stack";
import { RS_ADDRESS, holdsVip, journalCursor, keepalivedDiagnostics, webCommand } from "./support/keepalived-lab";
import { RELOAD_FIRST_PORT, RELOAD_MEMBERS, reloadCluster, untilReloaded, type ReloadClusterOptions } from "./support/keepalived-reload";

const STACK = "e2e-ha-reload";
const S = ["--stack", STACK];
const NODES = ["director1", "director2"] as const;
const CLUSTER_FILE = path.join(ROOT, ".lab", "e2e-ha-reload-cluster.json");
const LARGE = 1_000;

function write(services: number, weight: number, opts: ReloadClusterOptions = {}): void {
    writeLabStack(STACK, reloadCluster(services, weight, opts), { clusterFile: CLUSTER_FILE });
}

/** The first service's line as both nodes list it (`ipvsadm -S -n`, entries form). */
async function firstService(): Promise<string[]> {
    return Promise.all(NODES.map(async (d) => (await liveEntries(d))[`-A -t ${VIP}:${RELOAD_FIRST_PORT}`]));
}

describe.sequential("keepalived reloads in a HaPair", () => {
    beforeAll(async () => {
        await up();
        write(1, 1);
        await pulumi(["destroy", "--yes", "--skip-preview", ...S], { timeoutMs: 1_800_000 });
        await freshStack(STACK);
        await Promise.all(RELOAD_MEMBERS.map((rs) => onHostOk(rs, webCommand(true))));
    });

    beforeEach(({ onTestFailed }) => onTestFailed(keepalivedDiagnostics(`ipvsadm -L -n | head -20; ipvsadm -L -n | grep -c '^TCP'`)));

    afterAll(async () => {
        const down = await pulumi(["destroy", "--yes", "--skip-preview", ...S], { timeoutMs: 1_800_000 });
        if (down.code !== 0) console.log(`[cleanup] destroy exited ${down.code}:\n${down.stdout.slice(-3000)}\n${down.stderr.slice(-2000)}`);
        for (const d of NODES) {
            const left = await onHost(d, `ipvsadm -S -n | grep -c -- '-A -t ${VIP}:' || true`);
            if (left.stdout.trim() !== "0") console.log(`[cleanup] ${d} still lists ${left.stdout.trim()} services on ${VIP}`);
        }
    });

    it("a persistence change reaches both nodes' live tables by reload: set, changed with a netmask, removed", async () => {
        for (const [persistence, listed] of [
            [{ timeout: 300 }, "-s rr -p 300"],
            [{ timeout: 60, netmask: "255.255.255.0" }, "-s rr -p 60 -M 255.255.255.0"],
            [undefined, "-s rr"],
        ] as const) {
            write(2, 1, { persistence });
            await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
            // The IpvsTables wait for keepalived's table, so `up` returns with it live.
            expect(await firstService(), JSON.stringify(persistence)).toEqual([listed, listed]);
        }
        expect(await holdsVip("director1")).toBe(true);
    });

    it(`at ${LARGE} virtual servers, the preview warns the reload is slow, and the reload keeps VRRP steady on both nodes`, async () => {
        write(LARGE, 1);
        const built = await pulumiOk(["up", "--yes", "--skip-preview", ...S], { timeoutMs: 1_800_000 });
        report(`up to ${LARGE} virtual servers`, built.seconds);
        expect(Object.keys(await liveEntries("director2")).filter((k) => k.startsWith("-A ")).length).toBe(LARGE);

        write(LARGE, 2);
        // With --diff the engine prints warnings on stderr.
        const preview = await pulumiOk(["preview", "--diff", ...S], { timeoutMs: 900_000 });
        expect(preview.stdout + preview.stderr).toMatch(/warning: HaPair web-ha: keepalived's reload of 3000 real servers may take about \d+ s on each node/);
        expect(preview.stdout + preview.stderr).toContain("Fix: set advertInt to");

        const cursors = await Promise.all(NODES.map(journalCursor));
        const change = await pulumiOk(["up", "--yes", "--skip-preview", ...S], { timeoutMs: 900_000 });
        const [master, backup] = await Promise.all(NODES.map((d, i) => untilReloaded(d, cursors[i], 300_000)));
        report(`one weight at ${LARGE} virtual servers, by up`, change.seconds);
        console.log(`[reload] ${LARGE} virtual servers: director1 ${master.seconds?.toFixed(1)} s, director2 ${backup.seconds?.toFixed(1)} s (keepalived's "Reloading" to its "Reload complete")`);
        for (const [d, seen] of [["director1", master], ["director2", backup]] as const) {
            expect(seen.reloads, d).toBe(1);
            expect(seen.seconds, d).toBeDefined();
            expect(seen.transitions, d).toEqual([]);
        }
        expect(await holdsVip("director1")).toBe(true);
        expect(await holdsVip("director2")).toBe(false);
        for (const d of NODES) expect((await liveEntries(d))[`-a -t ${VIP}:${RELOAD_FIRST_PORT} -r ${RS_ADDRESS.rs1}:${RELOAD_FIRST_PORT}`], d).toBe("-g -w 2");
    });

    it(`destroy of ${LARGE} virtual servers leaves neither node a service of the pair`, async () => {
        const down = await pulumiOk(["destroy", "--yes", "--skip-preview", ...S], { timeoutMs: 1_800_000 });
        report(`destroy of ${LARGE} virtual servers`, down.seconds);
        for (const d of NODES) {
            expect(await liveEntries(d), d).toEqual({});
            expect((await onHostOk(d, "systemctl is-active keepalived || true")).trim(), d).toBe("inactive");
        }
    });
});
