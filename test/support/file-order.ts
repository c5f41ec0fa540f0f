/**
 * vitest sequencer: lab and e2e files in a fixed order, because they share one lab and what one
 * file leaves is what the next starts from. lab.test.ts comes first (it proves a cold lab and
 * leaves a freshly booted one); lab-down.test.ts last (a down any earlier makes the next file
 * boot every host again). Unit files keep vitest's own order (the slowest first).
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";
import * as path from "path";

/**
 * Lab files run two at a time where their leased hosts are disjoint (host-lease.ts): each file
 * here is next to one it can run beside. Files not listed run after these, by name.
 */
const ORDER = [
    "test/lab/lab.test.ts",
    "test/lab/batched-apply.test.ts", // director2, beside
    "test/lab/schedulers.test.ts", // director1, rs1, rs2
    "test/lab/kernel-parity.test.ts", // director2 again, after batched-apply
    "test/lab/keepalived-parity.test.ts", // no host
    "test/lab/nft-parity.test.ts", // no host
];
const LAST = ["test/lab/lab-down.test.ts"];

function rank(file: string): number {
    const rel = path.relative(process.cwd(), file);
    if (LAST.includes(rel)) return ORDER.length + 1;
    const at = ORDER.indexOf(rel);
    return at === -1 ? ORDER.length : at;
}

export default class FileOrder extends BaseSequencer {
    async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
        const hosted = files.filter((f) => f.project.name !== "unit");
        const unit = await super.sort(files.filter((f) => f.project.name === "unit"));
        const ordered = [...hosted].sort((a, b) => rank(a.moduleId) - rank(b.moduleId) || a.moduleId.localeCompare(b.moduleId));
        return [...unit, ...ordered];
    }
}
