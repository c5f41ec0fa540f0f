/**
 * The keepalived host steps, run for real by /bin/sh against a sandbox: the scripts' paths are
 * moved under a temporary directory and systemctl, keepalived, ipvsadm, ip, journalctl and
 * sleep are stubs that log their calls. Shows the order (keepalived -t before the move), that
 * a change reloads and never restarts, and that destroy puts the operator's file back.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { keepalivedSteps, type KeepalivedSteps } from "../../components/core/keepalived/render-keepalived-steps";
import type { Ruleset } from "../../components/core/ipvs/ipvs-model";
import { KEEPALIVED_MARKER } from "../../components/core/keepalived/render-keepalived";
import { handbackStep } from "../../components/core/keepalived/render-handback";

const RULESET: Ruleset = {
    services: [{ key: { kind: "addr", protocol: "tcp", address: "192.168.13.100", port: 80 }, settings: { scheduler: "rr", schedFlags: [], onePacket: false }, dests: [] }],
};
const DRAIN = { timeoutSeconds: 60, pollSeconds: 2 };
const VIP = { address: "192.168.13.100", prefix: 32, device: "ens33", label: "ens33:0" };
const conf = (n: number) => `${KEEPALIVED_MARKER} (test)\nglobal_defs {\n    router_id d${n}\n}\n`;

const STUBS: Record<string, string> = {
    systemctl: `q=; for a in "$@"; do [ "$a" = --quiet ] && q=1; done
case "$1" in
  is-active) if [ -e "$ST/active" ]; then [ -n "$q" ] || echo active; exit 0; else [ -n "$q" ] || echo inactive; exit 3; fi ;;
  is-enabled) if [ -e "$ST/enabled" ]; then echo enabled; exit 0; else echo disabled; exit 1; fi ;;
  start) touch "$ST/active" ;;
  reload) [ -e "$ST/active" ] || exit 1 ;;
  stop) rm -f "$ST/active"; [ -e "$ST/crash" ] || rm -f "$ST/vip" ;;
  enable) touch "$ST/enabled" ;;
  disable) rm -f "$ST/enabled" ;;
  daemon-reload) ;;
  *) exit 1 ;;
esac`,
    keepalived: `if grep -q INVALID "$3"; then echo "bad keyword INVALID" >&2; exit 5; fi`,
    // -L prints $ST/listing.N on the Nth listing (else $ST/listing); -R keeps its stdin.
    ipvsadm: `case "$1" in
  -L) n=$(( $(cat "$ST/polls" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$ST/polls"
      f="$ST/listing.$n"; [ -e "$f" ] || f="$ST/listing"; [ ! -e "$f" ] || cat "$f" ;;
  -R) cat >> "$ST/restore" ;;
esac`,
    ip: `if [ "$2" = show ]; then [ -e "$ST/vip" ] && echo "    inet 192.168.13.100/32 scope global ens33:0"; exit 0; fi; rm -f "$ST/vip"`,
    // Prints $ST/journal, the lines a test says keepalived logged; with $ST/obeys-flag, keepalived enters fault while the switch is on.
    journalctl: `[ ! -e "$ST/journal" ] || cat "$ST/journal"
f="$ST/../var/lib/pulumi-lvs/keepalived.maintenance"; if [ -e "$ST/obeys-flag" ] && [ "$(cat "$f" 2>/dev/null)" = 1 ]; then echo "(web) Entering FAULT STATE"; fi`,
    // Notes the maintenance switch at each pause, so a test sees what it read in between.
    sleep: `f="$ST/../var/lib/pulumi-lvs/keepalived.maintenance"; [ ! -e "$f" ] || echo "$(cat "$f")" >> "$ST/flags"`,
};

let root: string;
let steps: KeepalivedSteps;
const st = (name: string) => path.join(root, "state", name);
const file = (p: string) => path.join(root, p);
const log = () => fs.readFileSync(st("log"), "utf8").trim().split("\n").filter((l) => l !== "");
const flag = () => fs.readFileSync(file("var/lib/pulumi-lvs/keepalived.maintenance"), "utf8");
/** The calls that change something (state queries left out). */
const actions = () => log().filter((l) => !/^(systemctl is-|ip addr show )/.test(l));

/** Runs a step script in the sandbox; returns its exit code, stdout and stderr. */
function run(text: string): { code: number; stdout: string; stderr: string } {
    const moved = text
        .replace(/\/etc\//g, `${root}/etc/`)
        .replace(/\/var\/lib\//g, `${root}/var/lib/`)
        .replace(/\/sys\/class\/net\//g, `${root}/state/net/`);
    const env = { PATH: `${root}/bin:/usr/bin:/bin`, ST: path.join(root, "state") };
    try {
        const stdout = execFileSync("/bin/sh", ["-c", moved], { env, stdio: ["ignore", "pipe", "pipe"] }).toString();
        return { code: 0, stdout, stderr: "" };
    } catch (e) {
        const err = e as { status: number; stdout: Buffer; stderr: Buffer };
        return { code: err.status, stdout: err.stdout.toString(), stderr: err.stderr.toString() };
    }
}

beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "ka-steps-"));
    for (const d of ["bin", "state", "state/net/ens33", "etc/keepalived", "var/lib"]) fs.mkdirSync(path.join(root, d), { recursive: true });
    for (const [name, body] of Object.entries(STUBS)) {
        fs.writeFileSync(path.join(root, "bin", name), `#!/bin/sh\necho "${name} $*" >> "$ST/log"\n${body}\n`, { mode: 0o755 });
    }
    fs.writeFileSync(st("log"), "");
    steps = keepalivedSteps({ conf: conf(1), vips: [VIP], ruleset: RULESET, drain: DRAIN });
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe("keepalived config step", () => {
    it("tests the staged file, then moves it into place and starts keepalived on a fresh host", () => {
        expect(run(steps.config.create).code).toBe(0);
        expect(fs.readFileSync(file("etc/keepalived/keepalived.conf"), "utf8")).toBe(conf(1));
        expect(fs.statSync(file("etc/keepalived/keepalived.conf")).mode & 0o777).toBe(0o600);
        expect(actions()).toEqual([`keepalived -t -f ${root}/etc/pulumi-lvs/keepalived.conf.new`, "systemctl start keepalived", "sleep 1"]);
        expect(fs.existsSync(file("var/lib/pulumi-lvs/keepalived.conf.absent"))).toBe(true);
    });

    it("creates the staged file 0600 before the password goes in, even over a world-readable leftover of a failed run", () => {
        // A cat that notes, as it starts to write a *.tmp file, the umask in effect and the file's mode at that moment.
        const shim = `out=$(readlink /proc/$$/fd/1)\ncase "$out" in *.tmp) echo "$out $(umask) $(stat -L -c %a /proc/$$/fd/1)" >> "$ST/created" ;; esac\nexec /bin/cat "$@"`;
        fs.writeFileSync(path.join(root, "bin", "cat"), `#!/bin/sh\n${shim}\n`, { mode: 0o755 });
        fs.mkdirSync(file("etc/pulumi-lvs"), { recursive: true });
        fs.writeFileSync(file("etc/pulumi-lvs/keepalived.conf.new.tmp"), "stale\n", { mode: 0o644 });
        const secret = `${conf(1)}vrrp_instance web {\n    authentication {\n        auth_pass s3cret\n    }\n}\n`;
        expect(run(keepalivedSteps({ conf: secret, vips: [VIP], ruleset: RULESET, drain: DRAIN }).config.create).code).toBe(0);
        const created = fs.readFileSync(st("created"), "utf8").trim().split("\n");
        expect(created).toContain(`${root}/etc/pulumi-lvs/keepalived.conf.new.tmp 0077 600`);
        // Every file the step writes starts private, whatever mode it ends with.
        for (const line of created) expect(line).toMatch(/ 0077 600$/);
        expect(fs.readFileSync(file("etc/keepalived/keepalived.conf"), "utf8")).toBe(secret);
        expect(fs.statSync(file("etc/keepalived/keepalived.conf")).mode & 0o777).toBe(0o600);
    });

    it("orders keepalived -t before the move in the script itself", () => {
        const text = steps.config.create;
        const test = text.indexOf("keepalived -t -f /etc/pulumi-lvs/keepalived.conf.new");
        const move = text.indexOf("mv /etc/pulumi-lvs/keepalived.conf.new /etc/keepalived/keepalived.conf");
        expect(test).toBeGreaterThan(0);
        expect(move).toBeGreaterThan(test);
        expect(text).toContain("systemctl reload keepalived");
        expect(text).not.toMatch(/restart/);
    });

    it("leaves a running keepalived alone when the config is unchanged, and reloads (never restarts) on a change", () => {
        run(steps.config.create);
        fs.writeFileSync(st("log"), "");
        expect(run(steps.config.create).code).toBe(0);
        expect(actions()).toEqual([`keepalived -t -f ${root}/etc/pulumi-lvs/keepalived.conf.new`]);
        const changed = keepalivedSteps({ conf: conf(2), vips: [VIP], ruleset: RULESET, drain: DRAIN });
        expect(run(changed.config.create).code).toBe(0);
        expect(log()).toContain("systemctl reload keepalived");
        expect(log().some((l) => / (restart|stop|start) keepalived$/.test(l) && !l.endsWith("start keepalived"))).toBe(false);
        expect(log().filter((l) => l === "systemctl start keepalived")).toHaveLength(0);
        expect(fs.readFileSync(file("etc/keepalived/keepalived.conf"), "utf8")).toBe(conf(2));
    });

    it("keeps the live file and fails when keepalived -t rejects the new one", () => {
        run(steps.config.create);
        const bad = keepalivedSteps({ conf: `${conf(3)}INVALID\n`, vips: [VIP], ruleset: RULESET, drain: DRAIN });
        const r = run(bad.config.create);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("keepalived -t rejected the new config");
        expect(r.stderr).toContain("bad keyword INVALID");
        expect(fs.readFileSync(file("etc/keepalived/keepalived.conf"), "utf8")).toBe(conf(1));
        expect(fs.existsSync(file("etc/pulumi-lvs/keepalived.conf.new"))).toBe(false);
        expect(log()).not.toContain("systemctl reload keepalived");
    });
});

describe("drained removal (a reload deletes leaving real servers at once)", () => {
    const service = { kind: "addr", protocol: "tcp", address: "192.168.13.100", port: 80 } as const;
    const dest = (address: string) => ({ key: { address, port: 80 }, settings: { forwarding: "dr", weight: 1, upperThreshold: 0, lowerThreshold: 0 } }) as const;
    const pool = (...addresses: string[]): Ruleset => ({ services: [{ key: service, settings: { scheduler: "rr", schedFlags: [], onePacket: false }, dests: addresses.map(dest) }] });
    const listing = (activeOn113: number | undefined) =>
        [
            "IP Virtual Server version 1.2.1 (size=4096)",
            "Prot LocalAddress:Port Scheduler Flags",
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
            "TCP  192.168.13.100:80 rr",
            "  -> 192.168.13.112:80            Route   1      3          0",
            ...(activeOn113 === undefined ? [] : [`  -> 192.168.13.113:80            Route   1      ${activeOn113}          1`]),
            "TCP  192.168.13.200:80 rr",
            "  -> 192.168.13.113:80            Route   1      7          0",
            "",
        ].join("\n");
    const stepsFor = (n: number, r: Ruleset, drain = DRAIN) => keepalivedSteps({ conf: conf(n), vips: [VIP], ruleset: r, drain });
    const manifest = () => fs.readFileSync(file("var/lib/pulumi-lvs/keepalived.dests"), "utf8");

    beforeEach(() => {
        expect(run(stepsFor(1, pool("192.168.13.112", "192.168.13.113")).config.create).code).toBe(0);
        fs.writeFileSync(st("log"), "");
    });

    it("sets a leaving real server to weight 0 and reloads only once its active connections have ended", () => {
        fs.writeFileSync(st("listing.1"), listing(2));
        fs.writeFileSync(st("listing.2"), listing(1));
        fs.writeFileSync(st("listing"), listing(0));
        const r = run(stepsFor(2, pool("192.168.13.112")).config.create);
        expect(r.code).toBe(0);
        // Only the leaving server of our service: 192.168.13.113 serves another VIP too, untouched.
        expect(fs.readFileSync(st("restore"), "utf8")).toBe("-e -t 192.168.13.100:80 -r 192.168.13.113:80 -g -w 0\n");
        const calls = actions();
        expect(calls.indexOf("ipvsadm -R")).toBeGreaterThan(-1);
        expect(calls.indexOf("ipvsadm -R")).toBeLessThan(calls.indexOf("systemctl reload keepalived"));
        // One listing before the edit; then polled until the count reached 0: one wait, after the listing that still showed a connection.
        expect(calls.filter((l) => l === "ipvsadm -L -n")).toHaveLength(3);
        expect(calls.filter((l) => l === "sleep 2")).toHaveLength(1);
        expect(r.stdout).toMatch(/pulumi-lvs: drained 1 leaving real server\(s\) before the reload: waited \d+ s, 0 active connection\(s\) left/);
        expect(manifest()).toBe("TCP 192.168.13.100:80\t192.168.13.112:80\t-e -t 192.168.13.100:80 -r 192.168.13.112:80 -g -w 0\n");
        expect(fs.existsSync(file("etc/pulumi-lvs/keepalived.leaving"))).toBe(false);
    });

    it("reloads after the drain timeout even if connections remain, and says how many", () => {
        fs.writeFileSync(st("listing"), listing(2));
        const r = run(stepsFor(2, pool("192.168.13.112"), { timeoutSeconds: 0, pollSeconds: 2 }).config.create);
        expect(r.code).toBe(0);
        expect(actions()).toContain("systemctl reload keepalived");
        expect(actions()).not.toContain("sleep 2");
        // No wait at a 0 s limit; the sandbox clock may still tick over a second meanwhile.
        expect(r.stdout).toMatch(/drained 1 leaving real server\(s\) before the reload: waited [01] s, 2 active connection\(s\) left/);
    });

    it("drains nothing when no real server leaves, or when the leaving one is no longer live", () => {
        fs.writeFileSync(st("listing"), listing(undefined));
        expect(run(stepsFor(2, pool("192.168.13.112", "192.168.13.113", "192.168.13.114")).config.create).code).toBe(0);
        expect(run(stepsFor(3, pool("192.168.13.112")).config.create).code).toBe(0);
        expect(fs.existsSync(st("restore"))).toBe(false);
        expect(actions().filter((l) => l === "systemctl reload keepalived")).toHaveLength(2);
    });

    it("keeps the running config's manifest when keepalived -t refuses the new config", () => {
        const before = manifest();
        const bad = keepalivedSteps({ conf: `${conf(3)}INVALID\n`, vips: [VIP], ruleset: pool("192.168.13.112"), drain: DRAIN });
        expect(run(bad.config.create).code).toBe(1);
        expect(manifest()).toBe(before);
        expect(fs.existsSync(st("restore"))).toBe(false);
    });

    it("writes the manifest of an unchanged running config (a host set up before manifests) without a reload", () => {
        fs.rmSync(file("var/lib/pulumi-lvs/keepalived.dests"));
        expect(run(stepsFor(1, pool("192.168.13.112", "192.168.13.113")).config.create).code).toBe(0);
        expect(manifest().split("\n").filter((l) => l !== "")).toHaveLength(2);
        expect(actions()).not.toContain("systemctl reload keepalived");
    });

    it("leaves no manifest after destroy", () => {
        run(steps.enable.delete);
        expect(run(steps.config.delete).code).toBe(0);
        expect(fs.existsSync(file("var/lib/pulumi-lvs"))).toBe(false);
    });
});

describe("maintenance switch", () => {
    const node = (maintenance?: boolean) => keepalivedSteps({ conf: conf(1), vips: [VIP], ruleset: RULESET, drain: DRAIN, maintenance });

    it("writes the node's switch before keepalived starts, and flips it on an unchanged config without a reload", () => {
        expect(run(node(false).config.create).code).toBe(0);
        expect(flag()).toBe("0\n");
        fs.writeFileSync(st("log"), "");
        expect(run(node(true).config.create).code).toBe(0);
        expect(flag()).toBe("1\n");
        expect(actions()).not.toContain("systemctl reload keepalived");
        fs.writeFileSync(st("journal"), "(web) Entering BACKUP STATE\n");
        expect(run(node(false).config.create).code).toBe(0);
        expect(flag()).toBe("0\n");
    });

    it("cleared while keepalived runs, waits until keepalived has left the fault state, so the peer's handback finds this node ready", () => {
        run(node(true).config.create);
        fs.writeFileSync(st("journal"), "(web) Entering FAULT STATE\n");
        const stuck = run(node(false).config.create);
        expect(stuck.code).toBe(1);
        expect(stuck.stderr).toContain("keepalived did not leave the fault state within 10 s of the maintenance switch being cleared");
        expect(flag()).toBe("0\n");

        run(node(true).config.create);
        fs.writeFileSync(st("journal"), "(web) Entering FAULT STATE\n(web) Entering BACKUP STATE\n");
        fs.writeFileSync(st("log"), "");
        expect(run(node(false).config.create).code).toBe(0);
        expect(flag()).toBe("0\n");
        // Already off: nothing to wait for, even with no state change in the journal.
        fs.rmSync(st("journal"));
        expect(run(node(false).config.create).code).toBe(0);
    });

    it("has no switch in checks-only mode (no VRRP), and destroy removes it", () => {
        run(node(undefined).config.create);
        expect(fs.existsSync(file("var/lib/pulumi-lvs/keepalived.maintenance"))).toBe(false);
        run(node(true).config.create);
        run(steps.config.delete);
        expect(fs.existsSync(file("var/lib/pulumi-lvs/keepalived.maintenance"))).toBe(false);
    });
});

describe("handback after maintenance", () => {
    const PAIR = { nopreempt: false, preemptDelay: 10 };
    const step = (peerMaintenance: boolean) => handbackStep(PAIR, { self: { host: "director2", priority: 100 }, peer: { host: "director1", priority: 150, maintenance: peerMaintenance } })!;
    const flags = () => (fs.existsSync(st("flags")) ? fs.readFileSync(st("flags"), "utf8").trim().split("\n") : []);
    const master = () => {
        fs.writeFileSync(st("active"), "");
        fs.mkdirSync(file("var/lib/pulumi-lvs"), { recursive: true });
        fs.writeFileSync(file("var/lib/pulumi-lvs/keepalived.maintenance"), "0\n");
        fs.writeFileSync(st("journal"), "(web) Entering BACKUP STATE\n(web) Entering MASTER STATE\n");
    };

    it("exists only where VRRP would not hand the VIPs back by itself soon: the lower-priority node, with preemptDelay and without nopreempt", () => {
        const nodes = { self: { host: "director2", priority: 100 }, peer: { host: "director1", priority: 150, maintenance: false } };
        expect(handbackStep(PAIR, nodes)?.key).toBe("keepalived-handback");
        expect(handbackStep({ nopreempt: false }, nodes)).toBeUndefined();
        expect(handbackStep({ nopreempt: true, preemptDelay: 10 }, nodes)).toBeUndefined();
        expect(handbackStep(PAIR, { self: { host: "director1", priority: 150 }, peer: { host: "director2", priority: 100, maintenance: false } })).toBeUndefined();
    });

    it("changes only with the peer's maintenance switch, so it runs when the peer comes back and at no other change", () => {
        expect(step(false).create).not.toBe(step(true).create);
        expect(step(false).create).toBe(handbackStep({ nopreempt: false, preemptDelay: 30 }, { self: { host: "director2", priority: 90 }, peer: { host: "director1", priority: 200, maintenance: false } })!.create);
    });

    it("on the master, sets its own switch (fault: a priority-0 advert), waits for the fault state, then clears it", () => {
        master();
        fs.writeFileSync(st("obeys-flag"), "");
        const r = run(step(false).create);
        expect(r.code).toBe(0);
        expect(r.stdout).toContain("handed the VIPs back to director1");
        // The pause between the two writes saw the switch on; it is off at the end.
        expect(flags()).toEqual(["1"]);
        expect(flag()).toBe("0\n");
        expect(run(step(false).delete).code).toBe(0);
    });

    it("clears its switch again even when keepalived never reports the fault state", () => {
        master();
        expect(run(step(false).create).code).toBe(0);
        expect(flags().length).toBeGreaterThan(1);
        expect(flag()).toBe("0\n");
    });

    it("does nothing when the peer is in maintenance, when this node is not master, or is in maintenance itself, or keepalived is down", () => {
        master();
        const quiet = (why: string, create = step(false).create) => {
            const r = run(create);
            expect(r.code).toBe(0);
            expect(r.stdout).toContain(`nothing to hand back to director1: ${why}`);
            expect(flags()).toEqual([]);
        };
        quiet("it is in maintenance", step(true).create);
        fs.writeFileSync(file("var/lib/pulumi-lvs/keepalived.maintenance"), "1\n");
        quiet("this node is in maintenance");
        fs.writeFileSync(file("var/lib/pulumi-lvs/keepalived.maintenance"), "0\n");
        fs.appendFileSync(st("journal"), "(web) Entering BACKUP STATE\n");
        quiet("this node does not hold the VIPs");
        fs.rmSync(st("active"));
        quiet("keepalived is not running here");
    });
});

describe("keepalived enable step", () => {
    const dropIn = () => file("etc/systemd/system/keepalived.service.d/pulumi-lvs.conf");

    it("has systemd start keepalived again when it dies, reloading systemd only when the drop-in is new or changed", () => {
        expect(run(steps.enable.create).code).toBe(0);
        expect(fs.readFileSync(dropIn(), "utf8")).toMatch(/^\[Service\]\nRestart=on-failure\nRestartSec=2s$/m);
        expect(actions()).toEqual(["systemctl daemon-reload", "systemctl enable keepalived"]);
        fs.writeFileSync(st("log"), "");
        expect(run(steps.enable.create).code).toBe(0);
        expect(actions()).toEqual(["systemctl enable keepalived"]);
        fs.writeFileSync(dropIn(), "[Service]\nRestart=no\n");
        fs.writeFileSync(st("log"), "");
        expect(run(steps.enable.create).code).toBe(0);
        expect(actions()).toEqual(["systemctl daemon-reload", "systemctl enable keepalived"]);
        expect(fs.readFileSync(dropIn(), "utf8")).toContain("Restart=on-failure");
    });

    it("touches neither the package's unit file nor another drop-in of the operator's", () => {
        const theirs = file("etc/systemd/system/keepalived.service.d/operator.conf");
        fs.mkdirSync(path.dirname(theirs), { recursive: true });
        fs.writeFileSync(theirs, "[Service]\nNice=-5\n");
        run(steps.enable.create);
        run(steps.enable.delete);
        expect(fs.readFileSync(theirs, "utf8")).toBe("[Service]\nNice=-5\n");
        expect(fs.existsSync(dropIn())).toBe(false);
        expect(steps.enable.create).not.toMatch(/\/lib\/systemd\/system\/keepalived\.service/);
    });
});

describe("destroy", () => {
    it("stops and disables keepalived, removes our file and what an unclean stop left (VIP, virtual services)", () => {
        run(steps.config.create);
        run(steps.enable.create);
        fs.writeFileSync(st("vip"), "");
        fs.writeFileSync(st("crash"), "");
        fs.writeFileSync(st("log"), "");
        expect(run(steps.enable.delete).code).toBe(0);
        expect(run(steps.config.delete).code).toBe(0);
        expect(fs.existsSync(file("etc/keepalived/keepalived.conf"))).toBe(false);
        expect(fs.existsSync(st("active"))).toBe(false);
        expect(fs.existsSync(st("enabled"))).toBe(false);
        // The services keepalived may have left go right after the stop, before the IpvsTable waits for them to, and again with the config.
        expect(actions()).toEqual(["systemctl stop keepalived", "ipvsadm -R", "systemctl disable keepalived", "systemctl daemon-reload", "ip addr del 192.168.13.100/32 dev ens33", "ipvsadm -R"]);
        expect(fs.readFileSync(st("restore"), "utf8")).toBe("-D -t 192.168.13.100:80\n".repeat(2));
        expect(fs.existsSync(file("etc/systemd/system/keepalived.service.d"))).toBe(false);
        expect(fs.existsSync(st("vip"))).toBe(false);
        // Our directories go with our last file (the lab found /var/lib/pulumi-lvs left behind).
        expect(fs.existsSync(file("var/lib/pulumi-lvs"))).toBe(false);
        expect(fs.existsSync(file("etc/pulumi-lvs"))).toBe(false);
    });

    it("leaves the state directory while another step still keeps a file there", () => {
        run(steps.config.create);
        fs.writeFileSync(file("var/lib/pulumi-lvs/director.sysctl-prev"), "net.ipv4.vs.expire_nodest_conn=0\n");
        expect(run(steps.config.delete).code).toBe(0);
        expect(fs.readdirSync(file("var/lib/pulumi-lvs"))).toEqual(["director.sysctl-prev"]);
    });

    it("puts back the operator's file and a keepalived that was enabled and running", () => {
        fs.writeFileSync(file("etc/keepalived/keepalived.conf"), "# operator's own\n");
        fs.writeFileSync(st("active"), "");
        fs.writeFileSync(st("enabled"), "");
        run(steps.config.create);
        expect(log()).toContain("systemctl reload keepalived");
        expect(fs.readFileSync(file("var/lib/pulumi-lvs/keepalived.service-prev"), "utf8")).toBe("enabled\nactive\n");
        run(steps.config.create);
        expect(fs.readFileSync(file("var/lib/pulumi-lvs/keepalived.conf.orig"), "utf8")).toBe("# operator's own\n");
        run(steps.enable.delete);
        run(steps.config.delete);
        expect(fs.readFileSync(file("etc/keepalived/keepalived.conf"), "utf8")).toBe("# operator's own\n");
        expect([fs.existsSync(st("active")), fs.existsSync(st("enabled"))]).toEqual([true, true]);
    });

    it("hands the table back to an ipvsadm owner that saved its rules (Director healthChecks turned off)", () => {
        run(steps.config.create);
        fs.mkdirSync(file("var/lib/pulumi-lvs"), { recursive: true });
        fs.writeFileSync(file("var/lib/pulumi-lvs/ipvs.rules"), "-A -t 192.168.13.100:80 -s rr\n-a -t 192.168.13.100:80 -r 192.168.13.112:80 -g -w 1\n");
        fs.writeFileSync(st("log"), "");
        run(steps.enable.delete);
        run(steps.config.delete);
        const calls = log().filter((l) => l.startsWith("ipvsadm"));
        expect(calls).toEqual(["ipvsadm -A -t 192.168.13.100:80 -s rr", "ipvsadm -a -t 192.168.13.100:80 -r 192.168.13.112:80 -g -w 1"]);
    });

    it("is safe when create never ran", () => {
        expect(run(steps.enable.delete).code).toBe(0);
        expect(run(steps.config.delete).code).toBe(0);
        expect(actions().filter((l) => l !== "ipvsadm -R")).toEqual(["systemctl disable keepalived"]);
    });
});

describe("checks-only mode", () => {
    it("never removes the Director's VIPs (keepalived does not own them there)", () => {
        const checks = keepalivedSteps({ conf: conf(1), vips: [], ruleset: RULESET, drain: DRAIN });
        expect(checks.config.delete).not.toMatch(/ip addr del/);
        expect(steps.config.delete).toContain("ip addr del 192.168.13.100/32 dev ens33");
    });

    it("installs keepalived under its own key, next to the director's install step", () => {
        expect(steps.install.key).toBe("keepalived-install");
        expect(steps.install.create).toContain('command -v keepalived >/dev/null 2>&1 || need="$need keepalived"');
    });
});
