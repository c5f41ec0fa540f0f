/**
 * The render of a one-host component (Director, RealServer) when some of its settings are
 * pulumi.Inputs: see deferred.ts.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { HostStep } from "../core/host/host-step";
import type { GroupView } from "../core/host/cluster-model";
import type { HostSpec } from "../schema/host";
import { knownSpec, refuseOwnAddress, type HostAccess } from "./host-access";
import { sameShape, whenKnown } from "./deferred";

/** What a one-host component renders: at least its host steps, in the order they are registered. */
export interface HostRender {
    all: readonly HostStep[];
}

/**
 * A Director's or RealServer's render from its host's address and its groups' views: now, with
 * stand-ins where there were Outputs (`shape`, which decides the resources), and once they are
 * known (`known`; absent when nothing was an Output), refusing a VIP that is the host's own
 * address and any other set of steps than the shape's.
 */
export function renderWhenKnown<R extends HostRender>(
    root: string,
    host: HostAccess,
    views: { shape: GroupView[]; known?: pulumi.Output<GroupView[]> },
    render: (address: string, groups: GroupView[]) => R,
): { shape: R; known?: pulumi.Output<R> } {
    const shape = render(host.spec.address, views.shape);
    if (!host.known && !views.known) return { shape };
    const known = whenKnown([knownSpec(host), views.known ?? views.shape], (plain) => {
        const [spec, groups] = plain as [HostSpec, GroupView[]];
        refuseOwnAddress({ ...host, spec }, groups, root);
        const real = render(spec.address, groups);
        sameShape(root, shape.all.map((s) => s.key), real.all.map((s) => s.key));
        return real;
    });
    return { shape, known };
}
