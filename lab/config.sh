# Lab topology and paths, sourced by every lab script. The namespace, bridge, taps and VMs
# are machine-wide (one lab per machine), so their state lives in one machine-wide directory
# too; each checkout gets its own .lab/hosts.json pointing there.
# shellcheck shell=bash disable=SC2034  # sourced: the variables are used by the other scripts

LAB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_NETNS=${LAB_NETNS:-lvslab}
LAB_BRIDGE=lvsbr0
LAB_SUBNET_PREFIX=192.168.13
LAB_PREFIX_LEN=24
# Seed 000's client address (CIP). The client is the namespace itself: an address on the
# bridge, no VM, so it costs no CPU.
LAB_CLIENT_ADDR=$LAB_SUBNET_PREFIX.250
LAB_VIP=$LAB_SUBNET_PREFIX.100   # documented only: the lab never assigns it

LAB_STATE=${LAB_STATE_DIR:-/var/tmp/pulumi-lvs-lab}
LAB_CACHE=${LAB_CACHE_DIR:-/var/cache/pulumi-lvs-lab}
LAB_HOSTS_JSON=$LAB_REPO/.lab/hosts.json

# Guest kernel arguments that only save boot time: no speculation mitigations (they make
# every kernel entry slower under TCG, and the lab runs no untrusted code).
LAB_KERNEL_ARGS="mitigations=off"
LAB_VM_MEMORY_MB=${LAB_VM_MEMORY_MB:-384}
LAB_BOOT_TIMEOUT_S=${LAB_BOOT_TIMEOUT_S:-240}

# name  last-octet  role  (director1, rs1, rs2 as in seed 000)
LAB_HOSTS=(
    "director1 111 director"
    "director2 110 director"
    "rs1 112 realserver"
    "rs2 113 realserver"
    "rs3 114 realserver"
)

lab_host_names() { local h; for h in "${LAB_HOSTS[@]}"; do echo "${h%% *}"; done; }

# Sets host_name, host_addr, host_role, host_mac, host_tap for one host; fails if unknown.
lab_host() {
    local h name octet role
    for h in "${LAB_HOSTS[@]}"; do
        read -r name octet role <<< "$h"
        if [ "$name" = "$1" ]; then
            host_name=$name
            host_addr=$LAB_SUBNET_PREFIX.$octet
            host_role=$role
            host_mac=$(printf '52:54:00:13:00:%02x' "$octet")
            host_tap=tap-$name
            return 0
        fi
    done
    echo "lab: unknown host '$1' (hosts: $(lab_host_names | tr '\n' ' '))" >&2
    return 1
}

# Loopback forwards from the host's own network namespace into the lab (see lib/forward.sh):
# host director1 (.111) is 127.0.0.1:22111, and so on.
LAB_FORWARD_BASE=${LAB_FORWARD_BASE:-22000}
forward_port() { (lab_host "$1" && echo $((LAB_FORWARD_BASE + ${host_addr##*.}))); }
