/**
 * From `pulumi preview --json` to what a reviewer reads: per director, the ipvs entries that
 * would be added, changed (before -> after) and removed, the entries that drifted on the host,
 * the hosts that could not be checked, the program's warnings (a HaPair whose keepalived reload
 * may outlast VRRP's master-down interval), and the other resources that would change. Pure: the
 * command in ci-preview.ts runs the preview and prints this.
 */
import { parseNotices } from "../providers/notices";
import { fromEntries, toEntries } from "../core/ipvs/ipvs-entries";

/** The parts of the engine's preview JSON this reads. */
export interface PreviewJson {
    steps?: { op: string; urn: string; oldState?: StepState; newState?: StepState }[];
    diagnostics?: { message?: string; severity?: string }[];
}

interface StepState {
    type?: string;
    inputs?: Record<string, unknown>;
}

export interface EntryChange {
    entry: string;
    before?: string;
    after?: string;
}

export interface DirectorChanges {
    host: string;
    op: string;
    /** Config changes: added (no before), changed, removed (no after). */
    entries: EntryChange[];
    /** Entries whose live value differs from the stack's: `up` puts them back. */
    drift: EntryChange[];
}

export interface PreviewReport {
    stack: string;
    directors: DirectorChanges[];
    unchecked: { host: string; reason: string }[];
    /** The program's warnings (engine diagnostics of severity "warning"), each once. */
    warnings: string[];
    /** Other resources that would change: op and name. */
    others: { op: string; type: string; name: string }[];
    changes: boolean;
}

export const IPVS_TABLE_TYPE = "pulumi-nodejs:dynamic/lvs:IpvsTable";
const QUIET_OPS = new Set(["same", "read", "refresh"]);

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
const typeOf = (urn: string) => {
    const full = urn.split("::")[2] ?? "";
    return full.slice(full.lastIndexOf("$") + 1);
};
const entriesOf = (s?: StepState) => (s?.inputs?.entries ?? {}) as Record<string, string>;

/** The keys of both, in the table's own order (services, then their real servers, by address as numbers). */
export function tableOrder(before: Record<string, string>, after: Record<string, string>): string[] {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    try {
        const ordered = Object.keys(toEntries(fromEntries({ ...before, ...after })));
        if (ordered.length === keys.length && keys.every((k) => ordered.includes(k))) return ordered;
    } catch {
        // Entries the model does not read (an older state's spelling): plain text order still lists them all.
    }
    return keys.sort();
}

function entryChanges(before: Record<string, string>, after: Record<string, string>): EntryChange[] {
    const keys = tableOrder(before, after);
    return keys.filter((k) => before[k] !== after[k]).map((k) => ({ entry: k, ...(k in before ? { before: before[k] } : {}), ...(k in after ? { after: after[k] } : {}) }));
}

/** `stderr` is the engine's own output beside the JSON, where provider lines may also land. */
export function buildReport(stack: string, preview: PreviewJson, stderr = ""): PreviewReport {
    const notices = parseNotices([...(preview.diagnostics ?? []).map((d) => d.message ?? ""), stderr].join("\n"));
    const directors = new Map<string, DirectorChanges>();
    const others: PreviewReport["others"] = [];
    for (const step of preview.steps ?? []) {
        const type = step.newState?.type ?? step.oldState?.type ?? typeOf(step.urn);
        if (type !== IPVS_TABLE_TYPE) {
            if (!QUIET_OPS.has(step.op)) others.push({ op: step.op, type: type.replace(/^pulumi-nodejs:dynamic\/lvs:/, ""), name: nameOf(step.urn) });
            continue;
        }
        const host = String(step.newState?.inputs?.host ?? step.oldState?.inputs?.host ?? nameOf(step.urn));
        const entries = QUIET_OPS.has(step.op) ? [] : entryChanges(step.op === "create" ? {} : entriesOf(step.oldState), step.op === "delete" ? {} : entriesOf(step.newState));
        const prior = directors.get(host);
        if (prior) prior.entries.push(...entries);
        else directors.set(host, { host, op: step.op, entries, drift: [] });
    }
    for (const n of notices) {
        if (n.kind !== "drift") continue;
        const d = directors.get(n.host) ?? { host: n.host, op: "update", entries: [], drift: [] };
        d.drift.push({ entry: n.entry, ...(n.live !== undefined ? { before: n.live } : {}), ...(n.stack !== undefined ? { after: n.stack } : {}) });
        directors.set(n.host, d);
    }
    const unchecked = [...new Map(notices.flatMap((n) => (n.kind === "unchecked" ? [[n.host, { host: n.host, reason: n.reason }] as const] : []))).values()];
    const changed = [...directors.values()].filter((d) => d.entries.length + d.drift.length > 0).sort((a, b) => a.host.localeCompare(b.host));
    const warnings = [...new Set((preview.diagnostics ?? []).filter((d) => d.severity === "warning").map((d) => (d.message ?? "").trim()))].filter((m) => m !== "");
    return { stack, directors: changed, unchecked, warnings, others, changes: changed.length + others.length > 0 };
}

const code = (v?: string) => (v === undefined ? "" : `\`${v}\``);

export function renderMarkdown(r: PreviewReport): string {
    const out = [`### pulumi-lvs preview: stack \`${r.stack}\``, ""];
    const entryCount = r.directors.reduce((n, d) => n + d.entries.length + d.drift.length, 0);
    out.push(r.changes ? `**${entryCount} ipvs ${entryCount === 1 ? "entry" : "entries"} would change on ${r.directors.length} ${r.directors.length === 1 ? "host" : "hosts"}; ${r.others.length} other ${r.others.length === 1 ? "resource" : "resources"}.**` : "**No changes.**");
    if (r.unchecked.length > 0) out.push("", `**${r.unchecked.length} ${r.unchecked.length === 1 ? "host was" : "hosts were"} not checked for drift:** ${r.unchecked.map((u) => u.host).join(", ")}.`);
    if (r.warnings.length > 0) out.push("", "#### Warnings", "", ...r.warnings.map((w) => `- ${w}`));
    for (const d of r.directors) {
        out.push("", `#### ${d.host}${d.op === "create" || d.op === "delete" ? ` (${d.op})` : ""}`, "", "| | entry | before | after |", "|---|---|---|---|");
        for (const e of d.entries) out.push(`| ${e.before === undefined ? "+" : e.after === undefined ? "-" : "~"} | ${code(e.entry)} | ${code(e.before)} | ${code(e.after)} |`);
        for (const e of d.drift) out.push(`| drift | ${code(e.entry)} | ${e.before === undefined ? "absent on the host" : `${code(e.before)} on the host`} | ${code(e.after) || "removed"} |`);
    }
    if (r.unchecked.length > 0) {
        out.push("", "#### Unchecked hosts", "", "Not reachable during the preview: their drift is unknown, and an `up` with changes for them would fail.", "");
        for (const u of r.unchecked) out.push(`- **${u.host}**: ${u.reason}`);
    }
    if (r.others.length > 0) {
        out.push("", "#### Other resources", "", "| op | type | name |", "|---|---|---|");
        for (const o of r.others) out.push(`| ${o.op} | ${o.type} | \`${o.name}\` |`);
    }
    return `${out.join("\n")}\n`;
}

/** 0: no changes; 2: changes. (1, an error, is the command's own.) */
export function exitCodeOf(r: PreviewReport): 0 | 2 {
    return r.changes ? 2 : 0;
}
