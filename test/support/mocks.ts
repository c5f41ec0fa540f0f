/** Runs a Pulumi program under mocks and returns every resource it registered, with inputs resolved. */
import * as pulumi from "@pulumi/pulumi";

export interface MockResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

/** The runtime's marker for a secret value inside mock inputs. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

export function isSecret(v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Inputs with secret wrappers removed, for asserting on values. */
export function reveal(v: any): any {
    if (isSecret(v)) return reveal(v.value);
    if (Array.isArray(v)) return v.map(reveal);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    return v;
}

/** Whether `text` occurs anywhere in `v` outside secret-wrapped values. */
export function inPlaintext(v: any, text: string): boolean {
    if (isSecret(v)) return false;
    if (typeof v === "string") return v.includes(text);
    if (v && typeof v === "object") return Object.values(v).some((x) => inPlaintext(x, text));
    return false;
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

/** Records, through a transformation inherited by every child, each resource's parent and dependsOn by name. */
export function dependencyRecorder() {
    const names = new Map<pulumi.Resource, string>();
    const raw: { name: string; parent?: pulumi.Resource; deps: unknown[] }[] = [];
    const transformation: pulumi.ResourceTransformation = (a) => {
        names.set(a.resource, a.name);
        const deps = a.opts.dependsOn;
        raw.push({ name: a.name, parent: a.opts.parent, deps: deps === undefined ? [] : Array.isArray(deps) ? deps : [deps] });
        return undefined;
    };
    const deps = (name: string) => (raw.find((r) => r.name === name)?.deps ?? []).map((d) => names.get(d as pulumi.Resource) ?? "?").sort();
    const parentOf = (name: string) => raw.find((r) => r.name === name)?.parent;
    return { transformation, deps, parentOf, names: () => raw.map((r) => r.name), nameOf: (r: pulumi.Resource) => names.get(r) ?? "?" };
}
