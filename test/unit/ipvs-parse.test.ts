import { describe, expect, it } from "vitest";
import { toEntries } from "../../components/core/ipvs/ipvs-entries";
import { mergeThresholds, parseListConnections, parseListThresholds, parseSave } from "../../components/core/ipvs/ipvs-parse";

// What `ipvsadm -S -n` 1.31 prints, with every option it can print; the last real server
// carries -x/-y, which -S never prints but -R input may hold. The tunnel line without
// --tun-type is what ipvsadm before 1.30 printed.
const SAVE = `-A -t 192.168.0.75:80 -s wrr
-a -t 192.168.0.75:80 -r 172.16.0.45:80 -m -w 3
-a -t 192.168.0.75:80 -r 172.16.0.55:80 -m -w 1
-A -t 10.0.0.10:80 -s wlc -p 300 -M 255.255.255.0
-A -t 10.0.0.10:0 -s sh -p 1800 -b sh-fallback,sh-port
-A -u 10.0.0.10:53 -s rr -o
-A -u 10.0.0.10:5060 -s rr -p 180 --pe sip -o
-A --sctp-service 10.0.0.10:3868 -s lc
-a --sctp-service 10.0.0.10:3868 -r 10.0.0.30:3869 -m -w 1
-A -t [2001:db8::100]:443 -s wlc -p 300 -M 64
-a -t [2001:db8::100]:443 -r [2001:db8::2]:443 -g -w 2
-A -f 7 -s mh -b mh-fallback,mh-port
-a -f 7 -r 10.0.0.22:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum
-a -f 7 -r 10.0.0.23:0 -i -w 1 --tun-type gre --tun-csum
-a -f 7 -r 10.0.0.24:0 -i -w 1 --tun-type ipip
-a -f 7 -r 10.0.0.25:0 -i -w 1
-a -f 7 -r [2001:db8::9]:0 -i -w 1 --tun-type gue --tun-port 5555 --tun-remcsum
-A -f 8 -6 -s rr -p 60 -M 48
-a -f 8 -6 -r [2001:db8::3]:0 -g -w 0
-A -f -2147483643 -s wrr
-A -t 192.168.13.100:80 -s rr
-a -t 192.168.13.100:80 -r 192.168.13.112:80 -g -w 1
-a -t 192.168.13.100:80 -r 192.168.13.113:80 -g -w 1 -x 100 -y 10
`;

describe("parseSave (ipvsadm -S -n)", () => {
    it("reads every option ipvsadm prints, in stable order", () => {
        // Object.entries so the key order (tcp, udp, sctp by address; fwmarks last) is checked.
        expect(Object.entries(toEntries(parseSave(SAVE)))).toEqual(Object.entries({
            "-A -t 10.0.0.10:0": "-s sh -p 1800 -b sh-fallback,sh-port",
            "-A -t 10.0.0.10:80": "-s wlc -p 300 -M 255.255.255.0",
            "-A -t 192.168.0.75:80": "-s wrr",
            "-a -t 192.168.0.75:80 -r 172.16.0.45:80": "-m -w 3",
            "-a -t 192.168.0.75:80 -r 172.16.0.55:80": "-m -w 1",
            "-A -t 192.168.13.100:80": "-s rr",
            "-a -t 192.168.13.100:80 -r 192.168.13.112:80": "-g -w 1",
            "-a -t 192.168.13.100:80 -r 192.168.13.113:80": "-g -w 1 -x 100 -y 10",
            "-A -t [2001:db8::100]:443": "-s wlc -p 300 -M 64",
            "-a -t [2001:db8::100]:443 -r [2001:db8::2]:443": "-g -w 2",
            "-A -u 10.0.0.10:53": "-s rr -o",
            "-A -u 10.0.0.10:5060": "-s rr -p 180 --pe sip -o",
            "-A --sctp-service 10.0.0.10:3868": "-s lc",
            "-a --sctp-service 10.0.0.10:3868 -r 10.0.0.30:3869": "-m -w 1",
            "-A -f 7": "-s mh -b mh-fallback,mh-port",
            "-a -f 7 -r 10.0.0.22:0": "-i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum",
            "-a -f 7 -r 10.0.0.23:0": "-i -w 1 --tun-type gre --tun-csum",
            "-a -f 7 -r 10.0.0.24:0": "-i -w 1 --tun-type ipip",
            "-a -f 7 -r 10.0.0.25:0": "-i -w 1 --tun-type ipip",
            "-a -f 7 -r [2001:db8::9]:0": "-i -w 1 --tun-type gue --tun-port 5555 --tun-remcsum",
            "-A -f 8 -6": "-s rr -p 60 -M 48",
            "-a -f 8 -6 -r [2001:db8::3]:0": "-g -w 0",
            "-A -f 2147483653": "-s wrr",
        }));
    });

    it("gives structured settings", () => {
        const svc = parseSave(SAVE).services.find((s) => s.key.kind === "fwmark" && s.key.mark === 7);
        expect(svc?.dests[0]).toEqual({
            key: { address: "10.0.0.22", port: 0 },
            settings: { forwarding: "tun", weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: "gue", port: 6080, checksum: "nocsum" } },
        });
        expect(parseSave("-A -u [2001:DB8::1]:53 -s rr\n").services[0].key).toEqual({ kind: "addr", protocol: "udp", address: "2001:db8::1", port: 53 });
    });

    it("reads empty output as an empty table", () => {
        expect(parseSave("")).toEqual({ services: [] });
        expect(parseSave("\n\n")).toEqual({ services: [] });
    });

    it.each([
        ["-A -t 10.0.0.1:80 -s rr\nhello world\n", /line 2: expected an "-A" \(service\) or "-a" \(real server\) line: "hello world"/],
        ["-A -t www.a.org:http -s wrr\n", /line 1: illegal virtual server address\[:port\] specified/],
        ["-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.2:80 -r 10.0.0.3:80 -g -w 1\n", /line 2: real server before its service -A -t 10.0.0.2:80/],
        ["-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.1:80 -s wrr\n", /line 2: service -t 10.0.0.1:80 listed twice/],
        ["-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 1\n-a -t 10.0.0.1:80 -r 10.0.0.3:80 -m -w 2\n", /line 3: real server .* listed twice/],
        ["-A -t 10.0.0.1:80 -s rr --bogus\n", /line 1: --bogus: unknown option/],
        ["-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.3:80 -g -w 70000\n", /line 2: illegal weight specified/],
        ["-D -t 10.0.0.1:80\n", /line 1: expected an "-A"/],
    ])("refuses garbage with the line number (%#)", (text, message) => {
        expect(() => parseSave(text)).toThrow(message);
    });
});

// `ipvsadm -L -n` layout (printf widths as in ipvsadm.c; rows keep their trailing spaces).
const LIST = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.168.0.75:80 wrr
  -> 172.16.0.45:80               Masq    3      0          0         
  -> 172.16.0.55:80               Masq    1      1          2         
TCP  10.0.0.10:0 sh (sh-fallback,sh-port) persistent 1800
  -> 10.0.0.10:0                  Local   1      0          0         
UDP  [2001:db8::100]:53 rr ops
  -> [2001:db8::2]:53             Route   1      5          0         
FWM  7 IPv6 mh (mh-fallback)
  -> [2001:db8::3]:0              Tunnel  1      0          4         
FWM  -2147483643 wrr
`;

const THRESHOLDS = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn
  -> RemoteAddress:Port
TCP  192.168.13.100:80 rr
  -> 192.168.13.112:80            100        10         3          7         
  -> 192.168.13.113:80            0          0          0          0         
`;

describe("parseListConnections (ipvsadm -L -n)", () => {
    it("keys rows by destId", () => {
        expect([...parseListConnections(LIST)]).toEqual([
            ["-t 192.168.0.75:80 -r 172.16.0.45:80", { forward: "Masq", weight: 3, active: 0, inactive: 0 }],
            ["-t 192.168.0.75:80 -r 172.16.0.55:80", { forward: "Masq", weight: 1, active: 1, inactive: 2 }],
            ["-t 10.0.0.10:0 -r 10.0.0.10:0", { forward: "Local", weight: 1, active: 0, inactive: 0 }],
            ["-u [2001:db8::100]:53 -r [2001:db8::2]:53", { forward: "Route", weight: 1, active: 5, inactive: 0 }],
            ["-f 7 -6 -r [2001:db8::3]:0", { forward: "Tunnel", weight: 1, active: 0, inactive: 4 }],
        ]);
    });

    it("reads an empty table", () => {
        expect(parseListConnections(LIST.split("\n").slice(0, 3).join("\n")).size).toBe(0);
    });

    it.each([
        ["  -> 10.0.0.1:80  Route 1 0 0\n", /line 1: real server row before any service/],
        ["TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80  Sideways 1 0 0\n", /line 2: unreadable real server row/],
        ["TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80  Route 1 0\n", /line 2: unreadable real server row/],
        ["ICMP 10.0.0.1:80 rr\n", /line 1: unreadable service row/],
    ])("refuses garbage with the line number (%#)", (text, message) => {
        expect(() => parseListConnections(text)).toThrow(message);
    });
});

describe("parseListThresholds and mergeThresholds", () => {
    it("reads -x/-y and counts, and merges them onto a -S reading", () => {
        const t = parseListThresholds(THRESHOLDS);
        expect(t.get("-t 192.168.13.100:80 -r 192.168.13.112:80")).toEqual({ upper: 100, lower: 10, active: 3, inactive: 7 });
        const saved = parseSave("-A -t 192.168.13.100:80 -s rr\n-a -t 192.168.13.100:80 -r 192.168.13.112:80 -g -w 1\n-a -t 192.168.13.100:80 -r 192.168.13.114:80 -g -w 1\n");
        expect(toEntries(mergeThresholds(saved, t))).toEqual({
            "-A -t 192.168.13.100:80": "-s rr",
            "-a -t 192.168.13.100:80 -r 192.168.13.112:80": "-g -w 1 -x 100 -y 10",
            "-a -t 192.168.13.100:80 -r 192.168.13.114:80": "-g -w 1",
        });
    });

    it("refuses a row without four numbers", () => {
        expect(() => parseListThresholds("TCP  10.0.0.1:80 rr\n  -> 10.0.0.2:80  1 2 3\n")).toThrow(/line 2/);
    });
});
