#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-debian.sh (make check-debian): the Debian packages in a real Debian
# 12 guest. Builds the packages (build-deb.sh) and the static selftests,
# finds or makes the cached disk image (debian-image.sh), and boots it in
# QEMU (TCG) with Debian's kernel and initrd, its writes going to a
# temporary snapshot that lasts through the guest's reboot and ends with
# QEMU; the packages, selftests and guest-debian.sh are on a second disk (a
# tar archive). The guest installs, reboots, tests, purges and prints
# `PMAP_RESULT: N passed, N failed, N skipped`; the console is in
# $LOGS/debian-guest.log. Exit 0 pass, 1 fail, 2 no verdict.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

S=$TOP/scripts
out=$BUILD/debian
log=$LOGS/debian-guest.log
mkdir -p "$out" "$LOGS"
t0=$(date +%s)
say() { echo "check-debian: $* ($(($(date +%s) - t0)) s)"; }

"$S/build-deb.sh" >"$LOGS/debian-deb.log" 2>&1 ||
	{ tail -n 20 "$LOGS/debian-deb.log"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
say "packages built, lintian clean"
make -C "$TOP/selftests" OUTPUT="$BUILD/selftests" >"$LOGS/debian-selftests.log" 2>&1 ||
	{ tail -n 20 "$LOGS/debian-selftests.log"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
"$S/debian-image.sh" >"$LOGS/debian-image.log" 2>&1 ||
	{ tail -n 20 "$LOGS/debian-image.log"; echo "0 passed, 0 failed, 0 skipped"; exit 2; }
# shellcheck disable=SC1091
. "$DEBIAN_IMAGE/image.env"
say "image ready: Debian 12, kernel $KREL"

pay=$out/payload
rm -rf "$pay"
mkdir -p "$pay"
cp "$BUILD"/deb/pagemap-dkms_*.deb "$BUILD"/deb/pagemap-tools_*.deb "$S/guest-debian.sh" "$pay/"
"$S/version.sh" --release >"$pay/version"
cp -r "$BUILD/selftests" "$pay/selftests"
tar -cf "$out/payload.tar" -C "$pay" .

say "booting, console in $log"
timeout "$DEBIAN_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu "$VM_CPU" \
	-m "$VM_MEM" -smp "$VM_SMP" -nographic -net none \
	-kernel "$VMLINUZ" -initrd "$INITRD" \
	-append "root=/dev/vda rw console=ttyS0 panic=10 $TCG_APPEND $VM_APPEND" \
	-drive file="$IMG",if=virtio,format=raw,snapshot=on \
	-drive file="$out/payload.tar",if=virtio,format=raw,readonly=on \
	</dev/null >"$log" 2>&1 || true
# the test's lines, without the journal's prefix
tr -d '\r' <"$log" | sed -n 's/^\[ *[0-9.]*\] pagemap-test-boot\[[0-9]*\]: //p' |
	grep -E '^(not )?ok [0-9]+ |^# stage' || true
rc=0
res=$("$S/vm-verdict.sh" "$log") || rc=$?
if [ "$rc" = 2 ]; then
	tail -n 40 "$log"
	say "no verdict (hang, crash or timeout), see $log"
	echo "0 passed, 0 failed, 0 skipped"
	exit 2
fi
say "$res"
echo "${res#PMAP_RESULT: }"
exit "$rc"
