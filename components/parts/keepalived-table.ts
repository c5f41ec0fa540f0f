/**
 * Hands a host's ipvs table to keepalived: the keepalived host steps, and
 * an IpvsTable in "keepalived" mode that shows the entries keepalived will build in the
 * preview and, on apply, waits for the live table to match. Shared by HaPair and by a
 * Director with healthChecks.
 */
import type * as pulumi from "@pulumi/pulumi";
import { OWNED_RULES_FILE } from "../core/host/render-director";
import { sshTarget } from "./connection";
import type { HostAccess } from "./host-access";
import { stepCommand, type StepInput, type StepOptions } from "./host-steps";
import { IpvsTable } from "../providers/ipvs-table";
import type { DrainSettings } from "../providers/ipvs-table-logic";

export interface KeepalivedTableOptions extends StepOptions {
    /** The config holds a secret (the VRRP password): keep the scripts out of plain-text state. */
    secretConfig?: boolean;
}

/** What the table is made of: the keepalived steps (their scripts perhaps known later, see deferred.ts) and the entries keepalived builds. */
export interface KeepalivedTableParts {
    install: StepInput;
    config: StepInput;
    enable: StepInput;
    entries: pulumi.Input<Record<string, string>>;
    /** How long the table waits for keepalived (keepalivedSettle). */
    settle: DrainSettings;
}

export interface KeepalivedTableResources {
    table: IpvsTable;
    /** The keepalived step: what a peer's step waits for when it must follow this node's config (the HaPair's handback). */
    config: pulumi.CustomResource;
}

/**
 * keepalived-install -> keepalived (test, move, start/reload) -> IpvsTable -> keepalived-enable.
 * The enable step comes last so that, on delete, keepalived stops (removing its virtual
 * servers) before the IpvsTable checks that they are gone.
 */
export function keepalivedTable(prefix: string, host: HostAccess, parts: KeepalivedTableParts, opts: KeepalivedTableOptions): KeepalivedTableResources {
    const parent = opts.parent;
    const install = stepCommand(prefix, host, parts.install, { parent, dependsOn: opts.dependsOn });
    const config = stepCommand(prefix, host, parts.config, { parent, dependsOn: [install], secret: opts.secretConfig });
    const table = new IpvsTable(
        `${prefix}-ipvs`,
        { host: host.name, connection: sshTarget(host), entries: parts.entries, manager: "keepalived", drain: parts.settle, rulesFile: OWNED_RULES_FILE },
        { parent, dependsOn: [config] },
    );
    stepCommand(prefix, host, parts.enable, { parent, dependsOn: [table] });
    return { table, config };
}
