/** What RemoteStep does on a host: feed a script to `sh -s`, fail loudly with its stderr. */
import type { HostTransport } from "./transport";

export interface StepRun {
    stdout: string;
    stderr: string;
}

/** Runs one script; the script goes on stdin, so no quoting layer or argv limit is involved. */
export async function runScript(t: HostTransport, script: string, what: string): Promise<StepRun> {
    const r = await t.run("sh -s", script);
    if (r.code !== 0) {
        throw new Error(`${what} failed (exit ${r.code}):\n${(r.stderr || r.stdout).trim().split("\n").slice(-15).join("\n")}`);
    }
    return { stdout: r.stdout, stderr: r.stderr };
}
