/**
 * HostTransport over ssh2, with the host key checked against the pinned one before any
 * command is sent. Every attempt is bounded by the target's connect timeout, and every
 * failure names the host and says why it could not be reached.
 */
import type { Client, ClientChannel, ConnectConfig } from "ssh2";
import { DEFAULT_CONNECT_TIMEOUT_SECONDS, describeTarget, type HostTransport, type OpenOptions, type RunResult, type SshTarget } from "./transport";
import { shellQuote } from "../base/shell-quote";

type Hop = Omit<SshTarget, "bastion" | "privateKey" | "name" | "connectTimeoutSeconds">;

function hostVerifier(hop: Hop): ConnectConfig["hostVerifier"] {
    if (hop.insecureSkipHostKeyCheck) return undefined;
    if (!hop.hostKey) throw new Error(`ssh ${hop.host}: no pinned host key; refusing to connect (set hostKey, or insecureSkipHostKeyCheck for a throwaway lab)`);
    const pinned = Buffer.from(hop.hostKey.trim().split(/\s+/)[1] ?? "", "base64");
    return (key: Buffer) => key.equals(pinned);
}

/** Why an established session ended (keepalive timeout, reset), kept for the command it cut short. */
const sessionErrors = new WeakMap<Client, Error>();

function connect(hop: Hop, label: string, privateKey: string, timeoutMs: number, sock?: ClientChannel): Promise<Client> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client: SshClient } = require("ssh2") as typeof import("ssh2");
    const client = new SshClient();
    return new Promise((resolve, reject) => {
        let settled = false;
        client.once("ready", () => {
            settled = true;
            resolve(client);
        });
        // Always listening: ssh2 can report a second error (the socket closing after a timeout,
        // a reset mid-session), and an error event with no listener would kill the process.
        client.on("error", (err: Error) => {
            if (settled) return void sessionErrors.set(client, err);
            settled = true;
            client.end();
            reject(new Error(`ssh ${label}: ${explain(err, timeoutMs)}`));
        });
        try {
            client.connect({
                host: hop.host,
                port: hop.port,
                username: hop.user,
                privateKey,
                hostVerifier: hostVerifier(hop),
                // Covers TCP connect, handshake and authentication: a silent host fails in this time.
                readyTimeout: timeoutMs,
                // A link that goes silent mid-command (cut, host frozen) ends the session after
                // three unanswered keepalives instead of leaving the command waiting for ever.
                keepaliveInterval: Math.min(timeoutMs, 10_000),
                keepaliveCountMax: 3,
                ...(sock ? { sock } : {}),
            });
        } catch (e) {
            // A key ssh2 cannot parse, say: thrown before any connection, and still about this host.
            reject(new Error(`ssh ${label}: ${(e as Error).message}`));
        }
    });
}

const CLOSED_BEFORE_HANDSHAKE = "the connection closed before the SSH handshake";

function explain(err: Error, timeoutMs: number): string {
    if (/verification failed/i.test(err.message)) return "host key does not match the pinned hostKey";
    if (/Timed out while waiting for handshake/i.test(err.message)) return `unreachable: no SSH handshake within ${timeoutMs / 1000} s`;
    if (/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/i.test(err.message)) return `unreachable: ${err.message}`;
    // The TCP connection was accepted and then closed with no SSH greeting: sshd dropped it
    // (restarting, MaxStartups), or a forward or proxy on the way could not reach the host.
    if (/Connection lost before handshake/i.test(err.message)) return `unreachable: ${CLOSED_BEFORE_HANDSHAKE}`;
    return err.message;
}

function forward(via: Client, host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => via.forwardOut("127.0.0.1", 0, host, port, (err, stream) => (err ? reject(err) : resolve(stream))));
}

function exec(client: Client, label: string, command: string, stdin?: string): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const started = (err: Error | undefined, stream: ClientChannel) => {
            if (err) {
                const lost = sessionErrors.get(client);
                return reject(new Error(`ssh ${label}: ${lost ? `connection lost as a command started (${lost.message}); the host may have applied part of it` : err.message}`));
            }
            let stdout = "";
            let stderr = "";
            let exit: number | undefined;
            stream.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
            stream.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
            stream.on("exit", (code: number | null) => (exit = code ?? 255));
            stream.on("close", () => {
                if (exit !== undefined) return resolve({ code: exit, stdout, stderr });
                // No exit status: the session ended under the command, which may have run in part.
                const why = sessionErrors.get(client)?.message ?? "the connection closed";
                reject(new Error(`ssh ${label}: connection lost while a command ran (${why}); the host may have applied part of it`));
            });
            stream.end(stdin ?? "");
        };
        try {
            client.exec(command, started);
        } catch (e) {
            // ssh2 throws ("Not connected") when the session has already ended: nothing was sent.
            const why = sessionErrors.get(client)?.message ?? (e as Error).message;
            reject(new Error(`ssh ${label}: connection lost before a command started (${why}); it did not run`));
        }
    });
}

/**
 * Errors worth another try while applying: sshd refusing or dropping the connection (it is
 * restarting, or the host is booting) gets several; a silent host gets one more, so `up`
 * against a dead host fails in about two connect timeouts. Never a key mismatch.
 */
function retriesFor(err: Error): number {
    if (/host key/i.test(err.message)) return 0;
    if (/ECONNREFUSED|ECONNRESET/i.test(err.message) || err.message.includes(CLOSED_BEFORE_HANDSHAKE)) return 5;
    if (/unreachable/i.test(err.message)) return 1;
    return 0;
}

/**
 * Runs `attempt` until it connects: an apply retries what `retriesFor` allows, with growing
 * pauses; a probe (`opts.probe`) tries once.
 */
export async function retryConnect<T>(opts: OpenOptions, attempt: () => Promise<T>): Promise<T> {
    const delays = [1000, 2000, 4000, 6000, 8000];
    for (let n = 0; ; n++) {
        try {
            return await attempt();
        } catch (e) {
            if (opts.probe || n >= retriesFor(e as Error)) throw e;
            await new Promise((r) => setTimeout(r, delays[n]));
        }
    }
}

/** Opens an SSH session of its own, ended by `close`; messages name the host and say why it could not be reached. */
export async function openSsh(target: SshTarget, opts: OpenOptions = {}): Promise<HostTransport> {
    const connection = await retryConnect(opts, () => connectSsh(target));
    return { run: (command, stdin) => connection.run(command, stdin), close: async () => connection.end() };
}

/** One authenticated SSH connection: what openSsh and the connection pool build on. */
export interface SshConnection {
    /** Runs a command in an exec channel of its own (via sudo -n for non-root users). */
    run(command: string, stdin?: string): Promise<RunResult>;
    /** Calls `fn` once when the connection ends, by us or by the other side (at once if it already has). */
    onEnd(fn: () => void): void;
    end(): void;
}

/** One attempt to connect (through the bastion when set). Non-root users run commands via sudo -n. */
export async function connectSsh(target: SshTarget): Promise<SshConnection> {
    const timeoutMs = (target.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS) * 1000;
    const clients: Client[] = [];
    let sock: ClientChannel | undefined;
    try {
        if (target.bastion) {
            const jump = await connect(target.bastion, `${describeTarget(target)} via bastion ${describeTarget(target.bastion)}`, target.privateKey, timeoutMs);
            clients.push(jump);
            sock = await forward(jump, target.host, target.port);
        }
        clients.push(await connect(target, describeTarget(target), target.privateKey, timeoutMs, sock));
    } catch (e) {
        clients.forEach((c) => c.end());
        throw e;
    }
    const client = clients[clients.length - 1];
    let open = true;
    const onEnd: Array<() => void> = [];
    const end = () => [...clients].reverse().forEach((c) => c.end());
    // Either hop closing ends the connection: a dead bastion leaves the forwarded session nowhere to go.
    for (const c of clients)
        c.once("close", () => {
            if (!open) return;
            open = false;
            end();
            onEnd.splice(0).forEach((fn) => fn());
        });
    const wrap = (cmd: string) => (target.user === "root" ? cmd : `sudo -n sh -c ${shellQuote(cmd)}`);
    return {
        run: (command, stdin) => exec(client, describeTarget(target), wrap(command), stdin),
        onEnd: (fn) => (open ? onEnd.push(fn) : fn()),
        end,
    };
}
