/** Clusters with fwmark marks, shared by the unit tests of the marks and the real-nft parity test. */
import { parseCluster } from "../../components/schema/cluster";
import { directorModel, groupView } from "../../components/core/host/cluster-model";
import { directorSteps } from "../../components/core/host/render-director";
import { clusterOf } from "./stacks";

type Cluster = Record<string, any>;

/** seed-000 (or another stack) whose first service is fwmark 1, persistent, over rs1 and rs2, marking `marks`. */
export function withMarks(marks: unknown, vips?: string[], stack = "seed-000"): Cluster {
    const c = clusterOf(stack);
    if (vips) c.vipGroups[0].vips = vips;
    const hc = stack === "seed-002" ? { healthCheck: { type: "tcp", connectPort: 80 } } : {};
    c.vipGroups[0].services[0] = { fwmark: 1, scheduler: "rr", persistence: { timeout: 300 }, marks, realServers: [{ host: "rs1" }, { host: "rs2" }], ...hc };
    return c;
}

export function director(c: Cluster) {
    const spec = parseCluster(c);
    const model = directorModel("director1", spec.hosts.director1.address, "ens33", 0, spec.vipGroups.map((g) => groupView(spec.hosts, g)));
    return { model, steps: directorSteps(model) };
}

export const CLASSIC = withMarks([{ protocol: "tcp", ports: [80, 443] }]);

export const MIXED = withMarks(
    [
        { protocol: "tcp", ports: [443, 80] },
        { protocol: "udp", ports: ["10000-10100", 53], vips: ["2001:db8::100"] },
        { protocol: "sctp", ports: [3868], vips: ["192.168.13.101", "192.168.13.100"] },
    ],
    ["192.168.13.101", "2001:db8::100", "192.168.13.100"],
);
