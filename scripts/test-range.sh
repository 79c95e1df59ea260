#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# test-range.sh: TAP: a kernel outside the supported range fails `make` at
# once, with a message naming the range. The kernels are the headers in
# KDIR (default: the newest /usr/src/linux-headers-*-amd64) with their
# version set to just below and just above the range, in a copy made of
# links, so that nothing else of them changes; the headers as they are
# must still build.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

KDIR=${KDIR:-$(find /usr/src -maxdepth 1 -name 'linux-headers-*-amd64' | sort -V | tail -n 1)}
range=$(sed -n 's/^#error "pagemap supports Linux \(.*\)"$/\1/p' \
	"$TOP/pagemap_compat.h")
vh=include/generated/uapi/linux/version.h
if [ ! -f "$KDIR/$vh" ]; then
	echo "1..0 # SKIP no kernel headers in KDIR=$KDIR"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 rc=0

# build KDIR: make the module against KDIR in a copy of the tree; log in
# $tmp/log
build() {
	rm -rf "$tmp/src"
	mkdir "$tmp/src"
	(cd "$TOP" && git ls-files -z 2>/dev/null | xargs -0 cp --parents -t "$tmp/src") ||
		cp -r "$TOP"/Kbuild "$TOP"/Makefile "$TOP"/*.[ch] "$TOP"/include "$tmp/src"
	make -C "$tmp/src" KDIR="$1" >"$tmp/log" 2>&1
}

# result OK NAME: one TAP line
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; rc=1; fi
}

ok=0
build "$KDIR" || { ok=1; tail -n 20 "$tmp/log"; }
result $ok "the headers of $(basename "$KDIR") build"
for v in "5 9" "7 4"; do
	# shellcheck disable=SC2086 # two numbers
	set -- $v
	fake=$tmp/linux-headers-$1.$2
	cp -as "$KDIR/." "$fake"
	rm "$fake/$vh"
	sed "s/^#define LINUX_VERSION_CODE .*/#define LINUX_VERSION_CODE $(($1 * 65536 + $2 * 256))/" \
		"$KDIR/$vh" >"$fake/$vh"
	ok=0
	if build "$fake"; then
		ok=1
		echo "# Linux $1.$2 built"
	elif ! grep -q "pagemap supports Linux $range" "$tmp/log"; then
		ok=1
		tail -n 20 "$tmp/log" | sed 's/^/# /'
	fi
	result $ok "Linux $1.$2 fails to build, naming the range ($range)"
done
echo "1..$n"
exit $rc
