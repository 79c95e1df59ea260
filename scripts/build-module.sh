#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh SERIES: build pagemap.ko for that kernel (see
# fetch-kernel.sh) with W=1 in $BUILD/ABI/module. Any compiler or modpost
# warning fails the build; the log is $LOGS/ABI-build.log. A kernel of
# another suite is built in that suite's chroot (CHROOT, from chroot.sh),
# with its compiler: in a mount namespace of its own, /proc is mounted there
# (objtool reads it), and $BUILD (the output), $CACHE (the headers), and
# KDIR with its sources (a debug kernel's tree, kept elsewhere) are
# bind-mounted at the same paths.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

series=${1:?usage: build-module.sh SERIES}
# shellcheck disable=SC1090
. "$CACHE/kernel-$series.env"
out=$BUILD/$ABI/module
log=$LOGS/$ABI-build.log
ver=$("$TOP/scripts/version.sh")

rm -rf "$out"
mkdir -p "$out" "$LOGS"
cp "$MODULE_SRC/Kbuild" "$MODULE_SRC"/*.[ch] "$out/"
set -- make -C "$KDIR" M="$out" W=1 PMAP_VERSION="$ver" modules
if [ -n "${CHROOT:-}" ]; then
	# a tree built with O= has its sources elsewhere: KDIR/source
	src=$(readlink -f "$KDIR/source" || echo "$KDIR")
	mkdir -p "$CHROOT$BUILD" "$CHROOT$CACHE" "$CHROOT$KDIR" "$CHROOT$src"
	# shellcheck disable=SC2016
	set -- unshare --mount --propagation private sh -euc '
		mount -t proc proc "$0/proc"
		for d in "$1" "$2" "$3" "$4"; do
			mount --bind "$d" "$0$d"
		done
		shift 4
		exec chroot "$0" "$@"' "$CHROOT" "$BUILD" "$CACHE" "$KDIR" "$src" "$@"
fi
if ! "$@" >"$log" 2>&1; then
	cat "$log"
	echo "build $ABI: make failed, log in $log"
	exit 1
fi
if grep -Ei 'warning:' "$log"; then
	echo "build $ABI: warnings with W=1, log in $log"
	exit 1
fi
echo "build $ABI: $out/pagemap.ko"
