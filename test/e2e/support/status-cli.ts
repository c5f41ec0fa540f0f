/**
 * `npm run status` as the e2e tests run it: the built command (bin/components/cli/status.js)
 * with the engine's environment, and lookups into its JSON readings.
 */
import { expect } from "vitest";
import { engineEnv, ROOT } from "./engine";
import { runProcess } from "../../support/process";
import { sleep } from "./keepalived-lab";
import type { HostStatus, StatusRow } from "../../../components/cli/status-report";

/** One reading of the stack's hosts: the command's exit code and output. */
export function status(stack: string, json: boolean): Promise<{ code: number; stdout: string; stderr: string }> {
    return runProcess("node", ["bin/components/cli/status.js", "--stack", stack, ...(json ? ["--json"] : [])], { cwd: ROOT, env: engineEnv(), timeoutMs: 120_000 });
}

/** One reading that must succeed, parsed. */
export async function statusJson(stack: string): Promise<HostStatus[]> {
    const r = await status(stack, true);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { hosts: HostStatus[] }).hosts;
}

/** Readings a second apart until `done` holds or the time is up (then the last one, for the assertions to name). */
export async function statusUntil(stack: string, done: (hosts: HostStatus[]) => boolean, timeoutMs: number): Promise<HostStatus[]> {
    const started = Date.now();
    for (;;) {
        const hosts = await statusJson(stack);
        if (done(hosts) || Date.now() - started > timeoutMs) {
            expect(done(hosts), JSON.stringify(hosts.map((h) => [h.host, h.rows.map((r) => [r.entry, r.mark])]))).toBe(true);
            return hosts;
        }
        await sleep(1_000);
    }
}

export const statusRow = (h: HostStatus, entry: string): StatusRow | undefined => h.rows.find((r) => r.entry === entry);

export function statusOf(hosts: HostStatus[], name: string): HostStatus {
    const h = hosts.find((x) => x.host === name);
    if (!h) throw new Error(`no ${name} in ${hosts.map((x) => x.host).join(", ")}`);
    return h;
}
