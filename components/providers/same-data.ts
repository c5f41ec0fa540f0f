/**
 * Equality of plain data whatever its key order: the engine hands inputs back with their
 * keys sorted, so comparing serialised text would see changes that are not there.
 */
export function sameData(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameData(x, b[i]));
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The provider code the engine stored with a resource's inputs or outputs (the `__provider` property). */
export function storedCode(props: object): unknown {
    return (props as Record<string, unknown>).__provider;
}

/**
 * How the engine hands a provider a value that is not known yet (a preview, where an input
 * comes from a resource still to be created): @pulumi/pulumi's runtime.unknownValue, repeated
 * here because the provider process loads this code without the SDK.
 */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when an unknown value is anywhere in `value`. */
export function holdsUnknowns(value: unknown): boolean {
    if (value === UNKNOWN_VALUE) return true;
    if (Array.isArray(value)) return value.some(holdsUnknowns);
    if (value !== null && typeof value === "object") return Object.values(value).some(holdsUnknowns);
    return false;
}
