/**
 * A host as the components reach it: its name, its validated spec, the SSH private key and
 * the step runner. The cluster builder makes one from the parsed cluster; a component used
 * directly as a library validates the raw spec it is given, once (hostAccess).
 */
import type * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../base/errors";
import { hostSchema, type HostSpec } from "../schema/host";
import { parseOrThrow } from "../schema/parse";
import type { GroupView } from "../core/host/cluster-model";

/**
 * How host steps run: "ssh2" (the default) through our RemoteStep provider, or
 * "pulumi-command" through @pulumi/command's remote.Command (needs that provider's plugin).
 */
export const STEP_RUNNERS = ["ssh2", "pulumi-command"] as const;
export type StepRunner = (typeof STEP_RUNNERS)[number];
export const DEFAULT_STEP_RUNNER: StepRunner = "ssh2";

/** True for a name in STEP_RUNNERS, e.g. the stack's `pulumi-lvs:stepRunner`. */
export function isStepRunner(value: string): value is StepRunner {
    return (STEP_RUNNERS as readonly string[]).includes(value);
}

/** A validated host plus the SSH private key (a Pulumi secret; it never appears in plaintext in state). */
export interface HostAccess {
    name: string;
    spec: HostSpec;
    privateKey: pulumi.Input<string>;
    /** Default "ssh2" (DEFAULT_STEP_RUNNER). */
    runner?: StepRunner;
}

/** A host as a component used directly takes it: the spec is raw and validated by hostAccess. */
export interface HostInput extends Omit<HostAccess, "spec"> {
    spec: unknown;
}

/** Validates a raw host spec; errors are named `${root}.host...`. */
export function hostAccess(h: HostInput, root: string): HostAccess {
    return { name: h.name, spec: parseOrThrow(hostSchema, h.spec, `${root}.host`), privateKey: h.privateKey, runner: h.runner };
}

/**
 * A VIP must never be the host's own address: adding it as an alias would cut the host off.
 * parseCluster checks this for a whole cluster; a component used directly checks it here.
 */
export function refuseOwnAddress(host: HostAccess, groups: GroupView[], root: string): void {
    const clash = groups.find((g) => g.vips.includes(host.spec.address));
    if (clash) throw new ConfigError([`${root}.vipGroups: VipGroup "${clash.name}" has VIP ${host.spec.address}, which is host "${host.name}"'s own address. Fix: pick an unused VIP.`]);
}
