/**
 * VIP aliases and ipvs rules live in kernel memory: a reboot loses them, and the boot units the
 * stack installs put them back. With the real engine on the lab: up a DR cluster, reboot the
 * director and the real server, and the cluster serves again with no `pulumi up`: the boot
 * units were enabled (without a daemon-reload, which a new unit does not need) and ran.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientGet, onHostOk, rebootHost, up } from "../lab/lab";
import { freshStack, pulumiOk } from "./support/engine";
import { SERVICE, VIP, drCluster, liveEntries, writeLabStack } from "./support/lab-stack";

const STACK = "e2e-reboot";
const S = ["--stack", STACK];

describe.sequential("a rebooted cluster comes back by its boot units", () => {
    beforeAll(async () => {
        await up();
        writeLabStack(STACK, drCluster([{ host: "rs3" }]));
        await freshStack(STACK);
        await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
    });

    afterAll(async () => {
        await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
    });

    it("director1 and rs3 rebooted: the VIPs, the ARP settings and the table are back, and the VIP answers", async () => {
        const desired = { [`-A ${SERVICE}`]: "-s rr", [`-a ${SERVICE} -r 192.168.13.114:80`]: "-g -w 1" };
        expect(await liveEntries("director1")).toEqual(desired);
        for (const [host, unit] of [["director1", "pulumi-lvs-director.service"], ["rs3", "pulumi-lvs-realserver.service"]] as const) {
            expect((await onHostOk(host, `systemctl is-enabled ${unit}`)).trim()).toBe("enabled");
        }

        await Promise.all([rebootHost("director1"), rebootHost("rs3")]);

        for (const [host, unit] of [["director1", "pulumi-lvs-director.service"], ["rs3", "pulumi-lvs-realserver.service"]] as const) {
            expect((await onHostOk(host, `systemctl is-active ${unit} || true`)).trim()).toBe("active");
        }
        expect(await liveEntries("director1")).toEqual(desired);
        expect(await onHostOk("director1", "ip -4 addr show dev ens33")).toMatch(new RegExp(`inet ${VIP}/32 .*ens33:0`));
        expect(await onHostOk("rs3", "ip -4 addr show dev lo")).toMatch(new RegExp(`inet ${VIP}/32 .*lo:0`));
        expect((await onHostOk("rs3", "sysctl -n net.ipv4.conf.all.arp_ignore net.ipv4.conf.all.arp_announce")).trim().split("\n")).toEqual(["1", "2"]);
        expect(await clientGet(VIP)).toBe("rs3");
        // Nothing drifted: the stack sees the rebooted hosts as it left them.
        await pulumiOk(["preview", "--expect-no-changes", ...S]);
    });
});
