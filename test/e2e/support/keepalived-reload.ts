/**
 * One keepalived reload on a lab node, read back from its journal: when keepalived took the
 * signal ("Reloading ..."), when it said "Reload complete", and every VRRP state change
 * meanwhile. (systemd's own "Reloading keepalived.service" line is not always in a window read
 * after a cursor, so it is not used.) The
 * times are the guest's clock, which is good for a duration within one guest (not across
 * guests). Shared by e2e ha-reload and bench:reload, with the HaPair stack both run.
 */
import { onHostOk, type LabHostName } from "../../lab/lab";
import { VIP } from "./lab-stack";
import { labHaPair, sleep } from "./keepalived-lab";

export interface ReloadSeen {
    /** Seconds from keepalived's "Reloading ..." to its "Reload complete"; undefined if either is missing. */
    seconds: number | undefined;
    /** Every "Entering ... STATE" line in the window: a reload that keeps VRRP steady has none. */
    transitions: string[];
    /** How many reloads keepalived began in the window. */
    reloads: number;
}

const UNIX_TIME = /^(\d+\.\d+) /;

/** Reads a `journalctl -o short-unix` window of the keepalived unit. */
export function parseReloadJournal(text: string): ReloadSeen {
    const lines = text.split("\n");
    const at = (re: RegExp): number | undefined => {
        const line = lines.find((l) => re.test(l));
        return line === undefined ? undefined : Number(UNIX_TIME.exec(line)?.[1]);
    };
    const began = /Keepalived\[\d+\]: Reloading \.\.\./;
    const sent = at(began);
    const complete = at(/Keepalived\[\d+\]: Reload complete/);
    return {
        seconds: sent !== undefined && complete !== undefined && complete >= sent ? complete - sent : undefined,
        transitions: lines.filter((l) => /Entering \w+ STATE/.test(l)).map((l) => l.replace(UNIX_TIME, "").trim()),
        reloads: lines.filter((l) => began.test(l)).length,
    };
}

/** keepalived's journal on `host` after `cursor` (see journalCursor), read as one reload. */
export async function reloadSince(host: LabHostName, cursor: string): Promise<ReloadSeen> {
    return parseReloadJournal(await onHostOk(host, `journalctl -u keepalived --after-cursor='${cursor}' --no-pager -o short-unix`));
}

/** Waits until keepalived on `host` has said "Reload complete" after `cursor`. */
export async function untilReloaded(host: LabHostName, cursor: string, timeoutMs: number): Promise<ReloadSeen> {
    const started = Date.now();
    for (;;) {
        const seen = await reloadSince(host, cursor);
        if (seen.seconds !== undefined || Date.now() - started > timeoutMs) return seen;
        await sleep(1_000);
    }
}

export const RELOAD_FIRST_PORT = 10_000;
export const RELOAD_MEMBERS = ["rs1", "rs2", "rs3"] as const;
/**
 * The checks a large pool would have: each real server probed on its web port every 10 s
 * (1,000 services over three servers make 300 connects a second from each director).
 */
export const RELOAD_CHECK = { type: "tcp", delayLoop: 10, connectTimeout: 3, retry: 3, delayBeforeRetry: 1, connectPort: 80 } as const;

export interface ReloadClusterOptions {
    /** Every service's persistence setting (schema form). Default none. */
    persistence?: Record<string, unknown>;
    /** How long each node's table waits for keepalived to build it (the drain setting bounds that wait). Default 180 s: 1,000 services take a TCG guest a while. */
    convergeSeconds?: number;
}

/**
 * A HaPair on director1 and director2 with `services` TCP ports from 10,000 on the lab VIP, each
 * over rs1-rs3 with RELOAD_CHECK; rs1's weight on the first port is `weight`, the one-entry
 * change a reload applies.
 */
export function reloadCluster(services: number, weight: number, opts: ReloadClusterOptions = {}): Record<string, unknown> {
    const pool = RELOAD_MEMBERS.map((host) => ({ host }));
    return {
        vipGroups: [
            {
                name: "web",
                vips: [VIP],
                services: Array.from({ length: services }, (_, i) => ({
                    protocol: "tcp",
                    port: RELOAD_FIRST_PORT + i,
                    scheduler: "rr",
                    ...(opts.persistence ? { persistence: opts.persistence } : {}),
                    healthCheck: RELOAD_CHECK,
                    realServers: i === 0 ? [{ host: "rs1", weight }, ...pool.slice(1)] : pool,
                })),
            },
        ],
        haPairs: [labHaPair({ virtualRouterId: 54, drain: { timeoutSeconds: opts.convergeSeconds ?? 180, pollSeconds: 2 } })],
        realServers: pool,
    };
}
