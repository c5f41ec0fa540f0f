/**
 * A stack's cluster read the way the program reads it (index.ts), but straight from the stack
 * file: no engine, no backend, no host. `pulumi-lvs:cluster`, the cluster file it may name
 * (`pulumi-lvs:clusterFile`) and the hosts file (`pulumi-lvs:hostsFile`) are combined with the
 * same functions; paths in config start from the project directory, as the program's do.
 *
 * One difference, on purpose: a hosts file that does not exist (the lab writes it, so a
 * checkout where the lab never ran has none) is not an error. Its hosts get stand-in addresses
 * (core/picture/stand-in-hosts.ts) and are reported in `unknownHosts`, so a picture can draw
 * them by name. A host missing for any other reason is still refused by parseCluster.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../base/errors";
import { CLUSTER_FILE_KEY, combineClusterSources, isMapping, jsonDocument, parseClusterDocument, unreadableClusterFile, withToolHosts, yamlDocument, type ClusterInput } from "../schema/cluster-document";
import { withStandInHosts } from "../core/picture/stand-in-hosts";

const HOSTS_FILE = "pulumi-lvs:hostsFile";

export interface StackCluster {
    /** The stack file, relative to the project directory. */
    file: string;
    /** The cluster as the program would hand it to parseCluster (with stand-ins, see above). */
    cluster: ClusterInput;
    /** Hosts given a stand-in address because the hosts file is missing; sorted. */
    unknownHosts: string[];
    /** What the reader should know about how the cluster was put together, one line each. */
    notes: string[];
}

/** The directory holding Pulumi.yaml at or above `from` (the compiled command sits in bin/, its source does not). */
export function findProjectDir(from: string): string {
    for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        if (path.dirname(dir) === dir) throw new Error(`no Pulumi.yaml at or above ${from}: run the command from a checkout of the project`);
    }
}

/** The stack files' directory: Pulumi.yaml's stackConfigDir, or the project directory itself, as the engine does. */
function stackDir(projectDir: string): string {
    const project = yamlDocument(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"), "Pulumi.yaml", "project");
    const dir = isMapping(project) && typeof project.stackConfigDir === "string" ? project.stackConfigDir : ".";
    return path.join(projectDir, dir);
}

/** The stacks that have a file, for the fix of a misspelt name. */
export function stackNames(projectDir: string): string[] {
    return fs
        .readdirSync(stackDir(projectDir))
        .flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? [])
        .sort();
}

/** The cluster of `stacks/Pulumi.<stack>.yaml` (or wherever Pulumi.yaml's stackConfigDir says), ready for parseCluster. */
export function readStackCluster(projectDir: string, stack: string): StackCluster {
    const absolute = path.join(stackDir(projectDir), `Pulumi.${stack}.yaml`);
    const file = path.relative(projectDir, absolute);
    if (!fs.existsSync(absolute)) {
        throw new ConfigError([`--stack ${stack}: there is no stack file ${file}. Fix: name one of the stacks that has a file: ${stackNames(projectDir).join(", ")}.`]);
    }
    const doc = yamlDocument(fs.readFileSync(absolute, "utf8"), file, "--stack");
    if (!isMapping(doc) || !isMapping(doc.config)) {
        throw new ConfigError([`${file}: has no config mapping, where a stack file keeps pulumi-lvs:cluster. Fix: write the cluster under config: as in stacks/Pulumi.seed-000.yaml.`]);
    }
    const config = doc.config;
    const notes: string[] = [];
    const fromProject = (given: string) => path.resolve(projectDir, given);

    const clusterFile = stringSetting(config, CLUSTER_FILE_KEY, file);
    const fromFile = clusterFile === undefined ? undefined : parseClusterDocument(readClusterFile(clusterFile, fromProject(clusterFile), projectDir), fromProject(clusterFile));
    const { cluster, overridden } = combineClusterSources(fromFile, config["pulumi-lvs:cluster"]);
    if (overridden.length > 0) notes.push(`${overridden.map((k) => `cluster.${k}`).join(", ")}: taken from pulumi-lvs:cluster, in place of ${CLUSTER_FILE_KEY}'s.`);

    const hostsFile = stringSetting(config, HOSTS_FILE, file);
    if (hostsFile === undefined) return { file, cluster, unknownHosts: [], notes };
    const hostsPath = fromProject(hostsFile);
    if (fs.existsSync(hostsPath)) return { file, cluster: withToolHosts(cluster, jsonDocument(fs.readFileSync(hostsPath, "utf8"), hostsPath, HOSTS_FILE)), unknownHosts: [], notes };
    const { cluster: withStandIns, standIns } = withStandInHosts(cluster);
    if (standIns.length > 0) notes.push(`${HOSTS_FILE}: no file at ${hostsPath} (the lab writes it when it starts); ${standIns.join(", ")} drawn by name, without addresses.`);
    return { file, cluster: withStandIns, unknownHosts: standIns, notes };
}

function stringSetting(config: ClusterInput, key: string, file: string): string | undefined {
    const value = config[key];
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value === "") throw new ConfigError([`${file}: ${key} must be a path, not ${JSON.stringify(value)}. Fix: give the file's path from the project directory.`]);
    return value;
}

function readClusterFile(given: string, absolute: string, projectDir: string): string {
    try {
        return fs.readFileSync(absolute, "utf8");
    } catch (e) {
        throw unreadableClusterFile(given, absolute, projectDir, e);
    }
}
