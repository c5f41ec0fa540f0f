/**
 * Issue 5 with the real engine on the lab: an HaPair (keepalived VRRP on director1 and
 * director2, TCP health checks on rs1/rs2) brought up by `pulumi up`, then failover when the
 * master's keepalived is killed and when the master VM loses power, preemption when it comes
 * back, nopreempt, a real server failing its check, a weight change applied as a reload, and a
 * destroy that leaves both directors as they were. The scenarios build on each other, so they
 * run in order in one file. `npm run status` is read on this same pair (its VRRP states and
 * VIPs, a server its checks took out, keepalived stopped, the master powered off) rather than
 * on a second pair of the same shape: the scenario after it starts from a reset that is
 * checked against the tables and every host's snapshot taken after the up.
 *
 * Every figure is measured with the host's clock: the client probe (support/keepalived-lab.ts)
 * stamps each request and each change of the client's neighbour entry for the VIP (the new
 * master's gratuitous ARP), and faults are released over an SSH session that is already open.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { asClient, killHost, onHost, onHostOk, startHost, up, type LabHostName } from "../lab/lab";
import { freshStack, pulumi, pulumiOk, report } from "./support/engine";
import { SERVICE, VIP, liveEntries, writeLabStack } from "./support/lab-stack";
import { recordedEntries, type RecordedOuts } from "../../components/providers/recorded-entries";
import type { HostStatus } from "../../components/cli/status-report";
import { snapshotDiff, snapshotHost, type HostSnapshot } from "./support/host-snapshot";
import { status, statusJson, statusOf, statusRow, statusUntil } from "./support/status-cli";
import { RESTART_DELAY_SECONDS } from "../../components/core/keepalived/render-keepalived-steps";
import {
    RS_ADDRESS,
    FAST_TCP_CHECK,
    armed,
    clientProbe,
    flipWeb,
    type Fired,
    type Outage,
    type ProbeRequest,
    describeProbe,
    failuresAfter,
    holdsVip,
    journalCursor,
    journalSince,
    keepalivedDiagnostics,
    keepalivedPid,
    localAddressProbe,
    macOf,
    outage,
    removalBound,
    returnBound,
    seconds,
    sleep,
    startProbe,
    vipMovedTo,
    watch,
    webCommand,
} from "./support/keepalived-lab";

const STACK = "e2e-ha";
const S = ["--stack", STACK];
const DIRECTORS = ["director1", "director2"] as const;
const ADVERT_INT = 1;
/**
 * The backup declares the master dead after its master-down interval, 3 adverts plus a skew of
 * (256 - priority) / 256 adverts (3.61 s for priority 100), then adds the VIP and sends gratuitous
 * ARP: 3 x advert_int + 1 s bounds both the takeover and the client's gap.
 */
const FAILOVER_BOUND = 3 * ADVERT_INT + 1;
/**
 * The client's gap is measured between successful responses, so it exceeds the outage by the
 * probe's own resolution: after the VIP moves, a loop's request still on its way to the old
 * MAC fails only after curl's 0.5 s connect timeout, and the loop pauses 0.2 s before the next.
 * (Measured gaps ran 3.0-4.03 s against a 3.61 s master-down interval.)
 */
const PROBE_RESOLUTION = 0.5 + 0.2;
const GAP_BOUND = FAILOVER_BOUND + PROBE_RESOLUTION;
const CHECK = FAST_TCP_CHECK;
const REMOVAL_BOUND = removalBound(CHECK);
/** No quotes in it: it is written with printf '%s' '...'. */
const OPERATOR_CONF = "# An operator file from before the stack.\nglobal_defs {\n    router_id operator\n}\n";
const CONF = "/etc/keepalived/keepalived.conf";
const LEFTOVERS =
    "ls -d /etc/sysctl.d/90-pulumi-lvs-* /etc/pulumi-lvs /var/lib/pulumi-lvs /etc/systemd/system/pulumi-lvs-* /etc/systemd/system/keepalived.service.d/pulumi-lvs.conf /etc/modules-load.d/pulumi-lvs-* 2>/dev/null || true";

const dest = (addr: string) => `-a ${SERVICE} -r ${addr}:80`;
const desired = (rs1Weight = 1) => ({ [`-A ${SERVICE}`]: "-s rr", [dest(RS_ADDRESS.rs1)]: `-g -w ${rs1Weight}`, [dest(RS_ADDRESS.rs2)]: "-g -w 1" });

function haCluster(o: { nopreempt?: boolean; rs1Weight?: number } = {}): Record<string, unknown> {
    return {
        vipGroups: [
            {
                name: "web",
                vips: [VIP],
                services: [{ protocol: "tcp", port: 80, scheduler: "rr", healthCheck: CHECK, realServers: [{ host: "rs1", weight: o.rs1Weight ?? 1 }, { host: "rs2" }] }],
            },
        ],
        haPairs: [
            {
                name: "web-ha",
                virtualRouterId: 51,
                advertInt: ADVERT_INT,
                nopreempt: o.nopreempt ?? false,
                nodes: [
                    { host: "director1", priority: 150, interface: "ens33" },
                    { host: "director2", priority: 100, interface: "ens33" },
                ],
                vipGroups: ["web"],
            },
        ],
        realServers: [{ host: "rs1" }, { host: "rs2" }],
    };
}

const mac: Record<string, string> = {};
/** Every host of the pair as the up left it (test 1): what a reset between scenarios must give back. */
const HOSTS = [...DIRECTORS, "rs1", "rs2"] as const;
const afterUp: Partial<Record<LabHostName, HostSnapshot>> = {};

/** Which directors hold the VIP (with its ens33:0 label). */
async function vipHolders(): Promise<LabHostName[]> {
    const held = await Promise.all(DIRECTORS.map((d) => holdsVip(d)));
    return DIRECTORS.filter((_, i) => held[i]);
}

/** Polls until `host` holds the VIP (`alone`: and the other director does not), or fails after `timeoutMs`. */
async function untilHolds(host: LabHostName, alone: boolean, timeoutMs: number): Promise<void> {
    const started = Date.now();
    let holders: LabHostName[] = [];
    while (Date.now() - started < timeoutMs) {
        holders = await vipHolders().catch(async () => ((await holdsVip(host).catch(() => false)) ? [host] : []));
        if (holders.includes(host) && (!alone || holders.length === 1)) return;
        await sleep(500);
    }
    throw new Error(`${host} did not ${alone ? "become the only VIP holder" : "take the VIP"} within ${timeoutMs} ms (holders: ${holders.join(", ") || "none"})`);
}

/** A lab fault hook, timed like `armed`: it ran within [at, done]. */
async function fault(hook: () => Promise<unknown>): Promise<Fired> {
    const at = Date.now();
    await hook();
    return { at, done: Date.now() };
}

interface Move {
    fired: Fired;
    /** Seconds from the fault until the client saw `to`'s gratuitous ARP for the VIP. */
    takeover: number;
    outage: Outage;
    /** Requests that failed after the client saw the VIP move. */
    failedAfterMove: ProbeRequest[];
}

/**
 * Runs `fire` while the client probes the VIP: the probe starts 3 s before the fault and ends 3 s
 * after `settled` resolves. The VIP must move to `to` (its gratuitous ARP reaches the client).
 */
async function underTraffic(label: string, fire: () => Promise<Fired>, to: LabHostName, settled: () => Promise<void>): Promise<Move> {
    const probe = startProbe({ seconds: 300 });
    try {
        await sleep(3000);
        const fired = await fire();
        await settled();
        await sleep(3000);
        probe.stop();
        const p = await probe.result;
        console.log(describeProbe(label, p, fired.at));
        const moved = vipMovedTo(p, mac[to], fired.at);
        expect(moved, `${label}: the client never saw ${to}'s ARP for the VIP; neighbour events: ${JSON.stringify(p.neigh)}`).toBeDefined();
        return { fired, takeover: seconds(moved! - fired.at), outage: outage(p), failedAfterMove: failuresAfter(p, moved!) };
    } finally {
        probe.stop();
    }
}

/** Both directors' keepalived-built tables equal the desired entries. */
async function expectTables(rs1Weight = 1): Promise<void> {
    for (const d of DIRECTORS) expect(await liveEntries(d), d).toEqual(desired(rs1Weight));
}

/** The link-layer address the client uses for the VIP now. */
const clientNeighbour = async () => / lladdr (\S+)/.exec((await asClient(["ip", "neigh", "show", VIP])).stdout)?.[1] ?? null;

const running = async (host: LabHostName) => (await onHost(host, "true")).code === 0;

describe.sequential("HaPair with the real engine", () => {
    beforeAll(async () => {
        await up();
        // A run that crashed may have left the stack's resources behind: take them down first.
        writeLabStack(STACK, haCluster());
        await pulumi(["destroy", "--yes", "--skip-preview", ...S]);
        await freshStack(STACK);
        for (const rs of ["rs1", "rs2"] as const) await onHostOk(rs, webCommand(true));
        for (const d of DIRECTORS) {
            mac[d] = await macOf(d);
            // The lab's directors start without keepalived running; the stack must find them so.
            expect((await onHost(d, "systemctl is-active keepalived")).stdout.trim()).not.toBe("active");
        }
        // director2 has an operator's file from before the stack (keepalived off): destroy must put it back.
        await onHostOk("director1", `rm -f ${CONF}`);
        await onHostOk("director2", `mkdir -p /etc/keepalived && printf '%s' '${OPERATOR_CONF}' > ${CONF}`);
    });

    beforeEach(({ onTestFailed }) => onTestFailed(keepalivedDiagnostics("ip -4 addr show dev ens33; ipvsadm -L -n --daemon")));

    afterAll(async () => {
        // Whatever failed, leave the lab as it was: both directors up, web servers on, the stack destroyed.
        for (const d of DIRECTORS) if (!(await running(d))) await startHost(d);
        for (const rs of ["rs1", "rs2"] as const) await onHost(rs, webCommand(true));
        const down = await pulumi(["destroy", "--yes", "--skip-preview", ...S]);
        if (down.code !== 0) console.log(`[cleanup] destroy exited ${down.code}:\n${down.stdout.slice(-3000)}\n${down.stderr.slice(-2000)}`);
        await onHost("director2", `if grep -q 'router_id operator' ${CONF} 2>/dev/null; then rm -f ${CONF}; fi`);
    });

    it("1. up: the master (director1) holds the VIP, both tables are the desired entries, traffic is balanced", async () => {
        const r = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("up of the HA pair from bare directors", r.seconds);
        expect(await holdsVip("director1")).toBe(true);
        expect(await holdsVip("director2")).toBe(false);
        await expectTables();
        // The engine's state records what each node's IpvsTable found live; the stack's outputs only count it.
        const state = JSON.parse((await pulumiOk(["stack", "export", ...S])).stdout) as { deployment: { resources: { urn: string; outputs?: RecordedOuts }[] } };
        const recorded = (d: string) => recordedEntries(state.deployment.resources.find((r) => r.urn.endsWith(`::web-ha-${d}-ipvs`))?.outputs ?? {});
        for (const d of DIRECTORS) expect(recorded(d)).toEqual(desired());
        const outputs = JSON.parse((await pulumiOk(["stack", "output", "--json", ...S])).stdout) as { haPairs: Record<string, unknown> };
        const realServers = Object.keys(desired()).filter((id) => id.startsWith("-a ")).length;
        expect(outputs.haPairs["web-ha"]).toEqual({ nodes: [...DIRECTORS], services: Object.keys(desired()).length - realServers, realServers });
        for (const d of DIRECTORS) expect((await onHostOk(d, `head -1 ${CONF}`)).trim()).toMatch(/^# Managed by pulumi-lvs/);
        // Nothing changed since: the preview is a no-op (keepalived's table is judged by the plan, not by key order).
        const noop = await pulumiOk(["preview", "--expect-no-changes", ...S]);
        report("no-op preview of the HA pair", noop.seconds);
        // syncConnections (the default): the master sends connection state, the backup receives it.
        expect(await onHostOk("director1", "ipvsadm -L -n --daemon")).toMatch(/^master sync daemon \(mcast=ens33, syncid=\d+/m);
        expect(await onHostOk("director2", "ipvsadm -L -n --daemon")).toMatch(/^backup sync daemon \(mcast=ens33, syncid=\d+/m);

        const p = await clientProbe({ seconds: 4, loops: 1 });
        console.log(describeProbe("after up", p));
        expect(outage(p).failed).toBe(0);
        const bodies = p.requests.map((q) => q.body);
        expect(bodies.length).toBeGreaterThanOrEqual(6);
        // rr alternates while nothing else schedules on the table; one CI run on a loaded machine
        // saw rs1 three times in a row at the end of the probe, so a break is reported with both
        // nodes' keepalived journals, and the assertion is the balance itself.
        const breaks = bodies.filter((b, i) => i > 0 && b === bodies[i - 1]).length;
        if (breaks > 0) {
            for (const d of DIRECTORS) console.log(`[rr] ${breaks} repeat(s) in ${bodies.join(",")}; ${d}'s keepalived:\n${(await onHost(d, "journalctl -u keepalived -n 40 --no-pager -o short-precise")).stdout}`);
        }
        const count = (rs: string) => bodies.filter((b) => b === rs).length;
        expect(new Set(bodies)).toEqual(new Set(["rs1", "rs2"]));
        expect(Math.abs(count("rs1") - count("rs2")), bodies.join(",")).toBeLessThanOrEqual(2);
        expect(await clientNeighbour()).toBe(mac.director1);
        for (const host of HOSTS) afterUp[host] = await snapshotHost(host);
    });

    it("2a. keepalived SIGKILLed on the master: systemd starts it again (the supervision drop-in), the master keeps the VIP, and clients see no longer gap than a failover", async () => {
        const before = await keepalivedPid("director1");
        expect((await onHostOk("director1", "systemctl show -p Restart --value keepalived")).trim()).toBe("on-failure");
        // What `systemctl kill -s KILL keepalived` does (every process of the unit), with the PIDs read
        // beforehand so that the released command is the kill builtin alone and its moment is known.
        const kill = await armed("director1", "kill -KILL $pids", `pids=$(cat "/sys/fs/cgroup$(systemctl show -p ControlGroup --value keepalived)/cgroup.procs"); [ -n "$pids" ]`);
        const probe = startProbe({ seconds: 300 });
        let firedAt = 0;
        let restarted = Number.NaN;
        try {
            await sleep(3000);
            firedAt = (await kill.fire()).at;
            for (const until = Date.now() + 30_000; Date.now() < until; await sleep(250)) {
                const [pid, state] = (await onHostOk("director1", "systemctl show -p MainPID --value keepalived; systemctl is-active keepalived || true")).trim().split("\n");
                if (pid !== before && pid !== "0" && state === "active") {
                    restarted = seconds(Date.now() - firedAt);
                    break;
                }
            }
            await untilHolds("director1", true, 20_000);
            await sleep(3000);
        } finally {
            probe.stop();
        }
        const p = await probe.result;
        console.log(describeProbe("keepalived SIGKILLed on the master, restarted by systemd", p, firedAt));
        report("keepalived SIGKILL on the master -> systemd has a new keepalived active", restarted);
        report(`client gap, keepalived SIGKILLed and restarted (${outage(p).failed} requests failed)`, outage(p).gapSeconds);
        // RestartSec, keepalived's start under TCG, and the 250 ms polls of a loaded machine.
        expect(restarted).toBeLessThanOrEqual(RESTART_DELAY_SECONDS + 8);
        expect(outage(p).gapSeconds).toBeLessThanOrEqual(GAP_BOUND);
        expect(await holdsVip("director2")).toBe(false);
        await expectTables();
    });

    it("2a+. npm run status on the pair: VRRP states and VIPs, a real server its checks took out, keepalived stopped on the master; then a reset checked against the tables and the hosts after up", async () => {
        let hosts = await statusJson(STACK);
        expect(statusOf(hosts, "director1").node).toMatchObject({ keepalived: "active", vrrp: "MASTER", holdsVips: [VIP] });
        expect(statusOf(hosts, "director2").node).toMatchObject({ keepalived: "active", vrrp: "BACKUP", holdsVips: [] });
        for (const h of hosts) expect(h.rows.map((r) => r.mark), h.host).toEqual(["owned", "owned", "owned"]);

        await onHostOk("rs2", webCommand(false));
        hosts = await statusUntil(STACK, (hs) => hs.every((h) => statusRow(h, dest(RS_ADDRESS.rs2))?.mark === "missing"), 30_000);
        for (const h of hosts) expect(statusRow(h, dest(RS_ADDRESS.rs1))?.mark, h.host).toBe("owned");
        await onHostOk("rs2", webCommand(true));

        await onHostOk("director1", "systemctl stop keepalived");
        const started = Date.now();
        while (!(await holdsVip("director2")) && Date.now() - started < 20_000) await sleep(500);
        hosts = await statusJson(STACK);
        expect(statusOf(hosts, "director1").node).toMatchObject({ keepalived: "inactive", holdsVips: [] });
        expect(statusOf(hosts, "director2").node).toMatchObject({ keepalived: "active", vrrp: "MASTER", holdsVips: [VIP] });

        // The reset, checked before the next scenario relies on it: director1's keepalived back (it
        // preempts), rs2 back in both tables, and every host as the up left it.
        await onHostOk("director1", "systemctl start keepalived");
        await untilHolds("director1", true, 30_000);
        for (const until = Date.now() + 30_000; Date.now() < until; await sleep(500)) {
            if ((await Promise.all(DIRECTORS.map((d) => liveEntries(d)))).every((t) => JSON.stringify(t) === JSON.stringify(desired()))) break;
        }
        await expectTables();
        for (const host of HOSTS) expect(snapshotDiff(afterUp[host]!, await snapshotHost(host)), host).toEqual({});
    });

    it("2b. the master VM powered off: the backup takes the VIP within 3 x advert_int + 1 s, npm run status names the master as not read and exits 1; the master boots and preempts", async () => {
        const off = await underTraffic("master VM powered off", () => fault(() => killHost("director1")), "director2", () => untilHolds("director2", true, 15_000));
        report("master VM killed -> backup holds the VIP (client sees its ARP)", off.takeover);
        report("  (lab kill: qemu SIGKILLed and reaped within)", seconds(off.fired.done - off.fired.at));
        report(`client gap, master VM powered off (${off.outage.failed} requests failed)`, off.outage.gapSeconds);
        expect(off.takeover).toBeLessThanOrEqual(FAILOVER_BOUND);
        expect(off.outage.gapSeconds).toBeLessThanOrEqual(GAP_BOUND);
        expect(off.failedAfterMove).toEqual([]);
        expect(await liveEntries("director2")).toEqual(desired());

        // npm run status meanwhile: director1 named as not read, and why; director2 still read, as the master; exit 1.
        const offline = await status(STACK, true);
        expect(offline.code, offline.stderr).toBe(1);
        const hosts = (JSON.parse(offline.stdout) as { hosts: HostStatus[] }).hosts;
        expect(statusOf(hosts, "director1").error).toMatch(/unreachable|handshake|refused|timed out/i);
        expect(statusOf(hosts, "director1").rows).toEqual([]);
        expect(statusOf(hosts, "director2").error).toBeUndefined();
        expect(statusOf(hosts, "director2").node).toMatchObject({ vrrp: "MASTER", holdsVips: [VIP] });
        const text = await status(STACK, false);
        expect(text.code).toBe(1);
        expect(text.stdout).toMatch(/director1.*not read: /);

        // keepalived is enabled: it starts at boot as MASTER with the higher priority and takes the VIP back.
        const boot = await underTraffic("director1 boots and preempts", () => fault(() => startHost("director1")), "director1", () => untilHolds("director1", true, 60_000));
        report("director1 boot: qemu start to SSH", seconds(boot.fired.done - boot.fired.at));
        report("director1 boot: qemu start -> it holds the VIP again (preempt)", boot.takeover);
        report(`client gap while director1 booted and preempted (${boot.outage.failed} requests failed)`, boot.outage.gapSeconds);
        expect(boot.outage.gapSeconds).toBeLessThanOrEqual(GAP_BOUND);
        await expectTables();
    });

    it("3. nopreempt (a stack change + up): a master that restarts comes back as backup and leaves the VIP where it is", async () => {
        const pids = { director1: await keepalivedPid("director1"), director2: await keepalivedPid("director2") };
        writeLabStack(STACK, haCluster({ nopreempt: true }));
        const holders = DIRECTORS.map((d) => watch(d, localAddressProbe(VIP)));
        await Promise.all(holders.map((h) => h.ready));
        const u = await pulumiOk(["up", "--yes", "--skip-preview", ...S]);
        report("up turning nopreempt on (reload)", u.seconds);
        const [d1, d2] = await Promise.all(holders.map((h) => h.stop()));
        console.log(`[vip] during the nopreempt up: director1 ${JSON.stringify(d1.map((x) => x.value))}, director2 ${JSON.stringify(d2.map((x) => x.value))}`);
        // A reload, not a restart: the running master keeps the VIP even though its configured state is now BACKUP.
        expect(d1.map((x) => x.value)).toEqual(["1"]);
        expect(d2.map((x) => x.value)).toEqual(["0"]);
        expect(await keepalivedPid("director1")).toBe(pids.director1);
        expect(await keepalivedPid("director2")).toBe(pids.director2);
        for (const d of DIRECTORS) expect(await onHostOk(d, `grep -c nopreempt ${CONF}`)).toMatch(/^1/);

        const cursor = await journalCursor("director1");
        const restart = await armed("director1", "systemctl restart keepalived");
        const moved = await underTraffic("keepalived restarted on the master", () => restart.fire(), "director2", () => untilHolds("director2", true, 15_000));
        // A stopping master sends a priority 0 advert: the backup takes over after its skew time, not 3 adverts.
        report("keepalived restart on director1 -> director2 holds the VIP", moved.takeover);
        report(`client gap, keepalived restarted on the master (${moved.outage.failed} requests failed)`, moved.outage.gapSeconds);
        expect(moved.outage.gapSeconds).toBeLessThanOrEqual(GAP_BOUND);
        // Several master-down intervals later director1, with the higher priority, still has not taken it back.
        await sleep(4 * FAILOVER_BOUND * 1000);
        expect(await vipHolders()).toEqual(["director2"]);
        const log = await journalSince("director1", cursor);
        expect(log).toMatch(/Entering BACKUP STATE/);
        expect(log).not.toMatch(/Entering MASTER STATE/);
        await expectTables();
    });

    it("4. health checks: rs1's web server stops -> rs1 leaves both tables within delay_loop + timeouts; it comes back when it answers", async () => {
        const master: LabHostName = "director2";
        expect(await vipHolders()).toEqual([master]);
        await expectTables();
        onTestFinished(async () => void (await onHost("rs1", webCommand(true))));
        const down = await flipWeb("rs1", false, DIRECTORS, REMOVAL_BOUND + 10);
        console.log(describeProbe("while keepalived found rs1 down", down.during, down.fired.at));
        for (const d of DIRECTORS) {
            report(`rs1 web stopped -> out of ${d}'s table (bound ${REMOVAL_BOUND} s)`, down.followed[d]);
            expect(down.followed[d]).toBeLessThanOrEqual(REMOVAL_BOUND);
        }
        expect(await liveEntries(master)).toEqual({ [`-A ${SERVICE}`]: "-s rr", [dest(RS_ADDRESS.rs2)]: "-g -w 1" });
        const p = await clientProbe({ seconds: 5 });
        console.log(describeProbe("rs1 down, out of the table", p));
        expect(outage(p).failed).toBe(0);
        expect(new Set(p.requests.map((q) => q.body))).toEqual(new Set(["rs2"]));

        const back = await flipWeb("rs1", true, DIRECTORS, REMOVAL_BOUND + 10);
        for (const d of DIRECTORS) {
            report(`rs1 web started -> back in ${d}'s table (bound ${returnBound(CHECK)} s)`, back.followed[d]);
            expect(back.followed[d]).toBeLessThanOrEqual(returnBound(CHECK));
        }
        expect(outage(back.during).failed).toBe(0);
        await expectTables();
        const q = await clientProbe({ seconds: 3, loops: 1 });
        expect(outage(q).failed).toBe(0);
        expect(new Set(q.requests.map((r) => r.body))).toEqual(new Set(["rs1", "rs2"]));
    });

    it("5. a weight change is applied by a reload: no VRRP transition, same keepalived PIDs, no failed request", async () => {
        const master = (await vipHolders())[0];
        expect(master).toBeDefined();
        const pids = { director1: await keepalivedPid("director1"), director2: await keepalivedPid("director2") };
        const cursors = { director1: await journalCursor("director1"), director2: await journalCursor("director2") };
        writeLabStack(STACK, haCluster({ nopreempt: true, rs1Weight: 3 }));
        const holders = DIRECTORS.map((d) => watch(d, localAddressProbe(VIP)));
        await Promise.all(holders.map((h) => h.ready));
        // The probe has to span the whole up: run it for longer than an up takes and stop looking at it afterwards.
        const probe = startProbe({ seconds: 600, loops: 2 });
        await sleep(2000);
        const u = await pulumi(["up", "--yes", "--skip-preview", ...S]);
        probe.stop();
        const seen = await Promise.all(holders.map((h) => h.stop()));
        const p = await probe.result;
        expect(u.code, u.stdout.slice(-4000)).toBe(0);
        report("up with one weight change (reload)", u.seconds);
        console.log(describeProbe("across the weight-change up", p));
        expect(p.requests.length).toBeGreaterThan(20);
        expect(p.requests.filter((r) => !r.ok)).toEqual([]);
        DIRECTORS.forEach((d, i) => expect(seen[i].map((x) => x.value), d).toEqual([d === master ? "1" : "0"]));
        for (const d of DIRECTORS) {
            expect(await keepalivedPid(d), `${d}'s keepalived was restarted`).toBe(pids[d]);
            const log = await journalSince(d, cursors[d]);
            console.log(`[journal] ${d} during the weight-change up:\n${log}`);
            expect(log).toMatch(/Reload/);
            expect(log).not.toMatch(/Entering (MASTER|BACKUP|FAULT) STATE|Stopping|Stopped|Starting Keepalive|Started Keepalive/);
        }
        await expectTables(3);
        // keepalived logs "IP_VS_SO_SET_STARTDAEMON ... Daemon has already run" on each reload; the sync daemons stay as they were.
        const backup = DIRECTORS.find((d) => d !== master)!;
        expect(await onHostOk(master, "ipvsadm -L -n --daemon")).toMatch(/^master sync daemon \(mcast=ens33, syncid=\d+/m);
        expect(await onHostOk(backup, "ipvsadm -L -n --daemon")).toMatch(/^backup sync daemon \(mcast=ens33, syncid=\d+/m);
    });

    it("6. destroy: keepalived stopped, our config gone (the operator's file back), no VIP, no entries, no files of ours", async () => {
        const d = await pulumiOk(["destroy", "--yes", "--skip-preview", ...S]);
        report("destroy of the HA pair", d.seconds);
        for (const host of DIRECTORS) {
            expect((await onHost(host, "systemctl is-active keepalived")).stdout.trim(), host).not.toBe("active");
            expect((await onHost(host, "systemctl is-enabled keepalived")).stdout.trim(), host).toBe("disabled");
            expect(await onHostOk(host, "ip -4 addr show dev ens33"), host).not.toContain(VIP);
            expect(await liveEntries(host), host).toEqual({});
            expect((await onHostOk(host, LEFTOVERS)).trim(), host).toBe("");
        }
        expect((await onHost("director1", `test -e ${CONF}`)).code).not.toBe(0);
        expect(await onHostOk("director2", `cat ${CONF}`)).toBe(OPERATOR_CONF);
        for (const rs of ["rs1", "rs2"] as const) {
            expect(await onHostOk(rs, "ip -4 addr show dev lo"), rs).not.toContain(VIP);
            expect((await onHostOk(rs, LEFTOVERS)).trim(), rs).toBe("");
        }
    });
});
