/**
 * Seed 000 turned into a TUN cluster: rs1 receives one service per tunnel given, over the
 * family asked for, through the same parse and model the program uses.
 */
import { parseCluster } from "../../components/schema/cluster";
import { groupView, realServerModel, type RealServerModel } from "../../components/core/host/cluster-model";
import { clusterOf } from "./stacks";

export type TunnelInput = { type?: "ipip" | "gue" | "gre"; port?: number; checksum?: "nocsum" | "csum" | "remcsum" };

const V6 = { rs1: "2001:db8::21", rs2: "2001:db8::22", vip: "2001:db8::100" };

/** The stack config: web on one VIP, service tcp 80+i over tunnels[i] to rs1. */
export function tunCluster(tunnels: TunnelInput[], family: "inet" | "inet6" = "inet"): Record<string, any> {
    const c = clusterOf("seed-000");
    if (family === "inet6") {
        c.hosts.rs1.address = V6.rs1;
        c.hosts.rs2.address = V6.rs2;
        c.vipGroups[0].vips = [V6.vip];
    }
    c.vipGroups[0].services = tunnels.map((tunnel, i) => ({ protocol: "tcp", port: 80 + i, scheduler: "rr", realServers: [{ host: "rs1", forwarding: "tun", tunnel }] }));
    c.realServers = [{ host: "rs1", interface: "ens33" }];
    return c;
}

export function tunModel(tunnels: TunnelInput[], family: "inet" | "inet6" = "inet"): RealServerModel {
    const spec = parseCluster(tunCluster(tunnels, family));
    const web = groupView(spec.hosts, spec.vipGroups[0]);
    return realServerModel({ host: "rs1", address: spec.hosts.rs1.address, interface: "ens33", aliasStart: 0 }, [web]);
}
