/**
 * What `ipvsadm -S -n` prints, for the in-memory ipvsadm and the parser's round-trip tests.
 * Production code only reads that text (core/ipvs/ipvs-parse.ts); it never writes it.
 */
import { formatAddrPort } from "../../components/base/address";
import { normalizeRuleset, serviceKeyArgs } from "../../components/core/ipvs/ipvs-model";
import type { DestSettings, Ruleset, ServiceKey } from "../../components/core/ipvs/ipvs-model";
import { destSettingArgs, serviceSettingArgs } from "../../components/core/ipvs/ipvs-render";

// -S never prints thresholds (`-L -n --thresholds` does).
const withoutThresholds = (s: DestSettings): DestSettings => ({ ...s, upperThreshold: 0, lowerThreshold: 0 });

// ipvsadm 1.31 prints the unsigned fwmark with %d.
function savedServiceKeyArgs(k: ServiceKey): string[] {
    if (k.kind !== "fwmark" || k.mark < 2 ** 31) return serviceKeyArgs(k);
    return serviceKeyArgs(k).map((a, i) => (i === 1 ? String(k.mark - 2 ** 32) : a));
}

/**
 * What `ipvsadm -S -n` (1.31) would print for a table: no thresholds, fwmarks >= 2^31
 * negative, tunnel type always spelled out.
 */
export function renderSave(r: Ruleset): string {
    const lines: string[] = [];
    for (const svc of normalizeRuleset(r).services) {
        const key = savedServiceKeyArgs(svc.key);
        lines.push(["-A", ...key, ...serviceSettingArgs(svc.settings)].join(" "));
        for (const d of svc.dests) {
            lines.push(["-a", ...key, "-r", formatAddrPort(d.key.address, d.key.port), ...destSettingArgs(withoutThresholds(d.settings))].join(" "));
        }
    }
    return lines.map((l) => `${l}\n`).join("");
}
