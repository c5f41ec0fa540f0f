/**
 * The flat identity -> settings map the IpvsTable resource takes as input, so the engine's
 * own diff shows each ipvs entry added, changed or removed:
 *   "-A -t 192.168.13.100:80"                     -> "-s rr"
 *   "-a -t 192.168.13.100:80 -r 192.168.13.112:80" -> "-g -w 1"
 * Keys are canonical entry ids; values are the settings arguments in ipvsadm -S order.
 */
import { assembleRuleset, type AssemblyWording } from "./entry-lines";
import type { EntryLine } from "./ipvsadm-args";
import { destEntryId, normalizeRuleset, serviceEntryId } from "./ipvs-model";
import type { Ruleset } from "./ipvs-model";
import { destSettingArgs, serviceSettingArgs } from "./ipvs-render";

/** Entries of a ruleset in stable order: each service followed by its real servers. */
export function toEntries(r: Ruleset): Record<string, string> {
    const entries: Record<string, string> = {};
    for (const svc of normalizeRuleset(r).services) {
        entries[serviceEntryId(svc.key)] = serviceSettingArgs(svc.settings).join(" ");
        for (const d of svc.dests) entries[destEntryId(svc.key, d.key)] = destSettingArgs(d.settings).join(" ");
    }
    return entries;
}

function entryError(key: string, reason: string): Error {
    return new Error(`ipvs entry "${key}": ${reason}`);
}

const ENTRY_WORDING: AssemblyWording = {
    notAnEntry: 'the id must start with "-A" (virtual service) or "-a" (real server)',
    orphan: (service) => `its virtual service has no entry; add "-A ${service}"`,
};

/** An entry's id must be the canonical one toEntries writes, or two spellings would be two entries. */
function canonicalIdCheck(key: string) {
    return (line: EntryLine): string | undefined => {
        const id = line.cmd === "add-service" ? serviceEntryId(line.key) : destEntryId(line.service, line.dest.key);
        return id === key ? undefined : `not a canonical id; write "${id}"`;
    };
}

/**
 * The inverse of toEntries: a normalised ruleset. Keys must be canonical ids (as toEntries
 * writes them) and every real server needs its service's entry; throws naming the entry.
 */
export function fromEntries(e: Readonly<Record<string, string>>): Ruleset {
    const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== "");
    // Sorted, every "-A" key comes before every "-a" key, so services precede their real servers.
    const lines = Object.keys(e)
        .sort()
        .map((key) => ({ words: [...words(key), ...words(e[key])], fail: (reason: string) => entryError(key, reason), context: `settings "${e[key]}"`, check: canonicalIdCheck(key) }));
    // Literal ports: entries may record a live local real server, which keeps its port.
    return assembleRuleset(lines, ENTRY_WORDING, { literalPorts: true });
}
