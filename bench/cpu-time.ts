/**
 * CPU time this machine spent, from /proc/stat: what tells a step that waits on CPU from one
 * that waits on something else. Under TCG each busy guest keeps a host core busy, so a step
 * that needs C CPU-seconds cannot take less than C / cores seconds, however parallel it is.
 */
import * as fs from "fs";
import * as os from "os";

/** Seconds of busy and of all CPU time since boot, summed over the cores. */
function cpuTotals(): { busy: number; all: number } {
    const fields = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
    const all = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = fields[3] + fields[4];
    const tick = 100; // USER_HZ
    return { busy: (all - idle) / tick, all: all / tick };
}

export interface CpuSpent {
    /** CPU-seconds the whole machine was busy (engine, plugins, guests). */
    busySeconds: number;
    /** busySeconds / cores: the least wall time the work could have taken here. */
    floorSeconds: number;
}

/** Runs `fn`, returning its result and the machine's CPU time meanwhile. */
export async function withCpuTime<T>(fn: () => Promise<T>): Promise<{ result: T; cpu: CpuSpent }> {
    const before = cpuTotals();
    const result = await fn();
    const busySeconds = cpuTotals().busy - before.busy;
    return { result, cpu: { busySeconds, floorSeconds: busySeconds / os.cpus().length } };
}
