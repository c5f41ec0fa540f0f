import { describe, expect, it } from "vitest";
import { IpvsadmUsageError } from "../../components/core/ipvs/ipvsadm-tokens";
import { parseCommand } from "../support/ipvsadm-command";

const argv = (line: string): string[] => line.split(" ");

describe("parseCommand: ipvsadm's defaults", () => {
    it("fills in scheduler wlc and the -p timeout 300", () => {
        expect(parseCommand(argv("-A -t 10.0.0.1:80"))).toEqual({
            cmd: "add-service",
            key: { kind: "addr", protocol: "tcp", address: "10.0.0.1", port: 80 },
            settings: { scheduler: "wlc", schedFlags: [], onePacket: false },
        });
        expect(parseCommand(argv("-E -t 10.0.0.1:80 -s rr -p"))).toMatchObject({ settings: { scheduler: "rr", persistence: { timeout: 300 } } });
        expect(parseCommand(argv("-A -t 10.0.0.1:0 -p -s sh"))).toMatchObject({ settings: { scheduler: "sh", persistence: { timeout: 300 } } });
    });

    it("defaults real servers to DR, weight 1, the service port; DR and TUN keep the service port", () => {
        expect(parseCommand(argv("-a -t 10.0.0.1:80 -r 10.0.0.2"))).toEqual({
            cmd: "add-dest",
            service: { kind: "addr", protocol: "tcp", address: "10.0.0.1", port: 80 },
            dest: { key: { address: "10.0.0.2", port: 80 }, settings: { forwarding: "dr", weight: 1, upperThreshold: 0, lowerThreshold: 0 } },
        });
        expect(parseCommand(argv("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -g"))).toMatchObject({ dest: { key: { port: 80 } } });
        expect(parseCommand(argv("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -i"))).toMatchObject({ dest: { key: { port: 80 }, settings: { tunnel: { type: "ipip", checksum: "nocsum" } } } });
        expect(parseCommand(argv("-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m"))).toMatchObject({ dest: { key: { port: 8080 } } });
        expect(parseCommand(argv("-a -f 7 -r 10.0.0.2 -m"))).toMatchObject({ dest: { key: { port: 0 } } });
    });

    it("accepts long options, --opt=value and clustered switches", () => {
        expect(parseCommand(["--add-service", "--udp-service=10.0.0.1:53", "--scheduler", "rr", "--ops"])).toMatchObject({
            cmd: "add-service",
            key: { protocol: "udp" },
            settings: { onePacket: true },
        });
        expect(parseCommand(["-Ln", "--thresholds"])).toEqual({ cmd: "list", numeric: true, thresholds: true, others: [] });
        expect(parseCommand(["-L", "-n", "--stats"])).toMatchObject({ others: ["stats"] });
        expect(parseCommand(["-S", "-n"])).toEqual({ cmd: "save", numeric: true });
        expect(parseCommand(["-C"])).toEqual({ cmd: "clear" });
    });

    it("folds scheduler flag aliases to the scheduler's names", () => {
        expect(parseCommand(argv("-A -t 10.0.0.1:80 -s sh -b flag-2,flag-1"))).toMatchObject({ settings: { schedFlags: ["sh-fallback", "sh-port"] } });
        expect(parseCommand(argv("-A -t 10.0.0.1:80 -s rr -b flag-3"))).toMatchObject({ settings: { schedFlags: ["flag-3"] } });
    });

    it("reads -6 fwmarks, IPv6 netmasks and the unsigned fwmark range", () => {
        expect(parseCommand(argv("-A -f 4294967295 -6 -s rr -p 60 -M 64"))).toMatchObject({
            key: { kind: "fwmark", mark: 4294967295, family: "inet6" },
            settings: { persistence: { timeout: 60, netmask: "64" } },
        });
        expect(parseCommand(argv("-A -f -1 -s rr"), { signedFwmark: true })).toMatchObject({ key: { mark: 4294967295 } });
    });

    it("allows a real server of another family only when tunnelling", () => {
        expect(parseCommand(argv("-a -f 7 -r [2001:db8::2]:0 -i --tun-type gre --tun-csum"))).toMatchObject({
            dest: { settings: { tunnel: { type: "gre", checksum: "csum" } } },
        });
    });
});

describe("parseCommand: what ipvsadm refuses (its wording, its exit code)", () => {
    it.each([
        ["-A -t 10.0.0.1:0 -s rr", "Zero port specified for non-persistent service", 2],
        ["-A -t 10.0.0.1:80 -s rr -o", "One-Packet Scheduling is only for UDP virtual services", 2],
        ["-A -t 10.0.0.1:80 -s rr -b sh-port", "incompatible scheduler flag `sh-port'", 2],
        ["-A -t 10.0.0.1:80 -s rr -b turbo", "invalid scheduler flag `turbo'", 2],
        ["-A -t 10.0.0.1:80 -s rr -p 0", "invalid timeout value `0' specified", 2],
        ["-A -t 10.0.0.1:80 -s rr -p 60 -M 24", "illegal virtual server persistent mask specified", 2],
        ["-A -t [2001:db8::1]:80 -s rr -p 60 -M 129", "illegal ipv6 netmask specified", 2],
        ["-A -t 10.0.0.1:80 -s rr -s wrr", "multiple 'scheduler' options specified", 2],
        ["-A -t 10.0.0.1:80 -u 10.0.0.1:53", "multiple 'service-address' options specified", 2],
        ["-A -t 10.0.0.1:80 -w 1", "Illegal 'weight' option with the 'add-service' command", 2],
        ["-D -t 10.0.0.1:80 -s rr", "Illegal 'scheduler' option with the 'delete-service' command", 2],
        ["-A -s rr", "You need to supply the 'service-address' option for the 'add-service' command", 2],
        ["-a -t 10.0.0.1:80", "You need to supply the 'real-server' option for the 'add-server' command", 2],
        ["-d -t 10.0.0.1:80 -r 10.0.0.2:80 -w 0", "Illegal 'weight' option with the 'delete-server' command", 2],
        ["-a -t 10.0.0.1:80 -r 10.0.0.2:80 -w 65536", "illegal weight specified", 2],
        ["-a -t 10.0.0.1:80 -r 10.0.0.2:80 -x -1", "illegal u_threshold specified", 2],
        ["-a -t 10.0.0.1:80 -r 10.0.0.2:80 -y x", "illegal l_threshold specified", 2],
        ["-a -t 10.0.0.1:80 -r www:80", "illegal real server address[:port] specified", 2],
        ["-A -t 10.0.0.1:99999", "illegal virtual server address[:port] specified", 2],
        ["-A -f 0", "invalid fwmark value `0' specified", 2],
        ["-A -f -5", "invalid fwmark value `-5' specified", 2],
        ["-A -6 -f 7", "-6 used before -f\n", 2],
        ["-a -t 10.0.0.1:80 -r [2001:db8::2]:80 -g", "Different address family is allowed only for tunneling servers", 2],
        ["-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g --tun-type gue", "Tunnel options conflict with forward method", 2],
        ["-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i --tun-type gue", "You need to supply the 'tun-port' option for the 'gue' tunnel type", 2],
        ["-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i --tun-port 6080", "Illegal 'tun-port' option with the 'ipip' tunnel type", 2],
        ["-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i --tun-type gre --tun-remcsum", "Illegal 'tun-remcsum' option with the 'gre' tunnel type", 2],
        [
            "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i --tun-type gue --tun-port 1 --tun-nocsum --tun-csum",
            "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type",
            2,
        ],
        ["-a -t 10.0.0.1:80 -r 10.0.0.2:80 -i --tun-type vxlan", "illegal tunnel type specified", 2],
        ["-A -E -t 10.0.0.1:80", "multiple commands specified", 2],
        ["-t 10.0.0.1:80", "Try `ipvsadm -h' or 'ipvsadm --help' for more information.", 255],
        ["-A -t 10.0.0.1:80 extra", "unexpected argument extra", 2],
        ["-A -t 10.0.0.1:80 -q", "-q: unknown option", 255],
        ["--set 1 2 3", "--set: unknown option", 255],
    ])("%s", (line, message, code) => {
        let caught: unknown;
        try {
            parseCommand(argv(line));
        } catch (e) {
            caught = e;
        }
        expect(caught).toBeInstanceOf(IpvsadmUsageError);
        expect(caught).toMatchObject({ message, exitCode: code });
    });
});
