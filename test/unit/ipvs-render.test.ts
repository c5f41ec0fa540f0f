import { describe, expect, it } from "vitest";
import type { IpvsService, Ruleset } from "../../components/core/ipvs/ipvs-model";
import { destArgs, renderRestore, serviceArgs } from "../../components/core/ipvs/ipvs-render";
import { renderSave } from "../support/render-save";

const WEB: IpvsService = {
    key: { kind: "addr", protocol: "tcp", address: "192.168.0.75", port: 80 },
    settings: { scheduler: "wrr", schedFlags: [], onePacket: false, persistence: { timeout: 300, netmask: "255.255.255.0" } },
    dests: [
        { key: { address: "172.16.0.55", port: 8080 }, settings: { forwarding: "nat", weight: 1, upperThreshold: 200, lowerThreshold: 20 } },
        { key: { address: "172.16.0.45", port: 8080 }, settings: { forwarding: "nat", weight: 3, upperThreshold: 0, lowerThreshold: 0 } },
    ],
};
const MARKED: IpvsService = {
    key: { kind: "fwmark", mark: 2 ** 31 + 5, family: "inet" },
    settings: { scheduler: "sh", schedFlags: ["flag-2", "flag-1"], onePacket: false },
    dests: [
        {
            key: { address: "2001:db8::7", port: 0 },
            settings: { forwarding: "tun", weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: "gre", checksum: "csum" } },
        },
    ],
};
const TABLE: Ruleset = { services: [MARKED, WEB] };

describe("renderers", () => {
    it("serviceArgs and destArgs are argv arrays", () => {
        expect(serviceArgs(WEB)).toEqual(["-t", "192.168.0.75:80", "-s", "wrr", "-p", "300", "-M", "255.255.255.0"]);
        expect(destArgs(WEB.key, WEB.dests[0])).toEqual(["-t", "192.168.0.75:80", "-r", "172.16.0.55:8080", "-m", "-w", "1", "-x", "200", "-y", "20"]);
        expect(destArgs(MARKED.key, MARKED.dests[0])).toEqual(["-f", "2147483653", "-r", "[2001:db8::7]:0", "-i", "-w", "1", "--tun-type", "gre", "--tun-csum"]);
    });

    it("renderRestore writes -R input in stable order, with thresholds and unsigned fwmarks", () => {
        expect(renderRestore(TABLE)).toBe(
            [
                "-A -t 192.168.0.75:80 -s wrr -p 300 -M 255.255.255.0",
                "-a -t 192.168.0.75:80 -r 172.16.0.45:8080 -m -w 3",
                "-a -t 192.168.0.75:80 -r 172.16.0.55:8080 -m -w 1 -x 200 -y 20",
                "-A -f 2147483653 -s sh -b sh-fallback,sh-port",
                "-a -f 2147483653 -r [2001:db8::7]:0 -i -w 1 --tun-type gre --tun-csum",
                "",
            ].join("\n"),
        );
        expect(renderRestore({ services: [] })).toBe("");
    });

    it("renderSave mimics ipvsadm -S -n 1.31: no thresholds, signed fwmarks", () => {
        expect(renderSave(TABLE)).toBe(
            [
                "-A -t 192.168.0.75:80 -s wrr -p 300 -M 255.255.255.0",
                "-a -t 192.168.0.75:80 -r 172.16.0.45:8080 -m -w 3",
                "-a -t 192.168.0.75:80 -r 172.16.0.55:8080 -m -w 1",
                "-A -f -2147483643 -s sh -b sh-fallback,sh-port",
                "-a -f -2147483643 -r [2001:db8::7]:0 -i -w 1 --tun-type gre --tun-csum",
                "",
            ].join("\n"),
        );
    });
});
