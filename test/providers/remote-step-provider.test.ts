/** RemoteStep's provider: a new connection is recorded in place and runs no script; changed scripts run. */
import { describe, expect, it } from "vitest";
import { remoteStepProvider } from "../../components/providers/remote-step-provider";
import type { HostTransport, SshTarget } from "../../components/providers/transport";

const CONN: SshTarget = { name: "rs1", host: "127.0.0.1", port: 22112, user: "root", privateKey: "KEY", hostKey: "ssh-ed25519 AAAA", connectTimeoutSeconds: 5 };
const STEP = { connection: CONN, create: "echo up", update: "echo up", delete: "echo down" };

function recordingHost() {
    const runs: { target: SshTarget; script: string }[] = [];
    const open = async (target: SshTarget): Promise<HostTransport> => ({
        run: async (_cmd, stdin) => (runs.push({ target, script: stdin ?? "" }), { code: 0, stdout: "ok\n", stderr: "" }),
        close: async () => {},
    });
    return { runs, provider: remoteStepProvider(open) };
}

describe("RemoteStep provider", () => {
    it("a changed port, key or bastion is an update that runs nothing, and delete then uses the new connection", async () => {
        const { runs, provider } = recordingHost();
        const { outs } = await provider.create(STEP);
        for (const change of [{ port: 22999 }, { privateKey: "OTHER" }, { bastion: { host: "10.0.0.1", port: 22, user: "root", hostKey: "ssh-ed25519 CCCC" } }]) {
            const news = { ...STEP, connection: { ...CONN, ...change } };
            expect(await provider.diff("id", outs, news)).toEqual({ changes: true });
            runs.length = 0;
            const { outs: updated } = await provider.update("id", outs, news);
            expect(runs).toEqual([]);
            await provider.delete("id", updated);
            expect(runs).toEqual([{ target: news.connection, script: "echo down" }]);
        }
    });

    it("the same step in another key order is no change; a changed script runs on update", async () => {
        const { runs, provider } = recordingHost();
        const { outs } = await provider.create(STEP);
        const reordered = { delete: STEP.delete, update: STEP.update, create: STEP.create, connection: Object.fromEntries(Object.entries(CONN).reverse()) as unknown as SshTarget };
        expect(await provider.diff("id", outs, reordered)).toEqual({ changes: false });
        runs.length = 0;
        await provider.update("id", outs, { ...STEP, create: "echo up2", update: "echo up2" });
        expect(runs.map((r) => r.script)).toEqual(["echo up2"]);
    });
});
