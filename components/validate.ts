/** Component-level validation: the same schemas as stack config, with errors naming the component. */
import type { z } from "zod";
import { ConfigError, issueLines } from "./base/errors";
import { hostSchema } from "./schema/host";
import type { HostAccess } from "./connection";
import type { GroupView } from "./core/host/cluster-model";
import type * as pulumi from "@pulumi/pulumi";

export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, root: string): z.infer<S> {
    const r = schema.safeParse(input);
    if (!r.success) throw new ConfigError(issueLines(root, r.error));
    return r.data;
}

/** A host as components take it: name, raw spec (validated here) and the secret key. */
export interface HostInput {
    name: string;
    spec: unknown;
    privateKey: pulumi.Input<string>;
    /** How host steps run: "ssh2" (default, built in) or "pulumi-command" (needs its plugin). */
    runner?: "ssh2" | "pulumi-command";
}

export function hostAccess(h: HostInput, root: string): HostAccess {
    return { name: h.name, spec: parseOrThrow(hostSchema, h.spec, `${root}.host`), privateKey: h.privateKey, runner: h.runner };
}

/** A VIP must never be the host's own address: adding it as an alias would cut the host off. */
export function refuseOwnAddress(host: HostAccess, groups: GroupView[], root: string): void {
    const clash = groups.find((g) => g.vips.includes(host.spec.address));
    if (clash) throw new ConfigError([`${root}.vipGroups: VipGroup "${clash.name}" has VIP ${host.spec.address}, which is host "${host.name}"'s own address. Fix: pick an unused VIP.`]);
}
