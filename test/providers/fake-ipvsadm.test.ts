import { describe, expect, it } from "vitest";
import { allOps, opArgs, planChanges } from "../../components/core/ipvs/ipvs-diff";
import { fromEntries, toEntries } from "../../components/core/ipvs/ipvs-entries";
import { mergeThresholds, parseListConnections, parseListThresholds, parseSave } from "../../components/core/ipvs/ipvs-parse";
import { renderRestore } from "../../components/core/ipvs/ipvs-render";
import { Rng, expectedAfter, genScenario } from "../support/ipvs-random";
import { FakeIpvsadm } from "../support/fake-ipvsadm";

const run = (fake: FakeIpvsadm, line: string, stdin?: string) => fake.exec(line.split(" "), stdin);

const TABLE = fromEntries({
    "-A -t 192.168.0.75:80": "-s wrr -p 300",
    "-a -t 192.168.0.75:80 -r 172.16.0.45:80": "-m -w 3 -x 100 -y 10",
    "-a -t 192.168.0.75:80 -r 172.16.0.55:80": "-m -w 1",
    "-A -u [2001:db8::100]:53": "-s sh -b sh-port -o",
    "-a -u [2001:db8::100]:53 -r [2001:db8::2]:53": "-g -w 1",
    "-A -f 2147483653 -6": "-s mh -b mh-fallback",
    "-a -f 2147483653 -6 -r 10.0.0.7:0": "-i -w 2 --tun-type gue --tun-port 6080 --tun-remcsum",
});

describe("FakeIpvsadm: commands and errors", () => {
    it.each([
        ["-A -t 192.168.0.75:80 -s rr", 255, "Service already exists\n"],
        ["-A -t 192.168.0.76:80 -s fancy", 255, "Scheduler or persistence engine not found\n"],
        ["-A -t 192.168.0.76:80 -s rr -p --pe rtsp", 255, "Scheduler or persistence engine not found\n"],
        ["-E -t 192.168.0.76:80 -s rr", 255, "No such service\n"],
        ["-D -t 192.168.0.76:80", 255, "No such service\n"],
        ["-a -t 192.168.0.76:80 -r 10.0.0.1:80", 255, "Service not defined\n"],
        ["-a -t 192.168.0.75:80 -r 172.16.0.45:80 -m", 255, "Destination already exists\n"],
        ["-e -t 192.168.0.75:80 -r 172.16.0.46:80 -m", 255, "No such destination\n"],
        ["-d -t 192.168.0.75:80 -r 172.16.0.46:80", 255, "No such destination\n"],
        ["-a -t 192.168.0.75:80 -r 172.16.0.46:80 -m -y 5", 255, "Numerical result out of range\n"],
        ["-A -t 192.168.0.76:0 -s rr", 2, "Zero port specified for non-persistent service\n"],
        ["-L -n --stats", 2, "fake ipvsadm: list option(s) not modelled: stats\n"],
        ["-L -n -t 192.168.0.76:80", 1, "No such service\n"],
    ])("%s -> exit %i", (line, code, stderr) => {
        const fake = new FakeIpvsadm({ initial: TABLE });
        expect(run(fake, line)).toEqual({ code, stdout: "", stderr });
        expect(fake.ruleset()).toEqual(TABLE);
    });

    it("adds, edits and deletes like ipvsadm, and records every call", () => {
        const fake = new FakeIpvsadm();
        for (const line of [
            "-A -t 192.168.13.100:80 -s rr",
            "-a -t 192.168.13.100:80 -r 192.168.13.112:80 -g",
            "-a -t 192.168.13.100:80 -r 192.168.13.113 -g -w 1",
            "-E -t 192.168.13.100:80 -s wrr",
            "-e -t 192.168.13.100:80 -r 192.168.13.113:80 -g -w 3",
            "-d -t 192.168.13.100:80 -r 192.168.13.112:80",
        ]) {
            expect(run(fake, line).code).toBe(0);
        }
        expect(toEntries(fake.ruleset())).toEqual({ "-A -t 192.168.13.100:80": "-s wrr", "-a -t 192.168.13.100:80 -r 192.168.13.113:80": "-g -w 3" });
        expect(fake.exec(["/sbin/ipvsadm", "-C"]).code).toBe(0);
        expect(fake.ruleset()).toEqual({ services: [] });
        expect(fake.calls.map((c) => c[0])).toEqual(["-A", "-a", "-a", "-E", "-e", "-d", "-C"]);
    });

    it("saves like ipvsadm -S -n 1.31 and lists thresholds, which parse back to the table", () => {
        const fake = new FakeIpvsadm({ initial: TABLE });
        const save = run(fake, "-S -n");
        expect(save.stdout).toContain("-A -f -2147483643 -6 -s mh -b mh-fallback\n");
        expect(save.stdout).not.toContain("-x");
        const thresholds = run(fake, "-L -n --thresholds").stdout;
        expect(mergeThresholds(parseSave(save.stdout), parseListThresholds(thresholds))).toEqual(TABLE);
    });

    it("prints -L -n in ipvsadm's layout, with connection counts", () => {
        const fake = new FakeIpvsadm({ initial: TABLE });
        fake.setConnections("-t 192.168.0.75:80 -r 172.16.0.55:80", 4, 12);
        const out = run(fake, "-Ln").stdout;
        expect(out).toBe(
            [
                "IP Virtual Server version 1.2.1 (size=4096)",
                "Prot LocalAddress:Port Scheduler Flags",
                "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
                "TCP  192.168.0.75:80 wrr persistent 300",
                "  -> 172.16.0.45:80               Masq    3      0          0         ",
                "  -> 172.16.0.55:80               Masq    1      4          12        ",
                "UDP  [2001:db8::100]:53 sh (sh-port) ops",
                "  -> [2001:db8::2]:53             Route   1      0          0         ",
                "FWM  -2147483643 IPv6 mh (mh-fallback)",
                "  -> 10.0.0.7:0                   Tunnel  2      0          0         ",
                "",
            ].join("\n"),
        );
        expect(parseListConnections(out).get("-t 192.168.0.75:80 -r 172.16.0.55:80")).toEqual({ forward: "Masq", weight: 1, active: 4, inactive: 12 });
    });

    it("gives local real servers Local forwarding, saved as -g", () => {
        const fake = new FakeIpvsadm({ localAddresses: ["192.168.0.75"] });
        run(fake, "-A -t 192.168.0.75:80 -s rr");
        run(fake, "-a -t 192.168.0.75:80 -r 192.168.0.75:8080 -m -w 2");
        expect(run(fake, "-S -n").stdout).toContain("-a -t 192.168.0.75:80 -r 192.168.0.75:8080 -g -w 2\n");
        expect(parseListConnections(run(fake, "-L -n").stdout).get("-t 192.168.0.75:80 -r 192.168.0.75:8080")?.forward).toBe("Local");
    });

    it("restores with -R: kernel errors go on, a refused line stops", () => {
        const fake = new FakeIpvsadm();
        expect(run(fake, "-R", renderRestore(TABLE))).toEqual({ code: 0, stdout: "", stderr: "" });
        expect(fake.ruleset()).toEqual(TABLE);
        const again = run(fake, "-R", "-A -t 192.168.0.75:80 -s rr\n-A -t 10.1.1.1:80 -s rr\n-A -t 10.1.1.2:0 -s rr\n-A -t 10.1.1.3:80 -s rr\n");
        expect(again).toEqual({ code: 2, stdout: "", stderr: "Service already exists\nZero port specified for non-persistent service\n" });
        expect(toEntries(fake.ruleset())).toHaveProperty(["-A -t 10.1.1.1:80"]);
        expect(toEntries(fake.ruleset())).not.toHaveProperty(["-A -t 10.1.1.3:80"]);
    });

    it("lets a test drain connections between polls", () => {
        const fake = new FakeIpvsadm({ initial: TABLE });
        const id = "-t 192.168.0.75:80 -r 172.16.0.45:80";
        fake.setConnections(id, 2);
        fake.onExec = (argv, f) => {
            if (argv[0] === "-L" || argv[0] === "-Ln") f.setConnections(id, Math.max(0, (parseListConnections(listNow(f)).get(id)?.active ?? 0) - 1));
        };
        const listNow = (f: FakeIpvsadm): string => {
            const hook = f.onExec;
            f.onExec = undefined;
            const out = f.exec(["-L", "-n"]).stdout;
            f.onExec = hook;
            return out;
        };
        expect(parseListConnections(run(fake, "-L -n").stdout).get(id)?.active).toBe(1);
        expect(parseListConnections(run(fake, "-L -n").stdout).get(id)?.active).toBe(0);
    });
});

describe("FakeIpvsadm: executing plans", () => {
    it("running opArgs of a plan on a fake holding `a` yields the planned table, never -C", () => {
        for (let seed = 1; seed <= 200; seed++) {
            const { live: a, desired: b, owned } = genScenario(new Rng(seed));
            const fake = new FakeIpvsadm({ initial: a });
            for (const op of allOps(planChanges(a, b, owned))) {
                const result = fake.exec(["ipvsadm", ...opArgs(op)]);
                expect(result, `seed ${seed}: ipvsadm ${opArgs(op).join(" ")}`).toMatchObject({ code: 0, stderr: "" });
            }
            expect(fake.ruleset(), `seed ${seed}`).toEqual(expectedAfter(a, b, owned));
            const readBack = mergeThresholds(parseSave(fake.exec(["-S", "-n"]).stdout), parseListThresholds(fake.exec(["-L", "-n", "--thresholds"]).stdout));
            expect(readBack, `seed ${seed}`).toEqual(fake.ruleset());
            expect(fake.calls.some((c) => c.includes("-C") || c.includes("--clear"))).toBe(false);
        }
    });
});
