/**
 * The batched apply (issue 12): each phase of a change reaches the host as one `ipvsadm -R`
 * stream on stdin, whatever the table's size; a line the kernel refuses in the middle fails the
 * apply with how far the table is from the stack, and the next apply converges from there
 * without touching foreign entries. Runs on the in-memory ipvsadm, whose -R behaves as the real
 * one does (every line runs; the exit code is the last line's), as checked in the lab tier.
 */
import { describe, expect, it } from "vitest";
import { FakeHost } from "../support/fake-host";
import { applyTable, LOGGED_COMMANDS, readLive, type TableState } from "../../components/providers/ipvs-table-logic";
import { parseSave } from "../../components/core/ipvs/ipvs-parse";
import { toEntries } from "../../components/core/ipvs/ipvs-entries";
import { KERNEL_SCHEDULERS } from "../support/fake-ipvsadm";

const state = (entries: Record<string, string>): TableState => ({
    entries,
    manager: "ipvsadm",
    drain: { timeoutSeconds: 2, pollSeconds: 1 },
    rulesFile: "/var/lib/pulumi-lvs/ipvs.rules",
});

/** `services` virtual services of `dests` real servers each, on addresses that sort differently as text and as numbers. */
function table(services: number, dests: number, scheduler = "rr"): Record<string, string> {
    const e: Record<string, string> = {};
    for (let s = 0; s < services; s++) {
        const vip = `-t 10.${1 + (s >> 8)}.${s & 255}.9:80`;
        e[`-A ${vip}`] = `-s ${scheduler}`;
        for (let d = 0; d < dests; d++) e[`-a ${vip} -r 172.16.${d}.${(s % 250) + 2}:80`] = "-g -w 1";
    }
    return e;
}

/** Commands sent to the host that change the table: one per -R stream, none per entry. */
const changing = (host: FakeHost) => host.commands.filter((c) => /ipvsadm -[AEDaed]\b|ipvsadm -R/.test(c));

describe("batched apply: one ipvsadm -R per phase", () => {
    it("creates a 2,000-entry table with one -R exec, and a one-entry change sends one line (10,000 in the lab tier)", async () => {
        const host = new FakeHost();
        const big = table(400, 4);
        expect(Object.keys(big)).toHaveLength(2_000);
        const first = await applyTable(host, {}, state(big));
        expect(changing(host)).toEqual(["ipvsadm -R"]);
        expect(first.live).toEqual(big);
        // The state keeps a readable log, not 2,000 lines.
        expect(first.commands).toHaveLength(LOGGED_COMMANDS + 1);
        expect(first.commands.at(-1)).toBe(`... ${2_000 - LOGGED_COMMANDS} more ipvsadm commands not logged`);

        host.commands.length = 0;
        host.ipvsadm.calls.length = 0;
        const next = { ...big, "-a -t 10.1.0.9:80 -r 172.16.0.2:80": "-g -w 5" };
        const second = await applyTable(host, big, state(next));
        expect(changing(host)).toEqual(["ipvsadm -R"]);
        expect(host.ipvsadm.calls.filter((c) => !/^-[SLR]$/.test(c[0]))).toEqual([["-e", "-t", "10.1.0.9:80", "-r", "172.16.0.2:80", "-g", "-w", "5"]]);
        expect(second.commands).toEqual(["ipvsadm -e -t 10.1.0.9:80 -r 172.16.0.2:80 -g -w 5"]);
    });

    it("sends every kind of operation through -R: -A -a, then -E -e, then -e to weight 0, -d and -D", async () => {
        const host = new FakeHost();
        const v4 = "-t 192.168.13.100:80";
        const v6 = "-u [fd13::100]:53";
        const fw = "-f 7";
        const start = {
            [`-A ${v4}`]: "-s rr",
            [`-a ${v4} -r 192.168.13.112:80`]: "-g -w 1",
            [`-a ${v4} -r 192.168.13.113:80`]: "-g -w 1",
            [`-A ${v6}`]: "-s wlc -p 300",
            [`-a ${v6} -r [fd13::112]:53`]: "-m -w 2",
            [`-A ${fw}`]: "-s sh -b sh-port",
            [`-a ${fw} -r 192.168.13.114:0`]: "-i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum",
        };
        await applyTable(host, {}, state(start));
        expect(host.ipvsadm.calls.filter((c) => /^-[Aa]$/.test(c[0]))).toHaveLength(7);
        const { [`-a ${v4} -r 192.168.13.113:80`]: _drained, [`-A ${fw}`]: _svc, [`-a ${fw} -r 192.168.13.114:0`]: _dest, ...kept } = start;
        const next = { ...kept, [`-A ${v4}`]: "-s wrr", [`-a ${v6} -r [fd13::112]:53`]: "-m -w 4 -x 100 -y 10" };
        host.ipvsadm.calls.length = 0;
        host.commands.length = 0;
        const report = await applyTable(host, start, state(next));
        // Two streams around the drain wait: what is added or edited, the drain; then the removals.
        expect(changing(host)).toEqual(["ipvsadm -R", "ipvsadm -R", "ipvsadm -R"]);
        expect(report.commands).toEqual([
            "ipvsadm -E -t 192.168.13.100:80 -s wrr",
            "ipvsadm -e -u [fd13::100]:53 -r [fd13::112]:53 -m -w 4 -x 100 -y 10",
            "ipvsadm -e -t 192.168.13.100:80 -r 192.168.13.113:80 -g -w 0",
            "ipvsadm -e -f 7 -r 192.168.13.114:0 -i -w 0 --tun-type gue --tun-port 6080 --tun-nocsum",
            "ipvsadm -d -t 192.168.13.100:80 -r 192.168.13.113:80",
            "ipvsadm -D -f 7",
        ]);
        expect(toEntries(await readLive(host))).toEqual(toEntries(parseSave(Object.entries(next).map(([k, v]) => `${k} ${v}`).join("\n"))));
    });

    it("a line refused in the middle fails the apply naming what is left; the next apply converges, foreign entries untouched", async () => {
        // A kernel without the mh scheduler refuses that one service; the lines after it still run.
        const host = new FakeHost({ schedulers: KERNEL_SCHEDULERS.filter((s) => s !== "mh") });
        host.ipvsadm.load(parseSave("-A -u 10.9.9.9:53 -s wlc\n-a -u 10.9.9.9:53 -r 10.9.9.10:53 -m -w 1\n"));
        const wanted = { ...table(3, 2), "-A -t 10.1.1.9:80": "-s mh" };
        await expect(applyTable(host, {}, state(wanted))).rejects.toThrow(
            /ipvsadm -R \(apply phase, 9 changes\) was refused in part: .*\. The table now differs from the stack in 3 entries \(-A -t 10\.1\.1\.9:80, -a -t 10\.1\.1\.9:80 -r 172\.16\.0\.3:80, -a -t 10\.1\.1\.9:80 -r 172\.16\.1\.3:80\); no other entry was touched/,
        );
        // The boot unit's rules file, written beside the stream, holds the desired table: what the next boot should restore.
        expect(parseSave(host.files.get("/var/lib/pulumi-lvs/ipvs.rules") ?? "")).toEqual(parseSave(Object.entries(wanted).map(([k, v]) => `${k} ${v}`).join("\n")));
        const live = toEntries(await readLive(host));
        expect(live["-A -t 10.1.2.9:80"]).toBe("-s rr");
        expect(live["-a -t 10.1.2.9:80 -r 172.16.1.4:80"]).toBe("-g -w 1");
        // The operator loads the module (here: the fake kernel gains it) and runs up again.
        const fixed = new FakeHost();
        fixed.ipvsadm.load(await readLive(host));
        const report = await applyTable(fixed, {}, state(wanted));
        expect(report.commands).toEqual(["ipvsadm -A -t 10.1.1.9:80 -s mh", "ipvsadm -a -t 10.1.1.9:80 -r 172.16.0.3:80 -g -w 1", "ipvsadm -a -t 10.1.1.9:80 -r 172.16.1.3:80 -g -w 1"]);
        expect(toEntries(await readLive(fixed))).toMatchObject({ "-A -u 10.9.9.9:53": "-s wlc", "-a -u 10.9.9.9:53 -r 10.9.9.10:53": "-m -w 1", ...wanted });
    });

    it("reads the live table in one exec", async () => {
        const host = new FakeHost();
        await readLive(host);
        expect(host.commands).toHaveLength(1);
    });
});
