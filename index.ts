/**
 * The program: stack config -> schema parse -> components -> outputs. Invalid config ends the
 * program with one error naming each bad field before any resource is registered, so no host
 * is touched.
 *
 * Config (namespace pulumi-lvs):
 *   cluster            the cluster spec (see README, "Config reference")
 *   clusterFile        optional JSON (.json) or YAML (.yaml/.yml) file holding the cluster spec, for
 *                      clusters too large for stack config; `cluster`'s top-level keys override its keys
 *   sshPrivateKey      secret: the private key for every host
 *   hostsFile          optional JSON file whose `hosts` are merged into cluster.hosts (the lab writes one)
 *   sshPrivateKeyFile  optional: read the key from this file instead (still kept as a secret)
 *   stepRunner         "ssh2" (default) or "pulumi-command" (@pulumi/command remote.Command; needs its plugin)
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseCluster } from "./components/schema/cluster";
import { CLUSTER_FILE_KEY, combineClusterSources, parseClusterDocument, unreadableClusterFile, withToolHosts, type ClusterInput } from "./components/schema/cluster-document";
import { buildCluster } from "./components/cluster";
import { DEFAULT_STEP_RUNNER, STEP_RUNNERS, isStepRunner } from "./components/parts/host-access";
import { ConfigError } from "./components/base/errors";

const config = new pulumi.Config("pulumi-lvs");
/** Where Pulumi.yaml is: the parent of bin/ for the compiled program, this file's own directory when tests run the source. */
const projectDir = [__dirname, path.dirname(__dirname)].find((d) => fs.existsSync(path.join(d, "Pulumi.yaml"))) ?? path.dirname(__dirname);
const fromProject = (p: string) => (path.isAbsolute(p) ? p : path.join(projectDir, p));

/** The cluster file, parsed; a missing or unreadable file is refused like bad config, by its resolved path. */
function readClusterFile(given: string): ClusterInput {
    const file = fromProject(given);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw unreadableClusterFile(given, file, projectDir, e);
    }
    return parseClusterDocument(text, file);
}

function loadClusterInput(): ClusterInput {
    const file = config.get("clusterFile");
    const { cluster, overridden } = combineClusterSources(file ? readClusterFile(file) : undefined, config.getObject<unknown>("cluster"));
    if (overridden.length > 0) pulumi.log.info(`${overridden.map((k) => `cluster.${k}`).join(", ")}: taken from pulumi-lvs:cluster, in place of ${CLUSTER_FILE_KEY}'s.`);
    // Hosts written by a tool (the lab) merge under the stack's own; the stack's win.
    const hostsFile = config.get("hostsFile");
    if (!hostsFile) return cluster;
    return withToolHosts(cluster, JSON.parse(fs.readFileSync(fromProject(hostsFile), "utf8")));
}

function privateKey(): pulumi.Output<string> {
    const secret = config.getSecret("sshPrivateKey");
    if (secret) return secret;
    const file = config.require("sshPrivateKeyFile");
    return pulumi.secret(fs.readFileSync(fromProject(file), "utf8"));
}

/**
 * Runs `build`, turning a refused config into the engine's own error line (a RunError): every
 * issue with its field path, reason and fix, one per line, and no JavaScript stack trace.
 */
function refusingBadConfig<T>(build: () => T): T {
    try {
        return build();
    } catch (e) {
        if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
        throw e;
    }
}

const built = refusingBadConfig(() => {
    const spec = parseCluster(loadClusterInput());
    const runner = config.get("stepRunner") ?? DEFAULT_STEP_RUNNER;
    if (!isStepRunner(runner)) throw new ConfigError([`pulumi-lvs:stepRunner: must be ${STEP_RUNNERS.map((r) => `"${r}"`).join(" or ")}, not "${runner}". Fix: remove it (default ${DEFAULT_STEP_RUNNER}) or pick one of those.`]);
    return buildCluster(spec, privateKey(), { runner });
});

// Counts, not entries: the entries live once in state, in each director's IpvsTable (see ipvs-summary.ts).
export const vipGroups = Object.fromEntries(Object.entries(built.vipGroups).map(([n, g]) => [n, { vips: g.view.vips, ...g.summary }]));
export const directors = Object.fromEntries(Object.entries(built.directors).map(([n, d]) => [n, d.summary]));
export const realServers = Object.fromEntries(Object.entries(built.realServers).map(([n, r]) => [n, { vips: r.model.vips.map((v) => v.address), roles: r.model.roles }]));
export const haPairs = Object.fromEntries(Object.entries(built.haPairs).map(([n, p]) => [n, p.summary]));
