/**
 * From the live table and the desired one to an ordered list of ipvsadm operations.
 *
 * Ownership rules (one owner per entry; never `ipvsadm -C`):
 * - an entry that is desired is created or edited to match, even when this stack did not
 *   create it (it is adopted; its id is reported in `adopted`);
 * - an entry that is neither desired nor owned is foreign and never touched;
 * - an owned entry that is no longer desired is removed: real servers are drained first
 *   (weight 0, other settings unchanged), then deleted. A service is deleted with `-D` (its
 *   real servers go with it) unless a foreign real server still sits under it: then the
 *   service stays, only the owned real servers are deleted, and a warning says so.
 * Edits use -E/-e so untouched entries keep their connections and counters.
 */
import { canonicalAddress } from "../../base/address";
import { destEntryId, destId, normalizeRuleset, serviceEntryId, serviceId, serviceKeyArgs } from "./ipvs-model";
import type { IpvsDest, IpvsService, Ruleset, ServiceKey } from "./ipvs-model";
import { destArgs, destKeyArgs, destSettingArgs, serviceArgs, serviceSettingArgs } from "./ipvs-render";

/** An operation on a virtual service; it carries the service without real servers. */
export interface ServiceOp {
    kind: "add-service" | "edit-service" | "delete-service";
    service: IpvsService;
}

/** An operation on a real server of a service. */
export interface DestOp {
    kind: "add-dest" | "edit-dest" | "delete-dest";
    service: ServiceKey;
    dest: IpvsDest;
}

/** One ipvsadm operation. */
export type IpvsOp = ServiceOp | DestOp;

/** True for -A/-E/-D operations. */
export function isServiceOp(op: IpvsOp): op is ServiceOp {
    return op.kind === "add-service" || op.kind === "edit-service" || op.kind === "delete-service";
}

/**
 * Operations in three phases, to run in order: `apply` (-A, -E, -a, -e), `drain` (-e with
 * weight 0 for real servers that leave; wait for their connections between the phases),
 * `remove` (-d, then -D). `adopted` lists entry ids that were live and desired but not owned.
 */
export interface Plan {
    apply: IpvsOp[];
    drain: IpvsOp[];
    remove: IpvsOp[];
    warnings: string[];
    adopted: string[];
}

/** Ids of the entries this stack created earlier (serviceId / destId forms). */
export interface OwnedIds {
    services: readonly string[];
    dests: readonly string[];
}

function sameService(a: IpvsService, b: IpvsService): boolean {
    return serviceSettingArgs(a.settings).join(" ") === serviceSettingArgs(b.settings).join(" ");
}

/** Planner options. */
export interface PlanOptions {
    /**
     * Addresses local to the director. The kernel gives a real server at such an address
     * "Local" forwarding whatever was asked (`-S` prints -g), so only its weight and thresholds
     * are compared; otherwise every plan would edit it again.
     */
    localAddresses?: readonly string[];
}

function sameDest(a: IpvsDest, b: IpvsDest, local: ReadonlySet<string>): boolean {
    if (local.has(a.key.address)) {
        const { weight, upperThreshold, lowerThreshold } = a.settings;
        return weight === b.settings.weight && upperThreshold === b.settings.upperThreshold && lowerThreshold === b.settings.lowerThreshold;
    }
    return destSettingArgs(a.settings).join(" ") === destSettingArgs(b.settings).join(" ");
}

function bare(svc: IpvsService): IpvsService {
    return { key: svc.key, settings: svc.settings, dests: [] };
}

/**
 * Throws on a desired table ipvsadm cannot produce: a direct-routing or tunnelling real
 * server of an address service on another port than the service's (ipvsadm would silently
 * use the service port, and every later plan would try again).
 */
export function checkDesired(r: Ruleset): void {
    for (const s of r.services) {
        if (s.key.kind !== "addr") continue;
        const port = s.key.port;
        const bad = s.dests.find((d) => d.settings.forwarding !== "nat" && d.key.port !== port);
        if (!bad) continue;
        const method = bad.settings.forwarding === "tun" ? "tunnelling" : "direct routing";
        throw new Error(`real server ${destId(s.key, bad.key)}: ${method} cannot remap ports; use port ${port} (the service port) or NAT forwarding`);
    }
}

/**
 * The minimal ordered operations that take `current` to `desired` under the ownership rules
 * in the module doc. Both rulesets are normalised first, so ops come in stable order.
 */
export function planChanges(current: Ruleset, desired: Ruleset, owned: OwnedIds, opts: PlanOptions = {}): Plan {
    const local = new Set((opts.localAddresses ?? []).map(canonicalAddress));
    const live = normalizeRuleset(current);
    const want = normalizeRuleset(desired);
    checkDesired(want);
    const ownedServices = new Set(owned.services);
    const ownedDests = new Set(owned.dests);
    const liveById = new Map(live.services.map((s) => [serviceId(s.key), s]));
    const wantIds = new Set(want.services.map((s) => serviceId(s.key)));
    const plan: Plan = { apply: [], drain: [], remove: [], warnings: [], adopted: [] };
    const addServices: IpvsOp[] = [];
    const editServices: IpvsOp[] = [];
    const addDests: IpvsOp[] = [];
    const editDests: IpvsOp[] = [];
    const deleteDests: IpvsOp[] = [];
    const deleteServices: IpvsOp[] = [];

    const drain = (key: ServiceKey, d: IpvsDest): void => {
        if (d.settings.weight !== 0) plan.drain.push({ kind: "edit-dest", service: key, dest: { key: d.key, settings: { ...d.settings, weight: 0 } } });
    };
    const leave = (key: ServiceKey, d: IpvsDest): void => {
        drain(key, d);
        deleteDests.push({ kind: "delete-dest", service: key, dest: d });
    };

    for (const w of want.services) {
        const id = serviceId(w.key);
        const l = liveById.get(id);
        if (!l) {
            addServices.push({ kind: "add-service", service: bare(w) });
            for (const d of w.dests) addDests.push({ kind: "add-dest", service: w.key, dest: d });
            continue;
        }
        if (!ownedServices.has(id)) plan.adopted.push(serviceEntryId(w.key));
        if (!sameService(w, l)) editServices.push({ kind: "edit-service", service: bare(w) });
        const liveDests = new Map(l.dests.map((d) => [destId(l.key, d.key), d]));
        const wantDests = new Set<string>();
        for (const d of w.dests) {
            const did = destId(w.key, d.key);
            wantDests.add(did);
            const ld = liveDests.get(did);
            if (!ld) {
                addDests.push({ kind: "add-dest", service: w.key, dest: d });
                continue;
            }
            if (!ownedDests.has(did)) plan.adopted.push(destEntryId(w.key, d.key));
            if (!sameDest(d, ld, local)) editDests.push({ kind: "edit-dest", service: w.key, dest: d });
        }
        for (const ld of l.dests) {
            const did = destId(l.key, ld.key);
            if (!wantDests.has(did) && ownedDests.has(did)) leave(l.key, ld);
        }
    }

    for (const l of live.services) {
        const id = serviceId(l.key);
        if (wantIds.has(id)) continue;
        const mine = l.dests.filter((d) => ownedDests.has(destId(l.key, d.key)));
        const foreign = l.dests.filter((d) => !ownedDests.has(destId(l.key, d.key)));
        if (ownedServices.has(id) && foreign.length === 0) {
            for (const d of mine) drain(l.key, d);
            deleteServices.push({ kind: "delete-service", service: bare(l) });
            continue;
        }
        if (ownedServices.has(id)) {
            const names = foreign.map((d) => destId(l.key, d.key)).join(", ");
            plan.warnings.push(
                `virtual service ${id} is no longer wanted but still holds real servers this stack does not own (${names}); ` +
                    `the service is left in place with only this stack's real servers removed. Delete it by hand once those are gone.`,
            );
        }
        for (const d of mine) leave(l.key, d);
    }

    plan.apply = [...addServices, ...editServices, ...addDests, ...editDests];
    plan.remove = [...deleteDests, ...deleteServices];
    return plan;
}

/** All operations of a plan in execution order (apply, drain, remove). */
export function allOps(plan: Plan): IpvsOp[] {
    return [...plan.apply, ...plan.drain, ...plan.remove];
}

/** The ipvsadm arguments (after the program name) that perform an operation. */
export function opArgs(op: IpvsOp): string[] {
    switch (op.kind) {
        case "add-service":
            return ["-A", ...serviceArgs(op.service)];
        case "edit-service":
            return ["-E", ...serviceArgs(op.service)];
        case "delete-service":
            return ["-D", ...serviceKeyArgs(op.service.key)];
        case "add-dest":
            return ["-a", ...destArgs(op.service, op.dest)];
        case "edit-dest":
            return ["-e", ...destArgs(op.service, op.dest)];
        case "delete-dest":
            return ["-d", ...destKeyArgs(op.service, op.dest)];
        default: {
            const never: never = op;
            return never;
        }
    }
}

/**
 * Operations as `ipvsadm -R` input, one line each in order: -R splits a line on whitespace and
 * runs it as one ipvsadm command, so a whole phase is one process and one exec instead of one
 * process per entry, with nothing on a command line. No argument can hold whitespace (the
 * schema refuses it), so none needs quoting; one that did would be split, hence the check.
 */
export function restoreStream(ops: readonly IpvsOp[]): string {
    return ops
        .map((op) => {
            const args = opArgs(op);
            const bad = args.find((a) => a === "" || /\s/.test(a));
            if (bad !== undefined) throw new Error(`ipvsadm -R cannot carry the argument ${JSON.stringify(bad)} of ${opEntryId(op)}: it would be split on whitespace`);
            return `${args.join(" ")}\n`;
        })
        .join("");
}

/** The entry id an operation touches ("-A <service id>" or "-a <dest id>"), for logs. */
export function opEntryId(op: IpvsOp): string {
    return isServiceOp(op) ? serviceEntryId(op.service.key) : destEntryId(op.service, op.dest.key);
}
