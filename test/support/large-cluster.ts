/**
 * A cluster of the size issue 12 measured (over 10,000 ipvs entries), as stack config before
 * parsing: `services` TCP services on one VIP, each balancing over the same `realServers`
 * addresses (servers the stack does not configure), served by an HA pair, so keepalived.conf
 * holds every virtual server and real server.
 */
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIReplaceWithTheHostsOwnKeyFromEtcSshHostEd25519KeyPub";

export interface LargeClusterSize {
    /** Services on the VIP (tcp ports 10000 upwards). */
    services: number;
    /** Real servers in every service's pool (10.1.0.1 upwards). */
    realServers: number;
}

/** ipvs entries the cluster yields: one per service plus one per real server in each pool. */
export const entryCount = (s: LargeClusterSize): number => s.services * (1 + s.realServers);

export function largeCluster(size: LargeClusterSize): Record<string, unknown> {
    const pool = Array.from({ length: size.realServers }, (_, i) => ({ address: `10.1.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}` }));
    const services = Array.from({ length: size.services }, (_, i) => ({
        protocol: "tcp",
        port: 10000 + i,
        scheduler: "wrr",
        realServers: pool,
    }));
    return {
        hosts: {
            director1: { address: "192.168.13.111", ssh: { hostKey: HOST_KEY } },
            director2: { address: "192.168.13.114", ssh: { hostKey: HOST_KEY } },
        },
        vipGroups: [{ name: "bulk", vips: ["192.168.13.100"], services }],
        haPairs: [
            {
                name: "bulk-ha",
                virtualRouterId: 51,
                nodes: [
                    { host: "director1", priority: 100 },
                    { host: "director2", priority: 90 },
                ],
                vipGroups: ["bulk"],
            },
        ],
    };
}
