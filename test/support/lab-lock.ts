/**
 * vitest globalSetup for the lab and e2e projects: one test run at a time owns the lab. The
 * lab is one set of VMs per machine, and two runs at once reconfigure each other's hosts.
 * The lock is a directory (mkdir is atomic) holding the owner's PID; a lock whose owner is
 * gone is taken over, so a crashed run never blocks the next one.
 */
import { givePidLock, takePidLock } from "./pid-lock";

const LOCK = "/var/tmp/pulumi-lvs-lab.test-lock";

export default async function acquire(): Promise<() => void> {
    const started = Date.now();
    let announced = false;
    await takePidLock(LOCK, 2_000, (owner) => {
        console.log(`[lab-lock] waiting for another test run (pid ${owner ?? "?"}) to finish with the lab`);
        announced = true;
    });
    if (announced) console.log(`[lab-lock] got the lab after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return () => givePidLock(LOCK);
}
