/**
 * Leases on lab hosts, so that lab files whose hosts are disjoint run side by side and the
 * others wait their turn. A file declares what it changes or asserts whole (`leaseHosts(...)`
 * at its top); its beforeAll takes every lease, its afterAll gives them back. A lease is a
 * pid-lock.ts lock, so one whose owner is gone is taken over.
 * Leases are taken in name order, so two files never hold one each and wait for the other's.
 */
import { afterAll, beforeAll } from "vitest";
import * as fs from "fs";
import * as path from "path";
import { givePidLock, takePidLock } from "./pid-lock";

const DIR = "/var/tmp/pulumi-lvs-lab.leases";
export const EVERY_HOST = ["director1", "director2", "rs1", "rs2", "rs3"] as const;
export type Leased = (typeof EVERY_HOST)[number];

/** The file holds these hosts from its first hook to its last; prints how long it waited. */
export function leaseHosts(...hosts: Leased[]): void {
    const names = [...new Set(hosts)].sort();
    beforeAll(async () => {
        fs.mkdirSync(DIR, { recursive: true });
        const started = Date.now();
        for (const name of names) await takePidLock(path.join(DIR, name), 500);
        const waited = (Date.now() - started) / 1000;
        if (waited >= 1) console.log(`[lease] waited ${waited.toFixed(0)} s for ${names.join(", ")}`);
    }, 1_800_000);
    afterAll(() => names.forEach((name) => givePidLock(path.join(DIR, name))));
}
