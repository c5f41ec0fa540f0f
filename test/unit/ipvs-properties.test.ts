import { describe, expect, it } from "vitest";
import { allOps, opArgs, opEntryId, planChanges } from "../../components/core/ipvs/ipvs-diff";
import { applyOps } from "../../components/core/ipvs/ipvs-apply";
import { fromEntries, toEntries } from "../../components/core/ipvs/ipvs-entries";
import { destEntryId, serviceEntryId } from "../../components/core/ipvs/ipvs-model";
import type { Ruleset } from "../../components/core/ipvs/ipvs-model";
import { parseSave } from "../../components/core/ipvs/ipvs-parse";
import { renderRestore } from "../../components/core/ipvs/ipvs-render";
import { renderSave } from "../support/render-save";
import { Rng, expectedAfter, genOwned, genRuleset, genScenario, idsOf } from "../support/ipvs-random";

const CASES = 300;

function forCases(body: (rng: Rng, seed: number) => void): void {
    for (let seed = 1; seed <= CASES; seed++) {
        try {
            body(new Rng(seed), seed);
        } catch (e) {
            // The seed reproduces the case: new Rng(seed).
            throw new Error(`seed ${seed}: ${e instanceof Error ? e.message : String(e)}`);
        }
    }
}

function withoutThresholds(r: Ruleset): Ruleset {
    return {
        services: r.services.map((s) => ({ ...s, dests: s.dests.map((d) => ({ ...d, settings: { ...d.settings, upperThreshold: 0, lowerThreshold: 0 } })) })),
    };
}

function entryIds(r: Ruleset): Set<string> {
    return new Set(r.services.flatMap((s) => [serviceEntryId(s.key), ...s.dests.map((d) => destEntryId(s.key, d.key))]));
}

describe("ipvs core properties (seeded, hand-rolled generator)", () => {
    it("parseSave(renderSave(x)) is x without thresholds, and -R text parses back whole", () => {
        forCases((rng) => {
            const x = genRuleset(rng);
            expect(parseSave(renderSave(x))).toEqual(withoutThresholds(x));
            expect(parseSave(renderRestore(x))).toEqual(x);
        });
    });

    it("fromEntries(toEntries(x)) is x, and entry order is stable", () => {
        forCases((rng) => {
            const x = genRuleset(rng);
            const entries = toEntries(x);
            expect(fromEntries(entries)).toEqual(x);
            const shuffled = Object.fromEntries(Object.entries(entries).reverse());
            expect(Object.keys(toEntries(fromEntries(shuffled)))).toEqual(Object.keys(entries));
        });
    });

    it("applying the plan yields the desired table plus foreign entries", () => {
        forCases((rng) => {
            const { live: a, desired: b, owned } = genScenario(rng);
            expect(applyOps(a, allOps(planChanges(a, b, owned)))).toEqual(expectedAfter(a, b, owned));
        });
    });

    it("the plan touches only desired or owned entries, never runs -C, drains before deleting", () => {
        forCases((rng) => {
            const { desired: b, owned, live: a } = genScenario(rng);
            const plan = planChanges(a, b, owned);
            const allowed = new Set([
                ...entryIds(b),
                ...owned.services.map((id) => `-A ${id}`),
                ...owned.dests.map((id) => `-a ${id}`),
            ]);
            for (const op of allOps(plan)) {
                expect(allowed.has(opEntryId(op))).toBe(true);
                expect(opArgs(op)).not.toContain("-C");
            }
            for (const op of plan.drain) expect(op.kind === "edit-dest" && op.dest.settings.weight === 0).toBe(true);
            const deletedServices = new Set(plan.remove.filter((op) => op.kind === "delete-service").map(opEntryId));
            for (const op of plan.remove) {
                if (op.kind !== "delete-dest") continue;
                expect(deletedServices.has(`-A ${opEntryId(op).slice(3).split(" -r ")[0]}`)).toBe(false);
            }
            const drained = new Set(plan.drain.map(opEntryId));
            for (const svc of a.services) {
                const gone = plan.remove.some((op) => op.kind === "delete-service" && opEntryId(op) === serviceEntryId(svc.key));
                for (const d of gone ? svc.dests : []) {
                    if (d.settings.weight > 0) expect(drained.has(destEntryId(svc.key, d.key))).toBe(true);
                }
            }
        });
    });

    it("a table already as desired needs nothing; a second plan after applying is empty", () => {
        forCases((rng) => {
            const { live: a, desired: b, owned } = genScenario(rng);
            expect(allOps(planChanges(a, a, genOwned(rng, a, a)))).toEqual([]);
            const after = applyOps(a, allOps(planChanges(a, b, owned)));
            const ids = idsOf(b);
            const again = planChanges(after, b, { services: [...owned.services, ...ids.services], dests: [...owned.dests, ...ids.dests] });
            expect(allOps(again)).toEqual([]);
        });
    });
});
