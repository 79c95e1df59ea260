#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Extract the few kernel source files the build needs (the kselftest
# harness for the selftests, checkpatch for the style lane) from Debian's
# linux-source-6.1 package into build/linux-source/. Re-runs skip.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tarball=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
dest=${LINUX_SOURCE_DIR:-$top/build/linux-source}
files="tools/testing/selftests/kselftest_harness.h
tools/testing/selftests/kselftest.h
scripts/checkpatch.pl
scripts/spelling.txt
scripts/const_structs.checkpatch"

missing=
for f in $files; do
	[ -e "$dest/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && exit 0

if [ ! -r "$tarball" ]; then
	echo "$tarball missing: install it with apt-get install linux-source-6.1" >&2
	exit 1
fi

top_dir=$(basename "$tarball" .tar.xz)
members=
for f in $missing; do
	members="$members $top_dir/$f"
done

mkdir -p "$dest"
echo "extracting$missing from $tarball"
# shellcheck disable=SC2086 # members is a list of paths without spaces
tar -xJf "$tarball" -C "$dest" --strip-components=1 $members
