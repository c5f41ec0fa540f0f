/**
 * vitest reporter that records each test file's wall-clock seconds, from the moment vitest
 * starts it to the moment it ends, into .test-times/<project>.json. scripts/test.sh prints
 * them as the suite's closing table and .ci/run compares them with docs/testing.md. Wall
 * clock, not vitest's own duration: a lab file's time is mostly waiting on guests and the
 * engine, and files that run side by side must show what each one really held the lab.
 */
import type { Reporter, TestModule } from "vitest/node";
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "./repo-root";

export interface FileTime {
    file: string;
    /** When vitest started the file (ms since the epoch), to line runs up with other logs. */
    startedAt: number;
    seconds: number;
    tests: number;
    failed: number;
}

export const TIMES_DIR = ".test-times";

export default class TimingReporter implements Reporter {
    private readonly started = new Map<string, number>();
    private readonly ended = new Map<string, number>();

    onTestModuleStart(module: TestModule): void {
        this.started.set(module.moduleId, Date.now());
    }

    onTestModuleEnd(module: TestModule): void {
        this.ended.set(module.moduleId, Date.now());
    }

    onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
        // vitest runs from the checkout (npm scripts); walk up from there rather than this file's own path.
        const root = repoRoot(process.cwd());
        const byProject = new Map<string, FileTime[]>();
        for (const module of modules) {
            const start = this.started.get(module.moduleId);
            const end = this.ended.get(module.moduleId) ?? Date.now();
            const tests = [...module.children.allTests()];
            const time: FileTime = {
                file: path.relative(root, module.moduleId),
                startedAt: start ?? 0,
                seconds: start === undefined ? module.diagnostic().duration / 1000 : (end - start) / 1000,
                tests: tests.length,
                failed: tests.filter((t) => t.result().state === "failed").length,
            };
            const project = module.project.name || "default";
            byProject.set(project, [...(byProject.get(project) ?? []), time]);
        }
        fs.mkdirSync(path.join(root, TIMES_DIR), { recursive: true });
        // A tier may take two runs (npm test runs lab-down.test.ts after the e2e tier): merge by file.
        for (const [project, times] of byProject) {
            const file = path.join(root, TIMES_DIR, `${project}.json`);
            const earlier = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as FileTime[]) : [];
            const merged = [...earlier.filter((e) => !times.some((t) => t.file === e.file)), ...times];
            fs.writeFileSync(file, JSON.stringify(merged, null, 1) + "\n");
        }
    }
}
