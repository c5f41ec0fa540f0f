/**
 * The layers of docs/architecture.md, enforced: every relative import in components/ and
 * index.ts points down the list below (or stays in its own layer), nothing but the CLI imports
 * the CLI, and the pure layers import no Pulumi, SSH or file system.
 */
import { describe, expect, it } from "vitest";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");

/** Top to bottom. A file may import its own layer or any layer below it. */
const LAYERS: { name: string; holds: (file: string) => boolean }[] = [
    { name: "program", holds: (f) => f === "index.ts" },
    { name: "components", holds: (f) => /^components\/[^/]+\.ts$/.test(f) },
    { name: "parts", holds: (f) => f.startsWith("components/parts/") },
    { name: "cli", holds: (f) => f.startsWith("components/cli/") },
    { name: "providers", holds: (f) => f.startsWith("components/providers/") },
    { name: "core/picture", holds: (f) => f.startsWith("components/core/picture/") },
    { name: "core/keepalived", holds: (f) => f.startsWith("components/core/keepalived/") },
    { name: "core/host", holds: (f) => f.startsWith("components/core/host/") },
    { name: "core/ipvs", holds: (f) => f.startsWith("components/core/ipvs/") },
    { name: "schema", holds: (f) => f.startsWith("components/schema/") },
    { name: "base", holds: (f) => f.startsWith("components/base/") },
];

/** A command layer: it sits on top of what it uses, and nothing else may depend on it. */
const ONLY_IMPORTED_BY_ITSELF = new Set(["cli"]);

/** The pure layers: no engine, no SSH, no I/O (DESIGN.md, "core: pure"). */
const PURE = new Set(["core/picture", "core/keepalived", "core/host", "core/ipvs", "schema", "base"]);
const IMPURE_PACKAGE = /^(@pulumi\/|ssh2$|fs$|child_process$|net$|os$|node:)/;

function layerOf(file: string): number {
    return LAYERS.findIndex((l) => l.holds(file));
}

function libraryFiles(dir: string): string[] {
    return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = `${dir}/${e.name}`;
        if (e.isDirectory()) return libraryFiles(rel);
        return e.name.endsWith(".ts") ? [rel] : [];
    });
}

/** Module specifiers of static imports, re-exports, dynamic imports and string requires. */
function importsOf(source: string): string[] {
    const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    const found: string[] = [];
    const patterns = [/\b(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g, /\b(?:require|import)\(\s*["']([^"']+)["']\s*\)/g];
    for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1]);
    return found;
}

/** The repository path a relative specifier names, or undefined when no such .ts file exists. */
function resolve(from: string, spec: string): string | undefined {
    const base = path.join(path.dirname(from), spec);
    return [`${base}.ts`, `${base}/index.ts`].map((p) => path.normalize(p)).find((p) => fs.existsSync(path.join(ROOT, p)));
}

const FILES = ["index.ts", ...libraryFiles("components")];

describe("layers", () => {
    it("places every library file in a layer", () => {
        expect(FILES.filter((f) => layerOf(f) < 0)).toEqual([]);
    });

    it("points every relative import down the layer list, and nothing but the CLI at the CLI", () => {
        const offences: string[] = [];
        for (const file of FILES) {
            const from = layerOf(file);
            for (const spec of importsOf(fs.readFileSync(path.join(ROOT, file), "utf8")).filter((s) => s.startsWith("."))) {
                const target = resolve(file, spec);
                const to = target === undefined ? -1 : layerOf(target);
                const where = `${file} imports "${spec}"`;
                if (to < 0) offences.push(`${where}: ${target ?? "no such .ts file"} is outside the library's layers`);
                else if (to < from) offences.push(`${where}: ${LAYERS[from].name} may not import ${LAYERS[to].name}, a layer above it`);
                else if (to !== from && ONLY_IMPORTED_BY_ITSELF.has(LAYERS[to].name)) offences.push(`${where}: nothing may import ${LAYERS[to].name}`);
            }
        }
        expect(offences).toEqual([]);
    });

    it("keeps the pure layers free of Pulumi, SSH and I/O", () => {
        const offences = FILES.filter((f) => PURE.has(LAYERS[layerOf(f)]?.name ?? "")).flatMap((file) =>
            importsOf(fs.readFileSync(path.join(ROOT, file), "utf8"))
                .filter((s) => IMPURE_PACKAGE.test(s))
                .map((s) => `${file} imports "${s}"`),
        );
        expect(offences).toEqual([]);
    });

    it("finds imports of every form, so a violation cannot hide", () => {
        const source = ['import type { A } from "../a";', 'import {\n  B,\n} from "./b";', 'export { C } from "../../c";', 'import "./d";', 'const e = require("./e");', "// import { F } from \"./f\";"].join("\n");
        expect(importsOf(source)).toEqual(["../a", "./b", "../../c", "./d", "./e"]);
        expect(resolve("components/core/host/cluster-model.ts", "../../providers/ipvs-table")).toBe("components/providers/ipvs-table.ts");
    });
});
