/**
 * bench:lab's client load generator counts what it sees: against loopback servers started
 * here (one that answers and echoes, one that resets, one that stops echoing, one that never
 * answers, a closed port). No lab host; nothing leaves 127.0.0.1.
 */
import { afterAll, describe, expect, it } from "vitest";
import * as http from "http";
import * as net from "net";
import { startLoad, type LoadConfig, type LoadSummary } from "../../bench/load/loadgen";

const HOST = "127.0.0.1";
const servers: net.Server[] = [];
afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: net.Server): Promise<number> {
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, HOST, r));
    return (server.address() as net.AddressInfo).port;
}

/** Greets with its name, echoes the first `echoes` lines (all by default), then goes silent. */
function echoServer(name: string, echoes = Infinity): net.Server {
    return net.createServer((s) => {
        let seen = 0;
        s.write(`${name}\n`);
        s.setEncoding("utf8");
        s.on("data", (d: string) => {
            for (const line of d.split("\n").filter((l) => l !== "")) if (seen++ < echoes) s.write(`${line}\n`);
        });
        s.on("error", () => undefined);
    });
}

/** Resets every connection as soon as the client sends something. */
const resetServer = () =>
    net.createServer((s) => {
        s.once("data", () => s.resetAndDestroy());
        s.on("error", () => undefined);
    });

const answering = () => http.createServer((_req, res) => res.end("rs-a\n"));
const silentHttp = () => http.createServer(() => undefined);

async function closedPort(): Promise<number> {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, HOST, r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    return port;
}

function config(shortPort: number, longPort: number): LoadConfig {
    return {
        short: { host: HOST, port: shortPort, ratePerSecond: 20, timeoutMs: 500 },
        long: { host: HOST, port: longPort, connections: 2, lifetimeMs: 600, lineEveryMs: 50, echoTimeoutMs: 300, connectTimeoutMs: 500 },
    };
}

async function run(c: LoadConfig, ms = 1_000): Promise<LoadSummary> {
    const load = startLoad(c, "warm-up");
    await new Promise((r) => setTimeout(r, ms / 2));
    load.mark("change");
    await new Promise((r) => setTimeout(r, ms / 2));
    return load.stop();
}

describe("load generator accounting (loopback)", () => {
    it("counts answered requests and completed connections, per window and in total, and who answered", async () => {
        const s = await run(config(await listen(answering()), await listen(echoServer("rs-a"))));
        const { short, long } = s.total;
        expect(s.windows.map((w) => w.label)).toEqual(["warm-up", "change"]);
        expect(short.sent).toBeGreaterThanOrEqual(18);
        expect(short).toMatchObject({ ok: short.sent, slow: 0, failed: 0, reasons: {}, servers: { "rs-a": short.sent } });
        expect(s.shortRate).toBeGreaterThan(15);
        expect(s.shortRate).toBeLessThan(25);
        // Two slots over a second plus the last lifetime after stop: each lived its 600 ms.
        expect(long.opened).toBeGreaterThanOrEqual(2);
        expect(long).toMatchObject({ completed: long.opened, reset: 0, stalled: 0, failedOpen: 0, servers: { "rs-a": long.opened } });
        expect(s.windows.reduce((n, w) => n + w.short.sent, 0)).toBe(short.sent);
        expect(s.windows.reduce((n, w) => n + w.long.opened, 0)).toBe(long.opened);
    });

    it("counts resets of requests and of open connections", async () => {
        const s = await run(config(await listen(resetServer()), await listen(resetServer())));
        const { short, long } = s.total;
        expect(short.sent).toBeGreaterThanOrEqual(18);
        expect(short).toMatchObject({ ok: 0, failed: short.sent, reasons: { reset: short.sent } });
        expect(long.opened).toBeGreaterThanOrEqual(2);
        expect(long).toMatchObject({ completed: 0, reset: long.opened, stalled: 0, failedOpen: 0, reasons: { reset: long.opened } });
    });

    it("counts a connection whose echoes stop as stalled, and one that never answers as a timeout", async () => {
        const s = await run(config(await listen(silentHttp()), await listen(echoServer("rs-mute", 2))));
        const { short, long } = s.total;
        expect(short).toMatchObject({ ok: 0, failed: short.sent, reasons: { timeout: short.sent } });
        expect(long.opened).toBeGreaterThanOrEqual(2);
        expect(long).toMatchObject({ completed: 0, reset: 0, stalled: long.opened, reasons: { "no-echo": long.opened }, servers: { "rs-mute": long.opened } });
    });

    it("counts an answer that took a second or more as slow, not failed", async () => {
        const late = http.createServer((_req, res) => setTimeout(() => res.end("rs-late\n"), 1_100));
        const c = config(await listen(late), await listen(echoServer("rs-a")));
        const s = await run({ ...c, short: { ...c.short, ratePerSecond: 5, timeoutMs: 2_000 } }, 400);
        expect(s.total.short.sent).toBeGreaterThanOrEqual(1);
        expect(s.total.short).toMatchObject({ ok: s.total.short.sent, slow: s.total.short.sent, failed: 0 });
    });

    it("reports how long the generator itself was held up (a starved client)", async () => {
        const load = startLoad(config(await listen(answering()), await listen(echoServer("rs-a"))));
        await new Promise((r) => setTimeout(r, 200));
        const until = Date.now() + 400;
        while (Date.now() < until); // the event loop held, as CPU starvation would
        await new Promise((r) => setTimeout(r, 200));
        const s = await load.stop();
        expect(s.total.maxLagMs).toBeGreaterThanOrEqual(300);
        expect(s.total.short.failed).toBe(0);
    });

    it("counts refused requests and failed opens on a closed port", async () => {
        const port = await closedPort();
        const s = await run(config(port, port));
        const { short, long } = s.total;
        expect(short).toMatchObject({ ok: 0, failed: short.sent, reasons: { refused: short.sent } });
        expect(long.opened).toBe(0);
        expect(long.failedOpen).toBeGreaterThanOrEqual(2);
        expect(long.reasons).toEqual({ refused: long.failedOpen });
    });
});
