/**
 * Host steps that hand a host's ipvs table (and, for an HaPair, its VIPs) to keepalived:
 *
 * - keepalived-install: the package (apt-get, dnf or yum), ip_vs loaded at boot.
 * - keepalived: stage the config, `keepalived -t` it, drain the real servers it drops
 *   (drain-before-reload.ts), and only then move it into place and start keepalived or reload
 *   it (SIGHUP via systemd; never a restart, which would drop the VRRP state and rebuild the
 *   table). Delete puts back the operator's own file and service state and removes whatever a
 *   keepalived that died uncleanly left behind.
 * - keepalived-enable: start at boot, and again whenever keepalived dies (a systemd drop-in,
 *   SUPERVISION_DROP_IN: a crash or the OOM killer would otherwise leave the node without
 *   VRRP until someone noticed). Its delete stops keepalived; it is ordered after the
 *   IpvsTable, so on destroy keepalived stops (and removes its virtual servers, which it does
 *   by default) before the IpvsTable checks that they are gone.
 */
import type { HostStep } from "../host/host-step";
import { CONFIG_DIR, REMOVE_STATE_DIR_IF_EMPTY, STATE_DIR, script, writeFile } from "../host/host-step";
import type { VipAlias } from "../host/cluster-model";
import type { Ruleset } from "../ipvs/ipvs-model";
import { normalizeRuleset, serviceKeyArgs } from "../ipvs/ipvs-model";
import { installStep, OWNED_RULES_FILE } from "../host/render-director";
import { removeVipIfPresent } from "../host/render-vip";
import { shellCommand } from "../../base/shell-quote";
import { KEEPALIVED_MARKER, MAINTENANCE_FLAG } from "./render-keepalived";
import { DEST_MANIFEST, STAGED_MANIFEST, destManifest, drainBeforeReload } from "./drain-before-reload";
import { reloadEstimateSeconds } from "./reload-estimate";
import type { DrainSpec } from "../../schema/director";

export const KEEPALIVED_CONF = "/etc/keepalived/keepalived.conf";
/** Where a new config waits for `keepalived -t`. */
export const STAGED_CONF = `${CONFIG_DIR}/keepalived.conf.new`;
/** The operator's file from before the first apply, and its service state; destroy puts both back. */
export const SAVED_CONF = `${STATE_DIR}/keepalived.conf.orig`;
export const SAVED_STATE = `${STATE_DIR}/keepalived.service-prev`;
/** Present when there was no file before us: destroy removes ours and leaves keepalived off. */
export const NO_PREVIOUS_CONF = `${STATE_DIR}/keepalived.conf.absent`;
/** Our drop-in for keepalived.service; the package's own unit file stays untouched. */
export const SUPERVISION_DROP_IN = "/etc/systemd/system/keepalived.service.d/pulumi-lvs.conf";
/** How soon systemd starts a keepalived that died. Within systemd's default start limit (5 in 10 s), a crash loop still stops. */
export const RESTART_DELAY_SECONDS = 2;
const SUPERVISION = [
    "# Managed by pulumi-lvs: keepalived holds this node's VRRP state and table; start it again if it dies.",
    "[Service]",
    "Restart=on-failure",
    `RestartSec=${RESTART_DELAY_SECONDS}s`,
].join("\n");

export interface KeepalivedSteps {
    install: HostStep;
    config: HostStep;
    enable: HostStep;
}

export interface KeepalivedStepInput {
    /** The rendered keepalived.conf. */
    conf: string;
    /** VIPs keepalived holds (HaPair); empty in checks-only mode, where the Director owns them. */
    vips: VipAlias[];
    /** The services keepalived manages: drained when they leave, cleaned up after a keepalived that did not stop cleanly. */
    ruleset: Ruleset;
    /** How long a reload waits for leaving real servers' connections to end. */
    drain: DrainSpec;
    /** A HaPair node's maintenance switch (MAINTENANCE_FLAG); absent in checks-only mode, which has no VRRP. */
    maintenance?: boolean;
}

const OURS = `grep -qF ${shellCommand([KEEPALIVED_MARKER])} ${KEEPALIVED_CONF}`;
const ACTIVE = "systemctl is-active --quiet keepalived";
const NEED_SYSTEMD = "command -v systemctl >/dev/null 2>&1 || { echo 'pulumi-lvs: keepalived is run as a systemd service and this host has no systemctl' >&2; exit 1; }";

export function keepalivedSteps(input: KeepalivedStepInput): KeepalivedSteps {
    const install = { ...installStep([{ command: "keepalived", pkg: "keepalived" }], ["ip_vs"], "keepalived"), key: "keepalived-install" };
    return { install, config: configStep(input), enable: enableStep(input.ruleset) };
}

function configStep(input: KeepalivedStepInput): HostStep {
    const create = script([
        NEED_SYSTEMD,
        `mkdir -p ${STATE_DIR} /etc/keepalived`,
        // 0600: the file can hold the VRRP password.
        writeFile(STAGED_CONF, input.conf, "0600"),
        `if ! out=$(keepalived -t -f ${STAGED_CONF} 2>&1); then`,
        `  rm -f ${STAGED_CONF}`,
        `  printf 'pulumi-lvs: keepalived -t rejected the new config; ${KEEPALIVED_CONF} is unchanged:\\n%s\\n' "$out" >&2`,
        "  exit 1",
        "fi",
        // Save what was there once, before the first replacement; a re-run must not save our own file.
        `if [ ! -e ${SAVED_CONF} ] && [ ! -e ${NO_PREVIOUS_CONF} ]; then`,
        `  if [ -e ${KEEPALIVED_CONF} ] && ! ${OURS}; then`,
        `    cp -p ${KEEPALIVED_CONF} ${SAVED_CONF}`,
        `    { systemctl is-enabled keepalived 2>/dev/null || true; systemctl is-active keepalived 2>/dev/null || true; } > ${SAVED_STATE}`,
        `  else : > ${NO_PREVIOUS_CONF}; fi`,
        "fi",
        // keepalived owns the table now: the boot unit must not replay rules saved by an earlier ipvsadm owner.
        `rm -f ${OWNED_RULES_FILE}`,
        // Before keepalived reads its config: a node in maintenance never comes up as master.
        ...(input.maintenance === undefined ? [] : writeMaintenanceFlag(input.maintenance)),
        writeFile(STAGED_MANIFEST, destManifest(input.ruleset), "0644"),
        // The manifest becomes the running one only with the config that has it.
        `if cmp -s ${STAGED_CONF} ${KEEPALIVED_CONF} && ${ACTIVE}; then rm -f ${STAGED_CONF}; mv ${STAGED_MANIFEST} ${DEST_MANIFEST}; exit 0; fi`,
        ...drainBeforeReload(input.drain),
        `mv ${STAGED_CONF} ${KEEPALIVED_CONF}`,
        `if ${ACTIVE}; then systemctl reload keepalived; else systemctl start keepalived; fi`,
        "sleep 1",
        `${ACTIVE} || { journalctl -u keepalived -n 30 --no-pager >&2 || true; echo 'pulumi-lvs: keepalived is not running after applying the config' >&2; exit 1; }`,
        `mv ${STAGED_MANIFEST} ${DEST_MANIFEST}`,
    ]);
    const leftovers = [...input.vips.map(removeVipIfPresent), ...deleteLeftoverServices(input.ruleset)];
    const del = script([
        `if [ -e ${KEEPALIVED_CONF} ] && ${OURS}; then`,
        `  if command -v systemctl >/dev/null 2>&1 && ${ACTIVE}; then systemctl stop keepalived; fi`,
        `  rm -f ${KEEPALIVED_CONF}`,
        "fi",
        `rm -f ${STAGED_CONF} ${NO_PREVIOUS_CONF} ${STAGED_MANIFEST} ${DEST_MANIFEST} ${MAINTENANCE_FLAG}`,
        // A file someone wrote over ours since is newer than the saved one: keep it.
        `if [ -e ${SAVED_CONF} ] && [ ! -e ${KEEPALIVED_CONF} ]; then mv ${SAVED_CONF} ${KEEPALIVED_CONF}; else rm -f ${SAVED_CONF}; fi`,
        "# What a keepalived that did not stop cleanly may have left.",
        ...leftovers,
        `if [ -e ${SAVED_STATE} ]; then`,
        `  if grep -qx enabled ${SAVED_STATE}; then systemctl enable keepalived >/dev/null 2>&1 || true; fi`,
        `  if grep -qx active ${SAVED_STATE}; then systemctl start keepalived || true; fi`,
        `  rm -f ${SAVED_STATE}`,
        "fi",
        `rmdir ${CONFIG_DIR} 2>/dev/null || true`,
        REMOVE_STATE_DIR_IF_EMPTY,
    ]);
    return { key: "keepalived", create, delete: del };
}

/** The journal lines of keepalived's VRRP state changes, since an epoch second if given. */
export function vrrpStateLines(sinceVar?: string): string {
    const since = sinceVar ? ` --since "@$${sinceVar}"` : "";
    return `journalctl -u keepalived${since} -o cat --no-pager 2>/dev/null | grep -E 'Entering [A-Z]+ STATE' || true`;
}

/** Sets the maintenance flag to `value`, atomically. */
export function setMaintenanceFlag(value: 0 | 1): string {
    return `printf '%s\\n' ${value} > ${MAINTENANCE_FLAG}.tmp && mv ${MAINTENANCE_FLAG}.tmp ${MAINTENANCE_FLAG}`;
}

/** How long a node leaving maintenance may take to come back as backup before the step fails. */
export const LEAVE_FAULT_TIMEOUT_SECONDS = 10;

/**
 * Writes the node's maintenance switch. Clearing it waits until a running keepalived has left
 * the fault state (inotify tells it at once): the peer's handback step (render-handback.ts)
 * follows this one, and must not step down before this node can take the VIPs.
 */
function writeMaintenanceFlag(on: boolean): string[] {
    if (on) return [setMaintenanceFlag(1)];
    const polls = LEAVE_FAULT_TIMEOUT_SECONDS * 5;
    return [
        `was=$(cat ${MAINTENANCE_FLAG} 2>/dev/null || echo none); flag_set_at=$(date +%s)`,
        setMaintenanceFlag(0),
        `if [ "$was" = 1 ] && ${ACTIVE}; then`,
        "  n=0",
        `  until { ${vrrpStateLines("flag_set_at")}; } | grep -Eq 'Entering (BACKUP|MASTER) STATE'; do`,
        `    n=$((n + 1)); if [ "$n" -gt ${polls} ]; then`,
        `      echo 'pulumi-lvs: keepalived did not leave the fault state within ${LEAVE_FAULT_TIMEOUT_SECONDS} s of the maintenance switch being cleared' >&2`,
        "      journalctl -u keepalived -n 20 --no-pager >&2 || true; exit 1",
        "    fi",
        "    sleep 0.2",
        "  done",
        "fi",
    ];
}

/**
 * Deletes the virtual services keepalived managed that are still listed, in one `ipvsadm -R`
 * stream (which carries on past a service already gone). A keepalived stopped with a large
 * table gives up deleting it a few seconds into its shutdown: in the lab, one with 1,000
 * virtual servers left 370. Skipped when an ipvsadm owner took the services over (it saved them
 * in the rules file).
 */
function deleteLeftoverServices(ruleset: Ruleset): string[] {
    const services = normalizeRuleset(ruleset).services;
    if (services.length === 0) return [];
    const marker = "PULUMI_LVS_LEFTOVERS";
    return [
        `if [ ! -s ${OWNED_RULES_FILE} ] && command -v ipvsadm >/dev/null 2>&1; then`,
        `  ipvsadm -R 2>/dev/null <<'${marker}' || true`,
        ...services.map((s) => `-D ${serviceKeyArgs(s.key).join(" ")}`),
        marker,
        "fi",
    ];
}

function enableStep(ruleset: Ruleset): HostStep {
    return {
        key: "keepalived-enable",
        create: script([
            NEED_SYSTEMD,
            // keepalived.service is loaded already: a new or changed drop-in needs a reload to count, an unchanged one none.
            writeFile(SUPERVISION_DROP_IN, SUPERVISION, "0644", (tmp) => `if cmp -s ${tmp} ${SUPERVISION_DROP_IN}; then reload=no; else reload=yes; fi`),
            'if [ "$reload" = yes ]; then systemctl daemon-reload; fi',
            "systemctl enable keepalived >/dev/null 2>&1",
        ]),
        delete: script([
            "if ! command -v systemctl >/dev/null 2>&1; then exit 0; fi",
            // Stopping makes keepalived delete its virtual servers and VIPs (unless told not to).
            `if ${ACTIVE}; then systemctl stop keepalived; fi`,
            // Now, not in the config step's delete: the IpvsTable, deleted in between, waits for them to go.
            ...deleteLeftoverServices(ruleset),
            "systemctl disable keepalived >/dev/null 2>&1 || true",
            // Before the config step's delete starts an operator's own keepalived again, as it was.
            `if [ -e ${SUPERVISION_DROP_IN} ]; then rm -f ${SUPERVISION_DROP_IN}; rmdir "$(dirname ${SUPERVISION_DROP_IN})" 2>/dev/null || true; systemctl daemon-reload; fi`,
            // A Director that switched to ipvsadm ownership saved its rules before this delete ran:
            // put back what keepalived took with it. One line at a time so existing entries do not abort the rest.
            `if [ -s ${OWNED_RULES_FILE} ]; then`,
            "  set -f",
            `  while read -r line; do ipvsadm $line 2>/dev/null || true; done < ${OWNED_RULES_FILE}`,
            "fi",
        ]),
    };
}

/**
 * How long the IpvsTable of a keepalived-managed host waits for keepalived's table to match
 * the desired entries after an apply (keepalived adds every real server at start, then
 * removes those that fail their checks). Polls every 2 s; gives up after 30 s, or after three
 * times the estimated reload of a larger config (reload-estimate.ts): at 1,000 virtual servers
 * a lab reload took up to 56 s, and a table recorded before keepalived had finished would
 * show the same change again in the next preview.
 */
export function keepalivedSettle(ruleset: Ruleset): { timeoutSeconds: number; pollSeconds: number } {
    return { timeoutSeconds: Math.max(30, Math.ceil(3 * reloadEstimateSeconds(ruleset))), pollSeconds: 2 };
}
