/**
 * Checkouts of this project at other paths, as a CI runner or a colleague has them: the
 * tracked files (plus new ones not yet committed), its own build, and the installed packages
 * hard-linked (the same versions; nothing writes there). Engines run in them against a backend
 * that several checkouts share.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROOT, engineEnv, pulumi, pulumiOk, type CliResult, type PulumiOptions } from "./engine";
import { runProcess } from "../../support/process";

export interface Checkout {
    dir: string;
    pulumi(args: string[], opts?: PulumiOptions): Promise<CliResult>;
    pulumiOk(args: string[], opts?: PulumiOptions): Promise<CliResult>;
    /**
     * `npm run preview:ci -- ARGS` as the README's CI recipe runs it, in this checkout, less the
     * build that `npm run` starts with: the checkout was built when it was made (or by
     * rebuild()), and four more builds took about a minute of the file.
     */
    previewCi(args: string[]): Promise<CliResult>;
    /** Compiles this checkout's code again. */
    rebuild(): void;
}

/** Copies the project to `dir`, builds it there, and points its engine at `backendDir`. */
export function makeCheckout(dir: string, backendDir: string): Checkout {
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter((f) => f && fs.existsSync(path.join(ROOT, f)));
    for (const f of files) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    execFileSync("cp", ["-al", path.join(ROOT, "node_modules"), path.join(dir, "node_modules")]);
    const rebuild = () => void execFileSync(process.execPath, [path.join(dir, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], { cwd: dir });
    rebuild();
    const env = { PULUMI_BACKEND_URL: `file://${backendDir}` };
    const at = (opts: PulumiOptions = {}): PulumiOptions => ({ ...opts, cwd: dir, env: { ...env, ...opts.env } });
    return {
        dir,
        rebuild,
        pulumi: (args, opts) => pulumi(args, at(opts)),
        pulumiOk: (args, opts) => pulumiOk(args, at(opts)),
        // The engine's environment (PATH, secrets provider) with the shared backend, as a CI job sets it.
        previewCi: (args) => runProcess(process.execPath, [path.join(dir, "bin", "components", "cli", "ci-preview.js"), ...args], { cwd: dir, env: { ...engineEnv(), ...env }, timeoutMs: 600_000 }),
    };
}
