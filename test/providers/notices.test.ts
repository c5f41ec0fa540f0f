/** The preview's notices survive the trip through the engine's diagnostics as text. */
import { describe, expect, it } from "vitest";
import { formatNotice, parseNotices, type Notice } from "../../components/providers/notices";

describe("notices", () => {
    it("parse back what was formatted, among other lines and with the engine's indentation", () => {
        const ns: Notice[] = [
            { kind: "unchecked", host: "director1", reason: "ssh director1 (root@127.0.0.1:22011): unreachable: no SSH handshake within 5 s" },
            { kind: "drift", host: "director2", entry: "-a -t 192.168.13.100:80 -r 192.168.13.10:80", live: "-g -w 5", stack: "-g -w 1" },
            { kind: "drift", host: "director2", entry: "-A -f 7", stack: "-s lc" },
            { kind: "drift", host: "d3", entry: "-a -t [2001:db8::100]:443 -r [2001:db8::9]:443", live: "-g -w 1" },
        ];
        const text = ["Previewing update (lab):", ...ns.map((n) => `    ${formatNotice(n)}`), "Resources:"].join("\n");
        expect(parseNotices(text)).toEqual(ns);
    });

    it("fold a multi-line reason onto one line", () => {
        const line = formatNotice({ kind: "unchecked", host: "h", reason: "first\n  second" });
        expect(line).toBe("pulumi-lvs: unchecked h: drift not checked: first second");
    });
});
