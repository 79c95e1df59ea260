#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# test-install.sh: TAP over `make install`/`uninstall` and the tool's
# install-tool/uninstall-tool into temporary staging roots (DESTDIR and
# INSTALL_MOD_PATH), for the headers in KDIR (default: the newest
# /usr/src/linux-headers-*-amd64). The host's /lib/modules is not touched.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

KDIR=${KDIR:-$(find /usr/src -maxdepth 1 -name 'linux-headers-*-amd64' | sort -V | tail -n 1)}
n=0 rc=0
# t NAME CMD...: one TAP line, ok when CMD succeeds
t() {
	n=$((n + 1)) name=$1
	shift
	if "$@"; then echo "ok $n $name"; else echo "not ok $n $name"; rc=1; fi
}
# shellcheck disable=SC2317 # run and none are called through t
# run CMD...: CMD with its output in $tmp/log, shown when it fails
run() {
	"$@" >"$tmp/log" 2>&1 || { cat "$tmp/log"; return 1; }
}
# shellcheck disable=SC2317
none() { [ -z "$(find "$@")" ]; }
if [ ! -f "$KDIR/include/generated/utsrelease.h" ]; then
	echo "1..0 # SKIP no kernel headers in KDIR=$KDIR"
	exit 0
fi
rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$KDIR/include/generated/utsrelease.h")
ver=$("$TOP/scripts/version.sh")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
host_ko=/lib/modules/$rel/updates/pagemap.ko
host_before=$(ls -l "$host_ko" 2>/dev/null || true)

for var in DESTDIR INSTALL_MOD_PATH; do
	root=$tmp/$var
	mods=$root/lib/modules/$rel
	t "$var: make install for $rel" \
		run make -C "$TOP" KDIR="$KDIR" "$var=$root" install
	t "$var: updates/pagemap.ko installed" test -f "$mods/updates/pagemap.ko"
	t "$var: depmod listed it in modules.dep" \
		grep -q '^updates/pagemap.ko:' "$mods/modules.dep"
	t "$var: modinfo shows version $ver" \
		test "$(modinfo -F version "$mods/updates/pagemap.ko")" = "$ver"
	t "$var: make uninstall" \
		run make -C "$TOP" KDIR="$KDIR" "$var=$root" uninstall
	t "$var: no pagemap file left" none "$root" -name 'pagemap*'
	t "$var: modules.dep no longer lists it" \
		test -z "$(grep pagemap "$mods/modules.dep")"
done
t "the host's $host_ko is untouched" \
	test "$(ls -l "$host_ko" 2>/dev/null || true)" = "$host_before"

root=$tmp/tool
t "make install-tool PREFIX=/usr DESTDIR=..." \
	run make -C "$TOP" install-tool PREFIX=/usr DESTDIR="$root"
t "the tool is installed" test -x "$root/usr/bin/pagemap"
t "pagemap(1) is installed" test -f "$root/usr/share/man/man1/pagemap.1"
t "pagemap --version shows $ver" \
	test "$("$root/usr/bin/pagemap" --version)" = "pagemap $ver"
t "make uninstall-tool" \
	run make -C "$TOP" uninstall-tool PREFIX=/usr DESTDIR="$root"
t "no file of the tool left" none "$root" -type f
echo "1..$n"
exit $rc
