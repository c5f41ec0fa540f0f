/**
 * Marks of fwmark services: the nft ruleset a director loads (exact text), where it appears in
 * the director's and both HA nodes' steps, and the marks step run for real by /bin/sh against
 * an `nft` stub that logs its calls: create is idempotent, a refused ruleset changes nothing,
 * delete removes our table and files only, and nothing flushes the ruleset. The same rulesets
 * and scripts run under the real nft in test/lab/nft-parity.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LOAD_MARKS_AT_BOOT, marksStep, renderMarks } from "../../components/core/host/render-fwmark";
import { haPairNodes } from "../../components/core/keepalived/render-ha-pair";
import { toEntries } from "../../components/core/ipvs/ipvs-entries";
import { CLASSIC, MIXED, director, withMarks } from "../support/fwmark-clusters";
import { clusterOf } from "../support/stacks";
import { parseCluster } from "../../components/schema/cluster";
import { groupView } from "../../components/core/host/cluster-model";

const CLASSIC_NFT = `# Managed by pulumi-lvs: marks the packets of its fwmark virtual services.
# Loading this file replaces table inet pulumi_lvs and nothing else.
table inet pulumi_lvs {}
delete table inet pulumi_lvs
table inet pulumi_lvs {
	chain prerouting {
		type filter hook prerouting priority -150; policy accept;
		ip daddr 192.168.13.100 tcp dport { 80, 443 } meta mark set 1
	}
}
`;


describe("the marks ruleset", () => {
    it("marks tcp 80 and 443 of VIP 192.168.13.100 with 1, for a persistent fwmark service", () => {
        const { model, steps } = director(CLASSIC);
        expect(renderMarks(model.marks)).toBe(CLASSIC_NFT);
        expect(toEntries(model.ruleset)).toEqual({
            "-A -f 1": "-s rr -p 300",
            "-a -f 1 -r 192.168.13.112:0": "-g -w 1",
            "-a -f 1 -r 192.168.13.113:0": "-g -w 1",
        });
        // The rules are the step's script, so the preview shows a change of marks as a diff of it.
        expect(steps.marks!.create).toContain(CLASSIC_NFT.trimEnd());
    });

    it("renders one rule per mark and family, VIPs and ports sorted", () => {
        expect(renderMarks(director(MIXED).model.marks).split("\n").filter((l) => l.startsWith("\t\t") && !l.includes("type filter"))).toEqual([
            "\t\tip daddr { 192.168.13.100, 192.168.13.101 } tcp dport { 80, 443 } meta mark set 1",
            "\t\tip6 daddr 2001:db8::100 tcp dport { 80, 443 } meta mark set 1",
            "\t\tip6 daddr 2001:db8::100 udp dport { 53, 10000-10100 } meta mark set 1",
            "\t\tip daddr { 192.168.13.100, 192.168.13.101 } sctp dport 3868 meta mark set 1",
        ]);
    });

    it("adds nftables to the install step, the marks step and a boot line only when marks exist", () => {
        const { steps } = director(CLASSIC);
        expect(steps.install.create).toMatch(/command -v nft .*\|\| need="\$need nftables"/);
        expect(steps.boot.create).toContain(LOAD_MARKS_AT_BOOT);
        const none = director(clusterOf("seed-000")).steps;
        const unmarked = director(withMarks(undefined)).steps;
        for (const s of [none, unmarked]) {
            expect(s.marks).toBeUndefined();
            expect(s.install.create + s.boot.create).not.toMatch(/nft/);
        }
    });

    it("gives both HA nodes the marks and a boot unit that loads them (either may be master)", () => {
        const nodesOf = (c: unknown) => {
            const spec = parseCluster(c);
            const p = spec.haPairs[0];
            const nodes = [0, 1].map((i) => ({ ...p.nodes[i], address: spec.hosts[p.nodes[i].host].address }));
            return haPairNodes({ ...p, nodes: [nodes[0], nodes[1]] }, [groupView(spec.hosts, spec.vipGroups[0])]);
        };
        for (const n of nodesOf(withMarks([{ protocol: "tcp", ports: [80, 443] }], undefined, "seed-002"))) {
            expect(n.steps.marks!.create).toContain(CLASSIC_NFT.trimEnd());
            expect(n.steps.install.create).toContain('need="$need nftables"');
            expect(n.steps.boot!.create).toContain(LOAD_MARKS_AT_BOOT);
            expect(n.steps.boot!.create).toContain("Description=pulumi-lvs director state (fwmark marks)");
            expect(n.conf).toContain("virtual_server fwmark 1 {");
        }
        for (const n of nodesOf(clusterOf("seed-002"))) expect([n.steps.marks, n.steps.boot]).toEqual([undefined, undefined]);
    });
});

// Logs each call; keeps the tables it knows as "family name" lines in $ST/tables.
const NFT_STUB = `#!/bin/sh
printf '%s\\n' "$*" >> "$ST/nft.log"
t="$ST/tables"
case "$*" in
  "-f "*)
    [ -z "\${NFT_REFUSE:-}" ] || { echo "Error: refused" >&2; exit 1; }
    grep -qx 'table inet pulumi_lvs {}' "$2" && grep -qx 'delete table inet pulumi_lvs' "$2" || exit 4
    { grep -vx 'inet pulumi_lvs' "$t"; echo 'inet pulumi_lvs'; } > "$t.new"; mv "$t.new" "$t"
    cp "$2" "$ST/loaded.nft" ;;
  "list table inet pulumi_lvs") grep -qx 'inet pulumi_lvs' "$t" ;;
  "delete table inet pulumi_lvs") grep -qx 'inet pulumi_lvs' "$t" || exit 1; grep -vx 'inet pulumi_lvs' "$t" > "$t.new"; mv "$t.new" "$t" ;;
  *) echo "nft stub: unexpected call: $*" >&2; exit 3 ;;
esac
`;

describe("the marks step, run against an nft stub", () => {
    let root: string;
    const st = (f: string) => path.join(root, "state", f);
    const file = (p: string) => path.join(root, p);
    const moved = (text: string) => text.replace(/\/etc\//g, `${root}/etc/`);
    const run = (text: string, env: Record<string, string> = {}) =>
        execFileSync("/bin/sh", ["-c", moved(text)], { env: { PATH: `${root}/bin:/usr/bin:/bin`, ST: st(""), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const tables = () => fs.readFileSync(st("tables"), "utf8").trim().split("\n").filter(Boolean);
    const calls = () => fs.readFileSync(st("nft.log"), "utf8").trim().split("\n");
    const step = marksStep(director(CLASSIC).model.marks);

    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "marks-step-"));
        for (const d of ["bin", "state", "etc"]) fs.mkdirSync(file(d));
        fs.writeFileSync(file("bin/nft"), NFT_STUB, { mode: 0o755 });
        fs.writeFileSync(st("tables"), "inet filter\nip nat\n");
        fs.writeFileSync(st("nft.log"), "");
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("loads the ruleset from a staged file and keeps it for boot; a re-run leaves the host as one run", () => {
        run(step.create);
        const once = { tables: tables(), file: fs.readFileSync(file("etc/pulumi-lvs/marks.nft"), "utf8") };
        run(step.create);
        expect(tables()).toEqual(once.tables);
        expect(once.tables).toEqual(["inet filter", "ip nat", "inet pulumi_lvs"]);
        expect(once.file).toBe(CLASSIC_NFT);
        expect(fs.readFileSync(file("etc/pulumi-lvs/marks.nft"), "utf8")).toBe(CLASSIC_NFT);
        expect(fs.readFileSync(st("loaded.nft"), "utf8")).toBe(CLASSIC_NFT);
        expect(calls()).toEqual([`-f ${root}/etc/pulumi-lvs/marks.nft.new`, `-f ${root}/etc/pulumi-lvs/marks.nft.new`]);
        expect(fs.readdirSync(file("etc/pulumi-lvs"))).toEqual(["marks.nft"]);
        run(LOAD_MARKS_AT_BOOT);
        expect(calls().at(-1)).toBe(`-f ${root}/etc/pulumi-lvs/marks.nft`);
    });

    it("keeps the loaded rules and the boot file when nft refuses a new ruleset", () => {
        run(step.create);
        const next = marksStep(director(withMarks([{ protocol: "tcp", ports: [8080] }])).model.marks);
        expect(() => run(next.create, { NFT_REFUSE: "1" })).toThrow(/nft refused the marks/);
        expect(fs.readFileSync(file("etc/pulumi-lvs/marks.nft"), "utf8")).toBe(CLASSIC_NFT);
        expect(fs.readdirSync(file("etc/pulumi-lvs"))).toEqual(["marks.nft"]);
    });

    it("deletes only our table and our file, and is safe to run again or when create never ran", () => {
        run(step.delete);
        expect(calls()).toEqual(["list table inet pulumi_lvs"]);
        run(step.create);
        run(step.delete);
        run(step.delete);
        expect(tables()).toEqual(["inet filter", "ip nat"]);
        expect(fs.existsSync(file("etc/pulumi-lvs"))).toBe(false);
        expect(calls().filter((c) => c.startsWith("delete"))).toEqual(["delete table inet pulumi_lvs"]);
    });

    it("never flushes the ruleset nor names another table, in any director or HA step", () => {
        run(step.create);
        run(step.delete);
        expect(calls().every((c) => !/flush|filter|nat/.test(c))).toBe(true);
        const { steps } = director(MIXED);
        for (const s of [steps.install, steps.marks!, steps.boot]) expect(s.create + s.delete).not.toMatch(/flush ruleset|nft flush|table (?!inet pulumi_lvs)/);
    });
});
