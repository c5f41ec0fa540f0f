/**
 * The lab from TypeScript: a thin wrapper over lab/lab.sh (the one implementation), for the
 * lab and e2e tests. Every call runs as a child process; results never throw unless the
 * name says so (`labOk`, `up`, `down`, fault hooks), so tests can assert on failures too.
 */
import { execFileSync } from "child_process";
import { runProcess } from "../support/process";
import { repoRoot } from "../support/repo-root";
import type { SshTarget } from "../../components/providers/transport";
import * as fs from "fs";
import * as path from "path";

export const REPO = repoRoot();
export const LAB_SCRIPT = path.join(REPO, "lab", "lab.sh");
export const HOSTS_JSON = path.join(REPO, ".lab", "hosts.json");

export type LabHostName = "director1" | "director2" | "rs1" | "rs2" | "rs3";
export const LAB_HOST_NAMES: readonly LabHostName[] = ["director1", "director2", "rs1", "rs2", "rs3"];

/** One entry of .lab/hosts.json `hosts` (format: lab/README.md). */
export interface LabHost {
    name: LabHostName;
    role: "director" | "realserver";
    address: string;
    /** The host's IPv6 address on ens33 (fd13::<octet>). */
    address6: string;
    /** Seed 001's private network (172.16.0.0/16, on ens34), for hosts that have it. */
    privateAddress?: string;
    /** Seed 001's public network (192.168.0.0/24, a second address on ens33). */
    publicAddress?: string;
    port: number;
    user: string;
    privateKeyPath: string;
    /** "ssh-ed25519 AAAA…": pin this, never trust on first use. */
    hostPublicKey: string;
    knownHostsLine: string;
    /** Loopback forward from the host's own namespace to this host's sshd. */
    forward: { host: string; port: number };
}

/** .lab/hosts.json, written by `lab up`. */
export interface LabHosts {
    version: 1;
    netns: string;
    subnet: string;
    vip: string;
    interface: string;
    client: { address: string; publicAddress: string; address6: string; command: string[] };
    publicSubnet: string;
    privateSubnet: string;
    privateKeyPath: string;
    knownHostsPath: string;
    sshConfigPath: string;
    hosts: LabHost[];
}

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs `lab/lab.sh ARGS`; resolves with the exit code and output, whatever they are. */
export function lab(args: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
    return runProcess("bash", [LAB_SCRIPT, ...args], { cwd: REPO, timeoutMs: opts.timeoutMs });
}

/** Like `lab`, but rejects with the output when the command fails; resolves with stdout. */
export async function labOk(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
    const r = await lab(args, opts);
    if (r.code !== 0) {
        throw new Error(`lab ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    }
    return r.stdout;
}

/** Brings the lab up (a no-op when it is up; repairs a half-up lab). Prints per-host boot times. */
export const up = (): Promise<string> => labOk(["up"], { timeoutMs: 900_000 });
/** Removes every VM, tap, bridge, forward and the namespace. */
export const down = (): Promise<string> => labOk(["down"]);
/** Exit code 0: every host running and answering SSH; 3: lab down; 1: partly up. */
export const status = (): Promise<RunResult> => lab(["status"]);

export function readLabHosts(): LabHosts {
    return JSON.parse(fs.readFileSync(HOSTS_JSON, "utf8")) as LabHosts;
}

/** How the providers reach a lab host: its loopback forward, the lab key, its pinned host key. */
export function labSshTarget(name: LabHostName): SshTarget {
    const lab = readLabHosts();
    const h = lab.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no lab host ${name} in ${HOSTS_JSON}`);
    return { name, host: h.forward.host, port: h.forward.port, user: h.user, privateKey: fs.readFileSync(lab.privateKeyPath, "utf8"), hostKey: h.hostPublicKey };
}

/** Runs a shell command on a lab host over SSH (lab key, pinned host key, StrictHostKeyChecking=yes). */
export const onHost = (host: LabHostName, command: string): Promise<RunResult> => lab(["ssh", host, "--", command]);

/** Like `onHost`, but rejects when the command fails; resolves with stdout. */
export const onHostOk = (host: LabHostName, command: string): Promise<string> => labOk(["ssh", host, "--", command]);

/** Runs ARGV as the client: inside the lab's namespace, from 192.168.13.250 on the bridge. */
export const asClient = (argv: string[]): Promise<RunResult> => lab(["client", "--", ...argv]);

/** One HTTP GET from the client; body on success, null when the request fails. */
export async function clientGet(address: string, port = 80, timeoutSeconds = 3): Promise<string | null> {
    const r = await asClient(["curl", "-sS", "--max-time", String(timeoutSeconds), `http://${address}:${port}/`]);
    return r.code === 0 ? r.stdout.trim() : null;
}

/** `n` HTTP GETs from the client in one loop (one process, not n): each answer's body, "FAILED" for a failed request. */
export async function clientGetMany(address: string, n: number, port = 80, timeoutSeconds = 3): Promise<string[]> {
    const loop = `for i in $(seq 1 ${n}); do curl -s --max-time ${timeoutSeconds} http://${address}:${port}/ || echo FAILED; done`;
    const r = await asClient(["sh", "-c", loop]);
    return r.stdout.split("\n").filter((l) => l !== "");
}

// Fault hooks: each resolves when done (start/restart/reboot: when SSH answers again).
export const stopHost = (host: LabHostName): Promise<string> => labOk(["stop", host]);
export const killHost = (host: LabHostName): Promise<string> => labOk(["kill", host]);
export const startHost = (host: LabHostName): Promise<string> => labOk(["start", host]);
export const restartHost = (host: LabHostName): Promise<string> => labOk(["restart", host]);
export const rebootHost = (host: LabHostName): Promise<string> => labOk(["reboot", host]);
export const cutLink = (host: LabHostName): Promise<string> => labOk(["cut", host]);
export const restoreLink = (host: LabHostName): Promise<string> => labOk(["restore", host]);

/** Runs a host shell command synchronously; its stdout (throws when it fails). */
export function sh(command: string): string {
    return execFileSync("bash", ["-c", command], { encoding: "utf8" });
}

/**
 * Lab processes still alive: VMs (qemu -name guest=lvslab-*), loopback forwards, and ssh
 * clients of the lab's ssh config (the connections it shares among commands included).
 */
export function labProcesses(): string[] {
    return sh("ps -eo pid=,args=")
        .split("\n")
        .filter((line) => /guest=lvslab-|TCP-LISTEN:221\d\d,bind=127\.0\.0\.1|ssh -F \/var\/tmp\/pulumi-lvs-lab\/ssh\/config /.test(line));
}
