/**
 * The flat identity -> settings map the IpvsTable resource takes as input, so the engine's
 * own diff shows each ipvs entry added, changed or removed:
 *   "-A -t 192.168.13.100:80"                     -> "-s rr"
 *   "-a -t 192.168.13.100:80 -r 192.168.13.112:80" -> "-g -w 1"
 * Keys are canonical entry ids; values are the settings arguments in ipvsadm -S order.
 */
import { IpvsadmUsageError, parseCommand } from "./ipvs-command";
import { destEntryId, normalizeRuleset, serviceEntryId, serviceId } from "./ipvs-model";
import type { IpvsService, Ruleset } from "./ipvs-model";
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

/**
 * The inverse of toEntries: a normalised ruleset. Keys must be canonical ids (as toEntries
 * writes them) and every real server needs its service's entry; throws naming the entry.
 */
export function fromEntries(e: Readonly<Record<string, string>>): Ruleset {
    const services = new Map<string, IpvsService>();
    const dests: { key: string; service: string; parsed: IpvsService["dests"][number] }[] = [];
    for (const key of Object.keys(e).sort()) {
        const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== "");
        const kind = words(key)[0];
        if (kind !== "-A" && kind !== "-a") {
            throw entryError(key, 'the id must start with "-A" (virtual service) or "-a" (real server)');
        }
        let cmd;
        try {
            // Literal ports: entries may record a live local real server, which keeps its port.
            cmd = parseCommand([...words(key), ...words(e[key])], { literalPorts: true });
        } catch (err) {
            if (err instanceof IpvsadmUsageError) throw entryError(key, `${err.message.trim()} (settings "${e[key]}")`);
            throw err;
        }
        if (cmd.cmd === "add-service") {
            const id = serviceEntryId(cmd.key);
            if (id !== key) throw entryError(key, `not a canonical id; write "${id}"`);
            services.set(serviceId(cmd.key), { key: cmd.key, settings: cmd.settings, dests: [] });
        } else if (cmd.cmd === "add-dest") {
            const id = destEntryId(cmd.service, cmd.dest.key);
            if (id !== key) throw entryError(key, `not a canonical id; write "${id}"`);
            dests.push({ key, service: serviceId(cmd.service), parsed: cmd.dest });
        }
    }
    for (const d of dests) {
        const svc = services.get(d.service);
        if (!svc) throw entryError(d.key, `its virtual service has no entry; add "-A ${d.service}"`);
        svc.dests.push(d.parsed);
    }
    return normalizeRuleset({ services: [...services.values()] });
}
