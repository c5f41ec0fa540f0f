import { describe, expect, it } from "vitest";
import { fromEntries, toEntries } from "../../components/core/ipvs/ipvs-entries";
import type { Ruleset } from "../../components/core/ipvs/ipvs-model";

const SEED_000: Ruleset = {
    services: [
        {
            key: { kind: "addr", protocol: "tcp", address: "192.168.13.100", port: 80 },
            settings: { scheduler: "rr", schedFlags: [], onePacket: false },
            dests: ["192.168.13.113", "192.168.13.112"].map((address) => ({
                key: { address, port: 80 },
                settings: { forwarding: "dr" as const, weight: 1, upperThreshold: 0, lowerThreshold: 0 },
            })),
        },
    ],
};

describe("toEntries / fromEntries", () => {
    it("writes one entry per service and real server, services first, real servers sorted", () => {
        expect(Object.entries(toEntries(SEED_000))).toEqual([
            ["-A -t 192.168.13.100:80", "-s rr"],
            ["-a -t 192.168.13.100:80 -r 192.168.13.112:80", "-g -w 1"],
            ["-a -t 192.168.13.100:80 -r 192.168.13.113:80", "-g -w 1"],
        ]);
    });

    it("reads entries in any key order and fills ipvsadm's defaults in values", () => {
        const r = fromEntries({
            "-a -t 192.168.13.100:80 -r 192.168.13.113:80": "",
            "-A -t 192.168.13.100:80": "-s rr",
            "-a -t 192.168.13.100:80 -r 192.168.13.112:80": "-g   -w 1",
        });
        expect(r).toEqual({ services: [{ ...SEED_000.services[0], dests: [...SEED_000.services[0].dests].reverse() }] });
    });

    it("shows thresholds and tunnel settings in values", () => {
        const entries = {
            "-A -f 7 -6": "-s mh -p 300 -M 64 -b mh-port",
            "-a -f 7 -6 -r 10.0.0.5:0": "-i -w 2 -x 50 -y 5 --tun-type gue --tun-port 6080 --tun-csum",
        };
        expect(toEntries(fromEntries(entries))).toEqual(entries);
    });

    it.each([
        [{ "-D -t 10.0.0.1:80": "" }, /ipvs entry "-D -t 10.0.0.1:80": the id must start with "-A"/],
        [{ "-A -t 010.0.0.1:80": "-s rr" }, /illegal virtual server address/],
        [{ "-A -t [2001:DB8::1]:80": "-s rr" }, /not a canonical id; write "-A -t \[2001:db8::1\]:80"/],
        [{ "-A -t 10.0.0.1:80 -s rr": "" }, /not a canonical id; write "-A -t 10.0.0.1:80"/],
        [{ "-A -t 10.0.0.1:80": "-s rr", "-a -t 10.0.0.1:80 -r 10.0.0.2": "-m -w 1" }, /not a canonical id; write "-a -t 10.0.0.1:80 -r 10.0.0.2:80"/],
        [{ "-a -t 10.0.0.1:80 -r 10.0.0.2:80": "-g -w 1" }, /its virtual service has no entry; add "-A -t 10.0.0.1:80"/],
        [{ "-A -t 10.0.0.1:80": "-s rr -w 3" }, /Illegal 'weight' option with the 'add-service' command \(settings "-s rr -w 3"\)/],
        [{ "-A -t 10.0.0.1:80": "-s rr -t 10.0.0.2:80" }, /multiple 'service-address' options specified/],
    ])("refuses bad entries clearly (%#)", (entries, message) => {
        expect(() => fromEntries(entries)).toThrow(message);
    });
});
