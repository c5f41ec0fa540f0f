#!/usr/bin/env bash
# Builds the lab guest image, or reuses the cached one built from the same recipe.
# Prints the image directory (rootfs.raw, vmlinuz, initrd.img) on stdout; logs go to stderr.
# The cache key is the hash of every file in lab/image/, so editing the recipe rebuilds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../config.sh
. "$here/../config.sh"

recipe_hash() {
    (cd "$here" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}

# The machine's own apt sources: the repo names no mirror.
apt_sources() {
    if [ -n "${LAB_APT_SOURCES:-}" ]; then echo "$LAB_APT_SOURCES"
    elif [ -s /etc/apt/sources.list.d/debian.sources ]; then echo /etc/apt/sources.list.d/debian.sources
    else echo /etc/apt/sources.list
    fi
}

key=$(recipe_hash)
image=$LAB_CACHE/image-$key
if [ -f "$image/complete" ]; then
    echo "$image"
    exit 0
fi

mkdir -p "$LAB_CACHE"
exec 9> "$LAB_CACHE/build.lock"
flock 9
# Another build may have finished while we waited for the lock.
if [ -f "$image/complete" ]; then echo "$image"; exit 0; fi

started=$(date +%s)
work=$(mktemp -d "$LAB_CACHE/build-$key.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/pkg/DEBIAN" "$work/out"
cp "$here/no-initramfs/control" "$work/pkg/DEBIAN/control"
dpkg-deb --build "$work/pkg" "$work/lab-no-initramfs.deb" >/dev/null

suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
# The newer kernel from <suite>-backports, on the same mirror as the machine's own sources,
# when that mirror serves it; else the suite's own kernel (the README says what that lacks).
mirrors=("$(apt_sources)")
kernel_suite=$suite
debian_uri=$(awk '/^URIs:/ && !/security/ { print $2; exit } $1 == "deb" && !/security/ { print $2; exit }' "$(apt_sources)")
if [ -n "$debian_uri" ] && curl -sf --max-time 20 -o /dev/null "$debian_uri/dists/$suite-backports/Release"; then
    mirrors+=("deb $debian_uri $suite-backports main")
    kernel_suite=$suite-backports
else
    echo "lab image: $suite-backports is not served by the mirror; using $suite's kernel" >&2
fi
packages=$(grep -v '^\s*#' "$here/packages.txt" | sed "s|/backports\$|/$kernel_suite|; s|/$suite\$||" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
module_excludes=()
while read -r dir; do
    module_excludes+=("--dpkgopt=path-exclude=/lib/modules/*/kernel/$dir/*")
done < <(grep -v -e '^\s*#' -e '^\s*$' "$here/excluded-modules.txt")
echo "lab image: building $key ($suite) with mmdebstrap" >&2
mmdebstrap --variant=minbase --mode=root \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    "${module_excludes[@]}" \
    --include="$packages" \
    --include="$work/lab-no-initramfs.deb" \
    --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
    --hook-dir=/usr/share/mmdebstrap/hooks/eatmydata \
    --customize-hook="bash '$here/customize.sh' \"\$1\"" \
    "$suite" "$work/tree" "${mirrors[@]}" >&2

mv "$work/tree/boot/lab/"* "$work/out/"
rmdir "$work/tree/boot/lab"
echo "lab image: making ext4 from the tree" >&2
mke2fs -q -t ext4 -L labroot -d "$work/tree" "$work/out/rootfs.raw" 2G >&2
rm -rf "$work/tree"
echo "$key" > "$work/out/recipe-hash"
touch "$work/out/complete"
rm -rf "$image"
mv "$work/out" "$image"
# Older recipes' images are dead weight (~400 MB each); a running lab keeps its open files.
find "$LAB_CACHE" -maxdepth 1 \( -name 'image-*' -o -name 'accel-*' \) ! -name "*$key" -exec rm -rf {} +
echo "lab image: built $image in $(( $(date +%s) - started ))s" >&2
echo "$image"
