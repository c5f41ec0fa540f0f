/**
 * The render of a component (Director, RealServer, HaPair) when some of its settings are
 * pulumi.Inputs: see deferred.ts.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { HostStep } from "../core/host/host-step";
import type { GroupView } from "../core/host/cluster-model";
import type { HostSpec } from "../schema/host";
import { knownSpec, refuseOwnAddress, type HostAccess } from "./host-access";
import { sameShape, whenKnown } from "./deferred";

/** A host of a component: how it is reached, and the name its errors go under (e.g. `HaPair web.nodes[0]`). */
export interface RenderedHost {
    access: HostAccess;
    root: string;
}

/** What a component renders: at least the host steps of each of its hosts, in the order of its hosts, each in the order registered. */
export interface HostsRender {
    hostSteps: readonly (readonly HostStep[])[];
}

/**
 * A component's render from its hosts' addresses and its groups' views: now, with stand-ins
 * where there were Outputs (`shape`, which decides the resources), and once they are known
 * (`known`; absent when nothing was an Output), refusing a VIP that is a host's own address and
 * any other set of steps on a host than the shape's.
 */
export function renderWhenKnown<R extends HostsRender>(
    hosts: readonly RenderedHost[],
    views: { shape: GroupView[]; known?: pulumi.Output<GroupView[]> },
    render: (addresses: string[], groups: GroupView[]) => R,
): { shape: R; known?: pulumi.Output<R> } {
    const shape = render(hosts.map((h) => h.access.spec.address), views.shape);
    if (!hosts.some((h) => h.access.known) && !views.known) return { shape };
    const known = whenKnown([hosts.map((h) => knownSpec(h.access)), views.known ?? views.shape], (plain) => {
        const [specs, groups] = plain as [HostSpec[], GroupView[]];
        hosts.forEach((h, i) => refuseOwnAddress({ ...h.access, spec: specs[i] }, groups, h.root));
        const real = render(specs.map((spec) => spec.address), groups);
        hosts.forEach((h, i) => sameShape(h.root, shape.hostSteps[i].map((s) => s.key), real.hostSteps[i].map((s) => s.key)));
        return real;
    });
    return { shape, known };
}
