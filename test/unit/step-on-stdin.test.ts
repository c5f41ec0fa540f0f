/**
 * A host step as one stdin script (the pulumi-command runner): /bin/sh runs exactly the part
 * the command names, with the exit status that part ends with, and a here-document keeps its
 * text whatever it holds.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RUN_CREATE_PART, RUN_DELETE_PART, stepOnStdin } from "../../components/core/host/step-on-stdin";
import { script, writeFile, type HostStep } from "../../components/core/host/host-step";

let dir: string;
beforeEach(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), "step-on-stdin-"))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What remote.Command does on the host: the command line, with the step's stdin. */
function run(commandLine: string, stdin: string): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync("/bin/sh", ["-c", commandLine], { input: stdin, encoding: "utf8" });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Lines that would end the case early if the shell read a here-document as script.
const TRICKY = ["esac", ";;", "delete)", "*) exit 9 ;;", "PULUMI_LVS", "$HOME `id`"].join("\n");

describe("stepOnStdin", () => {
    const step = (): HostStep => ({
        key: "demo",
        create: script([`echo create >> ${dir}/log`, writeFile(`${dir}/conf`, TRICKY), `echo created >> ${dir}/log`]),
        delete: script([`rm -f ${dir}/conf`, `echo delete >> ${dir}/log`]),
    });
    const log = () => fs.readFileSync(`${dir}/log`, "utf8");

    it("runs only the create part for create, only the delete part for delete", () => {
        expect(run(RUN_CREATE_PART, stepOnStdin(step()))).toMatchObject({ status: 0, stderr: "" });
        expect(log()).toBe("create\ncreated\n");
        expect(fs.readFileSync(`${dir}/conf`, "utf8")).toBe(`${TRICKY}\n`);
        expect(run(RUN_DELETE_PART, stepOnStdin(step()))).toMatchObject({ status: 0, stderr: "" });
        expect(log()).toBe("create\ncreated\ndelete\n");
        expect(fs.existsSync(`${dir}/conf`)).toBe(false);
    });

    it("ends with the part's own status: a failing command stops it (set -eu), an early exit 0 skips the rest", () => {
        const failing = { key: "f", create: script(["false", `echo after >> ${dir}/log`]), delete: script(["exit 0", "exit 7"]) };
        expect(run(RUN_CREATE_PART, stepOnStdin(failing)).status).toBe(1);
        expect(fs.existsSync(`${dir}/log`)).toBe(false);
        expect(run(RUN_DELETE_PART, stepOnStdin(failing)).status).toBe(0);
    });

    it("refuses to run without naming a part", () => {
        const r = run("sh -s", stepOnStdin(step()));
        expect(r.status).toBe(2);
        expect(r.stderr).toContain(`run this script as ${RUN_CREATE_PART} or ${RUN_DELETE_PART}`);
        expect(fs.existsSync(`${dir}/log`)).toBe(false);
    });

    it("keeps the command lines a few bytes long however large the scripts are", () => {
        const huge = "x".repeat(300_000);
        const big = stepOnStdin({ key: "k", create: script([`: ${huge}`]), delete: script([`: ${huge}`]) });
        expect(big.length).toBeGreaterThan(600_000);
        expect([RUN_CREATE_PART, RUN_DELETE_PART].map((c) => c.length)).toEqual([12, 12]);
        expect(run(RUN_CREATE_PART, big).status).toBe(0);
    });
});
