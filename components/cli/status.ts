/**
 * What the stack runs, live: `ipvsadm -L -n --stats --rate` of every director in the stack,
 * each entry marked as the stack owns it (status-report.ts), and for a HaPair each node's VRRP
 * state and VIPs.
 *
 *   npm run status -- --stack NAME [--json] [--watch [SECONDS]]
 *
 * The directors come from the stack's state (`pulumi stack export --show-secrets`: the
 * connection, key included, stays in this process), each entry judged against the stack's
 * desired value, each host read over SSH with its pinned host key in one exec. A host that cannot be read is shown as such, never as empty. `pulumi` must
 * be on PATH with its backend and secrets provider set. Exit code: 0, or 1 when the state
 * cannot be read (with --json or once) or a host could not be read.
 */
import { hostStatus, renderStatus, STATUS_SCRIPT, type HostStatus, type TableInState } from "./status-report";
import { IPVS_TABLE_TYPE } from "./preview-report";
import { runPulumi } from "./pulumi-cli";
import { openSsh } from "../providers/ssh-transport";
import type { HostTransport, SshTarget } from "../providers/transport";
import { recordedEntries, type RecordedOuts } from "../providers/recorded-entries";

const USAGE = "usage: npm run status -- --stack NAME [--json] [--watch [SECONDS]]";

interface Args {
    stack: string;
    json: boolean;
    /** Seconds between readings; undefined reads once. */
    watch?: number;
}

function parseArgs(argv: string[]): Args {
    const args: Partial<Args> & { json: boolean } = { json: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack" || a === "-s") args.stack = argv[++i];
        else if (a === "--json") args.json = true;
        else if (a === "--watch") {
            const next = argv[i + 1];
            args.watch = next !== undefined && /^[0-9]+(\.[0-9]+)?$/.test(next) ? Number(argv[++i]) : 2;
            if (args.watch < 0.5) throw new Error(`--watch ${next}: must be at least 0.5 seconds. Fix: e.g. --watch 2\n${USAGE}`);
        } else throw new Error(`unknown argument ${a}\n${USAGE}`);
    }
    if (!args.stack) throw new Error(`--stack is required\n${USAGE}`);
    return args as Args;
}

/** The engine's marker of a secret in exported state; with --show-secrets the value is beside it. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

function revealed(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(revealed);
    if (typeof v !== "object" || v === null) return v;
    const o = v as Record<string, unknown>;
    if (SECRET_SIG in o) return revealed("plaintext" in o ? JSON.parse(String(o.plaintext)) : o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revealed(x)]));
}

interface Director {
    table: TableInState;
    connection: SshTarget;
}

/** Every IpvsTable in the stack's state, with what its provider last recorded. */
async function directorsInState(stack: string): Promise<Director[]> {
    const r = await runPulumi(["stack", "export", "--show-secrets", "--stack", stack]);
    if (r.code !== 0) throw new Error(`cannot read stack ${stack}'s state (pulumi stack export exited ${r.code}): ${r.stderr.trim().split("\n").slice(-3).join(" ")}`);
    const state = JSON.parse(r.stdout) as { deployment?: { resources?: { type: string; inputs?: unknown; outputs?: unknown }[] } };
    type Recorded = RecordedOuts & { host?: string; connection: SshTarget; manager?: TableInState["manager"]; localAddresses?: string[] };
    return (state.deployment?.resources ?? [])
        .filter((res) => res.type === IPVS_TABLE_TYPE && res.outputs)
        .map((res) => {
            const o = revealed(res.outputs) as Recorded;
            // The desired entries (inputs): a keepalived table's outputs hold only what keepalived had built, without a server its checks had taken out.
            const desired = (revealed(res.inputs ?? {}) as { entries?: Record<string, string> }).entries ?? recordedEntries(o);
            const host = o.host ?? o.connection.name ?? o.connection.host;
            return { table: { host, manager: o.manager ?? "ipvsadm", entries: desired, localAddresses: o.localAddresses }, connection: o.connection };
        })
        .sort((a, b) => a.table.host.localeCompare(b.table.host));
}

/** Sessions kept open between readings of --watch; one that fails is opened again next time. */
const sessions = new Map<string, HostTransport>();

async function readHost(d: Director): Promise<HostStatus> {
    try {
        let t = sessions.get(d.table.host);
        if (!t) {
            t = await openSsh(d.connection, { probe: true });
            sessions.set(d.table.host, t);
        }
        const r = await t.run(STATUS_SCRIPT);
        if (r.code !== 0) throw new Error(`the reading failed (exit ${r.code}): ${r.stderr.trim().split("\n").slice(-3).join(" ")}`);
        return hostStatus(d.table, r.stdout);
    } catch (e) {
        await sessions.get(d.table.host)?.close().catch(() => undefined);
        sessions.delete(d.table.host);
        return { host: d.table.host, manager: d.table.manager, error: (e as Error).message.split("\n")[0], rows: [] };
    }
}

async function once(args: Args, directors: Director[]): Promise<HostStatus[]> {
    const hosts = await Promise.all(directors.map(readHost));
    const at = new Date();
    const text = args.json ? `${JSON.stringify({ stack: args.stack, at: at.toISOString(), hosts }, null, 2)}\n` : renderStatus(args.stack, hosts, at);
    // --watch redraws the screen; --json prints one document per reading.
    process.stdout.write(args.watch !== undefined && !args.json ? `\x1b[2J\x1b[H${text}` : text);
    return hosts;
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    const directors = await directorsInState(args.stack);
    if (directors.length === 0) throw new Error(`stack ${args.stack} has no director in its state. Fix: run \`pulumi up\` for it first.`);
    if (args.watch === undefined) return (await once(args, directors)).some((h) => h.error !== undefined) ? 1 : 0;
    for (;;) {
        await once(args, directors);
        await new Promise((r) => setTimeout(r, args.watch! * 1000));
    }
}

main().then(
    async (code) => {
        await Promise.all([...sessions.values()].map((t) => t.close().catch(() => undefined)));
        process.exit(code);
    },
    (e: Error) => {
        process.stderr.write(`status: ${e.message}\n`);
        process.exit(1);
    },
);
