import { describe, expect, it } from "vitest";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { givePidLock, lockOwner, takePidLock } from "../support/pid-lock";

const tmpLock = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pid-lock-")), "lock");

describe("pid-lock (the lab's test-run lock and host leases)", () => {
    it("takes a free lock, waits for a held one, and gets it once given back", async () => {
        const dir = tmpLock();
        await takePidLock(dir, 10);
        expect(lockOwner(dir)).toBe(process.pid);
        let waitedFor: number | undefined;
        let got = false;
        const second = takePidLock(dir, 10, (owner) => (waitedFor = owner)).then(() => (got = true));
        await new Promise((r) => setTimeout(r, 100));
        expect(got).toBe(false);
        expect(waitedFor).toBe(process.pid);
        givePidLock(dir);
        await second;
        expect(got).toBe(true);
        givePidLock(dir);
        expect(fs.existsSync(dir)).toBe(false);
    });

    it("takes over a lock whose owner is gone, and never gives back one it does not hold", async () => {
        const dir = tmpLock();
        const gone = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" }).stdout.trim();
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, "pid"), gone);
        await takePidLock(dir, 10);
        expect(lockOwner(dir)).toBe(process.pid);
        fs.writeFileSync(path.join(dir, "pid"), String(process.ppid));
        givePidLock(dir);
        expect(lockOwner(dir)).toBe(process.ppid);
    });
});
