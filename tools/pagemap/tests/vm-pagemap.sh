#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The pagemap tool against the module, in the test VM (busybox sh, TAP):
# share after a fork, pss against smaps_rollup, the module and the kernel
# page maps agree page for page, errors and their exit codes.
# Needs /bin/pagemap, /tests/pmap_workload and the module at /proc/pagemap.
#
# Checks written as `check NAME eval '...'` expand when they run:
# shellcheck disable=SC2016
set -u

NPAGES=64
T=/tmp/vm-pagemap.$$
# shellcheck source=tap.sh
. "$(dirname "$0")/tap.sh"

vm_setup vm-pagemap
zpid=
cleanup() {
	[ -z "$wpid" ] || kill "$wpid" 2>/dev/null
	[ -z "$zpid" ] || kill "$zpid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# field KEY: the numbers of "KEY": N in $T/out, one a line
field() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" "$T/out"; }

start_workload /tests/pmap_workload "$NPAGES"
ps=$(($(pagemap maps --json self | sed -n 's/.*"page_size": \([0-9]*\).*/\1/p')))
[ "$ps" -gt 0 ] || ps=4096

# The shared mapping: NPAGES pages, shared, /dev/zero (MAP_SHARED|MAP_ANONYMOUS).
shm=$(awk -v sz=$((NPAGES * ps)) '$2 ~ /s$/ && $6 ~ /zero/ {
	split($1, r, "-"); print r[1], r[2] }' "/proc/$parent/maps" | head -n 1)
# shellcheck disable=SC2086
set -- $shm
start=${1:-0} end=${2:-0}
[ $((0x$end - 0x$start)) = $((NPAGES * ps)) ] || echo "# shared mapping not found: '$shm'"
# A fork copies no page table entries of shared mappings: fault the pages
# into the child by reading them through /proc/PID/mem (as a debugger would).
dd if="/proc/$child/mem" of=/dev/null bs="$ps" skip=$((0x$start / ps)) \
	count="$NPAGES" 2>/dev/null || echo "# could not read the child's shared pages"

# --- share ---
run share --json "$parent" "$child"
pair=$(grep "\"start1\": \"0x$start\"" "$T/out" | grep "\"start2\": \"0x$start\"" |
	sed -n 's/.*"shared_pages": \([0-9]*\).*/\1/p')
echo "# share: $(field shared_pages | head -n 1) in all, $pair in the /dev/zero pair"
check "share after fork of $NPAGES written shared pages reports exactly $NPAGES" \
	eval '[ "$rc" = 0 ] && [ "$pair" = "$NPAGES" ]'
check "share --json has shared_pages" grep -q '"shared_pages": [0-9]' "$T/out"

# --- pss against smaps_rollup ---
pss_vs_smaps() {
	run pss --json "$1"
	rss=$(field rss_kb) pss=$(field pss_kb)
	krss=$(smaps "$1" Rss) kpss=$(smaps "$1" Pss)
	echo "# pid $1: pagemap Rss $rss Pss $pss, smaps_rollup Rss $krss Pss $kpss"
	[ "$rc" = 0 ] && [ -n "$rss" ] && [ "$rss" = "$krss" ] &&
		awk -v a="$pss" -v b="$kpss" 'BEGIN { d = a - b; if (d < 0) d = -d;
			exit !(d * 100 <= b) }'
}
check "pss of the workload parent: Rss equals smaps_rollup, Pss within 1%" \
	pss_vs_smaps "$parent"
check "pss of the workload child: Rss equals smaps_rollup, Pss within 1%" \
	pss_vs_smaps "$child"
run pss
check "pss of every process: exit 0, the workload listed" \
	eval '[ "$rc" = 0 ] && grep -q "^ *$parent " "$T/out"'

# Every process at once: Rss is the process's own, so it must equal
# smaps_rollup's exactly (Pss depends on who else maps a page, the reader of
# smaps_rollup included, so it is only shown). The tool and this shell are
# left out: they run.
all_rss() {
	run pss --json
	[ "$rc" = 0 ] || return 1
	sed -n 's/.*"pid": \([0-9]*\), "comm": "\([^"]*\)", "source": "[a-z]*", "rss_kb": \([0-9]*\), "pss_kb": \([0-9]*\).*/\1 \2 \3 \4/p' \
		"$T/out" >"$T/all"
	bad=0 cnt=0
	while read -r pid comm rss pss; do
		# this shell is running the comparison: not quiescent
		if [ "$pid" = $$ ]; then continue; fi
		[ "$comm" != pagemap ] || continue
		[ -r "/proc/$pid/smaps_rollup" ] || continue
		krss=$(smaps "$pid" Rss) kpss=$(smaps "$pid" Pss)
		[ -n "$krss" ] || continue
		cnt=$((cnt + 1))
		# a process that ran between the two reads (the busybox timeout
		# around this test, say) gets two more tries, one pid at a time
		for _ in 1 2; do
			[ "$rss" != "$krss" ] || break
			echo "# pid $pid ($comm): Rss $rss, smaps_rollup $krss: again"
			rss=$(pagemap pss --json "$pid" 2>/dev/null |
				sed -n 's/.*"rss_kb": \([0-9]*\).*/\1/p')
			krss=$(smaps "$pid" Rss)
		done
		if [ "$rss" != "$krss" ]; then
			echo "# pid $pid ($comm): Rss $rss, smaps_rollup $krss"
			bad=$((bad + 1))
		fi
		echo "# pid $pid ($comm): Rss $rss/$krss Pss $pss/$kpss"
	done <"$T/all"
	echo "# $cnt processes compared, $bad with another Rss"
	[ "$cnt" -gt 2 ] && [ "$bad" = 0 ]
}
check "pss of every process: each Rss equals its smaps_rollup Rss" all_rss

# --- zero pages: present in the page map, but not Rss (smaps) ---
# pmap_workload -z read-faults pages (the shared zero page) and a PMD-sized,
# MADV_HUGEPAGE region (the huge zero page, where the kernel maps it).
# other_workload X: pmap_workload -X in the background (zpid), writing $T/wX
other_workload() {
	: >"$T/w$1"
	/tests/pmap_workload "-$1" "$NPAGES" >"$T/w$1" &
	zpid=$!
	workload_wait "$T/w$1"
}
# ... and its end, with its child's: until they are gone, they share the
# binary's pages with the other workloads, as one map may see and the next not
other_workload_end() {
	kill "$zpid" 2>/dev/null
	wait "$zpid" 2>/dev/null || :
	zpid=
}
other_workload z
zparent=$(workload_pid "$T/wz" parent)
zero_rss() {
	[ -n "$zparent" ] || { echo "# pmap_workload -z did not start"; return 1; }
	run --source "$1" maps "$zparent"
	present=$(sed -n '1s/.*mappings, \([0-9]*\) present pages.*/\1/p' "$T/out")
	run --source "$1" pss --json "$zparent"
	rss=$(field rss_kb) krss=$(smaps "$zparent" Rss)
	echo "# source $1: $present pages present, pss Rss $rss kB, smaps_rollup Rss $krss kB," \
		"AnonHugePages $(smaps "$zparent" AnonHugePages) kB"
	[ "$rc" = 0 ] && [ -n "$rss" ] && [ "$rss" = "$krss" ] &&
		[ $((${present:-0} * ps / 1024)) -ge $((krss + NPAGES * ps / 1024)) ]
}
check "pss --source kernel: the zero pages are present but not Rss, as in smaps_rollup" \
	zero_rss kernel
check "pss --source module: the zero pages are present but not Rss, as in smaps_rollup" \
	zero_rss module
other_workload_end

# --- the two sources agree page for page ---
same_maps() {
	pagemap --source module maps "$1" >"$T/m1" 2>&1
	pagemap --source kernel maps "$1" >"$T/m2" 2>&1
	if ! cmp -s "$T/m1" "$T/m2"; then
		diff "$T/m1" "$T/m2" | head -n 10 | sed 's/^/# /'
		return 1
	fi
	grep -q "present pages" "$T/m1"
}
check "maps: --source module and --source kernel agree page for page (parent)" \
	same_maps "$parent"
check "maps: --source module and --source kernel agree page for page (child)" \
	same_maps "$child"
# A sparse address space (64 GiB, a page written per 64 MiB): the module's
# SEEK_DATA/SEEK_HOLE find the pages reading every entry finds.
other_workload s
sparent=$(workload_pid "$T/ws" parent)
sparse_maps() {
	[ -n "$sparent" ] || { echo "# pmap_workload -s did not start"; return 1; }
	same_maps "$sparent" || return 1
	present=$(sed -n '1s/.*mappings, \([0-9]*\) present pages.*/\1/p' "$T/m1")
	echo "# sparse: $present present pages"
	[ "${present:-0}" -ge 16 ]
}
check "maps: a sparse address space, found by seeks, agrees with the kernel's" \
	sparse_maps
other_workload_end
run --source module maps --json "$parent"
shm_present() {
	grep "\"start\": \"0x$start\"" "$T/out" | grep -q "\"present_pages\": $NPAGES,"
}
check "maps --source module: the $NPAGES pages of the shared mapping are present" \
	shm_present

# --- maps per mapping against smaps ---
# maps_vs_smaps SOURCE PID: each mapping's Rss as smaps says, Pss within 1%
maps_vs_smaps() {
	run --source "$1" maps --json "$2"
	[ "$rc" = 0 ] || return 1
	sed -n 's/.*"start": "0x\([0-9a-f]*\)".*"rss_kb": \([0-9]*\), "pss_kb": \([0-9]*\).*/\1 \2 \3/p' \
		"$T/out" >"$T/mm"
	awk 'NR == FNR { sub(/^0*/, "", $1); rss[$1] = $2; pss[$1] = $3; next }
		/^[0-9a-f]+-/ { split($1, r, "-"); a = r[1]; sub(/^0*/, "", a); next }
		$1 == "Rss:" { krss[a] = $2 }
		$1 == "Pss:" { kpss[a] = $2 }
		END {
			for (a in rss) {
				n++
				d = pss[a] - kpss[a]; if (d < 0) d = -d
				if (rss[a] != krss[a] || d > kpss[a] / 100 + 4) {
					print "# " a ": rss " rss[a] "/" krss[a] " pss " pss[a] "/" kpss[a]
					bad++
				}
			}
			print "# " n " mappings, " bad + 0 " differ from smaps"
			exit !(n > 3 && !bad)
		}' "$T/mm" "/proc/$2/smaps"
}
check "maps --source module: each mapping's Rss and Pss as smaps (parent)" \
	maps_vs_smaps module "$parent"
check "maps --source kernel: each mapping's Rss and Pss as smaps (parent)" \
	maps_vs_smaps kernel "$parent"

# --- pss: sorting, totals, units, filters, CSV, groups ---
: >"$T/w2"
/tests/pmap_workload $((NPAGES * 4)) >"$T/w2" &
w2pid=$!
workload_wait "$T/w2"
# sorted_by KEY FIELD CMP [OPTIONS]: three processes, each FIELD CMP the next
sorted_by() {
	key=$1 fld=$2 cmp=$3
	shift 3
	run --source module pss --json --sort "$key" "$@" "$parent" "$child" "$w2pid"
	[ "$rc" = 0 ] || return 1
	field "$fld" >"$T/sorted"
	echo "# --sort $key $*: $fld $(tr '\n' ' ' <"$T/sorted")"
	awk -v cmp="$cmp" 'NR > 1 && (cmp == "le" ? $1 > last : $1 < last) { bad = 1 }
		{ last = $1 } END { exit bad || NR != 3 }' "$T/sorted"
}
for key in rss pss uss swap; do
	check "pss --sort $key: largest first" sorted_by "$key" "${key}_kb" le
done
check "pss --sort rss --reverse: smallest first" sorted_by rss rss_kb ge --reverse
check "pss --sort pid: pid order" sorted_by pid pid ge
check "pss --sort name: by comm, then pid (all pmap_workload)" sorted_by name pid ge
check "pss --sort pid --reverse: the other way" sorted_by pid pid le --reverse
run --source module pss --json --total "$parent" "$child"
check "pss --json --total: processes and their total" \
	eval '[ "$rc" = 0 ] && grep -q "^{\"processes\": \[" "$T/out" && grep -q "\"total\": {\"processes\": 2," "$T/out"'
run --source module pss --csv "$parent"
check "pss --csv: a header and a row" \
	eval 'head -n 1 "$T/out" | grep -q "^pid,comm,source,rss_kb,pss_kb,uss_kb,swap_kb$" && grep -q "^$parent,pmap_workload,module," "$T/out"'
run --source module pss --json "$parent"
# shellcheck disable=SC2034 # used in the eval below
kb=$(field rss_kb)
run --source module pss -k "$parent"
# shellcheck disable=SC2034 # used in the eval below
got=$(awk -v p="$parent" '$1 == p { print $3 }' "$T/out")
check "pss -k: Rss as a number of KiB" eval '[ -n "$kb" ] && [ "$got" = "$kb" ]'
run --source module pss -m "$parent"
# shellcheck disable=SC2034 # used in the eval below
got=$(awk -v p="$parent" '$1 == p { print $3 }' "$T/out")
check "pss -m: Rss as a number of MiB" eval '[ -n "$kb" ] && [ "$got" = $((kb / 1024)) ]'
run --source module pss --bytes "$parent"
# shellcheck disable=SC2034 # used in the eval below
got=$(awk -v p="$parent" '$1 == p { print $3 }' "$T/out")
check "pss --bytes: Rss as a number of bytes" eval '[ -n "$kb" ] && [ "$got" = $((kb * 1024)) ]'
run --source module pss --json --name '^pmap_work'
check "pss --name: only the matching processes" \
	eval '[ "$rc" = 0 ] && [ "$(grep -c "\"comm\": \"pmap_workload\"" "$T/out")" = 4 ] && [ "$(grep -c "\"pid\"" "$T/out")" = 4 ]'
run --source module pss --json --user root "$parent"
check "pss --user root: root's process" eval '[ "$rc" = 0 ] && grep -q "\"pid\": $parent," "$T/out"'
# A group's Uss: frames only its processes map, each once; at least the
# sum of its processes' own, at most its Rss. Both sources agree on it.
by_name() {
	run --source "$1" pss --json --by name --name '^pmap_workload$'
	grep '"group": "pmap_workload"' "$T/out" >"$T/g"
	run --source "$1" pss --json --name '^pmap_workload$'
	uss=0
	for u in $(field uss_kb); do uss=$((uss + u)); done
	guss=$(sed -n 's/.*"uss_kb": \([0-9]*\).*/\1/p' "$T/g")
	grss=$(sed -n 's/.*"rss_kb": \([0-9]*\).*/\1/p' "$T/g")
	echo "# --source $1 --by name: $(cat "$T/g"); processes' Uss $uss"
	echo "$guss" >"$T/guss-$1"
	grep -q '"processes": 4,' "$T/g" && [ "$guss" -ge "$uss" ] && [ "$guss" -le "$grss" ]
}
check "pss --by name --source module: one group of 4, its Uss between its processes' and its Rss" \
	by_name module
check "pss --by name --source kernel: the same" by_name kernel
check "pss --by name: the module and the kernel page maps give the same group Uss" \
	cmp -s "$T/guss-module" "$T/guss-kernel"
for by in user cgroup tree; do
	run --source module pss --json --by "$by" --name '^pmap_workload$'
	check "pss --by $by: groups with group, processes, rss_kb, pss_kb, uss_kb" \
		eval '[ "$rc" = 0 ] && grep -q "\"group\": \".*\", \"processes\": [0-9]*, \"source\": \"module\", \"rss_kb\": [0-9]*, \"pss_kb\": [0-9]*, \"uss_kb\": [0-9]*" "$T/out"'
done
kill "$w2pid" 2>/dev/null

# --- capture and dump ---
run --source module capture "$parent" "$T/cap"
# shellcheck disable=SC2034 # used in the eval below
cap=$rc
run --source module maps --json "$parent"
want=$(field present_pages | head -n 1)
run dump --json --file "$T/cap"
got=$(field present_pages | head -n 1)
echo "# capture: maps $want present pages, dump of the capture $got"
check "capture then dump: the same present pages" \
	eval '[ "$cap" = 0 ] && [ "$want" = "$got" ]'

# --- errors ---
check "a pid that is not a number: exit 1" fails_with 1 "'x1' is not a pid" maps x1
sh -c 'exit 0' &
gone=$!
wait "$gone"
check "a nonexistent pid, module: exit 1, 'pid N: no such process'" \
	fails_with 1 "pid $gone: no such process" --source module maps "$gone"
check "a nonexistent pid, kernel: exit 1, 'pid N: no such process'" \
	fails_with 1 "pid $gone: no such process" --source kernel maps "$gone"
check "share with a nonexistent pid: exit 1" \
	fails_with 1 "pid $gone: no such process" share "$parent" "$gone"
run maps 2
check "a kernel thread: exit 0, no address space" \
	eval '[ "$rc" = 0 ] && grep -q "no address space" "$T/out"'
check "an unknown command: exit 2" fails_with 2 "unknown command" frob

# Processes that exit while pss scans everything are skipped, not fatal.
( i=0; while [ $i -lt 100 ]; do /bin/true; i=$((i + 1)); done ) &
cpid=$!
run pss
wait "$cpid"
check "pss of every process while processes exit: exit 0" [ "$rc" = 0 ]

if su nobody -s /bin/sh -c true 2>/dev/null; then
	asnobody() { su nobody -s /bin/sh -c "$1"; }
	# nrun CMD: runs the shell command CMD as nobody; status in $rc
	nrun() {
		rc=0
		asnobody "$1" >"$T/out" 2>"$T/err" || rc=$?
	}
	nrun "pagemap --source module maps $parent"
	check "another user's process, module: exit 1, permission denied" \
		eval '[ "$rc" = 1 ] && grep -q "pid $parent: permission denied" "$T/err"'
	nrun "pagemap --source kernel maps $parent"
	check "another user's process, kernel: exit 1, permission denied" \
		eval '[ "$rc" = 1 ] && grep -q "pid $parent: permission denied" "$T/err"'
	nrun 'sleep 5 & p=$!; pagemap share $p $p; r=$?; kill $p; exit $r'
	check "without CAP_SYS_ADMIN: share says frame numbers are hidden, exit 1" \
		eval '[ "$rc" = 1 ] && grep -q "frame numbers are hidden" "$T/err"'
	nrun 'sleep 5 & p=$!; pagemap maps $p; r=$?; kill $p; exit $r'
	check "without CAP_SYS_ADMIN: maps shows present pages without frames, exit 0" \
		eval '[ "$rc" = 0 ] && grep -q "present pages" "$T/out" && ! grep -q frames "$T/out"'
	for src in module kernel; do
		nrun "sleep 5 & p=\$!; pagemap --source $src pss --json \$p; r=\$?; kill \$p; exit \$r"
		check "without CAP_SYS_ADMIN, $src: pss of one's own process from smaps_rollup, exit 0" \
			eval '[ "$rc" = 0 ] && grep -q "\"source\": \"smaps\"" "$T/out" && grep -q smaps_rollup "$T/err"'
		nrun "sleep 5 & p=\$!; pagemap --source $src capture \$p /tmp/ucap.$$; r=\$?; kill \$p; exit \$r"
		check "without CAP_SYS_ADMIN, $src: capture fails, frame numbers hidden" \
			eval '[ "$rc" = 1 ] && grep -q "frame numbers are hidden" "$T/err"'
	done
else
	skip "permission errors" "no su to nobody"
fi

tap_done
