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
    const create = script([
        writeFile(bootScript, script(lines), "0755"),
        writeFile(unitPath, unitText),
        "if command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload && systemctl enable " + unit + " >/dev/null 2>&1; fi",
    ]);
    const del = script([
        `if command -v systemctl >/dev/null 2>&1; then systemctl disable ${unit} >/dev/null 2>&1 || true; fi`,
        `rm -f ${unitPath} ${bootScript}`,
        `rmdir ${CONFIG_DIR} 2>/dev/null || true`,
        "if command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload; fi",
    ]);
    return { key: "boot", create, delete: del };
}
