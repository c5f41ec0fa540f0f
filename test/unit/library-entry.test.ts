/**
 * The library entry other Pulumi programs import (package.json main and exports): what it
 * exports, that importing it reads no stack config and registers no resource, and that its
 * components compose a cluster from plain values.
 */
import { describe, expect, it, vi } from "vitest";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { runUnderMocks } from "../support/mocks";

const ROOT = path.resolve(__dirname, "../..");
const ENTRY = "bin/components/index.js";

describe("the library entry", () => {
    it("is package.json's main, types and exports ('.' and './components'), with package.json (for the provider loader) and bin/ (for the engine's provider code) resolvable", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { main: string; types: string; exports: Record<string, unknown> };
        expect(pkg.main).toBe(ENTRY);
        expect(pkg.types).toBe(ENTRY.replace(/\.js$/, ".d.ts"));
        const entry = { types: `./${pkg.types}`, default: `./${pkg.main}` };
        // bin/* stays open: the engine serializes a dynamic provider that lives in an installed
        // package as a require of its module by package path (pulumi-lvs/bin/.../runtime-loader.js).
        expect(pkg.exports).toEqual({ ".": entry, "./components": entry, "./package.json": "./package.json", "./bin/*": "./bin/*" });
        // The program is Pulumi.yaml's main, a file: given a directory, the Node language host
        // runs the package's own entry (this library, which registers nothing) instead.
        expect(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")).toMatch(/^main: bin\/index\.js$/m);
        expect(fs.existsSync(path.join(ROOT, "components", "index.ts"))).toBe(true);
    });

    it("imports with no side effect: no stack config read, no resource registered", async () => {
        const reads = (["get", "require", "getObject", "requireObject", "getSecret", "requireSecret", "getSecretObject", "requireSecretObject"] as const).map((m) => vi.spyOn(pulumi.Config.prototype, m));
        try {
            vi.resetModules();
            let lib: Record<string, unknown> = {};
            const registered = await runUnderMocks(async () => {
                lib = await import("../../components/index");
            }, true);
            expect(registered).toEqual([]);
            for (const r of reads) expect(r).not.toHaveBeenCalled();
            for (const name of ["VipGroup", "Director", "RealServer", "HaPair", "buildCluster", "parseCluster", "ConfigError"]) expect(typeof lib[name], name).toBe("function");
            for (const name of ["clusterSchema", "vipGroupSchema", "serviceSchema", "directorSchema", "realServerSchema", "haPairSchema", "healthCheckSchema", "hostSchema"]) expect(typeof (lib[name] as { parse?: unknown })?.parse, name).toBe("function");
        } finally {
            for (const r of reads) r.mockRestore();
        }
    });

    it("composes a DR cluster from plain values, as another program would", async () => {
        const lib = await import("../../components/index");
        const key = pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n");
        const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILLOOtmnIaeYpR/ibWEZ2+Fwuk2TBdWrcl9yfFJsZksY";
        const host = (name: string, address: string) => ({ name, spec: { address, ssh: { hostKey } }, privateKey: key });
        const created = await runUnderMocks(() => {
            const web = new lib.VipGroup("web", {
                spec: { name: "web", vips: ["192.0.2.10"], services: [{ protocol: "tcp", port: 80, scheduler: "wrr", realServers: [{ address: "10.0.0.9", weight: 2 }, { address: "10.0.0.10" }] }] },
            });
            new lib.Director("director1", { host: host("director1", "10.0.0.2"), vipGroups: [web] });
            new lib.RealServer("rs9", { host: host("rs9", "10.0.0.9"), vipGroups: [web] });
        }, true);
        const table = created.find((r) => r.type === "pulumi-nodejs:dynamic/lvs:IpvsTable");
        expect(table?.inputs.entries).toEqual({
            "-A -t 192.0.2.10:80": "-s wrr",
            "-a -t 192.0.2.10:80 -r 10.0.0.9:80": "-g -w 2",
            "-a -t 192.0.2.10:80 -r 10.0.0.10:80": "-g -w 1",
        });
        expect(created.some((r) => r.type === "lvs:index:RealServer" && r.name === "rs9")).toBe(true);
    });

    it("refuses a bad value before any resource that reaches a host, naming the field", async () => {
        const lib = await import("../../components/index");
        let error: unknown;
        const created = await runUnderMocks(() => {
            try {
                // @ts-expect-error "fastest" is no scheduler: tsc refuses it, and a JavaScript program gets the refusal at run time.
                new lib.VipGroup("web", { spec: { name: "web", vips: ["192.0.2.10"], services: [{ protocol: "tcp", port: 80, scheduler: "fastest", realServers: [{ address: "10.0.0.9" }] }] } });
            } catch (e) {
                error = e;
            }
        }, true);
        expect(error).toBeInstanceOf(lib.ConfigError);
        expect((error as Error).message).toContain("VipGroup web.services[0].scheduler");
        // Only the component itself (registered by its base constructor) exists: no step, no table.
        expect(created.map((r) => r.type)).toEqual(["lvs:index:VipGroup"]);
    });
});
