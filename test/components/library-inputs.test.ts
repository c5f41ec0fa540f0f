/**
 * Components taking pulumi.Inputs (issue 14): a real server's address and weight, a host's
 * address and SSH settings may come from another resource's outputs. Under mocks: the same
 * resources and the same entries as with plain values; a bad value fails, naming the field,
 * once it is known; an Output where the shape depends on it is refused at once; a value that
 * would change the shape is refused when known. The providers pass a value not known yet
 * (a preview) without reading a host. The lab run is test/e2e/packed-package.test.ts.
 */
import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { runUnderMocks, reveal, type MockResource } from "../support/mocks";
import { VipGroup, Director, RealServer, HaPair, ConfigError, type VipGroupSpecArgs } from "../../components/index";
import { hostAccess } from "../../components/parts/host-access";
import { refusalAsRunError, sameShape, standInAddress } from "../../components/parts/deferred";
import { parseOrThrow } from "../../components/schema/parse";
import { hostSchema } from "../../components/schema/host";
import { UNKNOWN_VALUE, holdsUnknowns } from "../../components/providers/same-data";
import { ipvsTableProvider } from "../../components/providers/ipvs-table-provider";
import { remoteStepProvider } from "../../components/providers/remote-step-provider";
import type { SshTarget } from "../../components/providers/transport";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILLOOtmnIaeYpR/ibWEZ2+Fwuk2TBdWrcl9yfFJsZksY";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n";
/** Addresses that sort differently as text and as numbers. */
const ADDRESSES: Record<string, string> = { director1: "10.0.0.2", rs9: "10.0.0.9", rs10: "10.0.0.10" };

/** Another resource of the same program whose output is an address: what a VM resource would be. */
class Vm extends pulumi.CustomResource {
    declare readonly ip: pulumi.Output<string>;
    constructor(name: string, ip: string) {
        super("test:index:Vm", name, { ip });
    }
}

type Wire = (name: string) => pulumi.Input<string>;

/** A DR cluster (two real servers, weights 2 and 1) and an HaPair, with addresses from `address`. */
function cluster(address: Wire, weight: pulumi.Input<number>) {
    const host = (name: string) => ({ name, spec: { address: address(name), ssh: { hostKey: HOST_KEY } }, privateKey: pulumi.secret(KEY) });
    const web = new VipGroup("web", {
        spec: { name: "web", vips: ["192.0.2.10"], services: [{ protocol: "tcp", port: 80, scheduler: "wrr", realServers: [{ host: "rs9", weight }, { host: "rs10" }] }] },
        hosts: { rs9: { address: address("rs9") }, rs10: { address: address("rs10") } },
    });
    const realServers = ["rs9", "rs10"].map((n) => new RealServer(n, { host: host(n), vipGroups: [web] }));
    new Director("director1", { host: host("director1"), vipGroups: [web], realServers });
}

const summary = (created: MockResource[]) =>
    created
        .filter((r) => r.type !== "test:index:Vm")
        .map((r) => ({ type: r.type, name: r.name, inputs: reveal(r.inputs) }))
        .sort((a, b) => a.name.localeCompare(b.name));

describe("components with pulumi.Inputs", () => {
    it("register the same resources with the same scripts and entries when addresses and a weight come from another resource's outputs", async () => {
        const plain = await runUnderMocks(() => cluster((n) => ADDRESSES[n], 2), false);
        const wired = await runUnderMocks(() => {
            const vms = Object.fromEntries(Object.entries(ADDRESSES).map(([n, ip]) => [n, new Vm(`${n}-vm`, ip)]));
            cluster((n) => vms[n].ip, pulumi.output(2));
        }, false);
        const table = summary(wired).find((r) => r.type === "pulumi-nodejs:dynamic/lvs:IpvsTable");
        expect(table?.inputs.entries).toEqual({
            "-A -t 192.0.2.10:80": "-s wrr",
            "-a -t 192.0.2.10:80 -r 10.0.0.9:80": "-g -w 2",
            "-a -t 192.0.2.10:80 -r 10.0.0.10:80": "-g -w 1",
        });
        expect(table?.inputs.localAddresses).toEqual(["10.0.0.2"]);
        expect(summary(wired).find((r) => r.name === "rs10-realserver-vip-192.0.2.10")?.inputs.connection.host).toBe("10.0.0.10");
        // Nothing of the stand-ins is left: every resource, script and connection equals the plain program's.
        expect(summary(wired)).toEqual(summary(plain));
    });

    it("an HaPair whose nodes' addresses are Outputs renders the same keepalived config as with plain ones", async () => {
        const pair = (address: Wire) => {
            const host = (name: string) => ({ name, spec: { address: address(name), ssh: { hostKey: HOST_KEY } }, privateKey: pulumi.secret(KEY) });
            const web = new VipGroup("web", { spec: { name: "web", vips: ["192.0.2.10"], services: [{ protocol: "tcp", port: 80, realServers: [{ host: "rs9" }] }] }, hosts: { rs9: { address: address("rs9") } } });
            new HaPair("web-ha", { nodes: [{ host: host("director1"), priority: 150 }, { host: host("director2"), priority: 100 }], virtualRouterId: 51, unicast: true, preemptDelay: 10, vipGroups: [web] });
        };
        const all: Record<string, string> = { ...ADDRESSES, director2: "10.0.0.3" };
        const plain = await runUnderMocks(() => pair((n) => all[n]), false);
        const wired = await runUnderMocks(() => {
            const vms = Object.fromEntries(Object.entries(all).map(([n, ip]) => [n, new Vm(`${n}-vm`, ip)]));
            pair((n) => vms[n].ip);
        }, false);
        const config = summary(wired).find((r) => r.name === "web-ha-director2-keepalived");
        expect(config?.inputs.create).toContain("unicast_src_ip 10.0.0.3");
        expect(config?.inputs.create).toContain("real_server 10.0.0.9 80");
        expect(summary(wired).some((r) => r.name === "web-ha-director2-keepalived-handback")).toBe(true);
        expect(summary(wired)).toEqual(summary(plain));
    });

    it("a bad value from an Output is refused once known, naming the field, the reason and the fix, as the engine's own error line", () => {
        // hostAccess validates a known spec with this; an Output's apply calls it when the value arrives (the e2e packed-package test runs it under the engine).
        const validate = refusalAsRunError((spec: unknown) => parseOrThrow(hostSchema, spec, "RealServer rs9.host"));
        expect(() => validate({ address: "10.0.0.999", ssh: { hostKey: HOST_KEY } })).toThrow(pulumi.RunError);
        expect(() => validate({ address: "10.0.0.999", ssh: { hostKey: HOST_KEY } })).toThrow('RealServer rs9.host.address: "10.0.0.999" is not an IPv4 or IPv6 address. Fix:');
        expect(validate({ address: "10.0.0.9", ssh: { hostKey: HOST_KEY } }).address).toBe("10.0.0.9");
        // No stack: the SDK would format one with util.inspect, which took a preview from 4 s to 75 s.
        try {
            validate({ address: "10.0.0.999", ssh: { hostKey: HOST_KEY } });
        } catch (e) {
            expect((e as Error).stack).toBeUndefined();
        }
        const access = hostAccess({ name: "rs9", spec: { address: pulumi.output("10.0.0.9"), ssh: { hostKey: HOST_KEY } }, privateKey: KEY }, "RealServer rs9");
        expect(access.known).toBeDefined();
        expect(access.spec.address).toBe(standInAddress("rs9"));
    });

    it("refuses at once an Output where the value decides which resources exist, naming the field", async () => {
        let error: unknown;
        await runUnderMocks(() => {
            try {
                // @ts-expect-error VipGroupSpecArgs takes a plain VIP; a JavaScript program gets the refusal at run time.
                new VipGroup("web", { spec: { name: "web", vips: [pulumi.output("192.0.2.10")], services: [{ protocol: "tcp", port: 80, realServers: [{ address: "10.0.0.9" }] }] } });
            } catch (e) {
                error = e;
            }
        }, true);
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toContain("VipGroup web.vips[0]: is a pulumi.Output, but it decides which resources exist");
        expect((error as Error).message).toContain("Fix: pass a plain value (here Outputs are taken for address, weight)");
    });

    it("validates a group's address book and the hosts its pools name, plain or from Outputs alike", async () => {
        const refusal = (args: ConstructorParameters<typeof VipGroup>[1]) => {
            try {
                new VipGroup("web", args);
            } catch (e) {
                return e;
            }
            return undefined;
        };
        const spec: VipGroupSpecArgs = { name: "web", vips: ["192.0.2.10"], services: [{ protocol: "tcp", port: 80, realServers: [{ host: "rs9" }] }] };
        let missing: unknown, bad: unknown;
        await runUnderMocks(() => {
            missing = refusal({ spec, hosts: { rs10: { address: pulumi.output("10.0.0.10") } } });
            bad = refusal({ spec, hosts: { rs9: { address: "10.0.0.999" } } });
        }, true);
        expect(missing).toBeInstanceOf(ConfigError);
        expect((missing as Error).message).toContain('VipGroup web.services[0].realServers[0].host: names host "rs9", which is not in hosts (rs10). Fix:');
        expect((bad as Error).message).toContain('VipGroup web.hosts.rs9.address: "10.0.0.999" is not an IPv4 or IPv6 address. Fix:');
    });

    it("refuses, once known, values that would change the shape: host steps the stand-in render did not register", () => {
        expect(() => sameShape("RealServer rs9", ["sysctl", "boot"], ["sysctl", "boot"])).not.toThrow();
        expect(() => sameShape("RealServer rs9", ["sysctl", "boot"], ["sysctl", "vip-192.0.2.10", "boot"])).toThrow(
            'RealServer rs9: with its Output values known, it needs host steps ["sysctl","vip-192.0.2.10","boot"], but it was built before they were known with ["sysctl","boot"]',
        );
    });

    it("gives a host's Output address and its name in a pool the same stand-in, inside a reserved range", () => {
        expect(standInAddress("rs9")).toBe(standInAddress("rs9"));
        expect(standInAddress("rs9")).not.toBe(standInAddress("rs10"));
        expect(Number(standInAddress("rs9").split(".")[0])).toBeGreaterThanOrEqual(240);
    });
});

describe("providers given a value not known yet (a preview)", () => {
    const CONN: SshTarget = { name: "director1", host: "127.0.0.1", port: 22011, user: "root", privateKey: "KEY", hostKey: HOST_KEY, connectTimeoutSeconds: 5 };
    const unreachable = async () => {
        throw new Error("a provider given unknown values must not reach a host");
    };

    it("use the engine's own marker", () => {
        expect(UNKNOWN_VALUE).toBe(pulumi.runtime.unknownValue);
        expect(holdsUnknowns({ a: [1, { b: UNKNOWN_VALUE }] })).toBe(true);
        expect(holdsUnknowns({ a: [1, { b: "x" }] })).toBe(false);
    });

    it("IpvsTable passes unknown entries through check and reports a change without reading the host", async () => {
        const provider = ipvsTableProvider(unreachable);
        const news = { connection: CONN, entries: UNKNOWN_VALUE as unknown as Record<string, string>, manager: "ipvsadm" as const, drain: { timeoutSeconds: 1, pollSeconds: 1 }, rulesFile: "/r", localAddresses: [UNKNOWN_VALUE] };
        const olds = { ...news, entries: { "-A -t 192.0.2.10:80": "-s rr" }, localAddresses: ["10.0.0.2"], lastApply: { commands: [], warnings: [], drained: [] } };
        expect(await provider.check(olds, news)).toEqual({ inputs: news });
        expect(await provider.diff("id", olds, news)).toEqual({ changes: true });
    });

    it("RemoteStep reports a change for an unknown script or connection", async () => {
        const provider = remoteStepProvider(unreachable);
        const step = { connection: CONN, create: "echo up", update: "echo up", delete: "echo down" };
        const outs = { ...step, stdout: "", stderr: "" };
        expect(await provider.diff("id", outs, { ...step, create: UNKNOWN_VALUE, update: UNKNOWN_VALUE })).toEqual({ changes: true });
        expect(await provider.diff("id", outs, { ...step, connection: { ...CONN, host: UNKNOWN_VALUE } })).toEqual({ changes: true });
        expect(await provider.diff("id", outs, step)).toEqual({ changes: false });
    });
});
