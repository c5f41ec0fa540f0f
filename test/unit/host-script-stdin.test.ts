/**
 * Host scripts reach the host on stdin (`sh -s`), so every command inside one runs with stdin
 * closed: a command that reads stdin must not eat the lines after it. Shown in a sandbox with
 * the real install step and a package manager stub that reads until EOF, under sh (dash) and
 * bash (which reads its script a byte at a time, so a reader finds the rest waiting), through
 * both runners; and for every step of every stack, as the components register them.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installStep } from "../../components/core/host/render-director";
import { RUN_CREATE_PART, stepOnStdin } from "../../components/core/host/step-on-stdin";
import { buildCluster } from "../../components/cluster";
import { parseCluster } from "../../components/schema/cluster";
import { reveal, runUnderMocks } from "../support/mocks";
import { clusterOf } from "../support/stacks";
import { tunCluster } from "../support/tun-cluster";

let root: string;
beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "host-stdin-"));
    for (const d of ["bin", "state", "etc", "sys/module"]) fs.mkdirSync(path.join(root, d), { recursive: true });
    const stub = (name: string, body: string) => fs.writeFileSync(path.join(root, "bin", name), `#!/bin/sh\necho "${name} $*" >> "$ST/log"\n${body}\n`, { mode: 0o755 });
    // Every package manager the install step may call reads all of its stdin, as a prompt or a pipe reader would.
    for (const pm of ["apt-get", "dnf", "yum"]) stub(pm, `/bin/cat >> "$ST/${pm}.stdin"`);
    stub("modprobe", "");
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const st = (name: string) => path.join(root, "state", name);
const moved = (text: string) => text.replace(/\/etc\//g, `${root}/etc/`).replace(/\/sys\/module\//g, `${root}/sys/module/`);

/** What a runner does on the host: the command line, with the script on stdin. */
function run(shell: string, args: string[], stdin: string): number | null {
    const r = spawnSync(shell, args, { input: stdin, encoding: "utf8", env: { PATH: `${root}/bin:/usr/bin:/bin`, ST: path.join(root, "state") } });
    return r.status;
}

const install = () => installStep([{ command: "pulumi-lvs-test-absent", pkg: "ipvsadm" }], ["ip_vs"], "director");
const MODULES_FILE = "etc/modules-load.d/pulumi-lvs-director.conf";

describe("a command inside a host script that reads stdin", () => {
    const runners: [string, (create: string) => number | null][] = [
        ["sh -s (RemoteStep)", (create) => run("/bin/sh", ["-s"], create)],
        ["bash -s", (create) => run("bash", ["-s"], create)],
        [`${RUN_CREATE_PART} (pulumi-command)`, (create) => run("/bin/sh", ["-c", RUN_CREATE_PART], stepOnStdin({ key: "install", create, delete: "true\n" }))],
    ];

    it.each(runners)("reads nothing under %s, and the script still runs the lines after it", (_runner, runScript) => {
        expect(runScript(moved(install().create))).toBe(0);
        const log = fs.readFileSync(st("log"), "utf8");
        expect(log).toBe("apt-get install -y -q ipvsadm\nmodprobe ip_vs\n");
        expect(fs.readFileSync(st("apt-get.stdin"), "utf8")).toBe("");
        expect(fs.readFileSync(path.join(root, MODULES_FILE), "utf8")).toBe("ip_vs\n");
    });

    it("would eat the rest of the script without the group's closed stdin (what the test above rules out)", () => {
        const lines = moved(install().create).split("\n");
        expect(lines.slice(0, 2)).toEqual(["set -eu", "{"]);
        expect(lines.slice(-2)).toEqual(["} </dev/null", ""]);
        const open = [lines[0], ...lines.slice(2, -2), ""].join("\n");
        expect(run("bash", ["-s"], open)).toBe(0);
        expect(fs.readFileSync(st("apt-get.stdin"), "utf8")).toContain("modules-load.d");
        expect(fs.existsSync(path.join(root, MODULES_FILE))).toBe(false);
    });
});

/** Every RemoteStep script the components register for a cluster. */
async function stepScripts(cluster: Record<string, any>): Promise<[string, string][]> {
    const rs = await runUnderMocks(() => void buildCluster(parseCluster(cluster), pulumi.secret("key")), false);
    const scripts: [string, string][] = [];
    for (const r of rs.filter((x) => x.type.endsWith(":RemoteStep"))) {
        const inputs = reveal(r.inputs) as Record<string, string>;
        for (const part of ["create", "update", "delete"]) scripts.push([`${r.name} ${part}`, inputs[part]]);
    }
    return scripts;
}

describe("every host script of every stack", () => {
    const clusters: [string, () => Record<string, any>][] = [
        ...["seed-000", "seed-001", "seed-002", "seed-004"].map((s): [string, () => Record<string, any>] => [s, () => clusterOf(s)]),
        ["tun (ipip, gue, gre)", () => tunCluster([{ type: "ipip" }, { type: "gue", port: 5555 }, { type: "gre" }])],
        [
            "seed-000 with arptables",
            () => {
                const c = clusterOf("seed-000");
                c.realServers[0].arpMethod = "arptables";
                return c;
            },
        ],
        [
            "seed-002 with a handback (preemptDelay)",
            () => {
                const c = clusterOf("seed-002");
                c.haPairs[0].preemptDelay = 30;
                return c;
            },
        ],
    ];

    it.each(clusters)("%s: runs its commands in one group with stdin closed, and /bin/sh parses it", async (name, cluster) => {
        const scripts = await stepScripts(cluster());
        expect(scripts.length).toBeGreaterThan(0);
        if (name.includes("arptables")) expect(scripts.map(([what]) => what)).toContain("rs1-realserver-arptables create");
        if (name.includes("handback")) expect(scripts.some(([what]) => what.includes("keepalived-handback"))).toBe(true);
        for (const [what, text] of scripts) {
            // A script with no commands has no group: an empty one is a syntax error.
            expect(text, what).toMatch(/^set -eu\n(\{\n[\s\S]*\n\} <\/dev\/null\n)?$/);
            const parsed = spawnSync("/bin/sh", ["-n"], { input: text, encoding: "utf8" });
            expect(parsed.status, `${what}: ${parsed.stderr}`).toBe(0);
        }
    });
});
