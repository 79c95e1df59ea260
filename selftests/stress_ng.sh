#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module under a load nobody here wrote, as TAP: Debian's stress-ng
# (its vm, mmap, madvise, mremap and fork stressors, as nobody) runs for
# pmap.stressng= seconds (default 60) with pid_max lowered so that pids are
# reused at a high rate,
# memory compacted (pages migrated) every second, while at the same time
# `pagemap pss` reads every process's map, `pagemap maps` each stress-ng
# worker's, the directory is listed, rmmod is tried (and must be refused),
# and the filesystem is mounted, read and unmounted in new mount and pid
# namespaces. dmesg is the harness's check after every test. SKIP without
# stress-ng in the guest (mkinitramfs.sh puts the host's in on x86_64
# lanes) or without the tool.
set -eu

T=/tmp/stress-ng.$$
MNT=/proc/pagemap
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); echo "not ok $n $1"; failed=1; }
# started PID: the process's start time, which a reused pid does not share
started() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
arg() {
	v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^pmap\.$1=//p" | tail -n 1)
	echo "${v:-$2}"
}

echo "1..6"
why=
command -v stress-ng >/dev/null || why="no stress-ng in this guest"
command -v pagemap >/dev/null || why="no pagemap tool (make tool STATIC=1)"
[ -e "$MNT/self" ] || why="the module is not mounted at $MNT"
if [ -n "$why" ]; then
	for i in 1 2 3 4 5 6; do echo "ok $i stress-ng # SKIP $why"; done
	exit 0
fi

secs=${PMAP_STRESSNG:-$(arg stressng 60)}
mkdir -p "$T/mnt"
end=$(($(date +%s) + secs))
running() { [ "$(date +%s)" -lt "$end" ]; }
# count NAME: one more in $T/NAME
count() { echo >>"$T/$1"; }
total() { [ -f "$T/$1" ] && wc -l <"$T/$1" || echo 0; }

pid_max=$(cat /proc/sys/kernel/pid_max)
echo 4096 >/proc/sys/kernel/pid_max
# as nobody: as root its madvise stressor poisons pages (MADV_HWPOISON)
su -s /bin/sh nobody -c "stress-ng --vm 1 --vm-bytes 64M --mmap 1 \
	--mmap-bytes 32M --madvise 1 --mremap 1 --mremap-bytes 32M --fork 2 \
	--temp-path /tmp --timeout ${secs}s --metrics-brief" \
	>"$T/stress-ng.log" 2>&1 &
spid=$!

# every process's map, again and again
(
	while running; do
		if pagemap pss --json >/dev/null 2>"$T/pss.err"; then
			count pss
		else
			count pss-failed
			sed 's/^/# pagemap pss: /' "$T/pss.err" | head -n 3
		fi
	done
) &
# the directory, and each worker's map while it lives
(
	while running; do
		# the shell's own readdir: ls would stat pids gone since
		echo "$MNT"/* >/dev/null && count ls
		for p in $(pidof stress-ng); do
			st=$(started "$p")
			[ -n "$st" ] || continue
			if pagemap maps "$p" >/dev/null 2>"$T/maps.err"; then
				count maps
			elif [ "$(started "$p")" = "$st" ] &&
			    ! grep -q '^State:.*[ZX]' "/proc/$p/status" 2>/dev/null &&
			    ! grep -qE 'no such process|has exited' "$T/maps.err"; then
				count maps-failed
				echo "# pagemap maps $p failed, and $p is alive"
				sed 's/^/# /' "$T/maps.err" | head -n 3
			fi
		done
	done
) &
# the module stays: rmmod is refused while mounted, files open, reads run
(
	while running; do
		if rmmod pagemap 2>/dev/null; then
			count rmmod-succeeded
			insmod /lib/pagemap/pagemap.ko
			mount -t pagemap pagemap "$MNT"
		else
			count rmmod-refused
		fi
		sleep 1
	done
) &
# mounts in new mount (and pid) namespaces, read, unmounted
(
	while running; do
		for opt in -m "-m -p -f"; do
			# shellcheck disable=SC2086 # two options or one
			if unshare $opt sh -c "mount -t pagemap pagemap $T/mnt &&
				[ \$(dd if=$T/mnt/self bs=8 count=1 2>/dev/null | wc -c) = 8 ] &&
				echo $T/mnt/* >/dev/null && umount $T/mnt"; then
				count ns
			else
				count ns-failed
			fi
		done
	done
) &
# page migration on one node as well: compaction moves pages
(
	while running; do
		echo 1 >/proc/sys/vm/compact_memory
		count compact
		sleep 1
	done
) &

src=0
wait "$spid" || src=$?
wait
echo "$pid_max" >/proc/sys/kernel/pid_max
sed 's/^/# /' "$T/stress-ng.log"
if [ "$src" = 0 ]; then
	ok "stress-ng ran ${secs} s and passed"
else
	nok "stress-ng ran ${secs} s and passed (exit $src)"
fi
p=$(total pss) f=$(total pss-failed)
msg="pagemap pss of every process: $p passes, $f failed"
if [ "$p" -gt 0 ] && [ "$f" = 0 ]; then ok "$msg"; else nok "$msg"; fi
p=$(total maps) f=$(total maps-failed) l=$(total ls)
msg="pagemap maps of the workers: $p, $f failed; $l listings"
if [ "$p" -gt 0 ] && [ "$f" = 0 ] && [ "$l" -gt 0 ]; then ok "$msg"; else nok "$msg"; fi
p=$(total rmmod-refused) f=$(total rmmod-succeeded)
msg="rmmod under load: refused $p times, succeeded $f"
if [ "$p" -gt 0 ] && [ "$f" = 0 ]; then ok "$msg"; else nok "$msg"; fi
p=$(total ns) f=$(total ns-failed)
msg="mount, read, umount in new namespaces: $p, $f failed ($(total compact) compactions)"
if [ "$p" -gt 0 ] && [ "$f" = 0 ]; then ok "$msg"; else nok "$msg"; fi
if grep -q " $MNT pagemap " /proc/mounts &&
	[ "$(dd if=$MNT/self bs=8 count=1 2>/dev/null | wc -c)" = 8 ]; then
	ok "still mounted and readable after the load"
else
	nok "still mounted and readable after the load"
fi
rm -rf "$T"
exit $failed
