/** The one way config is validated: a schema, a root for the field paths, a ConfigError on failure. */
import type { z } from "zod";
import { ConfigError, issueLines } from "../base/errors";

/** The parsed value (defaults applied, addresses canonical), or a ConfigError naming every bad field under `root`. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, root: string): z.infer<S> {
    const r = schema.safeParse(input);
    if (!r.success) throw new ConfigError(issueLines(root, r.error));
    return r.data;
}
