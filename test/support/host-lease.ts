/**
 * Leases on lab hosts, so that lab files whose hosts are disjoint run side by side and the
 * others wait their turn. A file declares what it changes or asserts whole (`leaseHosts(...)`
 * at its top); its beforeAll takes every lease, its afterAll gives them back. A lease is a
 * directory (mkdir is atomic) holding the owner's PID; one whose owner is gone is taken over.
 * Leases are taken in name order, so two files never hold one each and wait for the other's.
 */
import { afterAll, beforeAll } from "vitest";
import * as fs from "fs";
import * as path from "path";

const DIR = "/var/tmp/pulumi-lvs-lab.leases";
export const EVERY_HOST = ["director1", "director2", "rs1", "rs2", "rs3"] as const;
export type Leased = (typeof EVERY_HOST)[number];

function ownerAlive(lease: string): boolean {
    try {
        process.kill(Number(fs.readFileSync(path.join(lease, "pid"), "utf8")), 0);
        return true;
    } catch {
        return false;
    }
}

async function take(name: string): Promise<void> {
    const lease = path.join(DIR, name);
    const started = Date.now();
    for (;;) {
        try {
            fs.mkdirSync(lease);
            fs.writeFileSync(path.join(lease, "pid"), String(process.pid));
            return;
        } catch {
            // No live owner (or still no pid file a few seconds after the mkdir): stale.
            if (!ownerAlive(lease) && (fs.existsSync(path.join(lease, "pid")) || Date.now() - started > 5_000)) {
                fs.rmSync(lease, { recursive: true, force: true });
                continue;
            }
            await new Promise((r) => setTimeout(r, 500));
        }
    }
}

function give(name: string): void {
    const lease = path.join(DIR, name);
    try {
        if (Number(fs.readFileSync(path.join(lease, "pid"), "utf8")) === process.pid) fs.rmSync(lease, { recursive: true, force: true });
    } catch {
        // not ours, or already gone
    }
}

/** The file holds these hosts from its first hook to its last; prints how long it waited. */
export function leaseHosts(...hosts: Leased[]): void {
    const names = [...new Set(hosts)].sort();
    beforeAll(async () => {
        fs.mkdirSync(DIR, { recursive: true });
        const started = Date.now();
        for (const name of names) await take(name);
        const waited = (Date.now() - started) / 1000;
        if (waited >= 1) console.log(`[lease] waited ${waited.toFixed(0)} s for ${names.join(", ")}`);
    }, 1_800_000);
    afterAll(() => names.forEach(give));
}
