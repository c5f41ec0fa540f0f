/**
 * RemoteStep: one host step (idempotent create/update script, reverting delete script) run
 * over ssh2 with the pinned host key. It plays the part of @pulumi/command's remote.Command
 * where that provider's plugin cannot be installed (it is not on any registry this project
 * can reach), and verifies host keys through the same transport as IpvsTable.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { SshTarget } from "./transport";

const LOGIC_MODULE = path.join(__dirname, "remote-step-logic");
const SSH_MODULE = path.join(__dirname, "ssh-transport");

interface StepProps {
    connection: SshTarget;
    create: string;
    update: string;
    delete: string;
}

interface StepOuts extends StepProps {
    stdout: string;
    stderr: string;
}

async function run(connection: SshTarget, script: string, what: string): Promise<{ stdout: string; stderr: string }> {
    const { runScript } = require(LOGIC_MODULE) as typeof import("./remote-step-logic");
    const { openSsh } = require(SSH_MODULE) as typeof import("./ssh-transport");
    const t = await openSsh(connection);
    try {
        return await runScript(t, script, `${what} on ${connection.host}:${connection.port}`);
    } finally {
        await t.close();
    }
}

const provider: pulumi.dynamic.ResourceProvider<StepProps, StepOuts> = {
    async diff(_id: string, olds: StepOuts, news: StepProps) {
        const moved = olds.connection.host !== news.connection.host || olds.connection.port !== news.connection.port;
        if (moved) return { changes: true, replaces: ["connection"], deleteBeforeReplace: true };
        const changed = olds.create !== news.create || olds.update !== news.update || olds.delete !== news.delete;
        return { changes: changed };
    },
    async create(inputs: StepProps) {
        const out = await run(inputs.connection, inputs.create, "create");
        return { id: `${inputs.connection.host}:${inputs.connection.port}`, outs: { ...inputs, ...out } };
    },
    async update(_id: string, olds: StepOuts, news: StepProps) {
        // Only a changed script runs again; a changed delete script is just recorded for later.
        const scriptChanged = olds.create !== news.create || olds.update !== news.update;
        const out = scriptChanged ? await run(news.connection, news.update, "update") : { stdout: olds.stdout, stderr: olds.stderr };
        return { outs: { ...news, ...out } };
    },
    async delete(_id: string, props: StepOuts) {
        await run(props.connection, props.delete, "delete");
    },
};

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
        super(provider, name, props, { ...opts, additionalSecretOutputs: ["connection"] }, "lvs", "RemoteStep");
    }
}
