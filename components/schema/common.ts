/**
 * Field validators shared by every schema. Each string that can reach a shell or a config
 * file is pinned down by an allow-list here, so hostile input is refused at parse time with
 * the field's path, long before any host is contacted.
 */
import { z } from "zod";
import { tryParseAddress } from "../base/address";

/** Any IPv4 or IPv6 address, canonicalised the way ipvsadm prints it. */
export const ipAddress = z.string().transform((text, ctx) => {
    const ip = tryParseAddress(text);
    if (!ip) {
        ctx.addIssue({ code: "custom", message: `"${printable(text)}" is not an IPv4 or IPv6 address. Fix: write a literal address such as 192.168.13.100 or 2001:db8::100.` });
        return z.NEVER;
    }
    return ip.address;
});

/** IPv4 only (for things the kernel or keepalived only accept as IPv4). */
export const ipv4Address = z.string().transform((text, ctx) => {
    const v4 = tryParseAddress(text);
    if (v4?.family !== "inet") {
        ctx.addIssue({ code: "custom", message: `"${printable(text)}" is not an IPv4 address. Fix: write a dotted quad such as 192.168.13.111.` });
        return z.NEVER;
    }
    return v4.address;
});

const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An SSH target: an address or a DNS name (no user@, no options, nothing a shell would read). */
/**
 * A name libc would read as an IPv4 address in another form: all labels numeric (inet_aton
 * takes 192.168.013.100 as octal and 1111111111 as one 32-bit number) or a hex label (0x7f).
 * Such a name would connect somewhere else than it reads; a real DNS name never looks so.
 */
function numericHostForm(t: string): boolean {
    const labels = t.split(".");
    return labels.every((l) => /^[0-9]+$/.test(l)) || labels.some((l) => /^0x[0-9a-f]*$/i.test(l));
}

export const hostNameOrAddress = z
    .string()
    .refine((t) => tryParseAddress(t) !== undefined || DNS_NAME.test(t), {
        message: "must be an IP address or a DNS host name (letters, digits, '-' and '.'). Fix: remove spaces, quotes and shell characters.",
    })
    .refine((t) => tryParseAddress(t) !== undefined || !numericHostForm(t), {
        message: "reads as an IPv4 address in another form (libc takes leading zeros as octal, a bare number as 32 bits, 0x as hex), so SSH would reach another host. Fix: write a plain dotted quad without leading zeros, such as 192.168.13.100.",
    });

/** TCP/UDP port 1..65535. */
export const port = z.number().int("must be a whole number").min(1, "must be 1..65535").max(65535, "must be 1..65535");

/** Names of stack objects; they become parts of Pulumi resource names and file names. */
export const objectName = z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/, "must be 1-40 lowercase letters, digits or '-', starting and ending with a letter or digit");

/**
 * A network interface name the kernel accepts (at most 15 bytes, no '/', ':' or white
 * space, not "." or ".."), narrowed further to characters that are inert in a shell.
 */
export const interfaceName = z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/, "must be an interface name the kernel accepts: 1-15 of letters, digits, '_', '.', '-' (no ':' '/' or spaces), e.g. ens33")
    .refine((t) => t !== "." && t !== "..", "must not be '.' or '..'");

/** A Linux user name for SSH. */
export const userName = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a POSIX user name (lowercase letters, digits, '_' and '-')");

/** An OpenSSH public host key line: "<type> <base64> [comment]"; the comment is dropped. */
export const hostPublicKey = z
    .string()
    .regex(
        /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|rsa-sha2-(256|512)) [A-Za-z0-9+/]+={0,3}( [A-Za-z0-9_.@-]*)?$/,
        "must be an OpenSSH public host key such as 'ssh-ed25519 AAAA…' on one line (see /etc/ssh/ssh_host_ed25519_key.pub on the host)",
    )
    .transform((t) => t.split(" ").slice(0, 2).join(" "));

/** A value for error messages: hostile input is shown escaped, never raw. */
export function printable(text: unknown): string {
    return JSON.stringify(String(text)).slice(1, -1).slice(0, 80);
}
