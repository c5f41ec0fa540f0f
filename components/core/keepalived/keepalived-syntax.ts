/**
 * The lexical side of keepalived.conf: blocks, and guards for every value written into the
 * file. keepalived splits on white space, treats '#' and '!' as comments anywhere, expands
 * '$NAME' and reads '{' '}' as structure, so a value is written only when it is one inert
 * word; schema checks come first, these guards make a schema gap fail loudly instead of
 * turning data into configuration.
 */

/** A line, or a block `head { ... }`. */
export type ConfLine = string | ConfBlock;
export interface ConfBlock {
    head: string;
    body: ConfLine[];
}

export function block(head: string, body: ConfLine[]): ConfBlock {
    return { head, body };
}

/** Text of blocks and lines, four spaces per level, one trailing newline. */
export function renderConf(lines: ConfLine[], depth = 0): string {
    const pad = "    ".repeat(depth);
    return lines.map((l) => (typeof l === "string" ? `${pad}${l}\n` : `${pad}${l.head} {\n${renderConf(l.body, depth + 1)}${pad}}\n`)).join("");
}

const WORD = /^[A-Za-z0-9_.:/%?=&+~,-]+$/;
// Inside double quotes keepalived still reads '\' escapes and the quote itself; '$' would be substituted.
const QUOTABLE = /^[A-Za-z0-9_.:/=,@ -]+$/;

/** One configuration word; throws naming `what` when the value could be read as anything else. */
export function word(value: string | number, what: string): string {
    const text = String(value);
    if (!WORD.test(text)) throw new Error(`keepalived.conf: ${what} ${JSON.stringify(text).slice(0, 80)} is not a plain word; refusing to write it`);
    return text;
}

/** A double-quoted string (program and arguments) for keywords such as misc_path. */
export function quoted(value: string, what: string): string {
    if (!QUOTABLE.test(value) || value.trim() !== value) throw new Error(`keepalived.conf: ${what} ${JSON.stringify(value).slice(0, 80)} has characters keepalived would interpret; refusing to write it`);
    return `"${value}"`;
}

/** A non-negative integer. */
export function int(value: number, what: string): string {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`keepalived.conf: ${what} ${value} is not a whole number >= 0`);
    return String(value);
}

/** A keepalived TIMER: seconds with up to microsecond resolution, never in exponent notation. */
export function timer(value: number, what: string): string {
    const text = Number.isFinite(value) && value > 0 ? value.toFixed(6).replace(/\.?0+$/, "") : "";
    if (text === "" || text === "0") throw new Error(`keepalived.conf: ${what} ${value} is not a positive number of seconds (resolution 1 µs)`);
    return text;
}

/** Text for a comment: anything but a line break or control character (which would end the comment). */
export function commentText(text: string): string {
    if (/[\u0000-\u001f\u007f]/.test(text)) throw new Error(`keepalived.conf: comment ${JSON.stringify(text).slice(0, 80)} has a control character; refusing to write it`);
    return text;
}
