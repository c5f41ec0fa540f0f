/**
 * The checkout's root: the nearest directory above this file that holds Pulumi.yaml. Found by
 * walking up rather than by a fixed "../..", so the same code works from test/ under vitest
 * and compiled under .bench-build/ for the lab benchmark.
 */
import * as fs from "fs";
import * as path from "path";

export function repoRoot(from = __dirname): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        if (path.dirname(dir) === dir) throw new Error(`no Pulumi.yaml above ${from}: not inside a pulumi-lvs checkout`);
    }
}
