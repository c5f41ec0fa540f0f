/**
 * The library's arguments are typed from the schemas' input types: the TypeScript compiler, run
 * on small programs that use the library as a user's program would, refuses a misspelled field
 * and a value of the wrong type, naming the field, and accepts literals that leave every default
 * out, with pulumi.Inputs where the components take them.
 */
import { describe, expect, it } from "vitest";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "../..");
/** Where the programs would be; they exist only in memory, so tsconfig.test.json never sees them. */
const DIR = path.join(ROOT, "test/unit/fixtures/typed-library");

const HEAD = `import * as pulumi from "@pulumi/pulumi";
import { VipGroup, Director, RealServer, HaPair, parseCluster, type ClusterSpecInput, type HostInput } from "../../../../components/index";
const privateKey = pulumi.secret("key");
const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILLOOtmnIaeYpR/ibWEZ2+Fwuk2TBdWrcl9yfFJsZksY";
const host = (name: string, address: pulumi.Input<string>): HostInput => ({ name, spec: { address, ssh: { hostKey } }, privateKey });
`;

const PROGRAMS: Record<string, string> = {
    // Every default left out; weights and addresses from Outputs where the components defer them.
    correct: `${HEAD}
const web = new VipGroup("web", {
    spec: { name: "web", vips: ["192.0.2.10"], services: [{ protocol: "tcp", port: 80, scheduler: "wrr", realServers: [{ host: "rs9", weight: pulumi.output(2) }, { address: "10.0.0.10" }] }] },
    hosts: { rs9: { address: pulumi.output("10.0.0.9") } },
});
const rs9 = new RealServer("rs9", { host: host("rs9", pulumi.output("10.0.0.9")), vipGroups: [web] });
new Director("director1", { host: host("director1", "10.0.0.2"), vipGroups: [web], realServers: [rs9], drain: { timeoutSeconds: 30 } });
new HaPair("web-ha", { nodes: [{ host: host("d1", "10.0.0.3"), priority: 150 }, { host: host("d2", "10.0.0.4"), priority: 100, interface: "eth1" }], virtualRouterId: 51, vipGroups: [web] });
const cluster: ClusterSpecInput = {
    hosts: { d1: { address: "10.0.0.3", ssh: { hostKey } }, rs9: { address: "10.0.0.9", ssh: { host: "rs9.example.net", insecureSkipHostKeyCheck: true } } },
    vipGroups: [{ name: "web", vips: ["192.0.2.10"], services: [{ fwmark: 1, persistence: { timeout: 600 }, realServers: [{ host: "rs9", forwarding: "tun", tunnel: { type: "gue", port: 5555 } }] }] }],
    directors: [{ host: "d1", vipGroups: ["web"] }],
    realServers: [{ host: "rs9" }],
};
parseCluster(cluster);
`,
    schedulr: `${HEAD}
new VipGroup("web", { spec: { name: "web", vips: ["192.0.2.10"], services: [{ protocol: "tcp", port: 80, schedulr: "wrr" }] } });
`,
    weightTwo: `${HEAD}
new VipGroup("web", { spec: { name: "web", vips: ["192.0.2.10"], services: [{ protocol: "tcp", port: 80, realServers: [{ address: "10.0.0.9", weight: "two" }] }] } });
`,
    scheduler: `${HEAD}
new VipGroup("web", { spec: { name: "web", vips: ["192.0.2.10"], services: [{ protocol: "tcp", port: 80, scheduler: "fastest" }] } });
`,
    hostAdress: `${HEAD}
new RealServer("rs9", { host: { name: "rs9", privateKey, spec: { adress: "10.0.0.9", ssh: { hostKey } } }, vipGroups: [] });
`,
    portText: `${HEAD}
new Director("d1", { host: { name: "d1", privateKey, spec: { address: "10.0.0.2", ssh: { hostKey, port: "22" } } }, vipGroups: [] });
`,
    clusterForwarding: `${HEAD}
const cluster: ClusterSpecInput = { hosts: {}, vipGroups: [{ name: "web", vips: ["192.0.2.10"], services: [{ protocol: "tcp", port: 80, realServers: [{ address: "10.0.0.9", forwarding: "direct" }] }] }] };
`,
    haPriority: `${HEAD}
const web = new VipGroup("web", { spec: { name: "web", vips: ["192.0.2.10"], services: [{ protocol: "tcp", port: 80 }] } });
new HaPair("web-ha", { nodes: [{ host: host("d1", "10.0.0.3"), priority: "high" }, { host: host("d2", "10.0.0.4"), priority: 100 }], virtualRouterId: 51, vipGroups: [web] });
`,
};

interface Found {
    /** The source text the error points at. */
    at: string;
    /** The message, with its chain and related information. */
    text: string;
}

/** Compiles every program in one pass (the library's types are checked once) and returns each one's errors. */
function compile(): Record<string, Found[]> {
    const config = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
    const options = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT).options;
    const files = new Map(Object.entries(PROGRAMS).map(([name, text]) => [path.join(DIR, `${name}.ts`), text]));
    const host = ts.createCompilerHost({ ...options, noEmit: true });
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (file, lang, ...rest) => {
        const text = files.get(path.resolve(file));
        return text !== undefined ? ts.createSourceFile(file, text, lang) : getSourceFile(file, lang, ...rest);
    };
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (file) => files.has(path.resolve(file)) || fileExists(file);
    const program = ts.createProgram([...files.keys()], { ...options, noEmit: true, noUnusedLocals: false }, host);
    const out: Record<string, Found[]> = {};
    for (const [name] of Object.entries(PROGRAMS)) {
        const source = program.getSourceFile(path.join(DIR, `${name}.ts`))!;
        out[name] = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
            const start = d.start ?? 0;
            const at = source.text.slice(start, start + (d.length ?? 0));
            const related = (d.relatedInformation ?? []).map((r) => ts.flattenDiagnosticMessageText(r.messageText, "\n"));
            return { at, text: [ts.flattenDiagnosticMessageText(d.messageText, "\n"), ...related].join("\n") };
        });
    }
    return out;
}

describe("the library's types", () => {
    // One compile of the library and @pulumi/pulumi's types: a few seconds, more on a busy machine.
    const errors = compile();

    it("accept literals that leave every default out, with pulumi.Inputs where the components take them", () => {
        expect(errors.correct).toEqual([]);
    });

    it.each([
        ["schedulr", "schedulr", /'schedulr' does not exist/],
        ["weightTwo", "weight", /Type 'string' is not assignable to type 'Input<number>/],
        ["scheduler", "scheduler", /"fastest"' is not assignable to type '"rr" \| "wrr"/],
        ["hostAdress", "adress", /'adress' does not exist/],
        ["portText", "port", /Type 'string' is not assignable to type 'Input<number>/],
        ["clusterForwarding", "forwarding", /'"direct"' is not assignable to type '"dr" \| "nat" \| "tun"/],
        ["haPriority", "priority", /Type 'string' is not assignable to type 'number'/],
    ])("refuse %s: one error, at the field %s", (program, field, message) => {
        expect(errors[program]).toHaveLength(1);
        expect(errors[program][0].at).toBe(field);
        expect(errors[program][0].text).toMatch(message);
    });
});
