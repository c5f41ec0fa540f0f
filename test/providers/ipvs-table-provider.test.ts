/**
 * IpvsTable's provider methods on an in-memory host: "changed" means a non-empty plan, never a
 * different key order; drift and unreachable hosts are printed for the preview; a new
 * connection is an in-place update that sends no ipvsadm change.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeHost } from "../support/fake-host";
import { ipvsTableProvider, RECENT_READ_MS, type TableOuts, type TableProps } from "../../components/providers/ipvs-table-provider";
import { parseNotices, type Notice } from "../../components/providers/notices";
import { recordedEntries } from "../../components/providers/recorded-entries";
import type { OpenHost, SshTarget } from "../../components/providers/transport";
import { parseSave } from "../../components/core/ipvs/ipvs-parse";
import { toEntries } from "../../components/core/ipvs/ipvs-entries";

const DIRECTOR = "192.168.13.111";
/** Several services and VIPs, tcp/udp/fwmark/IPv6, addresses that sort differently as text (.9, .10, .112), and a real server on the director itself. */
const SAVE = `-A -t 192.168.13.100:80 -s rr
-a -t 192.168.13.100:80 -r 192.168.13.9:80 -g -w 1
-a -t 192.168.13.100:80 -r 192.168.13.10:80 -g -w 1
-a -t 192.168.13.100:80 -r ${DIRECTOR}:80 -g -w 1
-A -t 192.168.13.100:3306 -s wrr -p 300
-a -t 192.168.13.100:3306 -r 192.168.13.112:3306 -g -w 3
-a -t 192.168.13.100:3306 -r 192.168.13.113:3306 -g -w 1
-A -u 192.168.13.101:53 -s sh -b sh-port
-a -u 192.168.13.101:53 -r 192.168.13.10:53 -m -w 1
-a -u 192.168.13.101:53 -r 192.168.13.9:5353 -m -w 2
-A -f 7 -s lc
-a -f 7 -r 192.168.13.112:0 -g -w 1
-A -t [2001:db8::100]:443 -s wlc
-a -t [2001:db8::100]:443 -r [2001:db8::10]:443 -g -w 1
-a -t [2001:db8::100]:443 -r [2001:db8::9]:443 -g -w 1
`;
const ENTRIES = toEntries(parseSave(SAVE));
const CONN: SshTarget = { name: "director1", host: "127.0.0.1", port: 22011, user: "root", privateKey: "KEY", hostKey: "ssh-ed25519 AAAA", connectTimeoutSeconds: 5 };

/** The same object with its keys in another order, at every depth (what the engine hands back). */
function reordered<T>(v: T, order: "sorted" | "reversed"): T {
    if (Array.isArray(v)) return v.map((x) => reordered(x, order)) as T;
    if (typeof v !== "object" || v === null) return v;
    const keys = Object.keys(v).sort();
    if (order === "reversed") keys.reverse();
    return Object.fromEntries(keys.map((k) => [k, reordered((v as Record<string, unknown>)[k], order)])) as T;
}

const props = (entries: Record<string, string>, connection = CONN, manager: TableProps["manager"] = "ipvsadm"): TableProps => ({
    connection,
    entries,
    manager,
    drain: { timeoutSeconds: 1, pollSeconds: 1 },
    rulesFile: "/var/lib/pulumi-lvs/ipvs.rules",
    localAddresses: [DIRECTOR],
});

let printed: string[] = [];
const notices = (): Notice[] => parseNotices(printed.join(""));

beforeEach(() => {
    printed = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => (printed.push(String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

async function upOn(host: FakeHost, entries = ENTRIES): Promise<{ provider: ReturnType<typeof ipvsTableProvider>; outs: TableOuts; opened: SshTarget[] }> {
    const opened: SshTarget[] = [];
    const provider = ipvsTableProvider(async (target) => (opened.push(target), host));
    const { outs } = await provider.create(props(entries));
    return { provider, outs, opened };
}

describe("IpvsTable provider: diff", () => {
    it("a stack with several services, VIPs, fwmark, udp, IPv6 and a director-local real server is unchanged after up, whatever the key order", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const { provider, outs } = await upOn(host);
        for (const order of ["sorted", "reversed"] as const) {
            const r = await provider.diff("id", reordered(outs, order), reordered(props(ENTRIES), order === "sorted" ? "reversed" : "sorted"));
            expect(r.changes).toBe(false);
        }
        expect(printed.join("")).toBe("");
    });

    it("a changed weight is a change, decided by the plan (a respelled value is not)", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const { provider, outs } = await upOn(host);
        const weight = { ...ENTRIES, "-a -t 192.168.13.100:3306 -r 192.168.13.112:3306": "-g -w 4" };
        expect((await provider.diff("id", outs, props(weight))).changes).toBe(true);
        const respelled = { ...ENTRIES, "-a -t 192.168.13.100:3306 -r 192.168.13.112:3306": "-w 3 -g" };
        expect((await provider.diff("id", outs, props(respelled))).changes).toBe(false);
    });

    it("drift on the host is a change, and each drifted entry is printed with its live and stack values", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const { provider, outs } = await upOn(host);
        host.ipvsadm.exec(["-e", "-t", "192.168.13.100:3306", "-r", "192.168.13.112:3306", "-g", "-w", "5"]);
        host.ipvsadm.exec(["-d", "-t", "192.168.13.100:80", "-r", "192.168.13.10:80"]);
        expect((await provider.diff("id", outs, props(ENTRIES))).changes).toBe(true);
        expect(notices()).toEqual([
            { kind: "drift", host: "director1", entry: "-a -t 192.168.13.100:80 -r 192.168.13.10:80", stack: "-g -w 1" },
            { kind: "drift", host: "director1", entry: "-a -t 192.168.13.100:3306 -r 192.168.13.112:3306", live: "-g -w 5", stack: "-g -w 3" },
        ]);
    });

    it("a config change on an undrifted host is the engine's diff alone: no drift is printed", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const { provider, outs } = await upOn(host);
        const weight = { ...ENTRIES, "-a -t 192.168.13.100:3306 -r 192.168.13.112:3306": "-g -w 4" };
        expect((await provider.diff("id", outs, props(weight))).changes).toBe(true);
        expect(printed.join("")).toBe("");
    });

    it("an unreachable host is printed as unchecked, with the reason, and is not reported as a change", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const { outs } = await upOn(host);
        const probes: boolean[] = [];
        const down = ipvsTableProvider(async (_t, opts) => {
            probes.push(opts?.probe ?? false);
            throw new Error("ssh director1 (root@127.0.0.1:22011): unreachable: no SSH handshake within 5 s");
        });
        expect((await down.diff("id", outs, props(ENTRIES))).changes).toBe(false);
        expect(probes).toEqual([true]);
        expect(notices()).toEqual([{ kind: "unchecked", host: "director1", reason: "ssh director1 (root@127.0.0.1:22011): unreachable: no SSH handshake within 5 s" }]);
    });

    it("keepalived's table is judged by the config alone, whatever the key order, with no probe", async () => {
        const opened: SshTarget[] = [];
        const provider = ipvsTableProvider(async (t) => (opened.push(t), new FakeHost()));
        const olds = { ...reordered(props(ENTRIES, CONN, "keepalived"), "sorted"), lastApply: { commands: [], warnings: [], drained: [] } };
        expect((await provider.diff("id", olds, reordered(props(ENTRIES, CONN, "keepalived"), "reversed"))).changes).toBe(false);
        expect(opened).toEqual([]);
    });
});

describe("IpvsTable provider: what state records", () => {
    it("the outputs hold the owned entries once, as text with one entry per line, not the inputs' map again", async () => {
        const { outs } = await upOn(new FakeHost({ localAddresses: [DIRECTOR] }));
        expect(outs.entries).toBeUndefined();
        expect(typeof outs.ownedEntries).toBe("string");
        expect(outs.ownedEntries!.split("\n")).toHaveLength(Object.keys(ENTRIES).length + 2);
        expect(recordedEntries(outs)).toEqual(ENTRIES);
    });

    it("a refresh that finds the table as applied records the same text, so it changes nothing", async () => {
        const { provider, outs } = await upOn(new FakeHost({ localAddresses: [DIRECTOR] }));
        const read = await provider.read("id", reordered(outs, "reversed"));
        expect(read.props.ownedEntries).toBe(outs.ownedEntries);
        expect(read.props.lastApply).toEqual(outs.lastApply);
    });

    it("a state written before (the outputs hold the map) diffs, updates and refreshes as before, and the update records text", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const { provider, outs } = await upOn(host);
        const { ownedEntries: _text, ...settings } = outs;
        const before: TableOuts = { ...settings, entries: recordedEntries(outs) };
        expect((await provider.diff("id", reordered(before, "reversed"), props(ENTRIES))).changes).toBe(false);
        expect((await provider.diff("id", before, props(weight))).changes).toBe(true);
        const { outs: next } = await provider.update("id", before, props(weight));
        expect(next.entries).toBeUndefined();
        expect(recordedEntries(next)).toEqual(weight);
        expect(toEntries(host.ipvsadm.ruleset())).toEqual(weight);
        const read = await provider.read("id", before);
        expect(read.inputs.entries).toEqual(weight);
        expect(read.inputs).not.toHaveProperty("ownedEntries");
        expect(recordedEntries(read.props)).toEqual(weight);
    });

    it("destroy of a state written before removes what its map records", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const { provider, outs } = await upOn(host);
        const { ownedEntries: _text, ...settings } = outs;
        await provider.delete("id", { ...settings, entries: recordedEntries(outs) });
        expect(host.ipvsadm.ruleset().services).toEqual([]);
    });
});

describe("IpvsTable provider: a new connection", () => {
    for (const [what, change] of [
        ["ssh port", { port: 22999 }],
        ["ssh host", { host: "127.0.0.2" }],
        ["user", { user: "lvs" }],
        ["private key", { privateKey: "OTHER" }],
        ["pinned host key", { hostKey: "ssh-ed25519 BBBB" }],
        ["bastion", { bastion: { host: "10.0.0.1", port: 22, user: "root", hostKey: "ssh-ed25519 CCCC" } }],
    ] as const) {
        it(`a changed ${what} is an in-place update that sends no ipvsadm change and uses the new connection from then on`, async () => {
            const host = new FakeHost({ localAddresses: [DIRECTOR] });
            const { provider, outs, opened } = await upOn(host);
            const next = { ...CONN, ...change };
            const d = await provider.diff("id", outs, props(ENTRIES, next));
            expect(d).toEqual({ changes: true });
            host.ipvsadm.calls.length = 0;
            const { outs: updated } = await provider.update("id", outs, props(ENTRIES, next));
            expect(host.ipvsadm.calls.filter((c) => !/^(-S|-L)/.test(c.join(" ")))).toEqual([]);
            expect(updated.connection).toEqual(next);
            opened.length = 0;
            await provider.delete("id", updated);
            expect(opened).toEqual([next]);
        });
    }
});

/** Full listings of the table the host was asked for. */
const listings = (host: FakeHost) => host.commands.filter((c) => c.includes("ipvsadm -L -n --thresholds")).length;
const weight = { ...ENTRIES, "-a -t 192.168.13.100:3306 -r 192.168.13.112:3306": "-g -w 4" };

/** A provider on a fake clock with ENTRIES created on `host`, its commands so far forgotten. */
async function providerAt(host: FakeHost, open: OpenHost = async () => host) {
    let clock = 1_000_000;
    const provider = ipvsTableProvider(open, () => clock);
    const { outs } = await provider.create(props(ENTRIES));
    host.commands.length = 0;
    return { provider, outs, tick: (ms: number) => (clock += ms) };
}

describe("IpvsTable provider: the diff's read serves the update that follows", () => {
    it("an update right after its diff lists the table once in all, and records what the host holds", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const { provider, outs } = await providerAt(host);
        host.commands.length = 0;
        expect((await provider.diff("id", outs, props(weight))).changes).toBe(true);
        const { outs: next } = await provider.update("id", outs, props(weight));
        expect(listings(host)).toBe(1);
        expect(recordedEntries(next)).toEqual(toEntries(host.ipvsadm.ruleset()));
        expect(next.lastApply.commands).toEqual(["ipvsadm -e -t 192.168.13.100:3306 -r 192.168.13.112:3306 -g -w 4"]);
    });

    it("a read older than the window, or one already used, is not used: the update lists the table itself", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const { provider, outs, tick } = await providerAt(host);
        await provider.diff("id", outs, props(weight));
        tick(RECENT_READ_MS + 1);
        host.commands.length = 0;
        const { outs: next } = await provider.update("id", outs, props(weight));
        expect(listings(host)).toBe(1);
        host.commands.length = 0;
        await provider.update("id", next, props(ENTRIES));
        expect(listings(host)).toBe(1);
        expect(toEntries(host.ipvsadm.ruleset())).toEqual(ENTRIES);
    });

    it("a change on the host between diff and update cannot slip by: the apply fails naming it, and the next converges", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const { provider, outs } = await providerAt(host);
        const added = { ...ENTRIES, "-a -t 192.168.13.100:80 -r 192.168.13.20:80": "-g -w 1" };
        await provider.diff("id", outs, props(added));
        // Someone adds the same real server by hand after the diff read the table.
        host.ipvsadm.exec(["-a", "-t", "192.168.13.100:80", "-r", "192.168.13.20:80", "-g", "-w", "2"]);
        await expect(provider.update("id", outs, props(added))).rejects.toThrow(/was refused in part: Destination already exists\. The table now differs from the stack in 1 entry \(-a -t 192\.168\.13\.100:80 -r 192\.168\.13\.20:80\)/);
        const { outs: next } = await provider.update("id", outs, props(added));
        expect(recordedEntries(next)).toEqual(added);
    });
});

describe("IpvsTable provider: Check starts the drift probe's read, Diff awaits it", () => {
    it("a table in state is read from Check on: Check, Diff and Update list it once in all", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const { provider, outs } = await providerAt(host);
        await provider.check(props(ENTRIES), props(weight));
        expect(listings(host)).toBe(1);
        expect((await provider.diff("id", outs, props(weight))).changes).toBe(true);
        await provider.update("id", outs, props(weight));
        expect(listings(host)).toBe(1);
        expect(toEntries(host.ipvsadm.ruleset())).toEqual(weight);
    });

    it("the early read sees drift as the diff's own would, and a second Check starts no second read", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const { provider, outs } = await providerAt(host);
        host.ipvsadm.exec(["-e", "-t", "192.168.13.100:80", "-r", "192.168.13.9:80", "-g", "-w", "5"]);
        await provider.check(props(ENTRIES), props(ENTRIES));
        await provider.check(props(ENTRIES), props(ENTRIES));
        expect((await provider.diff("id", outs, props(ENTRIES))).changes).toBe(true);
        expect(listings(host)).toBe(1);
        expect(notices()).toContainEqual(expect.objectContaining({ kind: "drift", entry: "-a -t 192.168.13.100:80 -r 192.168.13.9:80" }));
    });

    it("reads nothing for a new table, nor for a table keepalived writes", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const provider = ipvsTableProvider(async () => host);
        await provider.check({}, props(ENTRIES));
        await provider.check(props(ENTRIES, CONN, "keepalived"), props(ENTRIES, CONN, "keepalived"));
        await new Promise((r) => setImmediate(r));
        expect(host.commands).toEqual([]);
    });

    it("an early read older than the window is dropped: the diff reads the table afresh", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        const { provider, outs, tick } = await providerAt(host);
        await provider.check(props(ENTRIES), props(ENTRIES));
        tick(RECENT_READ_MS + 1);
        host.ipvsadm.exec(["-e", "-t", "192.168.13.100:80", "-r", "192.168.13.9:80", "-g", "-w", "5"]);
        expect((await provider.diff("id", outs, props(ENTRIES))).changes).toBe(true);
        expect(listings(host)).toBe(2);
    });

    it("a host Check could not reach is printed by Diff as unchecked, once, and nothing is left unhandled", async () => {
        const host = new FakeHost({ localAddresses: [DIRECTOR] });
        let reachable = true;
        const { provider, outs } = await providerAt(host, async () => {
            if (!reachable) throw new Error("ssh director1 (root@127.0.0.1:22011): unreachable: no SSH handshake within 5 s");
            return host;
        });
        reachable = false;
        const unhandled: unknown[] = [];
        const onUnhandled = (e: unknown) => unhandled.push(e);
        process.on("unhandledRejection", onUnhandled);
        try {
            await provider.check(props(ENTRIES), props(ENTRIES));
            await new Promise((r) => setTimeout(r, 10));
            expect((await provider.diff("id", outs, props(ENTRIES))).changes).toBe(false);
        } finally {
            process.off("unhandledRejection", onUnhandled);
        }
        expect(unhandled).toEqual([]);
        expect(notices().filter((n) => n.kind === "unchecked")).toEqual([expect.objectContaining({ kind: "unchecked", host: "director1", reason: expect.stringMatching(/unreachable/) })]);
    });
});
