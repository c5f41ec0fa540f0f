/**
 * The sysctl step, run for real by /bin/sh against a sandbox whose `sysctl` is a stub keeping
 * each key in a file. Shows that a key first set by a later apply is saved then, that a key
 * the stack stops setting is put back at once, and that destroy restores every key's value
 * from before the stack first set it, whichever apply that was.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sysctlStep } from "../../components/core/host/render-sysctl";

const FORWARD = "net/ipv4/ip_forward";
const NODEST = "net/ipv4/vs/expire_nodest_conn";
const RP = "net/ipv4/conf/all/rp_filter";

// sysctl -n KEY prints the value; sysctl -q -w KEY=V... sets each. Keys live as files under $ST/kv.
const SYSCTL_STUB = `#!/bin/sh
kv="$ST/kv"
case "$1" in
  -n) cat "$kv/$(printf '%s' "$2" | tr / _)" ;;
  -q) shift 2; for a in "$@"; do k=\${a%%=*}; printf '%s\\n' "\${a#*=}" > "$kv/$(printf '%s' "$k" | tr / _)"; done ;;
  *) exit 2 ;;
esac
`;

let root: string;
const kvFile = (key: string) => path.join(root, "state", "kv", key.replace(/\//g, "_"));
const get = (key: string) => fs.readFileSync(kvFile(key), "utf8").trim();
const set = (key: string, v: string) => fs.writeFileSync(kvFile(key), `${v}\n`);
const savedFile = () => path.join(root, "var/lib/pulumi-lvs/director.sysctl-prev");

function run(text: string): void {
    const moved = text.replace(/\/etc\//g, `${root}/etc/`).replace(/\/var\/lib\//g, `${root}/var/lib/`);
    execFileSync("/bin/sh", ["-c", moved], { env: { PATH: `${root}/bin:/usr/bin:/bin`, ST: path.join(root, "state") }, stdio: ["ignore", "pipe", "pipe"] });
}

const step = (settings: [string, number][]) => sysctlStep({ name: "director", settings });

beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "sysctl-step-"));
    for (const d of ["bin", "state/kv", "etc", "var/lib"]) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.writeFileSync(path.join(root, "bin", "sysctl"), SYSCTL_STUB, { mode: 0o755 });
    set(FORWARD, "0");
    set(NODEST, "0");
    set(RP, "2");
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe("sysctl step", () => {
    it("sets the values and restores the ones found before, on destroy", () => {
        const s = step([[NODEST, 1]]);
        run(s.create);
        run(s.create); // a re-run must not record our own value as the previous one
        expect(get(NODEST)).toBe("1");
        expect(fs.readFileSync(path.join(root, "etc/sysctl.d/90-pulumi-lvs-director.conf"), "utf8")).toContain(`${NODEST} = 1`);
        run(s.delete);
        expect(get(NODEST)).toBe("0");
        expect(fs.existsSync(path.join(root, "var/lib/pulumi-lvs"))).toBe(false);
    });

    it("saves a key first set by a later apply, so destroy restores it too", () => {
        run(step([[NODEST, 1]]).create);
        const later = step([[NODEST, 1], [FORWARD, 1], [RP, 0]]); // a NAT pool and a TUN role added later
        run(later.create);
        expect([get(NODEST), get(FORWARD), get(RP)]).toEqual(["1", "1", "0"]);
        expect(fs.readFileSync(savedFile(), "utf8")).toBe(`${NODEST}=0\n${FORWARD}=0\n${RP}=2\n`);
        run(later.delete);
        expect([get(NODEST), get(FORWARD), get(RP)]).toEqual(["0", "0", "2"]);
    });

    it("puts back a key the stack stops setting, and forgets it", () => {
        run(step([[NODEST, 1], [FORWARD, 1]]).create);
        const fewer = step([[NODEST, 1]]);
        run(fewer.create);
        expect([get(NODEST), get(FORWARD)]).toEqual(["1", "0"]);
        expect(fs.readFileSync(savedFile(), "utf8")).toBe(`${NODEST}=0\n`);
        set(FORWARD, "1"); // the operator's own change, after we let go of the key
        run(fewer.delete);
        expect([get(NODEST), get(FORWARD)]).toEqual(["0", "1"]);
    });

    it("takes over a saved file written by an earlier version (saved once, every key at once)", () => {
        fs.mkdirSync(path.dirname(savedFile()), { recursive: true });
        fs.writeFileSync(savedFile(), `${NODEST}=0\n`);
        set(NODEST, "1");
        const s = step([[NODEST, 1], [FORWARD, 1]]);
        run(s.create);
        run(s.delete);
        expect([get(NODEST), get(FORWARD)]).toEqual(["0", "0"]);
    });
});
