/**
 * From `-A` / `-a` lines to a ruleset: the one assembly loop behind parseSave (`ipvsadm -S`
 * output) and fromEntries (IpvsTable's entries). Each caller says where a line came from and
 * words its refusals; the loop refuses the same things for both.
 */
import { parseEntryLine, type ArgsOptions, type EntryLine } from "./ipvsadm-args";
import { IpvsadmUsageError } from "./ipvsadm-tokens";
import { destId, normalizeRuleset, serviceId } from "./ipvs-model";
import type { IpvsService, Ruleset } from "./ipvs-model";

/** One line to read, with how to report a refusal of it. */
export interface SourceLine {
    words: string[];
    /** An error for this line, naming where it came from, for `reason`. */
    fail(reason: string): Error;
    /** Appended in parentheses to ipvsadm's own refusal of the line (e.g. the entry's settings). */
    context?: string;
    /** A further check on the parsed line; returns a reason to refuse it. */
    check?(line: EntryLine): string | undefined;
}

/** How a source words the refusals the loop makes. */
export interface AssemblyWording {
    /** A line that is neither -A nor -a. */
    notAnEntry: string;
    /** A real server whose service no earlier line defined. */
    orphan(serviceId: string): string;
}

/**
 * A normalised ruleset from the lines, in order: each real server after its service, each
 * service and real server once. Throws the line's own error on the first refusal.
 */
export function assembleRuleset(lines: Iterable<SourceLine>, wording: AssemblyWording, opts: ArgsOptions): Ruleset {
    const services = new Map<string, IpvsService>();
    for (const line of lines) {
        if (line.words[0] !== "-A" && line.words[0] !== "-a") throw line.fail(wording.notAnEntry);
        let parsed: EntryLine;
        try {
            parsed = parseEntryLine(line.words, opts);
        } catch (e) {
            if (e instanceof IpvsadmUsageError) throw line.fail(`${e.message.trim()}${line.context ? ` (${line.context})` : ""}`);
            throw e;
        }
        const refused = line.check?.(parsed);
        if (refused !== undefined) throw line.fail(refused);
        if (parsed.cmd === "add-service") {
            const id = serviceId(parsed.key);
            if (services.has(id)) throw line.fail(`service ${id} listed twice`);
            services.set(id, { key: parsed.key, settings: parsed.settings, dests: [] });
            continue;
        }
        const svc = services.get(serviceId(parsed.service));
        if (!svc) throw line.fail(wording.orphan(serviceId(parsed.service)));
        const id = destId(parsed.service, parsed.dest.key);
        if (svc.dests.some((d) => destId(svc.key, d.key) === id)) throw line.fail(`real server ${id} listed twice`);
        svc.dests.push(parsed.dest);
    }
    return normalizeRuleset({ services: [...services.values()] });
}
