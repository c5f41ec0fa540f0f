/**
 * Real-server host steps, in dependency order: ARP (and rp_filter) sysctls or arptables rules
 * first, because a VIP added while the host still answers ARP for it steals traffic from the
 * director; then the VIPs; then the boot unit that re-adds them after a reboot.
 */
import type { RealServerModel } from "./cluster-model";
import type { HostStep } from "./host-step";
import { REMOVE_STATE_DIR_IF_EMPTY, STATE_DIR, script } from "./host-step";
import { shellCommand } from "../../base/shell-quote";
import { familyOf } from "../../base/address";
import { sysctlKey, sysctlStep } from "./render-sysctl";
import { vipAddArgv, vipStep } from "./render-vip";
import { bootStep } from "./render-boot";
import { arptablesLines, arptablesStep } from "./render-arptables";
import { installStep } from "./render-director";
import { tunnelBootLines, tunnelDevicesV4, tunnelModules, tunnelStep } from "./render-tunnel";

export interface RealServerSteps {
    /** Only with arpMethod arptables: installs arptables. */
    install?: HostStep;
    sysctl?: HostStep;
    /** Only with arpMethod arptables on a DR/TUN real server. */
    arptables?: HostStep;
    tunnel?: HostStep;
    gateway?: HostStep;
    vips: HostStep[];
    boot: HostStep;
}

const conf = (iface: string, name: string) => sysctlKey("net", "ipv4", "conf", iface, name);

function arpSettings(m: RealServerModel): [string, number][] {
    const out: [string, number][] = [];
    if (m.arpMethod === "sysctl") for (const iface of ["all", m.interface]) out.push([conf(iface, "arp_ignore"), 1], [conf(iface, "arp_announce"), 2]);
    // TUN: decapsulated packets arrive on the tunnel's device (tunl0, gre0) with the client as
    // source, which the routing table reaches through another interface: strict reverse-path
    // filtering (the kernel takes the max of all and the device) would drop them. IPv6 has no
    // such sysctl.
    const devices = tunnelDevicesV4(m);
    if (devices.length > 0) out.push([conf("all", "rp_filter"), 0], ...devices.map((d): [string, number] => [conf(d, "rp_filter"), 0]));
    return out;
}

/**
 * NAT: replies must go back through the director, so it becomes the default gateway. Our route
 * has metric 0, so it wins over a default route with a metric (DHCP's, say) without removing it;
 * destroy deletes exactly our route and re-adds every default route of the family saved before.
 */
const familyFlag = (address: string) => (familyOf(address) === "inet6" ? "-6" : "-4");
const gatewayRoute = (verb: "replace" | "del", gateway: string, iface: string) =>
    shellCommand(["ip", familyFlag(gateway), "route", verb, "default", "via", gateway, "dev", iface, "metric", "0"]);

function gatewayStep(gateway: string, iface: string): HostStep {
    const saved = `${STATE_DIR}/realserver-default-route`;
    const family = familyFlag(gateway);
    return {
        key: "gateway",
        create: script([`mkdir -p ${STATE_DIR}`, `[ -e ${saved} ] || ip ${family} route show default > ${saved}`, gatewayRoute("replace", gateway, iface)]),
        delete: script([
            `${gatewayRoute("del", gateway, iface)} 2>/dev/null || true`,
            `if [ -e ${saved} ]; then`,
            "  set -f",
            // Each saved line is the kernel's own output, re-read as words: it is never evaluated.
            // Flags that `ip route show` prints but `ip route replace` does not take are dropped.
            `  while read -r line; do`,
            `    [ -n "$line" ] || continue`,
            `    set -- $(printf '%s\\n' "$line" | sed -E 's/ (linkdown|dead|offload|trap|offload_failed|rt_offload|rt_trap|rt_offload_failed)( |$)/ /g')`,
            `    ip ${family} route replace "$@" || echo "pulumi-lvs: could not restore the default route: $line" >&2`,
            `  done < ${saved}`,
            `  rm -f ${saved}`,
            `fi`,
            REMOVE_STATE_DIR_IF_EMPTY,
        ]),
    };
}

export function realServerSteps(m: RealServerModel): RealServerSteps {
    const needsArp = m.roles.includes("dr") || m.roles.includes("tun");
    const vipAddresses = m.vips.map((v) => v.address);
    const arptables = needsArp && m.arpMethod === "arptables";
    const steps: RealServerSteps = {
        vips: m.vips.map((v) => vipStep(v, false)),
        boot: bootStep(
            "realserver",
            [
                ...tunnelBootLines(m),
                ...(arptables ? arptablesLines(vipAddresses, m.address, m.host) : []),
                ...m.vips.map((v) => shellCommand(vipAddArgv(v))),
                ...(m.natGateway ? [gatewayRoute("replace", m.natGateway, m.interface)] : []),
            ],
        ),
    };
    // The device keys (net.ipv4.conf.gre0...) exist once the module that creates the device is loaded.
    const before = tunnelDevicesV4(m).length > 0 ? tunnelModules(m).map((mod) => shellCommand(["modprobe", mod])) : [];
    const settings = needsArp ? arpSettings(m) : [];
    // With arptables and no TUN device, nothing is left for sysctl to set.
    if (settings.length > 0) steps.sysctl = sysctlStep({ name: "realserver", settings, before });
    if (arptables) {
        steps.install = installStep([{ command: "arptables", pkg: "arptables" }], [], "realserver");
        steps.arptables = arptablesStep(vipAddresses, m.address, m.host);
    }
    if (m.tunnels.length > 0) steps.tunnel = tunnelStep(m);
    if (m.natGateway) steps.gateway = gatewayStep(m.natGateway, m.interface);
    return steps;
}

