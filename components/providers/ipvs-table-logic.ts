/**
 * What the IpvsTable provider does, written against HostTransport so tests can run it on an
 * in-memory ipvsadm. Reads the live table, applies only the difference (never -C), drains
 * leaving real servers, and saves the owned entries for the boot unit.
 */
import type { HostTransport } from "./transport";
import { runChecked } from "./transport";
import type { Ruleset } from "../core/ipvs/ipvs-model";
import { destId, serviceId } from "../core/ipvs/ipvs-model";
import { parseSave, parseListThresholds, mergeThresholds, parseListConnections } from "../core/ipvs/ipvs-parse";
import { fromEntries, toEntries } from "../core/ipvs/ipvs-entries";
import { planChanges, opArgs, type IpvsOp, type Plan } from "../core/ipvs/ipvs-diff";
import { renderRestore } from "../core/ipvs/ipvs-render";
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

export async function readLive(t: HostTransport): Promise<Ruleset> {
    const save = await runChecked(t, "ipvsadm -S -n");
    const thresholds = await runChecked(t, "ipvsadm -L -n --thresholds");
    return mergeThresholds(parseSave(save), parseListThresholds(thresholds));
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

async function runOps(t: HostTransport, ops: IpvsOp[], log: string[]): Promise<void> {
    if (ops.length === 0) return;
    const lines = ops.map((op) => shellCommand(["ipvsadm", ...opArgs(op)]));
    log.push(...lines);
    await runChecked(t, ["set -e", ...lines].join("\n"));
}

async function waitForDrain(t: HostTransport, ops: IpvsOp[], drain: DrainSettings, report: ApplyReport): Promise<void> {
    const waiting = ops.flatMap((op) => (op.kind === "edit-dest" ? [destId(op.service, op.dest.key)] : []));
    if (waiting.length === 0) return;
    const started = Date.now();
    let active = new Map<string, number>();
    for (;;) {
        const conns = parseListConnections(await runChecked(t, "ipvsadm -L -n"));
        active = new Map(waiting.map((id) => [id, conns.get(id)?.active ?? 0]));
        const busy = [...active.values()].some((n) => n > 0);
        if (!busy || Date.now() - started >= drain.timeoutSeconds * 1000) break;
        await sleep(drain.pollSeconds * 1000);
    }
    const waited = Math.round((Date.now() - started) / 100) / 10;
    for (const id of waiting) report.drained.push({ dest: id, waitedSeconds: waited, activeLeft: active.get(id) ?? 0 });
}

/**
 * The plan an apply would run against `live`: the one decision of "changed" for apply, the
 * preview's drift probe and the config diff alike, so key order or spelling never counts.
 */
export function planAgainst(live: Ruleset, ownedEntries: Record<string, string>, desired: Pick<TableState, "entries" | "localAddresses">): Plan {
    return planChanges(live, fromEntries(desired.entries), idsOf(fromEntries(ownedEntries)), { localAddresses: desired.localAddresses ?? [] });
}

/** True when a plan would send no ipvsadm command. */
export function isEmptyPlan(p: Plan): boolean {
    return p.apply.length + p.drain.length + p.remove.length === 0;
}

/**
 * Brings the host's table from what is live to `desired`, touching only entries that are
 * desired or were owned before. ipvsadm mode applies; keepalived mode only waits for
 * keepalived to converge, because two writers on one table would fight.
 */
export async function applyTable(t: HostTransport, ownedEntries: Record<string, string>, desired: TableState): Promise<ApplyReport> {
    const report: ApplyReport = { live: {}, commands: [], warnings: [], drained: [] };
    const desiredRules = fromEntries(desired.entries);
    const owned = fromEntries(ownedEntries);
    if (desired.manager === "keepalived") {
        report.live = await waitForConvergence(t, ownedEntries, desired);
        return report;
    }
    const plan = planAgainst(await readLive(t), ownedEntries, desired);
    report.warnings.push(...plan.warnings);
    await runOps(t, plan.apply, report.commands);
    await runOps(t, plan.drain, report.commands);
    await waitForDrain(t, plan.drain, desired.drain, report);
    await runOps(t, plan.remove, report.commands);
    await saveRules(t, desired.rulesFile, desiredRules);
    report.live = ownedView(await readLive(t), owned, desiredRules);
    return report;
}

async function waitForConvergence(t: HostTransport, ownedEntries: Record<string, string>, desired: TableState): Promise<Record<string, string>> {
    const started = Date.now();
    for (;;) {
        const live = await readLive(t);
        const done = isEmptyPlan(planAgainst(live, ownedEntries, desired));
        if (done || Date.now() - started > desired.drain.timeoutSeconds * 1000) return ownedView(live, fromEntries(ownedEntries), fromEntries(desired.entries));
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
