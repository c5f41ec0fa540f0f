#!/usr/bin/env node
// Benchmarks the pure core on a large table: parse `ipvsadm -S -n` output, build the
// entries map, and plan a change touching 10% of the real servers. Prints its figures.
// Usage: npm run build && node bench/plan.js [services=1000] [destsPerService=20]
"use strict";
const path = require("path");
const core = (m) => require(path.join(__dirname, "..", "bin", "components", "core", "ipvs", m));
const { parseSave } = core("ipvs-parse");
// For this table (no thresholds, no fwmarks) the -R text is exactly what `ipvsadm -S -n` prints.
const { renderRestore } = core("ipvs-render");
const { toEntries, fromEntries } = core("ipvs-entries");
const { planChanges, allOps } = core("ipvs-diff");

const services = Number(process.argv[2] || 1000);
const dests = Number(process.argv[3] || 20);

function table(weightOf) {
    const out = [];
    for (let s = 0; s < services; s++) {
        const vip = `10.${(s >> 8) & 255}.${s & 255}.1`;
        const ds = [];
        for (let d = 0; d < dests; d++) {
            ds.push({ key: { address: `172.16.${d}.${(s % 250) + 1}`, port: 80 }, settings: { forwarding: "dr", weight: weightOf(s, d), upperThreshold: 0, lowerThreshold: 0 } });
        }
        out.push({ key: { kind: "addr", protocol: "tcp", address: vip, port: 80 }, settings: { scheduler: "wlc", schedFlags: [], onePacket: false }, dests: ds });
    }
    return { services: out };
}

function timed(label, fn) {
    const t0 = process.hrtime.bigint();
    const result = fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`${label.padEnd(34)} ${ms.toFixed(1).padStart(9)} ms`);
    return result;
}

const before = process.memoryUsage().heapUsed;
const live = table(() => 1);
const desired = table((s, d) => (d % 10 === 0 ? 2 : 1));
const text = renderRestore(live);
console.log(`table: ${services} services x ${dests} real servers = ${services * (dests + 1)} entries, ${(text.length / 1024).toFixed(0)} KiB of -S output`);
const parsed = timed("parseSave", () => parseSave(text));
const entries = timed("toEntries (desired)", () => toEntries(desired));
timed("fromEntries (desired)", () => fromEntries(entries));
const owned = { services: [], dests: [] };
const plan = timed("planChanges (10% weights changed)", () => planChanges(parsed, desired, owned));
const heapMiB = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
console.log(`operations planned: ${allOps(plan).length}`);
console.log(`heap growth: ${heapMiB.toFixed(1)} MiB; rss: ${(process.memoryUsage().rss / 1024 / 1024).toFixed(1)} MiB`);
