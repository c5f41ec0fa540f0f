#!/usr/bin/env bash
# The lab's idle cost: how much host CPU each guest's qemu burns while nothing drives the lab,
# and which processes inside each guest spent CPU meanwhile. Run on an idle lab (`npm run
# lab:up`, then nothing else running); prints one line per guest, the total, the top guest
# processes, and what one SSH login with one command costs a guest (what every step of a
# stack pays).   bash bench/guest-idle.sh [SECONDS]   (default 60)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lab/config.sh
. "$here/../lab/config.sh"
# shellcheck source=../lab/lib/vm.sh
. "$here/../lab/lib/vm.sh"
window=${1:-60}
tck=$(getconf CLK_TCK)

qemu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Every guest process's CPU ticks, as "pid comm ticks", read inside the guest in one command.
guest_ticks() {
    bash "$here/../lab/lab.sh" ssh "$1" -- 'for s in /proc/[0-9]*/stat; do read -r l < "$s" 2>/dev/null || continue; p=${l%% *}; c=${l#*(}; c=${c%%)*}; set -- ${l##*) }; echo "$p $c $(( ${12} + ${13} ))"; done' 2>/dev/null || true
}

declare -A pid before inside
for name in $(lab_host_names); do
    pid[$name]=$(vm_pid "$name") || { echo "guest-idle: $name is not running (npm run lab:up)" >&2; exit 1; }
    inside[$name]=$(guest_ticks "$name")
done
# The SSH logins above cost the guests CPU: let that settle before the window opens.
sleep 5
for name in "${!pid[@]}"; do before[$name]=$(qemu_ticks "${pid[$name]}"); done
sleep "$window"
total=0
echo "guest idle CPU over ${window} s (host CPU of each qemu; 100% = one core)"
for name in $(lab_host_names); do
    spent=$(( $(qemu_ticks "${pid[$name]}") - before[$name] ))
    total=$(( total + spent ))
    awk -v n="$name" -v t="$spent" -v hz="$tck" -v w="$window" 'BEGIN { printf "  %-10s %5.1f%%  (%.2f CPU-s)\n", n, 100 * t / hz / w, t / hz }'
done
awk -v t="$total" -v hz="$tck" -v w="$window" 'BEGIN { printf "  %-10s %5.1f%%  (%.2f CPU-s)\n", "all five", 100 * t / hz / w, t / hz }'
echo "guest processes that spent CPU in the window (ticks of 1/${tck} s, the busiest first; includes the reading ssh sessions)"
for name in $(lab_host_names); do
    after=$(guest_ticks "$name")
    echo "  $name: $(join -j1 <(echo "${inside[$name]}" | awk '{ print $1"/"$2, $3 }' | sort) <(echo "$after" | awk '{ print $1"/"$2, $3 }' | sort) \
        | awk '$3 > $2 { print $3 - $2, $1 }' | sort -rn | head -6 | awk '{ printf "%s=%s ", $2, $1 }')"
done

# What a command costs the guest: over a login of its own (-S none: no shared connection, as
# every command was before the lab's ssh config shared one), and over the shared connection.
logins=10
login_host=rs2
per_command() {
    local label=$1 start t0 spent
    shift
    start=$(qemu_ticks "${pid[$login_host]}")
    t0=$(date +%s%N)
    for _ in $(seq "$logins"); do bash "$here/../lab/lab.sh" ssh "$login_host" "$@" true; done
    spent=$(( $(qemu_ticks "${pid[$login_host]}") - start ))
    awk -v t="$spent" -v hz="$tck" -v n="$logins" -v h="$login_host" -v l="$label" -v ms=$(( ($(date +%s%N) - t0) / 1000000 )) \
        'BEGIN { printf "%s on %s: %.2f CPU-s of its qemu and %.2f s each (%d, one after another)\n", l, h, t / hz / n, ms / 1000 / n, n }'
}
per_command "SSH login + one command" -S none
bash "$here/../lab/lab.sh" ssh "$login_host" true # opens the shared connection
per_command "one command over the shared connection"
