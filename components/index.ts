/**
 * pulumi-lvs as a library, for other Pulumi programs: the components, the cluster builder, and
 * the schemas that validate what they take. Importing this module has no side effect: it reads
 * no stack config and registers no resource (the program in index.ts does both, and is not
 * imported from here).
 *
 *   import { VipGroup, Director, RealServer, HaPair, buildCluster, parseCluster } from "pulumi-lvs";
 *
 * Each component validates its arguments once, in its constructor, before any resource exists:
 * a bad value throws ConfigError naming the field, the reason and the fix, so `pulumi preview`
 * fails with no host touched. Defaults are stated on each argument's JSDoc.
 */

/** The components. */
export { VipGroup, type VipGroupArgs } from "./vip-group";
export { Director, type DirectorArgs } from "./director";
export { RealServer, type RealServerArgs } from "./real-server";
export { HaPair, type HaPairArgs, type HaNodeArgs } from "./ha-pair";
/** A whole cluster from one validated spec, as the program builds it. */
export { buildCluster, type ClusterResources, type BuildOptions } from "./cluster";
export { type HostInput, type StepRunner, STEP_RUNNERS, DEFAULT_STEP_RUNNER } from "./parts/host-access";

/** Validation: the cluster schema the program checks stack config with, and its parts. */
export { clusterSchema, parseCluster, type ClusterSpec } from "./schema/cluster";
export { parseClusterDocument, combineClusterSources, CLUSTER_KEY, CLUSTER_FILE_KEY, type ClusterInput } from "./schema/cluster-document";
export { vipGroupSchema, serviceSchema, realServerRefSchema, SCHEDULERS, type VipGroupSpec, type ServiceSpec, type RealServerRefSpec, type Scheduler } from "./schema/vip-group";
export { directorSchema, drainSchema, DEFAULT_DRAIN, type DirectorSpec, type DrainSpec } from "./schema/director";
export { realServerSchema, type RealServerSpec, type ArpMethod } from "./schema/real-server";
export { haPairSchema, type HaPairSpec } from "./schema/ha-pair";
export { healthCheckSchema, type HealthCheckSpec } from "./schema/health-check";
export { hostSchema, sshSchema, type HostSpec, type SshSpec } from "./schema/host";
export { markSchema, type MarkSpec } from "./schema/marks";
export { ConfigError } from "./base/errors";
