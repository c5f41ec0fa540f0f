/**
 * Measuring keepalived on the lab with the host's clock only (guest clocks under TCG are not
 * trusted): a client probe in the lab's namespace (staggered HTTP request loops plus a
 * timestamped `ip monitor neigh`, which shows when a director's gratuitous ARP moved the VIP),
 * host commands armed over an open SSH session (so the moment they run is known to within the
 * session's latency, not an SSH handshake), and watchers that report from a host until told
 * to stop.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LAB_SCRIPT, REPO, asClient, onHost, onHostOk, type LabHostName } from "../../lab/lab";
import { VIP } from "./lab-stack";

export const RS_ADDRESS = { rs1: "192.168.13.112", rs2: "192.168.13.113", rs3: "192.168.13.114" } as const;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The lab's pair as a stack's `haPairs` entry: director1 (priority 150, the master) and director2 (100) on ens33, holding group "web"; `maintenance` names a node in maintenance. */
export function labHaPair(settings: { virtualRouterId: number } & Record<string, unknown>, maintenance?: LabHostName): Record<string, unknown> {
    const node = (host: LabHostName, priority: number) => ({ host, priority, interface: "ens33", ...(maintenance === host ? { maintenance: true } : {}) });
    return {
        name: "web-ha",
        advertInt: 1,
        nodes: [node("director1", 150), node("director2", 100)],
        vipGroups: ["web"],
        ...settings,
    };
}

/** For vitest's onTestFailed: prints what keepalived (and `extra`, a host command) saw on both directors, the first thing to read when a scenario fails. */
export function keepalivedDiagnostics(extra: string): () => Promise<void> {
    return async () => {
        for (const d of ["director1", "director2"] as const) {
            const j = await onHost(d, `journalctl -u keepalived -n 60 --no-pager -o short-precise; ${extra}`);
            console.log(`[diagnostics] ${d}:\n${j.stdout}${j.stderr}`);
        }
    };
}

/** An SSH session to a lab host running `script` with bash; stdin and stdout stay open. */
function session(host: LabHostName, script: string): ChildProcessWithoutNullStreams {
    return spawn("bash", [LAB_SCRIPT, "ssh", host, "--", "bash", "-c", quote(script)], { cwd: REPO, stdio: ["pipe", "pipe", "pipe"] });
}

/** Single-quotes for the remote shell (ssh joins its arguments into one command line). */
function quote(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Resolves with the host time at which `line` first appears on the child's stdout. */
function lineSeen(child: ChildProcessWithoutNullStreams, line: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
        let out = "";
        let err = "";
        const timer = setTimeout(() => reject(new Error(`no "${line}" within ${timeoutMs} ms; stdout: ${out.slice(-2000)} stderr: ${err.slice(-2000)}`)), timeoutMs);
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            if (out.split("\n").includes(line)) {
                clearTimeout(timer);
                resolve(Date.now());
            }
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            reject(new Error(`session ended (${code}) before "${line}"; stdout: ${out.slice(-2000)} stderr: ${err.slice(-2000)}`));
        });
    });
}

export interface Fired {
    /** Host time (ms) when the command was released. */
    at: number;
    /** Host time (ms) when the host reported it done: the command ran within [at, done]. */
    done: number;
}

/**
 * Opens a session that runs `command` when released. `fire()` releases it and resolves when it
 * has finished; the command ran between `at` and `done`, host clock. `prepare` runs before the
 * session reports ready (say, to look up PIDs, so that the released command is only a builtin).
 */
export async function armed(host: LabHostName, command: string, prepare = ":"): Promise<{ fire(): Promise<Fired> }> {
    const child = session(host, `${prepare}; echo armed; read -r go; ${command}; echo "fired $?"`);
    await lineSeen(child, "armed", 60_000);
    return {
        async fire() {
            const done = new Promise<number>((resolve, reject) => {
                let out = "";
                child.stdout.on("data", (d: Buffer) => {
                    out += d.toString();
                    const m = /fired (\d+)/.exec(out);
                    if (m) m[1] === "0" ? resolve(Date.now()) : reject(new Error(`${host}: "${command}" exited ${m[1]}`));
                });
            });
            const at = Date.now();
            child.stdin.write("go\n");
            const t = await done;
            child.stdin.end();
            return { at, done: t };
        },
    };
}

/** Runs `command` on the host right away, timed as `armed` does. */
export async function timed(host: LabHostName, command: string): Promise<Fired> {
    return (await armed(host, command)).fire();
}

export interface Watch {
    /** Resolves once the first value is in. */
    ready: Promise<void>;
    /** Host time at which a value passing `pred` arrived at or after `after`; undefined after `timeoutMs`. */
    until(pred: (value: string) => boolean, after: number, timeoutMs: number): Promise<number | undefined>;
    /** Ends the watch; every change seen, with the host time it arrived. */
    stop(): Promise<{ t: number; value: string }[]>;
}

/**
 * A `watch` probe: bash that sets `v` to one line, in the watch loop's own shell. Under TCG a
 * fork is dear: a loop running `ip addr | grep` five times a second took 42% of a director's
 * CPU (measured from /proc/stat over 10 s), enough to slow the SSH handshakes and the `up`
 * under test; the builtin-only probes below took 2.6%.
 */
export type Probe = string;

/** A probe that runs `command` (forks: for what no builtin can read) and keeps its output. */
export const commandProbe = (command: string): Probe => `v=$( { ${command}; } </dev/null)`;

/** The first line of `file`, or "none" when it is missing; builtins only. */
export const fileProbe = (file: string): Probe => `{ read -r v < ${file}; } 2>/dev/null || v=none`;

/**
 * "1" while `address` is one of the host's own addresses (in the kernel's local routing table,
 * /proc/net/fib_trie), else "0"; builtins only. On a director that is holding the VIP.
 */
export const localAddressProbe = (address: string): Probe => `mapfile -t t < /proc/net/fib_trie; case " \${t[*]} " in *" ${address} "*) v=1;; *) v=0;; esac`;

/**
 * Runs `probe` on the host every `everySeconds` and keeps each value that differs from the one
 * before, with the host time it arrived, until `stop()`.
 */
export function watch(host: LabHostName, probe: Probe, everySeconds = 0.2): Watch {
    // Until stdin closes: read -t times out (status > 128) while the test runs, and sees EOF at stop().
    const child = session(host, `prev=; while :; do ${probe}; if [ "$v" != "$prev" ]; then echo "$v"; prev=$v; fi; read -r -t ${everySeconds} _; [ $? -gt 128 ] || break; done`);
    const seen: { t: number; value: string }[] = [];
    const waiters: (() => void)[] = [];
    let buf = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split("\n");
        buf = lines.pop() ?? "";
        for (const value of lines) seen.push({ t: Date.now(), value });
        if (lines.length > 0) waiters.splice(0).forEach((w) => w());
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const closed = new Promise<number | null>((r) => child.on("close", (code) => (waiters.splice(0).forEach((w) => w()), r(code))));
    const changed = () => new Promise<void>((r) => waiters.push(r));
    return {
        ready: (async () => {
            while (seen.length === 0) {
                if (child.exitCode !== null) throw new Error(`watch on ${host} ended before its first value: ${err.slice(-2000)}`);
                await Promise.race([changed(), sleep(1000)]);
            }
        })(),
        async until(pred, after, timeoutMs) {
            const deadline = Date.now() + timeoutMs;
            for (;;) {
                const hit = seen.find((x) => x.t >= after && pred(x.value));
                if (hit) return hit.t;
                if (Date.now() > deadline || child.exitCode !== null) return undefined;
                await Promise.race([changed(), sleep(200)]);
            }
        },
        async stop() {
            child.stdin.end();
            const code = await closed;
            if (seen.length === 0) throw new Error(`watch on ${host} saw nothing (exit ${code}): ${err.slice(-2000)}`);
            return seen;
        },
    };
}

export interface ProbeRequest {
    loop: number;
    /** Host time, ms. */
    start: number;
    end: number;
    ok: boolean;
    /** The body: the real server's hostname. */
    body: string;
}

export interface NeighEvent {
    t: number;
    /** The VIP's link-layer address in the client's neighbour table, or null (FAILED, deleted). */
    mac: string | null;
    line: string;
}

export interface ProbeResult {
    requests: ProbeRequest[];
    /** Changes of the client's neighbour entry for the VIP: who answers for it. */
    neigh: NeighEvent[];
    /** The entry when the probe started. */
    initialMac: string | null;
}

export interface ProbeOptions {
    /** How long the probe runs at most. */
    seconds: number;
    /** Parallel request loops, started `staggerSeconds` apart. Default 3, 0.1 s. */
    loops?: number;
    staggerSeconds?: number;
    /** Pause after each request of one loop. Default 0.2 s. */
    pauseSeconds?: number;
    /** curl's limits. Default 0.5 s to connect, 1 s in all. */
    connectTimeout?: number;
    maxTime?: number;
}

/**
 * Requests to VIP:80 from the client for `seconds` (or until `stop()`), with a timestamp per
 * request, and the client's neighbour entry for the VIP as it changes (a director taking the
 * VIP over sends gratuitous ARP, which rewrites it). Host clock throughout.
 */
export function startProbe(o: ProbeOptions): { result: Promise<ProbeResult>; stop(): void } {
    const loops = o.loops ?? 3;
    const stagger = o.staggerSeconds ?? 0.1;
    const pause = o.pauseSeconds ?? 0.2;
    // The namespace shares this machine's file system: the loops end early when this file appears.
    const stopFile = path.join(os.tmpdir(), `lvs-probe-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    const curl = `curl -s --connect-timeout ${o.connectTimeout ?? 0.5} --max-time ${o.maxTime ?? 1} http://${VIP}/`;
    const loop = (i: number) =>
        `( sleep ${(i * stagger).toFixed(2)}; while [ "$(date +%s)" -lt "$end" ] && [ ! -e ${stopFile} ]; do s=$(date +%s.%N); if b=$(${curl}); then r=ok; else r=fail; fi; echo "R ${i} $s $(date +%s.%N) $r $b"; sleep ${pause}; done ) & loops="$loops $!"`;
    const script = [
        "f=$(mktemp)",
        // ip's own stamps ([ISO local time]) are taken when the kernel's event arrives.
        `ip -ts monitor neigh > "$f" 2>/dev/null & mon=$!`,
        `echo "I $(ip neigh show ${VIP})"`,
        `end=$(( $(date +%s) + ${o.seconds} )); loops=`,
        ...Array.from({ length: loops }, (_, i) => loop(i)),
        "wait $loops",
        'kill "$mon"; wait "$mon" 2>/dev/null',
        `grep -F ' ${VIP} ' "$f" | sed 's/^/N /'`,
        `rm -f "$f" ${stopFile}`,
        "true",
    ].join("\n");
    const result = asClient(["sh", "-c", script]).then((r) => {
        fs.rmSync(stopFile, { force: true });
        return parseProbe(r.stdout);
    });
    return { result, stop: () => fs.writeFileSync(stopFile, "") };
}

export const clientProbe = (o: ProbeOptions): Promise<ProbeResult> => startProbe(o).result;

export function parseProbe(out: string): ProbeResult {
    const requests: ProbeRequest[] = [];
    const neigh: NeighEvent[] = [];
    let initialMac: string | null = null;
    const macOf = (s: string) => (/ lladdr (\S+)/.exec(s)?.[1] ?? null);
    for (const line of out.split("\n")) {
        if (line.startsWith("R ")) {
            const [, loop, start, end, status, ...body] = line.split(" ");
            requests.push({ loop: Number(loop), start: Number(start) * 1000, end: Number(end) * 1000, ok: status === "ok", body: body.join(" ").trim() });
        } else if (line.startsWith("N ")) {
            const m = /^N \[([^\]]+)\] (.*)$/.exec(line);
            if (!m) continue;
            // ip prints local time with microseconds; Date takes milliseconds, local time when there is no zone.
            const t = new Date(m[1].slice(0, 23)).getTime();
            neigh.push({ t, mac: /^Deleted /.test(m[2]) ? null : macOf(m[2]), line: m[2] });
        } else if (line.startsWith("I ")) {
            initialMac = macOf(line);
        }
    }
    requests.sort((a, b) => a.start - b.start);
    return { requests, neigh, initialMac };
}

export interface Outage {
    /** Longest time between two consecutive successful responses, seconds (an upper bound of the outage). */
    gapSeconds: number;
    /** When that gap began and ended (host ms): the responses on either side of it. */
    from: number;
    to: number;
    /** Requests that failed inside the gap, and in the whole probe. */
    failedInGap: number;
    failed: number;
}

/** The longest stretch without a successful response, measured on response end times across all loops. */
export function outage(p: ProbeResult): Outage {
    const oks = p.requests.filter((r) => r.ok).map((r) => r.end).sort((a, b) => a - b);
    if (oks.length < 2) throw new Error(`the probe got ${oks.length} successful responses; cannot measure a gap`);
    let best = { from: oks[0], to: oks[0] };
    for (let i = 1; i < oks.length; i++) if (oks[i] - oks[i - 1] > best.to - best.from) best = { from: oks[i - 1], to: oks[i] };
    const failedInGap = p.requests.filter((r) => !r.ok && r.end > best.from && r.end < best.to).length;
    return { gapSeconds: (best.to - best.from) / 1000, from: best.from, to: best.to, failedInGap, failed: p.requests.filter((r) => !r.ok).length };
}

/** Host time at which the client first saw `mac` answer for the VIP at or after `after`. */
export function vipMovedTo(p: ProbeResult, mac: string, after: number): number | undefined {
    return p.neigh.find((e) => e.t >= after && e.mac === mac)?.t;
}

/** Requests that failed after `t` (host ms). */
export const failuresAfter = (p: ProbeResult, t: number) => p.requests.filter((r) => r.start >= t && !r.ok);

export const seconds = (ms: number) => ms / 1000;

/** Does the host hold the VIP on `iface` with the alias label the stack gave it? */
export async function holdsVip(host: LabHostName, iface = "ens33"): Promise<boolean> {
    const out = await onHostOk(host, `ip -4 addr show dev ${iface}`);
    return new RegExp(`inet ${VIP.replace(/\./g, "\\.")}/32 .*${iface}:0`).test(out);
}

export const macOf = async (host: LabHostName) => (await onHostOk(host, "cat /sys/class/net/ens33/address")).trim();

/** keepalived's main PID ("0" when it is not running). */
export const keepalivedPid = async (host: LabHostName) => (await onHostOk(host, "systemctl show -p MainPID --value keepalived")).trim();

/** A journal position to read keepalived's messages from, later. */
export const journalCursor = async (host: LabHostName) => /-- cursor: (\S+)/.exec(await onHostOk(host, "journalctl --show-cursor -n 0 --no-pager"))?.[1] ?? "";

/** keepalived's and systemd's messages about the keepalived unit since `cursor`. */
export const journalSince = (host: LabHostName, cursor: string) =>
    onHostOk(host, `journalctl -u keepalived --after-cursor='${cursor}' --no-pager -o short-precise`);

/** Turns a real server's web listener (lab-http@80, busybox httpd) on or off. */
export const webCommand = (on: boolean) => `systemctl ${on ? "start" : "stop"} lab-http@80`;

/** The health-check settings the keepalived e2e tests use: fast, so the lab measures in seconds. */
export const FAST_TCP_CHECK = { type: "tcp", delayLoop: 2, connectTimeout: 1, retry: 1, delayBeforeRetry: 1 } as const;

/** keepalived's worst case to take a dead server out: the next round, the attempt, then each retry after its delay. */
export const removalBound = (c: typeof FAST_TCP_CHECK) => c.delayLoop + c.connectTimeout + c.retry * (c.delayBeforeRetry + c.connectTimeout);

/** ... and to put it back: the next round finds it up at the first attempt. */
export const returnBound = (c: typeof FAST_TCP_CHECK) => c.delayLoop + c.connectTimeout;

export interface WebFlip {
    /** When the web server was stopped or started: within [at, done]. */
    fired: Fired;
    /** Per director: seconds from `fired.done` until its table followed (the entry gone, or back). */
    followed: Record<string, number>;
    /** Client traffic from 1 s before the flip until every table followed. */
    during: ProbeResult;
}

/**
 * Stops (on = false) or starts a real server's web server and measures when keepalived's table on
 * each director followed: the real server's entry under VIP:80 gone, or back. Fails when a
 * table has not followed within `timeoutSeconds`.
 */
export async function flipWeb(rs: keyof typeof RS_ADDRESS, on: boolean, directors: readonly LabHostName[], timeoutSeconds: number): Promise<WebFlip> {
    const present = commandProbe(`ipvsadm -S -n | grep -c -- '-a -t ${VIP}:80 -r ${RS_ADDRESS[rs]}:80 '`);
    const watches = directors.map((d) => watch(d, present));
    await Promise.all(watches.map((w) => w.ready));
    const probe = startProbe({ seconds: timeoutSeconds + 60 });
    try {
        await sleep(1000);
        const fired = await timed(rs, webCommand(on));
        const at = await Promise.all(watches.map((w) => w.until((v) => v === (on ? "1" : "0"), fired.at, timeoutSeconds * 1000)));
        const seen = await Promise.all(watches.map((w) => w.stop()));
        probe.stop();
        const during = await probe.result;
        const followed: Record<string, number> = {};
        directors.forEach((d, i) => {
            if (at[i] === undefined) throw new Error(`${d}: ${rs} did not ${on ? "return to" : "leave"} the table within ${timeoutSeconds} s; seen ${JSON.stringify(seen[i])}`);
            followed[d] = seconds(at[i]! - fired.done);
        });
        return { fired, followed, during };
    } finally {
        probe.stop();
        await Promise.all(watches.map((w) => w.stop().catch(() => undefined)));
    }
}

/** A line per probe for the log (what the figures were measured on); failed requests' start times relative to `since`. */
export function describeProbe(label: string, p: ProbeResult, since?: number): string {
    const o = outage(p);
    const answered = p.requests.filter((r) => r.ok).reduce<Record<string, number>>((n, r) => ((n[r.body] = (n[r.body] ?? 0) + 1), n), {});
    const failed = since === undefined ? "" : `; failed at ${JSON.stringify(p.requests.filter((r) => !r.ok).map((r) => +seconds(r.start - since).toFixed(2)))} s`;
    return `[probe] ${label}: ${p.requests.length} requests, ${o.failed} failed, answered by ${JSON.stringify(answered)}, longest gap ${o.gapSeconds.toFixed(2)} s (${o.failedInGap} failed in it)${failed}`;
}
