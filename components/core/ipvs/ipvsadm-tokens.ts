/**
 * ipvsadm's words (1.31): every command and option switch it accepts, in every spelling, and
 * the columns of its legality table. The tokenizer splits argv the way ipvsadm's popt does,
 * so a line is refused with ipvsadm's own message whatever stray switch it carries.
 */

/** A refusal by ipvsadm's option checks; `exitCode` is what ipvsadm would exit with. */
export class IpvsadmUsageError extends Error {
    constructor(
        message: string,
        readonly exitCode: number = 2,
    ) {
        super(message);
        this.name = "IpvsadmUsageError";
    }
}

type Arity = "none" | "one" | "optional";
interface OptionSpec {
    id: string;
    arity: Arity;
}

// ipvsadm's option names (as its messages spell them), keyed by every spelling accepted.
const COMMANDS: Record<string, string> = {
    A: "add-service",
    E: "edit-service",
    D: "delete-service",
    C: "flush",
    L: "list",
    l: "list",
    Z: "zero",
    a: "add-server",
    e: "edit-server",
    d: "delete-server",
    R: "restore",
    S: "save",
};
const COMMAND_LONG = new Set(Object.values(COMMANDS));

const OPTIONS: Record<string, OptionSpec> = {};
function defineOption(id: string, arity: Arity, ...spellings: string[]): void {
    for (const s of spellings) OPTIONS[s] = { id, arity };
}
defineOption("tcp-service", "one", "t", "tcp-service");
defineOption("udp-service", "one", "u", "udp-service");
defineOption("sctp-service", "one", "sctp-service");
defineOption("fwmark-service", "one", "f", "fwmark-service");
defineOption("scheduler", "one", "s", "scheduler");
defineOption("persistent", "optional", "p", "persistent");
defineOption("netmask", "one", "M", "netmask");
defineOption("real-server", "one", "r", "real-server");
defineOption("gatewaying", "none", "g", "gatewaying");
defineOption("ipip", "none", "i", "ipip");
defineOption("masquerading", "none", "m", "masquerading");
defineOption("weight", "one", "w", "weight");
defineOption("u-threshold", "one", "x", "u-threshold");
defineOption("l-threshold", "one", "y", "l-threshold");
defineOption("numeric", "none", "n", "numeric");
defineOption("connection", "none", "c", "connection");
defineOption("ipv6", "none", "6", "ipv6");
defineOption("ops", "none", "o", "ops");
defineOption("pe", "one", "pe");
defineOption("sched-flags", "one", "b", "sched-flags");
defineOption("tun-type", "one", "tun-type");
defineOption("tun-port", "one", "tun-port");
defineOption("tun-nocsum", "none", "tun-nocsum");
defineOption("tun-csum", "none", "tun-csum");
defineOption("tun-remcsum", "none", "tun-remcsum");
defineOption("exact", "none", "X", "exact");
for (const flag of ["timeout", "daemon", "stats", "rate", "thresholds", "persistent-conn", "nosort", "sort", "tun-info"]) {
    defineOption(flag, "none", flag);
}

// Options that share a column of the legality table; every other option is its own column.
const COLUMN_OF: Record<string, string> = {
    "tcp-service": "service-address",
    "udp-service": "service-address",
    "sctp-service": "service-address",
    "fwmark-service": "service-address",
    gatewaying: "forwarding-method",
    ipip: "forwarding-method",
    masquerading: "forwarding-method",
    exact: "exact",
};
/** The columns of ipvsadm's legality table, in its order: messages name the first offending one. */
export const COLUMNS = [
    "numeric", "connection", "service-address", "scheduler", "persistent", "netmask", "real-server",
    "forwarding-method", "weight", "u-threshold", "l-threshold", "timeout", "daemon", "stats", "rate",
    "thresholds", "persistent-conn", "nosort", "exact", "ops", "pe", "sched-flags", "tun-info",
    "tun-type", "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum",
];

/** The legality-table column an option belongs to (-t, -u and -f are all "service-address"). */
export function columnOf(optionId: string): string {
    return COLUMN_OF[optionId] ?? optionId;
}

const TRY_HELP = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.";

/** One option as given: its id (the long name) and its argument, if any. */
export interface RawOption {
    id: string;
    value?: string;
}

/**
 * Splits argv into the command and options the way popt does for ipvsadm: clustered short
 * switches (-Ln), --long=value, and an optional argument taken only when it is not a switch.
 */
export function tokenize(argv: readonly string[]): { command: string; options: RawOption[]; positional: string[] } {
    const items: RawOption[] = [];
    const positional: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const tok = argv[i];
        const takeValue = (spec: OptionSpec, inline: string | undefined, name: string): RawOption => {
            if (spec.arity === "none") {
                if (inline !== undefined) throw new IpvsadmUsageError(`--${name}: option does not take an argument`, 255);
                return { id: spec.id };
            }
            if (inline !== undefined) return { id: spec.id, value: inline };
            const next = argv[i + 1];
            if (spec.arity === "optional") {
                if (next === undefined || next.startsWith("-")) return { id: spec.id };
            } else if (next === undefined) {
                throw new IpvsadmUsageError(`${tok}: missing argument`, 255);
            }
            i++;
            return { id: spec.id, value: next };
        };
        if (tok.startsWith("--")) {
            const eq = tok.indexOf("=");
            const name = eq < 0 ? tok.slice(2) : tok.slice(2, eq);
            const inline = eq < 0 ? undefined : tok.slice(eq + 1);
            if (COMMAND_LONG.has(name)) items.push({ id: `cmd:${name}` });
            else if (OPTIONS[name]) items.push(takeValue(OPTIONS[name], inline, name));
            else throw new IpvsadmUsageError(`${tok}: unknown option`, 255);
        } else if (tok.startsWith("-") && tok.length > 1) {
            const letters = tok.slice(1);
            for (let j = 0; j < letters.length; j++) {
                const ch = letters[j];
                if (COMMANDS[ch]) {
                    items.push({ id: `cmd:${COMMANDS[ch]}` });
                    continue;
                }
                const spec = OPTIONS[ch];
                if (!spec) throw new IpvsadmUsageError(`-${ch}: unknown option`, 255);
                const rest = letters.slice(j + 1);
                if (spec.arity !== "none" && rest !== "") {
                    items.push({ id: spec.id, value: rest });
                    break;
                }
                items.push(takeValue(spec, undefined, ch));
            }
        } else {
            positional.push(tok);
        }
    }
    const first = items[0];
    if (!first || !first.id.startsWith("cmd:")) throw new IpvsadmUsageError(TRY_HELP, 255);
    const rest = items.slice(1);
    if (rest.some((o) => o.id.startsWith("cmd:"))) throw new IpvsadmUsageError("multiple commands specified");
    return { command: first.id.slice(4), options: rest, positional };
}
