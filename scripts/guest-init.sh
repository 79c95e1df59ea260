#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test VM (busybox sh). Mounts the pseudo filesystems, reserves
# hugetlb pages, loads the module and mounts it at /proc/pagemap, runs the
# job named by pmap.job= on the kernel command line (check, demo, shell),
# scans dmesg, prints one `PMAP_RESULT: N passed, N failed, N skipped` line
# and powers off. Every step it counts is itself a TAP line.
set -u
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
pass=0 fail=0 skip=0 n=0
mark='pmap-harness: tests start'

# result STATUS NAME: print and count one result (STATUS ok|fail|skip)
result() {
	n=$((n + 1))
	case $1 in
	ok)	pass=$((pass + 1)); echo "ok $n $2" ;;
	skip)	skip=$((skip + 1)); echo "ok $n $2 # SKIP" ;;
	*)	fail=$((fail + 1)); echo "not ok $n $2" ;;
	esac
}

# arg NAME DEFAULT: the value of pmap.NAME= on the kernel command line
arg() {
	v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^pmap\.$1=//p" | tail -n 1)
	echo "${v:-$2}"
}

# run_test FILE: run one test, print its output, count its TAP lines
run_test() {
	echo "# ==== $1"
	# busybox timeout execs the test in place: $! is the test, and setsid
	# makes it a group leader, so what it leaves behind is killed too
	# (or tee would wait for it)
	{
		timeout "$tmo" setsid "./$1" </dev/null &
		pid=$!
		wait $pid
		echo $? >/tmp/rc
		kill -KILL -- "-$pid" 2>/dev/null
	} 2>&1 | tee /tmp/out
	rc=$(cat /tmp/rc)
	s=$(grep -ci '^ok .*# *skip' /tmp/out)
	p=$(($(grep -c '^ok ' /tmp/out) - s))
	f=$(grep -c '^not ok ' /tmp/out)
	pass=$((pass + p)) skip=$((skip + s)) fail=$((fail + f))
	# kselftest exits 4 when everything was skipped
	if [ "$f" = 0 ] && [ "$rc" != 0 ] && [ "$rc" != 4 ]; then
		[ "$rc" != 143 ] || rc="143 (SIGTERM: timeout after ${tmo}s?)"
		result fail "$1 exited with status $rc"
	elif [ $((p + s + f)) = 0 ]; then
		result fail "$1 printed no TAP result"
	fi
}

job_check() {
	cd /tests || return
	while read -r t; do
		[ -z "$t" ] || run_test "$t"
	done <list
	cd /
}

# demo_header PID: show the header of PID's map and what each byte says;
# sets pshift and esize from it
demo_header() {
	pid=$1
	# 8 bytes are a whole number of entries of 4 or 8 bytes
	# shellcheck disable=SC2046 # the bytes, in decimal
	set -- $(dd if="/proc/pagemap/$pid" bs=8 count=1 2>/dev/null | od -An -tu1)
	[ $# = 8 ] || { result fail "demo: read the header of $pid"; return 1; }
	pshift=$2 esize=$3
	echo "# dd if=/proc/pagemap/$pid bs=$esize count=1 | hexdump -C"
	dd if="/proc/pagemap/$pid" bs="$esize" count=1 2>/dev/null | hexdump -C
	order=big-endian
	[ "$1" != 1 ] || order=little-endian
	rest=$(echo "$@" | cut -d' ' -f5-"$esize")
	echo "# byte 0 = $1: the kernel is $order (1 little, 0 big)"
	echo "# byte 1 = $2: PAGE_SHIFT, pages of $((1 << $2)) bytes"
	echo "# byte 2 = $3: E, the size of an entry (sizeof(unsigned long))"
	echo "# byte 3 = $4: the size of this header, one entry: the entry of" \
		"virtual page N is at byte (N + 1) * $3"
	[ "$esize" = 4 ] || echo "# bytes 4 to $((esize - 1)) = $rest: zero"
	case $1,$3,$4,$(echo "$rest" | tr -d ' 0') in
	[01],4,4,|[01],8,8,)
		result ok "demo: the header of $pid" ;;
	*)	result fail "demo: the header of $pid"
		return 1 ;;
	esac
}

job_demo() {
	wl=/tests/pmap_workload
	[ -x $wl ] || { result skip "demo: no $wl (selftests not built)"; return; }
	$wl 16 >/tmp/wl &
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		grep -q child= /tmp/wl && break
		sleep 1
	done
	cat /tmp/wl
	parent=$(sed -n 's/.*parent=\([0-9]*\).*/\1/p' /tmp/wl)
	child=$(sed -n 's/.*child=\([0-9]*\).*/\1/p' /tmp/wl)
	[ -n "$child" ] || { result fail "demo: workload did not start"; return; }
	result ok "demo: workload started"
	demo_header "$parent" || return
	# the shared anonymous region shows as /dev/zero (deleted), rw-s
	grep 'rw-s' "/proc/$parent/maps"
	start=$(grep -m 1 'rw-s' "/proc/$parent/maps" | cut -d- -f1)
	page=$((0x$start >> pshift))
	for pid in "$parent" "$child"; do
		echo "# dd if=/proc/pagemap/$pid bs=$esize skip=$((page + 1)) count=8 | hexdump -C"
		dd if="/proc/pagemap/$pid" bs="$esize" skip=$((page + 1)) count=8 \
			2>/dev/null | hexdump -C >/tmp/hd
		cat /tmp/hd
		if [ -s /tmp/hd ]; then
			result ok "demo: read the map of $pid"
		else
			result fail "demo: read the map of $pid"
		fi
	done
	if [ -x /bin/pagemap ]; then
		for cmd in "maps $parent" "share $parent $child"; do
			echo "# pagemap $cmd"
			# shellcheck disable=SC2086
			if pagemap $cmd; then
				result ok "demo: pagemap $cmd"
			else
				result fail "demo: pagemap $cmd"
			fi
		done
	else
		result skip "demo: no /bin/pagemap (tool not built)"
	fi
	kill "$parent" "$child"
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
arg hugepages 64 >/proc/sys/vm/nr_hugepages
job=$(arg job check)
tmo=$(arg timeout 600)
levels=4
! grep -qw la57 /proc/cpuinfo || levels=5
echo "# job $job on $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus," \
	"$levels-level paging, $(wc -l </tests/list) tests listed"
# kmemleak (debug kernels): what boot leaked is not ours, forget it
leaks=/sys/kernel/debug/kmemleak
if [ -w $leaks ]; then
	echo scan >$leaks
	echo clear >$leaks
fi
echo "$mark" >/dev/kmsg

if insmod /lib/pagemap/pagemap.ko; then
	result ok "module loaded"
else
	result fail "module loaded"
fi
mkdir -p /proc/pagemap 2>/dev/null
if mount -t pagemap pagemap /proc/pagemap; then
	result ok "mounted"
else
	result fail "mounted"
fi

case $job in
check)	job_check ;;
demo)	job_demo ;;
shell)	echo "# shell: exit to power off"; setsid cttyhack sh ;;
*)	result fail "unknown job $job" ;;
esac

# after everything, the module unloads: nothing it holds is left, and
# the kmemleak scan below sees what its exit freed
if grep -q '^pagemap ' /proc/modules; then
	awk '$3 == "pagemap" { print $2 }' /proc/mounts | while read -r m; do
		umount "$m"
	done
	if rmmod pagemap; then
		result ok "module unloaded after the tests"
	else
		result fail "module unloaded after the tests"
	fi
fi
if [ -w $leaks ]; then
	echo scan >$leaks
	if grep -q unreferenced $leaks; then
		cat $leaks
		result fail "kmemleak: suspected leaks"
	else
		result ok "kmemleak: no leaks"
	fi
fi
dmesg >/tmp/dmesg
if ! grep -q "$mark" /tmp/dmesg; then
	result fail "dmesg: start marker lost (ring buffer overflow)"
elif sed -n "/$mark/,\$p" /tmp/dmesg | grep -E \
	'BUG|WARNING|Oops|lockdep|sleeping function|soft lockup|circular locking|KASAN|kmemleak'; then
	result fail "dmesg: kernel reported problems"
else
	result ok "dmesg: clean"
fi
echo "PMAP_RESULT: $pass passed, $fail failed, $skip skipped"
sync
# pmap.off=reboot where the kernel cannot power off (the debug kernel has
# no PCI, so no ACPI): QEMU runs with -no-reboot, a reset ends it as well
[ "$(arg off poweroff)" != reboot ] || reboot -f
poweroff -f
