/**
 * vitest globalSetup for the lab and e2e projects: one test run at a time owns the lab. The
 * lab is one set of VMs per machine, and two runs at once reconfigure each other's hosts.
 * The lock is a directory (mkdir is atomic) holding the owner's PID; a lock whose owner is
 * gone is taken over, so a crashed run never blocks the next one.
 */
import * as fs from "fs";

const LOCK = "/var/tmp/pulumi-lvs-lab.test-lock";
const OWNER = `${LOCK}/pid`;

function ownerAlive(): boolean {
    try {
        process.kill(Number(fs.readFileSync(OWNER, "utf8")), 0);
        return true;
    } catch {
        return false;
    }
}

export default async function acquire(): Promise<() => void> {
    const started = Date.now();
    let announced = false;
    for (;;) {
        try {
            fs.mkdirSync(LOCK);
            fs.writeFileSync(OWNER, String(process.pid));
            break;
        } catch {
            // A lock dir without a live owner (or still without a pid file after a few seconds) is stale.
            if (!ownerAlive() && (fs.existsSync(OWNER) || Date.now() - started > 5_000)) {
                fs.rmSync(LOCK, { recursive: true, force: true });
                continue;
            }
            if (!announced) console.log(`[lab-lock] waiting for another test run (pid ${fs.existsSync(OWNER) ? fs.readFileSync(OWNER, "utf8") : "?"}) to finish with the lab`);
            announced = true;
            await new Promise((r) => setTimeout(r, 2_000));
        }
    }
    if (announced) console.log(`[lab-lock] got the lab after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return () => fs.rmSync(LOCK, { recursive: true, force: true });
}
