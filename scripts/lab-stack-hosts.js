#!/usr/bin/env node
// Turns the lab's .lab/hosts.json into the `hosts` a stack takes (cluster.hosts): each lab
// host's service address, reached over SSH through its loopback forward, with its host key
// pinned. Written to .lab/stack-hosts.json, which stacks/Pulumi.lab.yaml points at.
"use strict";
const fs = require("fs");
const path = require("path");

const repo = path.resolve(__dirname, "..");

/**
 * The lab's guests run under TCG emulation, about ten times slower than real hosts: measured,
 * one SSH handshake takes 0.6-1.0 s on an idle guest and 2.9-8.4 s when six start at once, and
 * a guest busy with test traffic can go past the default 5 s. Their stacks allow 15 s, as an
 * operator would for slow hosts; a host that is down still fails within it.
 */
const LAB_CONNECT_TIMEOUT_SECONDS = 15;

/** Cluster `hosts` from the lab's hosts.json document. */
function stackHosts(lab) {
    const hosts = {};
    for (const h of lab.hosts) {
        hosts[h.name] = {
            address: h.address,
            ssh: {
                host: h.forward ? h.forward.host : h.address,
                port: h.forward ? h.forward.port : h.port,
                user: h.user,
                hostKey: h.hostPublicKey,
                connectTimeoutSeconds: LAB_CONNECT_TIMEOUT_SECONDS,
            },
        };
    }
    return hosts;
}

function readLab() {
    const file = path.join(repo, ".lab", "hosts.json");
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run npm run lab:up first`);
    return JSON.parse(fs.readFileSync(file, "utf8"));
}

module.exports = { stackHosts, readLab, LAB_CONNECT_TIMEOUT_SECONDS };

if (require.main === module) {
    const lab = readLab();
    const out = path.join(repo, ".lab", "stack-hosts.json");
    fs.writeFileSync(out, JSON.stringify({ hosts: stackHosts(lab) }, null, 2) + "\n");
    console.log(`wrote ${path.relative(repo, out)} (${lab.hosts.length} hosts); private key: ${lab.privateKeyPath}`);
}
