import { describe, expect, it } from "vitest";
import { allOps, opArgs, planChanges } from "../../components/core/ipvs/ipvs-diff";
import { applyOps } from "../../components/core/ipvs/ipvs-apply";
import type { Plan } from "../../components/core/ipvs/ipvs-diff";
import { fromEntries } from "../../components/core/ipvs/ipvs-entries";

const table = fromEntries;
const none = { services: [], dests: [] };
const argvs = (ops: Plan["apply"]): string[] => ops.map((op) => opArgs(op).join(" "));

// Seed 000/001 style tables, written as entries (the form the preview shows).
const WEB = { "-A -t 192.168.0.75:80": "-s rr" };
const RS45 = { "-a -t 192.168.0.75:80 -r 172.16.0.45:80": "-m -w 1" };
const RS55 = { "-a -t 192.168.0.75:80 -r 172.16.0.55:80": "-m -w 1" };
const RS65 = { "-a -t 192.168.0.75:80 -r 172.16.0.65:80": "-m -w 1" };
const OWNED_WEB = { services: ["-t 192.168.0.75:80"], dests: ["-t 192.168.0.75:80 -r 172.16.0.45:80", "-t 192.168.0.75:80 -r 172.16.0.55:80"] };

describe("planChanges", () => {
    it("creates a table from nothing: services, then real servers", () => {
        const plan = planChanges(table({}), table({ ...WEB, ...RS55, ...RS45 }), none);
        expect(argvs(plan.apply)).toEqual([
            "-A -t 192.168.0.75:80 -s rr",
            "-a -t 192.168.0.75:80 -r 172.16.0.45:80 -m -w 1",
            "-a -t 192.168.0.75:80 -r 172.16.0.55:80 -m -w 1",
        ]);
        expect(plan.drain).toEqual([]);
        expect(plan.remove).toEqual([]);
    });

    it("edits in place with -E/-e (seed 001: rr to wrr, weights 3:1)", () => {
        const live = table({ ...WEB, ...RS45, ...RS55 });
        const want = table({ "-A -t 192.168.0.75:80": "-s wrr", "-a -t 192.168.0.75:80 -r 172.16.0.45:80": "-m -w 3", ...RS55 });
        expect(argvs(planChanges(live, want, OWNED_WEB).apply)).toEqual([
            "-E -t 192.168.0.75:80 -s wrr",
            "-e -t 192.168.0.75:80 -r 172.16.0.45:80 -m -w 3",
        ]);
    });

    it("drains a leaving real server (weight 0, same settings) before deleting it", () => {
        const live = table({ ...WEB, ...RS45, "-a -t 192.168.0.75:80 -r 172.16.0.55:80": "-m -w 5 -x 100" });
        const plan = planChanges(live, table({ ...WEB, ...RS45 }), OWNED_WEB);
        expect(plan.apply).toEqual([]);
        expect(argvs(plan.drain)).toEqual(["-e -t 192.168.0.75:80 -r 172.16.0.55:80 -m -w 0 -x 100"]);
        expect(argvs(plan.remove)).toEqual(["-d -t 192.168.0.75:80 -r 172.16.0.55:80"]);
    });

    it("does not drain what is already quiesced", () => {
        const live = table({ ...WEB, ...RS45, "-a -t 192.168.0.75:80 -r 172.16.0.55:80": "-m -w 0" });
        const plan = planChanges(live, table({ ...WEB, ...RS45 }), OWNED_WEB);
        expect(plan.drain).toEqual([]);
        expect(argvs(plan.remove)).toEqual(["-d -t 192.168.0.75:80 -r 172.16.0.55:80"]);
    });

    it("deletes an owned service with -D after draining its real servers, without -d", () => {
        const plan = planChanges(table({ ...WEB, ...RS45, ...RS55 }), table({}), OWNED_WEB);
        expect(argvs(plan.drain)).toEqual([
            "-e -t 192.168.0.75:80 -r 172.16.0.45:80 -m -w 0",
            "-e -t 192.168.0.75:80 -r 172.16.0.55:80 -m -w 0",
        ]);
        expect(argvs(plan.remove)).toEqual(["-D -t 192.168.0.75:80"]);
        expect(plan.warnings).toEqual([]);
    });

    it("keeps an owned service that holds a foreign real server, and says so", () => {
        const plan = planChanges(table({ ...WEB, ...RS45, ...RS55, ...RS65 }), table({}), OWNED_WEB);
        expect(argvs(plan.remove)).toEqual(["-d -t 192.168.0.75:80 -r 172.16.0.45:80", "-d -t 192.168.0.75:80 -r 172.16.0.55:80"]);
        expect(plan.warnings).toHaveLength(1);
        expect(plan.warnings[0]).toMatch(/-t 192\.168\.0\.75:80 is no longer wanted but still holds real servers this stack does not own \(-t 192\.168\.0\.75:80 -r 172\.16\.0\.65:80\)/);
    });

    it("leaves foreign entries alone: foreign services, and foreign real servers under desired services", () => {
        const foreign = { "-A -u 10.9.9.9:53": "-s rr", "-a -u 10.9.9.9:53 -r 10.9.9.10:53": "-g -w 1" };
        const live = table({ ...WEB, ...RS45, ...RS65, ...foreign });
        const plan = planChanges(live, table({ ...WEB, ...RS45 }), OWNED_WEB);
        expect(allOps(plan)).toEqual([]);
        expect(plan.adopted).toEqual([]);
    });

    it("adopts live entries that are desired but were not created here, editing them to match", () => {
        const plan = planChanges(table({ ...WEB, ...RS45 }), table({ "-A -t 192.168.0.75:80": "-s wlc", ...RS45 }), none);
        expect(argvs(plan.apply)).toEqual(["-E -t 192.168.0.75:80 -s wlc"]);
        expect(plan.adopted).toEqual(["-A -t 192.168.0.75:80", "-a -t 192.168.0.75:80 -r 172.16.0.45:80"]);
    });

    it("changes forwarding and tunnel settings with -e, identity with add and delete", () => {
        const live = table({ "-A -f 7": "-s rr", "-a -f 7 -r 10.0.0.5:0": "-g -w 1", ...WEB, ...RS45 });
        const want = table({
            "-A -f 7": "-s rr",
            "-a -f 7 -r 10.0.0.5:0": "-i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum",
            "-A -t 192.168.0.75:8080": "-s rr",
            "-a -t 192.168.0.75:8080 -r 172.16.0.45:80": "-m -w 1",
        });
        const plan = planChanges(live, want, { services: ["-f 7", "-t 192.168.0.75:80"], dests: ["-f 7 -r 10.0.0.5:0", "-t 192.168.0.75:80 -r 172.16.0.45:80"] });
        expect(argvs(plan.apply)).toEqual([
            "-A -t 192.168.0.75:8080 -s rr",
            "-a -t 192.168.0.75:8080 -r 172.16.0.45:80 -m -w 1",
            "-e -f 7 -r 10.0.0.5:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-nocsum",
        ]);
        expect(argvs(plan.drain)).toEqual(["-e -t 192.168.0.75:80 -r 172.16.0.45:80 -m -w 0"]);
        expect(argvs(plan.remove)).toEqual(["-D -t 192.168.0.75:80"]);
    });

    it("removes an owned real server under a foreign service but keeps the service", () => {
        const live = table({ ...WEB, ...RS45, ...RS55 });
        const plan = planChanges(live, table({}), { services: [], dests: ["-t 192.168.0.75:80 -r 172.16.0.45:80"] });
        expect(argvs(plan.remove)).toEqual(["-d -t 192.168.0.75:80 -r 172.16.0.45:80"]);
        expect(plan.warnings).toEqual([]);
    });

    it("compares only weight and thresholds of a real server local to the director", () => {
        // What -S prints for a NAT real server on the director itself: the kernel made it Local.
        const live = table({ ...WEB, "-a -t 192.168.0.75:80 -r 192.168.0.75:8080": "-g -w 1" });
        const want = table({ ...WEB, "-a -t 192.168.0.75:80 -r 192.168.0.75:8080": "-m -w 1" });
        const owned = { services: ["-t 192.168.0.75:80"], dests: ["-t 192.168.0.75:80 -r 192.168.0.75:8080"] };
        expect(allOps(planChanges(live, want, owned, { localAddresses: ["192.168.0.75"] }))).toEqual([]);
        expect(argvs(planChanges(live, want, owned).apply)).toEqual(["-e -t 192.168.0.75:80 -r 192.168.0.75:8080 -m -w 1"]);
        const heavier = table({ ...WEB, "-a -t 192.168.0.75:80 -r 192.168.0.75:8080": "-m -w 4" });
        expect(argvs(planChanges(live, heavier, owned, { localAddresses: ["192.168.0.75"] }).apply)).toEqual(["-e -t 192.168.0.75:80 -r 192.168.0.75:8080 -m -w 4"]);
    });

    it("refuses a desired DR or TUN real server on another port than its service", () => {
        const want = table({ ...WEB, "-a -t 192.168.0.75:80 -r 172.16.0.45:8080": "-g -w 1" });
        expect(() => planChanges(table({}), want, none)).toThrow(
            "real server -t 192.168.0.75:80 -r 172.16.0.45:8080: direct routing cannot remap ports; use port 80 (the service port) or NAT forwarding",
        );
    });

    it("re-adds owned entries deleted by hand", () => {
        const plan = planChanges(table({ ...WEB }), table({ ...WEB, ...RS45 }), OWNED_WEB);
        expect(argvs(plan.apply)).toEqual(["-a -t 192.168.0.75:80 -r 172.16.0.45:80 -m -w 1"]);
    });
});

describe("applyOps", () => {
    it("refuses what the kernel refuses", () => {
        const live = table({ ...WEB, ...RS45 });
        const svc = live.services[0];
        expect(() => applyOps(live, [{ kind: "add-service", service: svc }])).toThrow(/-A -t 192\.168\.0\.75:80: Service already exists/);
        expect(() => applyOps(table({}), [{ kind: "edit-service", service: svc }])).toThrow(/No such service/);
        expect(() => applyOps(table({}), [{ kind: "add-dest", service: svc.key, dest: svc.dests[0] }])).toThrow(/Service not defined/);
        expect(() => applyOps(live, [{ kind: "add-dest", service: svc.key, dest: svc.dests[0] }])).toThrow(/Destination already exists/);
        expect(() => applyOps(table(WEB), [{ kind: "delete-dest", service: svc.key, dest: svc.dests[0] }])).toThrow(/No such destination/);
    });

    it("deletes a service with its real servers", () => {
        const live = table({ ...WEB, ...RS45 });
        expect(applyOps(live, [{ kind: "delete-service", service: live.services[0] }])).toEqual({ services: [] });
    });
});
