/**
 * A host as the components reach it: its name, its validated spec, the SSH private key and
 * the step runner. The cluster builder makes one from the parsed cluster; a component used
 * directly as a library validates the raw spec it is given, once (hostAccess).
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../base/errors";
import { hostSchema, type HostSpec, type HostSpecInput } from "../schema/host";
import { parseOrThrow } from "../schema/parse";
import type { GroupView } from "../core/host/cluster-model";
import { HOST_FIELDS, holdsOutputs, whenKnown, withStandIns, type WithInputs } from "./deferred";

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
    /** The validated spec; with stand-ins for the values that were Outputs (see `known`), good for the shape only. */
    spec: HostSpec;
    /** Present when some of the spec came as pulumi.Outputs: the real spec, validated once they are known (deferred.ts). */
    known?: pulumi.Output<HostSpec>;
    privateKey: pulumi.Input<string>;
    /** Default "ssh2" (DEFAULT_STEP_RUNNER). */
    runner?: StepRunner;
}

/**
 * A host spec as a component used directly takes it: the schema's input type (HostSpecInput:
 * defaults optional), with its address and SSH settings (host, port, user, hostKey, also the
 * bastion's) as pulumi.Inputs too, e.g. the address of a VM created by the same program.
 */
export type HostSpecArgs = WithInputs<HostSpecInput, (typeof HOST_FIELDS)[number]>;

/** A host as a component used directly takes it: the spec is validated by hostAccess, once its Outputs are known. */
export interface HostInput extends Omit<HostAccess, "spec" | "known"> {
    spec: HostSpecArgs;
}

/** Validates a raw host spec, now or, for the values that are Outputs, once they are known; errors are named `${root}.host...`. */
export function hostAccess(h: HostInput, root: string): HostAccess {
    const at = `${root}.host`;
    const access = { name: h.name, privateKey: h.privateKey, runner: h.runner };
    if (!holdsOutputs(h.spec)) return { ...access, spec: parseOrThrow(hostSchema, h.spec, at) };
    const spec = parseOrThrow(hostSchema, withStandIns(h.spec, at, HOST_FIELDS, () => h.name), at);
    return { ...access, spec, known: whenKnown(h.spec, (plain) => parseOrThrow(hostSchema, plain, at)) };
}

/** The host's real spec: known now, or later when some of it was an Output. */
export function knownSpec(h: HostAccess): pulumi.Output<HostSpec> {
    return h.known ?? pulumi.output(h.spec);
}

/**
 * A VIP must never be the host's own address: adding it as an alias would cut the host off.
 * parseCluster checks this for a whole cluster; a component used directly checks it here.
 */
export function refuseOwnAddress(host: HostAccess, groups: GroupView[], root: string): void {
    const clash = groups.find((g) => g.vips.includes(host.spec.address));
    if (clash) throw new ConfigError([`${root}.vipGroups: VipGroup "${clash.name}" has VIP ${host.spec.address}, which is host "${host.name}"'s own address. Fix: pick an unused VIP.`]);
}
