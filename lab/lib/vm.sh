# One qemu VM per lab host, run inside the lab's namespace so its tap is the only NIC it can
# reach. Every VM's disk is a qcow2 overlay over the one cached base image.
# shellcheck shell=bash

vm_dir() { echo "$LAB_STATE/vms/$1"; }

# The VM's qemu pid, only if the pidfile names a live qemu of this lab and host: a pid from a
# pidfile may have been reused by an unrelated process after a crash.
vm_pid() {
    local pid
    pid=$(cat "$(vm_dir "$1")/qemu.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "guest=lvslab-$1," || return 1
    echo "$pid"
}

vm_running() { vm_pid "$1" >/dev/null; }

# A VM left running in a namespace that was deleted (half-down lab) has lost its network.
vm_in_lab_netns() {
    local pid
    pid=$(vm_pid "$1") || return 1
    [ "$(ip netns identify "$pid" 2>/dev/null)" = "$LAB_NETNS" ]
}

# Kills by pid, waits until it is gone, so a following start never finds the disk locked.
pid_gone() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
    [ "$state" = Z ]   # a zombie holds no resources; its reaper is not ours to wait for
}

kill_pid_and_wait() {
    local pid=$1 i
    kill -KILL "$pid" 2>/dev/null || return 0
    for i in $(seq 100); do
        pid_gone "$pid" && return 0
        sleep 0.1
    done
    echo "lab: pid $pid did not exit after SIGKILL" >&2
    return 1
}

vm_kill() {
    local pid
    mux_close "$1"
    if pid=$(vm_pid "$1"); then kill_pid_and_wait "$pid"; fi
    rm -f "$(vm_dir "$1")/qemu.pid"
}

# Overlay over the base image; kept across stop/start (like a real disk), recreated when its
# base image is gone (the image cache was rebuilt) or it is damaged (a crash mid-write).
overlay_ensure() {
    local disk image=$2
    disk="$(vm_dir "$1")/disk.qcow2"
    if [ -f "$disk" ] && qemu-img check -q "$disk" >/dev/null 2>&1 \
        && qemu-img info --output=json "$disk" | grep -q "\"backing-filename\": \"$image/rootfs.raw\""; then
        return 0
    fi
    rm -f "$disk"
    qemu-img create -q -f qcow2 -F raw -b "$image/rootfs.raw" "$disk"
}

# The uncompressed kernel (PVH entry) when the image has one: see image/customize.sh.
vm_kernel() { if [ -f "$1/vmlinux" ]; then echo "$1/vmlinux"; else echo "$1/vmlinuz"; fi; }

# Chooses KVM when a probe guest really boots under it within seconds, else TCG. /dev/kvm can
# exist while guests fail to start (nested virtualisation), so only a real boot is evidence.
accel_choose() {
    local image=$1 file log accel=tcg
    if [ -n "${LAB_ACCEL:-}" ]; then echo "$LAB_ACCEL"; return; fi
    # Cached per host kernel and image: a failing probe costs its whole timeout.
    file="$LAB_CACHE/accel-$(uname -r)-$(basename "$image")"
    if [ -s "$file" ]; then cat "$file"; return; fi
    log=$(mktemp)
    if [ -w /dev/kvm ]; then
        timeout 8 qemu-system-x86_64 -accel kvm -cpu host -machine pc -m 128 -nodefaults \
            -no-user-config -display none -no-reboot -serial "file:$log" \
            -kernel "$(vm_kernel "$image")" -initrd "$image/initrd.img" \
            -append "console=ttyS0 quiet lab.probe" >/dev/null 2>&1 8>&- || true
        grep -q LAB-PROBE-OK "$log" && accel=kvm
    fi
    rm -f "$log"
    echo "$accel" > "$file"
    echo "$accel"
}

vm_start() {
    local name=$1 image=$2 accel=$3 dir cpu
    lab_host "$name"
    dir=$(vm_dir "$name")
    overlay_ensure "$name" "$image"
    case "$accel" in
        kvm) cpu=host ;;
        *) cpu=max ;;
    esac
    mux_close "$name"
    echo "=== lab: boot $(date -Is) accel=$accel" >> "$dir/console.log"
    date +%s.%N > "$dir/started"
    rm -f "$dir/qemu.pid"
    local nic2=() append2=""
    if [ -n "$host_tap2" ]; then
        nic2=(-netdev "tap,id=net1,ifname=$host_tap2,script=no,downscript=no" -device "virtio-net-pci,netdev=net1,mac=$host_mac2")
        append2=" lvs.addr2=$host_private/$LAB_PRIVATE_PREFIX_LEN"
    fi
    [ -z "$host_public" ] || append2="$append2 lvs.pub=$host_public/$LAB_PUBLIC_PREFIX_LEN"
    in_netns qemu-system-x86_64 \
        -name "guest=lvslab-$name,process=lvslab-$name" \
        -machine "${LAB_MACHINE:-pc}" -accel "$accel" -cpu "${LAB_CPU:-$cpu}" -smp 1 -m "$LAB_VM_MEMORY_MB" \
        -nodefaults -no-user-config -display none \
        -kernel "$(vm_kernel "$image")" -initrd "$image/initrd.img" \
        -append "console=ttyS0 root=/dev/vda rw quiet lvs.addr=$host_addr/$LAB_PREFIX_LEN lvs.addr6=$host_addr6/$LAB_V6_PREFIX_LEN lvs.hostname=$name lvs.role=$host_role$append2 $LAB_KERNEL_ARGS ${LAB_EXTRA_APPEND:-}" \
        -drive "file=$dir/disk.qcow2,if=virtio,format=qcow2" \
        -netdev "tap,id=net0,ifname=$host_tap,script=no,downscript=no" \
        -device "virtio-net-pci,netdev=net0,mac=$host_mac" \
        "${nic2[@]}" \
        -fw_cfg "name=opt/lab/ssh_host_ed25519_key,file=$(host_key_file "$name")" \
        -fw_cfg "name=opt/lab/authorized_keys,file=$(lab_client_key).pub" \
        -chardev "file,id=console,path=$dir/console.log,append=on" -serial chardev:console \
        -monitor "unix:$dir/monitor.sock,server=on,wait=off" \
        -pidfile "$dir/qemu.pid" -daemonize 8>&-
}

# Ends the host's shared SSH connection (ControlMaster in the lab's ssh config). Every hook that
# takes a host away calls it first: commands sent through a connection to a host that is gone
# hang until ServerAlive gives up (15 s) instead of failing at ConnectTimeout, and a master left
# in a deleted namespace would outlive the lab.
mux_close() {
    [ -S "$(lab_ssh_dir)/mux-$1" ] || return 0
    ssh -F "$(lab_ssh_config)" -O exit "$1" >/dev/null 2>&1 || true
}

# Runs a command on a lab host over SSH with the lab key and pinned host keys.
host_ssh() {
    local name=$1
    shift
    in_netns ssh -F "$(lab_ssh_config)" "$name" "$@"
}

# Waits until sshd on the host accepts the lab key; prints the seconds since the VM started.
vm_wait_ssh() {
    local name=$1 timeout=$2 started now deadline
    started=$(cat "$(vm_dir "$name")/started")
    lab_host "$name"
    # A VM booted long ago still gets a minute to answer (a busy machine slows handshakes).
    deadline=$(( ${started%.*} + timeout ))
    now=$(date +%s)
    [ "$deadline" -ge $((now + 60)) ] || deadline=$((now + 60))
    while :; do
        # A bare TCP probe first: far cheaper than an SSH handshake while the guest boots.
        if in_netns timeout 2 bash -c "exec 3<>/dev/tcp/$host_addr/22" 2>/dev/null \
            && host_ssh "$name" true 2>/dev/null; then
            now=$(date +%s.%N)
            awk -v a="$started" -v b="$now" 'BEGIN { printf "%.1f\n", b - a }'
            return 0
        fi
        vm_running "$name" || { echo "lab: $name: qemu exited during boot (see $(vm_dir "$name")/console.log)" >&2; return 1; }
        if [ "$(date +%s)" -gt "$deadline" ]; then
            echo "lab: $name: no SSH after ${timeout}s (see $(vm_dir "$name")/console.log)" >&2
            return 1
        fi
        sleep 1
    done
}
