#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lanes.sh (make check-all): every test lane, two at a time, each guest
# with one vCPU (on 2 cores, two one-vCPU guests side by side finish the
# lanes sooner than one two-vCPU guest at a time). Lanes start in the
# order of the table below. With CI_BUDGET=S, a lane is started only if
# its measured time (.ci/lane-times: cold, or warm once it has passed on
# this machine) lets it end within S seconds of the start, or within
# CI_WARM_BUDGET seconds for a warm lane (so that a run with everything
# cached ends sooner); one that does not is skipped and counted as
# skipped. Prints each lane's result and time, the times measured (also
# in $LOGS/lane-times), then one line `N passed, N failed, N skipped`;
# exit 0 pass, 1 fail.
set -eu
cd "$(dirname "$0")/.."
# the folders of scripts/defaults.sh, but none of its settings exported to
# the lanes: each lane's make target sets its own (check-debug's longer
# timeouts, say)
read -r BUILD LOGS CACHE < <(
	# shellcheck source=defaults.sh
	TOP=$PWD . scripts/defaults.sh
	echo "$BUILD $LOGS $CACHE"
)

# name, then the command; first come, first started
table() {
	cat <<'EOF'
x86_64		make check KERNELS=6.12
debug		make check-debug
debian		make check-debian
6.1		make check KERNELS=6.1 HOST_LANES=0
7.3		make check KERNELS=7.3 HOST_LANES=0
7.3-rt		make check KERNELS=7.3-rt HOST_LANES=0
debug-7.3	make check-debug DEBUG_SERIES=7.3
5.10		make check KERNELS=5.10 HOST_LANES=0
6.12-rt		make check KERNELS=6.12-rt HOST_LANES=0
7.2		make check KERNELS=7.2 HOST_LANES=0
arm64		make check ARCH=arm64
s390x		make check ARCH=s390x
i386		make check ARCH=i386
ppc64el		make check ARCH=ppc64el
arm64-16k	make check ARCH=arm64-16k
EOF
}

budget=${CI_BUDGET:-0}		# 0: no budget, run every lane
warm_budget=${CI_WARM_BUDGET:-$budget}
# with a budget, a lane still running at CI_HARD seconds is stopped (and
# fails): better a failed run than one past CI's limit
hard=${CI_HARD:-$((budget ? budget + 900 : 0))}
only=${LANES:-}			# a subset of the names, in table order
warm=${LANE_STATE:-$CACHE/lanes}	# LANE files: passed here once
export VM_SMP=${VM_SMP:-1}
mkdir -p "$LOGS" "$warm"
: >"$LOGS/lane-times"

# estimate NAME: the lane's measured seconds, warm or cold, or 1800
estimate() {
	local col=2
	[ ! -f "$warm/$1" ] || col=3
	awk -v n="$1" -v c="$col" '$1 == n { print $c; found = 1 }
		END { if (!found) print 1800 }' .ci/lane-times
}

# deadline NAME: the seconds from the start by which the lane must end
deadline() {
	if [ -f "$warm/$1" ]; then echo "$warm_budget"; else echo "$budget"; fi
}

# Everything the lanes share is built once, before two of them run at a
# time: the packages, the static selftests and tool.
scripts/deps.sh
make -C selftests OUTPUT="$BUILD/selftests" >"$LOGS/build-selftests.log" 2>&1
make tool STATIC=1 >"$LOGS/build-tool.log" 2>&1

declare -A cmd pid_of start
names=()
while read -r name c; do
	[ -z "$only" ] || [[ " $only " == *" $name "* ]] || continue
	names+=("$name")
	cmd[$name]=$c
done < <(table)

pass=0 fail=0 skip=0 summary=
# finish NAME RC: count a lane's closing line (none: one failure)
finish() {
	local log=$LOGS/lane-$1.log res p f s t=$((SECONDS - start[$1]))
	res=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" |
		tail -n 1) || true
	if [ -z "$res" ]; then
		res="0 passed, 1 failed, 0 skipped (no closing line)"
	elif [ "$2" != 0 ] && [[ $res == *" 0 failed"* ]]; then
		res="${res/ 0 failed/ 1 failed} (exit $2)"
	fi
	read -r p _ f _ s _ <<<"${res//,/}"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	echo "=== lane $1 done: $res in $t s ($(estimate "$1") s planned)"
	cat "$log"
	summary+=$(printf 'lane %-10s %s, %4d s' "$1" "$res" "$t")$'\n'
	[ "$f" != 0 ] || touch "$warm/$1"
	echo "$1 $t" >>"$LOGS/lane-times"
}

# reap: wait for one lane to end and count it
running=0
reap() {
	local done_pid='' rc=0 n
	wait -n -p done_pid || rc=$?
	[ -n "$done_pid" ] || { running=0; return; }	# no lane left
	for n in "${!pid_of[@]}"; do
		[ "${pid_of[$n]}" = "$done_pid" ] || continue
		unset "pid_of[$n]"
		finish "$n" "$rc"
		running=$((running - 1))
	done
}

for name in "${names[@]}"; do
	while [ "$running" -ge 2 ]; do
		reap
	done
	need=$(estimate "$name") end=$(deadline "$name")
	if [ "$budget" != 0 ] && [ $((SECONDS + need)) -gt "$end" ]; then
		skip=$((skip + 1))
		summary+="lane $(printf '%-10s' "$name") SKIP: needs $need s, $((end - SECONDS)) s of the budget left"$'\n'
		continue
	fi
	echo "=== lane $name: ${cmd[$name]} (planned $need s)"
	start[$name]=$SECONDS
	limit=
	[ "$hard" = 0 ] || limit="timeout $((hard - SECONDS))"
	# shellcheck disable=SC2086 # command lines from the table
	$limit ${cmd[$name]} >"$LOGS/lane-$name.log" 2>&1 &
	pid_of[$name]=$!
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	reap
done

printf '%s' "$summary"
echo "lanes took $SECONDS s in all (times in $LOGS/lane-times)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
