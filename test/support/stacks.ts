/** Loads the committed stack files, so tests check the same data users run. */
import * as fs from "fs";
import * as path from "path";

// js-yaml ships with @pulumi/pulumi (which parses stack files with it); no extra dependency.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require("js-yaml") as { load(text: string): unknown };

export const ROOT = path.resolve(__dirname, "../..");

export function stackConfig(stack: string): Record<string, unknown> {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    return doc.config;
}

/** The `pulumi-lvs:cluster` object of a stack, deep-copied so tests can mutate it. */
export function clusterOf(stack: string): Record<string, any> {
    return structuredClone(stackConfig(stack)["pulumi-lvs:cluster"]) as Record<string, any>;
}
