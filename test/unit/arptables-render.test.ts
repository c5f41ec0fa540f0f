/**
 * arpMethod on a DR/TUN real server: the default ("sysctl") renders byte for byte what it did
 * before the setting existed (fixtures/real-server-steps-main.json, rendered by main at
 * 9edcb33, with VIP removal and tunnel release later made to ask sysfs whether the device
 * exists, the boot unit enabled without the daemon-reloads a new unit does not need, the
 * ARP keys set by one sysctl call, every script's commands in one group with stdin closed, and
 * every file created 0600 before it is written);
 * "arptables" replaces the ARP sysctls with rules in chains of our own, installs arptables,
 * runs before the VIPs and again at boot.
 */
import { describe, expect, it } from "vitest";
import * as fs from "fs";
import * as path from "path";
import { parseCluster } from "../../components/schema/cluster";
import { groupView, realServerModel, type RealServerInput } from "../../components/core/host/cluster-model";
import { realServerSteps } from "../../components/core/host/render-real-server";
import { arptablesStep } from "../../components/core/host/render-arptables";
import { ConfigError } from "../../components/base/errors";
import { clusterOf } from "../support/stacks";
import { tunCluster } from "../support/tun-cluster";

const before = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures/real-server-steps-main.json"), "utf8")) as Record<string, unknown>;

function model(c: Record<string, any>, name: string, extra: Partial<RealServerInput> = {}) {
    const spec = parseCluster(c);
    const views = spec.vipGroups.map((g) => groupView(spec.hosts, g));
    return realServerModel({ host: name, address: spec.hosts[name].address, interface: "ens33", aliasStart: 0, ...extra }, views);
}
const seed = clusterOf("seed-000");
const steps = (m: Parameters<typeof realServerSteps>[0]) => JSON.parse(JSON.stringify(realServerSteps(m))) as unknown;

const CREATE_ONE = [
    "set -eu",
    "{",
    "arptables -L pulumi-lvs-in -n >/dev/null 2>&1 || arptables -N pulumi-lvs-in",
    "arptables -F pulumi-lvs-in",
    "arptables -L pulumi-lvs-out -n >/dev/null 2>&1 || arptables -N pulumi-lvs-out",
    "arptables -F pulumi-lvs-out",
    "arptables -A pulumi-lvs-in -d 192.168.13.100 -j DROP",
    "arptables -A pulumi-lvs-out -s 192.168.13.100 -j mangle --mangle-ip-s 192.168.13.112",
    "arptables -L INPUT -n | grep -Eq -- '(^|[[:space:]])-j pulumi-lvs-in([[:space:]]|$)' || arptables -I INPUT 1 -j pulumi-lvs-in",
    "arptables -L OUTPUT -n | grep -Eq -- '(^|[[:space:]])-j pulumi-lvs-out([[:space:]]|$)' || arptables -I OUTPUT 1 -j pulumi-lvs-out",
    "} </dev/null",
    "",
].join("\n");

const DELETE = [
    "set -eu",
    "{",
    "if command -v arptables >/dev/null 2>&1; then",
    "  while arptables -L INPUT -n | grep -Eq -- '(^|[[:space:]])-j pulumi-lvs-in([[:space:]]|$)'; do arptables -D INPUT -j pulumi-lvs-in; done",
    "  if arptables -L pulumi-lvs-in -n >/dev/null 2>&1; then arptables -F pulumi-lvs-in && arptables -X pulumi-lvs-in; fi",
    "  while arptables -L OUTPUT -n | grep -Eq -- '(^|[[:space:]])-j pulumi-lvs-out([[:space:]]|$)'; do arptables -D OUTPUT -j pulumi-lvs-out; done",
    "  if arptables -L pulumi-lvs-out -n >/dev/null 2>&1; then arptables -F pulumi-lvs-out && arptables -X pulumi-lvs-out; fi",
    "fi",
    "} </dev/null",
    "",
].join("\n");

describe("arpMethod sysctl (the default)", () => {
    it("renders seed 000's real servers and a TUN real server exactly as before the setting", () => {
        expect(steps(model(seed, "rs1"))).toEqual(before["seed-000 rs1"]);
        expect(steps(model(seed, "rs2"))).toEqual(before["seed-000 rs2"]);
        expect(steps(model(seed, "rs1", { arpMethod: "sysctl" }))).toEqual(before["seed-000 rs1"]);
        expect(steps(model(tunCluster([{ type: "ipip" }, { type: "gre" }]), "rs1"))).toEqual(before["tun ipip+gre rs1"]);
    });

    it("takes the default from the schema too", () => {
        expect(parseCluster(seed).realServers.map((r) => r.arpMethod)).toEqual(["sysctl", "sysctl"]);
    });
});

describe("arpMethod arptables", () => {
    it("renders the step for one VIP exactly", () => {
        const s = arptablesStep(["192.168.13.100"], "192.168.13.112", "rs1");
        expect(s.key).toBe("arptables");
        expect(s.create).toBe(CREATE_ONE);
        expect(s.delete).toBe(DELETE);
    });

    it("renders two VIPs in address order, each once, and skips IPv6 VIPs", () => {
        const s = arptablesStep(["192.168.13.101", "2001:db8::100", "192.168.13.100", "192.168.13.101"], "192.168.13.112", "rs1");
        expect(s.create).toBe(
            CREATE_ONE.replace(
                "arptables -A pulumi-lvs-in -d 192.168.13.100 -j DROP\n",
                "arptables -A pulumi-lvs-in -d 192.168.13.100 -j DROP\narptables -A pulumi-lvs-in -d 192.168.13.101 -j DROP\n",
            ).replace(
                "--mangle-ip-s 192.168.13.112\n",
                "--mangle-ip-s 192.168.13.112\narptables -A pulumi-lvs-out -s 192.168.13.101 -j mangle --mangle-ip-s 192.168.13.112\n",
            ),
        );
        expect(s.delete).toBe(DELETE);
    });

    it("replaces the ARP sysctls on a DR real server, installs arptables, and restores the rules at boot before the VIP", () => {
        const s = realServerSteps(model(seed, "rs1", { arpMethod: "arptables" }));
        expect(s.sysctl).toBeUndefined();
        expect(s.arptables?.create).toBe(CREATE_ONE);
        expect(s.install?.create).toContain('command -v arptables >/dev/null 2>&1 || need="$need arptables"');
        expect(s.install?.create).not.toContain("modules-load.d");
        const boot = s.boot.create;
        expect(boot.indexOf("arptables -A pulumi-lvs-in -d 192.168.13.100 -j DROP")).toBeGreaterThan(0);
        expect(boot.indexOf("arptables -A pulumi-lvs-in")).toBeLessThan(boot.indexOf("ip addr replace 192.168.13.100/32 dev lo label lo:0"));
        // The VIP step and everything but the boot unit stay as with sysctl.
        expect(JSON.parse(JSON.stringify(s.vips))).toEqual((before["seed-000 rs1"] as { vips: unknown }).vips);
    });

    it("keeps TUN's rp_filter keys in the sysctl step, without the ARP keys", () => {
        const s = realServerSteps(model(tunCluster([{ type: "ipip" }]), "rs1", { arpMethod: "arptables" }));
        expect(s.sysctl?.create).toContain("net/ipv4/conf/tunl0/rp_filter = 0");
        expect(s.sysctl?.create).toContain("net/ipv4/conf/all/rp_filter = 0");
        expect(s.sysctl?.create).not.toContain("arp_");
        expect(s.arptables?.create).toContain("-d 192.168.13.100 -j DROP");
    });

    it("leaves a NAT-only real server without arptables or its install", () => {
        const nat = model(seed, "rs1", { arpMethod: "arptables" });
        const natOnly = { ...nat, roles: ["nat" as const], vips: [] };
        expect(realServerSteps(natOnly).arptables).toBeUndefined();
        expect(realServerSteps(natOnly).install).toBeUndefined();
    });

    it("refuses an IPv4 VIP whose ARP source would be an IPv6 RIP", () => {
        expect(() => arptablesStep(["192.168.13.100"], "2001:db8::21", "rs1")).toThrow(ConfigError);
        expect(arptablesStep(["2001:db8::100"], "2001:db8::21", "rs1").create).not.toContain("-A pulumi-lvs");
    });
});
