/**
 * Re-applies a host's runtime state (VIP aliases, restored ipvs rules) at boot: addresses and
 * ipvs rules live in kernel memory only. One systemd oneshot unit per role; destroy removes it.
 */
import { CONFIG_DIR, HostStep, script, writeFile } from "./host-step";

export interface BootOptions {
    /** Default network-online.target. */
    after?: string;
    /** What the unit restores, for its Description. Default the role's VIPs (and a director's ipvs rules). */
    holds?: string;
}

export function bootStep(role: "director" | "realserver", lines: string[], opts: BootOptions = {}): HostStep {
    const after = opts.after ?? "network-online.target";
    const holds = opts.holds ?? `VIPs${role === "director" ? ", ipvs rules" : ""}`;
    const unit = `pulumi-lvs-${role}.service`;
    const unitPath = `/etc/systemd/system/${unit}`;
    const bootScript = `${CONFIG_DIR}/${role}-boot.sh`;
    const unitText = [
        "[Unit]",
        `Description=pulumi-lvs ${role} state (${holds})`,
        `After=${after} systemd-sysctl.service`,
        `Wants=${after}`,
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `ExecStart=/bin/sh ${bootScript}`,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ].join("\n");
    const wantsLink = `/etc/systemd/system/multi-user.target.wants/${unit}`;
    // The unit runs only at boot, when systemd reads it afresh, so a new unit file needs no
    // daemon-reload; only one that changed under a loaded unit does. On a small VM a reload
    // costs about a second and `enable` without --no-reload another, and the boot step is on
    // every host's path to a converged cluster. The boot script itself may change freely.
    const create = script([
        writeFile(bootScript, script(lines), "0755"),
        writeFile(unitPath, unitText, "0644", (tmp) => `if [ -e ${unitPath} ] && ! cmp -s ${tmp} ${unitPath}; then reload=yes; else reload=no; fi`),
        "if command -v systemctl >/dev/null 2>&1; then",
        '  if [ "$reload" = yes ]; then systemctl daemon-reload; fi',
        `  [ -L ${wantsLink} ] || systemctl enable --no-reload ${unit} >/dev/null 2>&1`,
        "fi",
    ]);
    const del = script([
        `if command -v systemctl >/dev/null 2>&1; then systemctl disable --no-reload ${unit} >/dev/null 2>&1 || true; fi`,
        `rm -f ${unitPath} ${bootScript}`,
        `rmdir ${CONFIG_DIR} 2>/dev/null || true`,
        "if command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload; fi",
    ]);
    return { key: "boot", create, delete: del };
}
