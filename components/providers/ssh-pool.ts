/**
 * One SSH connection per host for the whole provider process, instead of one per host step and
 * per table operation (issue 12): a director's `up` opened about five, plus one per drift probe.
 *
 * Why sharing is safe: the engine serves every IpvsTable and RemoteStep of a run from one
 * provider process, started for that run and killed at its end, so a pooled connection never
 * outlives the run or serves another stack (one nobody holds ends sooner, after the idle
 * period). Connections are keyed by everything that decides who we are and whom we reach
 * (host, port, user, pinned host key, bastion, a sha256 of the private key), so a command never
 * runs as another user, with another key or against a host verified under another pin. Every
 * command still gets an exec channel of its own: commands share no shell state.
 *
 * A transport from `open` stays on the connection it started on: if that connection drops, its
 * commands fail naming the host, as an unpooled session's would, and the next `open` connects
 * again. So an operation never carries on, unseen, in another session.
 *
 * Not covered: the `pulumi-command` step runner (@pulumi/command's remote.Command) opens its
 * own connections from its own plugin process.
 */
import { createHash } from "crypto";
import { connectSsh, retryConnect, type SshConnection } from "./ssh-transport";
import type { HostTransport, OpenHost, SshTarget } from "./transport";

export interface SshPoolOptions {
    /** How long a connection nobody holds stays open for the next user. Default 5000 ms. */
    idleMs?: number;
    /** Exec channels open at once on one connection, the rest wait in turn: sshd's MaxSessions defaults to 10. Default 8. */
    maxChannels?: number;
}

export interface SshPool {
    /** A transport on the pooled connection of `target`; its `close` hands the connection back. */
    open: OpenHost;
    /** The keys of the connections held or being made, for tests and debugging: no private key, only its sha256. */
    keys(): string[];
    /** Ends every connection now. */
    endAll(): void;
}

type Hop = Pick<SshTarget, "host" | "port" | "user" | "hostKey" | "insecureSkipHostKeyCheck"> & { bastion?: Hop };

function hopIdentity(hop: Hop): unknown {
    return { user: hop.user, host: hop.host, port: hop.port, hostKey: hop.hostKey ?? null, insecure: hop.insecureSkipHostKeyCheck === true, via: hop.bastion ? hopIdentity(hop.bastion) : null };
}

/**
 * What a connection is shared by. The name (for messages) and the connect timeout (which sets
 * the keepalive) count too, so a shared connection behaves and reports as its own would.
 */
export function poolKey(target: SshTarget): string {
    const privateKeySha256 = createHash("sha256").update(target.privateKey).digest("hex");
    return JSON.stringify({ ...(hopIdentity(target) as object), name: target.name ?? null, connectTimeoutSeconds: target.connectTimeoutSeconds ?? null, privateKeySha256 });
}

/** Runs at most `size` functions at once; the rest start in the order they came. */
function fifoSlots(size: number): <T>(fn: () => Promise<T>) => Promise<T> {
    let free = size;
    const waiting: Array<() => void> = [];
    return async (fn) => {
        if (free > 0) free--;
        else await new Promise<void>((r) => waiting.push(r));
        try {
            return await fn();
        } finally {
            // Handing the slot straight to the next in line keeps the order: nobody overtakes.
            const next = waiting.shift();
            if (next) next();
            else free++;
        }
    };
}

interface Entry {
    key: string;
    ready: Promise<SshConnection>;
    holders: number;
    idle?: NodeJS.Timeout;
    inSlot: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** A pool of SSH connections, for one process. */
export function sshPool(options: SshPoolOptions = {}): SshPool {
    const idleMs = options.idleMs ?? 5000;
    const maxChannels = options.maxChannels ?? 8;
    const entries = new Map<string, Entry>();

    const evict = (entry: Entry) => {
        clearTimeout(entry.idle);
        if (entries.get(entry.key) === entry) entries.delete(entry.key);
    };

    /** The live or pending connection for `target`, or a new attempt that later callers share. */
    function entryFor(target: SshTarget): Entry {
        const key = poolKey(target);
        const found = entries.get(key);
        if (found) return found;
        const entry: Entry = { key, holders: 0, inSlot: fifoSlots(maxChannels), ready: connectSsh(target) };
        entry.ready.then(
            (connection) => connection.onEnd(() => evict(entry)),
            () => evict(entry),
        );
        entries.set(key, entry);
        return entry;
    }

    function release(entry: Entry, connection: SshConnection) {
        // A connection that dropped is already out of the pool: nothing to keep open.
        if (--entry.holders > 0 || entries.get(entry.key) !== entry) return;
        // unref'd, so the timer never holds the process by itself; the open socket does, but
        // only until the timer ends it. (The engine kills the provider process at the end anyway.)
        entry.idle = setTimeout(() => {
            evict(entry);
            connection.end();
        }, idleMs);
        entry.idle.unref();
    }

    function lease(entry: Entry, connection: SshConnection): HostTransport {
        let closed = false;
        return {
            run: (command, stdin) => entry.inSlot(() => connection.run(command, stdin)),
            close: async () => {
                if (closed) return;
                closed = true;
                release(entry, connection);
            },
        };
    }

    return {
        open: (target, opts = {}) =>
            retryConnect(opts, async () => {
                const entry = entryFor(target);
                entry.holders++;
                clearTimeout(entry.idle);
                try {
                    return lease(entry, await entry.ready);
                } catch (e) {
                    entry.holders--;
                    throw e;
                }
            }),
        keys: () => [...entries.keys()],
        endAll: () => {
            for (const entry of entries.values()) {
                evict(entry);
                entry.ready.then((c) => c.end(), () => undefined);
            }
        },
    };
}
