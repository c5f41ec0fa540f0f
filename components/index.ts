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
 *
 * Arguments are typed from the schemas' input types (`z.input`): a default may be left out,
 * enums stay unions of their literals, and a misspelled field or a value of the wrong type fails
 * `tsc`. The `...Input` types are what a user writes (a spec for parseCluster, say); the
 * `...Args` types are what the components take, with the fields that may be pulumi.Inputs; the
 * `...Spec` types are the validated values, with every default filled in.
 */

/** The components. */
export { VipGroup, type VipGroupArgs, type VipGroupSpecArgs, type ServiceSpecArgs, type RealServerRefArgs } from "./vip-group";
export { Director, type DirectorArgs } from "./director";
export { RealServer, type RealServerArgs } from "./real-server";
export { HaPair, type HaPairArgs, type HaNodeArgs } from "./ha-pair";
/** A whole cluster from one validated spec, as the program builds it. */
export { buildCluster, type ClusterResources, type BuildOptions } from "./cluster";
export { type HostInput, type HostSpecArgs, type StepRunner, STEP_RUNNERS, DEFAULT_STEP_RUNNER } from "./parts/host-access";

/** Validation: the cluster schema the program checks stack config with, and its parts. */
export { clusterSchema, parseCluster, type ClusterSpec, type ClusterSpecInput } from "./schema/cluster";
export { parseClusterDocument, combineClusterSources, CLUSTER_KEY, CLUSTER_FILE_KEY, type ClusterInput } from "./schema/cluster-document";
export { vipGroupSchema, serviceSchema, realServerRefSchema, SCHEDULERS, type VipGroupSpec, type ServiceSpec, type RealServerRefSpec, type Scheduler, type VipGroupSpecInput, type ServiceSpecInput, type RealServerRefSpecInput } from "./schema/vip-group";
export { directorSchema, drainSchema, DEFAULT_DRAIN, type DirectorSpec, type DrainSpec, type DirectorSpecInput, type DrainSpecInput } from "./schema/director";
export { realServerSchema, type RealServerSpec, type ArpMethod, type RealServerSpecInput } from "./schema/real-server";
export { haPairSchema, type HaPairSpec, type HaPairSpecInput, type HaNodeSpecInput } from "./schema/ha-pair";
export { healthCheckSchema, type HealthCheckSpec, type HealthCheckSpecInput } from "./schema/health-check";
export { hostSchema, sshSchema, type HostSpec, type SshSpec, type HostSpecInput, type SshSpecInput } from "./schema/host";
export { markSchema, type MarkSpec, type MarkSpecInput } from "./schema/marks";
export { ConfigError } from "./base/errors";
