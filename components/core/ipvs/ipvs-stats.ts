/**
 * Parsers for ipvsadm's counters: `ipvsadm -L -n --stats --exact` (totals since the entry was
 * made) and `ipvsadm -L -n --rate --exact` (per second, averaged by the kernel over its
 * estimator's window). Both list services and their real servers with five numbers each;
 * --exact keeps ipvsadm from shortening them to "12K". Keyed by serviceId or destId.
 */
import { splitAddrPort } from "../../base/address";
import { destId, serviceId } from "./ipvs-model";
import { listedServiceKey } from "./ipvs-parse";

export interface EntryStats {
    connections: number;
    packetsIn: number;
    packetsOut: number;
    bytesIn: number;
    bytesOut: number;
}

export interface EntryRates {
    connectionsPerSecond: number;
    packetsInPerSecond: number;
    packetsOutPerSecond: number;
    bytesInPerSecond: number;
    bytesOutPerSecond: number;
}

/** The five numbers of each row, by entry id; throws naming the line it cannot read. */
function fiveNumbers(what: string, text: string): Map<string, number[]> {
    const out = new Map<string, number[]>();
    let service: ReturnType<typeof listedServiceKey>;
    text.split("\n").forEach((line, i) => {
        const tokens = line.trim().split(/\s+/).filter((t) => t !== "");
        if (tokens.length === 0 || line.startsWith("IP Virtual Server version") || tokens[0] === "Prot") return;
        const fail = (reason: string) => new Error(`${what} line ${i + 1}: ${reason}: "${line.trim()}"`);
        const numbers = (fields: string[]) => {
            if (fields.length !== 5 || !fields.every((f) => /^[0-9]+$/.test(f))) throw fail("expected five whole numbers");
            return fields.map(Number);
        };
        if (tokens[0] === "->") {
            if (tokens[1] === "RemoteAddress:Port") return;
            const ap = splitAddrPort(tokens[1] ?? "");
            if (!service) throw fail("real server row before any service");
            if (!ap || ap.port === undefined) throw fail("unreadable real server row");
            out.set(destId(service, { address: ap.address, port: ap.port }), numbers(tokens.slice(2)));
            return;
        }
        service = listedServiceKey(tokens);
        if (!service) throw fail("unreadable service row");
        // "FWM  7 IPv6  ..." has one key word more than "TCP  10.0.0.1:80  ...".
        out.set(serviceId(service), numbers(tokens.slice(tokens[0] === "FWM" && tokens[2] === "IPv6" ? 3 : 2)));
    });
    return out;
}

export function parseStats(text: string): Map<string, EntryStats> {
    const out = new Map<string, EntryStats>();
    for (const [id, [connections, packetsIn, packetsOut, bytesIn, bytesOut]] of fiveNumbers("ipvsadm -L -n --stats", text)) out.set(id, { connections, packetsIn, packetsOut, bytesIn, bytesOut });
    return out;
}

export function parseRates(text: string): Map<string, EntryRates> {
    const out = new Map<string, EntryRates>();
    for (const [id, [connectionsPerSecond, packetsInPerSecond, packetsOutPerSecond, bytesInPerSecond, bytesOutPerSecond]] of fiveNumbers("ipvsadm -L -n --rate", text)) {
        out.set(id, { connectionsPerSecond, packetsInPerSecond, packetsOutPerSecond, bytesInPerSecond, bytesOutPerSecond });
    }
    return out;
}
