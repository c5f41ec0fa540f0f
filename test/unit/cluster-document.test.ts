/**
 * The cluster as a file (pulumi-lvs:clusterFile): JSON and YAML give the cluster the stack
 * config gives, the stack's keys lay over the file's, and every bad file is refused naming
 * the config key, the file, the reason (line and column for a syntax error) and the fix.
 */
import { describe, expect, it } from "vitest";
import * as fs from "fs";
import * as path from "path";
import { combineClusterSources, parseClusterDocument } from "../../components/schema/cluster-document";
import { jsonSyntaxError } from "../../components/schema/json-syntax-error";
import { parseCluster } from "../../components/schema/cluster";
import { ConfigError } from "../../components/base/errors";
import { Rng } from "../support/ipvs-random";
import { ROOT, clusterOf, stackConfig } from "../support/stacks";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require("js-yaml") as { dump(v: unknown): string };

function refusal(run: () => unknown): string {
    try {
        run();
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as ConfigError).issues).toHaveLength(1);
        return (e as ConfigError).issues[0];
    }
    throw new Error("accepted");
}

describe("a cluster file", () => {
    const seed = clusterOf("seed-000");

    it.each([
        ["JSON", "/p/cluster.json", JSON.stringify(seed, null, 2)],
        ["JSON with a byte order mark", "/p/cluster.json", `\uFEFF${JSON.stringify(seed)}`],
        ["YAML", "/p/cluster.yaml", yaml.dump(seed)],
        ["YAML named .yml, in flow style", "/p/cluster.YML", JSON.stringify(seed)],
    ])("in %s gives the cluster the same keys in stack config give", (_what, file, text) => {
        expect(parseCluster(parseClusterDocument(text, file))).toEqual(parseCluster(seed));
    });

    it("seed-000-file (file plus the stack's hosts) is seed-000", () => {
        const config = stackConfig("seed-000-file");
        const file = path.join(ROOT, String(config["pulumi-lvs:clusterFile"]));
        const { cluster } = combineClusterSources(parseClusterDocument(fs.readFileSync(file, "utf8"), file), config["pulumi-lvs:cluster"]);
        expect(parseCluster(cluster)).toEqual(parseCluster(seed));
    });

    const bad: [string, string, string, RegExp][] = [
        ["an unknown extension", "/p/cluster.txt", "{}", /^pulumi-lvs:clusterFile: \/p\/cluster\.txt is named neither \.json nor \.yaml\/\.yml.*Fix: rename it after its content\.$/],
        ["an empty file", "/p/c.yaml", " \n", /^pulumi-lvs:clusterFile: \/p\/c\.yaml is empty\. Fix: write the cluster in it/],
        ["a trailing comma in a JSON list", "/p/c.json", '{\n  "vipGroups": [1,]\n}', /^pulumi-lvs:clusterFile: \/p\/c\.json is not valid JSON: expected a value \(.*\), found '\]' at line 2, column 19\. Fix: correct the file there\.$/],
        ["a missing comma in JSON", "/p/c.json", '{\n  "hosts": {}\n  "vipGroups": []\n}', /is not valid JSON: expected ',' or '\}', found '"' at line 3, column 3\./],
        ["a bare word in JSON", "/p/c.json", '{"hosts": rs1}', /is not valid JSON: expected a value .*, found 'r' at line 1, column 11\./],
        ["an unclosed JSON object", "/p/c.json", '{"hosts": {}', /is not valid JSON: expected ',' or '\}', found the end of the file at line 1, column 13\./],
        ["bad YAML indentation", "/p/c.yaml", "hosts:\n  a: 1\n   b: 2\n", /^pulumi-lvs:clusterFile: \/p\/c\.yaml is not valid YAML: bad indentation of a mapping entry at line 3, column 5\. Fix: correct the file there\.$/],
        ["a duplicated YAML key", "/p/c.yaml", "hosts: {}\nhosts: {}\n", /is not valid YAML: duplicated mapping key at line 2, column 1\./],
        ["a YAML list at the top", "/p/c.yaml", "- hosts: {}\n", /^pulumi-lvs:clusterFile: \/p\/c\.yaml holds a list, not a mapping of the cluster's keys .* Fix: write those keys at the top level of the file, as under pulumi-lvs:cluster\.$/],
        ["a YAML file of comments only", "/p/c.yml", "# nothing yet\n", /holds nothing \(an empty document\), not a mapping/],
        ["a JSON string at the top", "/p/c.json", '"cluster"', /holds a string, not a mapping/],
    ];
    it.each(bad)("is refused with %s", (_what, file, text, message) => {
        expect(refusal(() => parseClusterDocument(text, file))).toMatch(message);
    });
});

describe("the cluster from the file and from stack config", () => {
    const file = { hosts: { a: 1 }, vipGroups: ["from file"], directors: ["from file"] };

    it("takes the file as the base, each top-level key the stack sets in place of the file's", () => {
        expect(combineClusterSources(file, { hosts: { b: 2 }, realServers: [] })).toEqual({
            cluster: { hosts: { b: 2 }, vipGroups: ["from file"], directors: ["from file"], realServers: [] },
            overridden: ["hosts"],
        });
        expect(combineClusterSources(file, undefined)).toEqual({ cluster: file, overridden: [] });
        expect(combineClusterSources(undefined, file)).toEqual({ cluster: file, overridden: [] });
    });

    it("refuses neither being set, and stack config that is not a mapping", () => {
        expect(refusal(() => combineClusterSources(undefined, undefined))).toMatch(/^pulumi-lvs:cluster: not set\. Fix: set it .* or set pulumi-lvs:clusterFile to a JSON or YAML file holding it\.$/);
        expect(refusal(() => combineClusterSources(file, ["x"]))).toMatch(/^pulumi-lvs:cluster: must be a mapping of the cluster's keys .*, not a list\. Fix:/);
    });
});

describe("jsonSyntaxError", () => {
    it("finds an error exactly where JSON.parse fails, over a thousand damaged documents", () => {
        const rng = new Rng(12);
        const source = JSON.stringify(clusterOf("seed-002"), null, 1);
        const damage = ["", ",", "]", "}", '"', "\\", ":", "-", "0", "1.", "e", "t", " ", "\n", "\u0001", "[", "{"];
        const seen = { valid: 0, invalid: 0 };
        for (let n = 0; n < 1000; n++) {
            let text = source;
            for (let k = 1 + rng.int(3); k > 0; k--) {
                const at = rng.int(text.length + 1);
                text = text.slice(0, at) + rng.pick(damage) + text.slice(at + rng.int(3));
            }
            let valid = true;
            try {
                JSON.parse(text);
            } catch {
                valid = false;
            }
            expect(jsonSyntaxError(text) === undefined, text).toBe(valid);
            seen[valid ? "valid" : "invalid"]++;
        }
        expect(Math.min(seen.valid, seen.invalid)).toBeGreaterThan(100);
    });
});
