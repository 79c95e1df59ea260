#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-arch.sh LANE...: `make check ARCH=LANE` for the foreign lanes of
# scripts/arch.sh (arm64 i386 s390x ppc64el arm64-16k; `all`: every one of
# them), one VM at a time (x86_64 is scripts/check.sh, every lane together
# make check-all). Per lane: fetch the Debian kernel (fetch-foreign-kernel.sh), cross-build
# the module with W=1 (build-module.sh), cross-build the static selftests
# (selftests/Makefile with CC=) and the tool, pack the initramfs
# (mkinitramfs.sh with the lane's busybox, tests and tool), boot
# it in QEMU (TCG) with pmap.job=check plus guest-capture.sh, keep the
# map capture in $BUILD/captures/LANE.bin, and decode the guest's
# whole-system capture on the host (decode-capture.sh). Ends with one line
# `N passed, N failed, N skipped`; exit 0 pass, 1 fail, 2 no verdict.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"
# shellcheck source=arch.sh
. "$(dirname "$0")/arch.sh"
S=$(cd "$(dirname "$0")" && pwd)

[ $# -gt 0 ] || { echo "usage: check-arch.sh LANE...|all (lanes: $ARCH_LANES)" >&2; exit 2; }
lanes=
for l; do
	case $l in
	all)	lanes="$lanes $ARCH_LANES" ;;
	*)	arch_set "$l" || exit 2
		lanes="$lanes $l" ;;
	esac
done
mkdir -p "$LOGS" "$BUILD/captures"

# pack LANE: the harness's initramfs (mkinitramfs.sh) with this lane's
# busybox, tool and selftests, and guest-capture.sh. A selftest that did
# not build stays listed, so that the guest fails it.
pack() {
	while read -r t; do
		[ -f "$st/$t" ] || echo "check-arch $1: selftest $t was not built"
	done <"$st/list"
	BUSYBOX=$BUSYBOX TOOL=$BUILD/$ABI/pagemap SELFTESTS=$st \
		EXTRA_TESTS=$S/guest-capture.sh "$S/mkinitramfs.sh" "$1"
}

# boot LANE: run the VM (run-vm.sh), show its console from /init on, keep
# the capture; res is its verdict line; exit as vm-verdict.sh
boot() {
	log=$LOGS/$ABI-check.log
	echo "check-arch $LANE: booting $ABI, console in $log"
	VM_QEMU=$QEMU VM_CONSOLE=$CONSOLE VM_MEM=$LANE_MEM VM_LA57=$LANE \
		VM_APPEND="pmap.expect=$EXPECT $LANE_APPEND" VM_QUIET=1 \
		"$S/run-vm.sh" "$LANE" check >/dev/null || true
	tr -d '\r' <"$log" | sed -n '/Run \/init/,$p' |
		sed '/^# capture-begin/,/^# capture-end/{/^#/!d}'
	tr -d '\r' <"$log" | sed -n '/^# capture-begin/,/^# capture-end/p' |
		sed '1d;$d' | base64 -d 2>/dev/null |
		gunzip >"$BUILD/captures/$LANE.bin" 2>/dev/null ||
		rm -f "$BUILD/captures/$LANE.bin"
	vrc=0
	res=$("$S/vm-verdict.sh" "$log") || vrc=$?
	if [ "$vrc" = 2 ]; then
		tail -n 30 "$log"
		echo "check-arch $LANE: no verdict (hang, crash or panic), see $log"
		return 2
	fi
	echo "check-arch $LANE: $res"
	return "$vrc"
}

# deps: the packages every lane asks for (as root: installed; otherwise
# listed, exit 1), and the common ones through deps.sh
deps() {
	missing=
	for l in $lanes; do
		arch_set "$l"
		for pkg in $PKGS; do
			dpkg-query -W -f '${Status}\n' "$pkg" 2>/dev/null |
				grep -q '^install ok installed' ||
				case " $missing " in
				*" $pkg "*) ;;
				*) missing="$missing $pkg" ;;
				esac
		done
	done
	KERNELS='' "$S/deps.sh" >/dev/null
	[ -n "$missing" ] || return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing Debian packages:$missing"
		echo "as root: apt-get install --no-install-recommends$missing"
		exit 1
	fi
	echo "check-arch: installing$missing"
	for try in 1 2; do
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=900 \
			--no-install-recommends $missing \
			>"$LOGS/check-arch-apt.log" 2>&1 && return 0
		[ "$try" = 1 ] || { cat "$LOGS/check-arch-apt.log"; exit 1; }
		# stale lists: refresh this machine's own architecture only
		apt-get update -q -o APT::Architectures="$(dpkg --print-architecture)" \
			>/dev/null 2>&1 || true
	done
}

# lane LANE: everything for one lane; sets p f s (counts) and rc
lane() {
	p=0 f=0 s=0 rc=0
	arch_set "$1"
	"$S/fetch-foreign-kernel.sh" "$1" >"$LOGS/fetch-$1.log" 2>&1 ||
		{ cat "$LOGS/fetch-$1.log"; f=1 rc=2; return; }
	# shellcheck disable=SC1090
	. "$CACHE/kernel-$1.env"
	ARCH=$KARCH CROSS_COMPILE=$CROSS "$S/build-module.sh" "$1" ||
		{ f=1 rc=1; return; }
	st=$BUILD/$ABI/selftests
	rm -f "$st/list"
	make -k -C "$TOP/selftests" OUTPUT="$st" CC="$UCC" \
		>"$LOGS/$ABI-selftests.log" 2>&1 ||
		echo "check-arch $1: some selftests failed to build, see $LOGS/$ABI-selftests.log"
	make -C "$TOP/tools/pagemap" CC="$UCC" STATIC=1 BIN="$BUILD/$ABI/pagemap" \
		TESTOUT="$BUILD/$ABI/tool" >"$LOGS/$ABI-tool.log" 2>&1 ||
		{ rm -f "$BUILD/$ABI/pagemap"; echo "check-arch $1: the tool did not build, see $LOGS/$ABI-tool.log"; }
	pack "$1"
	boot || rc=$?
	if [ -n "${res:-}" ]; then
		# shellcheck disable=SC2086
		set -- $res
		p=$2 f=$4 s=$6
	else
		f=1
	fi
	decode "$LANE"
}

# decode LANE: the guest's whole-system capture decoded on the host
# (decode-capture.sh), its TAP lines added to the lane's counts
decode() {
	dlog=$LOGS/$ABI-decode.log
	drc=0
	"$S/decode-capture.sh" "$LOGS/$ABI-check.log" "$1" >"$dlog" 2>&1 || drc=$?
	cat "$dlog"
	bp=$p bf=$f bs=$s
	tap_counts "$dlog" "$drc"
	[ "$f" = 0 ] || [ "$rc" != 0 ] || rc=1
	p=$((bp + p)) f=$((bf + f)) s=$((bs + s))
}

deps
tp=0 tf=0 ts=0 worst=0 summary=
for l in $lanes; do
	res=
	t0=$(date +%s)
	lane "$l"
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
	[ "$rc" -le "$worst" ] || worst=$rc
	summary="$summary# lane $l: $p passed, $f failed, $s skipped, exit $rc, $(($(date +%s) - t0)) s
"
done
printf '%s' "$summary"
echo "$tp passed, $tf failed, $ts skipped"
[ "$worst" != 0 ] || [ "$tf" = 0 ] || worst=1
exit "$worst"
