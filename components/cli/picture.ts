/**
 * Draws a stack's cluster: clients -> VIPs -> the Director or HaPair holding them -> virtual
 * services -> real servers, each real server's edge labelled with its forwarding method and
 * weight. Reads the stack file directly (stack-file.ts): no engine, no backend, no host.
 *
 *   npm run picture -- --stack NAME [--out FILE.svg] [--png FILE.png]
 *
 * With neither --out nor --png the SVG goes to standard output. Exit code 0 when drawn, 1 when
 * an argument or the stack is refused: one line per problem on standard error, naming the
 * argument or field, the reason and the fix, and no stack trace.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../base/errors";
import { parseCluster } from "../schema/cluster";
import { clusterPicture } from "../core/picture/cluster-picture";
import { findProjectDir, readStackCluster } from "./stack-file";
import { svgToPng } from "./picture-png";

export interface PictureArgs {
    stack: string;
    out?: string;
    png?: string;
}

/** Where the command's text goes; tests pass their own. */
export interface Output {
    stdout(text: string): void;
    stderr(text: string): void;
}

const USAGE = "npm run picture -- --stack NAME [--out FILE.svg] [--png FILE.png]";
// Pulumi's own rule for a stack's name; a slash (org/project/stack) names no file here.
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const refused = (line: string) => new ConfigError([line]);

/** The command's arguments; a ConfigError of one line for anything it cannot use. */
export function parsePictureArgs(argv: readonly string[]): PictureArgs {
    const args: Partial<PictureArgs> = {};
    const valueOf = (flag: string, i: number, suffix?: string): string => {
        const value = argv[i];
        if (value === undefined || value.startsWith("--")) throw refused(`${flag}: needs a value. Fix: ${USAGE}.`);
        if (suffix && !value.toLowerCase().endsWith(suffix)) throw refused(`${flag} ${value}: the file name must end in ${suffix}, the format written to it. Fix: name it FILE${suffix}.`);
        return value;
    };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        if (flag === "--stack" || flag === "-s") args.stack = valueOf(flag, ++i);
        else if (flag === "--out") args.out = valueOf(flag, ++i, ".svg");
        else if (flag === "--png") args.png = valueOf(flag, ++i, ".png");
        else throw refused(`${flag}: not an argument of picture. Fix: ${USAGE}.`);
    }
    if (args.stack === undefined) throw refused(`--stack: missing; it names the stack to draw. Fix: ${USAGE}, e.g. --stack seed-000.`);
    if (!STACK_NAME.test(args.stack)) throw refused(`--stack ${args.stack}: not a stack name (letters, digits, '.', '_' and '-'; its file is stacks/Pulumi.NAME.yaml). Fix: give the NAME part only.`);
    return { ...args, stack: args.stack };
}

/** The whole command; returns its exit code. `projectDir` defaults to this checkout's. */
export async function runPicture(argv: readonly string[], output: Output, projectDir?: string): Promise<number> {
    try {
        const args = parsePictureArgs(argv);
        const stack = readStackCluster(projectDir ?? findProjectDir(__dirname), args.stack);
        for (const note of stack.notes) output.stderr(`picture: ${note}\n`);
        const spec = withIssuesUnder(stack.file, () => parseCluster(stack.cluster));
        const picture = await clusterPicture(spec, `stack ${args.stack}`, { unknownHosts: new Set(stack.unknownHosts) });
        if (args.out === undefined && args.png === undefined) output.stdout(picture.svg);
        if (args.out !== undefined) output.stdout(`picture: wrote ${writeFile("--out", args.out, picture.svg)}\n`);
        if (args.png !== undefined) output.stdout(`picture: wrote ${writeFile("--png", args.png, svgToPng(picture.svg))}\n`);
        return 0;
    } catch (e) {
        const lines = e instanceof ConfigError ? e.issues : [(e as Error).message];
        for (const line of lines) output.stderr(`picture: ${line}\n`);
        return 1;
    }
}

/** parseCluster's lines name fields from `cluster.`; here they also name the file they are in. */
function withIssuesUnder<T>(file: string, parse: () => T): T {
    try {
        return parse();
    } catch (e) {
        if (e instanceof ConfigError) throw new ConfigError(e.issues.map((line) => `${file}: ${line}`));
        throw e;
    }
}

function writeFile(flag: string, file: string, content: string | Buffer): string {
    try {
        fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        fs.writeFileSync(file, content);
    } catch (e) {
        throw refused(`${flag} ${file}: cannot write it (${(e as Error).message}). Fix: choose a path in a directory you can write.`);
    }
    return file;
}

if (require.main === module) {
    void runPicture(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }).then((code) => {
        // exitCode, not exit(): a large SVG on a pipe must drain before the process ends.
        process.exitCode = code;
    });
}
