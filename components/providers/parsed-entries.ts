/**
 * Parsed entries maps, remembered by content for the provider process. One `up` hands the
 * provider the same 10,000-entry maps again and again (Check parses the new map, Diff the
 * recorded and the new one, Update both once more), and each parse costs 0.1-0.2 s; a content
 * key costs a tenth of that. The engine hands maps back with their keys in another order,
 * so the key is built from the sorted entries.
 */
import { createHash } from "crypto";
import { fromEntries } from "../core/ipvs/ipvs-entries";
import type { Ruleset } from "../core/ipvs/ipvs-model";

/** The recorded and the desired map of one table, and one spare: a run holds no more at once. */
const KEPT = 3;

function contentKey(entries: Readonly<Record<string, string>>): string {
    const hash = createHash("sha256");
    for (const key of Object.keys(entries).sort()) hash.update(key).update("\0").update(entries[key]).update("\n");
    return hash.digest("hex");
}

/**
 * fromEntries, remembering its last few results. Callers must not change a ruleset they get
 * (nothing does: the plan and the apply work on copies); a map that fails to parse throws
 * each time and is not kept.
 */
export function parsedEntriesCache(): (entries: Readonly<Record<string, string>>) => Ruleset {
    const kept = new Map<string, Ruleset>();
    return (entries) => {
        const key = contentKey(entries);
        const found = kept.get(key);
        if (found) {
            // Most recently used last, so the oldest is the first to go.
            kept.delete(key);
            kept.set(key, found);
            return found;
        }
        const parsed = fromEntries(entries);
        kept.set(key, parsed);
        if (kept.size > KEPT) kept.delete(kept.keys().next().value as string);
        return parsed;
    };
}
