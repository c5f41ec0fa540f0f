/** Runs a Pulumi program under mocks and returns every resource it registered, with inputs resolved. */
import * as pulumi from "@pulumi/pulumi";

export interface MockResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

export async function runUnderMocks(program: () => void | Promise<void>, dryRun: boolean): Promise<MockResource[]> {
    const created: MockResource[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                created.push({ type: args.type, name: args.name, inputs: args.inputs });
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                return args.inputs;
            },
        },
        "pulumi-lvs",
        dryRun ? "preview" : "update",
        dryRun,
    );
    await program();
    // Registrations finish asynchronously (inputs are outputs); wait until no new ones arrive.
    let seen = -1;
    while (seen !== created.length) {
        seen = created.length;
        await new Promise((r) => setTimeout(r, 100));
    }
    return created;
}
