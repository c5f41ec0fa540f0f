/**
 * Issue 8 with the real engine: a stack of several services and VIPs, brought up from one
 * checkout, previewed, changed and destroyed from another checkout at another path that
 * shares the backend, after the first is gone. No-op previews stay no-ops (hosts reachable or
 * not: an unreachable director is named as unchecked, within a bound), the CI command lists
 * exactly the changed entry, and a new SSH port is an in-place update that no client notices.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { asClient, clientGet, cutLink, lab, onHostOk, restoreLink, up } from "../lab/lab";
import { ROOT, report } from "./support/engine";
import { makeCheckout, type Checkout } from "./support/checkout";
import { connCounters, LAB_CONNECT_TIMEOUT_SECONDS, liveEntries, writeLabStack, type HostOverrides } from "./support/lab-stack";

const STACK = "e2e-team";
const S = ["--stack", STACK];
const RS = { rs1: "192.168.13.112", rs2: "192.168.13.113" } as const;
const ALT_PORT = 23111;
/** An up-to-date preview against one cut-off director: engine start and plan (40 s), and one connect timeout. */
const UNREACHABLE_PREVIEW_BOUND_S = 40 + LAB_CONNECT_TIMEOUT_SECONDS;
/**
 * How a cut-off director1 fails to connect. The forward accepts on loopback and connects on to
 * the guest behind the downed tap: that either outlasts the connect timeout, or ARP for the
 * guest gives up first (sooner when the namespace's neighbour entry has already failed) and
 * the forward closes the connection.
 */
const NO_HANDSHAKE = `ssh director1 \\(root@127\\.0\\.0\\.1:22111\\): unreachable: (no SSH handshake within ${LAB_CONNECT_TIMEOUT_SECONDS} s|the connection closed before the SSH handshake)`;
const LEFTOVERS = "ls -d /etc/sysctl.d/90-pulumi-lvs-* /etc/pulumi-lvs /var/lib/pulumi-lvs /etc/systemd/system/pulumi-lvs-* 2>/dev/null || true";
const ARP_KEYS = "net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce net.ipv4.conf.ens33.arp_ignore net.ipv4.conf.ens33.arp_announce";

/**
 * Two groups on director1: "web" with two VIPs, tcp 80 (rr), udp 53 over addresses that sort
 * differently as text and as numbers (.9, .10, .112), and a fwmark service; "db" with tcp
 * 3306 (wrr, rs1 at weight `dbWeight`).
 */
function cluster(dbWeight: number): Record<string, unknown> {
    return {
        vipGroups: [
            {
                name: "web",
                vips: ["192.168.13.100", "192.168.13.101"],
                services: [
                    { protocol: "tcp", port: 80, scheduler: "rr", realServers: [{ host: "rs1" }, { host: "rs2" }] },
                    { protocol: "udp", port: 53, scheduler: "wlc", realServers: [{ address: "192.168.13.9" }, { address: "192.168.13.10" }, { host: "rs1" }] },
                    { fwmark: 7, scheduler: "lc", realServers: [{ host: "rs1" }, { host: "rs2" }] },
                ],
            },
            { name: "db", vips: ["192.168.13.102"], services: [{ protocol: "tcp", port: 3306, scheduler: "wrr", realServers: [{ host: "rs1", weight: dbWeight }, { host: "rs2" }] }] },
        ],
        directors: [{ host: "director1", interface: "ens33", vipGroups: ["web", "db"], drain: { timeoutSeconds: 10, pollSeconds: 1 } }],
        realServers: [{ host: "rs1" }, { host: "rs2" }],
    };
}

const OURS = /192\.168\.13\.10[012]:|^-. -f 7/;
async function ourEntries(): Promise<Record<string, string>> {
    return Object.fromEntries(Object.entries(await liveEntries("director1", false)).filter(([k]) => OURS.test(k)));
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lvs-team-"));
const backend = path.join(tmp, "backend");
let a: Checkout;
let b: Checkout;
const baseline: Record<string, string> = {};

describe.sequential("one stack, two checkouts, a shared backend", () => {
    beforeAll(async () => {
        await up();
        fs.mkdirSync(backend);
        for (const rs of ["rs1", "rs2"] as const) baseline[rs] = await onHostOk(rs, `sysctl -n ${ARP_KEYS}`);
        a = makeCheckout(path.join(tmp, "clone-a"), backend);
        writeLabStack(STACK, cluster(3), { root: a.dir });
        await a.pulumiOk(["stack", "init", STACK]);
    });

    afterAll(async () => {
        await restoreLink("director1").catch(() => undefined);
        await lab(["unforward", "director1", String(ALT_PORT)]);
        await up(); // the standard forward back, if a test stopped it
        if (b && fs.existsSync(b.dir)) await b.pulumi(["destroy", "--yes", "--skip-preview", ...S]);
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("1. up from clone A serves every service; then clone A is deleted", async () => {
        const r = await a.pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("up from clone A (4 services, 3 VIPs)", r.seconds);
        const live = await ourEntries();
        expect(Object.keys(live).filter((k) => k.startsWith("-A "))).toHaveLength(6);
        expect(live["-a -t 192.168.13.102:3306 -r 192.168.13.112:3306"]).toBe("-g -w 3");
        expect(live["-a -u 192.168.13.101:53 -r 192.168.13.9:53"]).toBe("-g -w 1");
        const answers = new Set([await clientGet("192.168.13.100"), await clientGet("192.168.13.100"), await clientGet("192.168.13.101", 80)]);
        expect(answers).toEqual(new Set(["rs1", "rs2"]));
        // Clone B is another path; A, its build and its stack file are gone before B is used.
        b = makeCheckout(path.join(tmp, "elsewhere", "clone-b"), backend);
        fs.copyFileSync(path.join(a.dir, "stacks", `Pulumi.${STACK}.yaml`), path.join(b.dir, "stacks", `Pulumi.${STACK}.yaml`));
        fs.rmSync(a.dir, { recursive: true, force: true });
    });

    it("2. the state names no checkout: neither clone's path nor this one's is in it", async () => {
        const state = (await b.pulumiOk(["stack", "export", ...S])).stdout;
        expect(state).not.toContain(path.join(tmp, "clone-a"));
        expect(state).not.toContain(b.dir);
        expect(state).not.toContain(ROOT);
        expect(state).toContain("bin/components/providers/runtime.js");
    });

    it("3. from clone B, with every host reachable, a refresh finds nothing new and a preview is a no-op, and the CI command says so", async () => {
        const f = await b.pulumiOk(["refresh", "--yes", "--skip-preview", ...S]);
        report("refresh from clone B", f.seconds);
        const p = await b.pulumiOk(["preview", "--expect-no-changes", ...S]);
        report("no-op preview from clone B", p.seconds);
        await b.pulumiOk(["preview", "--refresh", "--expect-no-changes", ...S]);
        const ci = await b.previewCi(S);
        expect(ci.code, ci.stdout + ci.stderr).toBe(0);
        expect(ci.stdout).toContain("**No changes.**");
        expect(ci.stdout).not.toContain("not checked");
    });

    it("4. with director1 cut off, the no-op preview still exits 0, names director1 as unchecked, and is quick", async () => {
        await cutLink("director1");
        try {
            const p = await b.pulumi(["preview", "--expect-no-changes", ...S]);
            report(`no-op preview with director1 unreachable (bound ${UNREACHABLE_PREVIEW_BOUND_S} s)`, p.seconds);
            expect(p.code, p.stdout + p.stderr).toBe(0);
            expect(p.stdout + p.stderr).toMatch(new RegExp(`pulumi-lvs: unchecked director1: drift not checked: ${NO_HANDSHAKE}`));
            expect(p.seconds).toBeLessThan(UNREACHABLE_PREVIEW_BOUND_S);
            const ci = await b.previewCi(S);
            report("CI command with director1 unreachable", ci.seconds);
            expect(ci.code, ci.stdout + ci.stderr).toBe(0);
            expect(ci.stdout).toContain("**1 host was not checked for drift:** director1.");
            expect(ci.stdout).toContain("- **director1**: ssh director1 (root@127.0.0.1:22111): unreachable");
            expect((await b.previewCi([...S, "--strict"])).code).toBe(1);
        } finally {
            await restoreLink("director1");
        }
    });

    it("5. a weight change made in clone B: the CI command lists exactly that entry; up with director1 cut off fails naming it; once back, up from B applies it", async () => {
        writeLabStack(STACK, cluster(5), { root: b.dir });
        const ci = await b.previewCi(S);
        report("CI command with one change", ci.seconds);
        expect(ci.code, ci.stdout + ci.stderr).toBe(2);
        const rows = ci.stdout.split("\n").filter((l) => /^\| (\+|-|~|drift) \|/.test(l));
        expect(rows).toEqual(["| ~ | `-a -t 192.168.13.102:3306 -r 192.168.13.112:3306` | `-g -w 3` | `-g -w 5` |"]);
        expect(ci.stdout).toContain("#### director1");
        expect(ci.stdout).not.toContain("#### Other resources");

        await cutLink("director1");
        let failed;
        try {
            failed = await b.pulumi(["up", "--yes", "--skip-preview", ...S]);
        } finally {
            await restoreLink("director1");
        }
        report("up failing on unreachable director1", failed.seconds);
        expect(failed.code).not.toBe(0);
        expect(failed.stdout + failed.stderr).toMatch(new RegExp(NO_HANDSHAKE));
        expect((await ourEntries())["-a -t 192.168.13.102:3306 -r 192.168.13.112:3306"]).toBe("-g -w 3");

        const u = await b.pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("up after director1 is back", u.seconds);
        expect((await ourEntries())["-a -t 192.168.13.102:3306 -r 192.168.13.112:3306"]).toBe("-g -w 5");
        await b.pulumiOk(["preview", "--expect-no-changes", ...S]);
    });

    it("6. a new SSH port for director1 is an in-place update: no request fails, counters survive, and the old port is no longer needed", async () => {
        await lab(["forward", "director1", String(ALT_PORT)]);
        const hosts: HostOverrides = { director1: { ssh: { port: ALT_PORT } } };
        writeLabStack(STACK, cluster(5), { root: b.dir, hosts });
        const plan = JSON.parse((await b.pulumiOk(["preview", "--json", ...S])).stdout) as { steps: { op: string; urn: string }[] };
        const ops = plan.steps.filter((s) => s.op !== "same");
        expect(ops.length).toBeGreaterThan(0);
        expect(ops.every((s) => s.op === "update" && /director1-director/.test(s.urn)), JSON.stringify(ops)).toBe(true);

        const before = await connCounters("director1");
        expect(before[`${RS.rs1}:80`] + before[`${RS.rs2}:80`]).toBeGreaterThan(0);
        const entriesBefore = await ourEntries();
        const loop = asClient(["sh", "-c", `ok=0; bad=0; for i in $(seq 1 80); do if curl -s -o /dev/null --max-time 2 http://192.168.13.100/; then ok=$((ok+1)); else bad=$((bad+1)); fi; sleep 0.2; done; echo "ok=$ok bad=$bad"`]);
        const u = await b.pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("up changing director1's SSH port", u.seconds);
        const traffic = (await loop).stdout.trim();
        console.log(`[traffic] across the SSH port change: ${traffic}`);
        expect(traffic).toMatch(/^ok=\d+ bad=0$/);
        const after = await connCounters("director1");
        for (const rs of [RS.rs1, RS.rs2]) expect(after[`${rs}:80`]).toBeGreaterThanOrEqual(before[`${rs}:80`]);
        expect(await ourEntries()).toEqual(entriesBefore);

        // From now on only the new port reaches director1: the standard forward goes away.
        await lab(["unforward", "director1"]);
        const p = await b.pulumiOk(["preview", "--expect-no-changes", ...S]);
        expect(p.stdout + p.stderr).not.toContain("unchecked director1");
    });

    it("7. destroy from clone B, over the new port and after B's code changed and was rebuilt, leaves every host clean", async () => {
        const logic = path.join(b.dir, "components", "providers", "ipvs-table-logic.ts");
        fs.appendFileSync(logic, "\n/** A change made in clone B after up: destroy runs the rebuilt code. */\nexport const CHANGED_IN_CLONE_B = true;\n");
        b.rebuild();
        expect(fs.readFileSync(path.join(b.dir, "bin", "components", "providers", "ipvs-table-logic.js"), "utf8")).toContain("CHANGED_IN_CLONE_B");
        const d = await b.pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
        report("destroy from clone B", d.seconds);
        expect(await ourEntries()).toEqual({});
        expect(await onHostOk("director1", "ip -4 addr show dev ens33")).not.toMatch(/192\.168\.13\.10[012]\//);
        expect((await onHostOk("director1", LEFTOVERS)).trim()).toBe("");
        for (const rs of ["rs1", "rs2"] as const) {
            expect(await onHostOk(rs, `sysctl -n ${ARP_KEYS}`)).toBe(baseline[rs]);
            expect(await onHostOk(rs, "ip -4 addr show dev lo")).not.toMatch(/192\.168\.13\.10[012]\//);
            expect((await onHostOk(rs, LEFTOVERS)).trim()).toBe("");
        }
    });
});
