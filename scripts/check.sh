#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check.sh (make check): every test lane. Packages and kernels (deps.sh);
# the static selftests and tool; host lanes (the tool's host tests,
# checkpatch, make install into staging roots, kernels outside the range,
# the Debian packages, lint of every shell script); then per kernel of
# $KERNELS: the module with W=1, the initramfs and the VM running every
# selftest. Prints each lane's result, then one line
# `N passed, N failed, N skipped` over all of them; exits 1 on any failure
# or missing verdict.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

S=$TOP/scripts
t0=$(date +%s)
pass=0 fail=0 skip=0
summary=$LOGS/check-summary-$(echo "$KERNELS" | tr " " _)
mkdir -p "$LOGS"
: >"$summary"

# lane NAME PASSED FAILED SKIPPED: record a lane's result
lane() {
	pass=$((pass + $2)) fail=$((fail + $3)) skip=$((skip + $4))
	printf '%-36s %s passed, %s failed, %s skipped\n' "$1" "$2" "$3" "$4" |
		tee -a "$summary"
}

# failures LOG: list a log's failed TAP lines under its lane
failures() {
	tr -d '\r' <"$1" | grep '^not ok' | sed 's/^/    /' | tee -a "$summary" ||
		true
}

# step NAME CMD...: a build step counted as one test; output in its log
step() {
	name=$1
	shift
	log=$LOGS/$(echo "$name" | tr -c 'a-zA-Z0-9.+=\n' '-').log
	if "$@" >"$log" 2>&1; then
		lane "$name" 1 0 0
	else
		tail -n 30 "$log"
		lane "$name (log: $log)" 0 1 0
		return 1
	fi
}

# tap NAME CMD...: a lane printing TAP; a failing exit without any
# `not ok` line counts as one more failure
tap() {
	name=$1
	shift
	log=$LOGS/$(echo "$name" | tr -c 'a-zA-Z0-9.+=\n' '-').log
	rc=0
	"$@" >"$log" 2>&1 || rc=$?
	cat "$log"
	s=$(grep -ci '^ok .*# *skip' "$log") || true
	p=$(grep -c '^ok ' "$log") || true
	f=$(grep -c '^not ok ' "$log") || true
	p=$((p - s))
	[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
	lane "$name" "$p" "$f" "$s"
	failures "$log"
}

# lint_shell: TAP over every shell script of the tree, by shellcheck
lint_shell() {
	n=0 rc=0
	for f in $(cd "$TOP" && git ls-files '*.sh' .ci/run 2>/dev/null ||
		echo scripts/*.sh .ci/run); do
		f=$TOP/$f
		n=$((n + 1))
		if shellcheck "$f"; then
			echo "ok $n shellcheck ${f#"$TOP"/}"
		else
			echo "not ok $n shellcheck ${f#"$TOP"/}"
			rc=1
		fi
	done
	return $rc
}

"$S/deps.sh"

echo "== userspace builds"
if [ -f "$TOP/selftests/Makefile" ]; then
	step "build selftests" make -C "$TOP/selftests" OUTPUT="$BUILD/selftests" ||
		true
else
	echo "selftests/Makefile missing: no selftests in the VMs"
	lane "build selftests (no Makefile)" 0 0 1
fi

if [ -f "$TOP/tools/pagemap/Makefile" ]; then
	step "build tool (static)" make -C "$TOP" tool STATIC=1 || true
fi

echo "== host lanes"
if [ "${HOST_LANES:-1}" = 0 ]; then
	echo "HOST_LANES=0: tool host tests, checkpatch and shellcheck left out"
else
	if [ -f "$TOP/tools/pagemap/Makefile" ]; then
		tap "tool host tests" make -C "$TOP/tools/pagemap" check STATIC=1
	fi
	tap checkpatch "$S/checkpatch.sh"
	tap "make install" "$S/test-install.sh"
	tap "kernels outside 5.10 to 7.3" "$S/test-range.sh"
	step "debian packages, lintian clean" "$S/build-deb.sh"
	if command -v shellcheck >/dev/null; then
		tap shellcheck lint_shell
	else
		lane "shellcheck (not installed)" 0 0 1
	fi
fi

for series in $KERNELS; do
	echo "== kernel $series"
	"$S/fetch-kernel.sh" "$series" >/dev/null
	# shellcheck disable=SC1090
	. "$CACHE/kernel-$series.env"
	if ! step "build $ABI W=1" "$S/build-module.sh" "$series"; then
		lane "vm $ABI (module did not build)" 0 1 0
		continue
	fi
	"$S/mkinitramfs.sh" "$series"
	rc=0
	"$S/run-vm.sh" "$series" check || rc=$?
	res=$(tr -d '\r' <"$LOGS/$ABI-check.log" |
		sed -n 's/.*PMAP_RESULT: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\1 \2 \3/p' |
		tail -n 1)
	if [ "$rc" = 2 ] || [ -z "$res" ]; then
		lane "vm $ABI: NO VERDICT" 0 1 0
	else
		# shellcheck disable=SC2086
		lane "vm $ABI" $res
	fi
	failures "$LOGS/$ABI-check.log"
done

echo "== results in $(($(date +%s) - t0)) s (logs in $LOGS)"
cat "$summary"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
