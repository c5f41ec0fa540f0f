/**
 * The kernel's side of ipvsadm operations, simulated on a ruleset, for the planner's
 * properties (apply(a, plan(a, b)) == b). Production code sends the operations to a host.
 */
import { destId, normalizeRuleset, serviceId } from "../../components/core/ipvs/ipvs-model";
import type { IpvsService, Ruleset } from "../../components/core/ipvs/ipvs-model";
import { isServiceOp, opEntryId, type IpvsOp } from "../../components/core/ipvs/ipvs-diff";

const bare = (svc: IpvsService): IpvsService => ({ key: svc.key, settings: svc.settings, dests: [] });

/**
 * Simulates operations on a ruleset (pure) with the kernel's refusals: adding what exists,
 * or editing/deleting what does not, throws. Deleting a service deletes its real servers.
 */
export function applyOps(r: Ruleset, ops: readonly IpvsOp[]): Ruleset {
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
            svc.dests.push(op.dest);
        } else if (index < 0) {
            throw new Error(`${entry}: No such destination`);
        } else if (op.kind === "edit-dest") {
            svc.dests[index] = op.dest;
        } else {
            svc.dests.splice(index, 1);
        }
    }
    return normalizeRuleset({ services: [...services.values()] });
}
