/**
 * Renders the model as ipvsadm arguments and as `-R` text. Arguments come out as
 * argv arrays; quoting for a shell is the caller's business (components/base/shell-quote.ts).
 * The argv builders print what they are given: pass normalised entries (normalizeRuleset,
 * or ops from planChanges) so flag names and addresses are canonical.
 */
import { formatAddrPort } from "../../base/address";
import { normalizeRuleset, serviceKeyArgs } from "./ipvs-model";
import type { DestSettings, IpvsDest, IpvsService, Ruleset, ServiceKey, ServiceSettings } from "./ipvs-model";

const FORWARDING_SWITCH = { dr: "-g", nat: "-m", tun: "-i" } as const;

/**
 * Settings of a service in the order `ipvsadm -S` prints them:
 * `-s SCHED [-p T [-M MASK]] [--pe PE] [-o] [-b FLAGS]`. The family is not needed: the
 * netmask is stored in the family's canonical form.
 */
export function serviceSettingArgs(s: ServiceSettings): string[] {
    const args = ["-s", s.scheduler];
    if (s.persistence) {
        args.push("-p", String(s.persistence.timeout));
        if (s.persistence.netmask !== undefined) args.push("-M", s.persistence.netmask);
    }
    if (s.pe) args.push("--pe", s.pe);
    if (s.onePacket) args.push("-o");
    if (s.schedFlags.length > 0) args.push("-b", s.schedFlags.join(","));
    return args;
}

/**
 * Settings of a real server: `-g|-m|-i -w W [-x U] [-y L] [tunnel options]`. Thresholds are
 * left out when 0 (ipvsadm's default).
 */
export function destSettingArgs(s: DestSettings): string[] {
    const args = [FORWARDING_SWITCH[s.forwarding], "-w", String(s.weight)];
    if (s.upperThreshold !== 0) args.push("-x", String(s.upperThreshold));
    if (s.lowerThreshold !== 0) args.push("-y", String(s.lowerThreshold));
    const t = s.tunnel;
    if (s.forwarding === "tun" && t) {
        args.push("--tun-type", t.type);
        if (t.type === "gue" && t.port !== undefined) args.push("--tun-port", String(t.port));
        if (t.type !== "ipip") args.push(`--tun-${t.checksum}`);
    }
    return args;
}

/** Arguments for `-A`/`-E` after the command switch: service key then settings. */
export function serviceArgs(svc: IpvsService): string[] {
    return [...serviceKeyArgs(svc.key), ...serviceSettingArgs(svc.settings)];
}

/** Arguments for `-a`/`-e` after the command switch: service key, `-r ADDR:PORT`, settings. */
export function destArgs(svcKey: ServiceKey, dest: IpvsDest): string[] {
    return [...destKeyArgs(svcKey, dest), ...destSettingArgs(dest.settings)];
}

/** Arguments naming a real server (for `-d`): service key and `-r ADDR:PORT`. */
export function destKeyArgs(svcKey: ServiceKey, dest: IpvsDest): string[] {
    return [...serviceKeyArgs(svcKey), "-r", formatAddrPort(dest.key.address, dest.key.port)];
}

/** `ipvsadm -R` input: one line per entry in stable order, thresholds included. */
export function renderRestore(r: Ruleset): string {
    const lines: string[] = [];
    for (const svc of normalizeRuleset(r).services) {
        lines.push(["-A", ...serviceArgs(svc)].join(" "));
        for (const d of svc.dests) lines.push(["-a", ...destArgs(svc.key, d)].join(" "));
    }
    return lines.map((l) => `${l}\n`).join("");
}
