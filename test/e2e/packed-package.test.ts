/**
 * Issue 14, the library as another program uses it, with the real engine on the lab: this
 * package packed by `npm pack`, installed by npm into a Pulumi program of its own outside the
 * repository (TypeScript, its own package.json, tsconfig, Pulumi.yaml and project name),
 * compiled by its own tsc against the installed package's types, which composes a DR cluster
 * from VipGroup, Director and RealServer. The real servers' addresses are the outputs of
 * another resource of that program (a Machine, standing in for the VM resource a real program
 * would take them from), so they are unknown in the first preview and known from then on.
 * Its preview must pass with them unknown, its `up` must serve the VIP from both real
 * servers with the installed package's runtime (not this checkout's), a bad address from an
 * output must fail the preview naming the field, and its destroy must leave the table empty.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clientGetMany, onHostOk, readLabHosts, up } from "../lab/lab";
import { pulumi, pulumiOk, report, ROOT } from "./support/engine";
import { VIP, labStackHosts, liveEntries, tally } from "./support/lab-stack";
import { runProcess } from "../support/process";
import { webCommand } from "./support/keepalived-lab";

const STACK = "e2e-packed";
const PROJECT = "lvs-consumer";
/** Set for a run whose rs2 address, an output, is not an address. */
const BAD_ADDRESS = "LVS_CONSUMER_BAD_ADDRESS";

/** The other program, in TypeScript: its tsc checks it against the installed package's declarations. */
const PROGRAM = `import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { VipGroup, Director, RealServer, type HostInput } from "pulumi-lvs";

interface Lab {
    hosts: Record<string, { address: string; ssh: Record<string, unknown> }>;
    keyFile: string;
    vip: string;
}
const lab = JSON.parse(fs.readFileSync(\`\${__dirname}/../lab.json\`, "utf8")) as Lab;
const key = pulumi.secret(fs.readFileSync(lab.keyFile, "utf8"));

/** A machine resource whose output is its address, as a VM resource would report it once created. */
const machines: pulumi.dynamic.ResourceProvider = {
    async create(inputs: { address: string }) {
        return { id: inputs.address, outs: { address: inputs.address } };
    },
};
class Machine extends pulumi.dynamic.Resource {
    declare readonly address: pulumi.Output<string>;
    constructor(name: string, address: string) {
        super(machines, name, { address }, {});
    }
}

const names = ["rs1", "rs2"];
const made = new Map(names.map((n) => [n, new Machine(\`\${n}-machine\`, lab.hosts[n].address)]));
const bad = process.env.${BAD_ADDRESS} === "1";
const addressOf = (n: string): pulumi.Output<string> => {
    const address = made.get(n)!.address;
    return bad && n === "rs2" ? address.apply((a) => \`\${a}9\`) : address;
};
const host = (name: string, address?: pulumi.Output<string>): HostInput => ({ name, spec: { ...lab.hosts[name], ...(address ? { address } : {}) }, privateKey: key });

const web = new VipGroup("web", {
    spec: { name: "web", vips: [lab.vip], services: [{ protocol: "tcp", port: 80, scheduler: "rr", realServers: names.map((n) => ({ host: n })) }] },
    hosts: Object.fromEntries(names.map((n) => [n, { address: addressOf(n) }])),
});
const realServers = names.map((n) => new RealServer(n, { host: host(n, addressOf(n)), vipGroups: [web] }));
const director = new Director("director1", { host: host("director1"), vipGroups: [web], realServers });
export const entries = director.entries;
// Which copy of pulumi-lvs this program loaded: the installed one, not the repository.
export const library = require.resolve("pulumi-lvs");
`;

/**
 * Strict, as zod asks of its users; esModuleInterop because zod 4's declarations (which this
 * package's types reach through its schemas) default-import CommonJS modules: without it, or
 * skipLibCheck, tsc fails in zod's locales (README, "As a library").
 */
const TSCONFIG = { compilerOptions: { target: "ES2022", module: "commonjs", strict: true, esModuleInterop: true, outDir: "bin", rootDir: ".", types: ["node"] }, files: ["index.ts"] };

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
        const dev = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
        fs.writeFileSync(
            path.join(dir, "package.json"),
            JSON.stringify(
                {
                    name: PROJECT,
                    private: true,
                    main: "bin/index.js",
                    dependencies: { "pulumi-lvs": `file:${tarball}`, "@pulumi/pulumi": ours.dependencies["@pulumi/pulumi"] },
                    devDependencies: { typescript: dev.devDependencies.typescript, "@types/node": dev.devDependencies["@types/node"] },
                },
                null,
                2,
            ),
        );
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${PROJECT}\nruntime: nodejs\nmain: bin/index.js\n`);
        fs.writeFileSync(path.join(dir, "index.ts"), PROGRAM);
        fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
        fs.writeFileSync(path.join(dir, "lab.json"), JSON.stringify({ hosts: labStackHosts(), keyFile: readLabHosts().privateKeyPath, vip: VIP }));
        const installed = await runProcess("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: dir, env: process.env, timeoutMs: 600_000 });
        expect(installed.code, installed.stderr.slice(-3000)).toBe(0);
        const compiled = await runProcess(path.join(dir, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], { cwd: dir, timeoutMs: 300_000 });
        expect(compiled.code, compiled.stdout.slice(-3000)).toBe(0);
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

    it("its preview passes with the machines' addresses unknown; its up serves the VIP from both real servers, with the installed copy", async () => {
        const preview = await pulumiOk(["preview", "--stack", STACK], inProgram);
        expect(preview.stdout).toMatch(/\+\s+pulumi-nodejs:dynamic:Resource\s+rs2-machine\s+create/);
        expect(preview.stdout).toMatch(/\+\s+pulumi-nodejs:dynamic\/lvs:IpvsTable\s+director1-director-ipvs\s+create/);

        await pulumiOk(["up", "--yes", "--skip-preview", "--stack", STACK], inProgram);
        const outputs = JSON.parse((await pulumiOk(["stack", "output", "--json", "--stack", STACK], inProgram)).stdout) as { entries: Record<string, string>; library: string };
        expect(fs.realpathSync(outputs.library)).toBe(fs.realpathSync(path.join(dir, "node_modules", "pulumi-lvs", "bin", "components", "index.js")));
        const hosts = labStackHosts() as Record<string, { address: string }>;
        expect(Object.keys(outputs.entries).filter((k) => k.startsWith("-a ")).sort()).toEqual(["rs1", "rs2"].map((n) => `-a -t ${VIP}:80 -r ${hosts[n].address}:80`).sort());
        expect(await liveEntries("director1")).toEqual(outputs.entries);
        // The real servers were built from the machines' outputs: each holds the VIP on lo.
        for (const rs of ["rs1", "rs2"] as const) expect(await onHostOk(rs, "ip -4 -o addr show dev lo"), rs).toContain(`${VIP}/32`);

        const answers = tally(await clientGetMany(VIP, 8));
        expect(answers.FAILED).toBeUndefined();
        expect(Object.keys(answers).sort()).toEqual(["rs1", "rs2"]);
        // A no-op preview: the outputs are known now, and the installed package's providers find nothing to change.
        await pulumiOk(["preview", "--expect-no-changes", "--stack", STACK], inProgram);
    });

    it("a bad address from an output fails the preview naming the field, the reason and the fix, with no stack trace and the table untouched", async () => {
        const before = await liveEntries("director1");
        const r = await pulumi(["preview", "--stack", STACK], { ...inProgram, env: { [BAD_ADDRESS]: "1" } });
        report("preview with a bad address from an output, to its refusal", r.seconds);
        // It took 75 s while the refusal carried a stack (see refusalAsRunError); a normal preview here takes a few seconds.
        expect(r.seconds).toBeLessThan(30);
        const text = `${r.stdout}\n${r.stderr}`;
        expect(r.code, text).not.toBe(0);
        // The group's address book and the real server's host both take the output; each refuses it.
        expect(text).toMatch(/VipGroup web\.hosts\.rs2\.address: "[0-9.]+9" is not an IPv4 or IPv6 address\. Fix: /);
        expect(text).toMatch(/RealServer rs2\.host\.address: "[0-9.]+9" is not an IPv4 or IPv6 address\. Fix: /);
        expect(text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
        expect(await liveEntries("director1")).toEqual(before);
    });

    it("its destroy empties the director's table", async () => {
        await pulumiOk(["destroy", "--yes", "--skip-preview", "--stack", STACK], inProgram);
        expect(await liveEntries("director1")).toEqual({});
    });
});
