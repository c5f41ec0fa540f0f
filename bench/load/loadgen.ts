/**
 * The client load of bench:lab's load part (issue 12, part 3): short HTTP GETs at a steady
 * rate plus a few long-lived TCP connections that send a line at a steady pace and expect its
 * echo. It counts what failed and how, per window ("mark <label>" starts one), and which real
 * server answered (an HTTP body, or the first line an echo connection receives, is the server's
 * hostname).
 *
 * Run by the bench inside the lab's namespace as its own process:
 *   node loadgen.js '<LoadConfig as JSON>'
 * prints "ready", then takes lines on stdin: "mark <label>" and "stop". On "stop" (or stdin
 * closed, or config.maxSeconds) it opens nothing new, lets what is open finish (requests up to
 * their timeout, long connections to the end of their lifetime), prints the LoadSummary as one
 * JSON line and exits. Tests call startLoad() in-process against loopback servers.
 */
import * as http from "http";
import * as net from "net";
import * as readline from "readline";

export interface LoadConfig {
    short: {
        host: string;
        port: number;
        /** Requests started per second (a new connection each), kept on schedule whatever the latency. */
        ratePerSecond: number;
        /** A request not answered (whole body) within this is a failure, "timeout". */
        timeoutMs: number;
    };
    long: {
        host: string;
        port: number;
        /** Connections open at a time, started staggered across one lifetime. 0: none. */
        connections: number;
        /** How long each one lives before the client closes it (and opens the next). */
        lifetimeMs: number;
        /** A line sent this often... */
        lineEveryMs: number;
        /** ...whose echo must come back within this, else the connection is "stalled". */
        echoTimeoutMs: number;
        /** Opening longer than this is a failed open, "timeout". */
        connectTimeoutMs: number;
        /** Between the first opens of consecutive connections. Default lifetimeMs / connections. */
        staggerMs?: number;
    };
    /** The generator stops by itself after this long, whatever its parent does. Default 900. */
    maxSeconds?: number;
    /** The first window's label. Default "start". */
    firstLabel?: string;
}

export interface ShortCounts {
    sent: number;
    ok: number;
    /** Answered, but after a second or more: the sign of a SYN or segment lost and sent again. */
    slow: number;
    failed: number;
    /** Failures by reason: refused, reset, timeout, status-<code>, or the socket error's code. */
    reasons: Record<string, number>;
    /** Answers by the server that gave them (the body's first line). */
    servers: Record<string, number>;
}

export interface LongCounts {
    /** Connections established (the failed opens are apart). */
    opened: number;
    /** Lived their lifetime with every line echoed, then closed by the client. */
    completed: number;
    /** Ended by an error or by the other side once open: a reset, EPIPE, or an early end ("eof"). */
    reset: number;
    /** A line's echo did not come back within echoTimeoutMs. */
    stalled: number;
    /** Refused, reset or timed out before being established. */
    failedOpen: number;
    reasons: Record<string, number>;
    /** Opened connections by the server that greeted them. */
    servers: Record<string, number>;
}

/** What started within one window; outcomes count for the window in which the request or connection started. */
export interface LoadWindow {
    label: string;
    seconds: number;
    /**
     * The generator's own worst event-loop delay in the window: a client starved of CPU this
     * long may see its own timeouts late; verdicts wait for pending input (see `verdict`).
     */
    maxLagMs: number;
    short: ShortCounts;
    long: LongCounts;
}

export interface LoadSummary {
    windows: LoadWindow[];
    total: LoadWindow;
    /** Short requests started per second over the time the load ran. */
    shortRate: number;
}

export interface LoadRun {
    mark(label: string): void;
    /** Stops opening, waits for what is open to end, and counts. */
    stop(): Promise<LoadSummary>;
}

const emptyShort = (): ShortCounts => ({ sent: 0, ok: 0, slow: 0, failed: 0, reasons: {}, servers: {} });
/** TCP's first retransmission comes after a second (the initial RTO): an answer this late lost a packet. */
const SLOW_MS = 1_000;
const emptyLong = (): LongCounts => ({ opened: 0, completed: 0, reset: 0, stalled: 0, failedOpen: 0, reasons: {}, servers: {} });
const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

interface Window extends LoadWindow {
    started: number;
}

const reasonOf = (e: NodeJS.ErrnoException): string =>
    e.code === "ECONNREFUSED" ? "refused" : e.code === "ECONNRESET" || e.code === "EPIPE" ? "reset" : e.code === "ETIMEDOUT" ? "timeout" : (e.code ?? e.message);

export function startLoad(config: LoadConfig, firstLabel = "start"): LoadRun {
    const started = Date.now();
    const windows: Window[] = [];
    const mark = (label: string) => {
        const now = Date.now();
        const last = windows[windows.length - 1];
        if (last) last.seconds = (now - last.started) / 1000;
        windows.push({ label, started: now, seconds: 0, maxLagMs: 0, short: emptyShort(), long: emptyLong() });
    };
    mark(firstLabel);
    const current = () => windows[windows.length - 1];
    let stopping = false;
    let stoppedAt = 0;
    const pending = new Set<Promise<void>>();
    const track = (p: Promise<void>) => {
        pending.add(p);
        void p.finally(() => pending.delete(p));
    };

    // Short requests: on a clock, so a slow answer never lowers the rate.
    let sent = 0;
    const clock = setInterval(() => {
        const due = Math.floor(((Date.now() - started) * config.short.ratePerSecond) / 1000);
        while (!stopping && sent < due) {
            sent++;
            track(shortRequest(config.short, current().short));
        }
    }, 5);

    // Long connections: slot i first opens i staggers after the start, then reopens as each ends.
    const slot = async (delayMs: number) => {
        await sleep(delayMs);
        while (!stopping) await longConnection(config.long, current().long);
    };
    const stagger = config.long.staggerMs ?? config.long.lifetimeMs / Math.max(1, config.long.connections);
    for (let i = 0; i < config.long.connections; i++) track(slot(i * stagger));

    let lastBeat = Date.now();
    const heartbeat = setInterval(() => {
        const now = Date.now();
        current().maxLagMs = Math.max(current().maxLagMs, now - lastBeat - LAG_BEAT_MS);
        lastBeat = now;
    }, LAG_BEAT_MS);

    const stop = async (): Promise<LoadSummary> => {
        if (!stopping) {
            stopping = true;
            stoppedAt = Date.now();
            clearInterval(clock);
            clearInterval(heartbeat);
            current().seconds = (stoppedAt - current().started) / 1000;
        }
        while (pending.size > 0) await Promise.all([...pending]);
        return summarize(windows, sent, (stoppedAt - started) / 1000);
    };
    return { mark, stop };
}

function summarize(windows: Window[], sent: number, seconds: number): LoadSummary {
    const plain = windows.map(({ started: _started, ...w }) => w);
    const total: LoadWindow = { label: "total", seconds, maxLagMs: Math.max(0, ...plain.map((w) => w.maxLagMs)), short: emptyShort(), long: emptyLong() };
    const add = (into: Record<string, number>, from: Record<string, number>) => Object.entries(from).forEach(([k, n]) => (into[k] = (into[k] ?? 0) + n));
    for (const w of plain) {
        for (const k of ["sent", "ok", "slow", "failed"] as const) total.short[k] += w.short[k];
        for (const k of ["opened", "completed", "reset", "stalled", "failedOpen"] as const) total.long[k] += w.long[k];
        add(total.short.reasons, w.short.reasons);
        add(total.short.servers, w.short.servers);
        add(total.long.reasons, w.long.reasons);
        add(total.long.servers, w.long.servers);
    }
    return { windows: plain, total, shortRate: seconds > 0 ? sent / seconds : 0 };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const LAG_BEAT_MS = 100;

/**
 * Runs a timer's verdict (a timeout, a stall) after the input already waiting has been read:
 * after a pause of the generator itself (starved of CPU), Node runs due timers before it
 * polls sockets, so an answer that came in time would otherwise be judged late.
 */
const verdict = (ms: number, fn: () => void): NodeJS.Timeout => setTimeout(() => setImmediate(fn), ms);

function shortRequest(c: LoadConfig["short"], counts: ShortCounts): Promise<void> {
    counts.sent++;
    const started = Date.now();
    return new Promise((resolve) => {
        let done = false;
        const finish = (failure?: string, server?: string) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            if (failure) {
                counts.failed++;
                bump(counts.reasons, failure);
            } else {
                counts.ok++;
                if (Date.now() - started >= SLOW_MS) counts.slow++;
                bump(counts.servers, server ?? "?");
            }
            req.destroy();
            resolve();
        };
        // One new connection per request (agent: false), as separate clients would.
        const req = http.get({ host: c.host, port: c.port, path: "/", agent: false }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => (body += d));
            res.on("end", () => (res.statusCode === 200 ? finish(undefined, body.split("\n")[0].trim()) : finish(`status-${res.statusCode}`)));
            res.on("error", (e: NodeJS.ErrnoException) => finish(reasonOf(e)));
        });
        req.on("error", (e: NodeJS.ErrnoException) => finish(reasonOf(e)));
        const timer = verdict(c.timeoutMs, () => finish("timeout"));
    });
}

/** One long-lived connection from open to end; resolves once it is over and counted. */
function longConnection(c: LoadConfig["long"], counts: LongCounts): Promise<void> {
    return new Promise((resolve) => {
        const socket = net.connect({ host: c.host, port: c.port });
        let open = false;
        let done = false;
        let server: string | undefined;
        let seq = 0;
        /** Lines sent and not yet echoed, by sequence number, with when they were sent. */
        const unanswered = new Map<number, number>();
        let received = "";
        let openedAt = 0;
        const timers: NodeJS.Timeout[] = [];
        const finish = (outcome: "completed" | "reset" | "stalled" | "failedOpen", reason?: string) => {
            if (done) return;
            done = true;
            timers.forEach((t) => clearTimeout(t));
            counts[outcome]++;
            if (reason) bump(counts.reasons, reason);
            if (outcome === "completed") socket.end();
            else socket.destroy();
            // A stalled or broken connection's slot waits a line's interval before reopening, so a
            // dead service is probed at a steady pace rather than in a tight loop.
            setTimeout(resolve, outcome === "completed" ? 0 : c.lineEveryMs);
        };
        timers.push(verdict(c.connectTimeoutMs, () => !open && finish("failedOpen", "timeout")));
        socket.setNoDelay(true);
        socket.setEncoding("utf8");
        socket.on("connect", () => {
            open = true;
            openedAt = Date.now();
            counts.opened++;
            const tick = () => {
                if (done) return;
                const now = Date.now();
                const oldest = Math.min(...unanswered.values());
                if (unanswered.size > 0 && now - oldest > c.echoTimeoutMs) return finish("stalled", "no-echo");
                // Even after stop, a connection lives its whole lifetime: it is judged across the change.
                const over = now - openedAt >= c.lifetimeMs;
                if (over && unanswered.size === 0) return finish("completed");
                if (!over) {
                    unanswered.set(++seq, now);
                    socket.write(`ping ${seq}\n`);
                }
                timers.push(verdict(c.lineEveryMs, tick));
            };
            tick();
        });
        socket.on("data", (d: string) => {
            received += d;
            const lines = received.split("\n");
            received = lines.pop() ?? "";
            for (const line of lines) {
                const echo = /^ping (\d+)$/.exec(line);
                if (echo) unanswered.delete(Number(echo[1]));
                else if (server === undefined && line.trim() !== "") bump(counts.servers, (server = line.trim()));
            }
        });
        socket.on("error", (e: NodeJS.ErrnoException) => finish(open ? "reset" : "failedOpen", reasonOf(e)));
        socket.on("end", () => finish(open ? "reset" : "failedOpen", "eof"));
        socket.on("close", () => finish(open ? "reset" : "failedOpen", "closed"));
    });
}

function main(): void {
    const config = JSON.parse(process.argv[2] ?? "") as LoadConfig;
    const run = startLoad(config, config.firstLabel);
    let stopped = false;
    const stop = () => {
        if (stopped) return;
        stopped = true;
        void run.stop().then((summary) => {
            process.stdout.write(JSON.stringify(summary) + "\n", () => process.exit(0));
        });
    };
    setTimeout(stop, (config.maxSeconds ?? 900) * 1000).unref();
    const lines = readline.createInterface({ input: process.stdin });
    lines.on("line", (line) => {
        const [cmd, ...rest] = line.trim().split(" ");
        if (cmd === "mark" && !stopped) run.mark(rest.join(" ") || "unnamed");
        else if (cmd === "stop") stop();
    });
    // The parent gone (stdin closed) stops the load too: nothing outlives the bench for long.
    lines.on("close", stop);
    process.stdout.write("ready\n");
}

if (require.main === module) main();
