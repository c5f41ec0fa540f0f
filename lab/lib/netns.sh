# The lab's network: one namespace holding a bridge, one tap per VM and the client address.
# Nothing outside the namespace is touched, so nothing the lab sends can leave it.
# shellcheck shell=bash

netns_exists() { ip netns list | awk '{print $1}' | grep -qx "$LAB_NETNS"; }

in_netns() { ip netns exec "$LAB_NETNS" "$@"; }

netns_ensure() {
    netns_exists || ip netns add "$LAB_NETNS"
    ip -n "$LAB_NETNS" link set lo up
    if ! ip -n "$LAB_NETNS" link show "$LAB_BRIDGE" >/dev/null 2>&1; then
        ip -n "$LAB_NETNS" link add "$LAB_BRIDGE" type bridge
    fi
    # A fixed MAC: a bridge otherwise takes its lowest port's MAC, which changes as VMs come
    # and go and makes the client's ARP entries flap.
    ip -n "$LAB_NETNS" link set "$LAB_BRIDGE" address 52:54:00:13:00:fa up
    ip -n "$LAB_NETNS" addr replace "$LAB_CLIENT_ADDR/$LAB_PREFIX_LEN" dev "$LAB_BRIDGE"
    ip -n "$LAB_NETNS" addr replace "$LAB_PUBLIC_CLIENT_ADDR/$LAB_PUBLIC_PREFIX_LEN" dev "$LAB_BRIDGE"
    ip -n "$LAB_NETNS" -6 addr replace "$LAB_V6_CLIENT_ADDR/$LAB_V6_PREFIX_LEN" dev "$LAB_BRIDGE" nodad
    # The private network's switch: no address here, so the client has no route into it.
    if ! ip -n "$LAB_NETNS" link show "$LAB_PRIVATE_BRIDGE" >/dev/null 2>&1; then
        ip -n "$LAB_NETNS" link add "$LAB_PRIVATE_BRIDGE" type bridge
    fi
    ip -n "$LAB_NETNS" link set "$LAB_PRIVATE_BRIDGE" address 52:54:00:16:00:fa up
}

# tap_ensure TAP [BRIDGE]: BRIDGE defaults to the lab's main one.
tap_ensure() {
    local tap=$1 bridge=${2:-$LAB_BRIDGE}
    if ! ip -n "$LAB_NETNS" link show "$tap" >/dev/null 2>&1; then
        ip -n "$LAB_NETNS" tuntap add dev "$tap" mode tap
    fi
    ip -n "$LAB_NETNS" link set "$tap" master "$bridge" up
}

# The host's taps: its main one, and its private one when it has a private NIC.
host_taps_ensure() {
    tap_ensure "$host_tap"
    [ -z "$host_tap2" ] || tap_ensure "$host_tap2" "$LAB_PRIVATE_BRIDGE"
}

tap_is_up() { ip -n "$LAB_NETNS" -o link show "$1" 2>/dev/null | grep -q '[<,]UP[,>]'; }

# Cutting a host's switch port: the guest still sees carrier, as with a failed cable or switch
# between two hosts, so keepalived sees silence rather than an interface going down.
link_cut() { ip -n "$LAB_NETNS" link set "$1" down; }
link_restore() { ip -n "$LAB_NETNS" link set "$1" master "$LAB_BRIDGE" up; }

netns_remove() { if netns_exists; then ip netns delete "$LAB_NETNS"; fi; }
