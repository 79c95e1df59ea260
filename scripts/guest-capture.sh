#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# guest-capture.sh: a test the foreign lanes (check-arch.sh) add to the VM's
# /tests (busybox sh, TAP). It checks the header of /proc/pagemap/PID against
# the machine (pmap.expect=LITTLE,SHIFT,SIZE on the kernel command line),
# compares the entries of this shell's first mapping with the kernel's own
# /proc/PID/pagemap, and prints a capture of the map (the header and every
# entry up to the end of the shell's data, gzip and base64 between
# `# capture-begin` and `# capture-end`) with a short sample.
set -u
n=0 failed=0
# check NAME COMMAND...: one TAP line for the command's exit status
check() {
	name=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		failed=$((failed + 1))
	fi
}

pid=$$
map=/proc/pagemap/$pid
if [ ! -r "$map" ]; then
	echo "not ok 1 capture: no $map (module not mounted)"
	exit 1
fi
# printk on the console would land in the middle of the capture
level=$(cut -f1 /proc/sys/kernel/printk)
dmesg -n 1

# 8 bytes: the header, and on 4-byte machines the entry of page 0 too
# shellcheck disable=SC2046
set -- $(dd if="$map" bs=8 count=1 2>/dev/null | od -An -tu1)
le=${1:-x} shift_=${2:-x} e=${3:-x} hs=${4:-x}
rest=$(( ${5:-1} + ${6:-1} + ${7:-1} + ${8:-1} ))
echo "# header of $map on $(uname -m): $*"
want=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^pmap\.expect=//p')
check "capture: header little=$le shift=$shift_ entry=$e size=$hs is this machine's ($want)" \
	[ "$le,$shift_,$e" = "$want" ] && [ "$hs" = "$e" ] &&
	{ [ "$e" = 4 ] || [ "$rest" = 0 ]; }

# the first mapping (busybox's text) and the end of the mappings that
# follow it with gaps under 1 MiB (its data and bss, not the random heap)
first=$(sed -n '1s/-.*//p' "/proc/$pid/maps")
top=
while IFS=' -' read -r lo hi _; do
	[ -z "$top" ] || [ $((0x$lo - 0x$top)) -lt 1048576 ] || break
	top=$hi
done <"/proc/$pid/maps"
vfirst=$((0x$first >> shift_))
vtop=$((0x$top >> shift_))
sed 's/^/# maps: /' "/proc/$pid/maps" | head -n 6

# the text's first 16 pages against the kernel's pagemap (bit 63 present,
# bits 0-54 the frame), both read in the machine's byte order
od -An -v -tx"$e" -j $(((vfirst + 1) * e)) -N $((16 * e)) "$map" |
	tr -s ' ' '\n' | sed '/^$/d' >/tmp/cap-mod
dd if="/proc/$pid/pagemap" bs=8 skip="$vfirst" count=16 2>/dev/null |
	od -An -v -tx8 | tr -s ' ' '\n' | sed '/^$/d' >/tmp/cap-kern
same() {
	[ "$(wc -l </tmp/cap-mod)" = 16 ] || return 1
	while read -r m && read -r k <&3; do
		if [ $((0x$k >> 63 & 1)) = 1 ]; then
			[ $((0x$m)) = $((0x$k & 0x7fffffffffffff)) ] || return 1
		else
			case $m in *[!f]*) return 1 ;; esac
		fi
	done </tmp/cap-mod 3</tmp/cap-kern
	grep -qv '^f*$' /tmp/cap-mod
}
check "capture: the text's first 16 entries equal the kernel's pagemap frames" same

dd if="$map" bs="$e" count=$((vtop + 1)) 2>/dev/null >/tmp/cap.bin
size=$(wc -c </tmp/cap.bin)
check "capture: $size bytes (header and pages 0 to $vtop)" \
	[ "$size" = $(((vtop + 1) * e)) ]
echo "# sample: header"
dd if="$map" bs="$e" count=1 2>/dev/null | hexdump -C | sed 's/^/# /'
echo "# sample: pages $vfirst.. (0x$first..) of pid $pid"
dd if="$map" bs="$e" skip=$((vfirst + 1)) count=4 2>/dev/null | hexdump -C |
	sed 's/^/# /'
echo "# capture-begin $(uname -m) page-shift=$shift_ entry=$e pid=$pid first=0x$first"
gzip -9 -c /tmp/cap.bin | base64
echo "# capture-end"
dmesg -n "$level"
echo "1..$n"
[ "$failed" = 0 ]
