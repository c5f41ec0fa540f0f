/**
 * An in-memory host for provider tests: runs the command lines IpvsTable sends (ipvsadm calls,
 * -R streams on stdin, echoed separators, one-file writes and removals) against FakeIpvsadm and a file map. Anything else fails loudly,
 * so a new kind of command cannot slip past the tests unexercised.
 */
import type { HostTransport, RunResult } from "../../components/providers/transport";
import { FakeIpvsadm, type FakeIpvsadmOptions } from "./fake-ipvsadm";

/** Splits one line of shellQuote output into words (plain words and '...' with '\'' escapes). */
export function shellWords(line: string): string[] {
    const words: string[] = [];
    let cur = "";
    let inWord = false;
    for (let i = 0; i < line.length; i++) {
        const ch = line[i];
        if (ch === "'") {
            const end = line.indexOf("'", i + 1);
            if (end < 0) throw new Error(`unterminated quote in: ${line}`);
            cur += line.slice(i + 1, end);
            i = end;
            inWord = true;
        } else if (ch === "\\" && i + 1 < line.length) {
            cur += line[++i];
            inWord = true;
        } else if (ch === " ") {
            if (inWord) words.push(cur);
            cur = "";
            inWord = false;
        } else {
            cur += ch;
            inWord = true;
        }
    }
    if (inWord) words.push(cur);
    return words;
}

export class FakeHost implements HostTransport {
    readonly ipvsadm: FakeIpvsadm;
    readonly files = new Map<string, string>();
    readonly commands: string[] = [];
    /** Called before each ipvsadm -L poll, so tests can let connections finish over time. */
    onPoll?: () => void;

    constructor(opts: FakeIpvsadmOptions = {}) {
        this.ipvsadm = new FakeIpvsadm(opts);
    }

    async run(command: string, stdin?: string): Promise<RunResult> {
        this.commands.push(command);
        let out = "";
        let err = "";
        for (const written of command.split("\n")) {
            // A listing through stdbuf when the host has it (buffered() in ipvs-table-logic.ts): the fake lists directly.
            const line = /^if command -v stdbuf >\/dev\/null 2>&1; then stdbuf -o 4M (.+); else \1; fi$/.exec(written)?.[1] ?? written;
            if (line === "set -e" || line === "") continue;
            const write = /^mkdir -p "\$\(dirname (\S+)\)" && cat > \1\.tmp && mv \1\.tmp \1$/.exec(line);
            if (write) {
                this.files.set(write[1], stdin ?? "");
                continue;
            }
            const rm = /^rm -f (\S+)$/.exec(line);
            if (rm) {
                this.files.delete(rm[1]);
                continue;
            }
            const echo = /^echo '([^']*)'$/.exec(line);
            if (echo) {
                out += `${echo[1]}\n`;
                continue;
            }
            if (line === "cat /proc/net/ip_vs") {
                out += this.ipvsadm.procText();
                continue;
            }
            // Removing the emptied state dir: the fake has no directories to remove.
            if (/^rmdir "\$\(dirname \S+\)" 2>\/dev\/null \|\| true$/.test(line)) continue;
            const argv = shellWords(line);
            if (argv[0] !== "ipvsadm") return { code: 127, stdout: "", stderr: `fake host: unsupported command: ${line}` };
            if (argv.includes("-L") && !argv.includes("--thresholds")) this.onPoll?.();
            const r = this.ipvsadm.exec(argv.slice(1), stdin);
            err += r.stderr;
            if (r.code !== 0) return { code: r.code, stdout: out, stderr: err };
            out += r.stdout;
        }
        // A command that exits 0 may still have printed errors (ipvsadm -R does, for lines the kernel refused).
        return { code: 0, stdout: out, stderr: err };
    }

    async close(): Promise<void> {}
}
