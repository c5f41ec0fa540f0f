/**
 * Seed 000's ARP method (issue 11), real engine, lab: rs1 and rs2 hide the VIP with arptables
 * rules (arpMethod: arptables) instead of the arp_ignore/arp_announce sysctls. The client's
 * neighbour entry for the VIP is the director's MAC, both real servers answer, the ARP sysctls
 * are never touched, and destroy removes our chains while an operator's own rule stays.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asClient, onHost, onHostOk, up } from "../lab/lab";
import { freshStack, pulumiOk, report } from "./support/engine";
import { VIP, drCluster, writeLabStack } from "./support/lab-stack";

const STACK = "e2e-arptables";
const S = ["--stack", STACK];
const RS = ["rs1", "rs2"] as const;
const DIRECTOR_MAC = "52:54:00:13:00:6f";
const ARP_KEYS = "net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce net.ipv4.conf.ens33.arp_ignore net.ipv4.conf.ens33.arp_announce";
const FOREIGN = "-s 192.168.13.254 -j DROP";

function arptablesCluster(): Record<string, unknown> {
    const c = drCluster([{ host: "rs1" }, { host: "rs2" }]) as { realServers: Record<string, unknown>[] };
    for (const r of c.realServers) r.arpMethod = "arptables";
    return c;
}

const before: Record<string, string> = {};

describe.sequential("arptables as the ARP method", () => {
    beforeAll(async () => {
        await up();
        for (const rs of RS) {
            before[rs] = await onHostOk(rs, `sysctl -n ${ARP_KEYS}`);
            await onHostOk(rs, `arptables -A INPUT ${FOREIGN}`);
        }
        writeLabStack(STACK, arptablesCluster());
        await freshStack(STACK);
    });

    afterAll(async () => {
        for (const rs of RS) await onHost(rs, `arptables -D INPUT ${FOREIGN}`);
    });

    it("hides the VIP with arptables rules: the client learns the director's MAC and both real servers answer", async () => {
        const r = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("arptables up", r.seconds);
        for (const rs of RS) {
            const rules = await onHostOk(rs, "arptables -L -n");
            expect(rules).toMatch(/-j pulumi-lvs-in/);
            expect(rules).toMatch(/-j pulumi-lvs-out/);
            expect(await onHostOk(rs, "ip -4 addr show dev lo")).toContain(`inet ${VIP}/32`);
            expect(await onHostOk(rs, `sysctl -n ${ARP_KEYS}`)).toBe(before[rs]);
        }
        await asClient(["ip", "neigh", "flush", "to", VIP]);
        const answers = (await asClient(["sh", "-c", `for i in 1 2 3 4 5 6; do curl -s --max-time 3 http://${VIP}/ || echo FAILED; done`])).stdout.split("\n").filter(Boolean);
        expect(answers.filter((a) => a === "rs1")).toHaveLength(3);
        expect(answers.filter((a) => a === "rs2")).toHaveLength(3);
        const neigh = (await asClient(["ip", "neigh", "show", "to", VIP])).stdout.trim();
        expect(neigh).toContain(`lladdr ${DIRECTOR_MAC}`);
    });

    it("a second up changes nothing", async () => {
        const rules = await onHostOk("rs1", "arptables -L -n");
        await pulumiOk(["up", "--yes", "--expect-no-changes", ...S]);
        expect(await onHostOk("rs1", "arptables -L -n")).toBe(rules);
    });

    it("destroy removes our chains and keeps the operator's rule", async () => {
        await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
        for (const rs of RS) {
            const rules = await onHostOk(rs, "arptables -L -n");
            expect(rules).not.toContain("pulumi-lvs");
            expect(rules).toContain("192.168.13.254");
            expect(await onHostOk(rs, "ip -4 addr show dev lo")).not.toContain(VIP);
        }
    });
});
