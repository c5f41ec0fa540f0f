/** The preview's warning for a HaPair whose keepalived reload may outlast VRRP's master-down interval. */
import { describe, expect, it } from "vitest";
import { RELOAD_SECONDS_PER_REAL_SERVER_SQUARED as C, reloadEstimateSeconds, slowReloadWarning } from "../../components/core/keepalived/reload-estimate";
import { keepalivedSettle } from "../../components/core/keepalived/render-keepalived-steps";
import type { Ruleset } from "../../components/core/ipvs/ipvs-model";
import { fromEntries } from "../../components/core/ipvs/ipvs-entries";

/**
 * `services` copies of one tcp service over `each` real servers: the estimate counts real
 * servers, so the copies need not differ, and building 100,000 distinct entries would take seconds.
 */
function ruleset(services: number, each: number): Ruleset {
    const entries: Record<string, string> = { "-A -t 192.0.2.1:80": "-s rr" };
    for (let r = 0; r < each; r++) entries[`-a -t 192.0.2.1:80 -r 10.0.${r >> 8}.${r & 255}:80`] = "-g -w 1";
    const [one] = fromEntries(entries).services;
    return { services: Array.from({ length: services }, () => one) };
}

describe("slowReloadWarning", () => {
    it("grows with the square of the real servers, over every service", () => {
        expect(reloadEstimateSeconds(ruleset(1_000, 3))).toBeCloseTo(3_000 ** 2 * C);
        expect(reloadEstimateSeconds(ruleset(100, 3)) * 100).toBeCloseTo(reloadEstimateSeconds(ruleset(1_000, 3)));
        expect(reloadEstimateSeconds({ services: [] })).toBe(0);
    });

    it("is silent for a pair of a seed's size", () => {
        expect(slowReloadWarning("HaPair web-ha", 1, ruleset(2, 3))).toBeUndefined();
    });

    it("at 1,000 services of three, with advertInt 1, names the pair, the estimate, the limit and the fix", () => {
        const estimate = 3_000 ** 2 * C;
        expect(estimate).toBeGreaterThan(3); // else this case would test nothing
        const w = slowReloadWarning("HaPair web-ha", 1, ruleset(1_000, 3));
        expect(w).toContain(`HaPair web-ha: keepalived's reload of 3000 real servers may take about ${Math.ceil(estimate)} s on each node`);
        expect(w).toContain("3 × advertInt = 3 s");
        expect(w).toContain(`Fix: set advertInt to ${Math.ceil(estimate / 3)} or more`);
    });

    it("is silent once advertInt covers the estimate, and at exactly the limit", () => {
        const advertInt = Math.ceil((3_000 ** 2 * C) / 3);
        expect(slowReloadWarning("HaPair p", advertInt, ruleset(1_000, 3))).toBeUndefined();
        expect(slowReloadWarning("HaPair p", advertInt - 1, ruleset(1_000, 3))).toBeDefined();
        // The most real servers whose estimate stays within 3 s, and one more.
        const atLimit = Math.floor(Math.sqrt(3 / C));
        expect(slowReloadWarning("HaPair p", 1, ruleset(atLimit, 1))).toBeUndefined();
        expect(slowReloadWarning("HaPair p", 1, ruleset(atLimit + 1, 1))).toBeDefined();
    });

    it("never suggests an advertInt keepalived refuses (above 255): it says to split the pair", () => {
        const realServers = Math.ceil(Math.sqrt((256 * 3) / C));
        const w = slowReloadWarning("HaPair p", 1, ruleset(realServers, 1));
        expect(w).not.toContain("Fix: set advertInt");
        expect(w).toMatch(/Fix: split the virtual servers over more pairs \(advertInt would need \d+, above keepalived's 255\)/);
    });
});

describe("keepalivedSettle: how long a keepalived-managed table waits for keepalived", () => {
    it("30 s for a config that reloads quickly, three times the estimated reload for a large one", () => {
        expect(keepalivedSettle(ruleset(2, 3))).toEqual({ timeoutSeconds: 30, pollSeconds: 2 });
        expect(keepalivedSettle(ruleset(1_000, 3))).toEqual({ timeoutSeconds: Math.ceil(3 * 3_000 ** 2 * C), pollSeconds: 2 });
        expect(keepalivedSettle(ruleset(1_000, 3)).timeoutSeconds).toBeGreaterThan(56); // the slowest reload bench:reload saw at that size
    });
});
