/**
 * The provider runtime: what IpvsTable and RemoteStep do, loaded by runtime-loader.ts in the
 * provider process. Its built path (RUNTIME_MODULE) is a contract with every stack's state.
 */
import { ipvsTableProvider } from "./ipvs-table-provider";
import { remoteStepProvider } from "./remote-step-provider";

export const ipvsTable = ipvsTableProvider;
export const remoteStep = remoteStepProvider;

export interface Runtime {
    ipvsTable: typeof ipvsTableProvider;
    remoteStep: typeof remoteStepProvider;
}
