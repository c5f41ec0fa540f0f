/** Writes an e2e stack's config for the lab: lab hosts + a cluster spec, and reads live state. */
import { readLabHosts, onHostOk, type LabHostName } from "../../lab/lab";
import { writeStackConfig } from "./engine";
import { parseSave } from "../../../components/core/ipvs/ipvs-parse";
import { toEntries } from "../../../components/core/ipvs/ipvs-entries";
import { repoRoot } from "../../support/repo-root";
import * as fs from "fs";
import * as path from "path";

// Required from the checkout's root, so the compiled benchmark (.bench-build/) finds it too.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stackHosts, LAB_CONNECT_TIMEOUT_SECONDS } = require(path.join(repoRoot(), "scripts", "lab-stack-hosts.js")) as { stackHosts(lab: unknown): Record<string, unknown>; LAB_CONNECT_TIMEOUT_SECONDS: number };

/** The connect timeout every lab host has in a lab stack (see scripts/lab-stack-hosts.js). */
export { LAB_CONNECT_TIMEOUT_SECONDS };

export const VIP = "192.168.13.100";
export const SERVICE = `-t ${VIP}:80`;

export interface PoolMember {
    host: LabHostName;
    weight?: number;
}

/** A DR cluster on the lab: director1 serves VIP:80 (rr) over `pool`; every pool member is a RealServer. */
export function drCluster(pool: PoolMember[]): Record<string, unknown> {
    return {
        vipGroups: [{ name: "web", vips: [VIP], services: [{ protocol: "tcp", port: 80, scheduler: "rr", realServers: pool.map((m) => ({ host: m.host, weight: m.weight ?? 1 })) }] }],
        directors: [{ host: "director1", interface: "ens33", vipGroups: ["web"], drain: { timeoutSeconds: 20, pollSeconds: 1 } }],
        realServers: pool.map((m) => ({ host: m.host })),
    };
}

/** The lab's hosts as a stack takes them, with per-host changes (say, another SSH port). */
export type HostOverrides = Partial<Record<LabHostName, { ssh?: Record<string, unknown> }>>;

/**
 * Which of a lab host's addresses a stack uses as its `address`: the main subnet's, its IPv6
 * one, or seed 001's private one (hosts without a private address keep their main one).
 */
export type LabNetwork = "inet" | "inet6" | "private";

export function labStackHosts(overrides: HostOverrides = {}, network: LabNetwork = "inet"): Record<string, unknown> {
    const lab = readLabHosts();
    const hosts = stackHosts(lab) as Record<string, { address: string; ssh: Record<string, unknown> }>;
    for (const h of lab.hosts) {
        if (network === "inet6") hosts[h.name].address = h.address6;
        if (network === "private" && h.privateAddress) hosts[h.name].address = h.privateAddress;
    }
    for (const [name, o] of Object.entries(overrides)) hosts[name] = { ...hosts[name], ssh: { ...hosts[name].ssh, ...o.ssh } };
    return hosts;
}

/**
 * Writes the stack's config for the lab, in this checkout or `root`, with every host at its
 * `network` address. With `clusterFile` (an absolute path), the cluster goes to that JSON file
 * and the config names it, as a stack too large for config would.
 */
export function writeLabStack(stack: string, cluster: Record<string, unknown>, opts: { root?: string; hosts?: HostOverrides; network?: LabNetwork; clusterFile?: string } = {}): void {
    const whole = { ...cluster, hosts: labStackHosts(opts.hosts, opts.network) };
    if (opts.clusterFile) fs.writeFileSync(opts.clusterFile, JSON.stringify(whole, null, 1) + "\n");
    writeStackConfig(
        stack,
        {
            "pulumi-lvs:sshPrivateKeyFile": readLabHosts().privateKeyPath,
            ...(opts.clusterFile ? { "pulumi-lvs:clusterFile": opts.clusterFile } : { "pulumi-lvs:cluster": whole }),
        },
        opts.root,
    );
}

/** The director's live table as entries (ipvsadm -S -n), optionally only those under VIP. */
export async function liveEntries(director: LabHostName, onlyVip = true): Promise<Record<string, string>> {
    const all = toEntries(parseSave(await onHostOk(director, "ipvsadm -S -n")));
    return onlyVip ? Object.fromEntries(Object.entries(all).filter(([k]) => k.includes(` ${VIP}:`))) : all;
}

/** Total connections per real server of VIP:80 from `ipvsadm -L -n --stats`. */
export async function connCounters(director: LabHostName): Promise<Record<string, number>> {
    const out = await onHostOk(director, `ipvsadm -L -n --stats -t ${VIP}:80`);
    const counters: Record<string, number> = {};
    for (const line of out.split("\n")) {
        const m = /^\s+->\s+(\S+)\s+(\d+)/.exec(line);
        if (m) counters[m[1]] = Number(m[2]);
    }
    return counters;
}

/** How many answers each real server gave ("FAILED" counts as its own key). */
export const tally = (answers: string[]): Record<string, number> => answers.reduce<Record<string, number>>((acc, a) => ({ ...acc, [a]: (acc[a] ?? 0) + 1 }), {});
