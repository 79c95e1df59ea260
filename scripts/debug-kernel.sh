#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [--cached] [SERIES]: builds a debug lane's kernel from
# Debian's linux-source-SERIES (DEBUG_SERIES, default 6.12) with
# scripts/debug-kernel.config, once: allnoconfig plus that file and nothing
# else. 6.12 builds on the host; 7.3 (trixie-backports) builds in the trixie
# chroot (chroot.sh) with its gcc-14 (as CC and HOSTCC), in a mount
# namespace of its own with /proc mounted there (objtool reads it) and the
# cache bind-mounted at the same path. The result is cached in DEBUG_CACHE, keyed on the config, the
# series and the source package's version. Prints the cache folder, which
# holds bzImage and a tree to build modules against (KDIR). With --cached
# it builds nothing: exit 0 (and the folder) if it is built.
set -eu
. "$(dirname "$0")/defaults.sh"

cached=
[ "${1:-}" != --cached ] || { cached=1; shift; }
series=${1:-${DEBUG_SERIES:-6.12}}
DEBUG_CACHE=${DEBUG_CACHE:-/var/cache/pagemap/debug}
config=$TOP/scripts/debug-kernel.config
case $series in
6.12)	chroot='' cc=gcc gone='' ;;
# 7.3 has no choice left for these: x86 preempts lazily (PREEMPT_LAZY),
# paging is always 5-level capable, and /proc/sys comes with SYSCTL.
7.3)	chroot=$("$TOP/scripts/chroot.sh" trixie) cc=gcc-14
	gone="CONFIG_PREEMPT_VOLUNTARY=y CONFIG_PROC_SYSCTL=y CONFIG_X86_5LEVEL=y" ;;
*)	echo "debug-kernel: no debug kernel for series $series" >&2; exit 1 ;;
esac
pkg=linux-source-$series
tarball=/usr/src/$pkg.tar.xz

# inside: run a command where the kernel builds (the chroot, if any)
inside() {
	if [ -z "$chroot" ]; then
		"$@"
		return
	fi
	mkdir -p "$DEBUG_CACHE" "$chroot$DEBUG_CACHE"
	# shellcheck disable=SC2016
	unshare --mount --propagation private sh -euc '
		mount -t proc proc "$0/proc"
		mount --bind "$1" "$0$1"
		shift
		exec chroot "$0" "$@"' "$chroot" "$DEBUG_CACHE" "$@"
}

# what building a kernel needs beyond chroot.sh's, in the chroot
need="$pkg flex bison libelf-dev libssl-dev xz-utils"
# shellcheck disable=SC2016,SC2086 # dpkg-query's own format; a list
if [ -n "$chroot" ] && [ -z "$cached" ] &&
	inside dpkg-query -W -f '${db:Status-Status}\n' $need 2>&1 |
	grep -qvx installed; then
	inside env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		-o DPkg::Lock::Timeout=900 \
		--no-install-recommends -t trixie-backports \
		$need >&2
fi
# shellcheck disable=SC2016 # dpkg-query's own format
version=$(inside dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null) || version=
[ -n "$version" ] || { echo "debug-kernel: $pkg is not installed" >&2; exit 1; }
key=$( (cat "$config"; echo "$series $version") | sha256sum | cut -c1-16)
out=$DEBUG_CACHE/$key
if [ -f "$out/done" ]; then
	echo "$out"
	exit 0
fi
[ -z "$cached" ] || exit 1

mkdir -p "$DEBUG_CACHE/src" "$out"
src=$DEBUG_CACHE/src/$pkg-$version
if [ ! -f "$src/Makefile" ]; then
	rm -rf "$src.tmp"
	mkdir -p "$src.tmp"
	inside tar -xJf "$tarball" -C "$src.tmp"
	mv "$src.tmp/$pkg" "$src"
	rmdir "$src.tmp"
fi

log=$out/build.log
echo "debug-kernel: building $series in $out (log: $log)" >&2
start=$(date +%s)
k() {
	inside make -C "$src" O="$out" ARCH=x86_64 CC="$cc" HOSTCC="$cc" \
		"$@" >>"$log" 2>&1
}
fail() { tail -20 "$log" >&2; exit 1; }
: >"$log"
# a copy in the cache, which the chroot sees at the same path
cp "$config" "$out/debug.config"
k allnoconfig KCONFIG_ALLCONFIG="$out/debug.config" || fail
# every line of the config must have stuck: an unmet dependency drops one
lost=$(grep '^CONFIG_' "$config" | grep -vxF -f "$out/.config" |
	while read -r line; do
		case " $gone " in *" $line "*) ;; *) echo "$line" ;; esac
	done) || true
[ -z "$lost" ] || {
	echo "debug-kernel: not set (unmet dependencies): $(echo "$lost" | tr "\n" " ")" >&2
	exit 1
}
k -j"$(nproc)" bzImage modules || fail
k modules_prepare || fail

# External modules resolve symbols from Module.symvers.
[ -f "$out/Module.symvers" ] || cp "$out/vmlinux.symvers" "$out/Module.symvers"
cp "$out/arch/x86/boot/bzImage" "$out/bzImage"
# modules built against the tree use its compiler too, as Debian's own
# headers say theirs (its top Makefile reads this file)
[ "$cc" = gcc ] ||
	printf 'CC = %s\nHOSTCC = %s\n' "$cc" "$cc" >"$out/.kernelvariables"
echo "debug-kernel: built in $(($(date +%s) - start)) s" | tee -a "$log" >&2
touch "$out/done"
echo "$out"
