/**
 * Runs the load generator (loadgen.ts, compiled beside this file) as the lab's client: a Node
 * process inside the namespace, its own process group, killed by its PID if it does not end
 * by itself. Its traffic goes only to the lab's addresses it is given.
 */
import * as path from "path";
import * as readline from "readline";
import { readLabHosts } from "../../test/lab/lab";
import { killProcessGroup, spawnGroup } from "../../test/support/process";
import type { LoadConfig, LoadSummary } from "./loadgen";

export interface LoadClient {
    mark(label: string): void;
    /** Stops the load and resolves with its counts once open connections have ended. */
    stop(): Promise<LoadSummary>;
    /** Kills the generator at once (cleanup after a failure); a no-op once it has ended. */
    kill(): void;
}

/** `script`: the compiled generator; default loadgen.js beside this file (bench:lab compiles both). */
export async function startLoadClient(config: LoadConfig, firstLabel: string, script = path.join(__dirname, "loadgen.js")): Promise<LoadClient> {
    const lab = readLabHosts();
    const [cmd, ...prefix] = lab.client.command;
    // Niced up: the client stands for other machines, so the engine and the VMs sharing these
    // two cores should not starve it into timeouts of its own.
    const child = spawnGroup(cmd, [...prefix, "nice", "-n", "-10", process.execPath, script, JSON.stringify({ ...config, firstLabel })], {});
    const pid = child.pid;
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const lines = readline.createInterface({ input: child.stdout });
    const nextLine = () =>
        new Promise<string>((resolve, reject) => {
            const onLine = (l: string) => {
                child.off("close", onClose);
                resolve(l);
            };
            const onClose = (code: number | null) => {
                lines.off("line", onLine);
                reject(new Error(`the load generator ended (exit ${code}) before answering: ${stderr.trim()}`));
            };
            lines.once("line", onLine);
            child.once("close", onClose);
        });
    const ended = new Promise<void>((r) => child.once("close", () => r()));
    let done = false;
    const kill = () => {
        if (!done && pid !== undefined) killProcessGroup(pid);
        done = true;
    };
    const ready = await nextLine().catch((e: Error) => {
        kill();
        throw e;
    });
    if (ready !== "ready") throw new Error(`the load generator said "${ready}" instead of ready`);
    return {
        mark: (label) => child.stdin.write(`mark ${label}\n`),
        stop: async () => {
            const answer = nextLine();
            child.stdin.end("stop\n");
            const summary = JSON.parse(await answer) as LoadSummary;
            await ended;
            done = true;
            return summary;
        },
        kill,
    };
}
