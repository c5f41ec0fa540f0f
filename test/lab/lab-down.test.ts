/**
 * The lab's last act: down leaves nothing behind. Its own file so that it runs after every
 * other lab and e2e file (the sequencer in vitest.config.mts puts it last; `npm test` runs it
 * after the e2e tier): a down any earlier makes the next file boot all five hosts again.
 */
import * as fs from "fs";
import { describe, expect, it } from "vitest";
import { HOSTS_JSON, down, lab, labProcesses, sh, status, up } from "./lab";
import { EVERY_HOST, leaseHosts } from "../support/host-lease";

describe("lab down", () => {
    leaseHosts(...EVERY_HOST);
    it("down leaves no VM, forward, tap, bridge, namespace or state behind", async () => {
        await up();
        expect(labProcesses().length).toBeGreaterThan(0);
        await down();
        expect(labProcesses()).toEqual([]);
        expect(sh("ip netns list")).not.toMatch(/^lvslab\b/m);
        expect(fs.existsSync("/var/tmp/pulumi-lvs-lab")).toBe(false);
        expect(fs.existsSync(HOSTS_JSON)).toBe(false);
        expect((await status()).code).toBe(3);
        const again = await lab(["down"]);
        expect(again.code).toBe(0);
    });
});
