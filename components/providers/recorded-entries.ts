/**
 * How state records a table's owned entries as live after an apply: JSON text, one entry per
 * line, in IpvsTable's output `ownedEntries`. The inputs keep the map, so the engine's own diff
 * still shows each entry; the outputs need not repeat it as a map. The engine hands a
 * provider the outputs with every Diff and Update beside two copies of the inputs; a string
 * crosses in one piece. At 10,005 entries, recording the map cost the provider 3.7 s of CPU
 * in a one-entry change (0.8 s of it collecting garbage), and the text 2.9 s (0.6 s). One
 * entry per line keeps a refresh's output diff readable.
 */

/**
 * The entries as JSON text, one per line, in the map's own order. The provider records maps
 * made by toEntries, whose order is the table's canonical one, so equal tables record equal
 * text and a refresh that finds nothing new changes nothing.
 */
export function recordEntries(entries: Readonly<Record<string, string>>): string {
    const lines = Object.entries(entries).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    return lines.length === 0 ? "{}" : `{\n${lines.join(",\n")}\n}`;
}

/** What a table's outputs record: the text above, or the map states before it held. */
export interface RecordedOuts {
    ownedEntries?: string;
    entries?: Record<string, string>;
}

/** The owned entries a table's outputs record, from either form. */
export function recordedEntries(outs: RecordedOuts): Record<string, string> {
    if (typeof outs.ownedEntries === "string") return JSON.parse(outs.ownedEntries) as Record<string, string>;
    return outs.entries ?? {};
}
