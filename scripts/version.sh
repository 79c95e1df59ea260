#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# version.sh [--release]: the one version of the module, the tool, DKMS and
# the packages. The release number is the VERSION file; inside the project's
# own git tree (not a tarball or a DKMS copy) `git describe` of HEAD is
# appended, e.g. 1.0.0+g467d373-dirty. --release prints the number alone.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
rel=$(cat "$top/VERSION")
if [ "${1:-}" != --release ] &&
	[ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" = "$top" ]; then
	rel=$rel+g$(git -C "$top" describe --always --dirty --abbrev=7 --exclude='*')
fi
echo "$rel"
