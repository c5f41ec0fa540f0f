/**
 * The engine keeps a dynamic provider's code in state and runs that stored copy for refresh,
 * update and destroy, from whichever checkout runs them. So the stored copy is this loader
 * and nothing else: it captures no path, and at run time it loads the provider runtime of the
 * checkout (or installed package) that the engine runs in. Any clone at any path, and the same
 * clone after its code changed and was rebuilt, can then use the state.
 *
 * The engine starts the provider process in the program's directory (the project, or the
 * directory of Pulumi.yaml's `main`), so the package is looked for from there and above.
 */
import type { Runtime } from "./runtime";

/** The runtime's place in the built package: keep it stable, stacks' state loads it by this path. */
export const RUNTIME_MODULE = "bin/components/providers/runtime.js";
export const PACKAGE_NAME = "pulumi-lvs";

/**
 * The provider runtime of the package the program uses: installed as a dependency of the
 * program, or the checkout the program itself lives in.
 */
export function loadRuntime(): Runtime {
    const path = require("path") as typeof import("path");
    const fs = require("fs") as typeof import("fs");
    const cwd = process.cwd();
    let root: string | undefined;
    try {
        root = path.dirname(require.resolve(`${PACKAGE_NAME}/package.json`, { paths: [cwd] }));
    } catch {
        // Not a dependency: the program is this package's own (cwd is the package's directory or below it).
        for (let dir = cwd; !root; dir = path.dirname(dir)) {
            try {
                if ((JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string }).name === PACKAGE_NAME) root = dir;
            } catch {
                // No package.json here: keep looking upwards.
            }
            if (path.dirname(dir) === dir) break;
        }
    }
    if (!root) throw new Error(`${PACKAGE_NAME}: the package is neither installed for the program in ${cwd} nor a folder above it. Fix: run pulumi in the project directory after npm install.`);
    const file = path.join(root, RUNTIME_MODULE);
    if (!fs.existsSync(file)) throw new Error(`${PACKAGE_NAME}: ${file} is missing. Fix: run \`npm run build\` in ${root}.`);
    return require(file) as Runtime;
}

/**
 * A provider whose every method calls the runtime's `kind` provider. Only `kind` and the
 * loader are captured, so this is all that state stores.
 */
export function runtimeProvider<K extends keyof Runtime>(kind: K): Runtime[K] {
    // One object per kind: the SDK serializes a dynamic provider's code once per provider object
    // (by identity), so a fresh object per resource meant one serialization per host step.
    return (providers[kind] ??= loaderFor(kind)) as Runtime[K];
}

const providers: { [K in keyof Runtime]?: Runtime[K] } = {};

function loaderFor<K extends keyof Runtime>(kind: K): Runtime[K] {
    // Each method looks the runtime up when it runs: the provider process loads it once (require caches it).
    const p = () => loadRuntime()[kind] as Runtime[keyof Runtime];
    return {
        check: async (olds: never, news: never) => p().check(olds, news),
        diff: async (id: string, olds: never, news: never) => p().diff(id, olds, news),
        create: async (inputs: never) => p().create(inputs),
        update: async (id: string, olds: never, news: never) => p().update(id, olds, news),
        delete: async (id: string, props: never) => p().delete(id, props),
        read: async (id: string, props: never) => p().read(id, props),
    } as Runtime[K];
}
