/**
 * A validated cluster as the graph the picture draws: clients -> VIPs -> the Director or
 * HaPair that holds them -> the ipvs services they serve -> real servers, each service's edge
 * to a real server labelled with its forwarding method and weight. The services are the ones
 * the directors' tables hold (groupView's ruleset: one per VIP and port, a fwmark once per
 * family), so the picture shows what ipvsadm would list, not a paraphrase of the config.
 * Pure; node ids are identity keys, so the same cluster always gives the same graph.
 */
import type { ClusterSpec } from "../../schema/cluster";
import type { VipGroupSpec } from "../../schema/vip-group";
import type { HaPairSpec } from "../../schema/ha-pair";
import type { DirectorSpec } from "../../schema/director";
import { groupView } from "../host/cluster-model";
import type { MarkRule } from "../host/render-fwmark";
import { serviceId, type IpvsDest, type IpvsService, type ServiceSettings } from "../ipvs/ipvs-model";
import { familyLabel, familyOf, formatAddrPort } from "../../base/address";

export type PictureNodeKind = "clients" | "vip" | "director" | "haPair" | "haNode" | "service" | "realServer";

export interface PictureNode {
    /** Stable: built from what the node stands for (an address, a host, a service id). */
    id: string;
    kind: PictureNodeKind;
    /** The first line is the node's name and is set in bold. */
    lines: string[];
    /** Nodes drawn inside this one: an HaPair's two directors, master first. */
    children?: PictureNode[];
}

export interface PictureEdge {
    id: string;
    from: string;
    to: string;
    label?: string;
}

export interface PictureGraph {
    nodes: PictureNode[];
    edges: PictureEdge[];
}

/** Hosts whose address the stack does not give here (see cli/stack-file.ts): drawn by name, never by a stand-in address. */
export interface GraphOptions {
    unknownHosts?: ReadonlySet<string>;
}

const CLIENTS = "clients";
const UNKNOWN_ADDRESS = "address not known";

/** The picture's graph; nodes in the order the config names them, which ELK keeps where it can. `unknownHosts` default none. */
export function clusterGraph(spec: ClusterSpec, options: GraphOptions = {}): PictureGraph {
    const unknown = options.unknownHosts ?? new Set<string>();
    const nodes = new Map<string, PictureNode>();
    const edges = new Map<string, PictureEdge>();
    const addNode = (n: PictureNode) => nodes.get(n.id) ?? (nodes.set(n.id, n), n);
    const addEdge = (from: string, to: string, label?: string, key = `${from}->${to}`) => {
        if (!edges.has(key)) edges.set(key, label === undefined ? { id: key, from, to } : { id: key, from, to, label });
    };
    const hostAt = hostsByAddress(spec, unknown);
    const addressLine = (host: string) => (unknown.has(host) ? UNKNOWN_ADDRESS : spec.hosts[host].address);

    addNode({ id: CLIENTS, kind: "clients", lines: ["clients"] });
    const ownerOf = new Map(spec.vipGroups.map((g) => [g.name, ownerNode(spec, g.name, addressLine)]));
    const groupsOfVip = new Map<string, string[]>();
    const served = new Set<string>();
    for (const g of spec.vipGroups) {
        for (const vip of g.vips) groupsOfVip.set(vip, [...(groupsOfVip.get(vip) ?? []), g.name]);
        if (ownerOf.get(g.name)) g.vips.forEach((vip) => served.add(vip));
    }

    for (const group of spec.vipGroups) {
        const owner = ownerOf.get(group.name);
        if (owner) addNode(owner);
        for (const vip of group.vips) {
            const groups = groupsOfVip.get(vip) ?? [];
            const lines = [`VIP ${vip}`, `${groups.length > 1 ? "groups" : "group"} ${groups.join(", ")}`];
            // The schema lets a group wait for a director; the stack then sets none of it up.
            if (!served.has(vip)) lines.push("served by no director");
            addNode({ id: vipId(vip), kind: "vip", lines });
            addEdge(CLIENTS, vipId(vip));
            if (owner) addEdge(vipId(vip), owner.id);
        }
        const view = groupView(spec.hosts, group);
        for (const svc of view.ruleset.services) {
            const id = `service:${owner?.id ?? `group:${group.name}`}:${serviceId(svc.key)}`;
            addNode({ id, kind: "service", lines: serviceLines(svc, view.marks ?? []) });
            // A group no director serves still shows which VIPs its services would answer on.
            if (owner) addEdge(owner.id, id);
            else for (const vip of servedVips(group, svc)) addEdge(vipId(vip), id);
            for (const dest of svc.dests) {
                const rs = realServerNode(dest.key.address, hostAt);
                addNode(rs);
                addEdge(id, rs.id, destLabel(svc, dest), `${id}->${rs.id}:${dest.key.port}`);
            }
        }
    }
    return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

const vipId = (vip: string) => `vip:${vip}`;

function hostsByAddress(spec: ClusterSpec, unknown: ReadonlySet<string>): Map<string, { name: string; known: boolean }> {
    return new Map(Object.entries(spec.hosts).map(([name, h]) => [h.address, { name, known: !unknown.has(name) }]));
}

function ownerNode(spec: ClusterSpec, group: string, addressLine: (host: string) => string): PictureNode | undefined {
    const director = spec.directors.find((d) => d.vipGroups.includes(group));
    if (director) return directorNode(director, addressLine);
    const pair = spec.haPairs.find((p) => p.vipGroups.includes(group));
    return pair ? haPairNode(pair, addressLine) : undefined;
}

function directorNode(d: DirectorSpec, addressLine: (host: string) => string): PictureNode {
    const lines = [d.host, addressLine(d.host), `Director on ${d.interface}`];
    if (d.healthChecks) lines.push("keepalived health checks");
    return { id: `director:${d.host}`, kind: "director", lines };
}

/** VRRP makes the node of higher priority the master; the schema refuses equal priorities. */
function haPairNode(p: HaPairSpec, addressLine: (host: string) => string): PictureNode {
    const byPriority = [...p.nodes].sort((a, b) => b.priority - a.priority);
    const children = byPriority.map((n, i): PictureNode => {
        const lines = [n.host, addressLine(n.host), `${i === 0 ? "MASTER" : "BACKUP"}, priority ${n.priority}`, `VRRP on ${n.interface}`];
        if (n.maintenance) lines.push("in maintenance");
        return { id: `pair:${p.name}:node:${n.host}`, kind: "haNode", lines };
    });
    return { id: `pair:${p.name}`, kind: "haPair", lines: [`HaPair ${p.name}`, `virtual router ${p.virtualRouterId}`], children };
}

function serviceLines(svc: IpvsService, marks: MarkRule[]): string[] {
    const k = svc.key;
    if (k.kind === "addr") return [`${k.protocol} ${formatAddrPort(k.address, k.port)}`, ...settingLines(svc.settings)];
    const marked = marks.filter((m) => m.mark === k.mark && m.family === k.family);
    const markLines = marked.map((m) => `marks ${m.protocol} ${m.ports.map((r) => (r.lo === r.hi ? `${r.lo}` : `${r.lo}-${r.hi}`)).join(",")}`);
    return [`fwmark ${k.mark} (${familyLabel(k.family)})`, ...settingLines(svc.settings), ...markLines];
}

function settingLines(s: ServiceSettings): string[] {
    const lines = [`scheduler ${s.scheduler}${s.schedFlags.length > 0 ? ` (${s.schedFlags.join(", ")})` : ""}`];
    if (s.persistence) lines.push(`persistent ${s.persistence.timeout} s${s.persistence.netmask !== undefined ? `, mask ${s.persistence.netmask}` : ""}`);
    if (s.onePacket) lines.push("one-packet scheduling");
    return lines;
}

/** The VIPs a service answers on: its own address, or for a fwmark the group's VIPs of its family. */
function servedVips(group: VipGroupSpec, svc: IpvsService): string[] {
    const k = svc.key;
    return k.kind === "addr" ? [k.address] : group.vips.filter((v) => familyOf(v) === k.family);
}

function realServerNode(address: string, hostAt: Map<string, { name: string; known: boolean }>): PictureNode {
    const host = hostAt.get(address);
    const lines = host ? [host.name, host.known ? address : UNKNOWN_ADDRESS] : [address];
    return { id: `rs:${host && !host.known ? `host:${host.name}` : address}`, kind: "realServer", lines };
}

/** What travels on the edge: method (with its tunnel), weight, and whatever else the kernel is told per server. */
function destLabel(svc: IpvsService, dest: IpvsDest): string {
    const s = dest.settings;
    const t = s.tunnel;
    const method = s.forwarding === "tun" && t ? `tun ${t.type}${t.port !== undefined ? `:${t.port}` : ""}${t.checksum !== "nocsum" ? ` ${t.checksum}` : ""}` : s.forwarding;
    const parts = [method, `weight ${s.weight}`];
    const servicePort = svc.key.kind === "addr" ? svc.key.port : 0;
    if (dest.key.port !== servicePort) parts.push(`port ${dest.key.port}`);
    if (s.upperThreshold > 0) parts.push(`max ${s.upperThreshold} conns`);
    return parts.join(", ");
}
