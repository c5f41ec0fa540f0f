/**
 * Each seed scenario with traffic, from the cluster in its stack file (issue 11): 000 (DR rr),
 * 001 (NAT wrr 3:1), 002 (HaPair with TCP checks) and 004 (MySQL-style DR on 3306, wrr), mapped
 * onto the lab: each host is the lab host of the same name at the lab's address on the network
 * the seed puts it (seed 001's 172.16.0.0/16 is the lab's private network), each interface is
 * the lab NIC carrying that address, and a VIP outside the lab's networks moves to
 * 192.168.13.100. Every service must split requests exactly as its scheduler and weights say.
 */
import { describe, expect, it } from "vitest";
import { asClient, readLabHosts, up } from "../lab/lab";
import { freshStack, pulumiOk, report, writeStackConfig } from "./support/engine";
import { labStackHosts, tally } from "./support/lab-stack";
import { clusterOf } from "../support/stacks";

type Cluster = Record<string, any>;
const LAB_NETS = [/^192\.168\.13\./, /^192\.168\.0\./, /^172\.16\./];

/** The seed's cluster on the lab's hosts and networks. */
function seedOnLab(seed: string): Cluster {
    const main = labStackHosts();
    const privateNet = labStackHosts({}, "private");
    const c = clusterOf(seed);
    const nic: Record<string, string> = {};
    for (const name of Object.keys(c.hosts)) {
        const onPrivate = /^172\.16\./.test(c.hosts[name].address);
        c.hosts[name] = onPrivate ? privateNet[name] : main[name];
        nic[name] = onPrivate ? "ens34" : "ens33";
    }
    for (const g of c.vipGroups) g.vips = g.vips.map((v: string) => (LAB_NETS.some((n) => n.test(v)) ? v : "192.168.13.100"));
    // Every VIP lives on the lab's main bridge, so directors face clients on ens33; a real
    // server's interface is the NIC carrying its address (seed 001's on the private network).
    for (const d of c.directors ?? []) d.interface = "ens33";
    for (const p of c.haPairs ?? []) for (const n of p.nodes) n.interface = "ens33";
    for (const r of c.realServers ?? []) r.interface = nic[r.host];
    return c;
}

/** Requests for each service and the split its scheduler and weights promise (rr and wrr are exact). */
function expectedSplit(svc: Cluster, rounds: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of svc.realServers) out[r.host] = (svc.scheduler === "rr" ? 1 : (r.weight ?? 1)) * rounds;
    return out;
}

const SEEDS = ["seed-000", "seed-001", "seed-002", "seed-004"];

describe.sequential.each(SEEDS)("%s on the lab", (seed) => {
    const stack = `e2e-${seed}`;
    const S = ["--stack", stack];
    let cluster: Cluster;

    it("comes up from its stack file and splits the requests as its scheduler says", async () => {
        await up();
        cluster = seedOnLab(seed);
        writeStackConfig(stack, { "pulumi-lvs:sshPrivateKeyFile": readLabHosts().privateKeyPath, "pulumi-lvs:cluster": cluster });
        await freshStack(stack);
        const r = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report(`${seed} up`, r.seconds);
        for (const g of cluster.vipGroups) {
            for (const svc of g.services) {
                const want = expectedSplit(svc, 5);
                const n = Object.values(want).reduce((a, b) => a + b, 0);
                const url = `http://${g.vips[0]}:${svc.port}/`;
                // keepalived's checks take a delay loop to put real servers in; wait for answers first.
                await asClient(["sh", "-c", `for i in $(seq 1 60); do curl -s --max-time 2 ${url} >/dev/null && exit 0; sleep 1; done; exit 1`]);
                if (cluster.haPairs) await new Promise((r) => setTimeout(r, 12_000)); // both real servers checked in (delay loop 6 s)
                const out = await asClient(["sh", "-c", `for i in $(seq 1 ${n}); do curl -s --max-time 3 ${url} || echo FAILED; done`]);
                expect(tally(out.stdout.split("\n").filter(Boolean)), `${seed} ${url}`).toEqual(want);
            }
        }
    });

    it("destroys cleanly", async () => {
        await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
        for (const g of cluster.vipGroups) {
            const r = await asClient(["curl", "-s", "--max-time", "2", `http://${g.vips[0]}:${g.services[0].port}/`]);
            expect(r.code).not.toBe(0);
        }
    });
});
