/**
 * Seed 000's LVS-DR procedure, applied by hand over SSH exactly as the tutorial's operator
 * would (with the arp sysctls the tutorial's arptables rules stand for), and its undo.
 * VIP 192.168.13.100:80, director1 (.111) schedules rr over rs1 (.112) and rs2 (.113).
 */
import { onHostOk, type LabHostName } from "./lab";

export const VIP = "192.168.13.100";
export const DIRECTOR: LabHostName = "director1";
export const REAL_SERVERS: readonly { name: LabHostName; address: string }[] = [
    { name: "rs1", address: "192.168.13.112" },
    { name: "rs2", address: "192.168.13.113" },
];

// Real servers: stop answering ARP for addresses on lo *before* the VIP goes there.
const realServerUp = [
    "sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2",
    "sysctl -qw net.ipv4.conf.ens33.arp_ignore=1 net.ipv4.conf.ens33.arp_announce=2",
    `ip addr add ${VIP}/32 dev lo label lo:0`,
].join(" && ");

const realServerDown = [
    `ip addr del ${VIP}/32 dev lo`,
    "sysctl -qw net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0",
    "sysctl -qw net.ipv4.conf.ens33.arp_ignore=0 net.ipv4.conf.ens33.arp_announce=0",
].join(" && ");

const directorUp = [
    "modprobe ip_vs",
    `ipvsadm -A -t ${VIP}:80 -s rr`,
    ...REAL_SERVERS.map((rs) => `ipvsadm -a -t ${VIP}:80 -r ${rs.address}:80 -g`),
    `ip addr add ${VIP}/24 dev ens33 label ens33:0`,
].join(" && ");

// ip_vs stays loaded: its connection entries (TIME_WAIT and the like) hold it for minutes.
const directorDown = [`ipvsadm -D -t ${VIP}:80`, `ip addr del ${VIP}/24 dev ens33`].join(" && ");

export async function applySeed000(): Promise<void> {
    for (const rs of REAL_SERVERS) await onHostOk(rs.name, realServerUp);
    await onHostOk(DIRECTOR, directorUp);
}

export async function undoSeed000(): Promise<void> {
    await onHostOk(DIRECTOR, directorDown);
    for (const rs of REAL_SERVERS) await onHostOk(rs.name, realServerDown);
}
