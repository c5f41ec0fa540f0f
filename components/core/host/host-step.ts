/** A unit of host change: a script that makes it so, and one that puts the host back. */
export interface HostStep {
    /** Stable identity within its host, e.g. "sysctl" or "vip-192.168.13.100". */
    key: string;
    /** Idempotent: running it twice leaves the host as running it once. */
    create: string;
    /** Reverts what create did, restoring saved previous values; safe to run when create never ran. */
    delete: string;
}

/** Where the stack keeps its files on a host; destroy removes them. */
export const STATE_DIR = "/var/lib/pulumi-lvs";
export const CONFIG_DIR = "/etc/pulumi-lvs";

/**
 * For the end of a delete that removed a file of ours from STATE_DIR: whichever step's delete
 * runs last finds the directory empty and removes it (rmdir never removes anything else).
 */
export const REMOVE_STATE_DIR_IF_EMPTY = `rmdir ${STATE_DIR} 2>/dev/null || true`;

/**
 * Every script starts strict so a failed step fails the resource instead of half-applying.
 *
 * Its commands run in one group with stdin closed: a script reaches the host on stdin (`sh -s`),
 * so a command that read stdin (a package manager's prompt, anything that reads until EOF)
 * would eat the lines after it. The shell reads a whole group before running it, and no command
 * in a host script needs the script's stdin: here-documents, pipes and `< file` bring their own.
 */
export function script(lines: string[]): string {
    // An empty group is a syntax error.
    return ["set -eu", ...(lines.length > 0 ? ["{", ...lines, "} </dev/null"] : [])].join("\n") + "\n";
}

/**
 * Shell snippet that writes `content` to `path` atomically (heredoc with a quoted marker, so
 * nothing in it expands). `beforeReplace` may look at the new file (named by its argument)
 * and the old one before the move.
 *
 * The new file is created 0600 (umask 077, after removing any leftover from a failed run, whose
 * mode `>` would keep) and gets `mode` only once it is whole: a file that holds a secret (the
 * VRRP password in keepalived.conf) is never readable by others, not even while it is written.
 */
export function writeFile(path: string, content: string, mode = "0644", beforeReplace?: (tmp: string) => string): string {
    const marker = "PULUMI_LVS_EOF";
    if (content.split("\n").includes(marker)) throw new Error(`writeFile: content contains the heredoc marker`);
    const tmp = `${path}.tmp`;
    return [`mkdir -p "$(dirname ${path})"`, `rm -f ${tmp}`, `(umask 077 && cat > ${tmp}) <<'${marker}'`, content.replace(/\n$/, ""), marker, `chmod ${mode} ${tmp}`, ...(beforeReplace ? [beforeReplace(tmp)] : []), `mv ${tmp} ${path}`].join("\n");
}
