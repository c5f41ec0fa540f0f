/** Host steps become remote.Command children, each depending on the one before. */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import type { HostStep } from "./core/host-step";
import { remoteConnection, type HostAccess } from "./connection";

export interface StepOptions {
    parent: pulumi.Resource;
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * One remote.Command per step. `update` repeats the idempotent create, so a changed script is
 * applied in place instead of replaced (replacement would run delete and drop the VIP).
 */
export function stepCommand(prefix: string, host: HostAccess, step: HostStep, opts: StepOptions): command.remote.Command {
    return new command.remote.Command(
        `${prefix}-${step.key}`,
        {
            connection: remoteConnection(host),
            create: step.create,
            update: step.create,
            delete: step.delete,
            // Outputs of our scripts carry nothing secret, but logs stay terse.
            logging: "stdoutAndStderr",
        },
        { parent: opts.parent, dependsOn: opts.dependsOn, deleteBeforeReplace: true },
    );
}

/** Steps that must run in order (e.g. ARP sysctls before VIPs). Returns the last command. */
export function chain(prefix: string, host: HostAccess, steps: HostStep[], opts: StepOptions): command.remote.Command[] {
    const out: command.remote.Command[] = [];
    let deps = opts.dependsOn ?? [];
    for (const step of steps) {
        const cmd = stepCommand(prefix, host, step, { parent: opts.parent, dependsOn: deps });
        out.push(cmd);
        deps = [cmd];
    }
    return out;
}
