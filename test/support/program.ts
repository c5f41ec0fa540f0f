/** Runs the program (index.ts) under Pulumi mocks with the given stack config, as the engine would. */
import { vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { runUnderMocks, type MockResource } from "./mocks";

const TEST_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n";

export interface ProgramRun {
    resources: MockResource[];
    /** What the program threw; a refused config is a pulumi.RunError. */
    error?: unknown;
    /** The program's exports: the stack's outputs. */
    outputs?: Record<string, unknown>;
}

/**
 * `config` maps keys such as "pulumi-lvs:clusterFile" to values; objects are passed as JSON, as
 * the engine passes them. The SSH key is set (as a secret) unless given.
 */
export async function runProgram(config: Record<string, unknown>, dryRun = true): Promise<ProgramRun> {
    const all: Record<string, string> = { "pulumi-lvs:sshPrivateKey": TEST_KEY };
    for (const [k, v] of Object.entries(config)) all[k] = typeof v === "string" ? v : JSON.stringify(v);
    let error: unknown;
    let outputs: Record<string, unknown> | undefined;
    const resources = await runUnderMocks(async () => {
        pulumi.runtime.setAllConfig(all, ["pulumi-lvs:sshPrivateKey"]);
        // The program runs as it is imported; a fresh module registry runs it again.
        vi.resetModules();
        try {
            outputs = { ...(await import("../../index")) };
        } catch (e) {
            error = e;
        }
    }, dryRun);
    return { resources, error, outputs };
}
