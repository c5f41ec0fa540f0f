/**
 * Settings that arrive as pulumi.Inputs: a real server's address from the VM resource that
 * creates it, a weight from another stack, a host key read by another resource. A component must
 * decide which resources it registers when it is constructed, but such a value is known only
 * later (during a preview, perhaps not at all). So a component renders twice:
 *
 * - now, with a stand-in for each Output, for its shape: which host steps and tables exist;
 * - once every Output is known, with the real values, for what those resources carry (scripts,
 *   entries, connections). That render validates the values as the constructor validates plain
 *   ones (a bad value fails the program with the field, the reason and the fix, before a host
 *   step that uses it runs) and must give the same shape; where a real value would change the
 *   shape (an address of another family, a host listed by no pool), it says so.
 *
 * Stand-ins are addresses in 240.0.0.0/4 (reserved, never routed) keyed by host name, so a
 * RealServer's stand-in address is the one its VipGroup's pool lists under that name; the same
 * Output object gets the same stand-in wherever it is passed.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, formatPath } from "../base/errors";

/** True when `value` holds a pulumi.Output or a Promise anywhere: some of it is known only later. */
export function holdsOutputs(value: unknown): boolean {
    if (pulumi.Output.isInstance(value) || value instanceof Promise) return true;
    if (Array.isArray(value)) return value.some(holdsOutputs);
    if (value !== null && typeof value === "object") return Object.values(value).some(holdsOutputs);
    return false;
}

const standInsByOutput = new WeakMap<object, unknown>();

/** A stable address in 240.0.0.0/4 for a name (FNV-1a, 28 bits). */
export function standInAddress(name: string): string {
    let h = 0x811c9dc5;
    for (const c of name) h = Math.imul(h ^ c.codePointAt(0)!, 0x01000193) >>> 0;
    return [240 + ((h >>> 24) & 15), (h >>> 16) & 255, (h >>> 8) & 255, h & 255].join(".");
}

/** A well-formed ed25519 key that is no host's: the schema checks the form, and no connection uses it. */
const STAND_IN_HOST_KEY = `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32)]).toString("base64")}`;

/** The fields that may be Outputs, by their key, and their stand-ins; `name` is the host the value belongs to. */
const STAND_INS = {
    address: standInAddress,
    host: (name) => standInAddress(name),
    hostKey: () => STAND_IN_HOST_KEY,
    port: () => 22,
    user: () => "root",
    weight: () => 1,
} satisfies Record<string, (name: string) => unknown>;

export type DeferrableField = keyof typeof STAND_INS;
/** A host spec: its address and how SSH reaches it (bastion included). */
export const HOST_FIELDS = ["address", "host", "hostKey", "port", "user"] as const satisfies readonly DeferrableField[];
/** A VipGroup: a real server's address and weight, in a pool or in the group's `hosts`. */
export const GROUP_FIELDS = ["address", "weight"] as const satisfies readonly DeferrableField[];

/**
 * `T` (a schema's input type) with each field named in `K`, at any depth, taking a pulumi.Input
 * too: the type of a spec whose `K` fields withStandIns defers.
 */
export type WithInputs<T, K extends PropertyKey> = T extends readonly (infer E)[]
    ? WithInputs<E, K>[]
    : T extends object
      ? { [P in keyof T]: P extends K ? pulumi.Input<Exclude<T[P], undefined>> : WithInputs<T[P], K> }
      : T;

/**
 * `value` with each Output replaced by its stand-in. `nameAt` names the host a path belongs to
 * (a host's own name, or an address-book key). An Output where the shape depends on the value
 * is refused, naming the field.
 */
export function withStandIns(value: unknown, root: string, fields: readonly DeferrableField[], nameAt: (path: ReadonlyArray<string | number>) => string): unknown {
    const issues: string[] = [];
    const walk = (v: unknown, path: (string | number)[]): unknown => {
        if (pulumi.Output.isInstance(v) || v instanceof Promise) {
            const key = [...path].reverse().find((k): k is string => typeof k === "string");
            const make = key !== undefined && (fields as readonly string[]).includes(key) ? STAND_INS[key as DeferrableField] : undefined;
            if (!make) {
                issues.push(`${formatPath(root, path)}: is a pulumi.Output, but it decides which resources exist, so it must be known when the program runs. Fix: pass a plain value (here Outputs are taken for ${fields.join(", ")}).`);
                return undefined;
            }
            const known = standInsByOutput.get(v);
            if (known !== undefined) return known;
            const made = make(nameAt(path));
            standInsByOutput.set(v, made);
            return made;
        }
        if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
        if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
        return v;
    };
    const out = walk(value, []);
    if (issues.length > 0) throw new ConfigError(issues);
    return out;
}

/**
 * `render` of `value` once every Output in it is known, its refusals turned into the engine's
 * own error line (refusalAsRunError).
 */
export function whenKnown<R>(value: unknown, render: (plain: unknown) => R): pulumi.Output<R> {
    return (pulumi.output(value) as pulumi.Output<unknown>).apply(refusalAsRunError(render));
}

/**
 * `render`, with a ConfigError it throws turned into a RunError: the program ends with the
 * error's lines (field, reason, fix) and no stack trace, as it does for invalid stack config.
 */
export function refusalAsRunError<P, R>(render: (plain: P) => R): (plain: P) => R {
    return (plain) => {
        try {
            return render(plain);
        } catch (e) {
            if (!(e instanceof ConfigError)) throw e;
            const refusal = new pulumi.RunError(e.message);
            // Without a stack: the SDK's error handler formats any error that has one with
            // util.inspect, and for an error raised this deep in the Output chain that took a
            // preview of the packed e2e test from 4 s to 75 s (and 3 GB) before it printed.
            refusal.stack = undefined;
            throw refusal;
        }
    };
}

/**
 * Refuses a render with known values whose resources differ from the stand-in render's: the
 * components registered the stand-in's resources, and cannot add or drop one now.
 */
export function sameShape(root: string, planned: readonly string[], known: readonly string[]): void {
    const missing = known.filter((k) => !planned.includes(k));
    const extra = planned.filter((k) => !known.includes(k));
    if (missing.length === 0 && extra.length === 0) return;
    throw new ConfigError([
        `${root}: with its Output values known, it needs host steps ${JSON.stringify(known)}, but it was built before they were known with ${JSON.stringify(planned)}` +
            " (an address of another family than the stand-in IPv4 one, or a host its pools list by an address rather than by name). Fix: name real servers in pools by `host:` with their address in the VipGroup's `hosts`, or pass this value as a plain string.",
    ]);
}
