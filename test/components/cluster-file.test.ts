/**
 * The program (index.ts) under mocks with the cluster in a file (pulumi-lvs:clusterFile): it
 * registers what the same cluster in stack config registers, a cluster of over 10,000 ipvs
 * entries loads and builds with no script on a command line, and a bad file stops the
 * program before any resource, with the engine's one-line error and no stack trace.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { inPlaintext, reveal, type MockResource } from "../support/mocks";
import { runProgram, type ProgramRun } from "../support/program";
import { ROOT, clusterOf, stackConfig } from "../support/stacks";
import { entryCount, largeCluster } from "../support/large-cluster";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require("js-yaml") as { dump(v: unknown, options?: { noRefs?: boolean }): string };

let dir: string;
beforeAll(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), "cluster-file-"))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
}

const summary = (rs: MockResource[]) => rs.map((r) => ({ type: r.type, name: r.name, inputs: reveal(r.inputs) }));

/** The refusal's message; the program must have registered nothing and thrown a RunError (no stack trace). */
function refusal(run: ProgramRun): string {
    expect(run.resources).toEqual([]);
    expect(pulumi.RunError.isInstance(run.error), String(run.error)).toBe(true);
    return (run.error as Error).message;
}

describe("the program with pulumi-lvs:clusterFile", () => {
    // JSON and YAML parse to the same cluster as stack config (test/unit/cluster-document.test.ts);
    // here the program reads the file, by an absolute path and by one relative to the project.
    it("registers from a JSON file, and from the seed-000-file stack (YAML file plus the stack's hosts), exactly what seed-000's stack config registers", async () => {
        const seed = clusterOf("seed-000");
        const fromConfig = await runProgram({ "pulumi-lvs:cluster": seed });
        expect(fromConfig.error).toBeUndefined();
        expect(fromConfig.resources.map((r) => r.name)).toContain("director1-director-ipvs");
        const want = summary(fromConfig.resources);
        const fromJson = await runProgram({ "pulumi-lvs:clusterFile": write("seed.json", JSON.stringify(seed)) });
        expect(summary(fromJson.resources)).toEqual(want);
        const example = await runProgram(stackConfig("seed-000-file"));
        expect(example.error).toBeUndefined();
        expect(summary(example.resources)).toEqual(want);
        for (const r of example.resources) expect(inPlaintext(r.inputs, "not-a-real-key"), r.name).toBe(false);
    });

    it("loads and builds a cluster of over 10,000 ipvs entries, every script on stdin with the pulumi-command runner", async () => {
        const size = { services: 100, realServers: 100 };
        const file = write("large.yaml", yaml.dump(largeCluster(size), { noRefs: true }));
        const run = await runProgram({ "pulumi-lvs:clusterFile": file, "pulumi-lvs:stepRunner": "pulumi-command" });
        expect(run.error).toBeUndefined();
        for (const node of ["director1", "director2"]) {
            const table = run.resources.find((r) => r.name === `bulk-ha-${node}-ipvs`);
            expect(Object.keys(reveal(table?.inputs).entries)).toHaveLength(entryCount(size));
        }
        // The stack's outputs count the entries; listed there they would be a second and third copy in state.
        expect(run.outputs?.haPairs).toEqual({ "bulk-ha": { nodes: ["director1", "director2"], services: size.services, realServers: size.services * size.realServers } });
        expect(JSON.stringify(run.outputs).length).toBeLessThan(2_000);
        const commands = run.resources.filter((r) => r.type === "command:remote:Command").map((r) => ({ name: r.name, ...reveal(r.inputs) }));
        expect(commands.length).toBeGreaterThan(0);
        for (const c of commands) expect([c.create, c.update, c.delete], c.name).toEqual(["sh -s create", "sh -s create", "sh -s delete"]);
        // keepalived.conf alone is several times the kernel's 128 KiB cap on one argument.
        expect(commands.find((c) => c.name === "bulk-ha-director1-keepalived")?.stdin.length).toBeGreaterThan(4 * 128 * 1024);
    });

    it("refuses a missing file, naming the path it resolved and the directory a relative path starts from", async () => {
        const message = refusal(await runProgram({ "pulumi-lvs:clusterFile": "stacks/clusters/missing.yaml" }));
        expect(message).toBe(
            `invalid LVS config:\n  - pulumi-lvs:clusterFile: no file at ${path.join(ROOT, "stacks/clusters/missing.yaml")} ("stacks/clusters/missing.yaml" from the project directory ${ROOT}). Fix: correct the path, or write the cluster to that file.`,
        );
    });

    it("refuses a file that does not parse, with its line and column", async () => {
        const file = write("broken.yaml", "vipGroups:\n  - name: web\n   vips: []\n");
        expect(refusal(await runProgram({ "pulumi-lvs:clusterFile": file }))).toMatch(new RegExp(`^invalid LVS config:\\n  - pulumi-lvs:clusterFile: ${file} is not valid YAML: .* at line 3, column 4\\. Fix: correct the file there\\.$`));
    });

    it("refuses a stack with neither the cluster nor a cluster file", async () => {
        expect(refusal(await runProgram({}))).toMatch(/^invalid LVS config:\n  - pulumi-lvs:cluster: not set\. Fix: .*pulumi-lvs:clusterFile/);
    });
});
