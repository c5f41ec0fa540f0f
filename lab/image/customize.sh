#!/usr/bin/env bash
# mmdebstrap customize hook: turns the fresh root tree ($1) into the lab guest image.
# Runs on the host; touches the tree with chroot only for tools that must see its own files.
set -euo pipefail
root=$1
here=$(cd "$(dirname "$0")" && pwd)

cp -a "$here/files/." "$root/"

# Each VM gets its own host key through fw_cfg at boot; none may be baked into the image.
rm -f "$root"/etc/ssh/ssh_host_*

# The product installs LVS configuration itself: keepalived is installed but not started at
# boot, and nothing loads ip_vs (the ipvsadm init script does only when AUTO=true).
chroot "$root" systemctl disable keepalived.service
chroot "$root" systemctl enable lab-boot.service lab-http@80.service lab-http@3306.service lab-http@8080.service lab-udp@53.service

# Units that cost boot time under TCG (every fork is slow there) and do nothing useful in a
# throwaway lab VM: timers, gettys, logind (no dbus), first-boot and utmp bookkeeping, module
# loads nothing here needs, and the remount (the initramfs mounts / rw,noatime already).
chroot "$root" systemctl mask \
    apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
    e2scrub_reap.service fstrim.timer systemd-tmpfiles-clean.timer \
    getty.target systemd-logind.service systemd-firstboot.service \
    ldconfig.service systemd-journal-catalog-update.service systemd-update-done.service \
    systemd-pstore.service modprobe@drm.service modprobe@fuse.service \
    modprobe@efi_pstore.service modprobe@configfs.service modprobe@dm_mod.service \
    modprobe@loop.service kmod-static-nodes.service systemd-remount-fs.service \
    systemd-update-utmp.service systemd-update-utmp-runlevel.service \
    systemd-random-seed.service systemd-sysusers.service \
    systemd-journal-flush.service systemd-machine-id-commit.service \
    sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount \
    dev-hugepages.mount dev-mqueue.mount sys-fs-fuse-connections.mount >/dev/null 2>&1

# Generators run at every boot before any unit; only the debug one (systemd.mask= on the
# kernel command line) is worth its fork. This also drops the sysv wrappers: Debian's
# ipvsadm init script (a no-op with its default AUTO=false) does not run at boot.
mkdir -p "$root/etc/systemd/system-generators"
for generator in "$root"/lib/systemd/system-generators/*; do
    case "${generator##*/}" in systemd-debug-generator) continue ;; esac
    ln -sf /dev/null "$root/etc/systemd/system-generators/${generator##*/}"
done

: > "$root/etc/hostname"
# The machine id is generated at first boot, so every VM's overlay gets its own.
: > "$root/etc/machine-id"

# Kernel and tiny initramfs live outside the disk image: qemu boots them with -kernel/-initrd.
kver=$(basename "$(ls -d "$root"/lib/modules/*)")
out="$root/boot/lab"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out" "$stage/bin" "$stage/modules"
cp "$root/bin/busybox" "$stage/bin/busybox"
cp "$here/initramfs/init" "$stage/init"
# Modules that reach the root disk, in dependency order; built-in ones print as "builtin".
# virtio_net and qemu_fw_cfg too: nothing loads drivers without udev, and insmod from the
# initramfs is cheaper than modprobe later.
for module in virtio_pci virtio_blk ext4 virtio_net qemu_fw_cfg; do
    chroot "$root" modprobe -S "$kver" --show-depends "$module"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r path; do
    cp "$root$path" "$stage/modules/"
    basename "$path" >> "$stage/modules/order"
done
touch "$stage/modules/order"
(cd "$stage" && find . | cpio -o -H newc --quiet) > "$out/initrd.img"
cp "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
# The uncompressed ELF kernel boots through its PVH entry: under TCG that skips seconds of
# emulated xz decompression per boot. vm.sh falls back to vmlinuz if this is missing.
offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$out/vmlinuz" | head -1 | cut -d: -f1 || true)
if [ -n "$offset" ]; then
    tail -c +$((offset + 1)) "$out/vmlinuz" | xz -dc > "$out/vmlinux" 2>/dev/null || true
    if ! head -c 4 "$out/vmlinux" | grep -q ELF; then rm -f "$out/vmlinux"; fi
fi
echo "$kver" > "$out/kernel-version"
