/**
 * The arptables step, run for real by /bin/sh against a sandbox whose `arptables` is a stub
 * (test/support/arptables-stub.sh) keeping chains and rules in files and logging each call.
 * Shows that create is idempotent, that it leaves the operator's rules in the built-in chains
 * alone, and that delete removes our jumps and chains only.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { arptablesStep } from "../../components/core/host/render-arptables";

const FOREIGN = "INPUT|-s 10.0.0.9 -j DROP";
let root: string;
const st = (f: string) => path.join(root, "state", f);
const read = (f: string) => (fs.existsSync(st(f)) ? fs.readFileSync(st(f), "utf8") : "");
const snapshot = () => ({ chains: read("chains"), rules: read("rules") });

function run(text: string): void {
    execFileSync("/bin/sh", ["-c", text], { env: { PATH: `${root}/bin:/usr/bin:/bin`, ST: path.join(root, "state") }, stdio: ["ignore", "pipe", "pipe"] });
}

const step = arptablesStep(["192.168.13.100", "192.168.13.101"], "192.168.13.112", "rs1");

beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "arptables-step-"));
    for (const d of ["bin", "state"]) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.copyFileSync(path.join(__dirname, "../support/arptables-stub.sh"), path.join(root, "bin", "arptables"));
    fs.chmodSync(path.join(root, "bin", "arptables"), 0o755);
    fs.writeFileSync(st("chains"), "INPUT\nOUTPUT\nFORWARD\n");
    fs.writeFileSync(st("rules"), `${FOREIGN}\n`);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe("arptables step", () => {
    it("hooks our chains first in INPUT and OUTPUT, with one rule per VIP in each", () => {
        run(step.create);
        expect(snapshot()).toEqual({
            chains: "INPUT\nOUTPUT\nFORWARD\npulumi-lvs-in\npulumi-lvs-out\n",
            rules: [
                "OUTPUT|-j pulumi-lvs-out",
                "INPUT|-j pulumi-lvs-in",
                FOREIGN,
                "pulumi-lvs-in|-d 192.168.13.100 -j DROP",
                "pulumi-lvs-in|-d 192.168.13.101 -j DROP",
                "pulumi-lvs-out|-s 192.168.13.100 -j mangle --mangle-ip-s 192.168.13.112",
                "pulumi-lvs-out|-s 192.168.13.101 -j mangle --mangle-ip-s 192.168.13.112",
                "",
            ].join("\n"),
        });
    });

    it("run twice leaves the table as run once", () => {
        run(step.create);
        const once = snapshot();
        run(step.create);
        expect(snapshot()).toEqual(once);
        // The second run flushes and refills our chains and adds no jump.
        expect(read("log").split("\n").filter((l) => l.startsWith("-I "))).toEqual(["-I INPUT 1 -j pulumi-lvs-in", "-I OUTPUT 1 -j pulumi-lvs-out"]);
    });

    it("takes a VIP out of our chains when the stack drops it", () => {
        run(step.create);
        run(arptablesStep(["192.168.13.100"], "192.168.13.112", "rs1").create);
        expect(read("rules")).not.toContain("192.168.13.101");
        expect(read("rules")).toContain("pulumi-lvs-in|-d 192.168.13.100 -j DROP");
    });

    it("delete removes our jumps and chains and keeps the operator's rule", () => {
        run(step.create);
        run(step.delete);
        expect(snapshot()).toEqual({ chains: "INPUT\nOUTPUT\nFORWARD\n", rules: `${FOREIGN}\n` });
        const log = read("log").split("\n");
        expect(log.filter((l) => /^-[FX] /.test(l)).map((l) => l.split(" ")[1])).not.toContain("INPUT");
        expect(log.filter((l) => /^-[FX] /.test(l)).map((l) => l.split(" ")[1])).not.toContain("OUTPUT");
    });

    it("delete is safe when create never ran, and when arptables is not installed", () => {
        run(step.delete);
        expect(snapshot()).toEqual({ chains: "INPUT\nOUTPUT\nFORWARD\n", rules: `${FOREIGN}\n` });
        fs.rmSync(path.join(root, "bin", "arptables"));
        run(step.delete);
    });
});
