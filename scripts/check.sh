#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check.sh (make check): every test lane. Packages and kernels (deps.sh);
# the static selftests and tool; host lanes (the tool's host tests,
# checkpatch, make install into staging roots, kernels outside the range,
# the module in a kernel tree, the Debian packages, lint of every shell
# script; HOST_LANES=0 leaves them out); then per kernel of
# $KERNELS: the module with W=1, the initramfs, the VM running every
# selftest, and the guest's whole-system capture decoded on the host
# (decode-capture.sh). Prints each lane's result, then one line
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
	tap_counts "$log" "$rc"
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
step "build selftests" make -C "$TOP/selftests" OUTPUT="$BUILD/selftests" ||
	true
step "build tool (static)" make -C "$TOP" tool STATIC=1 || true

echo "== host lanes"
if [ "$HOST_LANES" = 0 ]; then
	echo "HOST_LANES=0: the host lanes are left out"
else
	tap "tool host tests" make -C "$TOP/tools/pagemap" check STATIC=1
	tap checkpatch "$S/checkpatch.sh"
	tap "make install" "$S/test-install.sh"
	tap "kernels outside 5.10 to 7.3" "$S/test-range.sh"
	tap "in a kernel tree" "$S/test-intree.sh"
	step "debian packages, lintian clean" "$S/build-deb.sh"
	tap shellcheck lint_shell
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
	log=$LOGS/$ABI-check.log
	rm -f "$log"
	"$S/run-vm.sh" "$series" check || true
	vrc=0
	res=$("$S/vm-verdict.sh" "$log") || vrc=$?
	if [ "$vrc" = 2 ]; then
		lane "vm $ABI: NO VERDICT" 0 1 0
	else
		# shellcheck disable=SC2086 # PMAP_RESULT: N passed, N failed, N skipped
		set -- $res
		lane "vm $ABI" "$2" "$4" "$6"
	fi
	failures "$log"
	tap "capture of $ABI on the host" "$S/decode-capture.sh" "$log" "$ABI"
done

echo "== results in $(($(date +%s) - t0)) s (logs in $LOGS)"
cat "$summary"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
