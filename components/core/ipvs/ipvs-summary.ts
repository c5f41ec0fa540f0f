/**
 * What a component's outputs and the stack's outputs say of a table: counts, not entries.
 * The entries live once in state, in each IpvsTable; repeated in outputs, a 10,000-entry
 * table put 4.5 MB in every checkpoint and printed 20,000 lines after each `up`.
 */
import type { Ruleset } from "./ipvs-model";

export interface TableSummary {
    /** Virtual services (-A lines). */
    services: number;
    /** Real-server entries (-a lines), summed over the services. */
    realServers: number;
}

export function tableSummary(rules: Ruleset): TableSummary {
    return { services: rules.services.length, realServers: rules.services.reduce((n, s) => n + s.dests.length, 0) };
}
