#!/usr/bin/env node
// The suite's closing table, and the guard that compares a run with docs/testing.md.
//   node scripts/test-times.js table              where this run's time went (from .test-times/)
//   node scripts/test-times.js markdown           the same as the docs' markdown rows
//   node scripts/test-times.js grew [DOC]         files slower than the doc's current table
// Plain JavaScript with no dependencies: .ci/run calls it after a failed run too.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const timesDir = path.join(root, ".test-times");
// A file "grew" when it takes this much longer than the docs say, both as a ratio and in
// seconds: TCG guests make single runs vary by about a fifth, and short files by seconds.
const GREW_RATIO = 1.25;
const GREW_SECONDS = 30;

function readJson(file, fallback) {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch {
        return fallback;
    }
}

function tiers() {
    let text = "";
    try {
        text = fs.readFileSync(path.join(timesDir, "tiers.txt"), "utf8");
    } catch {
        return [];
    }
    return text
        .split("\n")
        .filter(Boolean)
        .map((line) => {
            const [name, ms, rc] = line.split(" ");
            return { name, seconds: Number(ms) / 1000, rc: Number(rc) };
        });
}

function files() {
    return ["lab", "e2e"].flatMap((tier) => readJson(path.join(timesDir, `${tier}.json`), []).map((t) => ({ tier, ...t })));
}

const secs = (s) => s.toFixed(0).padStart(6);

function printTable() {
    const ts = tiers();
    const fs_ = files();
    if (ts.length === 0 && fs_.length === 0) return;
    console.log("\n== where the time went (wall-clock seconds)");
    console.log("tier        seconds  result");
    for (const t of ts) console.log(`${t.name.padEnd(10)} ${secs(t.seconds)}  ${t.rc === 0 ? "passed" : `failed (exit ${t.rc})`}`);
    console.log(`${"total".padEnd(10)} ${secs(ts.reduce((a, t) => a + t.seconds, 0))}`);
    for (const tier of ["lab", "e2e"]) {
        const rows = fs_.filter((f) => f.tier === tier).sort((a, b) => b.seconds - a.seconds);
        if (rows.length === 0) continue;
        console.log(`\n${tier} files (slowest first; files that run side by side overlap)`);
        for (const r of rows) console.log(`${secs(r.seconds)}  ${r.file}  ${r.tests} tests${r.failed ? `, ${r.failed} FAILED` : ""}`);
    }
}

function printMarkdown() {
    console.log("| tier | file | seconds | tests |");
    console.log("|---|---|---:|---:|");
    for (const t of tiers()) console.log(`| ${t.name} | (whole tier) | ${t.seconds.toFixed(0)} | |`);
    for (const f of files()) console.log(`| ${f.tier} | ${f.file} | ${f.seconds.toFixed(0)} | ${f.tests} |`);
}

/** The rows between <!-- test-times:current --> and <!-- /test-times:current --> in the doc. */
function documented(doc) {
    const text = fs.readFileSync(doc, "utf8");
    const block = /<!-- test-times:current -->([\s\S]*?)<!-- \/test-times:current -->/.exec(text);
    if (!block) throw new Error(`${doc}: no <!-- test-times:current --> block`);
    const rows = new Map();
    for (const line of block[1].split("\n")) {
        const cells = line.split("|").map((c) => c.trim());
        if (cells.length < 5 || !/^\d/.test(cells[3])) continue;
        rows.set(`${cells[1]} ${cells[2]}`, Number(cells[3]));
    }
    return rows;
}

function printGrew(doc) {
    const before = documented(doc);
    const grew = [];
    const now = [...tiers().map((t) => ({ key: `${t.name} (whole tier)`, seconds: t.seconds })), ...files().map((f) => ({ key: `${f.tier} ${f.file}`, seconds: f.seconds }))];
    for (const { key, seconds } of now) {
        const was = before.get(key);
        if (was === undefined) grew.push(`${key}: ${seconds.toFixed(0)} s, new (not in ${path.relative(root, doc)})`);
        else if (seconds > was * GREW_RATIO && seconds - was > GREW_SECONDS) grew.push(`${key}: ${seconds.toFixed(0)} s, was ${was} s`);
    }
    if (grew.length === 0) console.log(`test-times: no file grew past ${GREW_RATIO}x and ${GREW_SECONDS} s of ${path.relative(root, doc)}`);
    else {
        console.log(`test-times: grew since ${path.relative(root, doc)}:`);
        for (const g of grew) console.log(`  ${g}`);
    }
}

const [command, arg] = process.argv.slice(2);
if (command === "table") printTable();
else if (command === "markdown") printMarkdown();
else if (command === "grew") printGrew(arg ?? path.join(root, "docs", "testing.md"));
else {
    console.error("usage: node scripts/test-times.js table | markdown | grew [DOC]");
    process.exit(2);
}
