/**
 * The connection pool against a real ssh2 server on loopback, counting what the server sees:
 * one connection per target, at most the cap of exec channels at once, a dropped connection
 * replaced on next use, and an idle one ended.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as net from "net";
import { utils } from "ssh2";
import { poolKey, sshPool, type SshPool } from "../../components/providers/ssh-pool";
import type { TableOuts } from "../../components/providers/ipvs-table-provider";
import { recordedEntries } from "../../components/providers/recorded-entries";
import { LISTING_SPLIT } from "../../components/providers/ipvs-table-logic";
import type { SshTarget } from "../../components/providers/transport";
import { answerAfter, startSshd, type TestSshd } from "../support/ssh-server";

const KEY = utils.generateKeyPairSync("ed25519").private;
const OTHER_KEY = utils.generateKeyPairSync("ed25519").private;

let sshd: TestSshd;
let pool: SshPool;
const target = (over: Partial<SshTarget> = {}): SshTarget => ({ name: "director1", host: "127.0.0.1", port: sshd.port, user: "root", privateKey: KEY, insecureSkipHostKeyCheck: true, connectTimeoutSeconds: 2, ...over });

beforeAll(async () => {
    // "hang" stands for a command still running; ipvsadm finds an empty table; anything else
    // prints its own text. All answer after 40 ms.
    // An empty ipvs table for the table's read (the listing and /proc/net/ip_vs, one exec); other commands echo.
    const answer = (command: string) => (command.includes("cat /proc/net/ip_vs") ? `${LISTING_SPLIT}\n` : command);
    sshd = await startSshd((command, channel) => (command === "hang" ? undefined : answerAfter(channel, answer(command), 40)));
});
afterEach(() => {
    pool.endAll();
    sshd.logins.length = 0;
    sshd.commands.length = 0;
});
afterAll(() => sshd.close());

async function until(done: () => boolean): Promise<void> {
    for (const started = Date.now(); !done(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() - started > 2000) throw new Error("timed out waiting");
}

/** Opens, runs one command, closes: what one provider operation does. */
async function runOnce(t: SshTarget, command: string): Promise<string> {
    const transport = await pool.open(t);
    try {
        return (await transport.run(command)).stdout;
    } finally {
        await transport.close();
    }
}

describe("SSH connection pool", () => {
    it("two transports for the same target share one connection, and close keeps it open", async () => {
        pool = sshPool({ idleMs: 5000 });
        expect(await runOnce(target(), "first")).toBe("first");
        expect(await runOnce(target(), "second")).toBe("second");
        expect(sshd.logins).toHaveLength(1);
        expect(sshd.openConnections()).toBe(1);
    });

    it("concurrent first uses share one connect attempt", async () => {
        pool = sshPool();
        const out = await Promise.all([1, 2, 3, 4, 5].map((n) => runOnce(target(), `step ${n}`)));
        expect(out).toEqual(["step 1", "step 2", "step 3", "step 4", "step 5"]);
        expect(sshd.logins).toHaveLength(1);
    });

    it("runs 20 concurrent commands with at most 8 exec channels open, in the order they came", async () => {
        pool = sshPool();
        const commands = Array.from({ length: 20 }, (_, i) => `command ${i}`);
        const out = await Promise.all(commands.map((c) => runOnce(target(), c)));
        expect(out).toEqual(commands);
        expect(sshd.logins).toHaveLength(1);
        expect(sshd.maxOpenChannels()).toBe(8);
        expect(sshd.commands).toEqual(commands);
    });

    it("a different private key or user gets a connection of its own (ports: see pool keys)", async () => {
        pool = sshPool();
        await Promise.all([runOnce(target(), "a"), runOnce(target({ privateKey: OTHER_KEY }), "b"), runOnce(target({ user: "deploy" }), "c")]);
        expect(sshd.logins).toHaveLength(3);
        expect(new Set(sshd.logins.map((l) => `${l.user} ${l.key}`)).size).toBe(3);
        expect(pool.keys()).toHaveLength(3);
        // the non-root user's command goes through sudo, on its own connection
        expect(sshd.commands).toContain("sudo -n sh -c c");
    });

    it("a connection the server drops fails the command in flight naming the host, and the next use reconnects", async () => {
        pool = sshPool();
        const transport = await pool.open(target());
        const running = transport.run("hang");
        await new Promise((r) => setTimeout(r, 100));
        sshd.dropAll();
        await expect(running).rejects.toThrow(new RegExp(`^ssh director1 \\(root@127\\.0\\.0\\.1:${sshd.port}\\): connection lost while a command ran \\(.*\\); the host may have applied part of it$`));
        // the transport stays on its lost connection: a later command there says it never ran
        await expect(transport.run("after")).rejects.toThrow(/^ssh director1 \(.*\): connection lost before a command started \(.*\); it did not run$/);
        await transport.close();
        expect(await runOnce(target(), "again")).toBe("again");
        expect(sshd.logins).toHaveLength(2);
    });

    it("through a bastion: one connection to each for every use; the bastion dropping evicts it, and the next use reconnects", async () => {
        const bastion = await startSshd(() => undefined);
        try {
            pool = sshPool();
            const via = target({ bastion: { host: "127.0.0.1", port: bastion.port, user: "jump", insecureSkipHostKeyCheck: true } });
            expect(await Promise.all([runOnce(via, "a"), runOnce(via, "b")])).toEqual(["a", "b"]);
            expect([bastion.logins.length, sshd.logins.length]).toEqual([1, 1]);
            bastion.dropAll();
            await until(() => pool.keys().length === 0);
            expect(await runOnce(via, "c")).toBe("c");
            expect([bastion.logins.length, sshd.logins.length]).toEqual([2, 2]);
        } finally {
            pool.endAll();
            await bastion.close();
        }
    });

    it("ends a connection nobody holds after the idle period", async () => {
        pool = sshPool({ idleMs: 150 });
        await runOnce(target(), "x");
        const released = Date.now();
        await sshd.nextClose();
        expect(Date.now() - released).toBeGreaterThanOrEqual(140);
        expect(sshd.openConnections()).toBe(0);
        expect(pool.keys()).toEqual([]);
    });

    it("a probe through the pool tries once and names the host", async () => {
        pool = sshPool();
        const closed = net.createServer();
        await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
        const port = (closed.address() as net.AddressInfo).port;
        await new Promise<void>((r) => closed.close(() => r()));
        const started = Date.now();
        await expect(pool.open(target({ port }), { probe: true })).rejects.toThrow(new RegExp(`^ssh director1 \\(root@127\\.0\\.0\\.1:${port}\\): unreachable: .*ECONNREFUSED`));
        expect(Date.now() - started).toBeLessThan(1000);
        expect(pool.keys()).toEqual([]);
    });
});

describe("the provider runtime", () => {
    it("runs a host's steps and reads its table over one connection", async () => {
        const { ipvsTable, remoteStep } = await import("../../components/providers/runtime");
        const connection = target();
        const step = (script: string) => remoteStep.create({ connection, create: script, update: script, delete: script });
        const table: TableOuts = { host: "director1", connection, entries: {}, manager: "ipvsadm", drain: { timeoutSeconds: 1, pollSeconds: 1 }, rulesFile: "/etc/ipvsadm.rules", lastApply: { commands: [], warnings: [], drained: [] } };
        const [, , read] = await Promise.all([step("echo one"), step("echo two"), ipvsTable.read("id", table)]);
        expect(recordedEntries(read.props)).toEqual({});
        expect(read.inputs.entries).toEqual({});
        expect(sshd.commands).toEqual(expect.arrayContaining(["sh -s", expect.stringContaining("cat /proc/net/ip_vs")]));
        expect(sshd.logins).toHaveLength(1);
        // the runtime's pool is its own: end its connection from the server's side
        sshd.dropAll();
    });
});

describe("pool keys", () => {
    const base: SshTarget = { name: "d1", host: "10.0.0.1", port: 22, user: "root", privateKey: KEY, hostKey: "ssh-ed25519 AAAAC3Nza d1" };

    it("tell apart everything that decides whom we reach and as whom, the bastion's fields too", () => {
        const variants: SshTarget[] = [
            { ...base, host: "10.0.0.2" },
            { ...base, port: 2222 },
            { ...base, user: "deploy" },
            { ...base, privateKey: OTHER_KEY },
            { ...base, hostKey: "ssh-ed25519 AAAAC3Nzb d1" },
            { ...base, insecureSkipHostKeyCheck: true },
            { ...base, bastion: { host: "10.0.0.9", port: 22, user: "jump" } },
            { ...base, bastion: { host: "10.0.0.9", port: 22, user: "jump2" } },
            { ...base, bastion: { host: "10.0.0.9", port: 22, user: "jump", hostKey: "ssh-ed25519 AAAAC3Nzc j" } },
        ];
        const keys = [base, ...variants].map(poolKey);
        expect(new Set(keys).size).toBe(keys.length);
        expect(poolKey({ ...base })).toBe(poolKey(base));
    });

    it("never hold the private key, only its sha256", async () => {
        pool = sshPool();
        await runOnce(target(), "x");
        const secretLines = KEY.split("\n").filter((l) => l && !l.startsWith("-----"));
        const shown = [...pool.keys(), poolKey(base)].join("\n");
        expect(shown).not.toContain(KEY);
        for (const line of secretLines) expect(shown).not.toContain(line);
        expect(shown).toMatch(/"privateKeySha256":"[0-9a-f]{64}"/);
    });
});
