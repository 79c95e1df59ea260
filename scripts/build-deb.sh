#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# build-deb.sh: the Debian packages (pagemap-dkms, pagemap-tools) from a copy
# of the tree's files (those git tracks or would track: a fresh clone), built
# by `dpkg-buildpackage -us -uc -b` in $BUILD/deb, then lintian on the
# .changes. Prints the .changes path last; exits 1 if the build fails or
# lintian reports an error or a warning.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

ver=$("$TOP/scripts/version.sh" --release)
out=$BUILD/deb
src=$out/pagemap-$ver
rm -rf "$out"
mkdir -p "$src"
cd "$TOP"
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -co --exclude-standard
else
	find . -path ./build -prune -o -type f -print
fi | cpio -pdm --quiet "$src"
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log"; echo "build-deb: dpkg-buildpackage failed"; exit 1; }
changes=$out/pagemap_${ver}_$(dpkg --print-architecture).changes
rc=0
lintian --fail-on error,warning "$changes" >"$out/lintian.log" 2>&1 || rc=$?
grep -v 'running with root privileges' "$out/lintian.log" || true
[ "$rc" = 0 ] || { echo "build-deb: lintian reports errors or warnings"; exit 1; }
echo "$changes"
