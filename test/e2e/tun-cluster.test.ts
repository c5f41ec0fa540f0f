/**
 * LVS-TUN with real traffic for every tunnel type (issue 11), real engine, lab: one VIP, three
 * services, each tunnelled to its own real server by another type: tcp 80 over ipip to rs1,
 * tcp 8080 over gue (port 5555) to rs2, tcp 3306 over gre to rs3. Each real server gets the
 * side that decapsulates its type (tunl0; a fou port feeding tunl0; gre0) and the rp_filter it
 * needs, proved by breaking it on purpose. Then IPv6 over ip6ip6. Destroy puts everything back.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { asClient, onHostOk, up, type LabHostName } from "../lab/lab";
import { freshStack, pulumiOk, report } from "./support/engine";
import { writeLabStack } from "./support/lab-stack";

const VIP = "192.168.13.100";
const VIP6 = "fd13::100";
const PLAN: { rs: LabHostName; port: number; tunnel: Record<string, unknown>; device: string }[] = [
    { rs: "rs1", port: 80, tunnel: { type: "ipip" }, device: "tunl0" },
    { rs: "rs2", port: 8080, tunnel: { type: "gue", port: 5555 }, device: "tunl0" },
    { rs: "rs3", port: 3306, tunnel: { type: "gre" }, device: "gre0" },
];

function writeTunStack(stack: string, family: "inet" | "inet6"): void {
    const plan = family === "inet6" ? PLAN.slice(0, 1) : PLAN;
    writeLabStack(
        stack,
        {
            vipGroups: [{ name: "tun", vips: [family === "inet6" ? VIP6 : VIP], services: plan.map((p) => ({ protocol: "tcp", port: p.port, scheduler: "rr", realServers: [{ host: p.rs, forwarding: "tun", tunnel: p.tunnel }] })) }],
            directors: [{ host: "director1", interface: "ens33", vipGroups: ["tun"], drain: { timeoutSeconds: 10, pollSeconds: 1 } }],
            realServers: plan.map((p) => ({ host: p.rs })),
        },
        { network: family },
    );
}

const get = async (url: string) => (await asClient(["curl", "-s", "-g", "--max-time", "3", url])).stdout.trim() || "FAILED";
const rxPackets = async (rs: LabHostName, dev: string) => Number(/RX:.*\n\s+\d+\s+(\d+)/.exec(await onHostOk(rs, `ip -s link show dev ${dev}`))?.[1] ?? NaN);
const RP_KEYS = (dev: string) => `net.ipv4.conf.all.rp_filter net.ipv4.conf.${dev}.rp_filter`;

describe.sequential("LVS-TUN with real traffic", () => {
    const baseline: Record<string, string> = {};
    beforeAll(async () => {
        await up();
        for (const p of PLAN) baseline[p.rs] = (await onHostOk(p.rs, "sysctl -n net.ipv4.conf.all.rp_filter")).trim();
    });

    describe.sequential("ipip, gue and gre over IPv4", () => {
        const S = ["--stack", "e2e-tun"];
        beforeAll(async () => {
            writeTunStack("e2e-tun", "inet");
            await freshStack("e2e-tun");
        });

        it("each type carries traffic, decapsulated on its device", async () => {
            const r = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
            report("TUN up (ipip, gue, gre)", r.seconds);
            expect(await onHostOk("director1", "ipvsadm -S -n")).toMatch(/-a -t 192\.168\.13\.100:8080 -r 192\.168\.13\.113:8080 -i .*--tun-type gue --tun-port 5555/);
            expect(await onHostOk("rs2", "ip fou show")).toContain("port 5555 gue");
            for (const p of PLAN) {
                const before = await rxPackets(p.rs, p.device);
                const answers = [await get(`http://${VIP}:${p.port}/`), await get(`http://${VIP}:${p.port}/`)];
                expect(answers, `${p.rs} over ${String(p.tunnel.type)}`).toEqual([p.rs, p.rs]);
                expect(await rxPackets(p.rs, p.device)).toBeGreaterThan(before);
                expect(await onHostOk(p.rs, `ip -4 addr show dev ${p.device}`)).toContain(`inet ${VIP}/32`);
                expect((await onHostOk(p.rs, `sysctl -n ${RP_KEYS(p.device)}`)).trim().split("\n")).toEqual(["0", "0"]);
            }
        });

        it("strict reverse-path filtering on the tunnel device drops the traffic: the rp_filter setting is needed", async () => {
            await onHostOk("rs1", "sysctl -qw net.ipv4.conf.tunl0.rp_filter=1");
            try {
                expect(await get(`http://${VIP}:80/`)).toBe("FAILED");
            } finally {
                await onHostOk("rs1", "sysctl -qw net.ipv4.conf.tunl0.rp_filter=0");
            }
            expect(await get(`http://${VIP}:80/`)).toBe("rs1");
        });

        it("destroy removes the VIPs, the fou port and the devices it brought up, and restores rp_filter", async () => {
            await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
            expect(await onHostOk("rs2", "ip fou show")).not.toContain("5555");
            for (const p of PLAN) {
                expect(await onHostOk(p.rs, "ip -4 addr show")).not.toContain(VIP);
                expect(await onHostOk(p.rs, `ip -o link show dev ${p.device}`)).not.toMatch(/[<,]UP[,>]/);
                expect((await onHostOk(p.rs, "sysctl -n net.ipv4.conf.all.rp_filter")).trim()).toBe(baseline[p.rs]);
            }
            expect(await get(`http://${VIP}:80/`)).toBe("FAILED");
        });
    });

    describe.sequential("ipip over IPv6 (ip6ip6)", () => {
        const S = ["--stack", "e2e-tun6"];
        beforeAll(async () => {
            writeTunStack("e2e-tun6", "inet6");
            await freshStack("e2e-tun6");
        });

        it("carries traffic to the real server through ip6tnl0", async () => {
            await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
            const before = await rxPackets("rs1", "ip6tnl0");
            expect([await get(`http://[${VIP6}]/`), await get(`http://[${VIP6}]/`)]).toEqual(["rs1", "rs1"]);
            expect(await rxPackets("rs1", "ip6tnl0")).toBeGreaterThan(before);
        });

        it("destroy removes it", async () => {
            await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
            expect(await onHostOk("rs1", "ip -6 addr show")).not.toContain(VIP6);
            expect(await get(`http://[${VIP6}]/`)).toBe("FAILED");
        });
    });
});
