/**
 * Connect failures are bounded and name the host, on loopback only: a listener that accepts
 * and never speaks stands for a host whose link is cut behind a forward (the lab's case), a
 * closed port for a host whose sshd is down.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as net from "net";
import { openSsh } from "../../components/providers/ssh-transport";
import type { SshTarget } from "../../components/providers/transport";
import { utils } from "ssh2";
import { startSshd, type TestSshd } from "../support/ssh-server";

let silent: net.Server;
let silentPort = 0;
let closedPort = 0;
/** Accepts and hangs up at once: a forward whose host cannot be reached, or sshd dropping the connection. */
let hangup: net.Server;
let hangupPort = 0;
const sockets: net.Socket[] = [];

beforeAll(async () => {
    silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    silentPort = (silent.address() as net.AddressInfo).port;
    hangup = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => hangup.listen(0, "127.0.0.1", r));
    hangupPort = (hangup.address() as net.AddressInfo).port;
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
});
afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((r) => silent.close(() => r()));
    await new Promise<void>((r) => hangup.close(() => r()));
});

const KEY = utils.generateKeyPairSync("ed25519").private;
const target = (port: number, connectTimeoutSeconds: number): SshTarget => ({ name: "director1", host: "127.0.0.1", port, user: "root", privateKey: KEY, insecureSkipHostKeyCheck: true, connectTimeoutSeconds });

async function failure(t: SshTarget, probe: boolean): Promise<{ message: string; seconds: number }> {
    const started = Date.now();
    try {
        await openSsh(t, { probe });
    } catch (e) {
        return { message: (e as Error).message, seconds: (Date.now() - started) / 1000 };
    }
    throw new Error("connected, but nothing listens as sshd there");
}

describe("SSH connect failures", () => {
    it("a silent host fails a probe after one connect timeout, naming the host", async () => {
        const f = await failure(target(silentPort, 1), true);
        expect(f.message).toBe(`ssh director1 (root@127.0.0.1:${silentPort}): unreachable: no SSH handshake within 1 s`);
        expect(f.seconds).toBeGreaterThanOrEqual(0.9);
        expect(f.seconds).toBeLessThan(3);
    });

    it("a silent host fails an apply after one retry, not after minutes", async () => {
        const f = await failure(target(silentPort, 1), false);
        expect(f.message).toContain("director1");
        // two timeouts and the one-second pause between them
        expect(f.seconds).toBeGreaterThanOrEqual(2.9);
        expect(f.seconds).toBeLessThan(6);
    });

    it("a key ssh2 cannot read fails naming the host", async () => {
        const f = await failure({ ...target(closedPort, 5), privateKey: "not a key" }, false);
        expect(f.message).toBe(`ssh director1 (root@127.0.0.1:${closedPort}): Cannot parse privateKey: Unsupported key format`);
    });

    it("a connection closed before any SSH greeting is unreachable too, and a probe says so at once", async () => {
        const f = await failure(target(hangupPort, 5), true);
        expect(f.message).toBe(`ssh director1 (root@127.0.0.1:${hangupPort}): unreachable: the connection closed before the SSH handshake`);
        expect(f.seconds).toBeLessThan(1);
    });

    it("a refused connection fails a probe at once, saying so", async () => {
        const f = await failure(target(closedPort, 5), true);
        expect(f.message).toMatch(new RegExp(`^ssh director1 \\(root@127\\.0\\.0\\.1:${closedPort}\\): unreachable: .*ECONNREFUSED`));
        expect(f.seconds).toBeLessThan(1);
    });
});

/**
 * A real ssh2 server on loopback behind a relay that can go silent, as a cut link does: bytes
 * stop in both directions and neither side sees the connection close.
 */
describe("a session that dies under a running command", () => {
    let sshd: TestSshd;
    let relay: net.Server;
    let relayPort = 0;
    const cuts: Array<() => void> = [];
    const resets: Array<() => void> = [];

    beforeAll(async () => {
        sshd = await startSshd(() => undefined); // a command that never ends
        const sshdPort = sshd.port;
        relay = net.createServer((inbound) => {
            const outbound = net.connect(sshdPort, "127.0.0.1");
            inbound.pipe(outbound).pipe(inbound);
            inbound.on("error", () => undefined);
            outbound.on("error", () => undefined);
            cuts.push(() => {
                inbound.unpipe(outbound);
                outbound.unpipe(inbound);
                inbound.pause();
                outbound.pause();
            });
            resets.push(() => {
                inbound.destroy();
                outbound.destroy();
            });
        });
        await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
        relayPort = (relay.address() as net.AddressInfo).port;
    });
    afterAll(async () => {
        resets.forEach((reset) => reset());
        await new Promise<void>((r) => relay.close(() => r()));
        await sshd.close();
    });

    async function runThen(fault: () => void): Promise<{ message: string; seconds: number }> {
        const t = await openSsh(target(relayPort, 1));
        const started = Date.now();
        const running = t.run("sh -s", "sleep 600\n");
        fault();
        try {
            await running;
        } catch (e) {
            return { message: (e as Error).message, seconds: (Date.now() - started) / 1000 };
        } finally {
            await t.close();
        }
        throw new Error("the command finished, but the session was cut");
    }

    it("a silent link fails the command after three missed keepalives, naming the host", async () => {
        const f = await runThen(() => setTimeout(() => cuts[cuts.length - 1](), 300));
        expect(f.message).toMatch(new RegExp(`^ssh director1 \\(root@127\\.0\\.0\\.1:${relayPort}\\): connection lost while a command ran \\(.*eepalive.*\\); the host may have applied part of it$`));
        expect(f.seconds).toBeGreaterThanOrEqual(2.5);
        expect(f.seconds).toBeLessThan(8);
    });

    it("a reset connection fails the command at once, never as a silent exit status", async () => {
        const f = await runThen(() => setTimeout(() => resets[resets.length - 1](), 200));
        expect(f.message).toMatch(new RegExp(`^ssh director1 \\(root@127\\.0\\.0\\.1:${relayPort}\\): connection lost while a command ran`));
        expect(f.seconds).toBeLessThan(2);
    });
});
