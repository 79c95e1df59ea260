#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# test-intree.sh: TAP: the module in a kernel tree, as Kconfig.snippet
# says. Debian's linux-source-6.1, unpacked once in the kernel cache, is
# seen through a tree of links in $BUILD/intree/src where only fs/proc
# differs: the module in fs/proc/pagemap, the snippet appended to
# fs/proc/Kconfig, `obj-$(CONFIG_PROC_PAGEMAP) += pagemap/` in
# fs/proc/Makefile. An x86_64 allnoconfig with modules and /proc, built in
# $BUILD/intree/out, then builds fs/proc/ with CONFIG_PROC_PAGEMAP=y (the
# module in fs/proc/built-in.a, no pagemap.ko), =m (pagemap.ko) and =n
# (neither). Without a vmlinux, modpost warns that every kernel symbol the
# module uses is undefined: the exports are checked against Debian's
# headers by the kernel lanes. A host lane of check.sh; warm, about a
# minute.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

tarball=/usr/src/linux-source-6.1.tar.xz
pristine=$CACHE/linux-source-6.1
src=$BUILD/intree/src
out=$BUILD/intree/out
log=$BUILD/intree/log
n=0 rc=0

if [ ! -f "$pristine/Makefile" ]; then
	[ -r "$tarball" ] || {
		echo "1..0 # SKIP $tarball missing (apt-get install linux-source-6.1)"
		exit 0
	}
	# unpacked aside, then moved in place: a run beside this one either
	# finds the whole tree or unpacks its own
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/.unpack.XXXXXX")
	tar -xJf "$tarball" -C "$tmp"
	mv -T "$tmp/linux-source-6.1" "$pristine" 2>/dev/null || true
	rm -rf "$tmp"
fi

# links FROM TO: link every entry of FROM into TO but those TO has of its
# own (the folders on the way to fs/proc/pagemap, the files put there)
links() {
	for e in "$1"/* "$1"/.[!.]*; do
		t=$2/${e##*/}
		if [ -e "$e" ] && { [ -L "$t" ] || [ ! -e "$t" ]; }; then
			ln -sfn "$e" "$t"
		fi
	done
}

# put FILE: FILE gets stdin, its time kept if nothing changed
put() {
	cat >"$1.new"
	if cmp -s "$1.new" "$1"; then rm "$1.new"; else mv "$1.new" "$1"; fi
}

mkdir -p "$src/fs/proc/pagemap"
links "$pristine" "$src"
links "$pristine/fs" "$src/fs"
links "$pristine/fs/proc" "$src/fs/proc"
cat "$pristine/fs/proc/Kconfig" "$TOP/Kconfig.snippet" | put "$src/fs/proc/Kconfig"
{
	cat "$pristine/fs/proc/Makefile"
	# shellcheck disable=SC2016 # a make variable
	echo 'obj-$(CONFIG_PROC_PAGEMAP) += pagemap/'
} | put "$src/fs/proc/Makefile"
for f in "$MODULE_SRC"/Kbuild "$MODULE_SRC"/pagemap_*.[ch]; do
	put "$src/fs/proc/pagemap/${f##*/}" <"$f"
done

mkdir -p "$out"
: >"$log"
# k ARGS...: make in the tree, output in $out, log in $log
k() {
	nice -n 5 make -C "$src" O="$out" ARCH=x86_64 -j"$(nproc)" "$@" >>"$log" 2>&1
}

# config Y|M|N: the allnoconfig with CONFIG_PROC_PAGEMAP set so, and no
# output of the module left from a previous build
config() {
	rm -rf "$out/fs/proc/pagemap"
	printf '%s\n' CONFIG_64BIT=y CONFIG_MODULES=y CONFIG_PROC_FS=y \
		"CONFIG_PROC_PAGEMAP=$1" | sed 's/=n$/ is not set/; s/^CONFIG_.* is/# &/' |
		put "$out/allno.config"
	k allnoconfig KCONFIG_ALLCONFIG="$out/allno.config" &&
		grep -qx "$(sed -n '$p' "$out/allno.config")" "$out/.config"
}

# result OK NAME: one TAP line
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2 (log: $log)"
		tail -n 20 "$log" | sed 's/^/# /'
		rc=1
	fi
}

# in_builtin: whether fs/proc/built-in.a holds the module's objects
in_builtin() {
	ar t "$out/fs/proc/built-in.a" | grep -q 'pagemap/pagemap_main.o'
}

ko=$out/fs/proc/pagemap/pagemap.ko
ok=1
if config y && k fs/proc/; then
	[ ! -f "$ko" ] && in_builtin && ok=0
fi
result $ok "CONFIG_PROC_PAGEMAP=y builds the module into fs/proc/built-in.a"

ok=1
if config m && k fs/proc/ fs/proc/pagemap/pagemap.ko; then
	[ -f "$ko" ] && ! in_builtin && ok=0
fi
result $ok "CONFIG_PROC_PAGEMAP=m builds fs/proc/pagemap/pagemap.ko"

ok=1
if config n && k fs/proc/; then
	[ ! -f "$ko" ] && ! in_builtin && ok=0
fi
result $ok "CONFIG_PROC_PAGEMAP=n builds neither"
echo "1..$n"
exit $rc
