#!/usr/bin/env bash
# The lab CLI: real Debian VMs with kernel IPVS in a private network namespace.
# Usage: lab/lab.sh <command> [args]   (see lab/README.md)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=config.sh
. "$here/config.sh"
for lib in netns keys vm forward hosts-json; do
    # shellcheck source=/dev/null
    . "$here/lib/$lib.sh"
done

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Commands that change the lab take a machine-wide lock: two `up`s at once would race.
lab_lock() {
    mkdir -p "$(dirname "$LAB_STATE")"
    exec 8> "$LAB_STATE.lock"
    flock 8
}

lab_exists() { netns_exists || [ -d "$LAB_STATE/vms" ]; }

# Anything inside the lab's namespace was started by the lab (qemu, ssh, curl): kill it all
# by pid, then delete the namespace.
netns_sweep() {
    local pid left
    netns_exists || return 0
    for pid in $(ip netns pids "$LAB_NETNS"); do kill_pid_and_wait "$pid" || true; done
    left=$(ip netns pids "$LAB_NETNS")
    [ -z "$left" ] || { echo "lab: processes left in $LAB_NETNS: $left" >&2; return 1; }
    netns_remove
}

cmd_image() { bash "$here/image/build.sh"; }

cmd_up() {
    local t0 image accel name to_boot=() failed=0 secs
    t0=$(now)
    image=$(bash "$here/image/build.sh")
    lab_lock
    # A namespace without the lab's state (deleted by hand, other state dir): its VMs are
    # unknown and hold the taps, so start over.
    if netns_exists && [ ! -f "$(lab_client_key)" ]; then
        echo "lab: namespace $LAB_NETNS has no state in $LAB_STATE; clearing it"
        netns_sweep
    fi
    mkdir -p "$LAB_STATE"
    keys_ensure
    ssh_files_write
    netns_ensure
    for name in $(lab_host_names); do
        lab_host "$name"
        host_taps_ensure
        # Repair a half-up lab: a VM whose namespace was deleted under it has no network.
        if vm_running "$name" && ! vm_in_lab_netns "$name"; then vm_kill "$name"; fi
        vm_running "$name" || to_boot+=("$name")
    done
    if [ ${#to_boot[@]} -gt 0 ]; then
        accel=$(accel_choose "$image")
        echo "$accel" > "$LAB_STATE/accel"
        echo "lab: booting ${to_boot[*]} (accel $accel)"
        for name in "${to_boot[@]}"; do
            vm_start "$name" "$image" "$accel"
        done
    fi
    # Every host, freshly booted or not, must answer SSH with its pinned key.
    for name in $(lab_host_names); do
        ( vm_wait_ssh "$name" "$LAB_BOOT_TIMEOUT_S" > "$(vm_dir "$name")/boot-seconds" ) &
    done
    wait_all_or_fail || failed=1
    for name in $(lab_host_names); do
        if [[ " ${to_boot[*]} " == *" $name "* ]]; then
            secs=$(cat "$(vm_dir "$name")/boot-seconds" 2>/dev/null || true)
            if [ -n "$secs" ]; then echo "lab: $name: SSH after ${secs}s (boot time)"; else echo "lab: $name: no SSH"; fi
        else
            echo "lab: $name: already running"
        fi
    done
    [ "$failed" = 0 ] || { echo "lab: up failed; see $LAB_STATE/vms/*/console.log" >&2; return 1; }
    for name in $(lab_host_names); do forward_ensure "$name"; done
    hosts_json_write
    echo "lab: up in $(since "$t0")s; hosts in $LAB_HOSTS_JSON; client: ip netns exec $LAB_NETNS <command>"
}

wait_all_or_fail() {
    local rc=0 pid
    for pid in $(jobs -p); do wait "$pid" || rc=1; done
    return $rc
}

cmd_down() {
    local t0 name pid
    t0=$(now)
    lab_lock
    if [ -d "$LAB_STATE" ]; then
        forward_stop_all
        # All VMs at once: they hold no state worth a clean shutdown.
        for name in $(lab_host_names); do
            if pid=$(vm_pid "$name"); then kill -KILL "$pid" 2>/dev/null || true; fi
        done
        for name in $(lab_host_names); do vm_kill "$name"; done
    fi
    netns_sweep
    rm -rf "$LAB_STATE"
    rm -f "$LAB_HOSTS_JSON"
    echo "lab: down in $(since "$t0")s"
}

cmd_status() {
    local name state link ssh all_ok=0 pid
    if ! lab_exists; then
        echo "lab: down"
        return 3
    fi
    echo "lab: namespace $LAB_NETNS $(netns_exists && echo present || echo MISSING), state $LAB_STATE, accel $(cat "$LAB_STATE/accel" 2>/dev/null || echo -)"
    printf '%-10s %-15s %-10s %-16s %-5s %-4s %s\n' HOST ADDRESS ROLE QEMU LINK SSH FORWARD
    for name in $(lab_host_names); do
        lab_host "$name"
        if pid=$(vm_pid "$name"); then state="running:$pid"; else state=stopped; all_ok=1; fi
        if tap_is_up "$host_tap"; then link=up; else link=down; all_ok=1; fi
        if [ "$state" != stopped ] && host_ssh "$name" -o ConnectTimeout=3 true 2>/dev/null; then ssh=ok; else ssh=no; all_ok=1; fi
        printf '%-10s %-15s %-10s %-16s %-5s %-4s %s\n' "$name" "$host_addr" "$host_role" "$state" "$link" "$ssh" \
            "127.0.0.1:$(forward_port "$name")$(forward_pid "$name" >/dev/null || echo ' (not running)')"
    done
    echo "client: $LAB_CLIENT_ADDR on $LAB_BRIDGE in $LAB_NETNS"
    return $all_ok
}

# Fault hooks ----------------------------------------------------------------------------

need_host() { [ $# -ge 1 ] || { echo "lab: which host? ($(lab_host_names | tr '\n' ' '))" >&2; exit 2; }; lab_host "$1"; }

wait_pid_exit() {
    local pid=$1 timeout=$2 i
    for i in $(seq $((timeout * 10))); do
        pid_gone "$pid" && return 0
        sleep 0.1
    done
    return 1
}

cmd_stop() {
    local pid
    need_host "$@"
    lab_lock
    pid=$(vm_pid "$1") || { echo "lab: $1 already stopped"; return 0; }
    # A clean shutdown, as an operator would do; qemu exits when the guest powers off.
    host_ssh "$1" 'systemctl poweroff' >/dev/null 2>&1 || true
    mux_close "$1"
    wait_pid_exit "$pid" 60 || { echo "lab: $1 did not power off in 60s; killing it" >&2; vm_kill "$1"; }
    rm -f "$(vm_dir "$1")/qemu.pid"
    echo "lab: $1 stopped"
}

cmd_kill() {
    need_host "$@"
    lab_lock
    vm_kill "$1"
    echo "lab: $1 killed"
}

cmd_start() {
    local image accel secs
    need_host "$@"
    lab_lock
    [ -d "$LAB_STATE/vms/$1" ] && netns_exists || { echo "lab: the lab is not up; run lab/lab.sh up" >&2; return 1; }
    if vm_running "$1"; then echo "lab: $1 already running"; return 0; fi
    image=$(bash "$here/image/build.sh")
    accel=$(accel_choose "$image")
    echo "$accel" > "$LAB_STATE/accel"
    host_taps_ensure
    vm_start "$1" "$image" "$accel"
    # The wait for SSH needs no lock: other hosts may start and stop meanwhile.
    flock -u 8
    secs=$(vm_wait_ssh "$1" "$LAB_BOOT_TIMEOUT_S")
    echo "lab: $1: SSH after ${secs}s"
}

cmd_restart() { cmd_stop "$@"; cmd_start "$@"; }

cmd_reboot() {
    local before after t0 i
    need_host "$@"
    t0=$(now)
    before=$(host_ssh "$1" cat /proc/sys/kernel/random/boot_id)
    host_ssh "$1" 'systemctl reboot' >/dev/null 2>&1 || true
    mux_close "$1"
    for _ in $(seq "$LAB_BOOT_TIMEOUT_S"); do
        after=$(host_ssh "$1" -o ConnectTimeout=2 cat /proc/sys/kernel/random/boot_id 2>/dev/null || true)
        if [ -n "$after" ] && [ "$after" != "$before" ]; then
            echo "lab: $1 rebooted; SSH after $(since "$t0")s"
            return 0
        fi
        sleep 1
    done
    echo "lab: $1 did not come back within ${LAB_BOOT_TIMEOUT_S}s" >&2
    return 1
}

need_port() { [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1024 ] && [ "$1" -le 65535 ] || { echo "lab: which loopback port (1024-65535)?" >&2; exit 2; }; }
cmd_forward() { need_host "$@"; need_port "${2:-}"; lab_lock; forward_ensure "$1" "$2"; echo "lab: $1 also on 127.0.0.1:$2"; }
cmd_unforward() { need_host "$@"; lab_lock; forward_stop "$1" "${2:-}"; echo "lab: forward 127.0.0.1:${2:-$(forward_port "$1")} to $1 stopped"; }

cmd_cut() { need_host "$@"; link_cut "$host_tap"; mux_close "$1"; echo "lab: $1 link cut"; }
cmd_restore() { need_host "$@"; link_restore "$host_tap"; echo "lab: $1 link restored"; }

cmd_ssh() {
    need_host "$@"
    shift
    [ "${1:-}" != "--" ] || shift
    host_ssh "$host_name" "$@"
}

cmd_client() {
    [ "${1:-}" != "--" ] || shift
    [ $# -gt 0 ] || set -- bash
    in_netns "$@"
}

usage() {
    cat <<USAGE
usage: lab/lab.sh <command> [args]
  up | down | status | image       bring the lab up (idempotent) / remove it all / show it / build the image
  stop|kill|start|restart|reboot HOST   clean poweroff / SIGKILL qemu / boot / stop+start / guest reboot
  cut|restore HOST                 take the host's switch port (tap) down / up again
  forward HOST PORT                another loopback forward to the host's sshd (its "SSH port" changes)
  unforward HOST [PORT]            stop a forward (default: the host's standard one)
  ssh HOST [--] [command...]       run a command on a host (lab key, pinned host key)
  client [--] [command...]         run a command as the client, inside namespace $LAB_NETNS
hosts: $(lab_host_names | tr '\n' ' ')
USAGE
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
    up|down|status|image|stop|kill|start|restart|reboot|cut|restore|forward|unforward|ssh|client) "cmd_$command" "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
esac
