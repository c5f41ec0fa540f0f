/**
 * A Director with healthChecks: keepalived without VRRP builds the ipvs table from
 * virtual_server blocks and takes a dead real server out until it answers again. The Director
 * keeps its VIPs itself, so keepalived gets none.
 */
import { ConfigError } from "../../base/errors";
import { mergeChecks, type DirectorModel, type GroupView } from "../host/cluster-model";
import { renderKeepalived } from "./render-keepalived";
import { keepalivedSteps, type KeepalivedSteps } from "./render-keepalived-steps";
import type { DrainSpec } from "../../schema/director";

/** The keepalived steps of a checks-only Director; `owner` (e.g. "Director d1") names it in errors. Leaving real servers drain as `drain` says. */
export function checksOnlySteps(owner: string, model: DirectorModel, groups: GroupView[], drain: DrainSpec): KeepalivedSteps {
    const checks = mergeChecks(groups);
    // Without a single check keepalived would only copy the table: almost surely a forgotten healthCheck.
    if (!Object.values(checks).some((c) => c.healthCheck !== undefined)) {
        throw new ConfigError([`${owner}.healthChecks: is on, but no service of its VipGroups has a healthCheck. Fix: add healthCheck to the services to check, or turn healthChecks off.`]);
    }
    const conf = renderKeepalived({ routerId: model.host, owner, ruleset: model.ruleset, checks });
    return keepalivedSteps({ conf, vips: [], ruleset: model.ruleset, drain });
}
