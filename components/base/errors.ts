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
    return error.issues.map((issue) => `${formatPath(root, issue.path)}: ${withFix(issue)}`);
}

const UNIT: Record<string, string> = { string: " characters", array: " items", set: " items" };

/**
 * Our own messages carry their fix; zod's built-in ones ("Too big: expected number to be <=99")
 * get one from the issue's own data, so every line says what to write instead.
 */
function withFix(issue: z.ZodError["issues"][number]): string {
    if (issue.message.includes("Fix:")) return issue.message;
    const fix = ((): string => {
        switch (issue.code) {
            case "too_big":
                return `use at most ${String(issue.maximum)}${UNIT[issue.origin] ?? ""}${issue.inclusive === false ? " (exclusive)" : ""}`;
            case "too_small":
                return `use at least ${String(issue.minimum)}${UNIT[issue.origin] ?? ""}${issue.inclusive === false ? " (exclusive)" : ""}`;
            case "invalid_type":
                return issue.expected === "int" ? "use a whole number" : `give a ${issue.expected}`;
            case "invalid_value":
                return `use one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
            case "unrecognized_keys":
                return "remove it, or correct its spelling (README, Config reference, lists every field)";
            case "invalid_format":
                return "write the value in that form";
            default:
                return "correct the value as the message says (README, Config reference)";
        }
    })();
    return `${issue.message.replace(/\.$/, "")}. Fix: ${fix}.`;
}
