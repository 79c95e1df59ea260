#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Builds the check-debug lane's kernel from Debian's linux-source-6.12 with
# scripts/debug-kernel.config, once: allnoconfig plus that file and nothing
# else, so that a cold build takes about 10 minutes on 2 cores. The result
# is cached outside the repository, keyed on the config and the source
# version. Prints the cache folder, which holds bzImage and a tree to build
# modules against (KDIR). With --cached it builds nothing: exit 0 (and the
# folder) if it is built.
set -eu
. "$(dirname "$0")/defaults.sh"

DEBUG_CACHE=${DEBUG_CACHE:-/var/cache/pagemap/debug}
config=$TOP/scripts/debug-kernel.config
tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || { echo "debug-kernel: $tarball missing (apt-get install linux-source-6.12)" >&2; exit 1; }

key=$( (cat "$config"; dpkg-query -W -f '${Version}' linux-source-6.12) |
	sha256sum | cut -c1-16)
out=$DEBUG_CACHE/$key
if [ -f "$out/done" ]; then
	echo "$out"
	exit 0
fi
# --cached: only tell whether it is built (exit 0 above) or not
[ "${1:-}" != --cached ] || exit 1

mkdir -p "$DEBUG_CACHE/src" "$out"
src=$DEBUG_CACHE/src/linux-source-6.12
[ -f "$src/Makefile" ] || tar -xJf "$tarball" -C "$DEBUG_CACHE/src"

log=$out/build.log
echo "debug-kernel: building in $out (log: $log)" >&2
start=$(date +%s)
k() { make -C "$src" O="$out" ARCH=x86_64 "$@" >>"$log" 2>&1; }
fail() { tail -20 "$log" >&2; exit 1; }
: >"$log"
k allnoconfig KCONFIG_ALLCONFIG="$config" || fail
# every line of the config must have stuck: an unmet dependency drops one
lost=$(grep '^CONFIG_' "$config" | grep -vxF -f "$out/.config") || true
[ -z "$lost" ] || {
	echo "debug-kernel: not set (unmet dependencies): $(echo "$lost" | tr "\n" " ")" >&2
	exit 1
}
k -j"$(nproc)" bzImage modules || fail
k modules_prepare || fail

# External modules resolve symbols from Module.symvers.
[ -f "$out/Module.symvers" ] || cp "$out/vmlinux.symvers" "$out/Module.symvers"
cp "$out/arch/x86/boot/bzImage" "$out/bzImage"
echo "debug-kernel: built in $(($(date +%s) - start)) s" | tee -a "$log" >&2
touch "$out/done"
echo "$out"
