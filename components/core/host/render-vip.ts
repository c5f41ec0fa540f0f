/** A VIP alias on an interface, added idempotently and removed on delete. */
import type { VipAlias } from "./cluster-model";
import { shellCommand } from "../../base/shell-quote";
import type { HostStep } from "./host-step";
import { script } from "./host-step";
import { TUNNEL_DEVICES, tunnelDevices } from "./tunnel-receive";

/** argv for adding the alias; `ip addr replace` makes a re-run a no-op. */
export function vipAddArgv(v: VipAlias): string[] {
    const base = ["ip", ...(v.prefix === 128 ? ["-6"] : []), "addr", "replace", `${v.address}/${v.prefix}`, "dev", v.device];
    // nodad: a VIP is shared on purpose, duplicate address detection would mark it unusable.
    if (v.prefix === 128) return [...base, "nodad", ...(v.deprecated ? ["preferred_lft", "0"] : [])];
    return v.label ? [...base, "label", v.label] : base;
}

function vipDelArgv(v: VipAlias): string[] {
    return ["ip", ...(v.prefix === 128 ? ["-6"] : []), "addr", "del", `${v.address}/${v.prefix}`, "dev", v.device];
}

/**
 * True in the shell when the device exists. Asked of sysfs, not of `ip`: naming a missing
 * device to `ip` makes the kernel load the module that provides it (the netdev-gre0 alias
 * loads ip_gre, which creates gre0, gretap0 and erspan0), changing a host we only looked at.
 */
export function deviceExists(device: string): string {
    return `[ -e ${shellCommand([`/sys/class/net/${device}`])} ]`;
}

/** True in the shell when the alias is on its device; false, with nothing loaded, when the device is missing. */
function aliasPresent(v: Pick<VipAlias, "device" | "address" | "prefix">): string {
    return `${deviceExists(v.device)} && ip addr show dev ${shellCommand([v.device])} | grep -qF ${shellCommand([` ${v.address}/${v.prefix} `])}`;
}

/** Removes the alias only when it is there, so a delete after a failed or partial create succeeds. */
export function removeVipIfPresent(v: VipAlias): string {
    return `if ${aliasPresent(v)}; then ${shellCommand(vipDelArgv(v))}; fi`;
}

/**
 * A TUN VIP sits on the device of the tunnel type it arrives over (tunl0 or gre0), so it moves
 * when its pools change type; an update only runs the new create, which must take it off the
 * old device itself. The device may not exist (its module never loaded): that is no error,
 * and it must stay unloaded.
 */
function takeOffOtherTunnels(v: VipAlias): string[] {
    if (v.prefix !== 32 || !TUNNEL_DEVICES.has(v.device)) return [];
    const other = tunnelDevices("inet").filter((d) => d !== v.device);
    return other.map((d) => removeVipIfPresent({ ...v, device: d }));
}

/** Step for one VIP; `announce` sends gratuitous ARP so neighbours learn the new owner at once. */
export function vipStep(v: VipAlias, announce: boolean): HostStep {
    // A tunnel's fallback device only delivers while it is up; the address alone is not enough.
    const up = [...takeOffOtherTunnels(v), ...(TUNNEL_DEVICES.has(v.device) ? [shellCommand(["ip", "link", "set", v.device, "up"])] : []), shellCommand(vipAddArgv(v))];
    if (announce && v.prefix === 32) up.push(`if command -v arping >/dev/null 2>&1; then arping -q -c 1 -U -I ${shellCommand([v.device])} ${shellCommand([v.address])} || true; fi`);
    return { key: `vip-${v.address}`, create: script(up), delete: script([removeVipIfPresent(v)]) };
}
