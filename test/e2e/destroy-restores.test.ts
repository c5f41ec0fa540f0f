/**
 * Destroy puts back everything the stack changed, whichever `up` first changed it (issue 10):
 * the first `up` is a plain DR cluster; a later one adds a NAT pool (ip_forward on the
 * director, a default route through it on the real server) and a TUN role (rp_filter and
 * tunl0 on a real server that was DR only). The real servers' default routes carry a metric,
 * as DHCP's do. After destroy, every sysctl, route, address, link, file and unit on each host
 * equals a snapshot taken before the first `up`; only kernel modules stay loaded, because
 * unloading ip_vs would drop entries the stack does not own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onHostOk, up, type LabHostName } from "../lab/lab";
import { freshStack, pulumiOk, report } from "./support/engine";
import { SERVICE, VIP, drCluster, liveEntries, writeLabStack } from "./support/lab-stack";
import { snapshotDiff, snapshotHost, type HostSnapshot } from "./support/host-snapshot";

const STACK = "e2e-restore";
const S = ["--stack", STACK];
const HOSTS: LabHostName[] = ["director1", "rs1", "rs2"];
const DIRECTOR = "192.168.13.111";
const NAT_VIP = "192.168.13.101";
const TUN_VIP = "192.168.13.102";
/** A default route with a metric, as a DHCP client would leave; via the lab's client address. */
const METRIC_ROUTE = "default via 192.168.13.250 dev ens33 metric 100";

/** The first `up`: DR over rs1 only. */
const first = drCluster([{ host: "rs1" }]);

/** The later `up`: the same, plus a NAT pool on rs2 (port 8080 to 80) and rs1 also a TUN real server. */
function later(): Record<string, unknown> {
    const c = drCluster([{ host: "rs1" }]) as { vipGroups: unknown[]; directors: { vipGroups: string[] }[]; realServers: Record<string, unknown>[] };
    c.vipGroups.push(
        { name: "nat", vips: [NAT_VIP], services: [{ protocol: "tcp", port: 8080, scheduler: "rr", realServers: [{ host: "rs2", port: 80, forwarding: "nat" }] }] },
        { name: "tun", vips: [TUN_VIP], services: [{ protocol: "tcp", port: 80, scheduler: "rr", realServers: [{ host: "rs1", forwarding: "tun", tunnel: { type: "ipip" } }] }] },
    );
    c.directors[0].vipGroups.push("nat", "tun");
    c.realServers.push({ host: "rs2", natGateway: DIRECTOR });
    return c;
}

/** What may stay after destroy: modules the stack loaded, and what loading them creates. */
const MODULE_LEFTOVER: Record<string, RegExp> = {
    modules: /^(ip_vs\w*|ipip|tunnel4|ip_tunnel|nf_conntrack|nf_defrag_ipv[46]|libcrc32c)$/,
    // ip_vs needs nf_conntrack, whose settings appear with it (its flowtable timeouts and
    // net.nf_conntrack_max included).
    sysctl: /^net\.ipv4\.vs\.|^net\.ipv[46]\.(conf|neigh)\.tunl0\.|^net\.netfilter\.nf_(conntrack|flowtable)_|^net\.nf_conntrack_max = /,
    links: /^\d+: tunl0@NONE: <NOARP> mtu 1480 .* state DOWN /,
};

const before: Partial<Record<LabHostName, HostSnapshot>> = {};

describe.sequential("destroy restores what every up changed", () => {
    beforeAll(async () => {
        await up();
        for (const rs of ["rs1", "rs2"] as const) await onHostOk(rs, `ip route show default | grep -q 'metric 100' || ip route add ${METRIC_ROUTE}`);
        // An earlier test's GRE pool may have loaded ip_gre; without it, a stack that only looks
        // at gre0 by name (which makes the kernel load ip_gre) shows up in the diff below.
        for (const h of HOSTS) await onHostOk(h, "modprobe -r ip_gre 2>/dev/null || true");
        for (const h of HOSTS) before[h] = await snapshotHost(h);
        writeLabStack(STACK, first);
        await freshStack(STACK);
    });

    afterAll(async () => {
        // The lab as other tests expect it: no default route on the real servers.
        for (const rs of ["rs1", "rs2"] as const) await onHostOk(rs, `ip route del ${METRIC_ROUTE} 2>/dev/null || true`);
    });

    it("a first up sets only what a DR cluster needs", async () => {
        await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        expect(Object.keys(await liveEntries("director1"))).toContain(`-A ${SERVICE}`);
        expect((await onHostOk("director1", "sysctl -n net.ipv4.ip_forward")).trim()).toBe(before.director1?.sysctl.find((l) => l.startsWith("net.ipv4.ip_forward ="))?.split(" = ")[1]);
        expect(await onHostOk("rs1", "ip -o link show tunl0 2>/dev/null | grep -c UP || true")).toMatch(/^0?\s*$/);
    });

    it("a later up adds a NAT pool and a TUN role: ip_forward, the gateway route and rp_filter appear then", async () => {
        writeLabStack(STACK, later());
        const r = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("up adding a NAT pool and a TUN role", r.seconds);
        expect((await onHostOk("director1", "sysctl -n net.ipv4.ip_forward")).trim()).toBe("1");
        const routes = (await onHostOk("rs2", "ip -4 route show default")).trim().split("\n").map((l) => l.trim());
        // Ours (metric 0) wins; the DHCP-like route with its metric is still there.
        expect(routes).toEqual([`default via ${DIRECTOR} dev ens33`, METRIC_ROUTE]);
        expect((await onHostOk("rs1", "sysctl -n net.ipv4.conf.all.rp_filter net.ipv4.conf.tunl0.rp_filter")).trim().split("\n")).toEqual(["0", "0"]);
        expect(await onHostOk("rs1", "ip -o link show tunl0")).toMatch(/state UNKNOWN|,UP/);
        expect(await onHostOk("rs1", "ip -4 addr show dev tunl0")).toContain(`inet ${TUN_VIP}/32`);
        expect(Object.keys(await liveEntries("director1", false))).toEqual(expect.arrayContaining([`-A -t ${NAT_VIP}:8080`, `-A -t ${TUN_VIP}:80`]));
    });

    it("destroy leaves every host as the snapshot before the first up, kernel modules aside", async () => {
        const d = await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
        report("destroy", d.seconds);
        for (const h of HOSTS) {
            const diff = snapshotDiff(before[h] as HostSnapshot, await snapshotHost(h));
            const unexplained: Record<string, unknown> = {};
            for (const [section, { gone, added }] of Object.entries(diff)) {
                const allowed = MODULE_LEFTOVER[section];
                const extra = added.filter((l) => !allowed?.test(l));
                if (gone.length || extra.length) unexplained[section] = { gone, added: extra };
            }
            console.log(`[restore] ${h}: ${Object.keys(diff).length ? `left by loaded modules only: ${JSON.stringify(Object.fromEntries(Object.entries(diff).map(([s, d]) => [s, d.added.length])))}` : "identical"}`);
            expect(unexplained, `${h} differs from its snapshot`).toEqual({});
        }
        expect((await onHostOk("rs2", "ip -4 route show default")).trim()).toBe(METRIC_ROUTE);
        expect(await onHostOk("director1", "ip -4 addr show dev ens33")).not.toContain(VIP);
    });
});
