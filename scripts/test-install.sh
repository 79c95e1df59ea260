#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# test-install.sh: TAP over `make install`/`uninstall`, the tool's
# install-tool/uninstall-tool and `make dkms-source` into temporary staging
# roots (DESTDIR and INSTALL_MOD_PATH), for the headers in KDIR (default: the
# newest /usr/src/linux-headers-*-amd64), and a `dkms build` of that source
# in temporary DKMS trees. The host's /lib/modules and /var/lib/dkms are not
# touched.
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
	run make -C "$TOP" install-tool PREFIX=/usr DESTDIR="$root" \
	BIN="$tmp/pagemap" TESTOUT="$tmp/tool-build"
t "the tool is installed" test -x "$root/usr/bin/pagemap"
t "pagemap(1) is installed" test -f "$root/usr/share/man/man1/pagemap.1"
t "pagemap(5) is installed" test -f "$root/usr/share/man/man5/pagemap.5"
t "pagemap --version shows $ver" \
	test "$("$root/usr/bin/pagemap" --version)" = "pagemap $ver"
t "make uninstall-tool" \
	run make -C "$TOP" uninstall-tool PREFIX=/usr DESTDIR="$root"
t "pagemap(5) is removed" test ! -e "$root/usr/share/man/man5/pagemap.5"
t "no file of the tool left" none "$root" -type f
if command -v dpkg-parsechangelog >/dev/null; then
	t "debian/changelog repeats VERSION" test \
		"$(dpkg-parsechangelog -l "$TOP/debian/changelog" -SVersion)" = \
		"$("$TOP/scripts/version.sh" --release)"
fi
root=$tmp/dkms
t "make dkms-source" run make -C "$TOP" dkms-source DESTDIR="$root"
src=$root/usr/src/pagemap-$ver
t "dkms.conf carries version $ver" grep -qx "PACKAGE_VERSION=\"$ver\"" "$src/dkms.conf"
re=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' "$src/dkms.conf")
# shellcheck disable=SC2317
matches() { echo "$1" | grep -Eq "$re"; }
# shellcheck disable=SC2317
outside() { ! matches "$1"; }
for k in 5.10.0-30-amd64 5.19.17 6.1.0-57-amd64 6.12.48+deb13-rt-amd64 7.0.0 7.3.9-1-amd64; do
	t "BUILD_EXCLUSIVE_KERNEL takes $k" matches "$k"
done
for k in 4.19.0-27-amd64 5.4.0 5.9.16 7.4.0 8.0.0 10.1.0 15.10.0; do
	t "BUILD_EXCLUSIVE_KERNEL leaves out $k" outside "$k"
done
# sign_file pointing nowhere: dkms neither signs nor makes its MOK key
# shellcheck disable=SC2317
dkms_build() {
	sign_file=/nonexistent dkms build "pagemap/$ver" -k "$1" \
		--sourcetree "$root/usr/src" --dkmstree "$tmp/dkmstree" \
		--installtree "$tmp/installtree" >"$tmp/log" 2>&1
}
# shellcheck disable=SC2317
dkms_skips() {
	dkms_build 5.4.0-1-amd64 && return 1
	[ $? = 77 ] || { cat "$tmp/log"; return 1; }
}
if ! command -v dkms >/dev/null || [ ! -d "/lib/modules/$rel/build" ]; then
	n=$((n + 1))
	echo "ok $n dkms build # SKIP no dkms or no /lib/modules/$rel/build"
else
	mkdir -p "$tmp/dkmstree" "$tmp/installtree"
	t "dkms build for $rel" run dkms_build "$rel"
	ko=$tmp/dkmstree/pagemap/$ver/$rel/$(uname -m)/module/pagemap.ko
	t "the DKMS-built module has version $ver" \
		test "$(modinfo -F version "$ko" 2>/dev/null)" = "$ver"
	t "dkms skips a kernel outside the range (exit 77)" dkms_skips
fi
echo "1..$n"
exit $rc
