/** Director: a host that serves VipGroups with its own ipvs table. */
import { z } from "zod";
import { interfaceName, objectName } from "./common";

/** How a leaving real server is drained unless told otherwise: up to 60 s, polled every 2 s. */
export const DEFAULT_DRAIN = { timeoutSeconds: 60, pollSeconds: 2 } as const;

export const drainSchema = z.strictObject({
    /** Longest wait, in seconds, for a leaving real server's active connections to reach 0. Default 60. */
    timeoutSeconds: z.number().int().min(0).max(86400).default(DEFAULT_DRAIN.timeoutSeconds),
    /** Seconds between connection-count polls. Default 2. */
    pollSeconds: z.number().int().min(1).max(600).default(DEFAULT_DRAIN.pollSeconds),
});

export const directorSchema = z.strictObject({
    /** A name from `hosts`. */
    host: objectName,
    /** The client-facing interface that carries the VIP aliases. Default ens33. */
    interface: interfaceName.default("ens33"),
    /** Alias numbers start here: VIPs go on ens33:N, ens33:N+1, ... Default 0. */
    aliasStart: z.number().int().min(0).max(99).default(0),
    vipGroups: z.array(objectName).min(1, "must name at least one VipGroup"),
    drain: drainSchema.default(() => ({ ...DEFAULT_DRAIN })),
    /** Run keepalived (no VRRP) to health-check real servers; needs healthCheck on services. Default false. */
    healthChecks: z.boolean().default(false),
});

/** A Director's own settings, without the names the cluster resolves (its host and VipGroups). */
export const directorSettingsSchema = directorSchema.omit({ host: true, vipGroups: true });

export type DirectorSpec = z.infer<typeof directorSchema>;
export type DirectorSettings = z.infer<typeof directorSettingsSchema>;
export type DrainSpec = z.infer<typeof drainSchema>;
/** What a user writes (zod's input type): defaults optional, unions and literals kept; a misspelled field or a wrong type fails tsc. */
export type DirectorSpecInput = z.input<typeof directorSchema>;
export type DirectorSettingsInput = z.input<typeof directorSettingsSchema>;
export type DrainSpecInput = z.input<typeof drainSchema>;
