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

# IPv6 on the main bridge (a ULA prefix): every host at fd13::<octet>, the client at fd13::250.
LAB_V6_PREFIX=fd13:
LAB_V6_PREFIX_LEN=64
LAB_V6_CLIENT_ADDR=${LAB_V6_PREFIX}:250

# Seed 001's NAT topology beside the DR lab. Public side: 192.168.0.0/24 on the same bridge,
# where the client (the namespace) has .250 and director1 its public address. Private side:
# 172.16.0.0/16 on a second bridge that the namespace has no address on, so the client can
# reach the real servers' private addresses only through the director.
LAB_PUBLIC_PREFIX=192.168.0
LAB_PUBLIC_PREFIX_LEN=24
LAB_PUBLIC_CLIENT_ADDR=$LAB_PUBLIC_PREFIX.250
LAB_PRIVATE_BRIDGE=lvsbr1
LAB_PRIVATE_SUBNET=172.16.0.0
LAB_PRIVATE_PREFIX_LEN=16

LAB_STATE=${LAB_STATE_DIR:-/var/tmp/pulumi-lvs-lab}
LAB_CACHE=${LAB_CACHE_DIR:-/var/cache/pulumi-lvs-lab}
LAB_HOSTS_JSON=$LAB_REPO/.lab/hosts.json

# Guest kernel arguments that only save boot time: no speculation mitigations (they make
# every kernel entry slower under TCG, and the lab runs no untrusted code).
LAB_KERNEL_ARGS="mitigations=off"
LAB_VM_MEMORY_MB=${LAB_VM_MEMORY_MB:-384}
LAB_BOOT_TIMEOUT_S=${LAB_BOOT_TIMEOUT_S:-240}

# name  last-octet  role  private-address  public-address  (director1, rs1, rs2 as in seeds
# 000 and 001: DIP 172.16.0.10, real servers 172.16.0.45 and .55; "-" for none)
LAB_HOSTS=(
    "director1 111 director 172.16.0.10 192.168.0.10"
    "director2 110 director - -"
    "rs1 112 realserver 172.16.0.45 -"
    "rs2 113 realserver 172.16.0.55 -"
    "rs3 114 realserver - -"
)

lab_host_names() { local h; for h in "${LAB_HOSTS[@]}"; do echo "${h%% *}"; done; }

# Sets host_name, host_addr, host_addr6, host_role, host_mac, host_tap for one host, and host_private,
# host_mac2, host_tap2 (empty without a private NIC) and host_public (empty without one);
# fails if unknown.
lab_host() {
    local h name octet role private public
    for h in "${LAB_HOSTS[@]}"; do
        read -r name octet role private public <<< "$h"
        if [ "$name" = "$1" ]; then
            host_name=$name
            host_addr=$LAB_SUBNET_PREFIX.$octet
            host_addr6=${LAB_V6_PREFIX}:$octet
            host_role=$role
            host_mac=$(printf '52:54:00:13:00:%02x' "$octet")
            host_tap=tap-$name
            host_private= host_mac2= host_tap2= host_public=
            if [ "$private" != - ]; then
                host_private=$private
                host_mac2=$(printf '52:54:00:16:00:%02x' "${private##*.}")
                host_tap2=tpriv-$name
            fi
            [ "$public" = - ] || host_public=$public
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
