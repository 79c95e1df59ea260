#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [SERIES...]: the host side of `make bench`. For each kernel
# series (default: $KERNELS), build the module and the static benchmark,
# pack the test initramfs with the benchmark as its only /tests job, boot
# it (job check, which runs /tests/list) and keep the console in
# build/logs/bench-ABI.log and the result lines in build/logs/bench-ABI.txt.
# Everything else goes to build/bench/, apart from the test runs' files.
# Packages and kernels come from deps.sh, as for make check.
# Environment: BENCH_ARGS (pagemap_bench options, e.g. "-q" or "-r 3"),
# BENCH_TAG (a suffix for the log names), MODULE_SRC (module sources to
# measure, e.g. a prototype copy), VM_MEM (default 3G), and scripts/defaults.sh.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out_logs=${LOGS:-$top/build/logs}
BUILD=${BENCH_BUILD:-$top/build/bench}
CACHE=${CACHE:-$top/build/cache}
LOGS=$BUILD/logs
VM_MEM=${VM_MEM:-3G}
TEST_TIMEOUT=${TEST_TIMEOUT:-3000}
VM_TIMEOUT=${VM_TIMEOUT:-3600}
VM_QUIET=${VM_QUIET:-1}
export BUILD CACHE LOGS VM_MEM TEST_TIMEOUT VM_TIMEOUT VM_QUIET
# shellcheck source=defaults.sh
. "$top/scripts/defaults.sh"
args=$(echo "${BENCH_ARGS:-}" | tr ' ' ',')
VM_APPEND="$VM_APPEND${args:+ pmap.bench=$args}"
tag=${BENCH_TAG:+-$BENCH_TAG}

# shellcheck disable=SC2086 # KERNELS is a list
[ $# -gt 0 ] || set -- $KERNELS
# packages and kernels, as make check installs them
HOST_LANES=0 KERNELS="$*" "$top/scripts/deps.sh"
mkdir -p "$out_logs"
make -s -C "$top/bench" OUTPUT="$BUILD"
status=0
for series; do
	# shellcheck disable=SC1090
	. "$CACHE/kernel-$series.env"
	"$top/scripts/build-module.sh" "$series"
	"$top/scripts/mkinitramfs.sh" "$series"
	# a second archive on top: the benchmark is the only job in /tests
	ovl=$BUILD/$ABI/overlay
	rm -rf "$ovl"
	mkdir -p "$ovl/tests"
	cp "$BUILD/pagemap_bench" "$BUILD/guest-bench.sh" "$ovl/tests/"
	echo guest-bench.sh >"$ovl/tests/list"
	(cd "$ovl" && find . | cpio -o -H newc -R 0:0 --quiet) |
		gzip -1 >>"$BUILD/$ABI/initramfs.cpio.gz"
	rc=0
	"$top/scripts/run-vm.sh" "$series" check || rc=$?
	log=$out_logs/bench-$ABI$tag.log
	cp "$LOGS/$ABI-check.log" "$log"
	tr -d '\r' <"$log" | grep -E '^(# (bench|pagemap_bench|regions|RESULT|GOAL|GROWTH)|(not )?ok |PMAP_RESULT)' |
		tee "$out_logs/bench-$ABI$tag.txt"
	echo "bench $ABI: exit $rc, console in $log"
	[ "$rc" = 0 ] || status=$rc
done
exit "$status"
