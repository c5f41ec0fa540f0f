/** Turns zod issues into errors that name the field path, the reason and the fix. */
import type { z } from "zod";

/** A config error raised before any host is touched. `issues` are "path: reason" lines. */
export class ConfigError extends Error {
    constructor(readonly issues: string[]) {
        super(`invalid LVS config:\n  - ${issues.join("\n  - ")}`);
        this.name = "ConfigError";
    }
}

/** "cluster.vipGroups[0].services[1].port" from a zod path. */
export function formatPath(root: string, path: ReadonlyArray<PropertyKey>): string {
    return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : `${acc}.${String(key)}`), root);
}

export function issueLines(root: string, error: z.ZodError): string[] {
    return error.issues.map((issue) => `${formatPath(root, issue.path)}: ${issue.message}`);
}
