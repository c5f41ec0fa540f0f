/**
 * An in-memory ipvsadm (1.31 on a current kernel) for provider tests: the same grammar and
 * refusals as the real tool (the grammar in ipvsadm-command.ts, shared with the production parser), the kernel's
 * errors with ipvsadm's wording and exit codes, and output in the real formats for -S -n,
 * -L -n and -L -n --thresholds. Every call is recorded, so tests can prove -C never runs.
 *
 * Exit codes follow ipvsadm.c: 2 for refused options, 255 when the kernel refuses (main
 * returns -1), 1 when listing a missing service. -S without -n prints numeric output too (the
 * fake resolves no names).
 */
import { IpvsadmUsageError } from "../../components/core/ipvs/ipvsadm-tokens";
import { parseCommand, type IpvsCommand } from "./ipvsadm-command";
import { destId, normalizeRuleset, serviceId } from "../../components/core/ipvs/ipvs-model";
import type { IpvsDest, IpvsService, Ruleset, ServiceKey } from "../../components/core/ipvs/ipvs-model";
import { canonicalAddress, formatAddrPort, parseAddress } from "../../components/base/address";
import { renderSave } from "./render-save";
import { asLocal } from "../../components/core/ipvs/ipvs-apply";

/** What a command run returns, as a process would. */
export interface ExecResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Construction options. */
export interface FakeIpvsadmOptions {
    /** The table at start (default empty). */
    initial?: Ruleset;
    /** Addresses local to the director: real servers there get "Local" forwarding. */
    localAddresses?: string[];
    /** Scheduler modules the kernel has (default: all of current kernels). */
    schedulers?: string[];
}

/** Schedulers of current kernels. */
export const KERNEL_SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"];
const PERSISTENCE_ENGINES = ["sip"];

class KernelError extends Error {}

interface Counters {
    active: number;
    inactive: number;
}

const pad = (v: string | number, n: number): string => String(v).padEnd(n);
const signedMark = (mark: number): number => (mark >= 2 ** 31 ? mark - 2 ** 32 : mark);
const hex = (n: number, digits: number): string => n.toString(16).toUpperCase().padStart(digits, "0");

/** An address as /proc/net/ip_vs prints it: IPv4 as 8 hex digits, IPv6 in full ([%pI6]). */
function procAddress(address: string): string {
    const bytes = parseAddress(address).bytes;
    if (bytes.length === 4) return hex(((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0, 8);
    const groups = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16).padStart(4, "0"));
    return `[${groups.join(":")}]`;
}

/** The persistence netmask the kernel prints: 32 bits of hex (an IPv6 service prints its prefix length). */
function procMask(k: ServiceKey, netmask: string | undefined): string {
    if (k.kind === "fwmark" ? k.family === "inet6" : k.address.includes(":")) return hex(Number(netmask ?? 128), 8);
    return netmask === undefined ? "FFFFFFFF" : procAddress(netmask);
}

/** The in-memory ipvsadm. */
export class FakeIpvsadm {
    /** Every invocation's argv (program name stripped), including lines run by -R. */
    readonly calls: string[][] = [];
    /** Called before each command runs, e.g. to let connections drain between polls. */
    onExec?: (argv: readonly string[], fake: FakeIpvsadm) => void;
    private services = new Map<string, IpvsService>();
    private readonly counters = new Map<string, Counters>();
    private readonly local: Set<string>;
    private readonly schedulers: Set<string>;

    constructor(opts: FakeIpvsadmOptions = {}) {
        this.local = new Set((opts.localAddresses ?? []).map(canonicalAddress));
        this.schedulers = new Set(opts.schedulers ?? KERNEL_SCHEDULERS);
        if (opts.initial) this.load(opts.initial);
    }

    /** Replaces the whole table (no call is recorded) and clears connection counts. */
    load(r: Ruleset): void {
        const services = normalizeRuleset(r).services.map((s) => ({ ...s, dests: s.dests.map((d) => this.asStored(d)) }));
        this.services = new Map(services.map((s) => [serviceId(s.key), s]));
        this.counters.clear();
    }

    /** The table as the kernel holds it (thresholds included), normalised. */
    ruleset(): Ruleset {
        return normalizeRuleset({ services: [...this.services.values()] });
    }

    /** Sets the connection counts `-L -n` shows for a real server (by destId). */
    setConnections(id: string, active: number, inactive = 0): void {
        if (!this.findDest(id)) throw new Error(`fake ipvsadm: no real server ${id}`);
        this.counters.set(id, { active, inactive });
    }

    /** Runs `ipvsadm ARGV` (a leading "ipvsadm" or path to it is dropped); stdin feeds -R. */
    exec(argv: readonly string[], stdin = ""): ExecResult {
        const args = argv.length > 0 && /(^|\/)ipvsadm$/.test(argv[0]) ? argv.slice(1) : [...argv];
        return this.run(args, stdin, false);
    }

    private run(args: string[], stdin: string, restoring: boolean): ExecResult {
        this.calls.push(args);
        this.onExec?.(args, this);
        try {
            return this.perform(parseCommand(args), stdin, restoring);
        } catch (e) {
            if (e instanceof IpvsadmUsageError) return { code: e.exitCode, stdout: "", stderr: `${e.message}\n` };
            if (e instanceof KernelError) return { code: 255, stdout: "", stderr: `${e.message}\n` };
            throw e;
        }
    }

    private perform(cmd: IpvsCommand, stdin: string, restoring: boolean): ExecResult {
        const ok = (stdout = ""): ExecResult => ({ code: 0, stdout, stderr: "" });
        switch (cmd.cmd) {
            case "add-service":
            case "edit-service": {
                const id = serviceId(cmd.key);
                const existing = this.services.get(id);
                if (cmd.cmd === "add-service" && existing) throw new KernelError("Service already exists");
                if (cmd.cmd === "edit-service" && !existing) throw new KernelError("No such service");
                const { scheduler, pe } = cmd.settings;
                if (!this.schedulers.has(scheduler) || (pe !== undefined && !PERSISTENCE_ENGINES.includes(pe))) {
                    throw new KernelError("Scheduler or persistence engine not found");
                }
                this.services.set(id, normalizeRuleset({ services: [{ key: cmd.key, settings: cmd.settings, dests: existing?.dests ?? [] }] }).services[0]);
                return ok();
            }
            case "delete-service": {
                const svc = this.requireService(cmd.key, "No such service");
                for (const d of svc.dests) this.counters.delete(destId(svc.key, d.key));
                this.services.delete(serviceId(cmd.key));
                return ok();
            }
            case "add-dest":
            case "edit-dest":
                this.putDest(cmd.cmd, cmd.service, cmd.dest);
                return ok();
            case "delete-dest": {
                const svc = this.requireService(cmd.service, "Service not defined");
                const id = destId(svc.key, cmd.dest);
                if (!svc.dests.some((d) => destId(svc.key, d.key) === id)) throw new KernelError("No such destination");
                svc.dests = svc.dests.filter((d) => destId(svc.key, d.key) !== id);
                this.counters.delete(id);
                return ok();
            }
            case "clear":
                this.services.clear();
                this.counters.clear();
                return ok();
            case "restore":
                if (restoring) throw new IpvsadmUsageError("Try `ipvsadm -h' or 'ipvsadm --help' for more information.", 255);
                return this.restore(stdin);
            case "save":
                return ok(renderSave(this.ruleset()));
            case "zero":
                if (cmd.service) this.requireService(cmd.service, "No such service");
                return ok();
            case "list":
                return this.list(cmd.thresholds, cmd.others, cmd.service);
            default: {
                const never: never = cmd;
                return never;
            }
        }
    }

    // ipvsadm -R runs each line as a command: a refused line stops it (exit 2), a kernel
    // error is printed and the next line runs; the exit code is the last line's.
    private restore(stdin: string): ExecResult {
        let last: ExecResult = { code: 0, stdout: "", stderr: "" };
        let stdout = "";
        let stderr = "";
        for (const line of stdin.split("\n")) {
            const words = line.trim().split(/\s+/).filter((w) => w !== "");
            if (words.length === 0) continue;
            last = this.run(words, "", true);
            stdout += last.stdout;
            stderr += last.stderr;
            if (last.code === 2) break;
        }
        return { code: last.code, stdout, stderr };
    }

    private requireService(key: ServiceKey, message: string): IpvsService {
        const svc = this.services.get(serviceId(key));
        if (!svc) throw new KernelError(message);
        return svc;
    }

    private putDest(kind: "add-dest" | "edit-dest", key: ServiceKey, dest: IpvsDest): void {
        const svc = this.requireService(key, "Service not defined");
        const { upperThreshold, lowerThreshold } = dest.settings;
        if (lowerThreshold > upperThreshold) throw new KernelError("Numerical result out of range");
        const id = destId(svc.key, dest.key);
        const index = svc.dests.findIndex((d) => destId(svc.key, d.key) === id);
        if (kind === "add-dest" && index >= 0) throw new KernelError("Destination already exists");
        if (kind === "edit-dest" && index < 0) throw new KernelError("No such destination");
        const stored = this.asStored(dest);
        if (index >= 0) svc.dests[index] = stored;
        else svc.dests.push(stored);
    }

    // The kernel replaces the forwarding method of a local real server by "local", which
    // ipvsadm -S prints as -g.
    private asStored(d: IpvsDest): IpvsDest {
        return this.local.has(d.key.address) ? asLocal(d) : d;
    }

    private findDest(id: string): IpvsDest | undefined {
        for (const svc of this.services.values()) {
            const d = svc.dests.find((x) => destId(svc.key, x.key) === id);
            if (d) return d;
        }
        return undefined;
    }

    private list(thresholds: boolean, others: string[], only?: ServiceKey): ExecResult {
        if (others.length > 0) return { code: 2, stdout: "", stderr: `fake ipvsadm: list option(s) not modelled: ${others.join(", ")}\n` };
        const services = this.ruleset().services.filter((s) => !only || serviceId(s.key) === serviceId(only));
        if (only && services.length === 0) return { code: 1, stdout: "", stderr: "No such service\n" };
        const lines: string[] = only ? [] : ["IP Virtual Server version 1.2.1 (size=4096)"];
        if (thresholds) {
            lines.push(`${pad("Prot LocalAddress:Port", 33)} ${pad("Uthreshold", 10)} ${pad("Lthreshold", 10)} ${pad("ActiveConn", 10)} ${pad("InActConn", 10)}`);
            lines.push("  -> RemoteAddress:Port");
        } else {
            lines.push("Prot LocalAddress:Port Scheduler Flags");
            lines.push("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn");
        }
        for (const svc of services) {
            lines.push(serviceListLine(svc));
            for (const d of svc.dests) {
                const c = this.counters.get(destId(svc.key, d.key)) ?? { active: 0, inactive: 0 };
                const name = pad(formatAddrPort(d.key.address, d.key.port), 28);
                const s = d.settings;
                lines.push(
                    thresholds
                        ? `  -> ${name} ${pad(s.upperThreshold, 10)} ${pad(s.lowerThreshold, 10)} ${pad(c.active, 10)} ${pad(c.inactive, 10)}`
                        : `  -> ${name} ${pad(this.forwardName(d), 7)} ${pad(s.weight, 6)} ${pad(c.active, 10)} ${pad(c.inactive, 10)}`,
                );
            }
        }
        return { code: 0, stdout: lines.map((l) => `${l}\n`).join(""), stderr: "" };
    }

    /** /proc/net/ip_vs as the kernel writes it: hex addresses and ports, no thresholds, no tunnel settings. */
    procText(): string {
        const lines = ["IP Virtual Server version 1.2.1 (size=4096)", "Prot LocalAddress:Port Scheduler Flags", "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn"];
        for (const svc of this.ruleset().services) {
            const k = svc.key;
            const s = svc.settings;
            const ops = s.onePacket ? "ops " : "";
            let line =
                k.kind === "fwmark"
                    ? `FWM  ${hex(k.mark, 8)} ${s.scheduler} ${ops}`
                    : k.address.includes(":")
                      ? `${k.protocol.toUpperCase()}  ${procAddress(k.address)}:${hex(k.port, 4)} ${s.scheduler} `
                      : `${k.protocol.toUpperCase()}  ${procAddress(k.address)}:${hex(k.port, 4)} ${s.scheduler} ${ops}`;
            line += s.persistence ? `persistent ${s.persistence.timeout} ${procMask(k, s.persistence.netmask)}` : "";
            lines.push(line);
            for (const d of svc.dests) {
                const c = this.counters.get(destId(svc.key, d.key)) ?? { active: 0, inactive: 0 };
                lines.push(`  -> ${procAddress(d.key.address)}:${hex(d.key.port, 4)}      ${pad(this.forwardName(d), 7)} ${pad(d.settings.weight, 6)} ${pad(c.active, 10)} ${pad(c.inactive, 10)}`);
            }
        }
        return lines.map((l) => `${l}\n`).join("");
    }

    private forwardName(d: IpvsDest): string {
        if (this.local.has(d.key.address)) return "Local";
        return { dr: "Route", nat: "Masq", tun: "Tunnel" }[d.settings.forwarding];
    }
}

function serviceListLine(svc: IpvsService): string {
    const k = svc.key;
    const s = svc.settings;
    let line =
        k.kind === "fwmark"
            ? `FWM  ${signedMark(k.mark)}${k.family === "inet6" ? " IPv6" : ""}`
            : `${pad(k.protocol.toUpperCase(), 4)} ${formatAddrPort(k.address, k.port)}`;
    line += ` ${s.scheduler}`;
    if (s.schedFlags.length > 0) line += ` (${s.schedFlags.join(",")})`;
    if (s.persistence) {
        line += ` persistent ${s.persistence.timeout}`;
        if (s.persistence.netmask !== undefined) line += ` mask ${s.persistence.netmask}`;
        if (s.pe) line += ` pe ${s.pe}`;
    }
    if (s.onePacket) line += " ops";
    return line;
}
