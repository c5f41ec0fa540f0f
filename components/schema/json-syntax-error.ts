/**
 * Where JSON text first breaks the grammar of RFC 8259, and what was expected there, so a bad
 * cluster file is reported with its line and column. JSON.parse cannot say: on Node 20 its
 * most common message ("Unexpected token 'x', ... is not valid JSON") carries no position,
 * and its wording changes between Node versions. Run only after JSON.parse has failed; it
 * checks the grammar and builds no value.
 */

export interface JsonSyntaxError {
    /** 1-based, as editors count. */
    line: number;
    column: number;
    /** "expected ',' or '}', found '\"'". */
    reason: string;
}

class Stop {
    constructor(
        readonly offset: number,
        readonly expected: string,
    ) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);

/** The first syntax error in `text`, or undefined when it is valid JSON. */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
    let i = 0;
    const stop = (expected: string): never => {
        throw new Stop(i, expected);
    };
    const skipSpace = () => {
        while (i < text.length && " \t\n\r".includes(text[i])) i++;
    };
    const take = (ch: string, expected: string) => {
        skipSpace();
        if (text[i] !== ch) stop(expected);
        i++;
    };
    const string = () => {
        i++;
        for (;;) {
            if (i >= text.length) stop(`a closing '"'`);
            const c = text[i];
            if (c === '"') break;
            if (c < " ") stop("an escape such as \\n in place of a control character");
            if (c === "\\") {
                i++;
                if (text[i] === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) i += 4;
                else if (!ESCAPES.has(text[i])) stop('an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX');
            }
            i++;
        }
        i++;
    };
    const members = (close: string, member: () => void) => {
        i++;
        skipSpace();
        if (text[i] === close) return void i++;
        for (;;) {
            member();
            skipSpace();
            if (text[i] !== ",") return take(close, `',' or '${close}'`);
            i++;
        }
    };
    const value = (): void => {
        skipSpace();
        const c = text[i];
        if (c === "{") {
            return members("}", () => {
                skipSpace();
                if (text[i] !== '"') stop("a property name in double quotes");
                string();
                take(":", "':'");
                value();
            });
        }
        if (c === "[") return members("]", value);
        if (c === '"') return string();
        NUMBER.lastIndex = i;
        if (NUMBER.test(text)) return void (i = NUMBER.lastIndex);
        const word = ["true", "false", "null"].find((w) => text.startsWith(w, i));
        if (word) return void (i += word.length);
        stop("a value (an object, array, string, number, true, false or null)");
    };
    try {
        value();
        skipSpace();
        if (i < text.length) stop("nothing more after the top-level value");
        return undefined;
    } catch (e) {
        if (!(e instanceof Stop)) return undefined; // e.g. nesting deeper than the stack; the caller keeps JSON.parse's message
        const before = text.slice(0, e.offset);
        const ch = text[e.offset];
        const found = ch === undefined ? "the end of the file" : ch < " " ? JSON.stringify(ch) : `'${ch}'`;
        return { line: before.split("\n").length, column: e.offset - before.lastIndexOf("\n"), reason: `expected ${e.expected}, found ${found}` };
    }
}
