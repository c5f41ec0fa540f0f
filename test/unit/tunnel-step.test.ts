/**
 * The tunnel, VIP and sysctl steps of a TUN real server, run for real by /bin/sh against a
 * sandbox: the scripts' paths move under a temporary directory, and `ip`, `modprobe` and
 * `sysctl` are stubs that keep links, addresses, fou ports and keys in files and log their
 * calls. Shows that create is idempotent, that destroy takes back exactly what the stack added
 * (a device the operator had up stays up, a fou port they had stays open), that a later apply
 * lets go of what it no longer wants (and a VIP moves from gre0 to tunl0 with it), and that
 * rp_filter on gre0 is saved and restored although gre0 only appears with ip_gre.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { realServerSteps } from "../../components/core/host/render-real-server";
import type { HostStep } from "../../components/core/host/host-step";
import { tunModel, type TunnelInput } from "../support/tun-cluster";

const STUBS: Record<string, string> = {
    // Devices and their IPv4 keys appear when the module that owns them is loaded.
    modprobe: `case "$1" in
  ipip) d=tunl0 ;; ip_gre) d=gre0 ;; ip6_tunnel) d=ip6tnl0 ;; ip6_gre) d=ip6gre0 ;; fou) exit 0 ;; *) exit 1 ;;
esac
[ -e "$ST/links/$d" ] || echo down > "$ST/links/$d"
case "$d" in tunl0|gre0) k="$ST/kv/net_ipv4_conf_\${d}_rp_filter"; [ -e "$k" ] || echo 2 > "$k" ;; esac`,
    // Naming a missing fallback device to ip loads its module, as the kernel's netdev-<name>
    // alias does: a script that only looks must ask sysfs first (the links directory here).
    ip: `for a in "$@"; do case "$a" in tunl0|gre0|ip6tnl0|ip6gre0) [ -e "$ST/links/$a" ] || { echo "autoload $a" >> "$ST/log"; echo down > "$ST/links/$a"; } ;; esac; done
case "$1 $2" in
  "-o link") [ -e "$ST/links/$5" ] || exit 1
    if [ "$(cat "$ST/links/$5")" = up ]; then f="<NOARP,UP,LOWER_UP>"; else f="<NOARP>"; fi
    echo "9: $5@NONE: $f mtu 1480 qdisc noqueue state UNKNOWN" ;;
  "link set") [ -e "$ST/links/$3" ] || exit 1; echo "$4" > "$ST/links/$3" ;;
  "addr show") [ -e "$ST/links/$4" ] || exit 1; [ ! -e "$ST/addr/$4" ] || sed 's/.*/    inet & scope global/' "$ST/addr/$4" ;;
  "addr replace") touch "$ST/addr/$5"; grep -qxF "$3" "$ST/addr/$5" || echo "$3" >> "$ST/addr/$5" ;;
  "addr del") grep -qxF "$3" "$ST/addr/$5" || exit 2; grep -vxF "$3" "$ST/addr/$5" > "$ST/addr.tmp"; mv "$ST/addr.tmp" "$ST/addr/$5" ;;
  "fou show") cat "$ST/fou" ;;
  "fou add") if [ -n "$6" ]; then taken=$(grep -c "^port $4 .* -6\$" "$ST/fou"); else taken=$(grep "^port $4 " "$ST/fou" | grep -vc -- " -6\$"); fi
    [ "$taken" = 0 ] || { echo "RTNETLINK answers: File exists" >&2; exit 2; }; echo "port $4 gue\${6:+ $6}" >> "$ST/fou" ;;
  "fou del") line="port $4 gue\${5:+ $5}"; grep -qxF "$line" "$ST/fou" || exit 2; grep -vxF "$line" "$ST/fou" > "$ST/fou.tmp"; mv "$ST/fou.tmp" "$ST/fou" ;;
  *) exit 3 ;;
esac`,
    // A key that does not exist (yet) cannot be read or written, as with the real sysctl.
    sysctl: `case "$1" in
  -n) cat "$ST/kv/$(printf '%s' "$2" | tr / _)" ;;
  -q) shift 2; for a in "$@"; do k="$ST/kv/$(printf '%s' "\${a%%=*}" | tr / _)"; [ -e "$k" ] || exit 1; printf '%s\\n' "\${a#*=}" > "$k"; done ;;
  *) exit 2 ;;
esac`,
};

let root: string;
const st = (p: string) => path.join(root, "state", p);
const link = (d: string) => (fs.existsSync(st(`links/${d}`)) ? fs.readFileSync(st(`links/${d}`), "utf8").trim() : "absent");
const addrs = (d: string) => (fs.existsSync(st(`addr/${d}`)) ? fs.readFileSync(st(`addr/${d}`), "utf8").split("\n").filter((l) => l !== "") : []);
const fou = () => fs.readFileSync(st("fou"), "utf8").split("\n").filter((l) => l !== "");
const key = (k: string) => fs.readFileSync(st(`kv/${k.replace(/\//g, "_")}`), "utf8").trim();
const file = (p: string) => path.join(root, p);
const added = () => fs.readFileSync(file("var/lib/pulumi-lvs/realserver-tunnel.added"), "utf8");
/** The calls that change something. */
const changes = () => fs.readFileSync(st("log"), "utf8").split("\n").filter((l) => /^ip (link set|fou add|fou del)/.test(l));

function run(text: string): void {
    const moved = text
        .replace(/\/etc\//g, `${root}/etc/`)
        .replace(/\/var\/lib\//g, `${root}/var/lib/`)
        .replace(/\/sys\/class\/net\//g, `${root}/state/links/`);
    execFileSync("/bin/sh", ["-c", moved], { env: { PATH: `${root}/bin:/usr/bin:/bin`, ST: path.join(root, "state") }, stdio: ["ignore", "pipe", "pipe"] });
}

const steps = (tunnels: TunnelInput[], family: "inet" | "inet6" = "inet") => realServerSteps(tunModel(tunnels, family));
const tunnel = (tunnels: TunnelInput[], family: "inet" | "inet6" = "inet"): HostStep => steps(tunnels, family).tunnel!;

beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "tunnel-step-"));
    for (const d of ["bin", "state/links", "state/addr", "state/kv", "etc", "var/lib"]) fs.mkdirSync(path.join(root, d), { recursive: true });
    for (const [name, body] of Object.entries(STUBS)) {
        fs.writeFileSync(path.join(root, "bin", name), `#!/bin/sh\necho "${name} $*" >> "$ST/log"\n${body}\n`, { mode: 0o755 });
    }
    fs.writeFileSync(st("fou"), "");
    fs.writeFileSync(st("log"), "");
    for (const k of ["all_rp_filter", "all_arp_ignore", "all_arp_announce", "ens33_arp_ignore", "ens33_arp_announce"]) fs.writeFileSync(st(`kv/net_ipv4_conf_${k}`), "0\n");
    fs.writeFileSync(st("kv/net_ipv4_conf_all_rp_filter"), "1\n");
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe("tunnel step", () => {
    it("gue: brings tunl0 up and opens the port once, and destroy takes both back", () => {
        const s = tunnel([{ type: "gue", port: 5555 }]);
        run(s.create);
        run(s.create);
        expect([link("tunl0"), fou()]).toEqual(["up", ["port 5555 gue"]]);
        expect(changes()).toEqual(["ip link set tunl0 up", "ip fou add port 5555 gue", "ip link set tunl0 up"]);
        expect(fs.readFileSync(file("etc/modules-load.d/pulumi-lvs-tunnel.conf"), "utf8")).toBe("fou\nipip\n");
        expect(added()).toBe("link tunl0\nfou 5555\n");
        run(s.delete);
        expect([link("tunl0"), fou()]).toEqual(["down", []]);
        expect(fs.existsSync(file("etc/modules-load.d/pulumi-lvs-tunnel.conf"))).toBe(false);
        expect(fs.existsSync(file("var/lib/pulumi-lvs"))).toBe(false);
    });

    it("leaves what the operator had: a device already up and a fou port already open", () => {
        fs.writeFileSync(st("links/tunl0"), "up\n");
        fs.writeFileSync(st("fou"), "port 5555 gue\n");
        const s = tunnel([{ type: "gue", port: 5555 }, { type: "gue", port: 6080 }, { type: "gre" }]);
        run(s.create);
        expect(added()).toBe("link gre0\nfou 6080\n");
        run(s.delete);
        expect([link("tunl0"), link("gre0"), fou()]).toEqual(["up", "down", ["port 5555 gue"]]);
    });

    it("fails on a port the operator holds with another mapping, and destroy leaves that port open", () => {
        fs.writeFileSync(st("fou"), "port 5555 ipproto 4\n");
        const s = tunnel([{ type: "gue", port: 5555 }]);
        expect(() => run(s.create)).toThrow(/File exists/);
        expect(added()).toBe("link tunl0\n");
        run(s.delete);
        expect(fou()).toEqual(["port 5555 ipproto 4"]);
    });

    it("a later apply lets go of what it no longer wants (gue to gre), and destroy of the rest", () => {
        run(tunnel([{ type: "gue", port: 5555 }]).create);
        const gre = tunnel([{ type: "gre" }]);
        run(gre.create);
        expect([link("tunl0"), link("gre0"), fou()]).toEqual(["down", "up", []]);
        expect(added()).toBe("link gre0\n");
        run(gre.delete);
        expect([link("tunl0"), link("gre0")]).toEqual(["down", "down"]);
    });

    it("IPv6: ip6tnl0 and ip6gre0 up, the gue port opened and closed with -6", () => {
        const s = tunnel([{ type: "ipip" }, { type: "gue", port: 5555 }, { type: "gre" }], "inet6");
        run(s.create);
        expect([link("ip6tnl0"), link("ip6gre0"), fou()]).toEqual(["up", "up", ["port 5555 gue -6"]]);
        run(s.delete);
        expect([link("ip6tnl0"), link("ip6gre0"), fou()]).toEqual(["down", "down", []]);
        expect(changes().slice(-3)).toEqual(["ip link set ip6tnl0 down", "ip link set ip6gre0 down", "ip fou del port 5555 -6"]);
    });

    it("adopts tunl0 on a host an earlier version set up (its ipip modules-load file), so destroy still sets it down", () => {
        fs.mkdirSync(file("etc/modules-load.d"), { recursive: true });
        fs.writeFileSync(file("etc/modules-load.d/pulumi-lvs-ipip.conf"), "ipip\n");
        fs.writeFileSync(st("links/tunl0"), "up\n");
        const s = tunnel([{ type: "ipip" }]);
        run(s.create);
        expect(fs.existsSync(file("etc/modules-load.d/pulumi-lvs-ipip.conf"))).toBe(false);
        expect(added()).toBe("link tunl0\n");
        run(s.delete);
        expect(link("tunl0")).toBe("down");
    });

    it("moves the VIP from gre0 to tunl0 when its pool changes from gre to ipip", () => {
        const gre = steps([{ type: "gre" }]);
        run(gre.tunnel!.create);
        run(gre.vips[0].create);
        expect([addrs("gre0"), addrs("tunl0")]).toEqual([["192.168.13.100/32"], []]);
        const ipip = steps([{ type: "ipip" }]);
        run(ipip.tunnel!.create);
        run(ipip.vips[0].create);
        expect([addrs("gre0"), addrs("tunl0"), link("gre0"), link("tunl0")]).toEqual([[], ["192.168.13.100/32"], "down", "up"]);
        run(ipip.vips[0].delete);
        expect(addrs("tunl0")).toEqual([]);
    });

    it("an ipip real server never loads ip_gre: the VIP's move checks gre0 in sysfs, not by naming it to ip", () => {
        const ipip = steps([{ type: "ipip" }]);
        for (const s of [ipip.tunnel!.create, ipip.vips[0].create, ipip.vips[0].delete, ipip.tunnel!.delete]) run(s);
        expect(link("gre0")).toBe("absent");
        expect(fs.readFileSync(st("log"), "utf8")).not.toContain("autoload");
    });

    it("destroy after the module went away (gre0 gone) neither fails nor loads it again", () => {
        const gre = steps([{ type: "gre" }]);
        run(gre.tunnel!.create);
        fs.rmSync(st("links/gre0"));
        run(gre.tunnel!.delete);
        expect(link("gre0")).toBe("absent");
    });

    it("a delete when create never ran changes nothing", () => {
        run(tunnel([{ type: "gue", port: 5555 }]).delete);
        expect(changes()).toEqual([]);
        expect(fs.existsSync(file("var/lib/pulumi-lvs"))).toBe(false);
    });
});

describe("rp_filter on a device a module creates", () => {
    it("loads ip_gre before reading gre0's key, sets it to 0, and destroy restores it", () => {
        const sysctl = steps([{ type: "gre" }]).sysctl!;
        run(sysctl.create);
        expect([key("net/ipv4/conf/all/rp_filter"), key("net/ipv4/conf/gre0/rp_filter")]).toEqual(["0", "0"]);
        run(sysctl.delete);
        expect([key("net/ipv4/conf/all/rp_filter"), key("net/ipv4/conf/gre0/rp_filter")]).toEqual(["1", "2"]);
    });
});
