/**
 * keepalived's reload time against config size (issue 13): a HaPair on director1 and
 * director2, built by the real engine, with 10, 100 and 1,000 virtual servers of three
 * health-checked real servers each. At each size a one-entry change (a weight) goes through
 * `pulumi up`, which reloads keepalived on both nodes; each node's journal gives the reload's
 * duration and any VRRP transition meanwhile. Prints a table and writes bench/results/reload.json.
 *
 * Usage (after the README's set-up):
 *   npm run bench:reload [-- 10 100 1000] [--repeats=3]
 *
 * The lab runs under TCG: the seconds are slow and noisy here; the cost per real server and
 * the transition counts are what to compare. HaPair's preview estimate of a reload
 * (components/core/keepalived/reload-estimate.ts) takes its cost per real server from here.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { onHostOk, up as labUp } from "../test/lab/lab";
import { freshStack, pulumi, pulumiOk, ROOT } from "../test/e2e/support/engine";
import { writeLabStack } from "../test/e2e/support/lab-stack";
import { holdsVip, journalCursor } from "../test/e2e/support/keepalived-lab";
import { reloadCluster, untilReloaded, RELOAD_MEMBERS, type ReloadSeen } from "../test/e2e/support/keepalived-reload";
import acquireLabLock from "../test/support/lab-lock";
import { RELOAD_SECONDS_PER_REAL_SERVER_SQUARED } from "../components/core/keepalived/reload-estimate";

const STACK = "e2e-bench-reload";
const S = ["--stack", STACK];
/** 1,000 services make a stack config over the engine's 128 KiB environment limit: a cluster file, as a user would. */
const CLUSTER_FILE = path.join(ROOT, ".lab", "bench-reload-cluster.json");
const NODES = ["director1", "director2"] as const;
const REPEATS = Number(/^--repeats=(\d+)$/.exec(process.argv.find((a) => a.startsWith("--repeats=")) ?? "")?.[1] ?? 3);

interface Reload {
    /** `pulumi up` of the change, which returns once both tables show it. */
    upSeconds: number;
    master: ReloadSeen;
    backup: ReloadSeen;
    /** director1 held the VIP after the change. */
    masterHeldVip: boolean;
}

interface Outcome {
    sizes: SizeResult[];
    /** `pulumi destroy` from the largest size. */
    destroySeconds?: number;
}

interface SizeResult {
    virtualServers: number;
    realServers: number;
    configLines: number;
    /** `pulumi up` to this size from the one before (from nothing for the first). */
    upSeconds: number;
    reloads: Reload[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function upTo(services: number, weight: number): Promise<number> {
    writeLabStack(STACK, reloadCluster(services, weight), { clusterFile: CLUSTER_FILE });
    return (await pulumiOk(["up", "--yes", "--skip-preview", ...S], { timeoutMs: 1_800_000 })).seconds;
}

async function measure(services: number, first: boolean): Promise<SizeResult> {
    console.log(`\n== ${services} virtual servers ==`);
    const upSeconds = await upTo(services, 1);
    const configLines = Number((await onHostOk("director1", "wc -l < /etc/keepalived/keepalived.conf")).trim());
    console.log(`up${first ? " from nothing" : ""}: ${upSeconds.toFixed(1)} s; keepalived.conf has ${configLines} lines`);
    const reloads: Reload[] = [];
    for (let i = 0; i < REPEATS; i++) {
        const cursors = await Promise.all(NODES.map(journalCursor));
        // Weights 2, 1, 2, ...: each run changes one entry.
        const change = await upTo(services, i % 2 === 0 ? 2 : 1);
        const [master, backup] = await Promise.all(NODES.map((n, j) => untilReloaded(n, cursors[j], 300_000)));
        const run = { upSeconds: change, master, backup, masterHeldVip: await holdsVip("director1") };
        reloads.push(run);
        const s = (r: ReloadSeen) => (r.seconds === undefined ? "no 'Reload complete'" : `${r.seconds.toFixed(1)} s`);
        console.log(`change ${i + 1}: up ${change.toFixed(1)} s; reload on director1 ${s(master)}, director2 ${s(backup)}; VRRP transitions ${master.transitions.length + backup.transitions.length}; director1 holds the VIP: ${run.masterHeldVip}`);
        for (const t of [...master.transitions, ...backup.transitions]) console.log(`  ${t}`);
    }
    return { virtualServers: services, realServers: services * RELOAD_MEMBERS.length, configLines, upSeconds, reloads };
}

const f = (n: number | undefined, digits = 1) => (n === undefined ? "-" : n.toFixed(digits));
const reloadMedian = (r: SizeResult, node: "master" | "backup") => {
    const xs = r.reloads.map((x) => x[node].seconds).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : undefined;
};

function print(results: SizeResult[]): void {
    const rows = [
        ["virtual servers", ...results.map((r) => String(r.virtualServers))],
        ["  checked real servers", ...results.map((r) => String(r.realServers))],
        ["  keepalived.conf lines", ...results.map((r) => String(r.configLines))],
        ["up to this size (s)", ...results.map((r) => f(r.upSeconds))],
        [`reload, director1 (s, median of ${REPEATS})`, ...results.map((r) => f(reloadMedian(r, "master")))],
        [`reload, director2 (s, median of ${REPEATS})`, ...results.map((r) => f(reloadMedian(r, "backup")))],
        ["  µs per real server squared, director1", ...results.map((r) => f(((reloadMedian(r, "master") ?? NaN) * 1e6) / r.realServers ** 2, 2))],
        ["  the preview's estimate (s)", ...results.map((r) => f(r.realServers ** 2 * RELOAD_SECONDS_PER_REAL_SERVER_SQUARED))],
        [`one-entry change by up (s, median)`, ...results.map((r) => f(median(r.reloads.map((x) => x.upSeconds))))],
        ["VRRP transitions during reloads", ...results.map((r) => String(r.reloads.reduce((n, x) => n + x.master.transitions.length + x.backup.transitions.length, 0)))],
        ["director1 kept the VIP", ...results.map((r) => `${r.reloads.filter((x) => x.masterHeldVip).length}/${r.reloads.length}`)],
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    console.log(`\n${rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n")}`);
    console.log("\nseconds are absolute (TCG, noisy); the ratios and the transition counts compare across machines");
    for (let i = 1; i < results.length; i++) {
        const [a, b] = [results[i - 1], results[i]];
        const grew = (reloadMedian(b, "master") ?? NaN) / (reloadMedian(a, "master") ?? NaN);
        const size = b.realServers / a.realServers;
        console.log(`  reload on director1 at ${b.realServers} / at ${a.realServers} real servers: ${grew.toFixed(1)} (linear would be ${size}, quadratic ${size ** 2})`);
    }
}

async function main(): Promise<void> {
    const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
    const release = await acquireLabLock();
    const results: SizeResult[] = [];
    const outcome: Outcome = { sizes: results };
    try {
        await labUp();
        writeLabStack(STACK, reloadCluster(1, 1), { clusterFile: CLUSTER_FILE });
        await pulumi(["destroy", "--yes", "--skip-preview", ...S], { timeoutMs: 1_800_000 });
        await freshStack(STACK);
        for (const [i, size] of (sizes.length ? sizes : [10, 100, 1_000]).entries()) results.push(await measure(size, i === 0));
        outcome.destroySeconds = (await pulumiOk(["destroy", "--yes", "--skip-preview", ...S], { timeoutMs: 1_800_000 })).seconds;
    } finally {
        const down = await pulumi(["destroy", "--yes", "--skip-preview", ...S], { timeoutMs: 1_800_000 });
        if (down.code !== 0) console.error(`destroy exited ${down.code}:\n${down.stdout.slice(-3000)}\n${down.stderr.slice(-2000)}`);
        release();
    }
    print(results);
    if (outcome.destroySeconds !== undefined) console.log(`\ndestroy from ${results[results.length - 1].virtualServers} virtual servers: ${outcome.destroySeconds.toFixed(1)} s`);
    const out = path.join(ROOT, "bench", "results", "reload.json");
    const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), lab: "qemu TCG" };
    fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), machine, repeats: REPEATS, ...outcome }, null, 2) + "\n");
    console.log(`\nwritten: ${path.relative(ROOT, out)}`);
}

// Ended by a signal, still run the exit handlers that kill the engine's process group.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130));

main().catch((e: Error) => {
    console.error(e.message);
    process.exitCode = 1;
});
