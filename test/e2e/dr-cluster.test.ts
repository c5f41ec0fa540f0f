/**
 * Issue 4 with the real engine on the lab: up from bare hosts, no-op preview/up, an exact
 * incremental change, a drained removal under live traffic, drift, and a clean destroy.
 * The scenarios build on each other, so they run in order in one file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asClient, clientGet, onHost, onHostOk, up } from "../lab/lab";
import { freshStack, pulumi, pulumiOk, report } from "./support/engine";
import { SERVICE, VIP, connCounters, drCluster, liveEntries, writeLabStack } from "./support/lab-stack";

const STACK = "e2e-dr";
const S = ["--stack", STACK];
const RS = { rs1: "192.168.13.112", rs2: "192.168.13.113", rs3: "192.168.13.114" } as const;
const ARP_KEYS = ["net.ipv4.conf.all.arp_ignore", "net.ipv4.conf.all.arp_announce", "net.ipv4.conf.ens33.arp_ignore", "net.ipv4.conf.ens33.arp_announce"];
const FOREIGN = "-t 192.168.13.200:8080";
const LEFTOVERS = "ls -d /etc/sysctl.d/90-pulumi-lvs-* /etc/pulumi-lvs /var/lib/pulumi-lvs /etc/systemd/system/pulumi-lvs-* /etc/modules-load.d/pulumi-lvs-* 2>/dev/null || true";

const dest = (addr: string) => `-a ${SERVICE} -r ${addr}:80`;
const sysctls = (host: "rs1" | "rs2" | "rs3") => onHostOk(host, `sysctl -n ${ARP_KEYS.join(" ")}`).then((o) => o.trim().split("\n"));

/** Which real server answered each of `n` requests (the lab's web servers answer with their hostname). */
async function whoAnswers(n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push((await clientGet(VIP)) ?? "FAILED");
    return out;
}

/** The ipvs entries a preview would change on the director's table, from `pulumi preview --json`. */
async function previewedEntryChanges(): Promise<Record<string, { from?: string; to?: string }>> {
    const r = await pulumiOk(["preview", "--json", ...S]);
    const plan = JSON.parse(r.stdout) as { steps?: { op: string; urn: string; oldState?: { inputs?: { entries?: Record<string, string> } }; newState?: { inputs?: { entries?: Record<string, string> } } }[] };
    const table = (plan.steps ?? []).find((s) => s.urn.endsWith("director1-director-ipvs"));
    const before = table?.oldState?.inputs?.entries ?? {};
    const after = table?.newState?.inputs?.entries ?? {};
    const changes: Record<string, { from?: string; to?: string }> = {};
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) if (before[k] !== after[k]) changes[k] = { from: before[k], to: after[k] };
    return changes;
}

let baseline: Record<string, string[]> = {};

describe.sequential("DR cluster with the real engine", () => {
    beforeAll(async () => {
        await up();
        // An entry created by hand before the stack exists: the stack must never touch it.
        await onHost("director1", `ipvsadm -D ${FOREIGN} 2>/dev/null; ipvsadm -A ${FOREIGN} -s wlc && ipvsadm -a ${FOREIGN} -r 192.168.13.114:8080 -g -w 1`);
        baseline = { rs1: await sysctls("rs1"), rs2: await sysctls("rs2"), rs3: await sysctls("rs3") };
        writeLabStack(STACK, drCluster([{ host: "rs1" }, { host: "rs2" }]));
        await freshStack(STACK);
    });

    afterAll(async () => {
        await onHost("director1", `ipvsadm -D ${FOREIGN} 2>/dev/null || true`);
    });

    it("1. up from bare hosts gives a balanced DR cluster", async () => {
        const r = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("up from bare hosts", r.seconds);
        expect(await liveEntries("director1")).toEqual({ [`-A ${SERVICE}`]: "-s rr", [dest(RS.rs1)]: "-g -w 1", [dest(RS.rs2)]: "-g -w 1" });
        const answers = await whoAnswers(6);
        expect(answers.filter((a) => a === "rs1")).toHaveLength(3);
        expect(answers.filter((a) => a === "rs2")).toHaveLength(3);
        for (let i = 1; i < answers.length; i++) expect(answers[i]).not.toBe(answers[i - 1]); // round robin alternates
        for (const rs of ["rs1", "rs2"] as const) {
            expect(await sysctls(rs)).toEqual(["1", "2", "1", "2"]);
            expect(await onHostOk(rs, "ip -4 addr show dev lo")).toMatch(new RegExp(`inet ${VIP}/32 .*lo:0`));
        }
        expect(await onHostOk("director1", "ip -4 addr show dev ens33")).toMatch(new RegExp(`inet ${VIP}/32 .*ens33:0`));
    });

    it("2. a second preview shows no changes and a second up changes nothing", async () => {
        const p = await pulumiOk(["preview", "--expect-no-changes", ...S]);
        report("preview (no changes)", p.seconds);
        const counters = await connCounters("director1");
        const u = await pulumiOk(["up", "--yes", "--expect-no-changes", ...S]);
        report("no-op up", u.seconds);
        const after = await connCounters("director1");
        for (const [addr, n] of Object.entries(counters)) expect(after[addr]).toBeGreaterThanOrEqual(n);
    });

    it("3. one weight change and rs3 added: preview lists exactly those entries; up applies them without a flush", async () => {
        writeLabStack(STACK, drCluster([{ host: "rs1", weight: 3 }, { host: "rs2" }, { host: "rs3" }]));
        const changes = await previewedEntryChanges();
        expect(changes).toEqual({ [dest(RS.rs1)]: { from: "-g -w 1", to: "-g -w 3" }, [dest(RS.rs3)]: { to: "-g -w 1" } });
        const text = await pulumiOk(["preview", "--diff", ...S]);
        expect(text.stdout).toContain(dest(RS.rs3));
        expect(text.stdout).toContain(dest(RS.rs1));
        expect(text.stdout).not.toMatch(new RegExp(`[-+~] +"${dest(RS.rs2).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"`));

        const before = await connCounters("director1");
        expect(before[`${RS.rs2}:80`]).toBeGreaterThan(0);
        await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        const after = await connCounters("director1");
        // Counters survive: the untouched and the edited entries were never deleted and re-added.
        expect(after[`${RS.rs2}:80`]).toBeGreaterThanOrEqual(before[`${RS.rs2}:80`]);
        expect(after[`${RS.rs1}:80`]).toBeGreaterThanOrEqual(before[`${RS.rs1}:80`]);
        expect(await liveEntries("director1")).toEqual({ [`-A ${SERVICE}`]: "-s rr", [dest(RS.rs1)]: "-g -w 3", [dest(RS.rs2)]: "-g -w 1", [dest(RS.rs3)]: "-g -w 1" });
        expect(await whoAnswers(10)).toContain("rs3");
    });

    it("4. removing rs2 drains it (weight 0) then deletes it, and no client request fails", async () => {
        writeLabStack(STACK, drCluster([{ host: "rs1", weight: 3 }, { host: "rs3" }]));
        // A bounded request loop in the lab's namespace, running across the whole update.
        const loop = asClient(["sh", "-c", `ok=0; bad=0; for i in $(seq 1 120); do if curl -s -o /dev/null --max-time 2 http://${VIP}/; then ok=$((ok+1)); else bad=$((bad+1)); fi; sleep 0.2; done; echo "ok=$ok bad=$bad"`]);
        const u = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("up removing rs2 (drain)", u.seconds);
        const result = (await loop).stdout.trim();
        console.log(`[traffic] during the rs2 removal: ${result}`);
        expect(result).toMatch(/^ok=\d+ bad=0$/);
        expect(Number(/ok=(\d+)/.exec(result)?.[1])).toBeGreaterThan(100);
        const state = JSON.parse((await pulumiOk(["stack", "export", ...S])).stdout) as { deployment: { resources: { urn: string; outputs?: { lastApply?: { commands: string[] } } }[] } };
        const table = state.deployment.resources.find((r) => r.urn.endsWith("director1-director-ipvs"));
        const commands = table?.outputs?.lastApply?.commands ?? [];
        const drainAt = commands.findIndex((c) => c === `ipvsadm -e ${SERVICE} -r ${RS.rs2}:80 -g -w 0`);
        const deleteAt = commands.findIndex((c) => c === `ipvsadm -d ${SERVICE} -r ${RS.rs2}:80`);
        expect(drainAt, commands.join("\n")).toBeGreaterThanOrEqual(0);
        expect(deleteAt).toBeGreaterThan(drainAt);
        expect(Object.keys(await liveEntries("director1"))).not.toContain(dest(RS.rs2));
        expect(await sysctls("rs2")).toEqual(baseline.rs2);
        expect(await onHostOk("rs2", "ip -4 addr show dev lo")).not.toContain(VIP);
    });

    it("6. drift: entries changed or deleted by hand show in the preview and the next up restores them", async () => {
        await onHostOk("director1", `ipvsadm -d ${SERVICE} -r ${RS.rs1}:80 && ipvsadm -e ${SERVICE} -r ${RS.rs3}:80 -g -w 5`);
        const refreshed = await pulumiOk(["preview", "--refresh", "--diff", ...S]);
        expect(refreshed.stdout).toContain(dest(RS.rs1));
        expect(refreshed.stdout).toContain(dest(RS.rs3));
        const plain = await pulumi(["preview", "--expect-no-changes", ...S]);
        expect(plain.code).not.toBe(0); // drift is a change even without --refresh
        await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        expect(await liveEntries("director1")).toEqual({ [`-A ${SERVICE}`]: "-s rr", [dest(RS.rs1)]: "-g -w 3", [dest(RS.rs3)]: "-g -w 1" });
    });

    it("5. destroy leaves the hosts as they were, and the hand-made entry untouched", async () => {
        const d = await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
        report("destroy", d.seconds);
        expect(await liveEntries("director1")).toEqual({});
        const foreign = await liveEntries("director1", false);
        expect(foreign).toEqual({ [`-A ${FOREIGN}`]: "-s wlc", [`-a ${FOREIGN} -r 192.168.13.114:8080`]: "-g -w 1" });
        expect(await onHostOk("director1", "ip -4 addr show dev ens33")).not.toContain(VIP);
        for (const rs of ["rs1", "rs2", "rs3"] as const) {
            expect(await sysctls(rs)).toEqual(baseline[rs]);
            expect(await onHostOk(rs, "ip -4 addr show dev lo")).not.toContain(VIP);
            expect((await onHostOk(rs, LEFTOVERS)).trim()).toBe("");
        }
        expect((await onHostOk("director1", LEFTOVERS)).trim()).toBe("");
        // systemctl exits 1 when no unit matches, which is the outcome wanted here.
        expect((await onHostOk("director1", "systemctl list-unit-files 'pulumi-lvs*' --no-legend || true")).trim()).toBe("");
    });
});
