/**
 * What the IpvsTable provider does, written against HostTransport so tests can run it on an
 * in-memory ipvsadm. Reads the live table, applies only the difference (never -C), drains
 * leaving real servers, and saves the owned entries for the boot unit. Each phase of the
 * difference goes to the host as one `ipvsadm -R` stream on stdin: one process whatever the
 * table's size, and no size-proportional command line.
 */
import type { HostTransport } from "./transport";
import { runChecked } from "./transport";
import type { Ruleset } from "../core/ipvs/ipvs-model";
import { destId, serviceId } from "../core/ipvs/ipvs-model";
import { parseSave, parseListThresholds, mergeThresholds, parseListConnections } from "../core/ipvs/ipvs-parse";
import { fromEntries, toEntries } from "../core/ipvs/ipvs-entries";
import { planChanges, opEntryId, restoreStream, allOps, type IpvsOp, type Plan } from "../core/ipvs/ipvs-diff";
import { renderRestore } from "../core/ipvs/ipvs-render";
import { applyOps } from "../core/ipvs/ipvs-apply";
import { parseListingWithProc } from "../core/ipvs/ipvs-proc";
import { shellCommand } from "../base/shell-quote";

export type TableManager = "ipvsadm" | "keepalived";

export interface DrainSettings {
    timeoutSeconds: number;
    pollSeconds: number;
}

export interface TableState {
    entries: Record<string, string>;
    manager: TableManager;
    drain: DrainSettings;
    rulesFile: string;
    /** The director's own addresses: real servers there get Local forwarding, whatever was asked. */
    localAddresses?: string[];
}

export interface ApplyReport {
    /** The owned entries as live after the apply. */
    live: Record<string, string>;
    commands: string[];
    warnings: string[];
    drained: { dest: string; waitedSeconds: number; activeLeft: number }[];
}

/**
 * An ipvsadm listing that leaves the host in large pieces. Into a pipe ipvsadm writes 4 KiB at
 * a time, each waking sshd: at 10,005 entries a read took a lab director 1.8 s that way and
 * 1.4 s through coreutils' stdbuf (medians of 9). A host without stdbuf lists as before.
 */
export function buffered(listing: string): string {
    return `if command -v stdbuf >/dev/null 2>&1; then stdbuf -o 4M ${listing}; else ${listing}; fi`;
}

/** Printed between the two listings, so one exec reads both. */
export const LISTING_SPLIT = "--- pulumi-lvs: thresholds follow ---";

/** Runs the listings in one exec, the separator between them; returns the two texts. */
async function twoListings(t: HostTransport, first: string, second: string): Promise<[string, string]> {
    const out = await runChecked(t, ["set -e", first, `echo '${LISTING_SPLIT}'`, second].join("\n"));
    const at = out.indexOf(`${LISTING_SPLIT}\n`);
    if (at < 0) throw new Error(`reading the ipvs table: the listing lacks its separator line; got:\n${out.slice(0, 500)}`);
    return [out.slice(0, at), out.slice(at + LISTING_SPLIT.length + 1)];
}

/**
 * The live table, thresholds included, in one exec: the preview's probe costs one round trip.
 * One ipvsadm listing and the kernel's /proc/net/ip_vs say it all unless a real server
 * tunnels (see ipvs-proc.ts); then -S, which holds the encapsulation, is read in a second
 * exec and takes its thresholds from the listing already read.
 */
export async function readLive(t: HostTransport): Promise<Ruleset> {
    // ipvsadm first: it loads ip_vs if need be, which creates /proc/net/ip_vs.
    const [listing, proc] = await twoListings(t, buffered("ipvsadm -L -n --thresholds"), "cat /proc/net/ip_vs");
    const table = parseListingWithProc(listing, proc);
    if (table) return table;
    return mergeThresholds(parseSave(await runChecked(t, buffered("ipvsadm -S -n"))), parseListThresholds(listing));
}

/** Service and dest ids of a ruleset, the form planChanges takes for ownership. */
export function idsOf(r: Ruleset): { services: string[]; dests: string[] } {
    return {
        services: r.services.map((s) => serviceId(s.key)),
        dests: r.services.flatMap((s) => s.dests.map((d) => destId(s.key, d.key))),
    };
}

/** The part of `live` this stack owns (or wants), as entries: what state records. */
export function ownedView(live: Ruleset, owned: Ruleset, desired: Ruleset): Record<string, string> {
    const ids = idsOf({ services: [...owned.services, ...desired.services] });
    const services = new Set(ids.services);
    const dests = new Set(ids.dests);
    return toEntries({
        services: live.services
            .filter((s) => services.has(serviceId(s.key)))
            .map((s) => ({ ...s, dests: s.dests.filter((d) => dests.has(destId(s.key, d.key))) })),
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What lastApply keeps of the commands: enough to read a change, not a 10,000-line state. */
export const LOGGED_COMMANDS = 200;

function logCommands(log: string[], stream: string): void {
    const lines = stream.split("\n").filter((l) => l !== "");
    const room = Math.max(0, LOGGED_COMMANDS - log.length);
    log.push(...lines.slice(0, room).map((l) => `ipvsadm ${l}`));
    if (lines.length > room) log.push(`... ${lines.length - room} more ipvsadm commands not logged`);
}

/**
 * Sends one phase as an `ipvsadm -R` stream. -R runs every line whatever happened before and
 * exits with the last line's status, so a refused line in the middle shows only as what it
 * printed: any stderr fails the apply. The lines before it took effect; the error says how far
 * the table is from the stack, and the next `up` plans from the live table and sends only that.
 */
async function sendOps(t: HostTransport, ops: IpvsOp[], phase: string, target: TableTarget, log: string[]): Promise<void> {
    if (ops.length === 0) return;
    const stream = restoreStream(ops);
    logCommands(log, stream);
    const r = await t.run("ipvsadm -R", stream);
    if (r.code === 0 && r.stderr.trim() === "") return;
    const left = allOps(planAgainst(await readLive(t), target)).map(opEntryId);
    const refused = r.stderr.trim().split("\n").slice(0, 5).join("; ") || `exit ${r.code}`;
    throw new Error(
        `ipvsadm -R (${phase} phase, ${ops.length} change${ops.length === 1 ? "" : "s"}) was refused in part: ${refused}. ` +
            `The table now differs from the stack in ${left.length} entr${left.length === 1 ? "y" : "ies"}${left.length ? ` (${left.slice(0, 5).join(", ")}${left.length > 5 ? ", ..." : ""})` : ""}; ` +
            "no other entry was touched. Fix the cause above and run `pulumi up` again: it sends only what still differs.",
    );
}

async function waitForDrain(t: HostTransport, ops: IpvsOp[], drain: DrainSettings, report: ApplyReport): Promise<void> {
    const waiting = ops.flatMap((op) => (op.kind === "edit-dest" ? [destId(op.service, op.dest.key)] : []));
    if (waiting.length === 0) return;
    const started = Date.now();
    let active = new Map<string, number>();
    for (;;) {
        const conns = parseListConnections(await runChecked(t, buffered("ipvsadm -L -n")));
        active = new Map(waiting.map((id) => [id, conns.get(id)?.active ?? 0]));
        const busy = [...active.values()].some((n) => n > 0);
        if (!busy || Date.now() - started >= drain.timeoutSeconds * 1000) break;
        await sleep(drain.pollSeconds * 1000);
    }
    const waited = Math.round((Date.now() - started) / 100) / 10;
    for (const id of waiting) report.drained.push({ dest: id, waitedSeconds: waited, activeLeft: active.get(id) ?? 0 });
}

/**
 * What a plan is made against, parsed once per provider call: each parse of a 10,000-entry
 * map costs a fifth of a second, and a diff used to parse the same map five times.
 */
export interface TableTarget {
    /** The entries the stack owned before (state); only these and the desired ones are touched. */
    owned: Ruleset;
    desired: Ruleset;
    localAddresses?: string[];
}

/**
 * The plan an apply would run against `live`: the one decision of "changed" for apply, the
 * preview's drift probe and the config diff alike, so key order or spelling never counts.
 */
export function planAgainst(live: Ruleset, target: TableTarget): Plan {
    return planChanges(live, target.desired, idsOf(target.owned), { localAddresses: target.localAddresses ?? [] });
}

/** True when a plan would send no ipvsadm command. */
export function isEmptyPlan(p: Plan): boolean {
    return p.apply.length + p.drain.length + p.remove.length === 0;
}

export interface ApplyOptions {
    /** The table as read moments ago (the diff's probe), which saves a listing. */
    known?: Ruleset;
    /** How entries maps become rulesets; the provider passes one that remembers (parsed-entries.ts). */
    parse?: (entries: Record<string, string>) => Ruleset;
}

/**
 * Brings the host's table from what is live (or `known` to be, just read) to `desired`,
 * touching only entries that are desired or were owned before. ipvsadm mode applies;
 * keepalived mode only waits for keepalived to converge, because two writers on one table
 * would fight.
 */
export async function applyTable(t: HostTransport, ownedEntries: Record<string, string>, desired: TableState, opts: ApplyOptions = {}): Promise<ApplyReport> {
    const { known, parse = fromEntries } = opts;
    const report: ApplyReport = { live: {}, commands: [], warnings: [], drained: [] };
    const target: TableTarget = { owned: parse(ownedEntries), desired: parse(desired.entries), localAddresses: desired.localAddresses };
    if (desired.manager === "keepalived") {
        report.live = await waitForConvergence(t, target, desired.drain);
        return report;
    }
    // `known`: the table as read moments ago (the diff's probe); a stale one cannot do harm
    // unseen, since -R refuses to add what exists or edit what is gone, and that fails the apply.
    const before = known ?? (await readLive(t));
    const plan = planAgainst(before, target);
    report.warnings.push(...plan.warnings);
    // The boot unit's rules file is written while the table changes, in an exec of its own: at
    // 10,000 entries each takes tenths of a second. It holds the desired table even if a line
    // is refused, which is what the next boot should restore, and the next `up` rewrites it.
    const saving = saveRules(t, desired.rulesFile, target.desired);
    saving.catch(() => undefined); // awaited below, after the table's own outcome
    try {
        // With nothing to drain, adding and removing need no wait between them: one stream.
        const phases: [string, IpvsOp[]][] = plan.drain.length === 0 ? [["apply", [...plan.apply, ...plan.remove]]] : [["apply", plan.apply], ["drain", plan.drain]];
        for (const [phase, ops] of phases) await sendOps(t, ops, phase, target, report.commands);
        if (plan.drain.length > 0) {
            await waitForDrain(t, plan.drain, desired.drain, report);
            await sendOps(t, plan.remove, "remove", target, report.commands);
        }
    } catch (e) {
        await saving.catch(() => undefined);
        throw e;
    }
    await saving;
    // The host took every line without a word (sendOps checks), so the table is the one read
    // before with the plan applied: no second listing, which costs seconds at 10,000 entries.
    report.live = ownedView(applyOps(before, allOps(plan), desired.localAddresses), target.owned, target.desired);
    return report;
}

async function waitForConvergence(t: HostTransport, target: TableTarget, drain: DrainSettings): Promise<Record<string, string>> {
    const started = Date.now();
    for (;;) {
        const live = await readLive(t);
        const done = isEmptyPlan(planAgainst(live, target));
        if (done || Date.now() - started > drain.timeoutSeconds * 1000) return ownedView(live, target.owned, target.desired);
        await sleep(1000);
    }
}

/** The owned entries in -R form, for the boot unit; removed when nothing is owned. */
async function saveRules(t: HostTransport, file: string, rules: Ruleset): Promise<void> {
    const q = shellCommand([file]);
    if (rules.services.length === 0) {
        await runChecked(t, `rm -f ${q}\nrmdir "$(dirname ${q})" 2>/dev/null || true`);
        return;
    }
    await runChecked(t, `mkdir -p "$(dirname ${q})" && cat > ${q}.tmp && mv ${q}.tmp ${q}`, renderRestore(rules));
}
