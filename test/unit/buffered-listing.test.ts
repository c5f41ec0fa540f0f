/**
 * buffered(): an ipvsadm listing goes through coreutils' stdbuf when the host has it, and runs
 * as it is when not, with the same output either way. Run by /bin/sh against an ipvsadm stub
 * that prints its arguments and the buffer size stdbuf handed it (stdbuf passes it in
 * _STDBUF_O).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buffered } from "../../components/providers/ipvs-table-logic";

let bin: string;

beforeAll(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), "buffered-listing-"));
    fs.writeFileSync(path.join(bin, "ipvsadm"), '#!/bin/sh\nprintf "%s\\n" "buffer ${_STDBUF_O:-none}" "$*"\n', { mode: 0o755 });
});
afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));

const run = (pathVar: string) => execFileSync("/bin/sh", ["-c", buffered("ipvsadm -L -n --thresholds")], { env: { PATH: pathVar }, encoding: "utf8" });

describe("buffered ipvsadm listings", () => {
    it("runs the listing through stdbuf with a 4 MiB output buffer where stdbuf is found", () => {
        const stdbuf = execFileSync("/bin/sh", ["-c", "command -v stdbuf"], { encoding: "utf8" }).trim();
        expect(run(`${bin}:${path.dirname(stdbuf)}`)).toBe(`buffer ${4 * 1024 * 1024}\n-L -n --thresholds\n`);
    });

    it("runs the listing itself on a host without stdbuf", () => {
        expect(run(bin)).toBe("buffer none\n-L -n --thresholds\n");
    });
});
