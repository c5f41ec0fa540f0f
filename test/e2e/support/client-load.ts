/**
 * Client load for the e2e tier, the same generator bench:lab uses (bench/load/loadgen.ts):
 * short HTTP GETs to VIP:80 and long-lived echo connections to VIP:9000, run as a process in
 * the lab's namespace. vitest runs TypeScript, the client's node does not: the generator is
 * transpiled once into the temp directory, named by its source's hash.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { startLoadClient, type LoadClient } from "../../../bench/load/load-client";
import type { LoadConfig, LoadSummary } from "../../../bench/load/loadgen";
import { repoRoot } from "../../support/repo-root";

function compiledLoadgen(): string {
    const source = fs.readFileSync(path.join(repoRoot(), "bench", "load", "loadgen.ts"), "utf8");
    const hash = crypto.createHash("sha256").update(source).digest("hex").slice(0, 16);
    const out = path.join(os.tmpdir(), `pulumi-lvs-loadgen-${hash}.js`);
    if (!fs.existsSync(out)) {
        const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
        fs.writeFileSync(`${out}.tmp`, js);
        fs.renameSync(`${out}.tmp`, out);
    }
    return out;
}

export const startClientLoad = (config: LoadConfig, firstLabel: string): Promise<LoadClient> => startLoadClient(config, firstLabel, compiledLoadgen());

/** One line of what a load saw, for the test log: failed short requests, broken long connections, by server. */
export function describeLoad(label: string, s: LoadSummary): string {
    const { short, long } = s.total;
    const reasons = (r: Record<string, number>) => Object.entries(r).map(([k, n]) => `${k} ${n}`).join(", ");
    return (
        `[load] ${label}: short failed ${short.failed}/${short.sent}${short.failed ? ` (${reasons(short.reasons)})` : ""}, slow ${short.slow}; ` +
        `long broken ${long.reset + long.stalled}/${long.opened}${long.reset + long.stalled ? ` (${reasons(long.reasons)})` : ""}, failed opens ${long.failedOpen}; ` +
        `long by server: ${reasons(long.servers)}`
    );
}
