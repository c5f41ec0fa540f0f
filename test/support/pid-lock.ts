/**
 * A lock between processes on one machine: a directory (mkdir is atomic) holding the owner's
 * PID. One whose owner is gone, or still without a PID a few seconds after its mkdir, is stale
 * and taken over, so a crashed run never blocks the next one. The lab's test-run lock and the
 * host leases are both this.
 */
import * as fs from "fs";
import * as path from "path";

const pidFile = (dir: string) => path.join(dir, "pid");

/** The owner's PID, or undefined while there is none to read. */
export function lockOwner(dir: string): number | undefined {
    try {
        return Number(fs.readFileSync(pidFile(dir), "utf8"));
    } catch {
        return undefined;
    }
}

function ownerAlive(dir: string): boolean {
    const pid = lockOwner(dir);
    if (pid === undefined) return false;
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** Takes the lock at `dir`, polling every `pollMs`; `onWait` is called once, when it must wait. */
export async function takePidLock(dir: string, pollMs: number, onWait?: (owner: number | undefined) => void): Promise<void> {
    const started = Date.now();
    let waited = false;
    for (;;) {
        try {
            fs.mkdirSync(dir);
            fs.writeFileSync(pidFile(dir), String(process.pid));
            return;
        } catch {
            if (!ownerAlive(dir) && (fs.existsSync(pidFile(dir)) || Date.now() - started > 5_000)) {
                fs.rmSync(dir, { recursive: true, force: true });
                continue;
            }
            if (!waited) onWait?.(lockOwner(dir));
            waited = true;
            await new Promise((r) => setTimeout(r, pollMs));
        }
    }
}

/** Gives the lock back, only if this process holds it. */
export function givePidLock(dir: string): void {
    if (lockOwner(dir) === process.pid) fs.rmSync(dir, { recursive: true, force: true });
}
