/** keepalived health checks for real servers (used by HaPair and by health-checked Directors). */
import { z } from "zod";
import { ipAddress, port } from "./common";

/** keepalived counts timers in microseconds: shorter than a millisecond is no timer at all. */
const seconds = (max: number) => z.number().min(0.001, `must be 0.001..${max} seconds. Fix: keepalived timers need at least a millisecond; use e.g. 1.`).max(max, `must be 0.001..${max} seconds`);

/**
 * keepalived reads a config line of at most 1024 bytes and takes the rest as another line,
 * so a longer value would be split into a keyword of its own (a directive injection).
 */
const KEEPALIVED_VALUE_MAX = 1000;
const tooLongForKeepalived = `must be at most ${KEEPALIVED_VALUE_MAX} characters: keepalived reads config lines of up to 1024 bytes and would read the rest as another keyword. Fix: shorten it (put a long command in a script and run that).`;

const common = {
    /** Seconds between checks (keepalived delay_loop). Default 6. */
    delayLoop: seconds(3600).default(6),
    /** Seconds before one attempt fails. Default 3. */
    connectTimeout: seconds(600).default(3),
    /** Failed attempts before the server is taken out. Default 1. */
    retry: z.number().int().min(0).max(100).default(1),
    /** Seconds between retries. Default 1. */
    delayBeforeRetry: seconds(600).default(1),
    /** Port to probe; defaults to the real server's port. */
    connectPort: port.optional(),
    /** Address to probe; defaults to the real server's address. */
    connectIp: ipAddress.optional(),
};

const URL_PATH = /^\/[A-Za-z0-9._~%/?=&+-]*$/;
const MISC_COMMAND = /^\/[A-Za-z0-9._/-]+( [A-Za-z0-9._/:=,@-]+)*$/;

export const healthCheckSchema = z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("tcp"), ...common }),
    z.strictObject({
        type: z.literal("http"),
        ...common,
        /** Default "/". */
        path: z.string().max(KEEPALIVED_VALUE_MAX, tooLongForKeepalived).regex(URL_PATH, "must be a URL path starting with '/' (letters, digits and . _ ~ % / ? = & + -)").default("/"),
        /** Default 200. */
        statusCode: z.number().int().min(100).max(599).default(200),
    }),
    z
        .strictObject({
            type: z.literal("misc"),
            ...common,
            /** An absolute program path and plain arguments, run by keepalived on the director. */
            command: z.string().max(KEEPALIVED_VALUE_MAX, tooLongForKeepalived).regex(MISC_COMMAND, "must be an absolute path and plain arguments (no quotes, $, ;, | or backticks)"),
        })
        .superRefine((check, ctx) => {
            // keepalived's MISC_CHECK takes no connect_ip/connect_port; silently dropping them would mislead.
            for (const field of ["connectIp", "connectPort"] as const) {
                if (check[field] !== undefined) ctx.addIssue({ code: "custom", path: [field], message: "does not apply to a misc check (the command decides what to probe). Fix: pass the address or port as an argument of the command." });
            }
        }),
]);

export type HealthCheckSpec = z.infer<typeof healthCheckSchema>;
/** What a user writes (zod's input type): defaults optional, unions and literals kept; a misspelled field or a wrong type fails tsc. */
export type HealthCheckSpecInput = z.input<typeof healthCheckSchema>;
