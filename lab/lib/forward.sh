# Loopback forwards: 127.0.0.1:<22000+octet> in the host's own namespace reaches that host's
# sshd inside the lab namespace, so a process that does not run inside the namespace (a
# Pulumi engine and its plugins, say) can reach the hosts. Only loopback listens: nothing
# outside this machine can connect, and the VMs still reach nothing outside their namespace.
# A host may get extra forwards on other ports (`lab.sh forward HOST PORT`): to a Pulumi
# stack that is the host's SSH port changing, while sshd itself stays as it was.
# shellcheck shell=bash

# forward_pidfile NAME [PORT]: PORT defaults to the host's standard forward.
forward_pidfile() { echo "$LAB_STATE/forwards/$1@${2:-$(forward_port "$1")}.pid"; }

forward_pid() {
    local pid port=${2:-$(forward_port "$1")}
    pid=$(cat "$(forward_pidfile "$1" "$port")" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "TCP-LISTEN:$port," || return 1
    echo "$pid"
}

forward_ensure() {
    local name=$1 port
    port=${2:-$(forward_port "$name")}
    forward_pid "$name" "$port" >/dev/null && return 0
    lab_host "$name"
    mkdir -p "$LAB_STATE/forwards"
    # setsid: its own process group, so stopping it also ends its per-connection children.
    setsid socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" \
        "EXEC:ip netns exec $LAB_NETNS socat STDIO TCP\\:$host_addr\\:22" \
        </dev/null >/dev/null 2>>"$LAB_STATE/forwards/$name.log" 8>&- &
    echo $! > "$(forward_pidfile "$name" "$port")"
}

forward_stop() {
    local pid port=${2:-$(forward_port "$1")}
    if pid=$(forward_pid "$1" "$port"); then
        kill -TERM -- "-$pid" 2>/dev/null || true
        kill_pid_and_wait "$pid" || true
    fi
    rm -f "$(forward_pidfile "$1" "$port")"
}

# Every forward of every host, extra ones included.
forward_stop_all() {
    local f base
    for f in "$LAB_STATE"/forwards/*@*.pid; do
        [ -e "$f" ] || continue
        base=$(basename "$f" .pid)
        forward_stop "${base%@*}" "${base#*@}"
    done
}
