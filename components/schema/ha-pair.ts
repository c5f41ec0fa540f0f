/** HaPair: two directors under keepalived VRRP, holding the VIPs of their VipGroups. */
import { z } from "zod";
import { interfaceName, objectName } from "./common";
import { DEFAULT_DRAIN, drainSchema } from "./director";

const nodeSchema = z.strictObject({
    /** A name from `hosts`. */
    host: objectName,
    /** 1..254; the higher one is MASTER. */
    priority: z.number().int().min(1, "must be 1..254").max(254, "must be 1..254"),
    /** VRRP and VIP interface. Default ens33. */
    interface: interfaceName.default("ens33"),
    /** Planned maintenance: the node gives up the VIPs (VRRP fault state) and takes no part until this is off again. Default false. */
    maintenance: z.boolean().default(false),
});

export const haPairSchema = z
    .strictObject({
        name: objectName,
        nodes: z.tuple([nodeSchema, nodeSchema]),
        /** VRRP router id 1..255, unique on the segment. */
        virtualRouterId: z.number().int().min(1, "must be 1..255").max(255, "must be 1..255"),
        /** Seconds between adverts. Default 1. */
        advertInt: z.number().int().min(1).max(255).default(1),
        /** VRRP PASS authentication (not RFC 3768 compliant; prefer none on trusted segments). */
        authentication: z.strictObject({ password: z.string().regex(/^[A-Za-z0-9_.-]{1,8}$/, "must be 1-8 letters, digits, '_', '.' or '-'") }).optional(),
        /** Unicast VRRP to the peer's address (networks without multicast). Default false. */
        unicast: z.boolean().default(false),
        /** The recovered master does not take the VIPs back. Default false. */
        nopreempt: z.boolean().default(false),
        /** Seconds a recovered master waits before taking over; with syncConnections, 10 or more lets it learn the backup's connections first (failback keeps them). */
        preemptDelay: z.number().int().min(0).max(1000).optional(),
        /** Sync connection state between the pair (ipvs sync daemon). Default true. */
        syncConnections: z.boolean().default(true),
        /** How a real server removed from the pair's pool is drained before keepalived's reload deletes it. Default 60 s, polled every 2 s. */
        drain: drainSchema.default(() => ({ ...DEFAULT_DRAIN })),
        vipGroups: z.array(objectName).min(1, "must name at least one VipGroup"),
        /** Alias numbers start here (ens33:N). Default 0. */
        aliasStart: z.number().int().min(0).max(99).default(0),
    })
    .superRefine((pair, ctx) => {
        const [a, b] = pair.nodes;
        if (a.priority === b.priority) {
            ctx.addIssue({ code: "custom", path: ["nodes", 1, "priority"], message: `equals nodes[0].priority (${a.priority}); VRRP needs distinct priorities to pick a master. Fix: give the backup a lower priority.` });
        }
        if (a.maintenance && b.maintenance) {
            ctx.addIssue({ code: "custom", path: ["nodes", 1, "maintenance"], message: "is set on both nodes, which would leave the VIPs with no node to hold them. Fix: take one node out of maintenance first." });
        }
        if (a.host === b.host) ctx.addIssue({ code: "custom", path: ["nodes", 1, "host"], message: "is the same host as nodes[0]. Fix: name two different directors." });
        if (pair.nopreempt && pair.preemptDelay !== undefined) ctx.addIssue({ code: "custom", path: ["preemptDelay"], message: "has no effect with nopreempt. Fix: remove one of them." });
    });

export type HaPairSpec = z.infer<typeof haPairSchema>;
/** What a user writes (zod's input type): defaults optional, unions and literals kept; a misspelled field or a wrong type fails tsc. */
export type HaPairSpecInput = z.input<typeof haPairSchema>;
export type HaNodeSpecInput = HaPairSpecInput["nodes"][number];
