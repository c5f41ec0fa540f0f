/**
 * VIP aliases and ipvs rules live in kernel memory: a reboot loses them, and the boot units the
 * stack installs put them back. With the real engine on the lab: up a DR cluster, reboot the
 * director and the real server, and the cluster serves again with no `pulumi up`: the boot
 * units were enabled (without a daemon-reload, which a new unit does not need) and ran.
 * director2 and rs3 with a VIP of their own, so the lab tier's files can run beside the e2e
 * files on director1, rs1 and rs2 (test/support/host-lease.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientGet, onHostOk, rebootHost, up } from "../lab/lab";
import { freshStack, pulumiOk } from "./support/engine";
import { drCluster, liveEntries, writeLabStack } from "./support/lab-stack";
import { leaseHosts } from "../support/host-lease";

const STACK = "e2e-reboot";
const S = ["--stack", STACK];
const DIRECTOR = "director2";
const VIP = "192.168.13.103";
const SERVICE = `-t ${VIP}:80`;

// A reboot keeps a guest's CPU busy for half a minute: nothing with a time bound runs beside it.
leaseHosts(DIRECTOR, "rs3", "quiet");

describe.sequential("a rebooted cluster comes back by its boot units", () => {
    beforeAll(async () => {
        await up();
        writeLabStack(STACK, drCluster([{ host: "rs3" }], { director: DIRECTOR, vip: VIP }));
        await freshStack(STACK);
        await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
    });

    afterAll(async () => {
        await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
    });

    it("director2 and rs3 rebooted: the VIPs, the ARP settings and the table are back, and the VIP answers", async () => {
        const desired = { [`-A ${SERVICE}`]: "-s rr", [`-a ${SERVICE} -r 192.168.13.114:80`]: "-g -w 1" };
        expect(await liveEntries(DIRECTOR, true, VIP)).toEqual(desired);
        for (const [host, unit] of [[DIRECTOR, "pulumi-lvs-director.service"], ["rs3", "pulumi-lvs-realserver.service"]] as const) {
            expect((await onHostOk(host, `systemctl is-enabled ${unit}`)).trim()).toBe("enabled");
        }

        await Promise.all([rebootHost(DIRECTOR), rebootHost("rs3")]);

        for (const [host, unit] of [[DIRECTOR, "pulumi-lvs-director.service"], ["rs3", "pulumi-lvs-realserver.service"]] as const) {
            expect((await onHostOk(host, `systemctl is-active ${unit} || true`)).trim()).toBe("active");
        }
        expect(await liveEntries(DIRECTOR, true, VIP)).toEqual(desired);
        expect(await onHostOk(DIRECTOR, "ip -4 addr show dev ens33")).toMatch(new RegExp(`inet ${VIP}/32 .*ens33:0`));
        expect(await onHostOk("rs3", "ip -4 addr show dev lo")).toMatch(new RegExp(`inet ${VIP}/32 .*lo:0`));
        expect((await onHostOk("rs3", "sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce")).trim().split("\n")).toEqual(["1", "2"]);
        expect(await clientGet(VIP)).toBe("rs3");
        // Nothing drifted: the stack sees the rebooted hosts as it left them.
        await pulumiOk(["preview", "--expect-no-changes", ...S]);
    });
});
