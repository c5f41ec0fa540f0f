/**
 * A single Director with `healthChecks: true` on the lab, with the real engine: keepalived runs
 * checks only (no VRRP; the Director keeps its own VIP) and takes a real server whose web
 * server stopped out of the table, and puts it back when it answers again. Destroy leaves
 * director1 as it was.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { onHost, onHostOk, up } from "../lab/lab";
import { freshStack, pulumi, pulumiOk, report } from "./support/engine";
import { SERVICE, VIP, liveEntries, writeLabStack } from "./support/lab-stack";
import { FAST_TCP_CHECK, RS_ADDRESS, clientProbe, describeProbe, flipWeb, holdsVip, outage, removalBound, returnBound, webCommand } from "./support/keepalived-lab";

const STACK = "e2e-health";
const S = ["--stack", STACK];
const CHECK = FAST_TCP_CHECK;
const REMOVAL_BOUND = removalBound(CHECK);
const CONF = "/etc/keepalived/keepalived.conf";
const LEFTOVERS =
    "ls -d /etc/sysctl.d/90-pulumi-lvs-* /etc/pulumi-lvs /var/lib/pulumi-lvs /etc/systemd/system/pulumi-lvs-* /etc/modules-load.d/pulumi-lvs-* 2>/dev/null || true";

const dest = (addr: string) => `-a ${SERVICE} -r ${addr}:80`;
const BOTH = { [`-A ${SERVICE}`]: "-s rr", [dest(RS_ADDRESS.rs1)]: "-g -w 1", [dest(RS_ADDRESS.rs2)]: "-g -w 1" };

const cluster = {
    vipGroups: [{ name: "web", vips: [VIP], services: [{ protocol: "tcp", port: 80, scheduler: "rr", healthCheck: CHECK, realServers: [{ host: "rs1" }, { host: "rs2" }] }] }],
    directors: [{ host: "director1", interface: "ens33", vipGroups: ["web"], healthChecks: true }],
    realServers: [{ host: "rs1" }, { host: "rs2" }],
};

describe.sequential("Director with healthChecks, with the real engine", () => {
    beforeAll(async () => {
        await up();
        writeLabStack(STACK, cluster);
        // A run that crashed may have left the stack's resources behind: take them down first.
        await pulumi(["destroy", "--yes", "--skip-preview", ...S]);
        await freshStack(STACK);
        for (const rs of ["rs1", "rs2"] as const) await onHostOk(rs, webCommand(true));
    });

    afterAll(async () => {
        await onHost("rs1", webCommand(true));
        const down = await pulumi(["destroy", "--yes", "--skip-preview", ...S]);
        if (down.code !== 0) console.log(`[cleanup] destroy exited ${down.code}:\n${down.stdout.slice(-3000)}\n${down.stderr.slice(-2000)}`);
    });

    it("up: the Director holds its VIP, keepalived (checks only) built the desired table, traffic is balanced", async () => {
        const r = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("up of a health-checked Director", r.seconds);
        expect(await holdsVip("director1")).toBe(true);
        expect(await liveEntries("director1")).toEqual(BOTH);
        const conf = await onHostOk("director1", `cat ${CONF}`);
        expect(conf).toContain("TCP_CHECK");
        expect(conf).not.toContain("vrrp_instance");
        expect((await onHostOk("director1", "systemctl is-active keepalived")).trim()).toBe("active");
        const p = await clientProbe({ seconds: 3, loops: 1 });
        expect(outage(p).failed).toBe(0);
        expect(new Set(p.requests.map((q) => q.body))).toEqual(new Set(["rs1", "rs2"]));
    });

    it("rs1's web server stops -> rs1 leaves the table within delay_loop + timeouts, and no request fails after; it returns when started", async () => {
        onTestFinished(async () => void (await onHost("rs1", webCommand(true))));
        const down = await flipWeb("rs1", false, ["director1"], REMOVAL_BOUND + 10);
        console.log(describeProbe("while keepalived found rs1 down", down.during, down.fired.at));
        report(`rs1 web stopped -> out of director1's table (bound ${REMOVAL_BOUND} s)`, down.followed.director1);
        expect(down.followed.director1).toBeLessThanOrEqual(REMOVAL_BOUND);
        expect(await liveEntries("director1")).toEqual({ [`-A ${SERVICE}`]: "-s rr", [dest(RS_ADDRESS.rs2)]: "-g -w 1" });
        const p = await clientProbe({ seconds: 5 });
        console.log(describeProbe("rs1 down, out of the table", p));
        expect(outage(p).failed).toBe(0);
        expect(new Set(p.requests.map((q) => q.body))).toEqual(new Set(["rs2"]));

        const back = await flipWeb("rs1", true, ["director1"], REMOVAL_BOUND + 10);
        report(`rs1 web started -> back in director1's table (bound ${returnBound(CHECK)} s)`, back.followed.director1);
        expect(back.followed.director1).toBeLessThanOrEqual(returnBound(CHECK));
        expect(outage(back.during).failed).toBe(0);
        expect(await liveEntries("director1")).toEqual(BOTH);
        const q = await clientProbe({ seconds: 3, loops: 1 });
        expect(outage(q).failed).toBe(0);
        expect(new Set(q.requests.map((r) => r.body))).toEqual(new Set(["rs1", "rs2"]));
    });

    it("destroy: keepalived stopped and disabled, its config gone, no VIP, no entries, no files of ours", async () => {
        const d = await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
        report("destroy of the health-checked Director", d.seconds);
        expect((await onHost("director1", "systemctl is-active keepalived")).stdout.trim()).not.toBe("active");
        expect((await onHost("director1", "systemctl is-enabled keepalived")).stdout.trim()).toBe("disabled");
        expect((await onHost("director1", `test -e ${CONF}`)).code).not.toBe(0);
        expect(await onHostOk("director1", "ip -4 addr show dev ens33")).not.toContain(VIP);
        expect(await liveEntries("director1")).toEqual({});
        expect((await onHostOk("director1", LEFTOVERS)).trim()).toBe("");
        for (const rs of ["rs1", "rs2"] as const) expect(await onHostOk(rs, "ip -4 addr show dev lo"), rs).not.toContain(VIP);
    });
});
