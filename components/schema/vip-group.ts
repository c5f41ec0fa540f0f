/**
 * VipGroup: virtual IPs with their virtual services and real-server pools. Everything here is
 * checked against the rules ipvsadm and the kernel enforce, so a bad pool is refused at parse
 * time instead of half-applied on a director.
 */
import { z } from "zod";
import { ipAddress, objectName, port, printable } from "./common";
import { healthCheckSchema } from "./health-check";
import { checkGroupMarks, markSchema } from "./marks";
import { familyOf, unusableAsVip } from "../base/address";
import { ipv4PrefixOf } from "../base/netmask";

export const SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

/** Scheduler flags (-b) that each scheduler understands; the rest take none. */
export const SCHEDULER_FLAGS: Partial<Record<Scheduler, readonly string[]>> = {
    sh: ["sh-fallback", "sh-port"],
    mh: ["mh-fallback", "mh-port"],
};

const INT_MAX = 2147483647;

export const tunnelSchema = z.strictObject({
    /** Default ipip. */
    type: z.enum(["ipip", "gue", "gre"]).default("ipip"),
    /** UDP port of the GUE tunnel; required for gue. */
    port: port.optional(),
    /** Default nocsum, as ipvsadm. */
    checksum: z.enum(["nocsum", "csum", "remcsum"]).default("nocsum"),
});

export const realServerRefSchema = z.strictObject({
    /** A host from `hosts` (its address is used) ... */
    host: objectName.optional(),
    /** ... or a literal address for a server the stack does not configure. */
    address: ipAddress.optional(),
    /** Defaults to the service port. DR and TUN cannot remap ports. */
    port: z.number().int().min(0).max(65535).optional(),
    /** 0..65535, default 1; 0 quiesces the server (no new connections). */
    weight: z.number().int("must be a whole number").min(0, "must be 0..65535").max(65535, "must be 0..65535").default(1),
    /** Connection upper threshold (-x); 0 = none. */
    upperThreshold: z.number().int().min(0, `must be 0..${INT_MAX}`).max(INT_MAX, `must be 0..${INT_MAX}`).default(0),
    /** Connection lower threshold (-y); 0 = none. */
    lowerThreshold: z.number().int().min(0, `must be 0..${INT_MAX}`).max(INT_MAX, `must be 0..${INT_MAX}`).default(0),
    /** dr (default, as ipvsadm), nat or tun. */
    forwarding: z.enum(["dr", "nat", "tun"]).default("dr"),
    tunnel: tunnelSchema.optional(),
});

/** ipvsadm and keepalived refuse a persistence timeout above 31 days. */
const MAX_PERSISTENCE_SECONDS = 2678400;
const PERSISTENCE_RANGE = `must be 1..${MAX_PERSISTENCE_SECONDS} seconds (31 days at most: ipvsadm and keepalived refuse longer). Fix: use a whole number of seconds in that range.`;

const persistenceSchema = z.strictObject({
    /** Seconds, default 300 (ipvsadm's default). */
    timeout: z.number().int(PERSISTENCE_RANGE).min(1, PERSISTENCE_RANGE).max(MAX_PERSISTENCE_SECONDS, PERSISTENCE_RANGE).default(300),
    /** Client grouping: IPv4 netmask (255.255.255.0) or IPv6 prefix length (64). Default a single client. */
    netmask: z.union([z.string(), z.number().int().min(1).max(128)]).optional(),
});

export const serviceSchema = z.strictObject({
    /** tcp, udp or sctp, with `port`; or omit both and give `fwmark`. */
    protocol: z.enum(["tcp", "udp", "sctp"]).optional(),
    /** 0 (all ports) only with persistence. */
    port: z.number().int().min(0, "must be 0..65535").max(65535, "must be 0..65535").optional(),
    /** Firewall mark service (-f), 1..4294967295. */
    fwmark: z.number().int().min(1).max(4294967295).optional(),
    /** fwmark services only: the packets the director marks for this service. Default none (marked elsewhere). */
    marks: z.array(markSchema).min(1, "must list at least one mark. Fix: add one, or remove marks.").optional(),
    /** Default wlc, as ipvsadm. */
    scheduler: z.enum(SCHEDULERS).default("wlc"),
    schedulerFlags: z.array(z.string()).default([]),
    persistence: persistenceSchema.optional(),
    /** One-packet scheduling (-o), for UDP. */
    onePacket: z.boolean().default(false),
    realServers: z.array(realServerRefSchema).default([]),
    /** keepalived checks; used where keepalived runs (HaPair, or a Director with healthChecks on). */
    healthCheck: healthCheckSchema.optional(),
    /** Served when no real server is healthy (keepalived sorry_server). */
    sorryServer: z.strictObject({ address: ipAddress, port: port.optional() }).optional(),
    /** Minimum total weight of healthy servers to keep the service up (keepalived quorum). */
    quorum: z.number().int().min(1).max(INT_MAX).optional(),
});

export const vipGroupSchema = z
    .strictObject({
        name: objectName,
        /** One or more virtual IPs, IPv4 and/or IPv6. */
        vips: z.array(ipAddress).min(1, "must list at least one VIP"),
        services: z.array(serviceSchema).min(1, "must list at least one service"),
    })
    .superRefine((group, ctx) => {
        const vipSeen = new Set<string>();
        group.vips.forEach((vip, i) => {
            if (vipSeen.has(vip)) ctx.addIssue({ code: "custom", path: ["vips", i], message: `VIP ${vip} is listed twice. Fix: remove the duplicate.` });
            const unusable = unusableAsVip(vip);
            if (unusable) ctx.addIssue({ code: "custom", path: ["vips", i], message: `${vip} is ${unusable}, which clients cannot reach as a virtual service. Fix: use a unicast address on the client-facing network.` });
            vipSeen.add(vip);
        });
        const serviceSeen = new Map<string, number>();
        group.services.forEach((svc, i) => {
            const id = checkService(svc, ctx, ["services", i]);
            if (id === undefined) return;
            const first = serviceSeen.get(id);
            if (first !== undefined) {
                ctx.addIssue({ code: "custom", path: ["services", i], message: `duplicates services[${first}] (${id}). Fix: merge the two into one service.` });
            } else serviceSeen.set(id, i);
        });
        checkGroupMarks(group, ctx);
    });

type ParsedService = z.infer<typeof serviceSchema>;
type Path = (string | number)[];

/** Checks one service; returns its identity for duplicate detection, or undefined when malformed. */
function checkService(svc: ParsedService, ctx: z.RefinementCtx, path: Path): string | undefined {
    const issue = (sub: Path, message: string) => ctx.addIssue({ code: "custom", path: [...path, ...sub], message });
    let id: string | undefined;
    if (svc.fwmark !== undefined) {
        if (svc.protocol !== undefined || svc.port !== undefined) issue(["fwmark"], "a fwmark service takes no protocol or port. Fix: remove protocol/port, or remove fwmark.");
        else id = `fwmark ${svc.fwmark}`;
    } else if (svc.protocol === undefined || svc.port === undefined) {
        issue(svc.protocol === undefined ? ["protocol"] : ["port"], "is required: a service is a protocol and port or a fwmark. Fix: give protocol and port (e.g. tcp 80), or a fwmark.");
    } else {
        id = `${svc.protocol} ${svc.port}`;
        if (svc.port === 0 && !svc.persistence) issue(["port"], "port 0 (all ports) is only allowed with persistence. Fix: set a port, or add persistence.");
    }
    const allowed = SCHEDULER_FLAGS[svc.scheduler] ?? [];
    svc.schedulerFlags.forEach((flag, i) => {
        if (!allowed.includes(flag)) {
            const hint = allowed.length ? `use one of ${allowed.join(", ")}` : `the ${svc.scheduler} scheduler takes no flags; remove it`;
            issue(["schedulerFlags", i], `"${printable(flag)}" is not a flag of scheduler ${svc.scheduler}. Fix: ${hint}.`);
        }
    });
    if (new Set(svc.schedulerFlags).size !== svc.schedulerFlags.length) issue(["schedulerFlags"], "lists a flag twice. Fix: remove the duplicate.");
    if (svc.onePacket && svc.protocol !== undefined && svc.protocol !== "udp") issue(["onePacket"], "one-packet scheduling only applies to UDP services. Fix: remove onePacket or use protocol udp.");
    const netmask = svc.persistence?.netmask;
    if (netmask !== undefined && typeof netmask === "string" && ipv4PrefixOf(netmask) === undefined) {
        issue(["persistence", "netmask"], `"${printable(netmask)}" is not a contiguous IPv4 netmask. Fix: use e.g. 255.255.255.0, or a prefix length for IPv6.`);
    }
    if (svc.sorryServer) {
        // keepalived takes a sorry server's port for an address service and refuses one for a fwmark service.
        if (svc.fwmark !== undefined && svc.sorryServer.port !== undefined) issue(["sorryServer", "port"], "does not apply to a fwmark service: keepalived refuses a port there (the mark carries the ports). Fix: remove it.");
        if (svc.fwmark === undefined && svc.sorryServer.port === undefined) issue(["sorryServer", "port"], "is required for a service with a port (keepalived's sorry_server takes address and port). Fix: add the port the sorry server listens on.");
        // The sorry server forwards like the service (its first real server's method); only NAT can remap a port.
        const method = svc.realServers[0]?.forwarding ?? "dr";
        const sorryPort = svc.sorryServer.port;
        if (svc.fwmark === undefined && sorryPort !== undefined && svc.port !== undefined && svc.port !== 0 && method !== "nat" && sorryPort !== svc.port) {
            issue(["sorryServer", "port"], `${sorryPort} differs from the service port ${svc.port}: with ${method.toUpperCase()} forwarding keepalived resets it to ${svc.port}. Fix: use port ${svc.port}, or NAT forwarding for the service.`);
        }
    }
    checkRealServers(svc, ctx, path);
    return id;
}

function checkRealServers(svc: ParsedService, ctx: z.RefinementCtx, path: Path): void {
    const seen = new Map<string, number>();
    svc.realServers.forEach((rs, i) => {
        const at = [...path, "realServers", i];
        const issue = (sub: Path, message: string) => ctx.addIssue({ code: "custom", path: [...at, ...sub], message });
        if ((rs.host === undefined) === (rs.address === undefined)) {
            issue([], "names no real server, or two. Fix: give exactly one of host (a name from hosts) or address.");
            return;
        }
        const servicePort = svc.fwmark !== undefined ? 0 : svc.port;
        if (rs.forwarding !== "nat" && rs.port !== undefined && servicePort !== undefined && servicePort !== 0 && rs.port !== servicePort) {
            issue(["port"], `${rs.forwarding.toUpperCase()} cannot remap ports: the service listens on ${servicePort} but this real server is set to ${rs.port}. Fix: use port ${servicePort}, or forwarding nat.`);
        }
        if (rs.tunnel && rs.forwarding !== "tun") issue(["tunnel"], "tunnel settings only apply with forwarding tun. Fix: remove tunnel or set forwarding: tun.");
        if (rs.tunnel?.type === "gue" && rs.tunnel.port === undefined) issue(["tunnel", "port"], "is required for a gue tunnel: it is the UDP port the real server receives GUE on. Fix: set tunnel.port, e.g. 5555.");
        if (rs.tunnel && rs.tunnel.type !== "gue" && rs.tunnel.port !== undefined) issue(["tunnel", "port"], "only applies to gue tunnels. Fix: remove it.");
        if (rs.tunnel?.type === "gre" && rs.tunnel.checksum === "remcsum") issue(["tunnel", "checksum"], "remcsum only applies to gue tunnels. Fix: use nocsum or csum.");
        // The kernel refuses a lower threshold above the upper one, and 0 (none) counts as 0 there.
        if (rs.lowerThreshold > 0 && rs.upperThreshold === 0) {
            issue(["lowerThreshold"], `needs an upperThreshold: the kernel refuses a lower threshold without one ("Numerical result out of range"). Fix: set upperThreshold to at least ${rs.lowerThreshold}, or remove lowerThreshold.`);
        } else if (rs.lowerThreshold > rs.upperThreshold) {
            issue(["lowerThreshold"], `must not exceed upperThreshold (${rs.upperThreshold}): the kernel refuses it. Fix: lower it, or raise upperThreshold.`);
        }
        const key = `${rs.host ?? rs.address}:${rs.port ?? servicePort}`;
        const first = seen.get(key);
        if (first !== undefined) issue([], `the same real server (${key}) is listed twice in this service (first at realServers[${first}]). Fix: remove one; change its weight instead.`);
        else seen.set(key, i);
    });
}

export type VipGroupSpec = z.infer<typeof vipGroupSchema>;
export type ServiceSpec = z.infer<typeof serviceSchema>;
export type RealServerRefSpec = z.infer<typeof realServerRefSchema>;
/** What a user writes (zod's input type): defaults optional, unions and literals kept; a misspelled field or a wrong type fails tsc. */
export type VipGroupSpecInput = z.input<typeof vipGroupSchema>;
export type ServiceSpecInput = z.input<typeof serviceSchema>;
export type RealServerRefSpecInput = z.input<typeof realServerRefSchema>;

/** IPv6 persistence netmask must be a prefix length, IPv4 a dotted mask; checked where the VIP family is known. */
export function persistenceNetmaskFits(netmask: string | number, vip: string): boolean {
    return familyOf(vip) === "inet6" ? typeof netmask === "number" : typeof netmask === "string";
}

/**
 * A VipGroup used as a library: the addresses of the hosts its pools name by `host:`. Other
 * keys are let through (a cluster's whole host specs, with their ssh settings, serve as a book).
 */
export const addressBookSchema = z.record(objectName, z.object({ address: ipAddress }));

/**
 * Pool members named by `host:` that the group's address book lacks, as issue lines under
 * `root` (parseCluster checks the same against the cluster's hosts).
 */
export function unknownHostIssues(spec: VipGroupSpec, book: Readonly<Record<string, unknown>>, root: string): string[] {
    const known = Object.keys(book);
    return spec.services.flatMap((svc, i) =>
        svc.realServers.flatMap((rs, j) =>
            rs.host !== undefined && !Object.hasOwn(book, rs.host)
                ? [`${root}.services[${i}].realServers[${j}].host: names host "${printable(rs.host)}", which is not in hosts (${known.join(", ") || "none given"}). Fix: add it to the VipGroup's hosts with its address, or give its address instead.`]
                : [],
        ),
    );
}
