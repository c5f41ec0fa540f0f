/**
 * Hands a host's ipvs table to keepalived: the keepalived host steps, and
 * an IpvsTable in "keepalived" mode that shows the entries keepalived will build in the
 * preview and, on apply, waits for the live table to match. Shared by HaPair and by a
 * Director with healthChecks.
 */
import type { Ruleset } from "../core/ipvs/ipvs-model";
import { toEntries } from "../core/ipvs/ipvs-entries";
import { OWNED_RULES_FILE } from "../core/host/render-director";
import { keepalivedSettle, type KeepalivedSteps } from "../core/keepalived/render-keepalived-steps";
import { sshTarget } from "./connection";
import type { HostAccess } from "./host-access";
import { stepCommand, type StepOptions } from "./host-steps";
import { IpvsTable } from "../providers/ipvs-table";

export interface KeepalivedTableOptions extends StepOptions {
    /** The config holds a secret (the VRRP password): keep the scripts out of plain-text state. */
    secretConfig?: boolean;
}

/**
 * keepalived-install -> keepalived (test, move, start/reload) -> IpvsTable -> keepalived-enable.
 * The enable step comes last so that, on delete, keepalived stops (removing its virtual
 * servers) before the IpvsTable checks that they are gone.
 */
export function keepalivedTable(prefix: string, host: HostAccess, steps: KeepalivedSteps, ruleset: Ruleset, opts: KeepalivedTableOptions): IpvsTable {
    const parent = opts.parent;
    const install = stepCommand(prefix, host, steps.install, { parent, dependsOn: opts.dependsOn });
    const config = stepCommand(prefix, host, steps.config, { parent, dependsOn: [install], secret: opts.secretConfig });
    const table = new IpvsTable(
        `${prefix}-ipvs`,
        { host: host.name, connection: sshTarget(host), entries: toEntries(ruleset), manager: "keepalived", drain: keepalivedSettle(ruleset), rulesFile: OWNED_RULES_FILE },
        { parent, dependsOn: [config] },
    );
    stepCommand(prefix, host, steps.enable, { parent, dependsOn: [table] });
    return table;
}
