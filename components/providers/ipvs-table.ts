/**
 * IpvsTable: the single owner of a director's ipvs entries. Its input `entries` is keyed by
 * entry identity ("-a -t VIP:80 -r RIP:80" -> "-g -w 1"), so the engine's own diff shows
 * each entry added, changed or removed in `pulumi preview --diff`.
 *
 * The engine serializes provider code. The methods below capture only plain strings and load
 * the real logic (and ssh2) with require() when they run.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { SshTarget } from "./transport";
import type { DrainSettings, TableManager } from "./ipvs-table-logic";

// Absolute paths, captured as plain strings; resolved (to the compiled .js) only when a method runs.
const LOGIC_MODULE = path.join(__dirname, "ipvs-table-logic");
const SSH_MODULE = path.join(__dirname, "ssh-transport");
const ENTRIES_MODULE = path.join(__dirname, "..", "core", "ipvs-entries");

interface TableProps {
    connection: SshTarget;
    entries: Record<string, string>;
    manager: TableManager;
    drain: DrainSettings;
    rulesFile: string;
    localAddresses?: string[];
}

interface TableOuts extends TableProps {
    /** What the last apply found live for the owned entries, plus its warnings and drains. */
    lastApply: { commands: string[]; warnings: string[]; drained: { dest: string; waitedSeconds: number; activeLeft: number }[] };
}

const provider: pulumi.dynamic.ResourceProvider<TableProps, TableOuts> = {
    async check(_olds: TableProps, news: TableProps) {
        const { fromEntries } = require(ENTRIES_MODULE) as typeof import("../core/ipvs-entries");
        try {
            fromEntries(news.entries);
            return { inputs: news };
        } catch (e) {
            return { inputs: news, failures: [{ property: "entries", reason: (e as Error).message }] };
        }
    },

    async diff(_id: string, olds: TableOuts, news: TableProps) {
        const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
        const changed = !same(olds.entries, news.entries) || !same(olds.manager, news.manager) || !same(olds.drain, news.drain);
        const moved = olds.connection.host !== news.connection.host || olds.connection.port !== news.connection.port;
        if (moved) return { changes: true, replaces: ["connection"], deleteBeforeReplace: true };
        if (changed || olds.manager === "keepalived") return { changes: changed };
        // Entries unchanged in config: look at the host so drift (entries edited or deleted by
        // hand) still produces an update that puts them back. An unreachable host is no drift.
        try {
            const logic = require(LOGIC_MODULE) as typeof import("./ipvs-table-logic");
            const { openSsh } = require(SSH_MODULE) as typeof import("./ssh-transport");
            const t = await openSsh(news.connection);
            try {
                const live = logic.ownedView(await logic.readLive(t), logic.rulesetOf(olds.entries), logic.rulesetOf(news.entries));
                return { changes: !same(live, news.entries) };
            } finally {
                await t.close();
            }
        } catch {
            return { changes: false };
        }
    },

    async create(inputs: TableProps) {
        const outs = await apply({}, inputs);
        return { id: `${inputs.connection.host}:${inputs.connection.port}`, outs };
    },

    async update(_id: string, olds: TableOuts, news: TableProps) {
        return { outs: await apply(olds.entries, news) };
    },

    async delete(_id: string, props: TableOuts) {
        await apply(props.entries, { ...props, entries: {} });
    },

    /** Refresh: state takes the live entries as inputs, so the next preview shows drift entry by entry. */
    async read(id: string, props?: TableOuts) {
        if (!props) throw new Error("IpvsTable cannot be imported: it needs the connection from the stack");
        const logic = require(LOGIC_MODULE) as typeof import("./ipvs-table-logic");
        const { openSsh } = require(SSH_MODULE) as typeof import("./ssh-transport");
        const t = await openSsh(props.connection);
        try {
            const live = logic.ownedView(await logic.readLive(t), logic.rulesetOf(props.entries), logic.rulesetOf({}));
            const next = { ...props, entries: live };
            const { lastApply: _ignored, ...inputs } = next;
            return { id, props: next, inputs: inputs as TableOuts };
        } finally {
            await t.close();
        }
    },
};

async function apply(owned: Record<string, string>, desired: TableProps): Promise<TableOuts> {
    const logic = require(LOGIC_MODULE) as typeof import("./ipvs-table-logic");
    const { openSsh } = require(SSH_MODULE) as typeof import("./ssh-transport");
    const t = await openSsh(desired.connection);
    try {
        const report = await logic.applyTable(t, owned, desired);
        return { ...desired, entries: report.live, lastApply: { commands: report.commands, warnings: report.warnings, drained: report.drained } };
    } finally {
        await t.close();
    }
}

export interface IpvsTableArgs {
    connection: pulumi.Input<SshTarget>;
    entries: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** "ipvsadm" (default): this resource writes the table. "keepalived": keepalived writes it; this one shows and verifies. */
    manager?: pulumi.Input<TableManager>;
    drain?: pulumi.Input<DrainSettings>;
    rulesFile: pulumi.Input<string>;
    /** The director's own addresses (see TableState.localAddresses). */
    localAddresses?: pulumi.Input<string[]>;
}

/** One director's ipvs table, owned by this stack entry by entry. */
export class IpvsTable extends pulumi.dynamic.Resource {
    declare readonly entries: pulumi.Output<Record<string, string>>;
    declare readonly lastApply: pulumi.Output<TableOuts["lastApply"]>;

    constructor(name: string, args: IpvsTableArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            connection: pulumi.secret(args.connection),
            entries: args.entries,
            manager: args.manager ?? "ipvsadm",
            drain: args.drain ?? { timeoutSeconds: 60, pollSeconds: 2 },
            rulesFile: args.rulesFile,
            localAddresses: args.localAddresses ?? [],
            lastApply: undefined,
        };
        super(provider, name, props, { ...opts, additionalSecretOutputs: ["connection"] }, "lvs", "IpvsTable");
    }
}
