/**
 * The text form in which a table's outputs record its owned entries: it reads back as the
 * same map, one entry per line, and older states' maps read as they are.
 */
import { describe, expect, it } from "vitest";
import { recordEntries, recordedEntries } from "../../components/providers/recorded-entries";

const ENTRIES = {
    "-A -t 192.168.13.100:80": "-s wrr -p 300",
    "-a -t 192.168.13.100:80 -r 192.168.13.9:80": "-g -w 1",
    "-a -t 192.168.13.100:80 -r 192.168.13.10:80": "-g -w 2",
    "-A -t [2001:db8::100]:443": "-s sh -b sh-port,sh-fallback",
    '-A -f 7 "odd"': 'a "quoted" value\\ with a backslash',
};

describe("recorded entries", () => {
    it("read back as the same map, keys and order included", () => {
        const back = recordedEntries({ ownedEntries: recordEntries(ENTRIES) });
        expect(back).toEqual(ENTRIES);
        expect(Object.keys(back)).toEqual(Object.keys(ENTRIES));
    });

    it("put each entry on a line of its own, so a refresh's output diff reads entry by entry", () => {
        const lines = recordEntries(ENTRIES).split("\n");
        expect(lines).toHaveLength(Object.keys(ENTRIES).length + 2);
        expect(lines[2]).toBe('"-a -t 192.168.13.100:80 -r 192.168.13.9:80": "-g -w 1",');
    });

    it("record no entries as an empty object", () => {
        expect(recordEntries({})).toBe("{}");
        expect(recordedEntries({ ownedEntries: "{}" })).toEqual({});
    });

    it("read a state written before, whose outputs hold the map, or none", () => {
        expect(recordedEntries({ entries: ENTRIES })).toEqual(ENTRIES);
        expect(recordedEntries({})).toEqual({});
    });
});
