/**
 * The cluster spec kept in a file (`pulumi-lvs:clusterFile`), and how it combines with the
 * stack's own `pulumi-lvs:cluster`. A large cluster cannot live in stack config: the engine
 * hands all of it to the program in one environment variable, which the kernel caps at
 * 128 KiB. Pure: the program reads the file and this parses the text. Errors name the config
 * key, the file, the reason (with line and column for a syntax error) and the fix.
 */
import { ConfigError } from "../base/errors";
import { jsonSyntaxError } from "./json-syntax-error";

// The YAML parser @pulumi/pulumi itself depends on (package.json pins the same version); it
// ships no types of its own, so it is loaded with the one call used here typed.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require("js-yaml") as { load(text: string): unknown };

export const CLUSTER_KEY = "pulumi-lvs:cluster";
export const CLUSTER_FILE_KEY = "pulumi-lvs:clusterFile";

/** The cluster before validation (parseCluster's input): the top-level keys are hosts, vipGroups, … */
export type ClusterInput = Record<string, unknown>;

type Format = "JSON" | "YAML";
const FORMAT_BY_EXTENSION: Record<string, Format> = { ".json": "JSON", ".yaml": "YAML", ".yml": "YAML" };

/** The file's cluster, read as JSON (.json) or YAML (.yaml, .yml); `file` is its resolved path. */
export function parseClusterDocument(text: string, file: string): ClusterInput {
    const format = FORMAT_BY_EXTENSION[(/\.[^./\\]*$/.exec(file)?.[0] ?? "").toLowerCase()];
    if (!format) throw refused(`${file} is named neither .json nor .yaml/.yml, which is how its format is told. Fix: rename it after its content.`);
    if (text.trim() === "") throw refused(`${file} is empty. Fix: write the cluster in it, the keys of ${CLUSTER_KEY} at the top level.`);
    const doc = format === "JSON" ? jsonDocument(text, file, CLUSTER_FILE_KEY) : yamlDocument(text, file, CLUSTER_FILE_KEY);
    if (!isMapping(doc)) {
        throw refused(`${file} holds ${kindOf(doc)}, not a mapping of the cluster's keys (hosts, vipGroups, directors, realServers, haPairs). Fix: write those keys at the top level of the file, as under ${CLUSTER_KEY}.`);
    }
    return doc;
}

/**
 * The cluster from the file, from the stack's `pulumi-lvs:cluster`, or from both. With both,
 * the file is the base and each top-level key the stack sets replaces the file's key whole:
 * stack config is the more specific layer (as it overrides a project's config defaults), and
 * one source per key keeps it plain where each value comes from, which a deep merge of lists
 * such as vipGroups (they have no keys to match entries by) would not. The usual split: the
 * generated vipGroups in the file, the hosts with their host keys in each stack.
 * `overridden` lists the keys the stack took over, for the program to say so.
 */
export function combineClusterSources(fromFile: ClusterInput | undefined, fromConfig: unknown): { cluster: ClusterInput; overridden: string[] } {
    if (fromConfig === undefined) {
        if (fromFile === undefined) throw new ConfigError([`${CLUSTER_KEY}: not set. Fix: set it to the cluster (README, Config reference), or set ${CLUSTER_FILE_KEY} to a JSON or YAML file holding it.`]);
        return { cluster: fromFile, overridden: [] };
    }
    if (!isMapping(fromConfig)) throw new ConfigError([`${CLUSTER_KEY}: must be a mapping of the cluster's keys (hosts, vipGroups, …), not ${kindOf(fromConfig)}. Fix: write it as in the README's Config reference.`]);
    if (fromFile === undefined) return { cluster: fromConfig, overridden: [] };
    const overridden = Object.keys(fromConfig).filter((k) => Object.hasOwn(fromFile, k));
    return { cluster: { ...fromFile, ...fromConfig }, overridden: overridden.sort() };
}

/**
 * Why the cluster file could not be read, as the program and `npm run picture` both say it:
 * `file` is `given` resolved against `projectDir`, and a relative `given` is shown from there.
 */
export function unreadableClusterFile(given: string, file: string, projectDir: string, error: unknown): ConfigError {
    const from = file === given ? "" : ` ("${given}" from the project directory ${projectDir})`;
    if ((error as { code?: unknown }).code === "ENOENT") return refused(`no file at ${file}${from}. Fix: correct the path, or write the cluster to that file.`);
    return refused(`cannot read ${file}: ${(error as Error).message}. Fix: point it at a readable JSON or YAML file.`);
}

/**
 * Hosts written by a tool (the lab's `pulumi-lvs:hostsFile`, a JSON document with `hosts`)
 * laid under the cluster's: a host the stack defines itself keeps the stack's definition.
 */
export function withToolHosts(cluster: ClusterInput, hostsDocument: unknown): ClusterInput {
    const extra = isMapping(hostsDocument) && isMapping(hostsDocument.hosts) ? hostsDocument.hosts : {};
    return { ...cluster, hosts: { ...extra, ...(isMapping(cluster.hosts) ? cluster.hosts : {}) } };
}

/** A JSON document; a syntax error is refused under `key` (the config key that names the file), with its line and column. */
export function jsonDocument(text: string, file: string, key: string): unknown {
    const body = text.replace(/^\uFEFF/, ""); // editors on Windows save JSON with a BOM, which JSON.parse refuses
    try {
        return JSON.parse(body);
    } catch (e) {
        const at = jsonSyntaxError(body);
        throw new ConfigError([`${key}: ${file} is not valid JSON: ${at ? `${at.reason} at line ${at.line}, column ${at.column}` : (e as Error).message}. Fix: correct the file there.`]);
    }
}

/** A YAML document; a syntax error is refused under `key` (what names the file), with its line and column. */
export function yamlDocument(text: string, file: string, key: string): unknown {
    try {
        return yaml.load(text);
    } catch (e) {
        const y = e as { name?: string; reason?: string; mark?: { line: number; column: number } };
        if (y.name !== "YAMLException") throw e;
        const at = y.mark ? ` at line ${y.mark.line + 1}, column ${y.mark.column + 1}` : "";
        throw new ConfigError([`${key}: ${file} is not valid YAML: ${y.reason ?? "unreadable"}${at}. Fix: correct the file there.`]);
    }
}

export function isMapping(v: unknown): v is ClusterInput {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
    const proto: unknown = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
}

function kindOf(v: unknown): string {
    if (v === null || v === undefined) return "nothing (an empty document)";
    if (Array.isArray(v)) return "a list";
    if (v instanceof Date) return "a date";
    return `a ${typeof v}`;
}

function refused(reason: string): ConfigError {
    return new ConfigError([`${CLUSTER_FILE_KEY}: ${reason}`]);
}
