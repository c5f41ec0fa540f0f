/**
 * HostTransport over ssh2, with the host key checked against the pinned one before any
 * command is sent. ssh2 is required lazily: this module is loaded inside dynamic-provider
 * methods, which the engine runs in its own process.
 */
import type { Client, ClientChannel, ConnectConfig } from "ssh2";
import type { HostTransport, RunResult, SshTarget } from "./transport";
import { shellQuote } from "../core/shell-quote";

type Hop = Omit<SshTarget, "bastion" | "privateKey">;

function hostVerifier(hop: Hop): ConnectConfig["hostVerifier"] {
    if (hop.insecureSkipHostKeyCheck) return undefined;
    if (!hop.hostKey) throw new Error(`ssh ${hop.host}: no pinned host key; refusing to connect (set hostKey, or insecureSkipHostKeyCheck for a throwaway lab)`);
    const pinned = Buffer.from(hop.hostKey.trim().split(/\s+/)[1] ?? "", "base64");
    return (key: Buffer) => key.equals(pinned);
}

function connect(hop: Hop, privateKey: string, sock?: ClientChannel): Promise<Client> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client: SshClient } = require("ssh2") as typeof import("ssh2");
    const client = new SshClient();
    return new Promise((resolve, reject) => {
        client.once("ready", () => resolve(client));
        client.once("error", (err: Error) => {
            const why = /verification failed/i.test(err.message) ? "host key does not match the pinned hostKey" : err.message;
            reject(new Error(`ssh ${hop.user}@${hop.host}:${hop.port}: ${why}`));
        });
        client.connect({
            host: hop.host,
            port: hop.port,
            username: hop.user,
            privateKey,
            hostVerifier: hostVerifier(hop),
            readyTimeout: 30_000,
            keepaliveInterval: 10_000,
            ...(sock ? { sock } : {}),
        });
    });
}

function forward(via: Client, host: string, port: number): Promise<ClientChannel> {
    return new Promise((resolve, reject) => via.forwardOut("127.0.0.1", 0, host, port, (err, stream) => (err ? reject(err) : resolve(stream))));
}

function exec(client: Client, command: string, stdin?: string): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        client.exec(command, (err, stream) => {
            if (err) return reject(err);
            let stdout = "";
            let stderr = "";
            stream.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
            stream.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
            stream.on("close", (code: number | null) => resolve({ code: code ?? 255, stdout, stderr }));
            stream.end(stdin ?? "");
        });
    });
}

/** Errors worth another try: the host or sshd was busy or restarting. Never a key mismatch. */
function transient(err: Error): boolean {
    return !/host key/i.test(err.message) && /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|Connection lost before handshake|Timed out while waiting for handshake/i.test(err.message);
}

/** Opens an SSH session, retrying transient failures (about 20 s in all) before giving up. */
export async function openSsh(target: SshTarget): Promise<HostTransport> {
    const delays = [1000, 2000, 4000, 6000, 8000];
    for (let attempt = 0; ; attempt++) {
        try {
            return await openSshOnce(target);
        } catch (e) {
            if (attempt >= delays.length || !transient(e as Error)) throw e;
            await new Promise((r) => setTimeout(r, delays[attempt]));
        }
    }
}

/** Opens an SSH session (through the bastion when set). Non-root users run commands via sudo -n. */
async function openSshOnce(target: SshTarget): Promise<HostTransport> {
    const clients: Client[] = [];
    let sock: ClientChannel | undefined;
    if (target.bastion) {
        const jump = await connect(target.bastion, target.privateKey);
        clients.push(jump);
        sock = await forward(jump, target.host, target.port);
    }
    const client = await connect(target, target.privateKey, sock);
    clients.push(client);
    const wrap = (cmd: string) => (target.user === "root" ? cmd : `sudo -n sh -c ${shellQuote(cmd)}`);
    return {
        run: (command, stdin) => exec(client, wrap(command), stdin),
        close: async () => clients.reverse().forEach((c) => c.end()),
    };
}
