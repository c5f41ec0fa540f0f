/** Hosts and how to reach them over SSH. The private key itself is a Pulumi secret, not config data. */
import { z } from "zod";
import { hostNameOrAddress, hostPublicKey, ipAddress, port, userName } from "./common";

const sshHop = z.strictObject({
    /** SSH target; defaults to the host's `address`. */
    host: hostNameOrAddress.optional(),
    /** Default 22. */
    port: port.default(22),
    /** Default root: ipvsadm, sysctl and keepalived need it. */
    user: userName.default("root"),
    /** The host's public key, pinned. Required unless insecureSkipHostKeyCheck is set. */
    hostKey: hostPublicKey.optional(),
    /** Default false. Turning host-key checking off is allowed only by saying so. */
    insecureSkipHostKeyCheck: z.boolean().default(false),
});

function requireHostKey(hop: { hostKey?: string; insecureSkipHostKeyCheck: boolean }, ctx: z.RefinementCtx): void {
    if (!hop.hostKey && !hop.insecureSkipHostKeyCheck) {
        ctx.addIssue({
            code: "custom",
            path: ["hostKey"],
            message: "is required: host keys are verified by default. Fix: paste the host's /etc/ssh/ssh_host_ed25519_key.pub, or set insecureSkipHostKeyCheck: true for a throwaway lab.",
        });
    }
}

const CONNECT_TIMEOUT_RANGE = "must be 1..300 seconds. Fix: a few seconds suits hosts on a LAN (default 5); raise it for slow links or a distant bastion.";

export const bastionSchema = sshHop.extend({ host: hostNameOrAddress }).superRefine(requireHostKey);

export const sshSchema = sshHop
    .extend({
        /** Optional jump host; it uses the same private key. */
        bastion: bastionSchema.optional(),
        /**
         * Seconds one attempt may take to reach an authenticated session (bastion hop included).
         * Default 5. A preview's drift probe tries once and then reports the host as unchecked;
         * `up` tries again (once for a silent host, a few times while sshd refuses).
         */
        connectTimeoutSeconds: z.number().min(1, CONNECT_TIMEOUT_RANGE).max(300, CONNECT_TIMEOUT_RANGE).default(5),
    })
    .superRefine(requireHostKey);

export const hostSchema = z.strictObject({
    /** The host's address on the service network: real-server and director address in ipvs rules. */
    address: ipAddress,
    ssh: sshSchema,
});

export type HostSpec = z.infer<typeof hostSchema>;
export type SshSpec = z.infer<typeof sshSchema>;
/** What a user writes (zod's input type): defaults optional, unions and literals kept; a misspelled field or a wrong type fails tsc. */
export type HostSpecInput = z.input<typeof hostSchema>;
export type SshSpecInput = z.input<typeof sshSchema>;
