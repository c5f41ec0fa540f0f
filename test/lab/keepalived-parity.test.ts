/**
 * Parity with the real keepalived (issue 10): every HA config the schema accepts, rendered
 * for both nodes, passes `keepalived -t` of Debian's package on this machine, with no warning
 * that keepalived changed what was asked (a port reset, a value cleared). keepalived runs in
 * a private network namespace holding the interface the configs name (ens33), so it sees a
 * host like a director and touches nothing outside. No VM is needed.
 */
import { afterAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseCluster, type ClusterSpec } from "../../components/schema/cluster";
import { ConfigError } from "../../components/base/errors";
import { groupView } from "../../components/core/host/cluster-model";
import { haPairNodes } from "../../components/core/keepalived/render-ha-pair";
import { Rng } from "../support/ipvs-random";
import { genHaCluster } from "../support/random-cluster";

const SEEDS = 300;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lvs-keepalived-t-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function confs(spec: ClusterSpec): string[] {
    const p = spec.haPairs[0];
    const groups = p.vipGroups.map((n) => groupView(spec.hosts, spec.vipGroups.find((g) => g.name === n)!));
    const node = (i: 0 | 1) => ({ ...p.nodes[i], address: spec.hosts[p.nodes[i].host].address });
    return haPairNodes({ ...p, nodes: [node(0), node(1)] }, groups).map((n) => n.conf);
}

/** keepalived -t on every file, in one private network namespace; per file: exit code and output. */
function keepalivedTest(files: string[]): Map<string, { code: number; out: string }> {
    const script = [
        "ip link add ens33 type veth peer name ens33-peer && ip link set ens33 up || exit 90",
        'for f in "$@"; do out=$(keepalived -t -f "$f" 2>&1); rc=$?; printf "@@ %s %s\\n%s\\n" "$f" "$rc" "$out"; done',
    ].join("\n");
    const text = execFileSync("unshare", ["--net", "sh", "-c", script, "sh", ...files], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const results = new Map<string, { code: number; out: string }>();
    for (const block of text.split("@@ ").slice(1)) {
        const [head, ...rest] = block.split("\n");
        const [file, code] = head.split(" ");
        results.set(file, { code: Number(code), out: rest.join("\n").trim() });
    }
    return results;
}

describe("keepalived -t accepts what the schema accepts", () => {
    it(`${SEEDS} generated HA clusters: every accepted one renders configs that keepalived checks clean`, () => {
        const probe = spawnSync("keepalived", ["--version"], { encoding: "utf8" });
        if (probe.error) throw new Error(`keepalived is not installed on this machine (${probe.error.message}). Fix: bash lab/install-host-deps.sh`);
        const version = `${probe.stdout}${probe.stderr}`.trim().split("\n")[0];
        const files: string[] = [];
        const refused: string[] = [];
        for (let seed = 1; seed <= SEEDS; seed++) {
            // Refused by the schema, or by the renderer (what only the rendered config reveals,
            // such as a quorum above the pool's weight): either way before any host is touched.
            let rendered: string[];
            try {
                rendered = confs(parseCluster(genHaCluster(new Rng(seed))));
            } catch (e) {
                if (!(e instanceof ConfigError)) throw e;
                refused.push(`seed ${seed}: ${e.issues[0]}`);
                continue;
            }
            rendered.forEach((conf, i) => {
                const file = path.join(tmp, `seed-${seed}-node-${i}.conf`);
                fs.writeFileSync(file, conf);
                files.push(file);
            });
        }
        const results = keepalivedTest(files);
        const failed = files.filter((f) => results.get(f)?.code !== 0 || /WARNING|error/i.test(results.get(f)?.out ?? ""));
        console.log(`[keepalived -t] ${version}: ${files.length / 2} of ${SEEDS} generated clusters accepted (${refused.length} refused before any host, e.g. ${refused[0] ?? "none"}), ${files.length} configs checked, ${failed.length} refused or warned by keepalived`);
        expect(results.size).toBe(files.length);
        expect(files.length / 2).toBeGreaterThanOrEqual(SEEDS / 2);
        expect(
            failed.map((f) => `${path.basename(f)} (exit ${results.get(f)?.code}):\n${results.get(f)?.out}\n${fs.readFileSync(f, "utf8")}`),
        ).toEqual([]);
    });
});
