/**
 * The drain manifest's names must be the ones `ipvsadm -L -n` prints, or the on-host awk
 * would find no leaving server and the reload would cut its connections. The listing parser
 * (ipvs-parse.ts, checked against real ipvsadm output in the lab tier) reads each name back
 * to the key it came from; the drain line keeps every setting but the weight.
 */
import { describe, expect, it } from "vitest";
import { destManifest, listedService } from "../../components/core/keepalived/drain-before-reload";
import { listedServiceKey } from "../../components/core/ipvs/ipvs-parse";
import type { DestSettings, Ruleset, ServiceKey } from "../../components/core/ipvs/ipvs-model";

const KEYS: ServiceKey[] = [
    { kind: "addr", protocol: "tcp", address: "192.168.13.100", port: 80 },
    { kind: "addr", protocol: "udp", address: "2001:db8::100", port: 53 },
    { kind: "addr", protocol: "sctp", address: "192.168.13.100", port: 3868 },
    { kind: "fwmark", mark: 7, family: "inet" },
    { kind: "fwmark", mark: 7, family: "inet6" },
    { kind: "fwmark", mark: 2 ** 31 + 5, family: "inet" },
];

const settings = (s: Partial<DestSettings>): DestSettings => ({ forwarding: "dr", weight: 3, upperThreshold: 0, lowerThreshold: 0, ...s });

describe("destManifest", () => {
    it("names each service as ipvsadm -L -n lists it", () => {
        expect(KEYS.map(listedService)).toEqual(["TCP 192.168.13.100:80", "UDP [2001:db8::100]:53", "SCTP 192.168.13.100:3868", "FWM 7", "FWM 7 IPv6", "FWM -2147483643"]);
        for (const k of KEYS) expect(listedServiceKey(listedService(k).split(" "))).toEqual(k);
    });

    it("drains to weight 0 with forwarding, thresholds and tunnel settings as they were", () => {
        const r: Ruleset = {
            services: [
                {
                    key: KEYS[0],
                    settings: { scheduler: "wrr", schedFlags: [], onePacket: false },
                    dests: [
                        { key: { address: "10.0.0.21", port: 8080 }, settings: settings({ forwarding: "nat", upperThreshold: 100, lowerThreshold: 10 }) },
                        { key: { address: "10.0.0.3", port: 80 }, settings: settings({ forwarding: "tun", tunnel: { type: "gue", port: 6080, checksum: "nocsum" } }) },
                    ],
                },
                { key: KEYS[1], settings: { scheduler: "rr", schedFlags: [], onePacket: false }, dests: [{ key: { address: "2001:db8::21", port: 53 }, settings: settings({}) }] },
            ],
        };
        expect(destManifest(r).split("\n")).toEqual([
            // Numeric order: 10.0.0.3 before 10.0.0.21, as ipvsadm lists them.
            "TCP 192.168.13.100:80\t10.0.0.3:80\t-e -t 192.168.13.100:80 -r 10.0.0.3:80 -i -w 0 --tun-type gue --tun-port 6080 --tun-nocsum",
            "TCP 192.168.13.100:80\t10.0.0.21:8080\t-e -t 192.168.13.100:80 -r 10.0.0.21:8080 -m -w 0 -x 100 -y 10",
            "UDP [2001:db8::100]:53\t[2001:db8::21]:53\t-e -u [2001:db8::100]:53 -r [2001:db8::21]:53 -g -w 0",
            "",
        ]);
    });

    it("is empty without real servers", () => {
        expect(destManifest({ services: [] })).toBe("");
    });
});
