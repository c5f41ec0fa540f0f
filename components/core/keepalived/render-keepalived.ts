/**
 * keepalived.conf from the cluster model: global_defs, at most one vrrp_instance (HaPair) and
 * one virtual_server per ipvs service with its real servers and health checks. A Director
 * with healthChecks gets the same file without the vrrp_instance ("checks only").
 *
 * keepalived's defaults differ from ipvsadm's (forwarding NAT instead of DR, persistence 360 s
 * instead of 300 s), so every setting the Ruleset holds is written out explicitly: the table
 * keepalived builds must equal the entries IpvsTable shows in the preview. Pure; deterministic.
 */
import type { DestSettings, IpvsDest, IpvsService, Ruleset } from "../ipvs/ipvs-model";
import { normalizeRuleset, serviceFamily, serviceId } from "../ipvs/ipvs-model";
import type { ServiceChecks, VipAlias } from "../host/cluster-model";
import type { HealthCheckSpec } from "../../schema/health-check";
import { ConfigError } from "../../base/errors";
import { familyLabel, familyOf } from "../../base/address";
import { block, commentText, int, quoted, renderConf, timer, word, type ConfLine } from "./keepalived-syntax";

/** First line of every file we write; the host steps recognise their own file by it. */
export const KEEPALIVED_MARKER = "# Managed by pulumi-lvs";

/**
 * A node's maintenance switch: 1 puts its VRRP instance in fault state, 0 lets it take part.
 * keepalived watches the file, so a change needs no reload: a master in fault state sends a
 * priority-0 advert, and its peer takes over after its skew time, well under a second, instead
 * of the three missed adverts of a failure or the master-down interval that a lowered
 * priority costs (13 s in the lab with preempt_delay 10). The host steps write it.
 */
export const MAINTENANCE_FLAG = "/var/lib/pulumi-lvs/keepalived.maintenance";
const MAINTENANCE_TRACK = "pulumi_lvs_maintenance";

/** One VRRP instance as this node runs it. */
export interface VrrpInstance {
    /** Instance name (the HaPair's name). */
    name: string;
    /** MASTER only for the higher priority when preemption is immediate; keepalived needs BACKUP for nopreempt/preempt_delay. */
    state: "MASTER" | "BACKUP";
    interface: string;
    virtualRouterId: number;
    priority: number;
    /** Seconds between adverts. */
    advertInt: number;
    /** VRRP PASS authentication (1-8 characters). */
    password?: string;
    /** Unicast adverts from this node's address to the peer's, instead of multicast. */
    unicast?: { source: string; peer: string };
    nopreempt: boolean;
    preemptDelay?: number;
    /** Run the ipvs connection sync daemon on the instance's interface, master/backup following VRRP. */
    syncConnections: boolean;
    /** VIPs with their labels (IPv4 ens33:N, IPv6 none). */
    vips: VipAlias[];
}

export interface KeepalivedConfig {
    /** keepalived router_id (the host name). */
    routerId: string;
    /** Who the file belongs to, for the header and errors, e.g. "HaPair web-ha". */
    owner: string;
    /** Absent: checks-only mode (health checks and the ipvs table, no VRRP). */
    vrrp?: VrrpInstance;
    ruleset: Ruleset;
    /** Health checks, sorry servers and quorum keyed by serviceId. */
    checks: Readonly<Record<string, ServiceChecks>>;
}

/** The whole keepalived.conf; throws ConfigError for a service keepalived would reject or ignore. */
export function renderKeepalived(c: KeepalivedConfig): string {
    const services = normalizeRuleset(c.ruleset).services;
    const issues = services.flatMap((s) => serviceIssues(c.owner, s, c.checks[serviceId(s.key)] ?? {}));
    if (issues.length > 0) throw new ConfigError(issues);
    const lines: ConfLine[] = [globalDefs(c, services)];
    if (c.vrrp) {
        // Weight 0: any value but 0 is a fault, whatever the priority.
        lines.push(block(`track_file ${MAINTENANCE_TRACK}`, [`file ${quoted(MAINTENANCE_FLAG, "maintenance file")}`, "weight 0"]));
        lines.push(vrrpInstance(c.vrrp));
    }
    for (const s of services) lines.push(virtualServer(s, c.checks[serviceId(s.key)] ?? {}));
    const header = [
        // The owner is a resource name, which no schema constrains.
        `${KEEPALIVED_MARKER} ${commentText(`(${c.owner}, host ${word(c.routerId, "router_id")}).`)} Changes here are overwritten; destroy restores the previous file.`,
        ...(c.vrrp ? [] : ["# Checks only: no VRRP; the Director keeps its VIPs itself."]),
    ];
    // A blank line between top-level blocks, for the operator reading the file.
    return [...header, "", ...lines.map((l) => renderConf([l]))].join("\n");
}

function serviceIssues(owner: string, s: IpvsService, checks: ServiceChecks): string[] {
    const at = `${owner}: virtual service ${serviceId(s.key)}`;
    const issues: string[] = [];
    // keepalived drops such a service with only a warning, so the table would never match.
    if (s.dests.length === 0) issues.push(`${at} has no real servers; keepalived ignores a virtual_server without any. Fix: add real servers (of the VIP's address family), or serve it from a Director without keepalived.`);
    const total = s.dests.reduce((n, d) => n + d.settings.weight, 0);
    if (checks.quorum !== undefined && s.dests.length > 0 && checks.quorum > total) {
        issues.push(`${at}: quorum ${checks.quorum} exceeds the total weight of its real servers (${total}); keepalived -t refuses that. Fix: lower quorum or raise weights.`);
    }
    const family = serviceFamily(s.key);
    if (checks.sorryServer && familyOf(checks.sorryServer.address) !== family) {
        issues.push(`${at}: sorry server ${checks.sorryServer.address} is not ${familyLabel(family)} like the service; keepalived refuses mixed families. Fix: split the VIPs into groups per family.`);
    }
    const hc = checks.healthCheck;
    if (hc && hc.type !== "misc" && hc.connectPort === undefined && s.dests.some((d) => d.key.port === 0)) {
        issues.push(`${at}: a ${hc.type} check needs a port, but its real servers have none (fwmark or port 0). Fix: set healthCheck.connectPort.`);
    }
    return issues;
}

function globalDefs(c: KeepalivedConfig, services: IpvsService[]): ConfLine {
    const body: ConfLine[] = [`router_id ${word(c.routerId, "router_id")}`];
    if (c.vrrp) {
        body.push(
            "# No vrrp_strict: it installs firewall rules that drop traffic to the VIPs, which ipvs must receive.",
            // A second burst of gratuitous ARP/NA 1 s after taking over, for neighbours that missed the first.
            "vrrp_garp_master_delay 1",
            "vrrp_garp_master_repeat 3",
        );
        if (c.vrrp.syncConnections) body.push(`lvs_sync_daemon ${word(c.vrrp.interface, "interface")} ${word(c.vrrp.name, "vrrp_instance name")}`);
    }
    if (services.some((s) => c.checks[serviceId(s.key)]?.healthCheck?.type === "misc")) {
        // Misc checks run as root; with script security keepalived refuses scripts that non-root users could replace.
        body.push("enable_script_security", "script_user root");
    }
    return block("global_defs", body);
}

function vrrpInstance(v: VrrpInstance): ConfLine {
    const family = v.vips.some((a) => familyOf(a.address) === "inet") ? "inet" : "inet6";
    const vipLine = (a: VipAlias) => {
        const base = `${word(a.address, "VIP")}/${int(a.prefix, "VIP prefix")} dev ${word(a.device, "interface")}`;
        // A shared VIP must be usable at once after failover: no IPv6 duplicate address detection.
        return a.label !== undefined ? `${base} label ${word(a.label, "VIP label")}` : familyOf(a.address) === "inet6" ? `${base} -nodad` : base;
    };
    const body: ConfLine[] = [
        `state ${v.state}`,
        `interface ${word(v.interface, "interface")}`,
        `virtual_router_id ${int(v.virtualRouterId, "virtual_router_id")}`,
        `priority ${int(v.priority, "priority")}`,
        `advert_int ${timer(v.advertInt, "advert_int")}`,
    ];
    if (v.nopreempt) body.push("nopreempt");
    body.push(block("track_file", [MAINTENANCE_TRACK]));
    if (v.preemptDelay !== undefined) body.push(`preempt_delay ${int(v.preemptDelay, "preempt_delay")}`);
    if (v.password !== undefined) body.push(block("authentication", ["auth_type PASS", `auth_pass ${word(v.password, "authentication password")}`]));
    if (v.unicast) body.push(`unicast_src_ip ${word(v.unicast.source, "unicast source")}`, block("unicast_peer", [word(v.unicast.peer, "unicast peer")]));
    // keepalived wants one family in virtual_ipaddress; the other family rides along as "excluded" (not in adverts).
    const same = v.vips.filter((a) => familyOf(a.address) === family).map(vipLine);
    const other = v.vips.filter((a) => familyOf(a.address) !== family).map(vipLine);
    body.push(block("virtual_ipaddress", same));
    if (other.length > 0) body.push(block("virtual_ipaddress_excluded", other));
    return block(`vrrp_instance ${word(v.name, "vrrp_instance name")}`, body);
}

/** keepalived's lvs_method for a real server, tunnel type included. */
export function lvsMethod(d: DestSettings): string {
    switch (d.forwarding) {
        case "dr":
            return "DR";
        case "nat":
            return "NAT";
        case "tun": {
            const t = d.tunnel;
            if (!t || t.type === "ipip") return "TUN";
            const port = t.type === "gue" && t.port !== undefined ? ` port ${int(t.port, "tunnel port")}` : "";
            return `TUN type ${t.type}${port} ${t.checksum}`;
        }
    }
}

function virtualServer(s: IpvsService, checks: ServiceChecks): ConfLine {
    const k = s.key;
    const head = k.kind === "fwmark" ? `virtual_server fwmark ${int(k.mark, "fwmark")}` : `virtual_server ${word(k.address, "VIP")} ${int(k.port, "port")}`;
    const method = lvsMethod(s.dests[0].settings);
    const body: ConfLine[] = [`lvs_sched ${word(s.settings.scheduler, "scheduler")}`, ...s.settings.schedFlags.map((f) => word(f, "scheduler flag"))];
    if (s.settings.onePacket) body.push("ops");
    body.push(`lvs_method ${method}`);
    if (k.kind === "addr") body.push(`protocol ${k.protocol.toUpperCase()}`);
    // Before persistence_granularity: keepalived reads an IPv6 granularity as a prefix length only once it knows the family.
    else body.push(`ip_family ${k.family}`);
    const p = s.settings.persistence;
    if (p) {
        body.push(`persistence_timeout ${int(p.timeout, "persistence timeout")}`);
        if (p.netmask !== undefined) body.push(`persistence_granularity ${word(p.netmask, "persistence netmask")}`);
    }
    if (s.settings.pe) body.push(`persistence_engine ${word(s.settings.pe, "persistence engine")}`);
    if (checks.healthCheck) body.push(`delay_loop ${timer(checks.healthCheck.delayLoop, "delay_loop")}`);
    if (checks.quorum !== undefined) body.push(`quorum ${int(checks.quorum, "quorum")}`);
    if (checks.sorryServer) {
        const { address, port } = checks.sorryServer;
        // A fwmark service's sorry server has no port (keepalived refuses one there).
        body.push(`sorry_server ${word(address, "sorry server")}${port === undefined ? "" : ` ${int(port, "sorry server port")}`}`);
    }
    for (const d of s.dests) body.push(realServer(d, method, checks.healthCheck));
    return block(head, body);
}

function realServer(d: IpvsDest, serviceMethod: string, hc: HealthCheckSpec | undefined): ConfLine {
    const body: ConfLine[] = [`weight ${int(d.settings.weight, "weight")}`];
    const method = lvsMethod(d.settings);
    if (method !== serviceMethod) body.push(`lvs_method ${method}`);
    if (d.settings.upperThreshold !== 0) body.push(`uthreshold ${int(d.settings.upperThreshold, "upper threshold")}`);
    if (d.settings.lowerThreshold !== 0) body.push(`lthreshold ${int(d.settings.lowerThreshold, "lower threshold")}`);
    if (hc) body.push(checker(hc));
    return block(`real_server ${word(d.key.address, "real server")} ${int(d.key.port, "real server port")}`, body);
}

function checker(hc: HealthCheckSpec): ConfLine {
    const retry = [`retry ${int(hc.retry, "retry")}`, `delay_before_retry ${timer(hc.delayBeforeRetry, "delay_before_retry")}`];
    const target = [
        `connect_timeout ${timer(hc.connectTimeout, "connect_timeout")}`,
        ...retry,
        ...(hc.connectIp !== undefined ? [`connect_ip ${word(hc.connectIp, "connect_ip")}`] : []),
        ...(hc.connectPort !== undefined ? [`connect_port ${int(hc.connectPort, "connect_port")}`] : []),
    ];
    switch (hc.type) {
        case "tcp":
            return block("TCP_CHECK", target);
        case "http":
            return block("HTTP_GET", [block("url", [`path ${word(hc.path, "URL path")}`, `status_code ${int(hc.statusCode, "status code")}`]), ...target]);
        case "misc":
            // misc_timeout is whole seconds; round up so a fractional connectTimeout never shortens it.
            return block("MISC_CHECK", [`misc_path ${quoted(hc.command, "misc check command")}`, `misc_timeout ${int(Math.ceil(hc.connectTimeout), "misc_timeout")}`, ...retry]);
    }
}
