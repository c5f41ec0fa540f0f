/**
 * How long keepalived may take to reload a HaPair node's config, estimated from the number of
 * real servers in it, and the preview's warning when that outlasts VRRP's master-down interval
 * (3 × advert_int). One user's reload of 2,284 virtual servers with 37,298 real servers took
 * 100-130 s (keepalived #2318), and reloads that outlast the master-down interval have flipped
 * VRRP (#2159, #754). Until a reload ends, the checker runs no health check and the change is
 * not in the table.
 *
 * The time grows with the square of the real servers: bench:reload measured 0.2-0.8 s at 300
 * (100 virtual servers of three) and medians of 23-38 s at 3,000 (single reloads 5-56 s: the
 * lab's guests share two cores), ten times the servers for 60-90 times the time (keepalived
 * matches each new virtual server, real server and checker against the old ones). At 30 the
 * reload costs about 0.2 s whatever its size.
 */
import type { Ruleset } from "../ipvs/ipvs-model";

/**
 * Seconds per squared real server, from bench:reload's first median on the master at 3,000 real servers (32 s; keepalived
 * 2.2.7, TCP checks, on the lab's qemu TCG guests). Emulated guests are slow: #2318's figures
 * work out at about 8e-8 on its hardware, so on real hosts this errs towards warning.
 */
export const RELOAD_SECONDS_PER_REAL_SERVER_SQUARED = 3.6e-6;

/** The master-down interval, in adverts: a backup takes over after this many adverts missed. */
const MASTER_DOWN_ADVERTS = 3;
/** keepalived's largest advert_int (haPairSchema's bound too). */
const MAX_ADVERT_INT = 255;

export function realServerCount(ruleset: Ruleset): number {
    return ruleset.services.reduce((n, s) => n + s.dests.length, 0);
}

/** Estimated seconds of one reload of a config with these services. */
export function reloadEstimateSeconds(ruleset: Ruleset): number {
    return realServerCount(ruleset) ** 2 * RELOAD_SECONDS_PER_REAL_SERVER_SQUARED;
}

/** The preview's warning for a pair whose reload may outlast 3 × advertInt; undefined when it would not. */
export function slowReloadWarning(owner: string, advertInt: number, ruleset: Ruleset): string | undefined {
    const estimate = reloadEstimateSeconds(ruleset);
    const limit = MASTER_DOWN_ADVERTS * advertInt;
    if (estimate <= limit) return undefined;
    const enough = Math.ceil(estimate / MASTER_DOWN_ADVERTS);
    return [
        `${owner}: keepalived's reload of ${realServerCount(ruleset)} real servers may take about ${Math.ceil(estimate)} s on each node`,
        "(the time grows with the square of the real servers; measured by bench:reload on slow emulated guests),",
        `longer than VRRP's master-down interval of 3 × advertInt = ${limit} s.`,
        "Reloads that long have flipped VRRP (keepalived #2159, #754), and no health check runs until one ends.",
        enough <= MAX_ADVERT_INT
            ? `Fix: set advertInt to ${enough} or more, or split the virtual servers over more pairs.`
            : `Fix: split the virtual servers over more pairs (advertInt would need ${enough}, above keepalived's ${MAX_ADVERT_INT}).`,
    ].join(" ");
}
