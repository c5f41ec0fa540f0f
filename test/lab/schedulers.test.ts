/**
 * Every scheduler on the real kernel with traffic (issue 11): for each of ipvsadm's fourteen
 * schedulers, and each scheduler flag, the service the product renders (schema -> cluster
 * model -> `ipvsadm -R` text) is loaded on director1 over seed 000's DR real servers, and the
 * client sends requests through the VIP. Every request must be answered, and where the
 * scheduler decides alone (round robin, hashing, failover) the answers must show it.
 * rs1 weighs 3 and rs2 1.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asClient, onHostOk, up } from "./lab";
import { DIRECTOR, VIP, applySeed000, undoSeed000 } from "./seed-000-dr";
import { parseCluster } from "../../components/schema/cluster";
import { groupView } from "../../components/core/host/cluster-model";
import { renderRestore } from "../../components/core/ipvs/ipvs-render";
import { clusterOf } from "../support/stacks";
import { leaseHosts } from "../support/host-lease";

type Expect = "alternate" | "wrr" | "one" | "rs1" | "any";
const CASES: [string, string[], Expect][] = [
    ["rr", [], "alternate"],
    ["wrr", [], "wrr"],
    ["lc", [], "any"],
    ["wlc", [], "any"],
    ["lblc", [], "one"], // by destination: one VIP, one server
    ["lblcr", [], "one"],
    ["dh", [], "one"],
    ["sh", [], "one"], // by source: one client, one server
    ["sh", ["sh-fallback"], "one"],
    ["sh", ["sh-port"], "any"], // the client's port changes with each connection
    ["sed", [], "any"],
    ["nq", [], "any"],
    ["fo", [], "rs1"], // weighted failover: the heaviest available server
    ["ovf", [], "rs1"], // the heaviest server until its active connections pass its weight
    ["mh", [], "one"],
    ["mh", ["mh-fallback"], "one"],
    ["mh", ["mh-port"], "any"],
    ["twos", [], "any"],
];
const REQUESTS = 8;

/** The `ipvsadm -R` text the product renders for VIP:80 with `scheduler` and `flags`. */
function rendered(scheduler: string, flags: string[]): string {
    const c = clusterOf("seed-000");
    const svc = c.vipGroups[0].services[0];
    Object.assign(svc, { scheduler, schedulerFlags: flags });
    svc.realServers[0].weight = 3;
    const spec = parseCluster(c);
    return renderRestore(groupView(spec.hosts, spec.vipGroups[0]).ruleset);
}

async function answers(): Promise<string[]> {
    const r = await asClient(["sh", "-c", `for i in $(seq 1 ${REQUESTS}); do curl -s --max-time 3 http://${VIP}/ || echo FAILED; done`]);
    return r.stdout.split("\n").filter((l) => l !== "");
}

describe.sequential("every scheduler carries traffic on the real kernel", () => {
    leaseHosts("director1", "rs1", "rs2");
    beforeAll(async () => {
        await up();
        await applySeed000();
    });

    afterAll(async () => {
        await undoSeed000();
    });

    it.each(CASES)("%s %j", async (scheduler, flags, expected) => {
        const rules = rendered(scheduler, flags);
        await onHostOk(DIRECTOR, `ipvsadm -D -t ${VIP}:80 2>/dev/null; ipvsadm -R <<'EOF'\n${rules}EOF`);
        const listed = await onHostOk(DIRECTOR, `ipvsadm -L -n -t ${VIP}:80`);
        expect(listed).toMatch(new RegExp(`TCP\\s+${VIP.replace(/\./g, "\\.")}:80 ${scheduler}\\b`));
        for (const flag of flags) expect(listed).toContain(flag.replace(/^(sh|mh)-/, "$1-"));
        const got = await answers();
        expect(got.filter((a) => a === "FAILED"), got.join(",")).toEqual([]);
        expect(new Set(got).size).toBeGreaterThanOrEqual(1);
        for (const a of got) expect(["rs1", "rs2"]).toContain(a);
        const count = (rs: string) => got.filter((a) => a === rs).length;
        if (expected === "alternate") for (let i = 1; i < got.length; i++) expect(got[i]).not.toBe(got[i - 1]);
        if (expected === "wrr") expect([count("rs1"), count("rs2")]).toEqual([6, 2]);
        if (expected === "one") expect(new Set(got).size, got.join(",")).toBe(1);
        if (expected === "rs1") expect(count("rs1"), got.join(",")).toBe(REQUESTS);
        console.log(`[scheduler] ${[scheduler, ...flags].join(" ")}: rs1 ${count("rs1")}, rs2 ${count("rs2")}`);
        // The service stays for the next case to replace, and for undoSeed000 to delete with the VIP.
    });
});
