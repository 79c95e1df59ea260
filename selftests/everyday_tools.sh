#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Everyday tools read the maps as they are (busybox's dd, head, od,
# hexdump, xxd, stat), as TAP. Entry size and page size come from the
# header, never assumed.
# shellcheck disable=SC2317 # the predicates run through check()
set -eu

MAP=${PMAP_MOUNT:-/proc/pagemap}/self
n=0
failed=0

check() {
	name=$1
	shift
	n=$((n + 1))
	if "$@" >/dev/null 2>&1; then
		echo "ok $n $name"
	else
		failed=1
		echo "not ok $n $name"
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

echo "1..7"
# header bytes: endianness, page shift, entry size. 8 bytes: a whole entry
# everywhere (busybox od -N4 would read 4 bytes, not a whole 64-bit entry)
# shellcheck disable=SC2046 # split into the numbers on purpose
set -- $(dd if="$MAP" bs=8 count=1 2>/dev/null | od -An -tu1)
shift=$2
e=$3
page=$((1 << shift))
echo "# entry size $e, page size $page"

check "dd bs=entry reads the header" \
	sh -c "dd if=$MAP bs=$e count=1 2>/dev/null | { [ \$(wc -c) -eq $e ]; }"
check "dd skips and reads 4 entries" \
	sh -c "dd if=$MAP bs=$e skip=4096 count=4 2>/dev/null | { [ \$(wc -c) -eq $((4 * e)) ]; }"
check "head -c 64" sh -c "head -c 64 $MAP | { [ \$(wc -c) -eq 64 ]; }"
check "od -N 32 prints 32 bytes" \
	sh -c "[ \$(od -An -tx1 -N 32 $MAP | wc -w) -eq 32 ]"
check "hexdump -C -n 32 prints two lines" \
	sh -c "[ \$(hexdump -C -n 32 $MAP | grep -c '^000000[01]0 ') -eq 2 ]"
if xxd -l 1 "$MAP" >/dev/null 2>&1 || command -v xxd >/dev/null; then
	check "xxd -l 32 prints two lines" \
		sh -c "[ \$(xxd -l 32 $MAP | wc -l) -eq 2 ]"
else
	skip "xxd -l 32 prints two lines" "no xxd here"
fi
check "stat shows a block size of one page" \
	sh -c "[ \$(stat -L -c %o $MAP) -eq $page ]"
exit $failed
