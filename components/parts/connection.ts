/** SSH connection settings for remote.Command and IpvsTable, from a validated host spec. */
import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { SshTarget } from "../providers/transport";
import { knownSpec, type HostAccess } from "./host-access";

/** For @pulumi/command's remote.Command (the "pulumi-command" runner). */
export function remoteConnection(h: HostAccess): command.types.input.remote.ConnectionArgs {
    // The shape (whether there is a bastion, whether keys are checked) is the stand-in spec's; the values are the real one's.
    const ssh = h.spec.ssh;
    const known = knownSpec(h);
    const conn: command.types.input.remote.ConnectionArgs = {
        host: known.apply((s) => s.ssh.host ?? s.address),
        port: known.apply((s) => s.ssh.port),
        user: known.apply((s) => s.ssh.user),
        privateKey: pulumi.secret(h.privateKey),
        ...(ssh.insecureSkipHostKeyCheck ? {} : { hostKey: known.apply((s) => s.ssh.hostKey ?? "") }),
        // Bounded like our own transport: a dead host fails `up` in a few timeouts, not minutes.
        perDialTimeout: Math.ceil(ssh.connectTimeoutSeconds),
        dialErrorLimit: 3,
    };
    if (ssh.bastion) {
        const b = known.apply((s) => s.ssh.bastion!);
        conn.proxy = {
            host: b.host,
            port: b.port,
            user: b.user,
            privateKey: pulumi.secret(h.privateKey),
            ...(ssh.bastion.insecureSkipHostKeyCheck ? {} : { hostKey: b.apply((x) => x.hostKey ?? "") }),
        };
    }
    return conn;
}

/** For our providers (IpvsTable, RemoteStep): plain data, kept secret as a whole. */
export function sshTarget(h: HostAccess): pulumi.Output<SshTarget> {
    return pulumi.secret(
        pulumi.all([h.privateKey, knownSpec(h)]).apply(([privateKey, { address, ssh }]): SshTarget => ({
            name: h.name,
            host: ssh.host ?? address,
            port: ssh.port,
            user: ssh.user,
            privateKey,
            ...(ssh.hostKey ? { hostKey: ssh.hostKey } : {}),
            insecureSkipHostKeyCheck: ssh.insecureSkipHostKeyCheck,
            connectTimeoutSeconds: ssh.connectTimeoutSeconds,
            ...(ssh.bastion ? { bastion: { ...ssh.bastion } } : {}),
        })),
    );
}
