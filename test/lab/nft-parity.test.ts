/**
 * The marks under the real nft (issue 11), on this machine in a private network namespace
 * (`unshare -rn`), so the machine's own rules are never touched: nft -c accepts every ruleset
 * the product renders, and the marks step loads, reloads and deletes only table inet
 * pulumi_lvs beside another table. nft comes from lab/install-host-deps.sh.
 */
import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { marksStep, renderMarks } from "../../components/core/host/render-fwmark";
import { CLASSIC, MIXED, director } from "../support/fwmark-clusters";

/** An nft binary to check against: $NFT, or nft on PATH; and a private network namespace to run it in. */
function realNft(): string | undefined {
    const nft = process.env.NFT ?? spawnSync("/bin/sh", ["-c", "command -v nft"], { encoding: "utf8" }).stdout.trim();
    if (!nft) return undefined;
    return spawnSync("unshare", ["-rn", nft, "--version"]).status === 0 ? nft : undefined;
}
const NFT = realNft();
if (!NFT) throw new Error("no nft that runs in a private network namespace here: install nftables (bash lab/install-host-deps.sh)");

describe("the marks, under the real nft in a private network namespace", () => {
    const inNetns = (script: string, dir: string) => execFileSync("unshare", ["-rn", "/bin/sh", "-c", script], { env: { PATH: `${dir}/bin:/usr/sbin:/usr/bin:/bin` }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

    it.each([["classic", CLASSIC], ["mixed families, ranges and sctp", MIXED]])("nft -c accepts the %s ruleset", (_what, c) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "marks-nft-"));
        try {
            fs.writeFileSync(path.join(dir, "marks.nft"), renderMarks(director(c).model.marks));
            execFileSync("unshare", ["-rn", NFT!, "-c", "-f", path.join(dir, "marks.nft")], { stdio: ["ignore", "pipe", "pipe"] });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("loads, reloads and deletes only table inet pulumi_lvs beside another table", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "marks-nft-"));
        try {
            fs.mkdirSync(path.join(dir, "bin"));
            fs.symlinkSync(NFT!, path.join(dir, "bin", "nft"));
            const step = marksStep(director(MIXED).model.marks);
            const moved = (t: string) => t.replace(/\/etc\//g, `${dir}/etc/`);
            const out = inNetns(
                [
                    "set -eu",
                    "nft add table inet filter && nft add chain inet filter input '{ type filter hook input priority 0; }'",
                    moved(step.create),
                    moved(step.create),
                    "echo '== up'; nft list tables; nft list chain inet pulumi_lvs prerouting",
                    moved(step.delete),
                    "echo '== down'; nft list tables",
                ].join("\n"),
                dir,
            );
            const [up, down] = out.split("== down");
            expect(up).toContain("table inet filter\ntable inet pulumi_lvs\n");
            expect(up).toContain("ip6 daddr 2001:db8::100 udp dport { 53, 10000-10100 } meta mark set 0x00000001");
            expect(down.trim()).toBe("table inet filter");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
