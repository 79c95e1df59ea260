#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Builds the check-debug lane's kernel from Debian's linux-source-6.12 with
# scripts/debug-kernel.config, once: the result is cached outside the
# repository, keyed on the config and the source version. Prints the cache
# folder, which holds bzImage and a tree to build modules against (KDIR).
# With --cached it builds nothing: exit 0 (and the folder) if it is built.
set -eu
. "$(dirname "$0")/defaults.sh"

DEBUG_CACHE=${DEBUG_CACHE:-/var/cache/pagemap-debug}
tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || { echo "debug-kernel: $tarball missing (apt-get install linux-source-6.12)" >&2; exit 1; }

key=$( (cat "$TOP/scripts/debug-kernel.config"; dpkg-query -W -f '${Version}' linux-source-6.12) |
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
{
	make -C "$src" O="$out" x86_64_defconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		"$TOP/scripts/debug-kernel.config"
	make -C "$src" O="$out" olddefconfig
	make -C "$src" O="$out" -j"$(nproc)" bzImage modules
	make -C "$src" O="$out" modules_prepare
} >"$log" 2>&1 || { tail -20 "$log" >&2; exit 1; }

# External modules resolve symbols from Module.symvers.
[ -f "$out/Module.symvers" ] || cp "$out/vmlinux.symvers" "$out/Module.symvers"
cp "$out/arch/x86/boot/bzImage" "$out/bzImage"
touch "$out/done"
echo "$out"
