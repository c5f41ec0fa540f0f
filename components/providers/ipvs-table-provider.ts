/**
 * IpvsTable's provider methods. They run in the engine's provider process, loaded through
 * runtime-loader.ts; the state stores only that loader.
 *
 * "Changed" is decided by the plan an apply would run, never by comparing serialised inputs:
 * the engine hands inputs back with their keys in another order.
 */
import { toEntries } from "../core/ipvs/ipvs-entries";
import { parsedEntriesCache } from "./parsed-entries";
import { allOps, opEntryId } from "../core/ipvs/ipvs-diff";
import { applyTable, isEmptyPlan, ownedView, planAgainst, readLive, type DrainSettings, type TableManager } from "./ipvs-table-logic";
import { emitNotice } from "./notices";
import { holdsUnknowns, sameData, storedCode } from "./same-data";
import { withHost, type OpenHost, type SshTarget } from "./transport";
import { poolKey } from "./ssh-pool";
import { recordEntries, recordedEntries, type RecordedOuts } from "./recorded-entries";
import type { Ruleset } from "../core/ipvs/ipvs-model";

export interface TableProps {
    /** The host's name in the stack (plain text in previews; older states lack it). */
    host?: string;
    connection: SshTarget;
    entries: Record<string, string>;
    manager: TableManager;
    drain: DrainSettings;
    rulesFile: string;
    localAddresses?: string[];
}

/**
 * What state records: the settings, and the owned entries as the last apply left them live,
 * as text (recorded-entries.ts); states written before that hold them as the map `entries`.
 */
export interface TableOuts extends Omit<TableProps, "entries">, RecordedOuts {
    /** The last apply's commands, warnings and drains. */
    lastApply: { commands: string[]; warnings: string[]; drained: { dest: string; waitedSeconds: number; activeLeft: number }[] };
}

const hostName = (p: TableProps) => p.host ?? p.connection.name ?? p.connection.host;

/**
 * Everything but the entries that an update would change, the stored provider code included:
 * when that code differs, an update (which runs no ipvsadm command if nothing else changed)
 * stores the new code, so refresh and destroy never run an old copy.
 */
function settingsOf(p: Omit<TableProps, "entries">): unknown {
    return { connection: p.connection, manager: p.manager, drain: p.drain, rulesFile: p.rulesFile, localAddresses: p.localAddresses ?? [], code: storedCode(p) };
}

/**
 * The engine calls Check, Diff and Update of a table one after the other, and each wants the
 * whole live table: at 10,000 entries a listing costs seconds. A read stands in for the next
 * call's if it is this recent.
 */
export const RECENT_READ_MS = 10_000;

/**
 * Reads of the live table handed from one provider call to the next on the same host, each
 * taken at most once: Check starts the drift probe's read and Diff awaits it, so the listing
 * overlaps what the engine and both calls do meanwhile (at 10,000 entries, about a second of
 * moving and parsing entries maps); Diff hands what it read to the Update that follows.
 */
function handedReads(now: () => number) {
    // Keyed by the identity the SSH pool shares a connection by.
    const reads = new Map<string, { at: number; live: Promise<Ruleset> }>();
    return {
        put(c: SshTarget, live: Promise<Ruleset>): void {
            // Awaited by whoever takes it, which reports a failure; never unhandled.
            live.catch(() => undefined);
            reads.set(poolKey(c), { at: now(), live });
        },
        has: (c: SshTarget): boolean => reads.has(poolKey(c)),
        /** The read handed over for this host, unless none or it is too old to stand for the table now. */
        take(c: SshTarget): Promise<Ruleset> | undefined {
            const r = reads.get(poolKey(c));
            reads.delete(poolKey(c));
            return r && now() - r.at <= RECENT_READ_MS ? r.live : undefined;
        },
    };
}

type HandedReads = ReturnType<typeof handedReads>;

const NO_RULES: Ruleset = { services: [] };

/**
 * The preview's look at the host: true when the live table differs from what state records
 * (drift, which `up` puts back), with each drifted entry printed. Config changes are the
 * engine's own diff and are not repeated here. A host that cannot be reached within its
 * connect timeout (one attempt) is printed as unchecked, never silently "unchanged".
 */
async function probeDrift(open: OpenHost, recorded: Ruleset, news: TableProps, reads: HandedReads): Promise<boolean> {
    const host = hostName(news);
    try {
        const live = await (reads.take(news.connection) ?? withHost(open, news.connection, readLive, { probe: true }));
        reads.put(news.connection, Promise.resolve(live));
        const drifted = new Set(allOps(planAgainst(live, { owned: recorded, desired: recorded, localAddresses: news.localAddresses })).map(opEntryId));
        if (drifted.size === 0) return false;
        const liveView = ownedView(live, recorded, NO_RULES);
        const stateView = toEntries(recorded);
        for (const entry of drifted) emitNotice({ kind: "drift", host, entry, live: liveView[entry], stack: stateView[entry] });
        return true;
    } catch (e) {
        emitNotice({ kind: "unchecked", host, reason: (e as Error).message });
        return false;
    }
}

/** IpvsTable's provider, reaching hosts through `open`. */
export function ipvsTableProvider(open: OpenHost, now: () => number = Date.now) {
    const reads = handedReads(now);
    const parse = parsedEntriesCache();

    async function apply(owned: Record<string, string>, desired: TableProps): Promise<TableOuts> {
        const known = await reads.take(desired.connection)?.catch(() => undefined);
        const report = await withHost(open, desired.connection, (t) => applyTable(t, owned, desired, { known, parse }));
        const { entries: _desired, ...settings } = desired;
        return { ...settings, ownedEntries: recordEntries(report.live), lastApply: { commands: report.commands, warnings: report.warnings, drained: report.drained } };
    }

    return {
        async check(olds: Partial<TableProps>, news: TableProps) {
            // Inputs not known yet (an address from a resource still to be created) are checked at the update, when they are.
            if (holdsUnknowns(news.entries) || holdsUnknowns(news.connection)) return { inputs: news };
            // Only for a table in state and written by ipvsadm: a preview reads no host for a new
            // table, whose host may not exist yet. A second Check starts no second read. The read
            // starts before the parse, which it does not need, so the two overlap.
            if (olds.entries !== undefined && news.manager === "ipvsadm" && !reads.has(news.connection)) reads.put(news.connection, withHost(open, news.connection, readLive, { probe: true }));
            try {
                parse(news.entries);
                return { inputs: news };
            } catch (e) {
                return { inputs: news, failures: [{ property: "entries", reason: (e as Error).message }] };
            }
        },

        /**
         * Changes when the settings or connection differ (an in-place update: a new port or key
         * never tears the table down), when the entries' plan is not empty, or when the host has
         * drifted. keepalived writes its own table, so there the config alone decides.
         */
        async diff(_id: string, olds: TableOuts, news: TableProps) {
            if (holdsUnknowns(news)) return { changes: true };
            const settingsChanged = !sameData(settingsOf(olds), settingsOf(news));
            const recordedMap = recordedEntries(olds);
            const recorded = parse(recordedMap);
            // Both maps hold canonical ids and settings (toEntries wrote them), so equal maps are
            // equal tables; only unequal ones need the plan, which sees through spelling.
            const entriesChanged =
                !sameData(recordedMap, news.entries) && !isEmptyPlan(planAgainst(recorded, { owned: recorded, desired: parse(news.entries), localAddresses: news.localAddresses }));
            const drifted = news.manager === "ipvsadm" ? await probeDrift(open, recorded, news, reads) : false;
            return { changes: settingsChanged || entriesChanged || drifted };
        },

        async create(inputs: TableProps) {
            const outs = await apply({}, inputs);
            return { id: `${inputs.connection.host}:${inputs.connection.port}`, outs };
        },

        async update(_id: string, olds: TableOuts, news: TableProps) {
            return { outs: await apply(recordedEntries(olds), news) };
        },

        async delete(_id: string, props: TableOuts) {
            await apply(recordedEntries(props), { ...props, entries: {} });
        },

        /** Refresh: state takes the live entries as inputs, so the next preview shows drift entry by entry. */
        async read(id: string, props?: TableOuts) {
            if (!props) throw new Error("IpvsTable cannot be imported: it needs the connection from the stack");
            const live = await withHost(open, props.connection, async (t) => ownedView(await readLive(t), parse(recordedEntries(props)), NO_RULES));
            const { lastApply, entries: _map, ownedEntries: _text, ...settings } = props;
            return { id, props: { ...settings, ownedEntries: recordEntries(live), lastApply }, inputs: { ...settings, entries: live } };
        },
    };
}
