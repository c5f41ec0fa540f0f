/**
 * The picture of a cluster (`npm run picture`): each seed stack, read from its file as the
 * command reads it, drawn with every VIP, virtual service, real server and forwarding/weight
 * label; boxes that do not overlap in ELK's layout; SVG that parses; a PNG from resvg; the
 * committed docs/pictures up to date; a lab stack whose hosts file is missing drawn by name;
 * and bad arguments or a bad stack refused in one line with the fix.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseCluster, type ClusterSpec } from "../../components/schema/cluster";
import { clusterPicture, type ClusterPicture } from "../../components/core/picture/cluster-picture";
import type { Box, PlacedNode } from "../../components/core/picture/layout";
import { readStackCluster } from "../../components/cli/stack-file";
import { svgToPng } from "../../components/cli/picture-png";
import { runPicture } from "../../components/cli/picture";
import { ROOT } from "../support/stacks";

const SEEDS = ["seed-000", "seed-001", "seed-002", "seed-004", "seed-000-file"];

async function drawStack(stack: string, projectDir = ROOT): Promise<{ spec: ClusterSpec; picture: ClusterPicture }> {
    const read = readStackCluster(projectDir, stack);
    const spec = parseCluster(read.cluster);
    return { spec, picture: await clusterPicture(spec, `stack ${stack}`, { unknownHosts: new Set(read.unknownHosts) }) };
}

/** The SVG's text elements, unescaped: what a reader sees. */
function textsOf(svg: string): string[] {
    return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&"));
}

/** Light well-formedness: tags nest and close, attributes are quoted, no stray '<' or bare '&' in text. */
function wellFormedProblems(xml: string): string[] {
    const problems: string[] = [];
    const open: string[] = [];
    let last = 0;
    for (const m of xml.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
        const between = xml.slice(last, m.index);
        if (/[<>]/.test(between)) problems.push(`stray markup before offset ${m.index}: ${between.slice(0, 40)}`);
        last = m.index + m[0].length;
        const [, closing, name, , selfClosing] = m;
        if (closing) {
            if (open.pop() !== name) problems.push(`</${name}> at offset ${m.index} closes nothing open`);
        } else if (!selfClosing) open.push(name);
    }
    if (/[<>]/.test(xml.slice(last))) problems.push("markup left unread at the end");
    if (open.length > 0) problems.push(`never closed: ${open.join(", ")}`);
    for (const m of xml.matchAll(/&(?!(amp|lt|gt|quot|apos);)/g)) problems.push(`bare & at offset ${m.index}`);
    if (!xml.startsWith("<svg ")) problems.push("does not start with <svg");
    return problems;
}

const overlaps = (a: Box, b: Box) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (inner: Box, outer: Box) => inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;

/** Pairs of boxes that overlap among siblings, and children that leave their parent, at every level. */
function layoutProblems(nodes: PlacedNode[], within?: PlacedNode): string[] {
    const problems: string[] = [];
    nodes.forEach((a, i) => {
        if (within && !inside(a.box, within.box)) problems.push(`${a.node.id} leaves ${within.node.id}`);
        for (const b of nodes.slice(i + 1)) if (overlaps(a.box, b.box)) problems.push(`${a.node.id} overlaps ${b.node.id}`);
        problems.push(...layoutProblems(a.children, a));
    });
    return problems;
}

/** What the stack says should be drawn, worked out from the spec itself rather than from the graph code. */
function expectedContent(spec: ClusterSpec): { vips: string[]; services: string[]; servers: string[]; labels: Map<string, number> } {
    const addressOf = (rs: { host?: string; address?: string }) => rs.address ?? spec.hosts[rs.host ?? ""].address;
    const labels = new Map<string, number>();
    const services: string[] = [];
    const servers = new Set<string>();
    for (const g of spec.vipGroups) {
        for (const svc of g.services) {
            for (const vip of g.vips) services.push(`${svc.protocol} ${vip}:${svc.port}`, `scheduler ${svc.scheduler}`);
            for (const rs of svc.realServers) {
                servers.add(addressOf(rs));
                const label = `${rs.forwarding}, weight ${rs.weight}`;
                labels.set(label, (labels.get(label) ?? 0) + g.vips.length);
            }
        }
    }
    return { vips: spec.vipGroups.flatMap((g) => g.vips), services, servers: [...servers], labels };
}

describe("the picture of a seed stack", () => {
    it.each(SEEDS)("%s: every VIP, virtual service, real server and forwarding/weight label is drawn", async (stack) => {
        const { spec, picture } = await drawStack(stack);
        const texts = textsOf(picture.svg);
        const want = expectedContent(spec);
        for (const vip of want.vips) expect(texts).toContain(`VIP ${vip}`);
        for (const line of want.services) expect(texts).toContain(line);
        for (const address of want.servers) expect(texts).toContain(address);
        for (const [label, count] of want.labels) expect(texts.filter((t) => t === label), label).toHaveLength(count);
        const owners = [...spec.directors.map((d) => d.host), ...spec.haPairs.flatMap((p) => [`HaPair ${p.name}`, ...p.nodes.map((n) => n.host)])];
        for (const owner of owners) expect(texts).toContain(owner);
        expect(texts).toContain("clients");
    });

    it.each(SEEDS)("%s: the SVG is well formed and ELK's boxes do not overlap (nor do edge labels cover a box)", async (stack) => {
        const { picture } = await drawStack(stack);
        expect(wellFormedProblems(picture.svg)).toEqual([]);
        expect(layoutProblems(picture.layout.nodes)).toEqual([]);
        const boxes = picture.layout.nodes.map((n) => n.box);
        const covered = picture.layout.edges.filter((e) => e.label && boxes.some((b) => overlaps(e.label as Box, b)));
        expect(covered.map((e) => e.edge.id)).toEqual([]);
        for (const n of picture.layout.nodes) expect(n.box.x + n.box.width).toBeLessThanOrEqual(picture.layout.width);
    });

    it("draws an HaPair's two directors inside the pair, the master (higher priority) first", async () => {
        const { picture } = await drawStack("seed-002");
        const pair = picture.layout.nodes.find((n) => n.node.kind === "haPair");
        expect(pair?.children.map((c) => c.node.lines.slice(0, 3))).toEqual([
            ["director1", "192.168.13.111", "MASTER, priority 100"],
            ["director2", "192.168.13.114", "BACKUP, priority 90"],
        ]);
        const [master, backup] = pair?.children ?? [];
        expect(master.box.y).toBeLessThan(backup.box.y);
    });

    it("draws seed-000-file (cluster in a file, hosts in the stack) exactly as seed-000, and draws the same SVG every time", async () => {
        const a = await drawStack("seed-000");
        const b = await drawStack("seed-000-file");
        expect(b.picture.graph).toEqual(a.picture.graph);
        expect((await drawStack("seed-000")).picture.svg).toBe(a.picture.svg);
    });

    it.each(["seed-000", "seed-001", "seed-002", "seed-004"])("docs/pictures/%s.svg is what the command draws now", async (stack) => {
        const committed = fs.readFileSync(path.join(ROOT, "docs", "pictures", `${stack}.svg`), "utf8");
        expect(committed, `regenerate it: npm run picture -- --stack ${stack} --out docs/pictures/${stack}.svg`).toBe((await drawStack(stack)).picture.svg);
    });

    it("rasterises to a PNG of the SVG's size, twice over", async () => {
        const { picture } = await drawStack("seed-002");
        const png = svgToPng(picture.svg);
        expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
        const width = png.readUInt32BE(16);
        const height = png.readUInt32BE(20);
        const svgSize = /<svg [^>]*width="(\d+)" height="(\d+)"/.exec(picture.svg);
        expect([width, height]).toEqual([Number(svgSize?.[1]) * 2, Number(svgSize?.[2]) * 2]);
        expect(png.length).toBeGreaterThan(10_000);
    });
});

describe("a stack whose hosts come from a hosts file", () => {
    let project: string;
    const lab = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.lab.yaml"), "utf8");
    beforeAll(() => {
        project = fs.mkdtempSync(path.join(os.tmpdir(), "picture-"));
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: p\nruntime: nodejs\nstackConfigDir: stacks\n");
        fs.mkdirSync(path.join(project, "stacks"));
        fs.writeFileSync(path.join(project, "stacks", "Pulumi.lab.yaml"), lab);
    });
    afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

    it("missing: draws its hosts by name, says so, and shows no stand-in address", async () => {
        const read = readStackCluster(project, "lab");
        expect(read.unknownHosts).toEqual(["director1", "rs1", "rs2"]);
        expect(read.notes).toEqual([`pulumi-lvs:hostsFile: no file at ${path.join(project, ".lab/stack-hosts.json")} (the lab writes it when it starts); director1, rs1, rs2 drawn by name, without addresses.`]);
        const { spec, picture } = await drawStack("lab", project);
        const texts = textsOf(picture.svg);
        for (const host of ["director1", "rs1", "rs2"]) {
            expect(texts).toContain(host);
            expect(picture.svg).not.toContain(spec.hosts[host].address);
        }
        expect(texts.filter((t) => t === "address not known")).toHaveLength(3);
        expect(texts).toContain("VIP 192.168.13.100");
        expect(texts.filter((t) => t === "dr, weight 1")).toHaveLength(2);
    });

    it("present: takes the addresses from it, under the stack's own hosts", async () => {
        fs.mkdirSync(path.join(project, ".lab"), { recursive: true });
        const host = (address: string) => ({ address, ssh: { insecureSkipHostKeyCheck: true } });
        fs.writeFileSync(path.join(project, ".lab", "stack-hosts.json"), JSON.stringify({ hosts: { director1: host("10.9.0.1"), rs1: host("10.9.0.2"), rs2: host("10.9.0.3") } }));
        try {
            const read = readStackCluster(project, "lab");
            expect(read.unknownHosts).toEqual([]);
            const texts = textsOf((await drawStack("lab", project)).picture.svg);
            for (const address of ["10.9.0.1", "10.9.0.2", "10.9.0.3"]) expect(texts).toContain(address);
            expect(texts).not.toContain("address not known");
        } finally {
            fs.rmSync(path.join(project, ".lab"), { recursive: true, force: true });
        }
    });
});

describe("npm run picture", () => {
    let project: string;
    beforeAll(() => {
        project = fs.mkdtempSync(path.join(os.tmpdir(), "picture-"));
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: p\nruntime: nodejs\nstackConfigDir: stacks\n");
        fs.mkdirSync(path.join(project, "stacks"));
        const seed = fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.seed-000.yaml"), "utf8");
        fs.writeFileSync(path.join(project, "stacks", "Pulumi.good.yaml"), seed);
        fs.writeFileSync(path.join(project, "stacks", "Pulumi.bad-vip.yaml"), seed.replace("vips: [192.168.13.100]", "vips: [192.168.13.300]"));
        fs.writeFileSync(path.join(project, "stacks", "Pulumi.misspelt.yaml"), seed.replace("- { host: rs2, forwarding: dr }", "- { host: rs9, forwarding: dr }"));
        fs.writeFileSync(path.join(project, "stacks", "Pulumi.broken.yaml"), "config:\n  pulumi-lvs:cluster: [\n");
    });
    afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

    async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
        let out = "";
        let err = "";
        const code = await runPicture(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) }, project);
        return { code, out, err };
    }

    it("writes the SVG to standard output, or to --out and --png", async () => {
        const toStdout = await run("--stack", "good");
        expect(toStdout).toMatchObject({ code: 0, err: "" });
        expect(toStdout.out).toMatch(/^<svg [\s\S]*<\/svg>\n$/);
        const svg = path.join(project, "out", "good.svg");
        const png = path.join(project, "out", "good.png");
        const toFiles = await run("--stack", "good", "--out", svg, "--png", png);
        expect(toFiles).toEqual({ code: 0, out: `picture: wrote ${svg}\npicture: wrote ${png}\n`, err: "" });
        expect(fs.readFileSync(svg, "utf8")).toBe(toStdout.out);
        expect(fs.readFileSync(png).subarray(1, 4).toString()).toBe("PNG");
    });

    it.each([
        [["--out", "x.svg"], "picture: --stack: missing; it names the stack to draw. Fix: npm run picture -- --stack NAME [--out FILE.svg] [--png FILE.png], e.g. --stack seed-000."],
        [["--stack"], "picture: --stack: needs a value. Fix: npm run picture -- --stack NAME [--out FILE.svg] [--png FILE.png]."],
        [["--stack", "good", "--verbose"], "picture: --verbose: not an argument of picture. Fix: npm run picture -- --stack NAME [--out FILE.svg] [--png FILE.png]."],
        [["--stack", "good", "--out", "good.png"], "picture: --out good.png: the file name must end in .svg, the format written to it. Fix: name it FILE.svg."],
        [["--stack", "../good"], "picture: --stack ../good: not a stack name (letters, digits, '.', '_' and '-'; its file is stacks/Pulumi.NAME.yaml). Fix: give the NAME part only."],
        [["--stack", "nosuch"], "picture: --stack nosuch: there is no stack file stacks/Pulumi.nosuch.yaml. Fix: name one of the stacks that has a file: bad-vip, broken, good, misspelt."],
        [["--stack", "bad-vip"], 'picture: stacks/Pulumi.bad-vip.yaml: cluster.vipGroups[0].vips[0]: "192.168.13.300" is not an IPv4 or IPv6 address. Fix: write a literal address such as 192.168.13.100 or 2001:db8::100.'],
        [["--stack", "misspelt"], 'picture: stacks/Pulumi.misspelt.yaml: cluster.vipGroups[0].services[0].realServers[1].host: names host "rs9", which is not in hosts (director1, rs1, rs2). Fix: add it to hosts or correct the name.'],
        [["--stack", "broken"], "picture: --stack: stacks/Pulumi.broken.yaml is not valid YAML: unexpected end of the stream within a flow collection at line 3, column 1. Fix: correct the file there."],
    ])("refuses %j in one line naming the argument or field, the reason and the fix", async (argv, line) => {
        const r = await run(...argv);
        expect(r).toEqual({ code: 1, out: "", err: `${line}\n` });
    });
});
