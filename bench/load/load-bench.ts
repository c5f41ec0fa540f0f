/**
 * bench:lab's load part (issue 12, part 3): requests lost under client load while a director's
 * table changes. The lab's namespace is the client: short HTTP GETs to VIP:80 and long-lived
 * echo connections to VIP:9000 (loadgen.ts), while director1's table, with a filler of about
 * 1,000 entries on other VIPs, takes four changes three ways:
 * - ours: `pulumi up` of the changed stack (IpvsTable edits in place; a removal is drained);
 * - the seeds': the whole table's rules file, `ipvsadm -C; ipvsadm -R < file`;
 * - keepalived (the removal only): a keepalived.conf without the real server, then reload.
 * Each change runs under its own load: warm-up, the change, settle; then the load stops and
 * every long connection lives out its lifetime, so a connection open across the change is
 * judged. After each change the whole live table is compared with what that state should be.
 */
import { freshStack, pulumiOk, ROOT } from "../../test/e2e/support/engine";
import { labStackHosts, VIP, writeLabStack } from "../../test/e2e/support/lab-stack";
import { labSshTarget, onHostOk, type LabHostName } from "../../test/lab/lab";
import { openSsh } from "../../components/providers/ssh-transport";
import { runChecked, type HostTransport } from "../../components/providers/transport";
import { parseCluster } from "../../components/schema/cluster";
import { groupView, mergeChecks, mergeRulesets, type GroupView } from "../../components/core/host/cluster-model";
import { renderRestore } from "../../components/core/ipvs/ipvs-render";
import { toEntries } from "../../components/core/ipvs/ipvs-entries";
import { parseSave } from "../../components/core/ipvs/ipvs-parse";
import { renderKeepalived } from "../../components/core/keepalived/render-keepalived";
import { bulkEntries, bulkGroup, servicesFor } from "../filler";
import { startLoadClient } from "./load-client";
import { ECHO_PORT, ECHO_START, ECHO_STOP } from "./echo-server";
import type { LoadConfig, LoadSummary, LoadWindow } from "./loadgen";
import * as path from "path";

const STACK = "e2e-bench-load";
const S = ["--stack", STACK];
const CLUSTER_FILE = path.join(ROOT, ".lab", "bench-load-cluster.json");
const PORTS = [80, ECHO_PORT];
const REAL_SERVERS = ["rs1", "rs2", "rs3"] as const;
type Member = (typeof REAL_SERVERS)[number];
/** Where the seeds' rules files and keepalived's previous config wait on director1. */
const WORK = "/tmp/bench-load";

/**
 * The load. Long connections live 8 s, well inside the drain limit (30 s), so a drained
 * removal ends with them closing by themselves; an echo late by 3 s counts as a stall. Their
 * first opens are 0.7 s apart, so all four are open when the change starts after the warm-up
 * (a change of the seeds' way lasts about a second: with a lifetime's spread only two were).
 */
const LOAD: LoadConfig = {
    short: { host: VIP, port: 80, ratePerSecond: 25, timeoutMs: 3_000 },
    long: { host: VIP, port: ECHO_PORT, connections: 4, lifetimeMs: 8_000, lineEveryMs: 250, echoTimeoutMs: 3_000, connectTimeoutMs: 3_000, staggerMs: 700 },
    maxSeconds: 600,
};
const WARM_UP_MS = 3_000;
const SETTLE_MS = 3_000;
const DRAIN = { timeoutSeconds: 30, pollSeconds: 1 };

interface State {
    change: string;
    weights: Partial<Record<Member, number>>;
    scheduler: "wrr" | "wlc";
}

/** The start, then the four changes in order, each from the state before. */
const STATES: State[] = [
    { change: "start", weights: { rs1: 1, rs2: 1 }, scheduler: "wrr" },
    { change: "weight rs1 1->3", weights: { rs1: 3, rs2: 1 }, scheduler: "wrr" },
    { change: "add rs3", weights: { rs1: 3, rs2: 1, rs3: 1 }, scheduler: "wrr" },
    { change: "remove rs2 (drained)", weights: { rs1: 3, rs3: 1 }, scheduler: "wrr" },
    { change: "scheduler wrr->wlc", weights: { rs1: 3, rs3: 1 }, scheduler: "wlc" },
];
const REMOVAL = 3;

/** The served group: VIP tcp/80 and tcp/9000 over the state's pool, TCP checks for keepalived. */
function webGroup(state: State, checks: boolean): Record<string, unknown> {
    const realServers = Object.entries(state.weights).map(([host, weight]) => ({ host, weight }));
    return { name: "web", vips: [VIP], services: PORTS.map((port) => ({ protocol: "tcp", port, scheduler: state.scheduler, realServers, ...(checks ? { healthCheck: { type: "tcp" } } : {}) })) };
}

function cluster(state: State, fillerServices: number, realServers: readonly Member[], checks = false): Record<string, unknown> {
    return {
        vipGroups: [bulkGroup(fillerServices), webGroup(state, checks)],
        directors: [{ host: "director1", interface: "ens33", vipGroups: ["bulk", "web"], drain: DRAIN }],
        realServers: realServers.map((host) => ({ host })),
    };
}

/** The state's groups as the director serves them (the program's own model). */
function views(state: State, fillerServices: number, checks = false): GroupView[] {
    const spec = parseCluster({ ...cluster(state, fillerServices, REAL_SERVERS, checks), hosts: labStackHosts() });
    return spec.vipGroups.map((g) => groupView(spec.hosts, g));
}

const rulesOf = (state: State, filler: number) => renderRestore(mergeRulesets(views(state, filler)));

function keepalivedConf(state: State, filler: number): string {
    const groups = views(state, filler, true);
    return renderKeepalived({ routerId: "director1", owner: "bench:lab load", ruleset: mergeRulesets(groups), checks: mergeChecks(groups) });
}

/** How far director1's whole table is from the state's: entries missing, extra or different. */
async function tableDiff(t: HostTransport, state: State, filler: number): Promise<string[]> {
    const want = toEntries(mergeRulesets(views(state, filler)));
    const live = toEntries(parseSave(await runChecked(t, "ipvsadm -S -n")));
    const keys = [...new Set([...Object.keys(want), ...Object.keys(live)])].sort();
    return keys.filter((k) => want[k] !== live[k]).map((k) => `${k}: want ${want[k] ?? "(none)"}, live ${live[k] ?? "(none)"}`);
}

async function expectTable(t: HostTransport, state: State, filler: number, who: string): Promise<void> {
    const diff = await tableDiff(t, state, filler);
    if (diff.length > 0) throw new Error(`${who}, "${state.change}": director1's table differs from the state in ${diff.length} entries: ${diff.slice(0, 5).join("; ")}`);
}

/** Polls until the table is the state's (keepalived builds it in its own time); returns the seconds it took. */
async function awaitTable(t: HostTransport, state: State, filler: number, timeoutMs: number): Promise<number> {
    const started = Date.now();
    for (;;) {
        const diff = await tableDiff(t, state, filler);
        if (diff.length === 0) return (Date.now() - started) / 1000;
        if (Date.now() - started > timeoutMs) throw new Error(`keepalived, "${state.change}": the table still differs in ${diff.length} entries after ${timeoutMs / 1000} s: ${diff.slice(0, 3).join("; ")}`);
        await sleep(500);
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What one change cost the clients; `windows` keeps warm-up, change and settle apart. */
export interface ChangeFigures {
    /** Seconds the change itself took (pulumi up, -C;-R, or reload until the table was changed). */
    changeSeconds: number;
    shortSent: number;
    shortFailed: number;
    /** Answered after a second or more (a packet lost and sent again). */
    shortSlow: number;
    longOpened: number;
    /** Reset or stalled once open. */
    longBroken: number;
    longFailedOpen: number;
    shortRate: number;
    windows: LoadWindow[];
}

function figures(s: LoadSummary, changeSeconds: number): ChangeFigures {
    const { short, long } = s.total;
    return { changeSeconds, shortSent: short.sent, shortFailed: short.failed, shortSlow: short.slow, longOpened: long.opened, longBroken: long.reset + long.stalled, longFailedOpen: long.failedOpen, shortRate: s.shortRate, windows: s.windows };
}

/** Runs `change` under a fresh load: warm-up, change, settle, then stop and count. */
async function underLoad(who: string, state: State, change: () => Promise<void>): Promise<ChangeFigures> {
    const load = await startLoadClient(LOAD, "warm-up");
    try {
        await sleep(WARM_UP_MS);
        load.mark("change");
        const started = Date.now();
        await change();
        const changeSeconds = (Date.now() - started) / 1000;
        load.mark("settle");
        await sleep(SETTLE_MS);
        const f = figures(await load.stop(), changeSeconds);
        console.log(`${who.padEnd(10)} ${state.change.padEnd(22)} change ${changeSeconds.toFixed(1).padStart(5)} s; short failed ${f.shortFailed}/${f.shortSent}${reasons(f, "short")}, slow ${f.shortSlow}; long broken ${f.longBroken}/${f.longOpened}${f.longFailedOpen ? `, failed opens ${f.longFailedOpen}` : ""}${reasons(f, "long")}; answered in settle: ${answered(f)}; client lag <= ${maxLag(f)} ms`);
        return f;
    } finally {
        load.kill();
    }
}

function reasons(f: ChangeFigures, kind: "short" | "long"): string {
    const all: Record<string, number> = {};
    for (const w of f.windows) for (const [k, n] of Object.entries(w[kind].reasons)) all[k] = (all[k] ?? 0) + n;
    const list = Object.entries(all).map(([k, n]) => `${k} ${n}`);
    return list.length ? ` (${list.join(", ")})` : "";
}

const maxLag = (f: ChangeFigures) => Math.max(0, ...f.windows.map((w) => w.maxLagMs));

const answered = (f: ChangeFigures) =>
    Object.entries(f.windows.find((w) => w.label === "settle")?.short.servers ?? {})
        .sort()
        .map(([k, n]) => `${k} ${n}`)
        .join(", ");

async function onRealServers(command: string): Promise<void> {
    await Promise.all(REAL_SERVERS.map((h: LabHostName) => onHostOk(h, command)));
}


export interface LoadRow {
    change: string;
    ours: ChangeFigures;
    seeds: ChangeFigures;
    keepalived?: ChangeFigures;
}

export interface LoadResult {
    /** director1's kernel (uname -r): what ipvs does with connections on -C and -d is the kernel's. */
    kernel: string;
    fillerEntries: number;
    load: LoadConfig;
    warmUpSeconds: number;
    settleSeconds: number;
    /** Seconds keepalived took to build the table (filler included) from empty at start. */
    keepalivedInitialLoadSeconds: number;
    rows: LoadRow[];
}

/** Ours: the stack, from empty, then each change as `pulumi up` of the changed stack. */
async function ours(t: HostTransport, filler: number): Promise<ChangeFigures[]> {
    const members = (s: State) => REAL_SERVERS.filter((m) => s.weights[m] !== undefined);
    writeLabStack(STACK, cluster(STATES[0], filler, members(STATES[0])), { clusterFile: CLUSTER_FILE });
    await freshStack(STACK);
    await pulumiOk(["up", "--yes", "--skip-preview", ...S], { timeoutMs: 900_000 });
    await expectTable(t, STATES[0], filler, "ours");
    const out: ChangeFigures[] = [];
    for (const state of STATES.slice(1)) {
        writeLabStack(STACK, cluster(state, filler, members(state)), { clusterFile: CLUSTER_FILE });
        out.push(await underLoad("ours", state, async () => void (await pulumiOk(["up", "--yes", "--skip-preview", ...S], { timeoutMs: 900_000 }))));
        await expectTable(t, state, filler, "ours");
    }
    return out;
}

/** The seeds' way, on the same hosts: each state's whole rules file, `ipvsadm -C; ipvsadm -R`. */
async function seeds(t: HostTransport, filler: number): Promise<ChangeFigures[]> {
    await runChecked(t, `mkdir -p ${WORK}`);
    for (const [i, state] of STATES.entries()) await runChecked(t, `cat > ${WORK}/state${i}.rules`, rulesOf(state, filler));
    await runChecked(t, `ipvsadm -C && ipvsadm -R < ${WORK}/state0.rules`);
    await expectTable(t, STATES[0], filler, "seeds'");
    const out: ChangeFigures[] = [];
    for (const [i, state] of STATES.entries()) {
        if (i === 0) continue;
        out.push(await underLoad("seeds'", state, async () => void (await runChecked(t, `ipvsadm -C; ipvsadm -R < ${WORK}/state${i}.rules`))));
        await expectTable(t, state, filler, "seeds'");
    }
    return out;
}

/** The removal by a keepalived reload: keepalived builds the table before it, then loses rs2 from its config. */
async function keepalived(t: HostTransport, filler: number): Promise<{ removal: ChangeFigures; initialLoad: number }> {
    const before = STATES[REMOVAL - 1];
    const after = STATES[REMOVAL];
    const conf = "/etc/keepalived/keepalived.conf";
    await runChecked(t, `ipvsadm -C; mkdir -p ${WORK}; if [ -e ${conf} ]; then cp -p ${conf} ${WORK}/keepalived.conf.orig; fi; cat > ${conf}`, keepalivedConf(before, filler));
    await runChecked(t, "systemctl start keepalived");
    const initialLoad = await awaitTable(t, before, filler, 180_000);
    console.log(`keepalived built the table (${bulkEntries(filler)} filler entries and the served VIP) in ${initialLoad.toFixed(1)} s after starting`);
    const removal = await underLoad("keepalived", after, async () => {
        await runChecked(t, `cat > ${conf} && systemctl reload keepalived`, keepalivedConf(after, filler));
        await awaitTable(t, after, filler, 60_000);
    });
    return { removal, initialLoad };
}

/** Puts keepalived back as the image had it (stopped, its config as before); keepalived removes its entries when it stops. */
const KEEPALIVED_RESTORE = `systemctl stop keepalived 2>/dev/null; if [ -e ${WORK}/keepalived.conf.orig ]; then mv ${WORK}/keepalived.conf.orig /etc/keepalived/keepalived.conf; else rm -f /etc/keepalived/keepalived.conf; fi`;

export async function measureLoad(fillerEntries = 1_000): Promise<LoadResult> {
    const fillerServices = servicesFor(fillerEntries, 0);
    const filler = bulkEntries(fillerServices);
    console.log(`\n== under client load: ${LOAD.short.ratePerSecond} GET/s to ${VIP}:80 and ${LOAD.long.connections} echo connections of ${LOAD.long.lifetimeMs / 1000} s to ${VIP}:${ECHO_PORT}; ${filler} filler entries ==`);
    const t = await openSsh(labSshTarget("director1"));
    let stackUp = false;
    try {
        const kernel = (await runChecked(t, "uname -r")).trim();
        await onRealServers(ECHO_START);
        stackUp = true;
        const ourFigures = await ours(t, fillerServices);
        // The seeds' hosts: the stack at the state with all three real servers, so each has the
        // VIP on lo; the table is then driven by hand.
        writeLabStack(STACK, cluster(STATES[REMOVAL - 1], fillerServices, REAL_SERVERS), { clusterFile: CLUSTER_FILE });
        await pulumiOk(["up", "--yes", "--skip-preview", ...S], { timeoutMs: 900_000 });
        const seedFigures = await seeds(t, fillerServices);
        const k = await keepalived(t, fillerServices);
        const rows = STATES.slice(1).map((s, i) => ({ change: s.change, ours: ourFigures[i], seeds: seedFigures[i], ...(i + 1 === REMOVAL ? { keepalived: k.removal } : {}) }));
        return { kernel, fillerEntries: filler, load: LOAD, warmUpSeconds: WARM_UP_MS / 1000, settleSeconds: SETTLE_MS / 1000, keepalivedInitialLoadSeconds: k.initialLoad, rows };
    } finally {
        // Leave the hosts as found: keepalived stopped, the table the stack's, then destroy.
        await t.run(KEEPALIVED_RESTORE);
        if (stackUp) {
            await t.run(`ipvsadm -C; ipvsadm -R`, rulesOf(STATES[REMOVAL - 1], fillerServices));
            await pulumiOk(["destroy", "--yes", "--skip-preview", ...S], { timeoutMs: 900_000 }).catch((e: Error) => console.error(`cleanup: destroy failed: ${e.message}`));
        }
        await t.run(`rm -rf ${WORK}`);
        await t.close();
        await onRealServers(ECHO_STOP);
    }
}

const cell = (f: ChangeFigures | undefined) => (f ? `${f.shortFailed}/${f.shortSent}${f.shortSlow ? ` (${f.shortSlow} slow)` : ""}  ${f.longBroken}/${f.longOpened}` : "-");

export function printLoad(r: LoadResult): void {
    const head = ["change", "ours", "seeds' -C;-R", "keepalived reload"];
    const rows = r.rows.map((row) => [row.change, cell(row.ours), cell(row.seeds), cell(row.keepalived)]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("   ");
    const all = r.rows.flatMap((row) => [row.ours, row.seeds, ...(row.keepalived ? [row.keepalived] : [])]);
    const rates = all.map((f) => f.shortRate);
    console.log(`\nunder client load (each cell: short requests failed/sent, with those answered only after 1 s or more as slow; long connections reset or stalled/opened):`);
    console.log([line(head), ...rows.map(line)].join("\n"));
    console.log(
        `load achieved: ${Math.min(...rates).toFixed(1)}-${Math.max(...rates).toFixed(1)} short requests/s, ${r.load.long.connections} long connections open at a time; ` +
            `the client's own worst event-loop lag ${Math.max(...all.map(maxLag))} ms; ${r.fillerEntries} filler entries on director1 (kernel ${r.kernel})`,
    );
}
