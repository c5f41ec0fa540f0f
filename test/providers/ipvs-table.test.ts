/** IpvsTable's provider logic against an in-memory ipvsadm: incremental, owned-only, drained. */
import { describe, expect, it } from "vitest";
import { FakeHost } from "../support/fake-host";
import { applyTable, type TableState } from "../../components/providers/ipvs-table-logic";
import { parseSave } from "../../components/core/ipvs/ipvs-parse";

const VIP = "-t 192.168.13.100:80";
const base: Record<string, string> = {
    [`-A ${VIP}`]: "-s rr",
    [`-a ${VIP} -r 192.168.13.112:80`]: "-g -w 1",
    [`-a ${VIP} -r 192.168.13.113:80`]: "-g -w 1",
};
const state = (entries: Record<string, string>, timeoutSeconds = 5): TableState => ({
    entries,
    manager: "ipvsadm",
    drain: { timeoutSeconds, pollSeconds: 1 },
    rulesFile: "/var/lib/pulumi-lvs/ipvs.rules",
});

/** The changes ipvsadm made, line by line (each line of an -R stream is recorded as its own call). */
function ipvsCalls(host: FakeHost): string[] {
    return host.ipvsadm.calls.map((c) => c.join(" ")).filter((c) => !/^(-S|-L|-R)/.test(c));
}

describe("IpvsTable provider logic", () => {
    it("creates the entries on an empty table, saves them for boot, and reports them live", async () => {
        const host = new FakeHost();
        const report = await applyTable(host, {}, state(base));
        expect(report.live).toEqual(base);
        expect(ipvsCalls(host)).toEqual([
            "-A -t 192.168.13.100:80 -s rr",
            "-a -t 192.168.13.100:80 -r 192.168.13.112:80 -g -w 1",
            "-a -t 192.168.13.100:80 -r 192.168.13.113:80 -g -w 1",
        ]);
        expect(host.files.get("/var/lib/pulumi-lvs/ipvs.rules")).toContain("-a -t 192.168.13.100:80 -r 192.168.13.113:80 -g -w 1");
    });

    it("a second apply with the same entries runs no ipvsadm change", async () => {
        const host = new FakeHost();
        await applyTable(host, {}, state(base));
        const before = ipvsCalls(host).length;
        const report = await applyTable(host, base, state(base));
        expect(ipvsCalls(host).length).toBe(before);
        expect(report.commands).toEqual([]);
    });

    it("changes one weight and adds one server with -e and -a only (no -C, no re-add)", async () => {
        const host = new FakeHost();
        await applyTable(host, {}, state(base));
        host.ipvsadm.calls.length = 0;
        const next = { ...base, [`-a ${VIP} -r 192.168.13.112:80`]: "-g -w 3", [`-a ${VIP} -r 192.168.13.114:80`]: "-g -w 1" };
        const report = await applyTable(host, base, state(next));
        expect(ipvsCalls(host)).toEqual(["-a -t 192.168.13.100:80 -r 192.168.13.114:80 -g -w 1", "-e -t 192.168.13.100:80 -r 192.168.13.112:80 -g -w 3"]);
        expect(report.live).toEqual(next);
    });

    it("drains a leaving server: weight 0, waits for its connections to end, then deletes it", async () => {
        const host = new FakeHost();
        await applyTable(host, {}, state(base));
        const rs2 = `${VIP} -r 192.168.13.113:80`;
        host.ipvsadm.setConnections(rs2, 2);
        let polls = 0;
        host.onPoll = () => {
            polls++;
            if (polls === 2) host.ipvsadm.setConnections(rs2, 0);
        };
        host.ipvsadm.calls.length = 0;
        const { [`-a ${rs2}`]: _gone, ...without } = base;
        const report = await applyTable(host, base, state(without));
        expect(ipvsCalls(host)).toEqual(["-e -t 192.168.13.100:80 -r 192.168.13.113:80 -g -w 0", "-d -t 192.168.13.100:80 -r 192.168.13.113:80"]);
        expect(polls).toBeGreaterThanOrEqual(2);
        expect(report.drained).toEqual([{ dest: rs2, waitedSeconds: expect.any(Number), activeLeft: 0 }]);
        expect(report.live).toEqual(without);
    });

    it("gives up waiting after the drain timeout and still deletes", async () => {
        const host = new FakeHost();
        await applyTable(host, {}, state(base));
        const rs2 = `${VIP} -r 192.168.13.113:80`;
        host.ipvsadm.setConnections(rs2, 5);
        const { [`-a ${rs2}`]: _gone, ...without } = base;
        const report = await applyTable(host, base, state(without, 1));
        expect(report.drained[0]).toMatchObject({ dest: rs2, activeLeft: 5 });
        expect(report.live).toEqual(without);
    });

    it("leaves foreign entries alone on apply and on delete, and never flushes", async () => {
        const host = new FakeHost();
        host.ipvsadm.load(parseSave("-A -u 10.9.9.9:53 -s wlc\n-a -u 10.9.9.9:53 -r 10.9.9.10:53 -m -w 1\n"));
        await applyTable(host, {}, state(base));
        await applyTable(host, base, state({}));
        expect(host.ipvsadm.calls.some((c) => c.includes("-C") || c.includes("--clear"))).toBe(false);
        expect(host.ipvsadm.ruleset().services.map((s) => s.key)).toEqual([{ kind: "addr", protocol: "udp", address: "10.9.9.9", port: 53 }]);
        expect(host.files.has("/var/lib/pulumi-lvs/ipvs.rules")).toBe(false);
    });

    it("restores an entry deleted by hand (drift) on the next apply", async () => {
        const host = new FakeHost();
        await applyTable(host, {}, state(base));
        host.ipvsadm.exec(["-d", "-t", "192.168.13.100:80", "-r", "192.168.13.112:80"]);
        host.ipvsadm.exec(["-e", "-t", "192.168.13.100:80", "-r", "192.168.13.113:80", "-g", "-w", "7"]);
        const report = await applyTable(host, base, state(base));
        expect(report.live).toEqual(base);
    });
});
