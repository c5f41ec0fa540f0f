/**
 * Seed 001 (LVS-NAT) with the real engine, on the lab's NAT topology: director1 holds the VIP
 * 192.168.0.75 on its public side and the DIP 172.16.0.10 on the private network, where rs1
 * (172.16.0.45) and rs2 (172.16.0.55) sit with no other route to the client (192.168.0.250).
 * Replies reach the client only if the real servers route through the DIP and the director
 * forwards and rewrites them. rr, then wrr 3:1 in place, then a port map to 8080, and a destroy
 * that puts ip_forward and the real servers' routes back.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { clientGetMany, onHostOk, up } from "../lab/lab";
import { freshStack, pulumiOk, report } from "./support/engine";
import { tally, writeLabStack } from "./support/lab-stack";
import { toEntries } from "../../components/core/ipvs/ipvs-entries";
import { parseSave } from "../../components/core/ipvs/ipvs-parse";

const STACK = "e2e-nat";
const S = ["--stack", STACK];
const VIP = "192.168.0.75";
const DIP = "172.16.0.10";
const RIP = { rs1: "172.16.0.45", rs2: "172.16.0.55" } as const;
const SERVICE = `-t ${VIP}:80`;

interface Pool {
    scheduler: string;
    weights: [number, number];
    port: number;
}

/** Seed 001's cluster on the lab: hosts at their seed-001 (private network) addresses, reached through the lab's forwards. */
function writeNatStack(pool: Pool): void {
    const cluster = {
        vipGroups: [
            {
                name: "web",
                vips: [VIP],
                services: [{ protocol: "tcp", port: 80, scheduler: pool.scheduler, realServers: (["rs1", "rs2"] as const).map((rs, i) => ({ host: rs, port: pool.port, forwarding: "nat", weight: pool.weights[i] })) }],
            },
        ],
        directors: [{ host: "director1", interface: "ens33", vipGroups: ["web"], drain: { timeoutSeconds: 20, pollSeconds: 1 } }],
        realServers: (["rs1", "rs2"] as const).map((rs) => ({ host: rs, interface: "ens34", natGateway: DIP })),
    };
    writeLabStack(STACK, cluster, { network: "private" });
}

async function natEntries(): Promise<Record<string, string>> {
    const all = toEntries(parseSave(await onHostOk("director1", "ipvsadm -S -n")));
    return Object.fromEntries(Object.entries(all).filter(([k]) => k.includes(` ${VIP}:`)));
}


const before: Record<string, string> = {};

describe.sequential("seed 001: LVS-NAT with the real engine", () => {
    beforeAll(async () => {
        await up();
        before.forward = (await onHostOk("director1", "sysctl -n net.ipv4.ip_forward")).trim();
        for (const rs of ["rs1", "rs2"] as const) before[rs] = await onHostOk(rs, "ip -4 route show default");
        writeNatStack({ scheduler: "rr", weights: [1, 1], port: 80 });
        await freshStack(STACK);
    });

    it("the client cannot reach the private network except through the director", async () => {
        expect(await clientGetMany(RIP.rs1, 1, 80, 1)).toEqual(["FAILED"]);
    });

    it("rr: answers come back through the director, alternating", async () => {
        const r = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("NAT up from bare hosts", r.seconds);
        expect(await natEntries()).toEqual({ [`-A ${SERVICE}`]: "-s rr", [`-a ${SERVICE} -r ${RIP.rs1}:80`]: "-m -w 1", [`-a ${SERVICE} -r ${RIP.rs2}:80`]: "-m -w 1" });
        expect((await onHostOk("director1", "sysctl -n net.ipv4.ip_forward")).trim()).toBe("1");
        for (const rs of ["rs1", "rs2"] as const) expect((await onHostOk(rs, "ip -4 route show default")).trim()).toBe(`default via ${DIP} dev ens34`);
        const answers = await clientGetMany(VIP, 20);
        expect(tally(answers)).toEqual({ rs1: 10, rs2: 10 });
        for (let i = 1; i < answers.length; i++) expect(answers[i]).not.toBe(answers[i - 1]);
    });

    it("wrr 3:1 is applied in place (-E, -e) and 200 requests split exactly 150:50", async () => {
        writeNatStack({ scheduler: "wrr", weights: [3, 1], port: 80 });
        const r = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("NAT rr -> wrr 3:1", r.seconds);
        const state = JSON.parse((await pulumiOk(["stack", "export", ...S])).stdout) as { deployment: { resources: { urn: string; outputs?: { lastApply?: { commands: string[] } } }[] } };
        const commands = state.deployment.resources.find((res) => res.urn.endsWith("director1-director-ipvs"))?.outputs?.lastApply?.commands ?? [];
        expect(commands).toEqual([`ipvsadm -E ${SERVICE} -s wrr`, `ipvsadm -e ${SERVICE} -r ${RIP.rs1}:80 -m -w 3`]);
        expect(tally(await clientGetMany(VIP, 200))).toEqual({ rs1: 150, rs2: 50 });
    });

    it("a port map sends VIP:80 to the real servers' 8080", async () => {
        writeNatStack({ scheduler: "wrr", weights: [3, 1], port: 8080 });
        await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        expect(await natEntries()).toEqual({ [`-A ${SERVICE}`]: "-s wrr", [`-a ${SERVICE} -r ${RIP.rs1}:8080`]: "-m -w 3", [`-a ${SERVICE} -r ${RIP.rs2}:8080`]: "-m -w 1" });
        // Only 8080 is served now: stopping the :80 listeners proves the answers come from 8080.
        for (const rs of ["rs1", "rs2"] as const) await onHostOk(rs, "systemctl stop lab-http@80.service");
        try {
            expect(tally(await clientGetMany(VIP, 8))).toEqual({ rs1: 6, rs2: 2 });
        } finally {
            for (const rs of ["rs1", "rs2"] as const) await onHostOk(rs, "systemctl start lab-http@80.service");
        }
    });

    it("destroy puts back ip_forward and the real servers' default routes", async () => {
        await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
        expect(await natEntries()).toEqual({});
        expect((await onHostOk("director1", "sysctl -n net.ipv4.ip_forward")).trim()).toBe(before.forward);
        for (const rs of ["rs1", "rs2"] as const) expect(await onHostOk(rs, "ip -4 route show default")).toBe(before[rs]);
        expect(await onHostOk("director1", "ip -4 addr show dev ens33")).not.toContain(VIP);
        expect(await clientGetMany(VIP, 1, 80, 1)).toEqual(["FAILED"]);
    });
});
