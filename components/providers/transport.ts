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
    host: string;
    port: number;
    user: string;
    privateKey: string;
    hostKey?: string;
    insecureSkipHostKeyCheck?: boolean;
    bastion?: Omit<SshTarget, "bastion" | "privateKey">;
}

/** Runs a command and throws, with the command's stderr, unless it exits 0. */
export async function runChecked(t: HostTransport, command: string, stdin?: string): Promise<string> {
    const r = await t.run(command, stdin);
    if (r.code !== 0) throw new Error(`command failed (exit ${r.code}): ${command.split("\n")[0]}\n${r.stderr.trim()}`);
    return r.stdout;
}
