/**
 * vitest sequencer: lab and e2e files in a fixed order, because they share one lab and what one
 * file leaves is what the next starts from. lab.test.ts comes first (it proves a cold lab and
 * leaves a freshly booted one); lab-down.test.ts last (a down any earlier makes the next file
 * boot every host again). Unit files keep vitest's own order (the slowest first).
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";
import * as path from "path";

const FIRST = ["test/lab/lab.test.ts"];
const LAST = ["test/lab/lab-down.test.ts"];

function rank(file: string): number {
    const rel = path.relative(process.cwd(), file);
    if (FIRST.includes(rel)) return 0;
    if (LAST.includes(rel)) return 2;
    return 1;
}

export default class FileOrder extends BaseSequencer {
    async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
        const hosted = files.filter((f) => f.project.name !== "unit");
        const unit = await super.sort(files.filter((f) => f.project.name === "unit"));
        const ordered = [...hosted].sort((a, b) => rank(a.moduleId) - rank(b.moduleId) || a.moduleId.localeCompare(b.moduleId));
        return [...unit, ...ordered];
    }
}
