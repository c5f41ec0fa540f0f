/** Runs a child process to completion; never throws, so callers can assert on failures too. */
import { spawn, type ChildProcessByStdio, type SpawnOptions } from "child_process";
import type { Readable, Writable } from "stream";

export interface ProcessResult {
    code: number;
    stdout: string;
    stderr: string;
    seconds: number;
}

export interface ProcessOptions {
    cwd: string;
    env?: NodeJS.ProcessEnv;
    /** SIGTERM after this long. Default 10 minutes. */
    timeoutMs?: number;
}

/**
 * Process groups of children still running. Each child leads its own group, so a timeout or
 * the end of the test process takes down what it started too: `pulumi` leaves its language
 * host and provider plugins running when it alone is killed.
 */
const running = new Set<number>();
const killGroup = (pid: number, signal: NodeJS.Signals) => {
    try {
        process.kill(-pid, signal);
    } catch {
        // already gone
    }
};
process.on("exit", () => running.forEach((pid) => killGroup(pid, "SIGKILL")));

/** Kills a child's process group now (SIGKILL unless told), whatever it is doing. */
export const killProcessGroup = (pid: number, signal: NodeJS.Signals = "SIGKILL") => killGroup(pid, signal);

/**
 * Starts a child as the leader of its own process group, with stdin, stdout and stderr piped,
 * for a caller that talks to it; the group is killed when this process exits.
 */
export function spawnGroup(command: string, args: string[], opts: Pick<SpawnOptions, "cwd" | "env">): ChildProcessByStdio<Writable, Readable, Readable> {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    const pid = child.pid;
    if (pid !== undefined) {
        running.add(pid);
        child.on("close", () => running.delete(pid));
    }
    return child;
}

export function runProcess(command: string, args: string[], opts: ProcessOptions): Promise<ProcessResult> {
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
        const pid = child.pid;
        if (pid !== undefined) running.add(pid);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => (pid === undefined ? child.kill("SIGTERM") : killGroup(pid, "SIGTERM")), opts.timeoutMs ?? 600_000);
        child.on("close", (code) => {
            clearTimeout(timer);
            if (pid !== undefined) running.delete(pid);
            resolve({ code: code ?? -1, stdout, stderr, seconds: (Date.now() - started) / 1000 });
        });
    });
}
