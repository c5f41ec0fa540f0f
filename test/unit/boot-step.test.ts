/**
 * The boot unit step, run by /bin/sh with /etc moved under a temporary directory and a
 * systemctl stub that logs its calls and makes the wants link as `enable` does. A reload
 * costs about a second on a small VM and `enable` without --no-reload another, on every
 * host's path to a converged cluster: a new or unchanged unit file needs neither, only a
 * unit file that changed under the running systemd is reloaded.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bootStep } from "../../components/core/host/render-boot";

const SYSTEMCTL = `echo "systemctl $*" >> "$ROOT/log"
case "$1" in
  enable) mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"; ln -sf ../$3 "$ROOT/etc/systemd/system/multi-user.target.wants/$3" ;;
  disable) rm -f "$ROOT/etc/systemd/system/multi-user.target.wants/$3" ;;
esac`;

let root: string;

function run(text: string): void {
    execFileSync("/bin/sh", ["-c", text.replace(/\/etc\//g, `${root}/etc/`)], { env: { PATH: `${root}/bin:/usr/bin:/bin`, ROOT: root }, stdio: ["ignore", "pipe", "pipe"] });
}

/** systemctl calls since the last look. */
function calls(): string[] {
    const file = path.join(root, "log");
    const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n") : [];
    fs.rmSync(file, { force: true });
    return lines;
}

const unitFile = () => path.join(root, "etc/systemd/system/pulumi-lvs-realserver.service");
const wantsLink = () => path.join(root, "etc/systemd/system/multi-user.target.wants/pulumi-lvs-realserver.service");

beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "boot-step-"));
    fs.mkdirSync(path.join(root, "bin"));
    fs.writeFileSync(path.join(root, "bin", "systemctl"), SYSTEMCTL, { mode: 0o755 });
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe("boot unit step", () => {
    it("enables a new unit without a daemon-reload, and does nothing to systemd when run again", () => {
        const step = bootStep("realserver", ["ip addr replace 192.168.13.100/32 dev lo label lo:0"]);
        run(step.create);
        expect(calls()).toEqual(["systemctl enable --no-reload pulumi-lvs-realserver.service"]);
        expect(fs.readlinkSync(wantsLink())).toBe("../pulumi-lvs-realserver.service");
        expect(fs.readFileSync(unitFile(), "utf8")).toMatch(/\nExecStart=\/bin\/sh \S*\/etc\/pulumi-lvs\/realserver-boot\.sh\n/);

        run(step.create);
        expect(calls()).toEqual([]);
    });

    it("rewrites the boot script with no systemd call: the unit runs it as it is at boot", () => {
        run(bootStep("realserver", ["ip addr replace 192.168.13.100/32 dev lo label lo:0"]).create);
        calls();
        run(bootStep("realserver", ["ip addr replace 192.168.13.101/32 dev lo label lo:0"]).create);
        expect(calls()).toEqual([]);
        expect(fs.readFileSync(path.join(root, "etc/pulumi-lvs/realserver-boot.sh"), "utf8")).toContain("192.168.13.101/32");
    });

    it("reloads systemd when the unit file itself changed, and enables it again if the link went", () => {
        run(bootStep("realserver", ["true"]).create);
        calls();
        fs.rmSync(wantsLink());
        run(bootStep("realserver", ["true"], { after: "network.target" }).create);
        expect(calls()).toEqual(["systemctl daemon-reload", "systemctl enable --no-reload pulumi-lvs-realserver.service"]);
        expect(fs.readFileSync(unitFile(), "utf8")).toContain("After=network.target");
    });

    it("destroy disables without a second reload and removes both files", () => {
        const step = bootStep("realserver", ["true"]);
        run(step.create);
        calls();
        run(step.delete);
        expect(calls()).toEqual(["systemctl disable --no-reload pulumi-lvs-realserver.service", "systemctl daemon-reload"]);
        expect(fs.existsSync(unitFile())).toBe(false);
        expect(fs.existsSync(wantsLink())).toBe(false);
    });
});
