/**
 * RemoteStep's provider methods, loaded through runtime-loader.ts in the provider process.
 * A changed connection is an in-place update that runs nothing: only changed scripts run.
 */
import { runScript } from "./remote-step-logic";
import { holdsUnknowns, sameData, storedCode } from "./same-data";
import { describeTarget, withHost, type OpenHost, type SshTarget } from "./transport";

export interface StepProps {
    connection: SshTarget;
    create: string;
    update: string;
    delete: string;
}

export interface StepOuts extends StepProps {
    stdout: string;
    stderr: string;
}

const scriptsChanged = (olds: StepProps, news: StepProps) => olds.create !== news.create || olds.update !== news.update;

/** RemoteStep's provider, reaching hosts through `open`. */
export function remoteStepProvider(open: OpenHost) {
    const run = (connection: SshTarget, script: string, what: string) => withHost(open, connection, (t) => runScript(t, script, `${what} on ${describeTarget(connection)}`));

    return {
        async check(_olds: StepProps, news: StepProps) {
            return { inputs: news };
        },
        async diff(_id: string, olds: StepOuts, news: StepProps) {
            // A script or connection not known yet (a preview): it will change if its value does; say so.
            if (holdsUnknowns(news)) return { changes: true };
            const recorded = olds.delete !== news.delete || !sameData(olds.connection, news.connection) || storedCode(olds) !== storedCode(news);
            return { changes: scriptsChanged(olds, news) || recorded };
        },
        async create(inputs: StepProps) {
            const out = await run(inputs.connection, inputs.create, "create");
            return { id: `${inputs.connection.host}:${inputs.connection.port}`, outs: { ...inputs, ...out } };
        },
        async update(_id: string, olds: StepOuts, news: StepProps) {
            // A changed delete script, connection or stored code is only recorded, for later operations.
            const out = scriptsChanged(olds, news) ? await run(news.connection, news.update, "update") : { stdout: olds.stdout, stderr: olds.stderr };
            return { outs: { ...news, ...out } };
        },
        async delete(_id: string, props: StepOuts) {
            await run(props.connection, props.delete, "delete");
        },
        async read(id: string, props: StepOuts) {
            return { id, props };
        },
    };
}
