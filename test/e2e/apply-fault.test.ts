/**
 * A link cut in the middle of an `up` (issue 10): director1 carries 100 services of two real
 * servers each, and an `up` edits every real server's weight in one `ipvsadm -R` stream. Once
 * the edits have started on the host, the director's link goes down. The `up` must fail naming
 * the host; once the link is back, the next `up` converges to the desired table, the entry
 * made by hand stays untouched, and no owned entry is lost or left half-edited.
 *
 * The real -R takes 200 edits in well under a second, too fast to cut the link in the middle
 * of, so for the cut the host gets a slow kernel: an ipvsadm ahead of the real one on PATH
 * that runs -R's lines one by one, 50 ms apart. Everything else is the real tool.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labOk, onHost, onHostOk, up } from "../lab/lab";
import { freshStack, pulumi, pulumiOk, report } from "./support/engine";
import { VIP, liveEntries, writeLabStack } from "./support/lab-stack";

const STACK = "e2e-fault";
const S = ["--stack", STACK];
const SERVICES = 100;
const FOREIGN = "-t 192.168.13.200:8080";

function bulkCluster(weight: number): Record<string, unknown> {
    const services = Array.from({ length: SERVICES }, (_, i) => ({
        protocol: "tcp",
        port: 10001 + i,
        scheduler: "wrr",
        realServers: [{ host: "rs1", weight }, { host: "rs2", weight }],
    }));
    return {
        vipGroups: [{ name: "bulk", vips: [VIP], services }],
        directors: [{ host: "director1", vipGroups: ["bulk"] }],
        realServers: [{ host: "rs1" }, { host: "rs2" }],
    };
}

/** The table the stack should own at `weight`, as `ipvsadm -S -n` entries. */
function expectedEntries(weight: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < SERVICES; i++) {
        const svc = `-t ${VIP}:${10001 + i}`;
        out[`-A ${svc}`] = "-s wrr";
        for (const rs of ["192.168.13.112", "192.168.13.113"]) out[`-a ${svc} -r ${rs}:${10001 + i}`] = `-g -w ${weight}`;
    }
    return out;
}

/** A slow kernel for -R (see above); any other call goes straight to the real ipvsadm. */
const SLOW_IPVSADM = "/usr/local/sbin/ipvsadm";
const SLOW_SHIM = ["#!/bin/sh", 'if [ "$1" = -R ]; then while read -r l; do REAL $l; sleep 0.05; done; exit 0; fi', 'exec REAL "$@"'].join("\n");
const installSlowIpvsadm = () =>
    onHostOk("director1", `real=$(command -v ipvsadm) && [ "$real" != ${SLOW_IPVSADM} ] && sed "s|REAL|$real|g" > ${SLOW_IPVSADM} <<'SHIM' && chmod 755 ${SLOW_IPVSADM}\n${SLOW_SHIM}\nSHIM`);
const removeSlowIpvsadm = () => onHost("director1", `rm -f ${SLOW_IPVSADM}`);

const count = (entries: Record<string, string>, value: string) => Object.values(entries).filter((v) => v === value).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.sequential("a link cut during up", () => {
    beforeAll(async () => {
        await up();
        await onHost("director1", `ipvsadm -D ${FOREIGN} 2>/dev/null; ipvsadm -A ${FOREIGN} -s wlc && ipvsadm -a ${FOREIGN} -r 192.168.13.114:8080 -g -w 1`);
        writeLabStack(STACK, bulkCluster(1));
        await freshStack(STACK);
        const r = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report(`up of ${SERVICES * 3} entries from empty`, r.seconds);
        expect(await liveEntries("director1")).toEqual(expectedEntries(1));
    });

    afterAll(async () => {
        await labOk(["restore", "director1"]);
        await removeSlowIpvsadm();
        await pulumi(["destroy", "--yes", "--skip-preview", ...S]);
        await onHost("director1", `ipvsadm -D ${FOREIGN} 2>/dev/null || true`);
    });

    it("the up fails naming the host, with part of the edits applied", async () => {
        writeLabStack(STACK, bulkCluster(2));
        await installSlowIpvsadm();
        const running = pulumi(["up", "--yes", "--skip-preview", ...S]);
        // Wait until the host has applied some edits, then cut its link.
        let applied = 0;
        for (let i = 0; i < 600 && applied === 0; i++) {
            applied = count(await liveEntries("director1"), "-g -w 2");
            if (applied === 0) await sleep(200);
        }
        expect(applied, "the edits never started").toBeGreaterThan(0);
        await labOk(["cut", "director1"]);
        const cutAt = Date.now();
        const r = await running;
        report("up failing after the cut", (Date.now() - cutAt) / 1000);
        expect(r.code).not.toBe(0);
        expect(r.stdout + r.stderr).toMatch(/ssh director1 \(root@127\.0\.0\.1:\d+\): connection lost while a command ran/);
        await labOk(["restore", "director1"]);
        // The host finishes the stream on its own; give it the time 200 slow lines take.
        await sleep(15_000);
        await removeSlowIpvsadm();
        const after = await liveEntries("director1");
        const edited = count(after, "-g -w 2");
        console.log(`[fault] link cut with ${applied} of ${SERVICES * 2} edits seen on the host; ${edited} applied once the host finished on its own`);
        // Nothing was lost or half-edited: every entry is there, at the old weight or the new one.
        expect(Object.keys(after).sort()).toEqual(Object.keys(expectedEntries(2)).sort());
        expect(count(after, "-g -w 1") + edited).toBe(SERVICES * 2);
    });

    it("with the link back, the next up converges and leaves the hand-made entry alone", async () => {
        const r = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("up converging after the fault", r.seconds);
        expect(await liveEntries("director1")).toEqual(expectedEntries(2));
        const all = await liveEntries("director1", false);
        expect(Object.fromEntries(Object.entries(all).filter(([k]) => k.includes(FOREIGN)))).toEqual({ [`-A ${FOREIGN}`]: "-s wlc", [`-a ${FOREIGN} -r 192.168.13.114:8080`]: "-g -w 1" });
        await pulumiOk(["preview", "--expect-no-changes", ...S]);
        expect((await onHostOk("director1", "grep -c -- '-w 2' /var/lib/pulumi-lvs/ipvs.rules")).trim()).toBe(String(SERVICES * 2));
    });
});
