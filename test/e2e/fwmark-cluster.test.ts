/**
 * A fwmark service that marks its own packets (issue 11), real engine, lab: the classic case,
 * tcp 80 and 443 in one persistent fwmark service. The director loads the marks as nft table
 * inet pulumi_lvs; one client sticks to one real server across both ports; destroy removes our
 * table and leaves the operator's own table alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asClient, onHost, onHostOk, up } from "../lab/lab";
import { freshStack, pulumiOk, report } from "./support/engine";
import { VIP, drCluster, writeLabStack } from "./support/lab-stack";

const STACK = "e2e-fwmark";
const S = ["--stack", STACK];
const RS = ["rs1", "rs2"] as const;

function fwmarkCluster(): Record<string, unknown> {
    const c = drCluster([{ host: "rs1" }, { host: "rs2" }]) as { vipGroups: { services: unknown[] }[] };
    c.vipGroups[0].services = [{ fwmark: 1, scheduler: "rr", persistence: { timeout: 300 }, marks: [{ protocol: "tcp", ports: [80, 443] }], realServers: [{ host: "rs1" }, { host: "rs2" }] }];
    return c;
}

describe.sequential("a persistent fwmark service over ports 80 and 443", () => {
    beforeAll(async () => {
        await up();
        // The lab's real servers answer HTTP on 80; 443 stands for HTTPS here (plain HTTP suffices to see who answers).
        for (const rs of RS) await onHostOk(rs, "systemctl start lab-http@443.service");
        await onHostOk("director1", "nft add table inet operator && nft add chain inet operator input '{ type filter hook input priority 0; policy accept; }'");
        writeLabStack(STACK, fwmarkCluster());
        await freshStack(STACK);
    });

    afterAll(async () => {
        for (const rs of RS) await onHost(rs, "systemctl stop lab-http@443.service");
        await onHost("director1", "nft delete table inet operator");
    });

    it("marks both ports and keeps one client on one real server across them", async () => {
        const r = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("fwmark up", r.seconds);
        expect(await onHostOk("director1", "ipvsadm -S -n")).toMatch(/^-A -f 1 -s rr -p 300$/m);
        expect(await onHostOk("director1", "nft list chain inet pulumi_lvs prerouting")).toMatch(/ip daddr 192\.168\.13\.100 tcp dport \{ 80, 443 \} meta mark set 0x00000001/);
        const loop = `for p in 80 443 80 443 443 80; do curl -s --max-time 3 http://${VIP}:$p/ || echo FAILED; done`;
        const answers = (await asClient(["sh", "-c", loop])).stdout.split("\n").filter(Boolean);
        expect(answers).toHaveLength(6);
        expect(new Set(answers).size, answers.join(",")).toBe(1);
        expect(RS as readonly string[]).toContain(answers[0]);
        const conns = await onHostOk("director1", "ipvsadm -L -n -c");
        expect(conns).toMatch(/TCP .*192\.168\.13\.100:80 /);
        expect(conns).toMatch(/TCP .*192\.168\.13\.100:443 /);
    });

    it("destroy removes our table and leaves the operator's", async () => {
        await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
        const tables = await onHostOk("director1", "nft list tables");
        expect(tables).toContain("table inet operator");
        expect(tables).not.toContain("pulumi_lvs");
        expect(await onHostOk("director1", "ipvsadm -S -n")).not.toMatch(/-f 1/);
    });
});
