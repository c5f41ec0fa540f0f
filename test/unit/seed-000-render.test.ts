/**
 * The commands rendered for the seed-000 stack do what the seed's manual steps do:
 *   ipvsadm -A -t 192.168.13.100:80 -s rr; ipvsadm -a ... -r .112:80 -g; ... -r .113:80 -g
 *   VIP on the director's ens33; on each real server arp_ignore=1, arp_announce=2 (all + ens33)
 *   before the VIP goes on lo:0 as a /32.
 */
import { describe, expect, it } from "vitest";
import { parseCluster } from "../../components/schema/cluster";
import { directorModel, groupView, realServerModel } from "../../components/core/host/cluster-model";
import { directorSteps } from "../../components/core/host/render-director";
import { realServerSteps } from "../../components/core/host/render-real-server";
import { planChanges, allOps, opArgs } from "../../components/core/ipvs/ipvs-diff";
import { toEntries } from "../../components/core/ipvs/ipvs-entries";
import { clusterOf } from "../support/stacks";

const spec = parseCluster(clusterOf("seed-000"));
const web = groupView(spec.hosts, spec.vipGroups[0]);
const director = directorModel("director1", "192.168.13.111", "ens33", 0, [web]);
const rs = (name: string) => realServerModel({ host: name, address: spec.hosts[name].address, interface: "ens33", aliasStart: 0 }, [web]);

describe("seed 000 (LVS-DR) rendering", () => {
    it("loads the seed's rules, and only those, into an empty table", () => {
        const plan = planChanges({ services: [] }, director.ruleset, { services: [], dests: [] });
        expect(allOps(plan).map((op) => ["ipvsadm", ...opArgs(op)].join(" "))).toEqual([
            "ipvsadm -A -t 192.168.13.100:80 -s rr",
            "ipvsadm -a -t 192.168.13.100:80 -r 192.168.13.112:80 -g -w 1",
            "ipvsadm -a -t 192.168.13.100:80 -r 192.168.13.113:80 -g -w 1",
        ]);
    });

    it("keys the preview's entries by identity", () => {
        expect(toEntries(director.ruleset)).toEqual({
            "-A -t 192.168.13.100:80": "-s rr",
            "-a -t 192.168.13.100:80 -r 192.168.13.112:80": "-g -w 1",
            "-a -t 192.168.13.100:80 -r 192.168.13.113:80": "-g -w 1",
        });
    });

    it("puts the VIP on the director's ens33:0 and installs ipvsadm idempotently", () => {
        const steps = directorSteps(director);
        expect(steps.vips.map((s) => s.key)).toEqual(["vip-192.168.13.100"]);
        expect(steps.vips[0].create).toContain("ip addr replace 192.168.13.100/32 dev ens33 label ens33:0");
        expect(steps.vips[0].delete).toContain("ip addr del 192.168.13.100/32 dev ens33");
        expect(steps.install.create).toMatch(/command -v ipvsadm .*\|\| need="\$need ipvsadm"/);
        expect(steps.install.create).toContain("apt-get install");
        expect(steps.install.create).toContain("dnf install");
        expect(steps.install.create).toContain("yum install");
        expect(steps.sysctl.create).not.toContain("ip_forward"); // DR needs no forwarding
        expect(steps.boot.create).toContain("ipvsadm -R < /var/lib/pulumi-lvs/ipvs.rules");
    });

    it.each(["rs1", "rs2"])("%s: ARP sysctls on all and ens33, then the VIP on lo:0 /32", (name) => {
        const model = rs(name);
        expect(model.roles).toEqual(["dr"]);
        const steps = realServerSteps(model);
        const sysctl = steps.sysctl!.create;
        // All four in one sysctl call.
        const set = sysctl.split("\n").filter((l) => l.startsWith("sysctl -q -w "));
        expect(set).toEqual(["sysctl -q -w net/ipv4/conf/all/arp_ignore=1 net/ipv4/conf/all/arp_announce=2 net/ipv4/conf/ens33/arp_ignore=1 net/ipv4/conf/ens33/arp_announce=2"]);
        expect(sysctl).toContain("/etc/sysctl.d/90-pulumi-lvs-realserver.conf");
        // The previous values are saved before the first change, so destroy can restore them.
        expect(sysctl.indexOf("sysctl -n")).toBeLessThan(sysctl.indexOf("sysctl -q -w"));
        expect(steps.sysctl!.delete).toContain('sysctl -q -w "$k=$v"');
        expect(steps.vips).toHaveLength(1);
        expect(steps.vips[0].create).toContain("ip addr replace 192.168.13.100/32 dev lo label lo:0");
        expect(steps.boot.create).toContain("ip addr replace 192.168.13.100/32 dev lo label lo:0");
        expect(steps.gateway).toBeUndefined();
    });

    it("never flushes the table", () => {
        const all = [...Object.values(directorSteps(director)).flat(), ...Object.values(realServerSteps(rs("rs1"))).flat()];
        for (const step of all) {
            if (!step || typeof step !== "object" || !("create" in step)) continue;
            expect(step.create + step.delete).not.toMatch(/ipvsadm\s+(-C|--clear)/);
        }
    });
});
