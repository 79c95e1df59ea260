#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh SERIES JOB: boot that kernel with its initramfs (mkinitramfs.sh)
# in QEMU (TCG) running pmap.job=JOB, under a timeout, keeping the console
# in $LOGS/ABI-JOB.log. The verdict is the guest's PMAP_RESULT line only:
# exit 0 pass, 1 fail, 2 no verdict (hang, crash, panic).
# JOB shell is interactive: no timeout, no log, no verdict.
set -eu
# shellcheck source=defaults.sh
. "$(dirname "$0")/defaults.sh"

series=${1:?usage: run-vm.sh SERIES JOB}
job=${2:?usage: run-vm.sh SERIES JOB}
# shellcheck disable=SC1090
. "$CACHE/kernel-$series.env"
log=$LOGS/$ABI-$job.log
mkdir -p "$LOGS"

# both page-table depths get tested: -cpu max has LA57
paging=no5lvl
for s in $VM_LA57; do
	[ "$s" != "$series" ] || paging=
done
# VM_QEMU: emulator, machine and CPU (scripts/arch.sh sets it per lane)
# shellcheck disable=SC2086
set -- ${VM_QEMU:-qemu-system-x86_64 -cpu $VM_CPU} -accel tcg -m "$VM_MEM" \
	-smp "$VM_SMP" -nographic -no-reboot -net none \
	-kernel "$VMLINUZ" -initrd "$BUILD/$ABI/initramfs.cpio.gz" \
	-append "console=${VM_CONSOLE:-ttyS0} panic=-1 pmap.job=$job pmap.timeout=$TEST_TIMEOUT $paging $TCG_APPEND $VM_APPEND"
if [ "$job" = shell ]; then
	exec "$@"
fi
echo "vm $ABI $job: console in $log"
start=$(date +%s)
if [ "${VM_QUIET:-0}" = 1 ]; then
	timeout "$VM_TIMEOUT" "$@" </dev/null >"$log" 2>&1 || true
else
	# the console from /init on; the whole boot is in the log
	{ timeout "$VM_TIMEOUT" "$@" </dev/null 2>&1 || true; } |
		tee "$log" | sed -n '/Run \/init/,$p'
fi
rc=0
res=$("$TOP/scripts/vm-verdict.sh" "$log") || rc=$?
if [ "$rc" = 2 ]; then
	tail -n 40 "$log"
	echo "vm $ABI $job: no verdict (hang, crash or panic) after" \
		"$(($(date +%s) - start)) s, see $log"
	exit 2
fi
echo "vm $ABI $job: $res ($(($(date +%s) - start)) s)"
exit "$rc"
