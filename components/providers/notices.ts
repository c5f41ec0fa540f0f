/**
 * What a preview learns on a host that the engine's diff cannot carry: a host whose drift
 * could not be checked, and the entries that drifted. Dynamic providers have no channel for
 * warnings, but the engine shows their stderr lines in the preview (and in its --json
 * diagnostics), so they go there in one fixed form that the CI report parses back.
 */
export type Notice =
    | { kind: "unchecked"; host: string; reason: string }
    /** `live` on the host differs from `stack`, what the stack's state records; absent values are undefined. */
    | { kind: "drift"; host: string; entry: string; live?: string; stack?: string };

const PREFIX = "pulumi-lvs:";
const value = (v: string | undefined) => (v === undefined ? "absent" : JSON.stringify(v));
const UNCHECKED = /^pulumi-lvs: unchecked (\S+): drift not checked: (.*)$/;
const DRIFT = /^pulumi-lvs: drift on (\S+): (.+) is ("(?:[^"\\]|\\.)*"|absent) on the host, ("(?:[^"\\]|\\.)*"|absent) in the stack's state$/;

export function formatNotice(n: Notice): string {
    switch (n.kind) {
        case "unchecked":
            return `${PREFIX} unchecked ${n.host}: drift not checked: ${n.reason.replace(/\s*\n\s*/g, " ")}`;
        case "drift":
            return `${PREFIX} drift on ${n.host}: ${n.entry} is ${value(n.live)} on the host, ${value(n.stack)} in the stack's state`;
    }
}

/** Every notice in `text` (one per line, anywhere in it), in order; other lines are ignored. */
export function parseNotices(text: string): Notice[] {
    const out: Notice[] = [];
    const unquote = (v: string) => (v === "absent" ? undefined : (JSON.parse(v) as string));
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        const u = UNCHECKED.exec(line);
        if (u) out.push({ kind: "unchecked", host: u[1], reason: u[2] });
        const d = DRIFT.exec(line);
        if (d) out.push({ kind: "drift", host: d[1], entry: d[2], ...(unquote(d[3]) !== undefined ? { live: unquote(d[3]) } : {}), ...(unquote(d[4]) !== undefined ? { stack: unquote(d[4]) } : {}) });
    }
    return out;
}

/** Prints a notice where the engine picks it up. */
export function emitNotice(n: Notice): void {
    process.stderr.write(`${formatNotice(n)}\n`);
}
