#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of pss --format prometheus, who, files and whole-system
# captures, against this kernel's own /proc/PID/pagemap (--source kernel).
# TAP output; exits non-zero if any test failed. Run as root: frame
# numbers are hidden from other users. The expected answers come from
# tests/oracle.py, which reads /proc/PID/maps and /proc/PID/pagemap itself.
#
# Checks written as `check NAME eval '...'` expand when they run:
# shellcheck disable=SC2016
set -eu

PAGEMAP=${PAGEMAP:-./pagemap}
WORKLOAD=${WORKLOAD:-../../build/selftests/pmap_workload}
PY=${PYTHON:-python3}
ORACLE=$(dirname "$0")/oracle.py
NPAGES=256
T=$(mktemp -d "${TMPDIR:-/tmp}/pagemap-files.XXXXXX")
# shellcheck source=tap.sh
. "$(dirname "$0")/tap.sh"

host_setup "host file tests"
start_workload "$WORKLOAD" "$NPAGES"
# shellcheck disable=SC2034 # used in the evals below
wcomm=$(cat "/proc/$parent/comm")

# --- pss --format prometheus ---
# Names the format must escape: a quote and a backslash; an invalid byte.
chmod 755 "$T"
cp /bin/sleep "$T/q\"b\\s"
"$T/q\"b\\s" 60 &
qpid=$!
cp /bin/sleep "$(printf '%s/sl\303\251ep\377' "$T")"
"$(printf '%s/sl\303\251ep\377' "$T")" 60 &
upid=$!
bg="$bg $qpid $upid"
sleep 0.2
if ! command -v promtool >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install \
		-y -q --no-install-recommends prometheus >"$T/apt" 2>&1 || true
fi
run --source kernel pss --format prometheus
cp "$T/out" "$T/prom"
if command -v promtool >/dev/null; then
	check "pss --format prometheus: promtool check metrics accepts it" \
		eval '[ "$rc" = 0 ] && promtool check metrics <"$T/prom"'
	run --source kernel pss --format prometheus --by user
	check "pss --format prometheus --by user: promtool check metrics accepts it" \
		eval '[ "$rc" = 0 ] && promtool check metrics <"$T/out"'
else
	skip "pss --format prometheus: promtool check metrics accepts it" \
		"no promtool (Debian's prometheus package)"
fi
check "pss --format prometheus: a HELP and a TYPE gauge line per metric" \
	eval 'for m in rss pss uss swap; do grep -q "^# HELP pagemap_${m}_bytes " "$T/prom" &&
		grep -q "^# TYPE pagemap_${m}_bytes gauge$" "$T/prom" || exit 1; done'
check "pss --format prometheus: quote and backslash escaped in a label value" \
	grep -q "^pagemap_rss_bytes{pid=\"$qpid\",comm=\"q\\\\\"b\\\\\\\\s\"} [0-9]" "$T/prom"
check "pss --format prometheus: an invalid byte of a comm as U+FFFD" \
	grep -q "^pagemap_rss_bytes{pid=\"$upid\",comm=\"$(printf 'sl\303\251ep\357\277\275')\"} [0-9]" "$T/prom"
# prom_vs_json [--by name]: each sample is the JSON's kB times 1024, for the
# workload (static: the frames it maps are its own, the same in both runs)
prom_vs_json() {
	run --source kernel pss --json "$@" "$parent" "$child"
	cp "$T/out" "$T/pss.json"
	run --source kernel pss --format prometheus "$@" "$parent" "$child"
	[ "$rc" = 0 ] || return 1
	"$PY" "$ORACLE" prom "$T/pss.json" "$T/out"
}
check "pss --format prometheus: every sample is the JSON's size in bytes" prom_vs_json
check "pss --format prometheus --by name: every group's sample is the JSON's" \
	prom_vs_json --by name
check "pss --format prometheus --total: exit 2" \
	fails_with 2 "total" --source kernel pss --format prometheus --total
check "pss --format of no such format: exit 2" \
	fails_with 2 "format takes" --source kernel pss --format yaml
check "pss --format prometheus --json: exit 2" \
	fails_with 2 "one of them" --source kernel pss --format prometheus --json

# --- who ---
# Frames of the workload: shared by parent and child (the shared mapping,
# the private pages the child inherited, the text), each found by the
# oracle reading every process's page map.
pfns=$("$PY" "$ORACLE" pick "$parent" "$NPAGES")
echo "# frames of the workload: $pfns"
# shellcheck disable=SC2086 # a list of frame numbers
{
	run --source kernel who --json $pfns
	check "who PFN...: exactly the processes and addresses that map them, as every page map says" \
		eval '[ "$rc" = 0 ] && "$PY" "$ORACLE" who "$T/out" $pfns'
	first=${pfns%% *}
	run --source kernel who --json --range $((first - 64))-$((first + 64))
	check "who --range: the workload's mappings of the 129 frames around one, as its page maps say" \
		eval '[ "$rc" = 0 ] && "$PY" "$ORACLE" who "$T/out" --pids "$parent,$child" $((first - 64))-$((first + 64))'
	run --source kernel who "$(printf '0x%x' "$first")"
	check "who 0xPFN, text: a header and the two processes mapping it" \
		eval '[ "$rc" = 0 ] && grep -q "^ *PFN  *PID  *COMM  *ADDRESS  *MAPPING" "$T/out" &&
			[ "$(grep -c -e " $parent  *$wcomm " -e " $child  *$wcomm " "$T/out")" = 2 ]'
}
check "who without frames: exit 2" fails_with 2 "frame numbers or --range" --source kernel who
check "who of something that is not a frame number: exit 2" \
	fails_with 2 "'12z' is not a frame number" --source kernel who 12z
check "who --range backwards: exit 2" fails_with 2 "comes before" --source kernel who --range 10-9
check "--range given to pss: exit 2" fails_with 2 "option of who" --source kernel pss --range 1-2

# --- files ---
# The workload's rows (its static binary, its shared mapping, the anonymous
# memory of each process), whose frames no other process maps: against
# every process's page map read by the oracle.
run --source kernel files --json
check "files --json: the workload's rows, frames, processes, Pss, Rss and size as the page maps say" \
	eval '[ "$rc" = 0 ] && "$PY" "$ORACLE" files "$T/out" "$parent,$child"'
run --source kernel files --json "$parent"
check "files PID: the rows counted over that process only (Pss from every process's mappings)" \
	eval '[ "$rc" = 0 ] && "$PY" "$ORACLE" files "$T/out" "$parent" --only "$parent"'
run --source kernel files --json --pid "$parent"
check "files --pid PID: the files it maps over every process, with its own Pss and Rss of each" \
	eval '[ "$rc" = 0 ] && "$PY" "$ORACLE" files "$T/out" "$parent,$child" --view "$parent"'
# shellcheck disable=SC2034 # used in the evals below
wl=$(readlink -f "$WORKLOAD")
if "$PAGEMAP" help | grep -q "sections.*(libelf)"; then
	run --source kernel files --json --sections "$parent" "$child"
	check "files --sections: the workload's frames per ELF section, as readelf -S places its pages" \
		eval '[ "$rc" = 0 ] && "$PY" "$ORACLE" sections "$T/out" "$wl" "$parent,$child"'
else
	skip "files --sections: the workload's frames per ELF section" "built without libelf"
fi
run --source kernel files --sort rss "$parent" "$child"
check "files, text: a header, rows sorted by Rss, the anonymous rows named by pid and comm" \
	eval '[ "$rc" = 0 ] && head -1 "$T/out" | grep -q "^ *PSS  *RSS  *FRAMES  *PROCS  *SIZE  *PATH$" &&
		grep -q "\[anon\] $parent $wcomm$" "$T/out" && grep -q " $wl$" "$T/out"'
files_sorted() {
	run --source kernel files --json --sort "$1" "$parent" "$child"
	"$PY" - "$T/out" "$1" <<'EOF'
import json, sys
d, k = json.load(open(sys.argv[1])), sys.argv[2]
keys = [r["path"] if k == "path" else r[k if k in ("frames", "processes") else k + "_kb"] or 0 for r in d]
sys.exit(not (len(d) >= 3 and keys == sorted(keys, reverse=k != "path")))
EOF
}
for key in path frames processes pss rss size; do
	check "files --sort $key: that order" files_sorted "$key"
done
check "files --sort of no such key: exit 2" fails_with 2 "sort takes path" --source kernel files --sort name
check "files with pids and --pid: exit 2" fails_with 2 "either pids or --pid" --source kernel files --pid 1 1
check "--sections given to pss: exit 2" fails_with 2 "options of files" --source kernel pss --sections
sh -c 'exit 0' &
gone=$!
wait "$gone" || true
check "files of a nonexistent pid: exit 1" fails_with 1 "pid $gone: no such process" --source kernel files "$gone"

# --- capture --all and --file ---
run --source kernel capture --all "$T/all.cap"
check "capture --all: exit 0, a gzip file holding the workload" \
	eval '[ "$rc" = 0 ] && [ "$(od -An -tx1 -N2 "$T/all.cap" | tr -d " ")" = 1f8b ] &&
		zcat "$T/all.cap" | grep -aq "^proc $parent "'
echo "# capture of $(zcat "$T/all.cap" | grep -ac "^proc ") processes: $(wc -c <"$T/all.cap") bytes"
# live_vs_file KIND ARGS...: the answer from the capture is the live one
live_vs_file() {
	kind=$1
	shift
	run --source kernel "$kind" --json "$@"
	cp "$T/out" "$T/live.json"
	run "$kind" --json --file "$T/all.cap" "$@"
	[ "$rc" = 0 ] && "$PY" "$ORACLE" same "$kind" "$T/live.json" "$T/out" "$parent,$child"
}
check "pss --file: the workload's Rss, Pss and Uss as live" live_vs_file pss "$parent" "$child"
check "files --file: the workload's rows as live" live_vs_file files "$parent" "$child"
# shellcheck disable=SC2086 # a list of frame numbers
check "who --file: the mappers of the workload's frames as live" live_vs_file who $pfns
check "share --file: the pages the two share as live" live_vs_file share "$parent" "$child"
run pss --json --file "$T/all.cap" "$parent"
check "pss --file: \"source\": \"capture\"" grep -q '"source": "capture"' "$T/out"
# Captures of made-up machines: their byte order, page and entry size
for shape in "1 12 8" "0 16 8" "0 12 4" "1 14 4"; do
	# shellcheck disable=SC2086
	set -- $shape
	"$PY" "$ORACLE" mkcap "$T/m.cap" "$1" "$2" "$3"
	# shellcheck disable=SC2034 # used in the evals below
	kb=$(((1 << $2) / 1024))
	run pss --json --file "$T/m.cap"
	check "pss --file of a capture (little $1, page shift $2, entry $3): Rss, Pss, Uss of the made-up processes" \
		eval '[ "$rc" = 0 ] && grep -q "\"pid\": 100, \"comm\": \"alpha\", \"source\": \"capture\", \"rss_kb\": $((6 * kb)), \"pss_kb\": $((5 * kb)), \"uss_kb\": $((4 * kb))" "$T/out" &&
			grep -q "\"pid\": 101, \"comm\": \"beta\", \"source\": \"capture\", \"rss_kb\": $((3 * kb)), \"pss_kb\": $((2 * kb)), \"uss_kb\": $kb" "$T/out"'
	# shellcheck disable=SC2034 # used in the evals below
	a1=$(printf %x $((0x101 << $2))) a2=$(printf %x $((0x501 << $2)))
	run who --json --file "$T/m.cap" 0x1001
	check "who --file of that capture: both mappers of a frame, at their addresses" \
		eval '[ "$rc" = 0 ] && grep -q "\"pfn\": 4097, \"pid\": 100, \"comm\": \"alpha\", \"address\": \"0x$a1\"" "$T/out" &&
			grep -q "\"pfn\": 4097, \"pid\": 101, \"comm\": \"beta\", \"address\": \"0x$a2\"" "$T/out"'
	run files --json --file "$T/m.cap"
	check "files --file of that capture: the shared file's frames, processes, Pss, Rss and size" \
		eval '[ "$rc" = 0 ] && grep -q "\"path\": \"/lib/x.so\", \"dev\": \"08:01\", \"inode\": 5, \"size_kb\": 40, \"frames\": 4, \"processes\": 2, \"pss_kb\": $((4 * kb)), \"rss_kb\": $((6 * kb))" "$T/out"'
done
run pss --json --by user --file "$T/m.cap"
check "pss --by user --file: the users the capture names" \
	eval '[ "$rc" = 0 ] && grep -q "\"group\": \"root\", \"processes\": 1" "$T/out" && grep -q "\"group\": \"user b\", \"processes\": 1" "$T/out"'
# Captures the VM lanes made (tests/captures/LANE-all.cap, with the pss the
# guest printed live in LANE-all.pss.json): decoded here, the same answers.
CAPTURES=${CAPTURES:-$(dirname "$0")/captures}
for cap in "$CAPTURES"/*-all.cap; do
	[ -f "$cap" ] || continue
	lane=$(basename "$cap" -all.cap)
	pids=$(sed -n 's/.*"pid": \([0-9]*\),.*/\1/p' "${cap%.cap}.pss.json" | tr '\n' ' ')
	# shellcheck disable=SC2086 # a list of pids
	run pss --json --file "$cap" $pids
	check "pss --file of the $lane lane's capture: what its guest said live ($(zcat -f "$cap" | sed -n 2p))" \
		eval '[ "$rc" = 0 ] && "$PY" "$ORACLE" same pss "${cap%.cap}.pss.json" "$T/out" "$(echo $pids | tr " " ",")"'
done
zcat "$T/m.cap" | sed '$d' | gzip >"$T/cut.cap"
check "a capture cut short: exit 1, says so" fails_with 1 "cut short" pss --file "$T/cut.cap"
check "a file that is not a capture: exit 1" fails_with 1 "not a whole pagemap capture" pss --file "$ORACLE"
check "--file given to maps: exit 2" fails_with 2 "capture --all for pss" maps --file "$T/m.cap" 1
check "--all given to pss: exit 2" fails_with 2 "option of capture" pss --all

tap_done
