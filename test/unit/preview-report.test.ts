/** The CI report from the engine's preview JSON: entries per director, drift, unchecked hosts, warnings, other resources, exit code. */
import { describe, expect, it } from "vitest";
import { buildReport, exitCodeOf, renderMarkdown, IPVS_TABLE_TYPE, type PreviewJson } from "../../components/cli/preview-report";
import { formatNotice } from "../../components/providers/notices";

const urn = (type: string, name: string) => `urn:pulumi:prod::pulumi-lvs::lvs:index:Director$${type}::${name}`;
const table = (host: string, entries: Record<string, string>) => ({ type: IPVS_TABLE_TYPE, inputs: { host, entries, connection: "[secret]" } });
const STEP_TYPE = "pulumi-nodejs:dynamic/lvs:RemoteStep";
const E = {
    svc: "-A -t 192.168.13.100:80",
    rs9: "-a -t 192.168.13.100:80 -r 192.168.13.9:80",
    rs10: "-a -t 192.168.13.100:80 -r 192.168.13.10:80",
    rs112: "-a -t 192.168.13.100:80 -r 192.168.13.112:80",
};

const quiet: PreviewJson = {
    steps: [
        { op: "same", urn: urn(IPVS_TABLE_TYPE, "director1-director-ipvs"), oldState: table("director1", { [E.svc]: "-s rr", [E.rs9]: "-g -w 1" }), newState: table("director1", { [E.rs9]: "-g -w 1", [E.svc]: "-s rr" }) },
        { op: "same", urn: urn(STEP_TYPE, "director1-director-install"), oldState: { type: STEP_TYPE }, newState: { type: STEP_TYPE } },
    ],
    diagnostics: [{ severity: "info", message: "some other line\n" }],
};

describe("the CI preview report", () => {
    it("no changes: exit 0 and says so", () => {
        const r = buildReport("prod", quiet);
        expect(r).toMatchObject({ directors: [], unchecked: [], others: [], changes: false });
        expect(exitCodeOf(r)).toBe(0);
        expect(renderMarkdown(r)).toBe("### pulumi-lvs preview: stack `prod`\n\n**No changes.**\n");
    });

    it("prints the program's warnings once each, and a warning alone does not make a change", () => {
        const slow = "HaPair web-ha: keepalived's reload of 3000 real servers may take about 33 s on each node. Fix: set advertInt to 11 or more.";
        const r = buildReport("prod", { ...quiet, diagnostics: [...quiet.diagnostics!, { severity: "warning", message: `${slow}\n` }, { severity: "warning", message: slow }] });
        expect(r.warnings).toEqual([slow]);
        expect(exitCodeOf(r)).toBe(0);
        expect(renderMarkdown(r)).toBe(`### pulumi-lvs preview: stack \`prod\`\n\n**No changes.**\n\n#### Warnings\n\n- ${slow}\n`);
        expect(buildReport("prod", quiet).warnings).toEqual([]);
    });

    it("an unreachable director is listed as unchecked, and alone does not make a change", () => {
        const unchecked = formatNotice({ kind: "unchecked", host: "director1", reason: "ssh director1 (root@127.0.0.1:22111): unreachable: no SSH handshake within 5 s" });
        const r = buildReport("prod", { ...quiet, diagnostics: [{ severity: "info#err", message: `${unchecked}\n` }] });
        expect(r.unchecked).toEqual([{ host: "director1", reason: "ssh director1 (root@127.0.0.1:22111): unreachable: no SSH handshake within 5 s" }]);
        expect(exitCodeOf(r)).toBe(0);
        const md = renderMarkdown(r);
        expect(md).toContain("**1 host was not checked for drift:** director1.");
        expect(md).toContain("- **director1**: ssh director1 (root@127.0.0.1:22111): unreachable: no SSH handshake within 5 s");
    });

    it("lists added, changed and removed entries per director (in table order: addresses as numbers), drift from the provider's lines, a new director's table, and other resources", () => {
        const preview: PreviewJson = {
            steps: [
                {
                    op: "update",
                    urn: urn(IPVS_TABLE_TYPE, "director1-director-ipvs"),
                    oldState: table("director1", { [E.svc]: "-s rr", [E.rs9]: "-g -w 1", [E.rs112]: "-g -w 1" }),
                    newState: table("director1", { [E.rs10]: "-g -w 2", [E.svc]: "-s rr", [E.rs9]: "-g -w 3" }),
                },
                { op: "create", urn: urn(IPVS_TABLE_TYPE, "director2-director-ipvs"), newState: table("director2", { [E.svc]: "-s wrr" }) },
                { op: "update", urn: urn(STEP_TYPE, "director1-director-vip-192-168-13-100"), oldState: { type: STEP_TYPE }, newState: { type: STEP_TYPE } },
                { op: "same", urn: urn(STEP_TYPE, "director1-director-install"), oldState: { type: STEP_TYPE }, newState: { type: STEP_TYPE } },
            ],
            diagnostics: [],
        };
        const drift = formatNotice({ kind: "drift", host: "director3", entry: E.rs9, live: "-g -w 7", stack: "-g -w 1" });
        const r = buildReport("prod", preview, `    ${drift}\n`);
        expect(r.directors).toEqual([
            { host: "director1", op: "update", entries: [{ entry: E.rs9, before: "-g -w 1", after: "-g -w 3" }, { entry: E.rs10, after: "-g -w 2" }, { entry: E.rs112, before: "-g -w 1" }], drift: [] },
            { host: "director2", op: "create", entries: [{ entry: E.svc, after: "-s wrr" }], drift: [] },
            { host: "director3", op: "update", entries: [], drift: [{ entry: E.rs9, before: "-g -w 7", after: "-g -w 1" }] },
        ]);
        expect(r.others).toEqual([{ op: "update", type: "RemoteStep", name: "director1-director-vip-192-168-13-100" }]);
        expect(exitCodeOf(r)).toBe(2);
        const md = renderMarkdown(r);
        expect(md).toContain("**5 ipvs entries would change on 3 hosts; 1 other resource.**");
        expect(md).toContain("#### director2 (create)");
        expect(md.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| |") && !l.startsWith("| op"))).toEqual([
            "| ~ | `-a -t 192.168.13.100:80 -r 192.168.13.9:80` | `-g -w 1` | `-g -w 3` |",
            "| + | `-a -t 192.168.13.100:80 -r 192.168.13.10:80` |  | `-g -w 2` |",
            "| - | `-a -t 192.168.13.100:80 -r 192.168.13.112:80` | `-g -w 1` |  |",
            "| + | `-A -t 192.168.13.100:80` |  | `-s wrr` |",
            "| drift | `-a -t 192.168.13.100:80 -r 192.168.13.9:80` | `-g -w 7` on the host | `-g -w 1` |",
            "| update | RemoteStep | `director1-director-vip-192-168-13-100` |",
        ]);
    });

    it("a deleted director's entries are all removals", () => {
        const r = buildReport("prod", { steps: [{ op: "delete", urn: urn(IPVS_TABLE_TYPE, "old-director-ipvs"), oldState: table("old", { [E.svc]: "-s rr" }) }] });
        expect(r.directors).toEqual([{ host: "old", op: "delete", entries: [{ entry: E.svc, before: "-s rr" }], drift: [] }]);
    });
});
