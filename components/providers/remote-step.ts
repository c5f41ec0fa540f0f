/**
 * RemoteStep: one host step (idempotent create/update script, reverting delete script) run
 * over ssh2 with the pinned host key. It plays the part of @pulumi/command's remote.Command
 * where that provider's plugin cannot be installed (it is not on any registry this project
 * can reach), and verifies host keys through the same transport as IpvsTable. What the
 * provider does is in remote-step-provider.ts; state stores only the loader.
 */
import * as pulumi from "@pulumi/pulumi";
import type { SshTarget } from "./transport";
import { runtimeProvider } from "./runtime-loader";

export interface RemoteStepArgs {
    connection: pulumi.Input<SshTarget>;
    create: pulumi.Input<string>;
    /** Defaults to create (steps are idempotent). */
    update?: pulumi.Input<string>;
    delete: pulumi.Input<string>;
}

export class RemoteStep extends pulumi.dynamic.Resource {
    declare readonly stdout: pulumi.Output<string>;
    declare readonly stderr: pulumi.Output<string>;

    constructor(name: string, args: RemoteStepArgs, opts?: pulumi.CustomResourceOptions) {
        const props = {
            connection: pulumi.secret(args.connection),
            create: args.create,
            update: args.update ?? args.create,
            delete: args.delete,
            stdout: undefined,
            stderr: undefined,
        };
        super(runtimeProvider("remoteStep"), name, props, { ...opts, additionalSecretOutputs: ["connection"] }, "lvs", "RemoteStep");
    }
}
