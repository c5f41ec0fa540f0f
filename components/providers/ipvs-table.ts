/**
 * IpvsTable: the single owner of a director's ipvs entries. Its input `entries` is keyed by
 * entry identity ("-a -t VIP:80 -r RIP:80" -> "-g -w 1"), so the engine's own diff shows
 * each entry added, changed or removed in `pulumi preview --diff`. What the provider does is
 * in ipvs-table-provider.ts; state stores only the loader (see runtime-loader.ts). Its
 * outputs record the entries once more, as text (recorded-entries.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { SshTarget } from "./transport";
import type { DrainSettings, TableManager } from "./ipvs-table-logic";
import type { TableOuts } from "./ipvs-table-provider";
import { runtimeProvider } from "./runtime-loader";
import { recordedEntries } from "./recorded-entries";
import { DEFAULT_DRAIN } from "../schema/director";

export interface IpvsTableArgs {
    /** The host's name in the stack, shown in plain text in the preview (the connection is a secret). */
    host: pulumi.Input<string>;
    connection: pulumi.Input<SshTarget>;
    entries: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** "ipvsadm" (default): this resource writes the table. "keepalived": keepalived writes it; this one shows and verifies. */
    manager?: pulumi.Input<TableManager>;
    /** Default 60 s timeout, 2 s polls (DEFAULT_DRAIN). */
    drain?: pulumi.Input<DrainSettings>;
    rulesFile: pulumi.Input<string>;
    /** The director's own addresses (see TableState.localAddresses). */
    localAddresses?: pulumi.Input<string[]>;
}

/** One director's ipvs table, owned by this stack entry by entry. */
export class IpvsTable extends pulumi.dynamic.Resource {
    /** The owned entries as the last apply left them live, as state records them (recorded-entries.ts). */
    declare readonly ownedEntries: pulumi.Output<string | undefined>;
    declare readonly lastApply: pulumi.Output<TableOuts["lastApply"]>;
    /** The owned entries as the last apply left them live. */
    readonly liveEntries: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: IpvsTableArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            host: args.host,
            connection: pulumi.secret(args.connection),
            entries: args.entries,
            manager: args.manager ?? "ipvsadm",
            drain: args.drain ?? { ...DEFAULT_DRAIN },
            rulesFile: args.rulesFile,
            localAddresses: args.localAddresses ?? [],
            ownedEntries: undefined,
            lastApply: undefined,
        };
        super(runtimeProvider("ipvsTable"), name, props, { ...opts, additionalSecretOutputs: ["connection"] }, "lvs", "IpvsTable");
        this.liveEntries = this.ownedEntries.apply((text) => recordedEntries({ ownedEntries: text }));
    }
}
