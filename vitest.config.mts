import { defineConfig } from "vitest/config";
import FileOrder from "./test/support/file-order";

// Three projects so `npm run test:unit` never needs a host, while `npm test` runs the lab
// and engine tiers too. e2e files run one at a time; lab files two at a time where the hosts
// they lease are disjoint.
export default defineConfig({
    test: {
        projects: [
            {
                test: {
                    name: "unit",
                    include: ["test/unit/**/*.test.ts", "test/components/**/*.test.ts", "test/providers/**/*.test.ts"],
                    testTimeout: 20_000,
                },
            },
            {
                test: {
                    name: "lab",
                    include: ["test/lab/**/*.test.ts"],
                    globalSetup: ["test/support/lab-lock.ts"],
                    // Two files at a time: each leases the hosts it uses (test/support/host-lease.ts),
                    // so only files with disjoint hosts overlap.
                    testTimeout: 600_000,
                    hookTimeout: 900_000,
                },
            },
            {
                test: {
                    name: "e2e",
                    include: ["test/e2e/**/*.test.ts"],
                    globalSetup: ["test/support/lab-lock.ts"],
                    fileParallelism: false,
                    testTimeout: 1_200_000,
                    hookTimeout: 1_800_000,
                },
            },
        ],
        // Files run side by side on two workers (vitest's default leaves one core idle, which on
        // a 2-core machine meant one worker); e2e files, which share the VMs, set
        // fileParallelism: false themselves. A false here would hold for every project.
        maxWorkers: 2,
        // Each file's wall-clock seconds, for the table `npm test` ends with (scripts/test.sh).
        reporters: ["default", "./test/support/timing-reporter.ts"],
        // Lab and e2e files in a fixed order: they share one lab (test/support/file-order.ts).
        sequence: { sequencer: FileOrder },
    },
});
