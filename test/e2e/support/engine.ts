/**
 * The real Pulumi CLI (built from Go modules by scripts/build-engine.sh), run as a child
 * process on the compiled program in bin/, with the lab's file backend and passphrase.
 * Nothing here is vitest-transformed: the engine loads and serializes the compiled code.
 */
import { execFileSync } from "child_process";
import { runProcess, type ProcessResult } from "../../support/process";
import { repoRoot } from "../../support/repo-root";
import * as fs from "fs";
import * as path from "path";

export const ROOT = repoRoot();

let cachedEnv: NodeJS.ProcessEnv | undefined;

/** The environment scripts/pulumi-env.sh sets up, captured once. */
export function engineEnv(): NodeJS.ProcessEnv {
    if (!cachedEnv) {
        const out = execFileSync("bash", ["-c", "source scripts/pulumi-env.sh >/dev/null && env -0"], { cwd: ROOT, encoding: "utf8" });
        cachedEnv = Object.fromEntries(
            out
                .split("\0")
                .filter((l) => l.includes("="))
                .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
        );
    }
    return cachedEnv;
}

export type CliResult = ProcessResult;

export interface PulumiOptions {
    timeoutMs?: number;
    /** The project directory (a checkout). Default: this one. */
    cwd?: string;
    /** Set on top of the engine's environment, e.g. another PULUMI_BACKEND_URL. */
    env?: NodeJS.ProcessEnv;
}

/** Runs `pulumi ARGS` in the project; never throws, so tests can assert on failures too. */
export function pulumi(args: string[], opts: PulumiOptions = {}): Promise<CliResult> {
    return runProcess("pulumi", [...args, "--non-interactive", "--color", "never"], { cwd: opts.cwd ?? ROOT, env: { ...engineEnv(), ...opts.env }, timeoutMs: opts.timeoutMs ?? 900_000 });
}

/** Like pulumi(), but fails with the CLI's output when it exits non-zero. */
export async function pulumiOk(args: string[], opts: PulumiOptions = {}): Promise<CliResult> {
    const r = await pulumi(args, opts);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}\n${r.stdout.slice(-6000)}\n${r.stderr.slice(-4000)}`);
    return r;
}

/** `npm run test:e2e` compiles first: the engine runs bin/, never the TypeScript vitest sees. */
export function assertBuilt(): void {
    if (!fs.existsSync(path.join(ROOT, "bin", "index.js"))) throw new Error("bin/index.js is missing: run `npm run build` (npm run test:e2e does)");
}

/** Writes stacks/Pulumi.<stack>.yaml (JSON is YAML) with the given config, in this checkout or `root`; e2e stacks are git-ignored. */
export function writeStackConfig(stack: string, config: Record<string, unknown>, root = ROOT): void {
    fs.writeFileSync(path.join(root, "stacks", `Pulumi.${stack}.yaml`), JSON.stringify({ config }, null, 2) + "\n");
}

/** A fresh stack: removes any leftover of an earlier run (state only; hosts are cleaned by the test). */
export async function freshStack(stack: string): Promise<void> {
    assertBuilt();
    await pulumi(["stack", "rm", "--yes", "--force", "--preserve-config", "--stack", stack]);
    await pulumiOk(["stack", "init", stack]);
}

/** Prints a measured figure in a form that is easy to grep from CI logs. */
export function report(label: string, seconds: number): void {
    console.log(`[timing] ${label}: ${seconds.toFixed(1)} s`);
}
