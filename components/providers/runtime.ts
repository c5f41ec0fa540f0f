/**
 * The provider runtime: what IpvsTable and RemoteStep do, loaded by runtime-loader.ts in the
 * provider process. Its built path (RUNTIME_MODULE) is a contract with every stack's state.
 */
import { ipvsTableProvider } from "./ipvs-table-provider";
import { remoteStepProvider } from "./remote-step-provider";
import { sshPool } from "./ssh-pool";

/**
 * One pool for the provider process, which the engine starts once per run and which serves
 * every IpvsTable and RemoteStep: the steps and the table of a host share one connection
 * (why that is safe: ssh-pool.ts).
 */
const ssh = sshPool();

export const ipvsTable = ipvsTableProvider(ssh.open);
export const remoteStep = remoteStepProvider(ssh.open);

export interface Runtime {
    ipvsTable: typeof ipvsTable;
    remoteStep: typeof remoteStep;
}
