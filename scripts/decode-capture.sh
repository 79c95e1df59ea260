#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# decode-capture.sh LOG LANE: the whole-system capture that a lane's guest
# printed on its console (tools/pagemap/tests/vm-files.sh, base64 between
# `# capture-all-begin` and `# capture-all-end`), decoded on this host:
# kept as $BUILD/captures/LANE-all.cap, and `pss`, `files` and `who` of
# its workload with --file must answer what the guest answered live (its
# `# pss-live:`, `# files-live:` and `# who-live:` lines), as
# tools/pagemap/tests/oracle.py compares them; both answers are kept
# beside it (LANE-all.KIND.live, LANE-all.KIND.host). TAP; a log without
# a capture (the guest's tool or vm-files.sh did not run) is one SKIP.
# Uses the host's tool, tools/pagemap/pagemap, built if it is not there.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"
log=${1:?usage: decode-capture.sh LOG LANE}
lane=${2:?usage: decode-capture.sh LOG LANE}
tool=$TOP/tools/pagemap/pagemap
oracle=$TOP/tools/pagemap/tests/oracle.py
out=$BUILD/captures
T=$out/$lane-all
mkdir -p "$out"

tr -d '\r' <"$log" >"$T.log"
# shellcheck disable=SC2046 # the words of the begin line
set -- $(sed -n 's/^# capture-all-begin //p' "$T.log")
if [ $# -lt 4 ]; then
	echo "ok 1 capture of $lane decodes on the host # SKIP no capture in $log"
	echo "1..1"
	exit 0
fi
machine=$1 parent=${2#parent=} child=${3#child=} pfn=${4#pfn=}
[ -x "$tool" ] || make -s -C "$TOP/tools/pagemap" >/dev/null
# the block's base64 lines only: a kernel message may land in the middle
sed -n '/^# capture-all-begin/,/^# capture-all-end/p' "$T.log" |
	grep -E '^[A-Za-z0-9+/=]+$' | base64 -d >"$T.cap" 2>/dev/null || true
echo "# $machine capture: $(wc -c <"$T.cap") bytes, workload $parent and $child"

n=0 failed=0
# same KIND ARGS...: KIND --json --file of the capture is the guest's live
same() {
	kind=$1
	shift
	n=$((n + 1))
	sed -n "s/^# $kind-live: //p" "$T.log" >"$T.$kind.live"
	if "$tool" "$kind" --json --file "$T.cap" "$@" >"$T.$kind.host" 2>"$T.err" &&
		python3 "$oracle" same "$kind" "$T.$kind.live" "$T.$kind.host" \
			"$parent,$child"; then
		echo "ok $n $lane capture decodes on the host: $kind --file as the guest answered live"
	else
		sed 's/^/# /' "$T.err"
		echo "not ok $n $lane capture decodes on the host: $kind --file as the guest answered live"
		failed=$((failed + 1))
	fi
}
same pss "$parent" "$child"
same files "$parent" "$child"
same who "$pfn"
echo "1..$n"
[ "$failed" = 0 ]
