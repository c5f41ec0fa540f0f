/**
 * Issue 14, the library as another program uses it, with the real engine on the lab: this
 * package packed by `npm pack`, installed by npm into a Pulumi program of its own outside the
 * repository (its own package.json, Pulumi.yaml and project name), which composes a DR cluster
 * from VipGroup, Director and RealServer. Its `up` must serve the VIP from both real servers,
 * its dynamic providers must load the installed package's runtime (not this checkout's), and
 * its destroy must leave the director's table empty.
 *
 * Not yet: settings as pulumi.Inputs, so a real server's address cannot come from another
 * resource's output; this program passes plain values.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clientGetMany, onHostOk, readLabHosts, up } from "../lab/lab";
import { pulumi, pulumiOk, ROOT } from "./support/engine";
import { VIP, labStackHosts, liveEntries, tally } from "./support/lab-stack";
import { runProcess } from "../support/process";
import { webCommand } from "./support/keepalived-lab";

const STACK = "e2e-packed";
const PROJECT = "lvs-consumer";

/** The other program: plain JavaScript, so it needs no compiler of its own. */
const PROGRAM = `"use strict";
const fs = require("fs");
const pulumi = require("@pulumi/pulumi");
const { VipGroup, Director, RealServer } = require("pulumi-lvs");

const lab = JSON.parse(fs.readFileSync(__dirname + "/lab.json", "utf8"));
const key = pulumi.secret(fs.readFileSync(lab.keyFile, "utf8"));
const host = (name) => ({ name, spec: lab.hosts[name], privateKey: key });

const web = new VipGroup("web", {
    spec: { name: "web", vips: [lab.vip], services: [{ protocol: "tcp", port: 80, scheduler: "rr", realServers: ["rs1", "rs2"].map((n) => ({ address: lab.hosts[n].address })) }] },
});
const realServers = ["rs1", "rs2"].map((n) => new RealServer(n, { host: host(n), vipGroups: [web] }));
const director = new Director("director1", { host: host("director1"), vipGroups: [web], realServers });
exports.entries = director.entries;
// Which copy of pulumi-lvs this program loaded: the installed one, not the repository.
exports.library = require.resolve("pulumi-lvs");
`;

let dir = "";
const inProgram = { cwd: "", timeoutMs: 900_000 };

describe.sequential("the packed package, installed into a Pulumi program of its own", () => {
    beforeAll(async () => {
        await up();
        await Promise.all((["rs1", "rs2"] as const).map((rs) => onHostOk(rs, webCommand(true))));
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvs-consumer-"));
        inProgram.cwd = dir;
        const packed = await runProcess("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT, timeoutMs: 300_000 });
        expect(packed.code, packed.stderr).toBe(0);
        const tarball = path.join(dir, packed.stdout.trim().split("\n").pop()!);
        const ours = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
        fs.writeFileSync(
            path.join(dir, "package.json"),
            JSON.stringify({ name: PROJECT, private: true, main: "index.js", dependencies: { "pulumi-lvs": `file:${tarball}`, "@pulumi/pulumi": ours.dependencies["@pulumi/pulumi"] } }, null, 2),
        );
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\nmain: index.js\n`);
        fs.writeFileSync(path.join(dir, "index.js"), PROGRAM);
        fs.writeFileSync(path.join(dir, "lab.json"), JSON.stringify({ hosts: labStackHosts(), keyFile: readLabHosts().privateKeyPath, vip: VIP }));
        const installed = await runProcess("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: dir, env: process.env, timeoutMs: 600_000 });
        expect(installed.code, installed.stderr.slice(-3000)).toBe(0);
        await pulumi(["stack", "rm", "--yes", "--force", "--stack", STACK], inProgram);
        await pulumiOk(["stack", "init", STACK], inProgram);
    });

    afterAll(async () => {
        if (!dir) return;
        const down = await pulumi(["destroy", "--yes", "--skip-preview", "--stack", STACK], inProgram);
        if (down.code !== 0) console.log(`[cleanup] destroy exited ${down.code}:\n${down.stdout.slice(-2000)}\n${down.stderr.slice(-2000)}`);
        await pulumi(["stack", "rm", "--yes", "--force", "--stack", STACK], inProgram);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("is a package: the library entry, the runtime and the program, without the repository's sources or tests", () => {
        const installed = path.join(dir, "node_modules", "pulumi-lvs");
        expect(fs.lstatSync(installed).isSymbolicLink()).toBe(false);
        for (const f of ["bin/components/index.js", "bin/components/index.d.ts", "bin/components/providers/runtime.js", "package.json"]) expect(fs.existsSync(path.join(installed, f)), f).toBe(true);
        for (const f of ["components", "test", "index.ts", "lab"]) expect(fs.existsSync(path.join(installed, f)), f).toBe(false);
    });

    it("its up serves the VIP from both real servers, with the installed copy; its destroy empties the director's table", async () => {
        await pulumiOk(["up", "--yes", "--skip-preview", "--stack", STACK], inProgram);
        const outputs = JSON.parse((await pulumiOk(["stack", "output", "--json", "--stack", STACK], inProgram)).stdout) as { entries: Record<string, string>; library: string };
        expect(fs.realpathSync(outputs.library)).toBe(fs.realpathSync(path.join(dir, "node_modules", "pulumi-lvs", "bin", "components", "index.js")));
        expect(Object.keys(outputs.entries).filter((k) => k.startsWith("-a "))).toHaveLength(2);
        expect(await liveEntries("director1")).toEqual(outputs.entries);

        const answers = tally(await clientGetMany(VIP, 8));
        expect(answers.FAILED).toBeUndefined();
        expect(Object.keys(answers).sort()).toEqual(["rs1", "rs2"]);

        // A no-op preview: the installed package's providers find nothing to change.
        await pulumiOk(["preview", "--expect-no-changes", "--stack", STACK], inProgram);
        await pulumiOk(["destroy", "--yes", "--skip-preview", "--stack", STACK], inProgram);
        expect(await liveEntries("director1")).toEqual({});
    });
});
