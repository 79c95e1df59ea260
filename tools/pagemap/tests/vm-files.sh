#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# pss --format prometheus, who, files and whole-system captures against the
# module, in the test VM (busybox sh, TAP), each checked against the
# kernel's own page map or the tool's JSON.
# Needs /bin/pagemap, /tests/pmap_workload and the module at /proc/pagemap.
#
# Checks written as `check NAME eval '...'` expand when they run:
# shellcheck disable=SC2016
set -u

NPAGES=64
T=/tmp/vm-files.$$
# shellcheck source=tap.sh
. "$(dirname "$0")/tap.sh"

vm_setup vm-files
trap tap_cleanup EXIT

start_workload /tests/pmap_workload "$NPAGES"
ps=$(($(pagemap maps --json self | sed -n 's/.*"page_size": \([0-9]*\).*/\1/p')))
# The shared mapping (MAP_SHARED|MAP_ANONYMOUS: /dev/zero), its first frame
# as the kernel's own page map shows it, faulted into the child too.
start=$(awk -v sz=$((NPAGES * ps)) '$2 ~ /s$/ && $6 ~ /zero/ {
	split($1, r, "-"); print r[1]; exit }' "/proc/$parent/maps")
dd if="/proc/$child/mem" of=/dev/null bs="$ps" skip=$((0x$start / ps)) \
	count="$NPAGES" 2>/dev/null || echo "# could not read the child's shared pages"
pagemap --source kernel maps "$parent" >"$T/maps"
pfn=$(grep -A 1 "^0*$start-" "$T/maps" | sed -n 's/.*frames \(0x[0-9a-f]*\)+.*/\1/p')
echo "# shared mapping at 0x$start, first frame $pfn"

# --- pss --format prometheus ---
# prom_vs_json SOURCE: each sample of the workload's is its JSON kB * 1024
prom_vs_json() {
	run --source "$1" pss --json "$parent" "$child"
	cp "$T/out" "$T/json"
	run --source "$1" pss --format prometheus "$parent" "$child"
	[ "$rc" = 0 ] || return 1
	grep -q '^# TYPE pagemap_pss_bytes gauge$' "$T/out" || return 1
	for p in "$parent" "$child"; do
		for m in rss pss uss swap; do
			kb=$(grep "\"pid\": $p," "$T/json" |
				sed -n "s/.*\"${m}_kb\": \([0-9]*\).*/\1/p")
			got=$(sed -n "s/^pagemap_${m}_bytes{pid=\"$p\",comm=\"pmap_workload\"} //p" "$T/out")
			if [ -z "$kb" ] || [ "$got" != $((kb * 1024)) ]; then
				echo "# pid $p $m: json $kb kB, prometheus $got"
				return 1
			fi
		done
	done
}
check "pss --format prometheus --source module: the workload's samples are its JSON sizes in bytes" \
	prom_vs_json module
check "pss --format prometheus --source kernel: the same" prom_vs_json kernel

# --- who ---
# who_shared SOURCE: the first shared frame is mapped by the parent and the
# child, at the mapping's start, and by nobody else
who_shared() {
	run --source "$1" who --json "$pfn"
	[ "$rc" = 0 ] && [ -n "$pfn" ] || return 1
	cnt=$(grep -c '"pfn": ' "$T/out")
	for p in "$parent" "$child"; do
		grep -q "\"pfn\": $((pfn)), \"pid\": $p, \"comm\": \"pmap_workload\", \"address\": \"0x$start\"" "$T/out" ||
			{ echo "# pid $p missing: $(cat "$T/out")"; return 1; }
	done
	[ "$cnt" = 2 ] || { echo "# $cnt mappings: $(cat "$T/out")"; return 1; }
}
check "who --source module: the shared frame, in the parent and the child at the mapping's start" \
	who_shared module
check "who --source kernel: the same" who_shared kernel
run who --range "$pfn-$((pfn + 1))"
check "who --range, text: the parent and the child" \
	eval '[ "$rc" = 0 ] && grep -q " $parent  *pmap_workload  *0x$start " "$T/out" &&
		grep -q " $child  *pmap_workload  *0x$start " "$T/out"'

# --- files ---
# The shared mapping's row: NPAGES frames, two processes, Rss twice its
# size, Pss its size; the parent's own share of it with --pid.
kb=$((NPAGES * ps / 1024))
files_shared() {
	run --source "$1" files --json "$parent" "$child"
	row=$(grep '"path": "/dev/zero (deleted)"' "$T/out")
	echo "# $row"
	[ "$rc" = 0 ] && [ "$(echo "$row" | wc -l)" = 1 ] &&
		echo "$row" | grep -q "\"frames\": $NPAGES, \"processes\": 2, \"pss_kb\": $kb, \"rss_kb\": $((2 * kb))"
}
check "files --source module: the shared mapping's frames, processes, Pss and Rss" \
	files_shared module
check "files --source kernel: the same" files_shared kernel
run files --json --pid "$parent"
check "files --pid: the parent's own Pss and Rss of the shared mapping" \
	eval '[ "$rc" = 0 ] && grep "\"path\": \"/dev/zero (deleted)\"" "$T/out" |
		grep -q "\"pid_pss_kb\": $((kb / 2)), \"pid_rss_kb\": $kb}"'
run files "$parent"
check "files PID, text: a header and the parent's anonymous row" \
	eval '[ "$rc" = 0 ] && grep -q "^ *PSS  *RSS  *FRAMES  *PROCS  *SIZE  *PATH" "$T/out" &&
		grep -q "\[anon\] $parent pmap_workload" "$T/out"'

# --- capture --all, then --file ---
run capture --all "$T/all.cap"
# (gzip, or as it is where the tool was built without zlib)
check "capture --all: exit 0, the workload in it" \
	eval '[ "$rc" = 0 ] && { zcat "$T/all.cap" 2>/dev/null || cat "$T/all.cap"; } |
		grep -aq "^proc $parent "'
# same KIND ARGS...: the workload's lines of KIND --json, live and from the
# capture, without the source
same() {
	kind=$1
	shift
	run "$kind" --json "$@"
	grep -e "\"pid\": $parent" -e "\"pid\": $child" -e "/dev/zero" "$T/out" |
		sed 's/"source": "[a-z]*", //' >"$T/live"
	run "$kind" --json --file "$T/all.cap" "$@"
	grep -e "\"pid\": $parent" -e "\"pid\": $child" -e "/dev/zero" "$T/out" |
		sed 's/"source": "[a-z]*", //' >"$T/cap"
	if [ "$rc" != 0 ] || [ ! -s "$T/live" ] || ! cmp -s "$T/live" "$T/cap"; then
		diff "$T/live" "$T/cap" | head -n 6 | sed 's/^/# /'
		return 1
	fi
}
check "pss --file: the workload's Rss, Pss and Uss as live" same pss "$parent" "$child"
check "files --file: the workload's rows as live" same files "$parent" "$child"
check "who --file: the shared frame's mappers as live" same who "$pfn"

# The capture and the live answers on the console, for the host tests of
# captures made on other machines (tests/captures/README says how).
echo "# capture-all-begin $(uname -m) parent=$parent child=$child pfn=$pfn"
# (gzip already, unless the tool was built without zlib)
if zcat "$T/all.cap" >/dev/null 2>&1; then
	base64 "$T/all.cap"
else
	gzip -9 -c "$T/all.cap" | base64
fi
echo "# capture-all-end"
for kind in pss files; do
	run "$kind" --json "$parent" "$child"
	sed "s/^/# $kind-live: /" "$T/out"
done
run who --json "$pfn"
sed 's/^/# who-live: /' "$T/out"

tap_done
