#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.sh [FILE...]: kernel coding style of the C sources (default:
# *.c *.h at the top, include/, tools/pagemap/, selftests/, bench/) with
# checkpatch.pl --strict --no-tree, taken from linux-source-6.1 by
# extract-linux-source.sh. TAP output, one line per file; exits 1 on any
# complaint. Userspace files (tools/, selftests/, bench/) skip the checks
# that name kernel-only facilities: u64 types, BIT(), __printf() and
# friends, volatile (sig_atomic_t, forcing a fault: userspace has no
# READ_ONCE), and CamelCase, which flags C99's PRIx64 (USER_IGNORE= checks
# them all). The compat header may compare LINUX_VERSION_CODE and name the
# deprecated helpers of old kernels (kmap_atomic() before 5.11): that is
# what it is for.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

cp=$BUILD/linux-source/scripts/checkpatch.pl
LINUX_SOURCE_DIR=$BUILD/linux-source "$TOP/scripts/extract-linux-source.sh" >&2
cd "$TOP"
# shellcheck disable=SC2046 # tracked files only, never build outputs
[ $# -gt 0 ] || set -- $(git ls-files -- "*.c" "*.h")
USER_IGNORE=${USER_IGNORE-PREFER_KERNEL_TYPES,BIT_MACRO,PREFER_DEFINED_ATTRIBUTE_MACRO,CAMELCASE,VOLATILE}
n=0 rc=0
for f; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	case $f in
	tools/* | selftests/* | bench/*) ignore=$USER_IGNORE ;;
	*_compat.h)		ignore=LINUX_VERSION_CODE,CONSTANT_COMPARISON,DEPRECATED_API ;;
	*)			ignore= ;;
	esac
	# run from $BUILD: checkpatch leaves a CamelCase cache in its cwd
	if out=$(cd "$BUILD" && perl "$cp" --strict --no-tree --quiet \
		--show-types ${ignore:+--ignore "$ignore"} -f "$TOP/${f#./}" 2>&1); then
		echo "ok $n checkpatch ${f#./}"
	else
		echo "$out" | sed "s|$TOP/||; s|^|# |"
		echo "not ok $n checkpatch ${f#./}"
		rc=1
	fi
done
echo "1..$n"
exit $rc
