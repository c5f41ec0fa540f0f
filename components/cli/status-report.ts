/**
 * What `npm run status` shows, built from the stack's state and one reading of each director:
 * every live service and real server with weight, connections, counters and rates, marked
 * owned (as the stack has it), drifted (live differs; the stack's value beside it), foreign
 * (not the stack's: left alone) or missing (the stack's, not live: for a keepalived-managed
 * table, a real server its health checks took out). For a HaPair node, its VRRP state and
 * whether it holds the VIPs. Pure: status.ts reads the state and the hosts.
 */
import { fromEntries, toEntries } from "../core/ipvs/ipvs-entries";
import { allOps, opEntryId } from "../core/ipvs/ipvs-diff";
import { mergeThresholds, parseListThresholds, parseSave } from "../core/ipvs/ipvs-parse";
import { parseListingWithProc } from "../core/ipvs/ipvs-proc";
import { parseRates, parseStats, type EntryRates, type EntryStats } from "../core/ipvs/ipvs-stats";
import { destId, type Ruleset } from "../core/ipvs/ipvs-model";
import { planAgainst, type TableManager } from "../providers/ipvs-table-logic";
import { tableOrder } from "./preview-report";

/** Printed between the sections of STATUS_SCRIPT's output. */
export const STATUS_SPLIT = "--- pulumi-lvs status ---";

/**
 * The one exec per host: the table (as the provider reads it: listing with thresholds,
 * /proc/net/ip_vs, and -S only for tunnels), counters and rates, the host's addresses, and
 * keepalived's service state and last VRRP transition (empty where keepalived is absent).
 */
export const STATUS_SCRIPT = [
    "ipvsadm -L -n --thresholds",
    "cat /proc/net/ip_vs",
    // -S lists the whole table again, so only when the two above cannot say it all (a tunnel, see ipvs-proc.ts).
    "if [ ! -r /proc/net/ip_vs ] || grep -q ' Tunnel ' /proc/net/ip_vs; then ipvsadm -S -n; fi",
    "ipvsadm -L -n --stats --exact",
    "ipvsadm -L -n --rate --exact",
    "ip -o addr show",
    "systemctl is-active keepalived 2>/dev/null || true",
    // --grep needs journalctl built with PCRE2; without it, the last transition is unknown.
    "journalctl -u keepalived -o cat --no-pager --grep 'Entering [A-Z]+ STATE' 2>/dev/null | tail -n 1 || true",
].join(`\necho '${STATUS_SPLIT}'\n`);

/** An IpvsTable as the stack's state records it. */
export interface TableInState {
    host: string;
    manager: TableManager;
    entries: Record<string, string>;
    localAddresses?: string[];
}

export type Mark = "owned" | "drifted" | "foreign" | "missing";

export interface StatusRow {
    /** The entry's id, as the preview names it ("-A -t VIP:80", "-a -t VIP:80 -r RIP:80"). */
    entry: string;
    mark: Mark;
    /** Live settings, as entries write them ("-s rr", "-g -w 1"); absent when missing. */
    live?: string;
    /** The stack's settings; absent for a foreign entry. */
    stack?: string;
    weight?: number;
    activeConnections?: number;
    inactiveConnections?: number;
    stats?: EntryStats;
    rates?: EntryRates;
}

export interface NodeState {
    /** keepalived's service state ("active", "inactive", ...). */
    keepalived: string;
    /** The last "Entering X STATE" keepalived logged: MASTER, BACKUP or FAULT; undefined when none. */
    vrrp?: string;
    /** The table's service addresses this host holds. */
    holdsVips: string[];
}

export interface HostStatus {
    host: string;
    manager: TableManager;
    /** Set when the host could not be read. */
    error?: string;
    rows: StatusRow[];
    /** Only for a keepalived-managed table. */
    node?: NodeState;
}

/** Splits a reading into its sections; throws when the host printed fewer than the script has. */
function sections(reading: string): string[] {
    const parts = reading.split(`${STATUS_SPLIT}\n`);
    const expected = STATUS_SCRIPT.split(STATUS_SPLIT).length;
    if (parts.length !== expected) throw new Error(`the status reading has ${parts.length} sections, not ${expected}`);
    return parts;
}

/** The VIPs (service addresses) the host has among its addresses (`ip -o addr show`). */
function heldAddresses(addresses: string, table: Ruleset): string[] {
    const vips = new Set(table.services.flatMap((s) => (s.key.kind === "addr" ? [s.key.address] : [])));
    const held = new Set<string>();
    for (const line of addresses.split("\n")) {
        const m = /\sinet6?\s+([0-9a-fA-F.:]+)\//.exec(line);
        if (m && vips.has(m[1])) held.add(m[1]);
    }
    return [...held].sort();
}

/** One host's rows and node state from its reading (STATUS_SCRIPT's output). */
export function hostStatus(table: TableInState, reading: string): HostStatus {
    const [listing, proc, save, statsText, rateText, addresses, keepalived, vrrpLine] = sections(reading);
    const fromProc = parseListingWithProc(listing, proc);
    if (!fromProc && save.trim() === "" && listing.split("\n").some((l) => l.trimStart().startsWith("->"))) {
        throw new Error("the host's /proc/net/ip_vs did not match its listing, and no ipvsadm -S came with it");
    }
    const live = fromProc ?? mergeThresholds(parseSave(save), parseListThresholds(listing));
    const recorded = fromEntries(table.entries);
    // The same decision as the preview's drift probe: spelling and key order never count.
    const drifted = new Set(allOps(planAgainst(live, { owned: recorded, desired: recorded, localAddresses: table.localAddresses })).map(opEntryId));
    const liveView = toEntries(live);
    const stats = parseStats(statsText);
    const rates = parseRates(rateText);
    const connections = parseListThresholds(listing);
    const weights = new Map(live.services.flatMap((svc) => svc.dests.map((d) => [destId(svc.key, d.key), d.settings.weight] as const)));
    const rows: StatusRow[] = [];
    for (const entry of tableOrder(table.entries, liveView)) {
        const inLive = entry in liveView;
        const inStack = entry in table.entries;
        const mark: Mark = !inStack ? "foreign" : !inLive ? "missing" : drifted.has(entry) ? "drifted" : "owned";
        // "-A <service id>" or "-a <dest id>": the counters are keyed by the id.
        const id = entry.slice(3);
        const row: StatusRow = { entry, mark };
        if (inLive) row.live = liveView[entry];
        if (inStack) row.stack = table.entries[entry];
        if (inLive && entry.startsWith("-a ")) {
            row.weight = weights.get(id);
            const c = connections.get(id);
            if (c) Object.assign(row, { activeConnections: c.active, inactiveConnections: c.inactive });
        }
        const s = stats.get(id);
        const r = rates.get(id);
        if (inLive && s) row.stats = s;
        if (inLive && r) row.rates = r;
        rows.push(row);
    }
    const status: HostStatus = { host: table.host, manager: table.manager, rows };
    if (table.manager === "keepalived") {
        const state = /Entering ([A-Z]+) STATE/.exec(vrrpLine)?.[1];
        status.node = { keepalived: keepalived.trim() || "unknown", ...(state ? { vrrp: state } : {}), holdsVips: heldAddresses(addresses, recorded) };
    }
    return status;
}

const MARK_LABEL: Record<Mark, string> = { owned: "owned", drifted: "DRIFTED", foreign: "foreign", missing: "MISSING" };

/** "-t 192.168.13.100:80" for a service, "  -> 192.168.13.112:80" for a real server. */
function shownEntry(entry: string): string {
    if (entry.startsWith("-A ")) return entry.slice(3);
    return `  -> ${entry.slice(entry.lastIndexOf(" -r ") + 4)}`;
}

function shownSettings(row: StatusRow): string {
    if (row.mark === "missing") return `(stack: ${row.stack})`;
    if (row.mark === "drifted") return `${row.live} (stack: ${row.stack})`;
    return row.live ?? "";
}

const n = (v: number | undefined) => (v === undefined ? "" : String(v));

function nodeLine(s: HostStatus): string {
    if (!s.node) return `${s.host} (table written by ipvsadm)`;
    const held = s.node.holdsVips.length ? `holds ${s.node.holdsVips.join(", ")}` : "holds no VIP";
    return `${s.host} (keepalived ${s.node.keepalived}, VRRP ${s.node.vrrp ?? "state unknown"}, ${held})`;
}

/** The view `npm run status` prints: one table per host, like `ipvsadm -L -n --stats --rate` with the stack's marks. */
export function renderStatus(stack: string, hosts: HostStatus[], at: Date): string {
    const out = [`pulumi-lvs status: stack ${stack}, ${at.toISOString()}`];
    for (const h of hosts) {
        out.push("");
        if (h.error !== undefined) {
            out.push(`${h.host}: not read: ${h.error}`);
            continue;
        }
        out.push(nodeLine(h));
        const header = ["mark", "entry", "settings", "weight", "active", "inactive", "conns", "conns/s", "bytes in", "bytes out"];
        const rows = h.rows.map((r) => [MARK_LABEL[r.mark], shownEntry(r.entry), shownSettings(r), n(r.weight), n(r.activeConnections), n(r.inactiveConnections), n(r.stats?.connections), n(r.rates?.connectionsPerSecond), n(r.stats?.bytesIn), n(r.stats?.bytesOut)]);
        const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i].length)));
        const line = (cells: string[]) => `  ${cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")}`.trimEnd();
        out.push(line(header), ...rows.map(line));
        if (h.rows.length === 0) out.push("  (no entries)");
    }
    return `${out.join("\n")}\n`;
}
