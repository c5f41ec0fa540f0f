/**
 * A real ssh2 server on loopback for the transport tests: it lets in any user with any key, and
 * keeps count of what a host's sshd would see (connections, who logged in, exec channels open
 * at once), so tests can tell how many sessions the client really opened. It forwards to
 * loopback ports too, so one can stand as the bastion in front of another.
 */
import * as net from "net";
import { Server, utils, type Connection, type ServerChannel } from "ssh2";

/** Answers one exec request; one that never ends its channel stands for a command still running. */
export type ExecHandler = (command: string, channel: ServerChannel) => void;

export interface TestSshd {
    port: number;
    /** One per connection that authenticated, in order: the user and the public key (base64) it used. */
    logins: Array<{ user: string; key: string }>;
    /** Commands in the order their exec requests arrived. */
    commands: string[];
    /** The most exec channels that were open at once on one connection. */
    maxOpenChannels(): number;
    /** Connections open now. */
    openConnections(): number;
    /** Resolves when the next connection closes. */
    nextClose(): Promise<void>;
    /** Ends every connection from the server's side, as sshd does when it drops a session. */
    dropAll(): void;
    close(): Promise<void>;
}

/** Ends a command after `delayMs`: `stdout`, then exit 0. */
export function answerAfter(channel: ServerChannel, stdout: string, delayMs: number): void {
    setTimeout(() => {
        channel.write(stdout);
        channel.exit(0);
        channel.end();
    }, delayMs);
}

export async function startSshd(onExec: ExecHandler): Promise<TestSshd> {
    const connections = new Set<Connection>();
    const logins: TestSshd["logins"] = [];
    const commands: string[] = [];
    let maxOpen = 0;
    let closeWaiters: Array<() => void> = [];
    const server = new Server({ hostKeys: [utils.generateKeyPairSync("ed25519").private] }, (conn) => {
        connections.add(conn);
        let login = { user: "", key: "" };
        let open = 0;
        // Only a key gets in (ssh2 tries "none" first), so each login says which key it used.
        conn.on("authentication", (ctx) => {
            if (ctx.method !== "publickey") return ctx.reject(["publickey"]);
            login = { user: ctx.username, key: ctx.key.data.toString("base64") };
            ctx.accept();
        });
        conn.on("ready", () => {
            logins.push(login);
            // As a bastion: a forward to a loopback port, the way `ssh -J` reaches the host behind.
            conn.on("tcpip", (accept, _reject, info) => {
                const channel = accept();
                const onward = net.connect(info.destPort, info.destIP);
                channel.pipe(onward).pipe(channel);
                onward.on("error", () => channel.close());
                channel.on("close", () => onward.destroy());
            });
            conn.on("session", (accept) =>
                accept().on("exec", (acceptExec, _reject, info) => {
                    const channel = acceptExec();
                    commands.push(info.command);
                    maxOpen = Math.max(maxOpen, ++open);
                    // Read stdin to its end: ssh2 emits the channel's close only after that.
                    channel.resume();
                    channel.on("close", () => open--);
                    onExec(info.command, channel);
                }),
            );
        });
        conn.on("close", () => {
            connections.delete(conn);
            closeWaiters.splice(0).forEach((r) => r());
        });
        conn.on("error", () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return {
        port: (server.address() as net.AddressInfo).port,
        logins,
        commands,
        maxOpenChannels: () => maxOpen,
        openConnections: () => connections.size,
        nextClose: () => new Promise<void>((r) => closeWaiters.push(r)),
        dropAll: () => connections.forEach((c) => c.end()),
        close: async () => {
            connections.forEach((c) => c.end());
            closeWaiters = [];
            await new Promise<void>((r) => server.close(() => r()));
        },
    };
}
