/**
 * Kernel settings that survive reboot (a file in /etc/sysctl.d) and that destroy can undo: the
 * value each key had before the stack first set it is saved once and written back on delete.
 */
import { shellQuote } from "../../base/shell-quote";
import { HostStep, REMOVE_STATE_DIR_IF_EMPTY, STATE_DIR, script, writeFile } from "./host-step";

/** Slash form works for interface names with dots (VLANs) in both sysctl -w and sysctl.d. */
export function sysctlKey(...parts: string[]): string {
    return parts.join("/");
}

export interface SysctlSet {
    /** Step key and file stem, e.g. "realserver-arp". */
    name: string;
    /** Key and value; a vector value is its numbers separated by spaces ("3 0"). */
    settings: ReadonlyArray<readonly [string, number | string]>;
    /** Commands that must run first (e.g. modprobe so the keys exist). */
    before?: string[];
}

export function sysctlStep(set: SysctlSet): HostStep {
    const file = `/etc/sysctl.d/90-pulumi-lvs-${set.name}.conf`;
    const saved = `${STATE_DIR}/${set.name}.sysctl-prev`;
    const keys = set.settings.map(([k]) => shellQuote(k)).join(" ");
    const content = ["# Managed by pulumi-lvs; destroy restores the previous values.", ...set.settings.map(([k, v]) => `${k} = ${v}`)].join("\n");
    // The saved file holds one `key=previous value` line per key the stack has set, whatever
    // apply first set it: a key added by a later `up` (ip_forward for a NAT pool added later, say)
    // is saved then, and a key the stack no longer sets is put back at once and forgotten.
    const create = script([
        ...(set.before ?? []),
        `mkdir -p ${STATE_DIR}`,
        `touch ${saved}`,
        // Save a key only once: a re-run must not record our own value as "previous". Shell
        // builtins only, but for the first read of a key: under emulation each process costs
        // tens of milliseconds, and this step is on every host's path to a converged cluster.
        `saved_keys=" "`,
        `while IFS='=' read -r k v; do saved_keys="$saved_keys$k "; done < ${saved}`,
        `for k in ${keys}; do`,
        `  case "$saved_keys" in *" $k "*) ;; *) printf '%s=%s\\n' "$k" "$(sysctl -n "$k")" >> ${saved} ;; esac`,
        `done`,
        `while IFS='=' read -r k v; do`,
        `  case ${shellQuote(` ${set.settings.map(([k]) => k).join(" ")} `)} in *" $k "*) printf '%s=%s\\n' "$k" "$v" ;; *) sysctl -q -w "$k=$v" || true ;; esac`,
        `done < ${saved} > ${saved}.tmp`,
        `mv ${saved}.tmp ${saved}`,
        writeFile(file, content),
        ...(set.settings.length > 0 ? [`sysctl -q -w ${set.settings.map(([k, v]) => shellQuote(`${k}=${v}`)).join(" ")}`] : []),
    ]);
    const del = script([
        `rm -f ${file}`,
        `if [ -e ${saved} ]; then`,
        `  while IFS='=' read -r k v; do sysctl -q -w "$k=$v" || true; done < ${saved}`,
        `  rm -f ${saved}`,
        `fi`,
        REMOVE_STATE_DIR_IF_EMPTY,
    ]);
    return { key: "sysctl", create, delete: del };
}
