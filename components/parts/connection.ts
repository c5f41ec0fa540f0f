/** SSH connection settings for remote.Command and IpvsTable, from a validated host spec. */
import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";
import type { SshTarget } from "../providers/transport";
import type { HostAccess } from "./host-access";

/** For @pulumi/command's remote.Command (the "pulumi-command" runner). */
export function remoteConnection(h: HostAccess): command.types.input.remote.ConnectionArgs {
    const ssh = h.spec.ssh;
    const conn: command.types.input.remote.ConnectionArgs = {
        host: ssh.host ?? h.spec.address,
        port: ssh.port,
        user: ssh.user,
        privateKey: pulumi.secret(h.privateKey),
        ...(ssh.insecureSkipHostKeyCheck ? {} : { hostKey: ssh.hostKey }),
        // Bounded like our own transport: a dead host fails `up` in a few timeouts, not minutes.
        perDialTimeout: Math.ceil(ssh.connectTimeoutSeconds),
        dialErrorLimit: 3,
    };
    if (ssh.bastion) {
        const b = ssh.bastion;
        conn.proxy = { host: b.host, port: b.port, user: b.user, privateKey: pulumi.secret(h.privateKey), ...(b.insecureSkipHostKeyCheck ? {} : { hostKey: b.hostKey }) };
    }
    return conn;
}

/** For our providers (IpvsTable, RemoteStep): plain data, kept secret as a whole. */
export function sshTarget(h: HostAccess): pulumi.Output<SshTarget> {
    const ssh = h.spec.ssh;
    return pulumi.secret(
        pulumi.output(h.privateKey).apply((privateKey): SshTarget => ({
            name: h.name,
            host: ssh.host ?? h.spec.address,
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
