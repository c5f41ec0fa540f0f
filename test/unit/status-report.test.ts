/**
 * `npm run status`'s report from one host reading: marks (owned, drifted, foreign, missing),
 * connections, counters and rates per entry, table order (addresses as numbers), a HaPair
 * node's VRRP state and VIPs; and the counter parsers on IPv6 and fwmark rows.
 */
import { describe, expect, it } from "vitest";
import { hostStatus, renderStatus, STATUS_SPLIT, type TableInState } from "../../components/cli/status-report";
import { parseRates, parseStats } from "../../components/core/ipvs/ipvs-stats";

const VIP = "192.168.13.100";
const HEAD = (columns: string) => `IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port ${columns}\n  -> RemoteAddress:Port\n`;

/** The stack's table: rs .9 and .10 (text order would put .10 first), and .11, which is not live. */
const TABLE: TableInState = {
    host: "director1",
    manager: "ipvsadm",
    entries: {
        [`-A -t ${VIP}:80`]: "-s rr",
        [`-a -t ${VIP}:80 -r 192.168.13.9:80`]: "-g -w 1",
        [`-a -t ${VIP}:80 -r 192.168.13.10:80`]: "-g -w 1",
        [`-a -t ${VIP}:80 -r 192.168.13.11:80`]: "-g -w 1",
    },
};

/** What the host prints: rs .10 at weight 5 (drift), .11 gone, and a service of someone else's. */
function reading(opts: { addresses?: string; keepalived?: string; vrrp?: string } = {}): string {
    const listing = `${HEAD("Uthreshold Lthreshold ActiveConn InActConn")}TCP  10.9.9.9:80 wlc\nTCP  ${VIP}:80 rr\n  -> 192.168.13.9:80 0 0 3 7\n  -> 192.168.13.10:80 0 0 1 2\n`;
    const save = `-A -t 10.9.9.9:80 -s wlc\n-A -t ${VIP}:80 -s rr\n-a -t ${VIP}:80 -r 192.168.13.9:80 -g -w 1\n-a -t ${VIP}:80 -r 192.168.13.10:80 -g -w 5\n`;
    const stats = `${HEAD("Conns InPkts OutPkts InBytes OutBytes")}TCP  10.9.9.9:80 0 0 0 0 0\nTCP  ${VIP}:80 30 300 0 24000 0\n  -> 192.168.13.9:80 20 200 0 16000 0\n  -> 192.168.13.10:80 10 100 0 8000 0\n`;
    const rate = `${HEAD("CPS InPPS OutPPS InBPS OutBPS")}TCP  10.9.9.9:80 0 0 0 0 0\nTCP  ${VIP}:80 4 40 0 3200 0\n  -> 192.168.13.9:80 3 30 0 2400 0\n  -> 192.168.13.10:80 1 10 0 800 0\n`;
    const addresses = opts.addresses ?? "2: ens33    inet 192.168.13.111/24 scope global ens33\\       valid_lft forever\n";
    // An empty /proc reading: the status then reads the table from -S, as for tunnels.
    return [listing, "", save, stats, rate, addresses, opts.keepalived ?? "inactive\n", opts.vrrp ?? ""].join(`${STATUS_SPLIT}\n`);
}

describe("hostStatus", () => {
    it("marks each entry against the stack, in table order, with connections, counters and rates", () => {
        const s = hostStatus(TABLE, reading());
        expect(s.rows.map((r) => [r.entry, r.mark, r.live, r.stack])).toEqual([
            ["-A -t 10.9.9.9:80", "foreign", "-s wlc", undefined],
            [`-A -t ${VIP}:80`, "owned", "-s rr", "-s rr"],
            [`-a -t ${VIP}:80 -r 192.168.13.9:80`, "owned", "-g -w 1", "-g -w 1"],
            [`-a -t ${VIP}:80 -r 192.168.13.10:80`, "drifted", "-g -w 5", "-g -w 1"],
            [`-a -t ${VIP}:80 -r 192.168.13.11:80`, "missing", undefined, "-g -w 1"],
        ]);
        const nine = s.rows[2];
        expect(nine).toMatchObject({ weight: 1, activeConnections: 3, inactiveConnections: 7 });
        expect(nine.stats).toEqual({ connections: 20, packetsIn: 200, packetsOut: 0, bytesIn: 16000, bytesOut: 0 });
        expect(nine.rates).toEqual({ connectionsPerSecond: 3, packetsInPerSecond: 30, packetsOutPerSecond: 0, bytesInPerSecond: 2400, bytesOutPerSecond: 0 });
        expect(s.rows[1].stats?.connections).toBe(30);
        expect(s.rows[4].stats).toBeUndefined();
        expect(s.node).toBeUndefined();
    });

    it("reads the table from /proc and the listing when the host has them, with the same marks", () => {
        const withProc = reading().split(`${STATUS_SPLIT}\n`);
        // 192.168.13.100:80 is C0A80D64:0050; .9 is C0A80D09, .10 C0A80D0A.
        withProc[1] = `IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\nTCP  0A090909:0050 wlc\nTCP  C0A80D64:0050 rr\n  -> C0A80D09:0050      Route   1      3          7\n  -> C0A80D0A:0050      Route   5      1          2\n`;
        withProc[2] = "";
        const s = hostStatus(TABLE, withProc.join(`${STATUS_SPLIT}\n`));
        expect(s.rows.map((r) => r.mark)).toEqual(["foreign", "owned", "owned", "drifted", "missing"]);
    });

    it("for a keepalived node: its service state, last VRRP state and the VIPs it holds", () => {
        const held = `2: ens33    inet 192.168.13.111/24 scope global ens33\\ valid_lft forever\n2: ens33    inet ${VIP}/32 scope global ens33:0\\ valid_lft forever\n`;
        const master = hostStatus({ ...TABLE, manager: "keepalived" }, reading({ addresses: held, keepalived: "active\n", vrrp: "(web-ha) Entering MASTER STATE\n" }));
        expect(master.node).toEqual({ keepalived: "active", vrrp: "MASTER", holdsVips: [VIP] });
        const backup = hostStatus({ ...TABLE, manager: "keepalived" }, reading({ keepalived: "active\n", vrrp: "(web-ha) Entering BACKUP STATE (init)\n" }));
        expect(backup.node).toEqual({ keepalived: "active", vrrp: "BACKUP", holdsVips: [] });
    });

    it("refuses a reading that lacks sections, rather than showing an empty table", () => {
        expect(() => hostStatus(TABLE, "IP Virtual Server version 1.2.1\n")).toThrow(/sections/);
        // /proc unreadable for the listing and no -S read (the script reads -S only for tunnels): no guessing.
        const noSave = reading().split(`${STATUS_SPLIT}\n`);
        noSave[2] = "";
        expect(() => hostStatus(TABLE, noSave.join(`${STATUS_SPLIT}\n`))).toThrow(/no ipvsadm -S came with it/);
    });
});

describe("renderStatus", () => {
    it("prints a table per host with the marks, the stack's value beside a drifted or missing entry, and hosts not read", () => {
        const text = renderStatus("lab", [hostStatus(TABLE, reading()), { host: "director2", manager: "ipvsadm", error: "ssh director2: unreachable", rows: [] }], new Date("2026-11-30T10:00:00Z"));
        const lines = text.split("\n");
        expect(lines[0]).toBe("pulumi-lvs status: stack lab, 2026-11-30T10:00:00.000Z");
        expect(text).toContain("director1 (table written by ipvsadm)");
        expect(lines.find((l) => l.includes("-> 192.168.13.10:80"))).toMatch(/^\s+DRIFTED\s+-> 192\.168\.13\.10:80\s+-g -w 5 \(stack: -g -w 1\)\s+5\s+1\s+2\s+10\s+1\s+8000\s+0$/);
        expect(lines.find((l) => l.includes("-> 192.168.13.11:80"))).toMatch(/^\s+MISSING\s+-> 192\.168\.13\.11:80\s+\(stack: -g -w 1\)$/);
        expect(lines.find((l) => l.includes("10.9.9.9"))).toMatch(/^\s+foreign\s+-t 10\.9\.9\.9:80\s+-s wlc/);
        expect(text).toContain("director2: not read: ssh director2: unreachable");
    });
});

describe("the counter parsers", () => {
    it("read IPv6 and fwmark rows (an IPv6 mark has one key word more)", () => {
        const text = `${HEAD("Conns InPkts OutPkts InBytes OutBytes")}TCP  [fd13::100]:443 5 6 7 8 9\n  -> [fd13::112]:443 1 2 3 4 5\nFWM  7 IPv6 10 11 12 13 14\n  -> [fd13::113]:0 15 16 17 18 19\nFWM  9 20 21 22 23 24\n`;
        const stats = parseStats(text);
        expect(stats.get("-t [fd13::100]:443")?.bytesOut).toBe(9);
        expect(stats.get("-t [fd13::100]:443 -r [fd13::112]:443")?.connections).toBe(1);
        expect(stats.get("-f 7 -6")?.connections).toBe(10);
        expect(stats.get("-f 7 -6 -r [fd13::113]:0")?.bytesIn).toBe(18);
        expect(stats.get("-f 9")?.packetsOut).toBe(22);
        expect(parseRates(text).get("-f 9")?.connectionsPerSecond).toBe(20);
    });

    it("refuse a shortened number (a listing without --exact), naming the line", () => {
        expect(() => parseStats(`${HEAD("Conns InPkts OutPkts InBytes OutBytes")}TCP  10.0.0.1:80 5 6 7 12K 9\n`)).toThrow(/line 4: expected five whole numbers/);
    });
});
