/**
 * The arptables way for a DR/TUN real server to keep quiet about its IPv4 VIPs (seed 000's):
 * ARP requests for a VIP are dropped on the way in, and ARP packets the host sends with a VIP
 * as source get its own address (the RIP) instead. The rules live in two chains of our own in
 * arptables' filter table, each reached by one jump from the built-in chain; nothing else in
 * the table is touched. arptables rules live in kernel memory only, so the boot unit re-runs
 * the same lines before it re-adds the VIPs.
 */
import { shellCommand } from "../../base/shell-quote";
import { familyOf } from "../../base/address";
import { ConfigError } from "../../base/errors";
import type { HostStep } from "./host-step";
import { script } from "./host-step";

/** Our chains, and the built-in chain each hangs from. */
export const ARP_CHAIN_IN = "pulumi-lvs-in";
export const ARP_CHAIN_OUT = "pulumi-lvs-out";
const HOOKS: ReadonlyArray<readonly [builtin: string, chain: string]> = [
    ["INPUT", ARP_CHAIN_IN],
    ["OUTPUT", ARP_CHAIN_OUT],
];

const arptables = (...args: string[]) => shellCommand(["arptables", ...args]);

/**
 * Idempotent: our chains are created if missing, flushed and refilled; each jump is added only
 * if `arptables -L` does not list it already (arptables-nft has no -C). The jump goes first in
 * the built-in chain so an earlier ACCEPT of someone else's cannot bypass it.
 */
export function arptablesLines(vips: readonly string[], rip: string, host: string): string[] {
    const v4 = [...new Set(vips.filter((v) => familyOf(v) === "inet"))].sort();
    if (v4.length > 0 && familyOf(rip) !== "inet") {
        throw new ConfigError([`realServers ${host}.arpMethod: arptables must give ARP packets from ${v4[0]} an IPv4 source, and ${host}'s address ${rip} is IPv6. Fix: use arpMethod sysctl.`]);
    }
    const lines: string[] = [];
    for (const [, chain] of HOOKS) lines.push(`${arptables("-L", chain, "-n")} >/dev/null 2>&1 || ${arptables("-N", chain)}`, arptables("-F", chain));
    for (const vip of v4) lines.push(arptables("-A", ARP_CHAIN_IN, "-d", vip, "-j", "DROP"));
    for (const vip of v4) lines.push(arptables("-A", ARP_CHAIN_OUT, "-s", vip, "-j", "mangle", "--mangle-ip-s", rip));
    for (const [builtin, chain] of HOOKS) lines.push(`${jumpListed(builtin, chain)} || ${arptables("-I", builtin, "1", "-j", chain)}`);
    return lines;
}

/** True when `builtin` lists a rule jumping to `chain`. */
const jumpListed = (builtin: string, chain: string) => `${arptables("-L", builtin, "-n")} | grep -Eq -- ${shellCommand([`(^|[[:space:]])-j ${chain}([[:space:]]|$)`])}`;

export function arptablesStep(vips: readonly string[], rip: string, host: string): HostStep {
    const create = script(arptablesLines(vips, rip, host));
    // Only our jumps and chains go; the built-in chains keep every other rule. Run when create
    // never did (or arptables is gone), it does nothing.
    const del = script([
        "if command -v arptables >/dev/null 2>&1; then",
        ...HOOKS.flatMap(([builtin, chain]) => [
            `  while ${jumpListed(builtin, chain)}; do ${arptables("-D", builtin, "-j", chain)}; done`,
            `  if ${arptables("-L", chain, "-n")} >/dev/null 2>&1; then ${arptables("-F", chain)} && ${arptables("-X", chain)}; fi`,
        ]),
        "fi",
    ]);
    return { key: "arptables", create, delete: del };
}
