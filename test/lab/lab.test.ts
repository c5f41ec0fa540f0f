/**
 * The lab's whole life in order, in one file so the order is fixed: up, reach every host with
 * host keys checked, kernel IPVS on the directors, seed 000's DR procedure by hand with real
 * traffic from the client, fault hooks, and repair of a half-up lab. Down leaving nothing is
 * lab-down.test.ts, which runs last (after the e2e tier in `npm test`): a down here would make
 * the next file boot all five hosts again.
 */
import * as fs from "fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
    LAB_HOST_NAMES,
    asClient,
    clientGet,
    cutLink,
    down,
    killHost,
    onHost,
    onHostOk,
    readLabHosts,
    rebootHost,
    restartHost,
    restoreLink,
    startHost,
    status,
    up,
    labProcesses,
    sh,
    type LabHostName,
    type LabHosts,
} from "./lab";
import { DIRECTOR, REAL_SERVERS, VIP, applySeed000, undoSeed000 } from "./seed-000-dr";
import { EVERY_HOST, leaseHosts } from "../support/host-lease";

const EXPECTED_ADDRESSES = {
    director1: "192.168.13.111",
    director2: "192.168.13.110",
    rs1: "192.168.13.112",
    rs2: "192.168.13.113",
    rs3: "192.168.13.114",
};

describe("lab", () => {
    leaseHosts(...EVERY_HOST);
    let upOutput = "";
    let hosts: LabHosts;

    beforeAll(async () => {
        // Start cold: a lab left up by an earlier run carries its state (loaded modules,
        // addresses), and this suite proves what a fresh lab looks like.
        await down();
        upOutput = await up();
        console.log(upOutput);
        hosts = readLabHosts();
    });

    it("comes up with every host running and answering SSH, each boot time printed", async () => {
        expect(hosts.netns).toBe("lvslab");
        expect(hosts.vip).toBe(VIP);
        expect(hosts.client.address).toBe("192.168.13.250");
        expect(Object.fromEntries(hosts.hosts.map((h) => [h.name, h.address]))).toEqual(EXPECTED_ADDRESSES);
        for (const host of hosts.hosts) {
            expect(host.port).toBe(22);
            expect(host.user).toBe("root");
            expect(fs.existsSync(host.privateKeyPath)).toBe(true);
            expect(host.hostPublicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+$/);
            expect(host.knownHostsLine).toBe(`${host.address} ${host.hostPublicKey}`);
            expect(upOutput).toMatch(new RegExp(`lab: ${host.name}: SSH after [0-9.]+s`));
        }
        const st = await status();
        expect(st.stdout).not.toMatch(/stopped|\bno\b/);
        expect(st.code).toBe(0);
    });

    it("is idempotent: up on a running lab boots nothing", async () => {
        const again = await up();
        for (const name of LAB_HOST_NAMES) expect(again).toContain(`lab: ${name}: already running`);
        expect(again).not.toContain("booting");
    });

    it("reaches every host over SSH with its pinned host key", async () => {
        for (const name of LAB_HOST_NAMES) {
            expect((await onHostOk(name, "hostname")).trim()).toBe(name);
            expect(await onHostOk(name, "ip -4 -o addr show dev ens33")).toContain(`${EXPECTED_ADDRESSES[name]}/24`);
        }
    });

    it("has seed 001's NAT topology: a private network the client reaches only through director1", async () => {
        const seed001 = { director1: "172.16.0.10/16", rs1: "172.16.0.45/16", rs2: "172.16.0.55/16" } as const;
        for (const [name, addr] of Object.entries(seed001)) {
            expect(await onHostOk(name as LabHostName, "ip -4 -o addr show dev ens34")).toContain(`inet ${addr} `);
            expect(hosts.hosts.find((h) => h.name === name)?.privateAddress).toBe(addr.split("/")[0]);
        }
        expect(await onHostOk("director1", "ip -4 -o addr show dev ens33")).toContain("inet 192.168.0.10/24 ");
        for (const name of ["director2", "rs3"] as const) expect(await onHostOk(name, "ls /sys/class/net")).not.toContain("ens34");
        expect((await onHostOk("rs1", "timeout 3 bash -c 'exec 3<>/dev/tcp/172.16.0.10/22' && echo reached")).trim()).toBe("reached");
        expect((await asClient(["bash", "-c", "exec 3<>/dev/tcp/192.168.0.10/22 && echo reached"])).stdout.trim()).toBe("reached");
        const privateFromClient = await asClient(["bash", "-c", "exec 3<>/dev/tcp/172.16.0.45/80"]);
        expect(privateFromClient.code).not.toBe(0);
        expect(privateFromClient.stderr).toContain("Network is unreachable");
    });

    it("refuses a host whose key is not the pinned one (StrictHostKeyChecking=yes)", async () => {
        const rs1 = hosts.hosts.find((h) => h.name === "rs1")!;
        const rs2 = hosts.hosts.find((h) => h.name === "rs2")!;
        const dir = fs.mkdtempSync("/tmp/lab-known-");
        const wrong = `${dir}/known_hosts`;
        fs.writeFileSync(wrong, `${rs1.address} ${rs2.hostPublicKey}\n`);
        const sshTo = (knownHosts: string) =>
            asClient([
                "ssh", "-i", hosts.privateKeyPath, "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", `root@${rs1.address}`, "hostname",
            ]);
        const refused = await sshTo(wrong);
        expect(refused.code).toBe(255);
        expect(refused.stderr).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
        expect((await sshTo(hosts.knownHostsPath)).stdout.trim()).toBe("rs1");
        fs.rmSync(dir, { recursive: true });
    });

    it("reaches every host from the host's own namespace through its loopback forward", () => {
        for (const host of hosts.hosts) {
            const out = sh(
                `ssh -i ${host.privateKeyPath} -p ${host.forward.port} -o UserKnownHostsFile=${hosts.knownHostsPath} ` +
                    `-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes ` +
                    `root@${host.forward.host} hostname`,
            );
            expect(out.trim()).toBe(host.name);
        }
    });

    it("gives the directors usable kernel IPVS, with nothing LVS preconfigured", async () => {
        for (const name of ["director1", "director2"] as const) {
            expect(await onHostOk(name, "lsmod")).not.toMatch(/^ip_vs/m);
            expect((await onHost(name, "systemctl is-enabled keepalived")).stdout.trim()).toBe("disabled");
            expect((await onHost(name, "systemctl is-active keepalived")).stdout.trim()).toBe("inactive");
            const listing = await onHostOk(name, "modprobe ip_vs && ipvsadm -L -n");
            expect(listing).toMatch(/IP Virtual Server version \d+\.\d+\.\d+/);
            expect(await onHostOk(name, "ipvsadm -S -n")).toBe("");
            const schedulers = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"].map((s) => `ip_vs_${s}`);
            const loaded = await onHostOk(name, `modprobe -a ${schedulers.join(" ")} && lsmod`);
            for (const module of schedulers) expect(loaded).toMatch(new RegExp(`^${module}\\s`, "m"));
            await onHostOk(name, `modprobe -r ${schedulers.join(" ")} ip_vs`);
            expect(await onHostOk(name, "lsmod")).not.toMatch(/^ip_vs/m);
        }
    });

    it("has every real server answer HTTP on :80 and :3306 with its hostname", async () => {
        for (const host of hosts.hosts.filter((h) => h.role === "realserver")) {
            expect(await clientGet(host.address, 80)).toBe(host.name);
            expect(await clientGet(host.address, 3306)).toBe(host.name);
        }
        expect(await clientGet(EXPECTED_ADDRESSES.director1, 80, 2)).toBeNull();
    });

    it("balances the client's requests rr across rs1 and rs2 with seed 000's DR procedure, then undoes it", async () => {
        expect(await clientGet(VIP, 80, 2)).toBeNull();
        for (const rs of REAL_SERVERS) expect(await onHostOk(rs.name, "ip -4 -o addr show dev lo")).not.toContain(VIP);
        await applySeed000();
        try {
            const bodies: string[] = [];
            for (let i = 0; i < 6; i++) bodies.push((await clientGet(VIP)) ?? "(failed)");
            expect(bodies.filter((b) => b === "rs1")).toHaveLength(3);
            expect(bodies.filter((b) => b === "rs2")).toHaveLength(3);
            for (let i = 1; i < bodies.length; i++) expect(bodies[i]).not.toBe(bodies[i - 1]);
            // The director counted them too: 3 connections per real server on the new service
            // (the kernel folds its per-cpu counters into these every 2 s, hence the wait).
            const perServer = async () => {
                const stats = await onHostOk(DIRECTOR, "ipvsadm -L -n --stats");
                return REAL_SERVERS.map((rs) => new RegExp(`-> ${rs.address.replace(/\./g, "\\.")}:80\\s+(\\d+)\\s`).exec(stats)?.[1]);
            };
            let conns = await perServer();
            for (let i = 0; i < 10 && conns.some((c) => c !== "3"); i++) {
                await new Promise((r) => setTimeout(r, 1000));
                conns = await perServer();
            }
            expect(conns).toEqual(["3", "3"]);
        } finally {
            await undoSeed000();
        }
        expect(await onHostOk(DIRECTOR, "ipvsadm -S -n")).toBe("");
        expect(await onHostOk(DIRECTOR, "ip -4 -o addr")).not.toContain(VIP);
        expect(await onHostOk("rs1", "ip -4 -o addr show dev lo")).not.toContain(VIP);
        expect(await clientGet(VIP, 80, 2)).toBeNull();
    });

    it("cuts and restores one host's link", async () => {
        await cutLink("rs3");
        expect(await clientGet(EXPECTED_ADDRESSES.rs3, 80, 2)).toBeNull();
        expect(await clientGet(EXPECTED_ADDRESSES.rs2, 80, 2)).toBe("rs2");
        await restoreLink("rs3");
        expect(await clientGet(EXPECTED_ADDRESSES.rs3)).toBe("rs3");
    });

    /** director2's restart, started beside the reboot and the kill below (the lab boots them side by side) and judged in its own test. */
    let director2Restart: Promise<{ bootId: string; out: string }> | undefined;

    it("reboots one host (new boot id) and kills then starts another (same disk)", async () => {
        director2Restart = (async () => {
            const bootId = await onHostOk("director2", "cat /proc/sys/kernel/random/boot_id");
            return { bootId, out: await restartHost("director2") };
        })();
        director2Restart.catch(() => undefined); // judged (and reported) by the restart test
        const reboot = (async () => {
            const bootId = await onHostOk("rs2", "cat /proc/sys/kernel/random/boot_id");
            expect(await rebootHost("rs2")).toMatch(/rs2 rebooted; SSH after [0-9.]+s/);
            expect(await onHostOk("rs2", "cat /proc/sys/kernel/random/boot_id")).not.toBe(bootId);
            expect(await clientGet(EXPECTED_ADDRESSES.rs2)).toBe("rs2");
        })();
        const killStart = (async () => {
            await onHostOk("rs3", "echo kept > /root/marker && sync");
            await killHost("rs3");
            expect((await status()).stdout).toMatch(/^rs3 .* stopped /m);
            expect(await startHost("rs3")).toMatch(/rs3: SSH after [0-9.]+s/);
            expect((await onHostOk("rs3", "cat /root/marker")).trim()).toBe("kept");
        })();
        await Promise.all([reboot, killStart]);
    });

    it("restarts one host cleanly (poweroff, then boot)", async () => {
        const { bootId, out } = await director2Restart!;
        expect(out).toContain("lab: director2 stopped");
        expect(out).toMatch(/director2: SSH after [0-9.]+s/);
        expect(await onHostOk("director2", "cat /proc/sys/kernel/random/boot_id")).not.toBe(bootId);
    });

    it("repairs a half-up lab: a killed VM, a deleted tap and a dead forward", async () => {
        await killHost("rs1");
        sh("ip -n lvslab link del tap-rs1");
        const forwardPid = fs.readFileSync("/var/tmp/pulumi-lvs-lab/forwards/director2@22110.pid", "utf8").trim();
        sh(`kill -- -${forwardPid}`);
        const out = await up();
        expect(out).toMatch(/lab: booting rs1 \(/);
        expect(out).toMatch(/lab: rs1: SSH after [0-9.]+s/);
        expect(out).toContain("lab: director2: already running");
        expect((await status()).code).toBe(0);
        expect(await clientGet(EXPECTED_ADDRESSES.rs1)).toBe("rs1");
    });

    it("repairs a lab whose namespace was deleted under its running VMs", async () => {
        sh("ip netns delete lvslab");
        const out = await up();
        expect(out).toMatch(/lab: booting director1 director2 rs1 rs2 rs3 \(/);
        expect((await status()).code).toBe(0);
        expect(labProcesses().filter((line) => line.includes("guest=lvslab-"))).toHaveLength(5);
        expect(await clientGet(EXPECTED_ADDRESSES.rs2)).toBe("rs2");
    });
});
