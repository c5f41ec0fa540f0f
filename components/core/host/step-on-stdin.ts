/**
 * A host step as one script for `sh -s`, for a runner that gives a resource a single stdin for
 * all its commands: @pulumi/command's remote.Command sends its `stdin` input to create,
 * update and delete alike. Both scripts travel on stdin, which has no size limit, and the
 * command line only names the part to run, so it stays a few bytes however large the cluster.
 * (A script as the command string is one argument to the remote shell, which the kernel caps
 * at 128 KiB; a keepalived.conf of thousands of virtual servers, and the delete that removes
 * their services, pass that.)
 */
import type { HostStep } from "./host-step";

/** Runs the step's create part (for create and update: create is idempotent). */
export const RUN_CREATE_PART = "sh -s create";
/** Runs the step's delete part. */
export const RUN_DELETE_PART = "sh -s delete";

/**
 * Both scripts, each in its own branch of a `case` on the first argument. The shell reads a
 * whole branch before running it, so a here-document inside (keepalived.conf, nft rules) is
 * read as part of the script, however it is worded.
 */
export function stepOnStdin(step: HostStep): string {
    const part = (name: string, body: string) => [`${name})`, body.replace(/\n$/, ""), ";;"];
    return [
        `# pulumi-lvs host step "${step.key}": \`${RUN_CREATE_PART}\` makes it so, \`${RUN_DELETE_PART}\` puts the host back.`,
        'case "${1:-}" in',
        ...part("create", step.create),
        ...part("delete", step.delete),
        `*) echo 'pulumi-lvs: run this script as ${RUN_CREATE_PART} or ${RUN_DELETE_PART}' >&2; exit 2 ;;`,
        "esac",
        "",
    ].join("\n");
}
