/**
 * The kernel's side of ipvsadm operations, simulated on a ruleset: the table a host holds
 * after it took every operation of a plan. IpvsTable records this after an apply the host
 * reported clean, instead of listing a 10,000-entry table once more; the planner's properties
 * (apply(a, plan(a, b)) == b) use it too.
 */
import { canonicalAddress } from "../../base/address";
import { destId, normalizeRuleset, serviceId } from "./ipvs-model";
import type { IpvsDest, IpvsService, Ruleset } from "./ipvs-model";
import { isServiceOp, opEntryId, type IpvsOp } from "./ipvs-diff";

/** A real server as the kernel keeps it on one of the director's own addresses: "Local", printed as -g. */
export function asLocal(d: IpvsDest): IpvsDest {
    const { weight, upperThreshold, lowerThreshold } = d.settings;
    return { key: d.key, settings: { forwarding: "dr", weight, upperThreshold, lowerThreshold } };
}

const bare = (svc: IpvsService): IpvsService => ({ key: svc.key, settings: svc.settings, dests: [] });

/**
 * Simulates operations on a ruleset (pure) with the kernel's refusals: adding what exists,
 * or editing/deleting what does not, throws. Deleting a service deletes its real servers.
 * A real server on one of `localAddresses` is stored as the kernel stores it: Local
 * forwarding, which ipvsadm -S prints as -g, thresholds and weight kept.
 */
export function applyOps(r: Ruleset, ops: readonly IpvsOp[], localAddresses: readonly string[] = []): Ruleset {
    const local = new Set(localAddresses.map(canonicalAddress));
    const stored = (d: IpvsDest): IpvsDest => (local.has(canonicalAddress(d.key.address)) ? asLocal(d) : d);
    const services = new Map(normalizeRuleset(r).services.map((s) => [serviceId(s.key), { ...s, dests: [...s.dests] }]));
    for (const op of ops) {
        const entry = opEntryId(op);
        if (isServiceOp(op)) {
            const id = serviceId(op.service.key);
            const existing = services.get(id);
            if (op.kind === "add-service") {
                if (existing) throw new Error(`${entry}: Service already exists`);
                services.set(id, bare(op.service));
            } else if (!existing) {
                throw new Error(`${entry}: No such service`);
            } else if (op.kind === "edit-service") {
                existing.settings = op.service.settings;
            } else {
                services.delete(id);
            }
            continue;
        }
        const svc = services.get(serviceId(op.service));
        if (!svc) throw new Error(`${entry}: Service not defined`);
        const did = destId(op.service, op.dest.key);
        const index = svc.dests.findIndex((d) => destId(svc.key, d.key) === did);
        if (op.kind === "add-dest") {
            if (index >= 0) throw new Error(`${entry}: Destination already exists`);
            svc.dests.push(stored(op.dest));
        } else if (index < 0) {
            throw new Error(`${entry}: No such destination`);
        } else if (op.kind === "edit-dest") {
            svc.dests[index] = stored(op.dest);
        } else {
            svc.dests.splice(index, 1);
        }
    }
    return normalizeRuleset({ services: [...services.values()] });
}
