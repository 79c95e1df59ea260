#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module's life cycle, in the busybox guest, as TAP: rmmod while
# mounted fails and breaks nothing; umount, rmmod, insmod twice; the empty
# /proc/pagemap directory comes and goes with the module; mount options
# and mount points. Leaves the module loaded and mounted at /proc/pagemap.
# shellcheck disable=SC2317 # the predicates run through check()
set -eu

KO=${PMAP_KO:-/lib/pagemap/pagemap.ko}
MNT=/proc/pagemap
ALT=/tmp/pagemap-alt
n=0
failed=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	failed=1
	echo "not ok $n $1"
}

check() {
	name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name"; fi
}

mounted() {
	grep -q " $1 pagemap " /proc/mounts
}

loaded() {
	grep -q '^pagemap ' /proc/modules
}

registered() {
	grep -q '[[:space:]]pagemap$' /proc/filesystems
}

readable() {
	# 8 bytes: one entry of a 64-bit kernel, two of a 32-bit one
	[ "$(dd if="$1/self" bs=8 count=1 2>/dev/null | wc -c)" -eq 8 ]
}

empty_dir() {
	[ -d "$1" ] && [ -z "$(ls -A "$1")" ]
}

echo "1..20"
if ! loaded; then
	insmod "$KO" || true
fi
if ! mounted "$MNT"; then
	mount -t pagemap pagemap "$MNT" || true
fi
check "loaded and mounted at $MNT" mounted "$MNT"

if rmmod pagemap 2>/dev/null; then
	not_ok "rmmod while mounted fails"
	insmod "$KO" || true
	mount -t pagemap pagemap "$MNT" || true
else
	ok "rmmod while mounted fails"
fi
check "still loaded after the failed rmmod" loaded
check "still mounted after the failed rmmod" mounted "$MNT"
check "still readable after the failed rmmod" readable "$MNT"

check "umount $MNT" umount "$MNT"
check "$MNT is an empty directory while unmounted" empty_dir "$MNT"
check "rmmod" rmmod pagemap
check "$MNT is gone after rmmod" test ! -e "$MNT"
check "the pagemap filesystem is unregistered" sh -c "! grep -qw pagemap /proc/filesystems"

check "insmod" insmod "$KO"
check "$MNT is an empty directory after insmod" empty_dir "$MNT"
check "the pagemap filesystem is registered" registered
check "rmmod again" rmmod pagemap
check "$MNT is gone again" test ! -e "$MNT"
check "insmod again" insmod "$KO"

mkdir -p "$ALT"
check "mount with an unknown option fails" \
	sh -c "! mount -t pagemap -o no_such_option pagemap $ALT"
check "mount at another mount point" mount -t pagemap pagemap "$ALT"
check "the other mount point reads" readable "$ALT"
umount "$ALT" 2>/dev/null || true
rmdir "$ALT" 2>/dev/null || true

check "mount at $MNT" mount -t pagemap pagemap "$MNT"
check "$MNT reads" readable "$MNT"
exit $failed
