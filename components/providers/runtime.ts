/**
 * The provider runtime: what IpvsTable and RemoteStep do, loaded by runtime-loader.ts in the
 * provider process. Its built path (RUNTIME_MODULE) is a contract with every stack's state.
 */
import { ipvsTableProvider } from "./ipvs-table-provider";
import { remoteStepProvider } from "./remote-step-provider";
import { openSsh } from "./ssh-transport";

export const ipvsTable = ipvsTableProvider(openSsh);
export const remoteStep = remoteStepProvider(openSsh);

export interface Runtime {
    ipvsTable: typeof ipvsTable;
    remoteStep: typeof remoteStep;
}
