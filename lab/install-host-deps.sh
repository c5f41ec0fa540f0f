#!/usr/bin/env bash
# Installs what the lab needs on the host machine (Debian). Idempotent: installs only the
# packages that are missing, and refreshes apt's lists only when a package can't be found.
set -euo pipefail

packages=(
    qemu-system-x86   # the VMs (TCG; KVM when the host allows it)
    qemu-utils        # qemu-img: qcow2 base image and overlays
    mmdebstrap        # builds the guest root tree from the machine's own apt sources
    gpg               # mmdebstrap checks the apt keyrings it is given
    e2fsprogs         # mke2fs -d: ext4 image straight from a directory, no loop mount
    cpio              # packs the tiny initramfs the VMs boot with
    xz-utils          # unpacks the kernel for direct (PVH) boot: no decompression under TCG
    iproute2          # ip netns / bridge / tap
    openssh-client    # ssh, ssh-keygen, ssh-keyscan
    curl              # the client's HTTP requests to the VIP
    socat             # loopback forwards from the host into the lab namespace
    util-linux        # nsenter, setsid
    procps            # ps, for checking that lab:down leaves nothing behind
    keepalived        # `keepalived -t` on this machine: every config the schema accepts must pass it
    nftables          # `nft -c` and loads in a private namespace: every marks ruleset must pass the real nft
    ca-certificates
)

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-host-deps: all present"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y --no-install-recommends "${missing[@]}"; }
# An old or empty package list makes install fail; refresh it only then.
if ! apt_install; then
    apt-get update
    apt_install
fi
echo "install-host-deps: installed ${missing[*]}"
