/**
 * What the engine stores in state for our dynamic providers: the loader only, with no path of
 * the checkout in it. Evaluated the way the engine's provider process does (require-from-string
 * in the program's directory), it loads the runtime of whichever package sits there: a checkout
 * at any path, or the package installed as a dependency of another program.
 */
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { RUNTIME_MODULE, runtimeProvider } from "../../components/providers/runtime-loader";

const ROOT = path.resolve(__dirname, "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lvs-loader-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function storedText(kind: "ipvsTable" | "remoteStep"): Promise<string> {
    const provider = runtimeProvider(kind);
    return (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
}

/** A package dir whose runtime answers diff with a marker naming the package. */
function fakePackage(dir: string, name: string, marker: string): void {
    fs.mkdirSync(path.join(dir, path.dirname(RUNTIME_MODULE)), { recursive: true });
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name }));
    const method = `async (...a) => ({ marker: ${JSON.stringify(marker)}, args: a.length })`;
    fs.writeFileSync(path.join(dir, RUNTIME_MODULE), `for (const k of ["ipvsTable", "remoteStep"]) exports[k] = { check: ${method}, diff: ${method}, create: ${method}, update: ${method}, delete: ${method}, read: ${method} };\n`);
}

/** Runs the stored text as the engine's provider process does, in `cwd`, and calls diff. */
function runStored(text: string, cwd: string): { ok: boolean; out: string } {
    const file = path.join(tmp, "stored.js");
    fs.writeFileSync(file, text);
    const script = `const m = require(${JSON.stringify(file)}); m.handler().diff("id", {}, {}).then((r) => console.log(JSON.stringify(r)), (e) => { console.log("ERROR " + e.message); });`;
    const out = execFileSync(process.execPath, ["-e", script], { cwd, encoding: "utf8" }).trim();
    return { ok: !out.startsWith("ERROR"), out };
}

describe("the provider code kept in state", () => {
    it("holds no path of this checkout, for either provider", async () => {
        for (const kind of ["ipvsTable", "remoteStep"] as const) {
            const text = await storedText(kind);
            expect(text).toContain(RUNTIME_MODULE);
            expect(text).not.toContain(ROOT);
            expect(text).not.toMatch(/__dirname|__filename/);
        }
    });

    it("is one provider object per kind, so the SDK serialises it once per program and not once per resource", () => {
        expect(runtimeProvider("remoteStep")).toBe(runtimeProvider("remoteStep"));
        expect(runtimeProvider("ipvsTable")).toBe(runtimeProvider("ipvsTable"));
        expect(runtimeProvider("ipvsTable")).not.toBe(runtimeProvider("remoteStep"));
    });

    it("is the same text whichever checkout serialises it (a second clone stores what the first did)", async () => {
        expect(await storedText("ipvsTable")).toBe(await storedText("ipvsTable"));
    });

    it("loads the runtime of the checkout it runs in, at any path, from the program's main directory (bin/) as the engine starts it", async () => {
        const text = await storedText("ipvsTable");
        for (const where of ["clone-a", "elsewhere/clone-b"]) {
            const dir = path.join(tmp, where);
            fakePackage(dir, "pulumi-lvs", where);
            for (const cwd of [path.join(dir, "bin"), dir]) expect(runStored(text, cwd)).toEqual({ ok: true, out: JSON.stringify({ marker: where, args: 3 }) });
        }
    });

    it("loads the installed package when another program uses it as a library", async () => {
        const program = path.join(tmp, "other-program");
        fs.mkdirSync(program, { recursive: true });
        fs.writeFileSync(path.join(program, "package.json"), JSON.stringify({ name: "my-infra" }));
        fakePackage(path.join(program, "node_modules", "pulumi-lvs"), "pulumi-lvs", "installed");
        expect(runStored(await storedText("remoteStep"), program).out).toBe(JSON.stringify({ marker: "installed", args: 3 }));
    });

    it("says what to do when the package is not built or not there", async () => {
        const text = await storedText("ipvsTable");
        const unbuilt = path.join(tmp, "unbuilt");
        fs.mkdirSync(unbuilt, { recursive: true });
        fs.writeFileSync(path.join(unbuilt, "package.json"), JSON.stringify({ name: "pulumi-lvs" }));
        expect(runStored(text, unbuilt).out).toMatch(/is missing\. Fix: run `npm run build`/);
        const nowhere = path.join(tmp, "nowhere");
        fs.mkdirSync(nowhere, { recursive: true });
        expect(runStored(text, nowhere).out).toMatch(/neither installed for the program in .* nor a folder above it\. Fix: run pulumi in the project directory/);
    });
});
