/**
 * Host steps become resources, each depending on the one before. The default runner is our
 * RemoteStep (ssh2, pinned host key); "pulumi-command" uses @pulumi/command's remote.Command
 * for machines that have its provider plugin installed.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { HostStep } from "../core/host/host-step";
import { RUN_CREATE_PART, RUN_DELETE_PART, stepOnStdin } from "../core/host/step-on-stdin";
import { remoteConnection, sshTarget } from "./connection";
import { DEFAULT_STEP_RUNNER, type HostAccess } from "./host-access";
import { RemoteStep } from "../providers/remote-step";

export interface StepOptions {
    parent: pulumi.Resource;
    dependsOn?: pulumi.Input<pulumi.Resource>[];
    /** Keep the scripts out of plaintext state (they embed a secret, e.g. a VRRP password). */
    secret?: boolean;
}

/**
 * One resource per step. `update` repeats the idempotent create, so a changed script is
 * applied in place instead of replaced (replacement would run delete and drop the VIP).
 */
/** A host step whose scripts may be known only later (deferred.ts): its key is known now. */
export interface StepInput {
    key: string;
    create: pulumi.Input<string>;
    delete: pulumi.Input<string>;
}

export function stepCommand(prefix: string, host: HostAccess, step: StepInput, opts: StepOptions): pulumi.CustomResource {
    const wrap = (s: pulumi.Input<string>): pulumi.Input<string> => (opts.secret ? pulumi.secret(s) : s);
    const name = `${prefix}-${step.key}`;
    const resourceOpts = { parent: opts.parent, dependsOn: opts.dependsOn, deleteBeforeReplace: true };
    if ((host.runner ?? DEFAULT_STEP_RUNNER) === "pulumi-command") {
        // The scripts go on stdin, never on the command line, where one argument is capped at
        // 128 KiB. remote.Command sends its one `stdin` to create, update and delete alike (and
        // delete gets the stdin of the last apply, from state), so stdin carries both scripts
        // and each command names its part. A changed script changes only stdin, which
        // remote.Command applies with update, in place (it replaces only on `triggers`).
        const commands = { create: RUN_CREATE_PART, update: RUN_CREATE_PART, delete: RUN_DELETE_PART };
        const stdin = typeof step.create === "string" && typeof step.delete === "string" ? stepOnStdin({ key: step.key, create: step.create, delete: step.delete }) : pulumi.all([step.create, step.delete]).apply(([create, del]) => stepOnStdin({ key: step.key, create, delete: del }));
        return new command.remote.Command(name, { connection: remoteConnection(host), ...commands, stdin: wrap(stdin), logging: "stdoutAndStderr" }, resourceOpts);
    }
    return new RemoteStep(name, { connection: sshTarget(host), create: wrap(step.create), update: wrap(step.create), delete: step.delete }, resourceOpts);
}

/** Steps that must run in order (e.g. ARP sysctls before VIPs). */
export function chain(prefix: string, host: HostAccess, steps: StepInput[], opts: StepOptions): pulumi.CustomResource[] {
    const out: pulumi.CustomResource[] = [];
    let deps = opts.dependsOn ?? [];
    for (const step of steps) {
        const cmd = stepCommand(prefix, host, step, { ...opts, dependsOn: deps });
        out.push(cmd);
        deps = [cmd];
    }
    return out;
}

/**
 * The StepInput for each step of `shape` (rendered with stand-ins): the step itself when nothing
 * was deferred, else one carrying its scripts from `known` (the same render once the Outputs
 * are known, checked by renderWhenKnown to have the same keys).
 */
export function stepLookup(shape: readonly HostStep[], known: pulumi.Output<readonly HostStep[]> | undefined): (step: HostStep) => StepInput {
    if (!known) return (step) => step;
    const byKey = known.apply((steps) => new Map(steps.map((s) => [s.key, s])));
    const part = (key: string, which: "create" | "delete") => byKey.apply((m) => m.get(key)?.[which] ?? "");
    const inputs = new Map(shape.map((s) => [s.key, { key: s.key, create: part(s.key, "create"), delete: part(s.key, "delete") }]));
    return (step) => inputs.get(step.key) ?? step;
}
