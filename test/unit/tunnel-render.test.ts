/**
 * What a TUN real server is told to do for each tunnel type its pools send it: the exact tunnel
 * scripts, the boot script that redoes it after a reboot, the rp_filter keys (with the module
 * that creates each device's keys loaded first) and the device each VIP goes on.
 */
import { vipAddArgv } from "../../components/core/host/render-vip";
import { shellCommand } from "../../components/base/shell-quote";
import { describe, expect, it } from "vitest";
import { realServerSteps } from "../../components/core/host/render-real-server";
import { directorAliases, groupView, realServerModel } from "../../components/core/host/cluster-model";
import { parseCluster } from "../../components/schema/cluster";
import { ConfigError } from "../../components/base/errors";
import { tunCluster, tunModel, type TunnelInput } from "../support/tun-cluster";

/** The text a step writes to `path` (between its heredoc markers). */
function written(script: string, path: string): string {
    const start = script.indexOf(`(umask 077 && cat > ${path}.tmp) <<'PULUMI_LVS_EOF'\n`);
    expect(start, `${path} is not written`).toBeGreaterThanOrEqual(0);
    const body = script.slice(script.indexOf("\n", start) + 1);
    return body.slice(0, body.indexOf("\nPULUMI_LVS_EOF"));
}

const boot = (m: ReturnType<typeof tunModel>) => written(realServerSteps(m).boot.create, "/etc/pulumi-lvs/realserver-boot.sh");
const sysctlConf = (m: ReturnType<typeof tunModel>) => written(realServerSteps(m).sysctl!.create, "/etc/sysctl.d/90-pulumi-lvs-realserver.conf").split("\n").slice(1);
/** The sysctl step's commands before it reads any key. */
const sysctlBefore = (m: ReturnType<typeof tunModel>) => realServerSteps(m).sysctl!.create.split("\n").slice(2, -2).filter((_l, i, all) => i < all.indexOf("mkdir -p /var/lib/pulumi-lvs"));
const ARP = ["net/ipv4/conf/all/arp_ignore = 1", "net/ipv4/conf/all/arp_announce = 2", "net/ipv4/conf/ens33/arp_ignore = 1", "net/ipv4/conf/ens33/arp_announce = 2"];

const ADDED = "/var/lib/pulumi-lvs/realserver-tunnel.added";
const RELEASE = `release() {
  case "$1" in
    link) if [ -e "/sys/class/net/$2" ]; then ip link set "$2" down || true; fi ;;
    fou) ip fou del port "$2" \${3:+"$3"} 2>/dev/null || true ;;
  esac
}`;
const ADOPT = `if [ -e /etc/modules-load.d/pulumi-lvs-ipip.conf ] && ! grep -qxF 'link tunl0' ${ADDED} 2>/dev/null; then mkdir -p /var/lib/pulumi-lvs && echo 'link tunl0' >> ${ADDED}; fi`;
const head = (modules: string[], wanted: string) => `set -eu
{
${modules.map((m) => `modprobe ${m}`).join("\n")}
${ADOPT}
mkdir -p /var/lib/pulumi-lvs
touch ${ADDED}
mkdir -p "$(dirname /etc/modules-load.d/pulumi-lvs-tunnel.conf)"
rm -f /etc/modules-load.d/pulumi-lvs-tunnel.conf.tmp
(umask 077 && cat > /etc/modules-load.d/pulumi-lvs-tunnel.conf.tmp) <<'PULUMI_LVS_EOF'
${modules.join("\n")}
PULUMI_LVS_EOF
chmod 0644 /etc/modules-load.d/pulumi-lvs-tunnel.conf.tmp
mv /etc/modules-load.d/pulumi-lvs-tunnel.conf.tmp /etc/modules-load.d/pulumi-lvs-tunnel.conf
rm -f /etc/modules-load.d/pulumi-lvs-ipip.conf
${RELEASE}
while read -r kind name flag; do
  line="$kind $name\${flag:+ $flag}"
  case '${wanted}' in *"|$line|"*) printf '%s\\n' "$line" ;; *) release "$kind" "$name" "$flag" ;; esac
done < ${ADDED} > ${ADDED}.tmp
mv ${ADDED}.tmp ${ADDED}
`;
const linkUp = (d: string) => `if ! grep -qxF 'link ${d}' ${ADDED} && ! ip -o link show dev ${d} | grep -q '[<,]UP[,>]'; then echo 'link ${d}' >> ${ADDED}; fi
ip link set ${d} up
`;
const fouAdd = (port: number, v6 = "") => `if ! ip fou show | grep -qxF 'port ${port} gue${v6}'; then
  grep -qxF 'fou ${port}${v6}' ${ADDED} || echo 'fou ${port}${v6}' >> ${ADDED}
  if ! ip fou add port ${port} gue${v6}; then grep -vxF 'fou ${port}${v6}' ${ADDED} > ${ADDED}.tmp || true; mv ${ADDED}.tmp ${ADDED}; exit 1; fi
fi
`;
const DELETE = `set -eu
{
${ADOPT}
rm -f /etc/modules-load.d/pulumi-lvs-tunnel.conf /etc/modules-load.d/pulumi-lvs-ipip.conf
if [ -e ${ADDED} ]; then
${RELEASE.split("\n").map((l) => `  ${l}`).join("\n")}
  while read -r kind name flag; do release "$kind" "$name" "$flag"; done < ${ADDED}
  rm -f ${ADDED}
fi
rmdir /var/lib/pulumi-lvs 2>/dev/null || true
} </dev/null
`;
/** How every script ends: its commands' group, with stdin closed. */
const END = "} </dev/null\n";

describe("TUN real server, per tunnel type", () => {
    interface OneType {
        tunnel: TunnelInput;
        /** The tunnel step's lines after the common head. */
        ensure: string;
        modules: string[];
        wanted: string;
        device: string;
        /** Boot lines between the modprobes and the VIP. */
        boot: string[];
    }
    const oneType: [string, OneType][] = [
        ["ipip: ipip, tunl0 up with the VIP on it", { tunnel: { type: "ipip" }, ensure: linkUp("tunl0"), modules: ["ipip"], wanted: "|link tunl0|", device: "tunl0", boot: ["ip link set tunl0 up"] }],
        [
            "gue: fou opens the port, and the inner IPIP lands on tunl0, which holds the VIP",
            {
                tunnel: { type: "gue", port: 5555 },
                ensure: linkUp("tunl0") + fouAdd(5555),
                modules: ["fou", "ipip"],
                wanted: "|link tunl0|fou 5555|",
                device: "tunl0",
                boot: ["ip link set tunl0 up", "ip fou show | grep -qxF 'port 5555 gue' || ip fou add port 5555 gue"],
            },
        ],
        ["gre: ip_gre, gre0 up with the VIP on it", { tunnel: { type: "gre" }, ensure: linkUp("gre0"), modules: ["ip_gre"], wanted: "|link gre0|", device: "gre0", boot: ["ip link set gre0 up"] }],
    ];

    it.each(oneType)("%s; rp_filter off on all and the device, whose keys exist once its module is loaded", (_what, t) => {
        const m = tunModel([t.tunnel]);
        const steps = realServerSteps(m);
        expect(steps.tunnel!.create).toBe(head(t.modules, t.wanted) + t.ensure + END);
        expect(steps.tunnel!.delete).toBe(DELETE);
        expect(m.vips).toEqual([{ address: "192.168.13.100", prefix: 32, device: t.device }]);
        // The VIP moves here from the other IPv4 tunnel device when its pools change type.
        const other = t.device === "tunl0" ? "gre0" : "tunl0";
        expect(steps.vips[0].create).toBe(
            `set -eu\n{\nif [ -e /sys/class/net/${other} ] && ip addr show dev ${other} | grep -qF ' 192.168.13.100/32 '; then ip addr del 192.168.13.100/32 dev ${other}; fi\nip link set ${t.device} up\nip addr replace 192.168.13.100/32 dev ${t.device}\n} </dev/null\n`,
        );
        expect(sysctlBefore(m)).toEqual(t.modules.map((mod) => `modprobe ${mod}`));
        expect(sysctlConf(m)).toEqual([...ARP, "net/ipv4/conf/all/rp_filter = 0", `net/ipv4/conf/${t.device}/rp_filter = 0`]);
        expect(boot(m)).toBe(["set -eu", "{", ...t.modules.map((mod) => `modprobe ${mod}`), ...t.boot, `ip addr replace 192.168.13.100/32 dev ${t.device}`, "} </dev/null"].join("\n"));
    });

    it("mixed pools: the union of their tunnels, each gue port once, the VIP on tunl0", () => {
        const m = tunModel([{ type: "gre" }, { type: "gue", port: 6080, checksum: "csum" }, { type: "ipip" }, { type: "gue", port: 5555, checksum: "remcsum" }, { type: "gue", port: 6080 }]);
        expect(m.tunnels).toEqual([{ type: "ipip" }, { type: "gue", port: 5555 }, { type: "gue", port: 6080 }, { type: "gre" }]);
        const steps = realServerSteps(m);
        expect(steps.tunnel!.create).toBe(
            head(["fou", "ip_gre", "ipip"], "|link tunl0|link gre0|fou 5555|fou 6080|") + linkUp("tunl0") + linkUp("gre0") + fouAdd(5555) + fouAdd(6080) + END,
        );
        expect(m.vips).toEqual([{ address: "192.168.13.100", prefix: 32, device: "tunl0" }]);
        expect(sysctlConf(m)).toEqual([...ARP, "net/ipv4/conf/all/rp_filter = 0", "net/ipv4/conf/tunl0/rp_filter = 0", "net/ipv4/conf/gre0/rp_filter = 0"]);
        expect(boot(m)).toBe(
            [
                "set -eu",
                "{",
                "modprobe fou",
                "modprobe ip_gre",
                "modprobe ipip",
                "ip link set tunl0 up",
                "ip link set gre0 up",
                "ip fou show | grep -qxF 'port 5555 gue' || ip fou add port 5555 gue",
                "ip fou show | grep -qxF 'port 6080 gue' || ip fou add port 6080 gue",
                "ip addr replace 192.168.13.100/32 dev tunl0",
                "} </dev/null",
            ].join("\n"),
        );
    });

    it("IPv6: ip6tnl0 for ipip and gue (fou on the port with -6), ip6gre0 for gre, the VIP on lo, no rp_filter (IPv6 has none)", () => {
        const m = tunModel([{ type: "ipip" }, { type: "gue", port: 5555 }, { type: "gre" }], "inet6");
        const steps = realServerSteps(m);
        expect(steps.tunnel!.create).toBe(
            head(["fou", "ip6_gre", "ip6_tunnel"], "|link ip6tnl0|link ip6gre0|fou 5555 -6|") + linkUp("ip6tnl0") + linkUp("ip6gre0") + fouAdd(5555, " -6") + END,
        );
        expect(m.vips).toEqual([{ address: "2001:db8::100", prefix: 128, device: "lo" }]);
        expect(sysctlBefore(m)).toEqual([]);
        expect(sysctlConf(m)).toEqual(ARP);
        expect(boot(m)).toBe(
            [
                "set -eu",
                "{",
                "modprobe fou",
                "modprobe ip6_gre",
                "modprobe ip6_tunnel",
                "ip link set ip6tnl0 up",
                "ip link set ip6gre0 up",
                "ip fou show | grep -qxF 'port 5555 gue -6' || ip fou add port 5555 gue -6",
                "ip -6 addr replace 2001:db8::100/128 dev lo nodad",
                "} </dev/null",
            ].join("\n"),
        );
    });

    it("a DR-only real server gets no tunnel step and no rp_filter", () => {
        const c = tunCluster([{ type: "ipip" }]);
        c.vipGroups[0].services[0].realServers[0] = { host: "rs1" };
        const spec = parseCluster(c);
        const m = realServerModel({ host: "rs1", address: spec.hosts.rs1.address, interface: "ens33", aliasStart: 0 }, [groupView(spec.hosts, spec.vipGroups[0])]);
        expect(m.tunnels).toEqual([]);
        expect(realServerSteps(m).tunnel).toBeUndefined();
        expect(sysctlConf(m)).toEqual(ARP);
    });

    it("the core refuses checksummed GRE to a RealServer used as a library, naming it, the reason and the fix", () => {
        const c = tunCluster([{ type: "gre" }]);
        const spec = parseCluster(c);
        const web = groupView(spec.hosts, spec.vipGroups[0]);
        for (const d of web.ruleset.services[0].dests) d.settings.tunnel = { type: "gre", checksum: "csum" };
        const build = () => realServerModel({ host: "rs1", address: spec.hosts.rs1.address, interface: "ens33", aliasStart: 0 }, [web]);
        expect(build).toThrow(ConfigError);
        expect(build).toThrow(/RealServer rs1: service -t 192\.168\.13\.100:80 sends it GRE with checksums.*Fix: use checksum nocsum/);
    });
});

describe("an IPv6 VIP on a director", () => {
    it("is added deprecated, so the director never picks it as the source of its own packets (tunnelled ones included)", () => {
        const [alias] = directorAliases(["2001:db8::100"], "ens33", 0);
        expect(shellCommand(vipAddArgv(alias))).toBe("ip -6 addr replace 2001:db8::100/128 dev ens33 nodad preferred_lft 0");
        const [v4] = directorAliases(["192.168.13.100"], "ens33", 0);
        expect(shellCommand(vipAddArgv(v4))).toBe("ip addr replace 192.168.13.100/32 dev ens33 label ens33:0");
    });
});
