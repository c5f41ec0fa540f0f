/**
 * Everything a stack could change on a lab host, read in one SSH call: every sysctl, every
 * route (IPv4 and IPv6, all tables), addresses, links, the files under /etc, /var/lib,
 * /usr/local and /run/systemd/system (with checksums), unit files and units, and the loaded
 * kernel modules. Counters the kernel changes on its own are left out (measured on the lab:
 * they differ between two reads five seconds apart on an idle host).
 */
import { onHostOk, type LabHostName } from "../../lab/lab";

const SECTIONS: Record<string, string> = {
    sysctl: "sysctl -a 2>/dev/null | sort",
    routes4: "ip -4 route show table all",
    routes6: "ip -6 route show table all",
    addresses: "ip -o addr show",
    links: "ip -o link show",
    files: "find /etc /var/lib /usr/local /run/systemd/system -xdev \\( -type f -o -type l \\) -print0 2>/dev/null | sort -z | xargs -0 md5sum 2>/dev/null",
    unitFiles: "systemctl list-unit-files --no-legend --no-pager",
    units: "systemctl list-units --all --no-legend --no-pager --plain | grep -v '^session-'",
    modules: "lsmod | awk 'NR > 1 { print $1 }' | sort",
};

const VOLATILE_SYSCTL = /^(fs\.(dentry-state|file-nr|inode-nr|inode-state|aio-nr)|kernel\.ns_last_pid|kernel\.random\.\w+|kernel\.pty\.nr) = /;

export type HostSnapshot = Record<string, string[]>;

export async function snapshotHost(host: LabHostName): Promise<HostSnapshot> {
    const script = Object.entries(SECTIONS)
        .map(([name, cmd]) => `echo "@@ ${name}"; ${cmd}`)
        .join("\n");
    const out = await onHostOk(host, script);
    const snap: HostSnapshot = {};
    let current = "";
    for (const line of out.split("\n")) {
        const header = /^@@ (\w+)$/.exec(line);
        if (header) snap[(current = header[1])] = [];
        else if (current && line !== "" && !(current === "sysctl" && VOLATILE_SYSCTL.test(line))) snap[current].push(line);
    }
    return snap;
}

/** What differs between two snapshots, section by section: lines gone and lines new. */
export function snapshotDiff(before: HostSnapshot, after: HostSnapshot): Record<string, { gone: string[]; added: string[] }> {
    const diff: Record<string, { gone: string[]; added: string[] }> = {};
    for (const section of new Set([...Object.keys(before), ...Object.keys(after)])) {
        const b = new Set(before[section] ?? []);
        const a = new Set(after[section] ?? []);
        const gone = [...b].filter((l) => !a.has(l));
        const added = [...a].filter((l) => !b.has(l));
        if (gone.length || added.length) diff[section] = { gone, added };
    }
    return diff;
}
