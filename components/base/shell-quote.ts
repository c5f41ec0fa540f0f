/**
 * The one place where values become shell text. Every value that reaches a remote shell is
 * first validated by its schema and then passed through `shellQuote`, so a schema bug still
 * cannot turn data into code.
 */

/** POSIX single-quoting: safe for any byte string except NUL, which is refused. */
export function shellQuote(value: string | number): string {
    const text = String(value);
    if (text.includes("\0")) throw new Error("shellQuote: NUL byte in a shell argument");
    if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
    return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A command line from argv, each word quoted. */
export function shellCommand(argv: ReadonlyArray<string | number>): string {
    return argv.map(shellQuote).join(" ");
}
