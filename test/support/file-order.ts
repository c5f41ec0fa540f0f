/**
 * vitest sequencer: lab and e2e files in a fixed order, because they share one lab and what one
 * file leaves is what the next starts from. lab.test.ts comes first (it proves a cold lab and
 * leaves a freshly booted one); lab-down.test.ts last (a down any earlier makes the next file
 * boot every host again). Unit files keep vitest's own order (the slowest first).
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";
import * as path from "path";

/**
 * `npm test` runs lab.test.ts alone, then two lanes side by side (scripts/test.sh): the e2e
 * files, and beside them the other lab files with reboot-restores, one at a time. Each file
 * leases its hosts (host-lease.ts), so the order decides what overlaps: the side lane holds
 * director2 first (its 10,000-entry tables and reboots), while the e2e lane runs the files on
 * director1, rs1 and rs2 whose time bounds allow it; the pairs on director2 come last. Files not
 * listed run after these, by name.
 */
const ORDER = [
    "test/lab/lab.test.ts",
    // the side lane
    "test/lab/batched-apply.test.ts",
    "test/lab/kernel-parity.test.ts",
    "test/e2e/reboot-restores.test.ts",
    "test/lab/keepalived-parity.test.ts",
    "test/lab/nft-parity.test.ts",
    "test/lab/schedulers.test.ts",
    // the e2e lane: director1, rs1, rs2 first
    "test/e2e/status.test.ts",
    "test/e2e/apply-fault.test.ts",
    "test/e2e/arptables.test.ts",
    "test/e2e/destroy-restores.test.ts",
    "test/e2e/fwmark-cluster.test.ts",
    "test/e2e/nat-cluster.test.ts",
    "test/e2e/persistence.test.ts",
    "test/e2e/protocols.test.ts",
    "test/e2e/safety.test.ts",
    // ... then the ones with time bounds (they wait for the side lane's busy files to end)
    "test/e2e/director-health.test.ts",
    "test/e2e/packed-package.test.ts",
    "test/e2e/team-checkouts.test.ts",
    // ... rs3 too
    "test/e2e/dr-cluster.test.ts",
    "test/e2e/tun-cluster.test.ts",
    // ... director2 too
    "test/e2e/seeds.test.ts",
    "test/e2e/ha-pair.test.ts",
    "test/e2e/ha-drain.test.ts",
    "test/e2e/ha-sync.test.ts",
    "test/e2e/ha-reload.test.ts",
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
