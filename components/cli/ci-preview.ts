/**
 * The CI recipe's command: runs `pulumi preview --json` for a stack and prints, as Markdown
 * for a pull-request comment, the ipvs entries each director would add, change and remove,
 * drifted entries, unchecked hosts and other changed resources.
 *
 *   npm run preview:ci -- --stack prod [--out preview.md] [--strict] [-- <more pulumi preview args>]
 *
 * Exit code: 0 no changes, 2 changes, 1 error (the preview failed, or with --strict a host
 * could not be checked). `pulumi` must be on PATH with its backend and secrets provider set.
 */
import * as fs from "fs";
import { buildReport, exitCodeOf, renderMarkdown, type PreviewJson } from "./preview-report";
import { runPulumi } from "./pulumi-cli";

interface Args {
    stack: string;
    out?: string;
    strict: boolean;
    extra: string[];
}

const USAGE = "usage: npm run preview:ci -- --stack NAME [--out FILE] [--strict] [-- PULUMI_PREVIEW_ARGS...]";

function parseArgs(argv: string[]): Args {
    const args: Partial<Args> & { extra: string[]; strict: boolean } = { extra: [], strict: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--") {
            args.extra = argv.slice(i + 1);
            break;
        }
        if (a === "--stack" || a === "-s") args.stack = argv[++i];
        else if (a === "--out") args.out = argv[++i];
        else if (a === "--strict") args.strict = true;
        else throw new Error(`unknown argument ${a}\n${USAGE}`);
    }
    if (!args.stack) throw new Error(`--stack is required\n${USAGE}`);
    return args as Args;
}

/** What went wrong, from the engine's error diagnostics or its stderr. */
function failureText(json: PreviewJson | undefined, stderr: string): string {
    const errors = (json?.diagnostics ?? []).filter((d) => d.severity === "error").map((d) => (d.message ?? "").trim());
    return (errors.length > 0 ? errors.join("\n") : stderr.trim()).split("\n").slice(-30).join("\n");
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    const r = await runPulumi(["preview", "--json", "--non-interactive", "--stack", args.stack, ...args.extra]);
    let json: PreviewJson | undefined;
    try {
        json = JSON.parse(r.stdout) as PreviewJson;
    } catch {
        json = undefined;
    }
    let text: string;
    let code: number;
    if (r.code !== 0 || !json) {
        text = `### pulumi-lvs preview: stack \`${args.stack}\`\n\n**The preview failed** (pulumi exited ${r.code}).\n\n\`\`\`\n${failureText(json, r.stderr)}\n\`\`\`\n`;
        code = 1;
    } else {
        const report = buildReport(args.stack, json, r.stderr);
        text = renderMarkdown(report);
        code = args.strict && report.unchecked.length > 0 ? 1 : exitCodeOf(report);
    }
    process.stdout.write(text);
    if (args.out) fs.writeFileSync(args.out, text);
    return code;
}

main().then(
    (code) => process.exit(code),
    (e: Error) => {
        process.stderr.write(`preview:ci: ${e.message}\n`);
        process.exit(1);
    },
);
