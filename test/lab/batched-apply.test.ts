/**
 * The batched apply on the real kernel (issue 12): IpvsTable's apply logic over real SSH to
 * director2, whose ipvsadm gets each phase as one `-R` stream on stdin. First the behaviour of
 * the real `ipvsadm -R` that the apply relies on (and the in-memory one copies); then a
 * 10,000-entry table from empty, a one-entry change, a line the kernel refuses in the middle of
 * a stream, and convergence after it, with a hand-made entry left alone throughout. Timings
 * are printed for reading, never asserted (bench/ measures them).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labSshTarget, onHostOk, up } from "./lab";
import { openSsh } from "../../components/providers/ssh-transport";
import type { HostTransport } from "../../components/providers/transport";
import { applyTable, readLive, type TableState } from "../../components/providers/ipvs-table-logic";
import { toEntries } from "../../components/core/ipvs/ipvs-entries";
import { leaseHosts } from "../support/host-lease";

const RULES_FILE = "/var/lib/pulumi-lvs-test/batched.rules";
/** Makes the kernel's request for the mh scheduler fail, as on a director built without it. */
const BLOCK_MH = "/etc/modprobe.d/pulumi-lvs-test-no-mh.conf";
const FOREIGN = { "-A -u 10.250.0.1:53": "-s wlc", "-a -u 10.250.0.1:53 -r 10.250.1.1:53": "-m -w 1" };

const state = (entries: Record<string, string>): TableState => ({ entries, manager: "ipvsadm", drain: { timeoutSeconds: 2, pollSeconds: 1 }, rulesFile: RULES_FILE });

/** services x dests entries; real-server addresses need not answer. Octets sort differently as text and as numbers. */
function table(services: number, dests: number): Record<string, string> {
    const e: Record<string, string> = {};
    for (let s = 0; s < services; s++) {
        const vip = `-t 10.${200 + (s >> 8)}.${s & 255}.9:80`;
        e[`-A ${vip}`] = "-s rr";
        for (let d = 0; d < dests; d++) e[`-a ${vip} -r 172.31.${d * 10 + 9}.${(s % 250) + 2}:80`] = "-g -w 1";
    }
    return e;
}

const seconds = (started: number) => ((Date.now() - started) / 1000).toFixed(2);
let t: HostTransport;
let owned: Record<string, string> = {};

describe.sequential("batched apply on director2's kernel", () => {
    leaseHosts("director2");
    beforeAll(async () => {
        await up();
        t = await openSsh(labSshTarget("director2"));
        await onHostOk("director2", "ipvsadm -A -u 10.250.0.1:53 -s wlc && ipvsadm -a -u 10.250.0.1:53 -r 10.250.1.1:53 -m -w 1");
    });

    afterAll(async () => {
        // Everything this file made goes, the foreign entry too; never -C.
        await applyTable(t, owned, state({})).catch(() => undefined);
        await onHostOk("director2", `rm -f ${BLOCK_MH}; ipvsadm -D -u 10.250.0.1:53 2>/dev/null; ipvsadm -D -t 10.9.9.1:80 2>/dev/null; rm -rf /var/lib/pulumi-lvs-test; true`);
        await t?.close();
    });

    it("real ipvsadm -R runs every line, prints what the kernel refused, and exits with the last line's status", async () => {
        const out = await onHostOk(
            "director2",
            [
                "exec 2>&1",
                "printf -- '-A -t 10.9.9.1:80 -s rr\\n-a -t 10.9.9.1:80 -r 10.9.8.1:80\\n-a -t 10.9.9.1:80 -r 10.9.8.1:80\\n-a -t 10.9.9.1:80 -r 10.9.8.2:80\\n' | ipvsadm -R; echo \"rc=$?\"",
                "printf -- '-a -t 10.9.9.1:80 -r 10.9.8.3:80\\n-a -t 10.9.9.2:80 -r 10.9.8.3:80\\n' | ipvsadm -R; echo \"rc=$?\"",
                "ipvsadm -S -n | grep 10.9.9.1; ipvsadm -D -t 10.9.9.1:80",
            ].join("\n"),
        );
        expect(out.split("\n").filter(Boolean)).toEqual([
            "Destination already exists",
            "rc=0",
            "Service not defined",
            "rc=255",
            "-A -t 10.9.9.1:80 -s rr",
            "-a -t 10.9.9.1:80 -r 10.9.8.1:80 -g -w 1",
            "-a -t 10.9.9.1:80 -r 10.9.8.2:80 -g -w 1",
            "-a -t 10.9.9.1:80 -r 10.9.8.3:80 -g -w 1",
        ]);
    });

    it("creates 10,000 entries from empty in one stream, then changes one entry with one line", async () => {
        const big = table(2000, 4);
        let started = Date.now();
        const first = await applyTable(t, {}, state(big));
        owned = first.live;
        console.log(`[batched] 10,000 entries from empty: ${seconds(started)} s`);
        expect(first.live).toEqual(big);
        expect(toEntries(await readLive(t))).toMatchObject(FOREIGN);

        const next = { ...big, "-a -t 10.200.0.9:80 -r 172.31.9.2:80": "-g -w 5" };
        started = Date.now();
        const second = await applyTable(t, owned, state(next));
        owned = second.live;
        console.log(`[batched] one-entry change at 10,000: ${seconds(started)} s`);
        expect(second.commands).toEqual(["ipvsadm -e -t 10.200.0.9:80 -r 172.31.9.2:80 -g -w 5"]);
        expect(second.live).toEqual(next);
        // What the apply recorded without listing again is what the kernel holds.
        expect(toEntries(await readLive(t))).toEqual({ ...next, ...FOREIGN });
        expect((await onHostOk("director2", `wc -l < ${RULES_FILE}`)).trim()).toBe("10000");
    });

    it("a line the kernel refuses mid-stream fails the apply with what is left; the next apply converges and the hand-made entry stays", async () => {
        await onHostOk("director2", `echo 'install ip_vs_mh /bin/false' > ${BLOCK_MH}; modprobe -r ip_vs_mh 2>/dev/null; true`);
        const wanted = { ...owned, "-A -t 10.220.0.9:80": "-s mh", "-a -t 10.220.0.9:80 -r 172.31.9.2:80": "-g -w 1", "-A -t 10.220.1.9:80": "-s rr", "-a -t 10.220.1.9:80 -r 172.31.9.2:80": "-g -w 1" };
        const failed = await applyTable(t, owned, state(wanted)).then(
            () => "",
            (e: Error) => e.message,
        );
        console.log(`[batched] refused mid-stream: ${failed}`);
        expect(failed).toMatch(/^ipvsadm -R \(apply phase, 4 changes\) was refused in part: .+\. The table now differs from the stack in 2 entries \(-A -t 10\.220\.0\.9:80, -a -t 10\.220\.0\.9:80 -r 172\.31\.9\.2:80\); no other entry was touched/);
        const live = toEntries(await readLive(t));
        expect(live["-a -t 10.220.1.9:80 -r 172.31.9.2:80"]).toBe("-g -w 1");
        expect(live).toMatchObject(FOREIGN);

        await onHostOk("director2", `rm -f ${BLOCK_MH}`);
        const again = await applyTable(t, owned, state(wanted));
        owned = again.live;
        expect(again.commands).toEqual(["ipvsadm -A -t 10.220.0.9:80 -s mh", "ipvsadm -a -t 10.220.0.9:80 -r 172.31.9.2:80 -g -w 1"]);
        expect(again.live).toEqual(wanted);

        const started = Date.now();
        const gone = await applyTable(t, owned, state({}));
        owned = gone.live;
        console.log(`[batched] removing 10,004 entries: ${seconds(started)} s`);
        expect(toEntries(await readLive(t))).toEqual(FOREIGN);
    });
});
