#!/usr/bin/env node
// Turns the lab's .lab/hosts.json into the `hosts` a stack takes (cluster.hosts): each lab
// host's service address, reached over SSH through its loopback forward, with its host key
// pinned. Written to .lab/stack-hosts.json, which stacks/Pulumi.lab.yaml points at.
"use strict";
const fs = require("fs");
const path = require("path");

const repo = path.resolve(__dirname, "..");

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

module.exports = { stackHosts, readLab };

if (require.main === module) {
    const lab = readLab();
    const out = path.join(repo, ".lab", "stack-hosts.json");
    fs.writeFileSync(out, JSON.stringify({ hosts: stackHosts(lab) }, null, 2) + "\n");
    console.log(`wrote ${path.relative(repo, out)} (${lab.hosts.length} hosts); private key: ${lab.privateKeyPath}`);
}
