/**
 * The quick way back from maintenance. A node whose maintenance switch is cleared comes back as
 * backup, and with preemptDelay it would take the VIPs back only after that delay and the
 * master-down interval (13.8 s in the lab with preemptDelay 10). The delay is there for a node
 * that returns from a failure knowing none of the connections; a node back from maintenance
 * knows them all, because keepalived ran the backup sync daemon on it the whole time (it starts
 * one on entering fault). So the peer hands the VIPs back itself, the way a node enters
 * maintenance: it sets its own switch (fault state, a priority-0 advert), the returning node
 * takes over after its skew time, and a second later the peer clears its switch and stays as
 * backup under the higher priority.
 *
 * The step runs on the peer after the returning node's keepalived step, which waits until that
 * node has left the fault state. Its script names only the returning node's switch, so it runs
 * again when that switch changes, and not on other changes to the pair: a run at another time
 * could hand the VIPs to a node that has just come back from a failure, within its preemptDelay,
 * before it learned the connections.
 */
import type { HostStep } from "../host/host-step";
import { script } from "../host/host-step";
import { setMaintenanceFlag, vrrpStateLines } from "./render-keepalived-steps";
import { MAINTENANCE_FLAG } from "./render-keepalived";
import { shellCommand } from "../../base/shell-quote";

/** The two nodes as the handback sees them: the one that may hand the VIPs back, and the one that would take them. */
export interface HandbackNodes {
    self: { host: string; priority: number };
    peer: { host: string; priority: number; maintenance: boolean };
}

export interface HandbackPair {
    nopreempt: boolean;
    preemptDelay?: number;
}

/** How long the peer stays in fault: time for the returning node's skew (under a second) with room for slow hosts. */
export const HANDBACK_FAULT_SECONDS = 1;
/** How long the peer waits for keepalived to report the fault state before it clears its switch anyway. */
const ENTER_FAULT_POLLS = 25;

/**
 * The handback step of `self`, or undefined when VRRP alone already gives the expected result:
 * without preemptDelay the returning node preempts at the next advert; with nopreempt the VIPs
 * are meant to stay; and a peer of lower priority never gets them back.
 */
export function handbackStep(pair: HandbackPair, nodes: HandbackNodes): HostStep | undefined {
    const { self, peer } = nodes;
    if (pair.nopreempt || pair.preemptDelay === undefined || peer.priority <= self.priority) return undefined;
    const done = (why: string) => `echo ${shellCommand([`pulumi-lvs: nothing to hand back to ${peer.host}: ${why}`])}; exit 0`;
    const create = script([
        `# ${peer.host}'s maintenance switch: ${peer.maintenance ? "on" : "off"}`,
        ...(peer.maintenance
            ? [done("it is in maintenance")]
            : [
                  `systemctl is-active --quiet keepalived || { ${done("keepalived is not running here")}; }`,
                  `state=$({ ${vrrpStateLines()}; } | tail -n 1)`,
                  `case "$state" in *"Entering MASTER STATE"*) ;; *) ${done("this node does not hold the VIPs")};; esac`,
                  `[ "$(cat ${MAINTENANCE_FLAG} 2>/dev/null || echo 0)" = 0 ] || { ${done("this node is in maintenance")}; }`,
                  "stepped_down_at=$(date +%s)",
                  setMaintenanceFlag(1),
                  "n=0",
                  `until { ${vrrpStateLines("stepped_down_at")}; } | grep -q 'Entering FAULT STATE'; do n=$((n + 1)); [ "$n" -le ${ENTER_FAULT_POLLS} ] || break; sleep 0.2; done`,
                  `sleep ${HANDBACK_FAULT_SECONDS}`,
                  setMaintenanceFlag(0),
                  `echo ${shellCommand([`pulumi-lvs: handed the VIPs back to ${peer.host}`])}`,
              ]),
    ]);
    return { key: "keepalived-handback", create, delete: script([]) };
}
