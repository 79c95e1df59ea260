# SPDX-License-Identifier: GPL-2.0
#
# TAP helpers shared by host-tests.sh and vm-pagemap.sh, sourced (bash,
# dash and busybox sh). The sourcing script sets T, a scratch directory,
# and PAGEMAP, the tool (default: pagemap from PATH); it ends with
# tap_done. The workload pids come back in $parent and $child.
# Its variables are for the scripts that source it:
# shellcheck shell=sh disable=SC2034

n=0
failed=0
wpid=

ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); echo "not ok $n $1"; failed=$((failed + 1)); }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}

# run ARGS...: runs the tool; status in $rc, output in $T/out and $T/err
run() {
	rc=0
	"${PAGEMAP:-pagemap}" "$@" >"$T/out" 2>"$T/err" || rc=$?
}

# fails_with STATUS PATTERN ARGS...: exits STATUS and says PATTERN on stderr
fails_with() {
	want=$1 pat=$2
	shift 2
	run "$@"
	if [ "$rc" != "$want" ] || ! grep -q -- "$pat" "$T/err"; then
		echo "# pagemap $*: exit $rc, stderr: $(cat "$T/err")"
		return 1
	fi
}

# smaps PID KEY: the kB of KEY in the process's smaps_rollup
smaps() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/smaps_rollup"; }

# workload_wait FILE: waits (at most 10 s) until the workload writing FILE
# has named its two pids; workload_pid FILE parent|child: one of them
workload_wait() {
	i=0
	while ! grep -q child= "$1" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
workload_pid() { sed -n "s/.*$2=\([0-9]*\).*/\1/p" "$1"; }

# start_workload CMD NPAGES: starts the workload (pmap_workload's
# interface) in the background and waits until it names its two pids
start_workload() {
	: >"$T/wl"
	"$1" "$2" >"$T/wl" &
	wpid=$!
	workload_wait "$T/wl"
	parent=$(workload_pid "$T/wl" parent)
	child=$(workload_pid "$T/wl" child)
	[ -n "$child" ] || { echo "Bail out! the workload did not start"; exit 1; }
}

# skip_all REASON: the whole test is skipped, for REASON
skip_all() { echo "ok 1 $tap_name # SKIP $1"; echo "1..1"; exit 0; }

# vm_setup NAME: in the VM, skips test NAME unless the static tool, the
# workload and the mounted module are there; makes $T
vm_setup() {
	tap_name=$1
	[ -x /bin/pagemap ] || skip_all "no /bin/pagemap (make tool STATIC=1)"
	[ -x /tests/pmap_workload ] || skip_all "no /tests/pmap_workload"
	[ -e /proc/pagemap/$$ ] || skip_all "the module is not mounted at /proc/pagemap"
	mkdir -p "$T"
}

# host_setup NAME: on the host, the TAP header, and test NAME skipped
# unless run as root (frame numbers are hidden from other users); from
# then on the workload, the pids in $bg and $T go at exit (tap_cleanup,
# which vm-files.sh uses too)
bg=
tap_cleanup() {
	[ -z "$wpid" ] || kill "$wpid" "${child:-$wpid}" 2>/dev/null || true
	for p in $bg; do
		kill "$p" 2>/dev/null || true
	done
	# the next test counts frames: the workload's must be let go of
	[ -z "$wpid" ] || gone "$wpid" "${child:-$wpid}"
	rm -rf "$T"
}

# gone PID...: waits (at most 5 s each) until the processes hold no memory
# (exited: a zombie has no mappings left)
gone() {
	for p; do
		i=0
		while [ $i -lt 50 ] && [ -n "$(cat "/proc/$p/maps" 2>/dev/null)" ]; do
			sleep 0.1
			i=$((i + 1))
		done
	done
}
host_setup() {
	tap_name=$1
	trap tap_cleanup EXIT INT TERM
	echo "TAP version 13"
	[ "$(id -u)" = 0 ] || skip_all "it reads frame numbers: run as root"
}

# tap_done: the plan and a summary; the status says whether all passed
tap_done() {
	echo "1..$n"
	echo "# $((n - failed)) passed, $failed failed"
	[ "$failed" = 0 ]
}
