/** Writes an e2e stack's config for the lab: lab hosts + a cluster spec, and reads live state. */
import { readLabHosts, onHostOk, type LabHostName } from "../../lab/lab";
import { writeStackConfig } from "./engine";
import { parseSave } from "../../../components/core/ipvs/ipvs-parse";
import { toEntries } from "../../../components/core/ipvs/ipvs-entries";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { stackHosts } = require("../../../scripts/lab-stack-hosts.js") as { stackHosts(lab: unknown): Record<string, unknown> };

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

export function labStackHosts(overrides: HostOverrides = {}): Record<string, unknown> {
    const hosts = stackHosts(readLabHosts()) as Record<string, { ssh: Record<string, unknown> }>;
    for (const [name, o] of Object.entries(overrides)) hosts[name] = { ...hosts[name], ssh: { ...hosts[name].ssh, ...o.ssh } };
    return hosts;
}

/** Writes the stack's config for the lab, in this checkout or `root`. */
export function writeLabStack(stack: string, cluster: Record<string, unknown>, opts: { root?: string; hosts?: HostOverrides } = {}): void {
    writeStackConfig(
        stack,
        {
            "pulumi-lvs:sshPrivateKeyFile": readLabHosts().privateKeyPath,
            "pulumi-lvs:cluster": { ...cluster, hosts: labStackHosts(opts.hosts) },
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
