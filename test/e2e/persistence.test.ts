/**
 * Persistence with traffic (issue 11), real engine, lab: with a persistence timeout one client
 * keeps its real server across requests; with a netmask, clients of one subnet share it; once
 * the timeout has passed with no connection left, the client is scheduled afresh (rr sends it
 * to the other server). A template outlives the client's last connection by that connection's
 * own timeout (tcp FIN_WAIT, 120 s by default), so the test shortens the lab director's
 * tcpfin timeout for its duration and puts the old value back after.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asClient, onHostOk, up } from "../lab/lab";
import { freshStack, pulumiOk } from "./support/engine";
import { VIP, drCluster, writeLabStack } from "./support/lab-stack";

const STACK = "e2e-persist";
const S = ["--stack", STACK];
const CLIENTS = ["192.168.13.250", "192.168.13.251", "192.168.13.252", "192.168.13.253"];
const EXTRA_CLIENTS = CLIENTS.slice(1);
const TIMEOUT = 5;

function persistentCluster(persistence: Record<string, unknown>): Record<string, unknown> {
    const c = drCluster([{ host: "rs1" }, { host: "rs2" }]) as { vipGroups: { services: Record<string, unknown>[] }[] };
    c.vipGroups[0].services[0].persistence = persistence;
    return c;
}

/** `n` requests from the client at `source`: who answered each. */
async function requests(n: number, source = "192.168.13.250"): Promise<string[]> {
    const r = await asClient(["sh", "-c", `for i in $(seq 1 ${n}); do curl -s --max-time 3 --interface ${source} http://${VIP}/ || echo FAILED; done`]);
    return r.stdout.split("\n").filter((l) => l !== "");
}

/** Waits until the director holds no connection or template for the VIP. */
async function waitUntilForgotten(): Promise<number> {
    const started = Date.now();
    for (;;) {
        const conns = await onHostOk("director1", `ipvsadm -L -n -c | grep -c " ${VIP}:80 " || true`);
        if (conns.trim() === "0") return (Date.now() - started) / 1000;
        if (Date.now() - started > 90_000) throw new Error(`the director still holds connections for ${VIP} after 90 s:\n${await onHostOk("director1", "ipvsadm -L -n -c")}`);
        await new Promise((r) => setTimeout(r, 1000));
    }
}

let timeouts = "";

describe.sequential("persistence with traffic", () => {
    beforeAll(async () => {
        await up();
        for (const c of EXTRA_CLIENTS) await asClient(["ip", "addr", "replace", `${c}/24`, "dev", "lvsbr0"]);
        timeouts = (await onHostOk("director1", "ipvsadm -L --timeout")).trim();
        await onHostOk("director1", "modprobe ip_vs && ipvsadm --set 900 3 300");
        writeLabStack(STACK, persistentCluster({ timeout: TIMEOUT }));
        await freshStack(STACK);
    });

    afterAll(async () => {
        await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
        for (const c of EXTRA_CLIENTS) await asClient(["ip", "addr", "del", `${c}/24`, "dev", "lvsbr0"]);
        const m = /\(tcp tcpfin udp\): (\d+) (\d+) (\d+)/.exec(timeouts);
        if (m) await onHostOk("director1", `ipvsadm --set ${m[1]} ${m[2]} ${m[3]}`);
    });

    it("each client keeps its real server across requests, and the clients spread over both", async () => {
        await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        await waitUntilForgotten();
        const servers: string[] = [];
        for (const c of CLIENTS) {
            const got = await requests(4, c);
            expect(new Set(got).size, `${c}: ${got.join(",")}`).toBe(1);
            servers.push(got[0]);
        }
        expect(new Set(servers)).toEqual(new Set(["rs1", "rs2"]));
    });

    it("after the timeout with no connection left, the client is scheduled afresh: over several lifetimes it spreads", async () => {
        const lifetimes: string[] = [];
        const waits: number[] = [];
        for (let i = 0; i < 4; i++) {
            waits.push(await waitUntilForgotten());
            const burst = await requests(3);
            expect(new Set(burst).size, burst.join(",")).toBe(1); // sticky within one lifetime
            lifetimes.push(burst[0]);
        }
        console.log(`[persistence] one client over 4 template lifetimes: ${lifetimes.join(" ")}; templates gone ${waits.slice(1).map((w) => w.toFixed(1)).join(", ")} s after the last request (timeout ${TIMEOUT} s, tcpfin 3 s)`);
        expect(new Set(lifetimes)).toEqual(new Set(["rs1", "rs2"]));
    });

    it("with a netmask, clients of one subnet share one real server", async () => {
        writeLabStack(STACK, persistentCluster({ timeout: TIMEOUT, netmask: "255.255.255.0" }));
        await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        expect(await onHostOk("director1", "ipvsadm -S -n")).toMatch(new RegExp(`^-A -t ${VIP.replace(/\./g, "\\.")}:80 -s rr -p 5 -M 255\\.255\\.255\\.0$`, "m"));
        await waitUntilForgotten();
        const all: string[] = [];
        for (const c of CLIENTS) all.push(...(await requests(2, c)));
        expect(new Set(all).size, all.join(",")).toBe(1);
    });
});
