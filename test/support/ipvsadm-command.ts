/**
 * The whole ipvsadm command line (1.31) for the in-memory ipvsadm: every command the provider
 * and the tests run, with ipvsadm's legality table. Built on the entry-line grammar the
 * production code reads `-S` output with (components/core/ipvs/ipvsadm-args.ts), so the fake
 * and the parser cannot disagree on an option.
 */
import { ENTRY_RULES, checkLegality, destOf, readArgs, serviceKeyOf, serviceOf, type ArgsOptions, type CommandRule } from "../../components/core/ipvs/ipvsadm-args";
import type { DestKey, IpvsDest, ServiceKey, ServiceSettings } from "../../components/core/ipvs/ipvs-model";

/** A parsed ipvsadm invocation. Service/dest commands carry fully defaulted settings. */
export type IpvsCommand =
    | { cmd: "add-service" | "edit-service"; key: ServiceKey; settings: ServiceSettings }
    | { cmd: "delete-service"; key: ServiceKey }
    | { cmd: "add-dest" | "edit-dest"; service: ServiceKey; dest: IpvsDest }
    | { cmd: "delete-dest"; service: ServiceKey; dest: DestKey }
    | { cmd: "clear" | "restore" }
    | { cmd: "save"; numeric: boolean }
    | { cmd: "list"; numeric: boolean; thresholds: boolean; service?: ServiceKey; others: string[] }
    | { cmd: "zero"; service?: ServiceKey };

const LIST_OPTS = ["numeric", "connection", "service-address", "timeout", "daemon", "stats", "rate", "thresholds", "persistent-conn", "nosort", "exact", "tun-info"];
const NOTHING: CommandRule = { required: [], optional: [] };

// ipvsadm's legality table, beyond the entry commands the production reader knows.
const RULES: Record<string, CommandRule> = {
    ...ENTRY_RULES,
    "edit-service": ENTRY_RULES["add-service"],
    "delete-service": { required: ["service-address"], optional: [] },
    flush: NOTHING,
    list: { required: [], optional: LIST_OPTS },
    "edit-server": ENTRY_RULES["add-server"],
    "delete-server": { required: ["service-address", "real-server"], optional: [] },
    restore: NOTHING,
    save: { required: [], optional: ["numeric"] },
    zero: { required: [], optional: ["service-address"] },
};

/**
 * Parses one ipvsadm invocation (argv without the program name), applying ipvsadm's defaults
 * and checks. Throws IpvsadmUsageError with ipvsadm's message on anything it would refuse.
 */
export function parseCommand(argv: readonly string[], opts: ArgsOptions = {}): IpvsCommand {
    const { command, draft, seen } = readArgs(argv, opts);
    checkLegality(command, seen, RULES);
    switch (command) {
        case "add-service":
        case "edit-service":
            return { cmd: command, ...serviceOf(draft) };
        case "delete-service":
            return { cmd: "delete-service", key: serviceKeyOf(draft) };
        case "add-server":
        case "edit-server":
            return { cmd: command === "add-server" ? "add-dest" : "edit-dest", service: serviceKeyOf(draft), dest: destOf(draft, serviceKeyOf(draft), seen, opts.literalPorts ?? false) };
        case "delete-server": {
            const key = serviceKeyOf(draft);
            // ipvsadm applies the DR/TUN port and family rules to -a/-e only.
            const port = draft.dest?.port ?? (key.kind === "addr" ? key.port : 0);
            return { cmd: "delete-dest", service: key, dest: { address: draft.dest?.address ?? "", port } };
        }
        case "flush":
            return { cmd: "clear" };
        case "restore":
            return { cmd: "restore" };
        case "save":
            return { cmd: "save", numeric: seen.has("numeric") };
        case "zero":
            return draft.key ? { cmd: "zero", service: draft.key } : { cmd: "zero" };
        default: {
            const others = [...seen].filter((c) => c !== "numeric" && c !== "thresholds" && c !== "service-address");
            const list = { cmd: "list" as const, numeric: seen.has("numeric"), thresholds: seen.has("thresholds"), others };
            return draft.key ? { ...list, service: draft.key } : list;
        }
    }
}
