/**
 * The bulk of bench:lab's director tables: services on four VIPs of the lab's subnet, each
 * over four real-server addresses that need not answer (nothing is sent through them). It
 * sizes the sized runs and gives the load runs a table as large as a real director's.
 */
export const BULK_VIPS = ["192.168.13.150", "192.168.13.151", "192.168.13.152", "192.168.13.153"];
/** Real-server addresses that need not answer (TEST-NET benchmark range, not in the lab). */
export const RIPS = ["198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.0.4"];

/** Services per bulk VIP for about `entries` entries in all (services and real servers), `besides` of them elsewhere. */
export const servicesFor = (entries: number, besides = 5) => Math.max(1, Math.round((entries - besides) / (BULK_VIPS.length * (1 + RIPS.length))));
/** Entries (services and real servers) of a bulk group of `services` ports per VIP. */
export const bulkEntries = (services: number) => BULK_VIPS.length * services * (1 + RIPS.length);

/** The VipGroup "bulk": `services` tcp ports from 10000 on every bulk VIP, rr, every RIP at weight 1. */
export function bulkGroup(services: number): Record<string, unknown> {
    const pool = RIPS.map((address) => ({ address, weight: 1 }));
    return { name: "bulk", vips: BULK_VIPS, services: Array.from({ length: services }, (_, i) => ({ protocol: "tcp", port: 10_000 + i, scheduler: "rr", realServers: pool })) };
}
