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
binds="$BUILD $CACHE"
case $KDIR in
"$CACHE"/*) ;;
*)	# a debug kernel's tree (built with O=, its sources in KDIR/source)
	binds="$binds $KDIR $(readlink -f "$KDIR/source")" ;;
esac
# shellcheck disable=SC2086 # a list of paths without spaces
nbinds=$(set -- $binds; echo $#)
set -- make -C "$KDIR" M="$out" W=1 PMAP_VERSION="$ver" modules
if [ -n "${CHROOT:-}" ]; then
	for d in $binds; do
		mkdir -p "$CHROOT$d"
	done
	# shellcheck disable=SC2016,SC2086
	set -- unshare --mount --propagation private sh -euc '
		root=$0 n=$1
		shift
		mount -t proc proc "$root/proc"
		while [ "$n" -gt 0 ]; do
			mount --bind "$1" "$root$1"
			shift
			n=$((n - 1))
		done
		exec chroot "$root" "$@"' "$CHROOT" "$nbinds" $binds "$@"
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
