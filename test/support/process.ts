/** Runs a child process to completion; never throws, so callers can assert on failures too. */
import { spawn } from "child_process";

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

export function runProcess(command: string, args: string[], opts: ProcessOptions): Promise<ProcessResult> {
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGTERM"), opts.timeoutMs ?? 600_000);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, stdout, stderr, seconds: (Date.now() - started) / 1000 });
        });
    });
}
