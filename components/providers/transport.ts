/** How providers reach a host. Small on purpose: tests swap in an in-memory host. */

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface HostTransport {
    /** Runs a shell command on the host; `stdin` is fed to it and closed. */
    run(command: string, stdin?: string): Promise<RunResult>;
    close(): Promise<void>;
}

/** Plain data describing an SSH target; the private key arrives from a Pulumi secret. */
export interface SshTarget {
    /** The host's name in the stack, for messages ("director1"). */
    name?: string;
    host: string;
    port: number;
    user: string;
    privateKey: string;
    hostKey?: string;
    insecureSkipHostKeyCheck?: boolean;
    /** How long one attempt may take to reach an authenticated session. Default 5 s. */
    connectTimeoutSeconds?: number;
    bastion?: Omit<SshTarget, "bastion" | "privateKey" | "name" | "connectTimeoutSeconds">;
}

/** The connect timeout when a target does not set one: short, so a dead host costs seconds. */
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;

/** "director1 (root@127.0.0.1:22011)": how messages name a host. */
export function describeTarget(t: Pick<SshTarget, "name" | "host" | "port" | "user">): string {
    const where = `${t.user}@${t.host}:${t.port}`;
    return t.name ? `${t.name} (${where})` : where;
}

/** Runs a command and throws, with the command's stderr, unless it exits 0. */
export async function runChecked(t: HostTransport, command: string, stdin?: string): Promise<string> {
    const r = await t.run(command, stdin);
    if (r.code !== 0) throw new Error(`command failed (exit ${r.code}): ${command.split("\n")[0]}\n${r.stderr.trim()}`);
    return r.stdout;
}

export interface OpenOptions {
    /** A probe (the preview's drift check) tries once; applying retries transient failures. Default false. */
    probe?: boolean;
}

/** How a provider reaches a host: the SSH pool (ssh-pool.ts) in the provider process, an in-memory host in tests. */
export type OpenHost = (target: SshTarget, opts?: OpenOptions) => Promise<HostTransport>;

/** Opens the host, runs `fn`, always closes. */
export async function withHost<T>(open: OpenHost, target: SshTarget, fn: (t: HostTransport) => Promise<T>, opts: OpenOptions = {}): Promise<T> {
    const t = await open(target, opts);
    try {
        return await fn(t);
    } finally {
        await t.close();
    }
}
