import { describe, expect, it } from "vitest";
import { parsedEntriesCache } from "../../components/providers/parsed-entries";
import { fromEntries } from "../../components/core/ipvs/ipvs-entries";

const table = (weight: number): Record<string, string> => ({
    "-A -t 192.168.13.100:80": "-s wrr",
    // 10 sorts before 9 as text and after it as a number: the key must not care.
    "-a -t 192.168.13.100:80 -r 192.168.13.9:80": `-g -w ${weight}`,
    "-a -t 192.168.13.100:80 -r 192.168.13.10:80": "-g -w 1",
});

const reversed = (e: Record<string, string>) => Object.fromEntries(Object.entries(e).reverse());

describe("parsedEntriesCache", () => {
    it("parses a map once, whatever order its keys come back in, and equals fromEntries", () => {
        const parse = parsedEntriesCache();
        const first = parse(table(1));
        expect(parse(reversed(table(1)))).toBe(first);
        expect(first).toEqual(fromEntries(table(1)));
    });

    it("tells maps apart by any setting, not only by their ids", () => {
        const parse = parsedEntriesCache();
        const one = parse(table(1));
        const two = parse(table(2));
        expect(two).not.toBe(one);
        expect(two.services[0].dests.map((d) => d.settings.weight)).toContain(2);
        expect(parse(table(1))).toBe(one);
    });

    it("keeps the three most recently used maps", () => {
        const parse = parsedEntriesCache();
        const kept = [1, 2, 3].map((w) => parse(table(w)));
        parse(table(1)); // used again: now the newest
        parse(table(4)); // evicts weight 2, the least recently used
        expect(parse(table(1))).toBe(kept[0]);
        expect(parse(table(3))).toBe(kept[2]);
        expect(parse(table(2))).not.toBe(kept[1]);
    });

    it("throws for a bad map every time, naming the entry, and keeps nothing of it", () => {
        const parse = parsedEntriesCache();
        const bad = { "-a -t 192.168.13.100:80 -r 192.168.13.9:80": "-g -w 1" };
        expect(() => parse(bad)).toThrow(/-a -t 192\.168\.13\.100:80 -r 192\.168\.13\.9:80/);
        expect(() => parse(bad)).toThrow(/virtual service has no entry/);
    });
});
