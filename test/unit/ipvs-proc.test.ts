/**
 * The one-listing read (ipvs-proc.ts): `ipvsadm -L -n --thresholds` with /proc/net/ip_vs gives
 * the table -S with the thresholds listing gives, or says it cannot (a tunnel real server, a
 * real server gone between the reads, a line of unknown form), so readLive reads it the old
 * way. Texts here come from the in-memory ipvsadm and one kernel's own; the lab tier checks
 * generated tables against the real kernel (test/lab/kernel-parity.test.ts).
 */
import { describe, expect, it } from "vitest";
import { parseListingWithProc, parseProcIpvs } from "../../components/core/ipvs/ipvs-proc";
import { mergeThresholds, parseListThresholds, parseSave } from "../../components/core/ipvs/ipvs-parse";
import { normalizeRuleset, type Ruleset } from "../../components/core/ipvs/ipvs-model";
import { toEntries } from "../../components/core/ipvs/ipvs-entries";
import { FakeIpvsadm } from "../support/fake-ipvsadm";
import { genRuleset, Rng } from "../support/ipvs-random";
import { FakeHost } from "../support/fake-host";
import { buffered, readLive } from "../../components/providers/ipvs-table-logic";

function texts(r: Ruleset): { listing: string; proc: string; classic: Ruleset } {
    const k = new FakeIpvsadm();
    k.load(r);
    const listing = k.exec(["-L", "-n", "--thresholds"]).stdout;
    const classic = mergeThresholds(parseSave(k.exec(["-S", "-n"]).stdout), parseListThresholds(listing));
    return { listing, proc: k.procText(), classic: normalizeRuleset(classic) };
}

const tunnels = (r: Ruleset) => r.services.some((s) => s.dests.some((d) => d.settings.forwarding === "tun"));

// /proc/net/ip_vs as the lab's Debian 6.12 kernel wrote it (trailing blanks and all), for a
// table of every kind but tunnels. Service-level fields here (timeouts in jiffies, an IPv6
// mask) are not read: the listing has them.
const KERNEL_PROC = [
    "IP Virtual Server version 1.2.1 (size=4096)",
    "Prot LocalAddress:Port Scheduler Flags",
    "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn",
    "TCP  C0A80D6E:1F90 wrr  ",
    "  -> C0A80D6E:1F90      Route   1      0          0         ",
    "UDP  0A090002:13C4 rr ops  persistent 7500 FFFFFFFF",
    "  -> 0A090103:13C5      Masq    2      0          0         ",
    "TCP  [fd13:0000:0000:0000:0000:0000:0000:0100]:01BB mh persistent 75000 40000000",
    "  -> [fd13:0000:0000:0000:0000:0000:0000:0002]:01BB      Route   1      0          0         ",
    "TCP  0A090001:0050 sh  persistent 150000 FFFFFF00",
    "  -> 0A090101:0050      Masq    3      0          0         ",
    "  -> 0A090102:0050      Route   0      0          0         ",
    "FWM  00000007 wlc ",
    "  -> [fd13:0000:0000:0000:0000:0000:0000:0001]:0000      Route   1      0          0         ",
    "",
].join("\n");

// `ipvsadm -L -n --thresholds` of the same table, from the same host.
const KERNEL_LISTING = [
    "IP Virtual Server version 1.2.1 (size=4096)",
    "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ",
    "  -> RemoteAddress:Port",
    "TCP  192.168.13.110:8080 wrr",
    "  -> 192.168.13.110:8080          0          0          0          0         ",
    "TCP  10.9.0.1:80 sh (sh-fallback,sh-port) persistent 600 mask 255.255.255.0",
    "  -> 10.9.1.1:80                  100        50         0          0         ",
    "  -> 10.9.1.2:80                  0          0          0          0         ",
    "UDP  10.9.0.2:5060 rr persistent 30 pe sip ops",
    "  -> 10.9.1.3:5061                0          0          0          0         ",
    "TCP  [fd13::100]:443 mh (mh-port) persistent 300 mask 64",
    "  -> [fd13::2]:443                0          0          0          0         ",
    "FWM  7 IPv6 wlc",
    "  -> [fd13::1]:0                  0          0          0          0         ",
    "",
].join("\n");

describe("one listing and /proc/net/ip_vs", () => {
    it("read the kernel's two texts as the table they describe", () => {
        expect(toEntries(parseListingWithProc(KERNEL_LISTING, KERNEL_PROC)!)).toEqual({
            "-A -t 10.9.0.1:80": "-s sh -p 600 -M 255.255.255.0 -b sh-fallback,sh-port",
            "-a -t 10.9.0.1:80 -r 10.9.1.1:80": "-m -w 3 -x 100 -y 50",
            "-a -t 10.9.0.1:80 -r 10.9.1.2:80": "-g -w 0",
            "-A -t 192.168.13.110:8080": "-s wrr",
            "-a -t 192.168.13.110:8080 -r 192.168.13.110:8080": "-g -w 1",
            "-A -u 10.9.0.2:5060": "-s rr -p 30 --pe sip -o",
            "-a -u 10.9.0.2:5060 -r 10.9.1.3:5061": "-m -w 2",
            "-A -t [fd13::100]:443": "-s mh -p 300 -M 64 -b mh-port",
            "-a -t [fd13::100]:443 -r [fd13::2]:443": "-g -w 1",
            "-A -f 7 -6": "-s wlc",
            "-a -f 7 -6 -r [fd13::1]:0": "-g -w 1",
        });
    });

    it("read 300 generated tables as -S with the thresholds listing does, and refuse those with a tunnel", () => {
        const rng = new Rng(12);
        let read = 0;
        for (let i = 0; i < 300; i++) {
            const r = genRuleset(rng, 6);
            const { listing, proc, classic } = texts(r);
            const fast = parseListingWithProc(listing, proc);
            if (tunnels(classic)) {
                expect(fast).toBeUndefined();
            } else {
                expect(fast).toEqual(classic);
                read++;
            }
        }
        expect(read).toBeGreaterThan(50);
    });

    it("parses the kernel's own text: hex IPv4, full IPv6, an fwmark's family from its real servers, Local as DR", () => {
        const m = parseProcIpvs(KERNEL_PROC)!;
        expect(Object.fromEntries(m)).toEqual({
            "-t 192.168.13.110:8080 -r 192.168.13.110:8080": { forwarding: "dr", weight: 1 },
            "-u 10.9.0.2:5060 -r 10.9.1.3:5061": { forwarding: "nat", weight: 2 },
            "-t [fd13::100]:443 -r [fd13::2]:443": { forwarding: "dr", weight: 1 },
            "-t 10.9.0.1:80 -r 10.9.1.1:80": { forwarding: "nat", weight: 3 },
            "-t 10.9.0.1:80 -r 10.9.1.2:80": { forwarding: "dr", weight: 0 },
            "-f 7 -6 -r [fd13::1]:0": { forwarding: "dr", weight: 1 },
        });
        expect(parseProcIpvs(KERNEL_PROC.replace("Route   0", "Local   0"))!.get("-t 10.9.0.1:80 -r 10.9.1.2:80")).toEqual({ forwarding: "dr", weight: 0 });
    });

    it("says it cannot when a real server is missing from /proc (the table changed between the reads) or a line is unknown", () => {
        const r = normalizeRuleset({
            services: [
                {
                    key: { kind: "addr", protocol: "tcp", address: "10.9.0.1", port: 80 },
                    settings: { scheduler: "wrr", schedFlags: [], onePacket: false },
                    dests: [{ key: { address: "10.9.1.1", port: 80 }, settings: { forwarding: "dr", weight: 2, upperThreshold: 10, lowerThreshold: 5 } }],
                },
            ],
        });
        const { listing, proc, classic } = texts(r);
        expect(parseListingWithProc(listing, proc)).toEqual(classic);
        expect(parseListingWithProc(listing, proc.replace(/^ {2}->.*\n/m, ""))).toBeUndefined();
        expect(parseListingWithProc(listing.replace(" wrr", " wrr frobnicate"), proc)).toBeUndefined();
        expect(parseListingWithProc(listing, proc.replace("Route", "Bypass"))).toBeUndefined();
    });

    it("readLive: a table with a tunnel real server costs one more exec, -S alone, its thresholds from the listing already read", async () => {
        const host = new FakeHost();
        const tun = normalizeRuleset({
            services: [
                {
                    key: { kind: "addr", protocol: "tcp", address: "10.9.0.1", port: 80 },
                    settings: { scheduler: "wrr", schedFlags: [], onePacket: false },
                    dests: [{ key: { address: "10.9.1.1", port: 80 }, settings: { forwarding: "tun", weight: 2, upperThreshold: 10, lowerThreshold: 5, tunnel: { type: "gue", port: 5555, checksum: "nocsum" } } }],
                },
            ],
        });
        host.ipvsadm.load(tun);
        expect(await readLive(host)).toEqual(tun);
        // Both listings leave the host through stdbuf when it has it.
        const listings = host.commands.map((c) => c.split("\n").filter((l) => /^(if command|ipvsadm|cat)/.test(l))).flat();
        expect(listings).toEqual([buffered("ipvsadm -L -n --thresholds"), "cat /proc/net/ip_vs", buffered("ipvsadm -S -n")]);
    });
});
