#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of the pagemap tool against this kernel's own
# /proc/PID/pagemap (--source kernel), and of decoding captured maps of every
# machine shape. TAP output; exits non-zero if any test failed.
# Run as root: frame numbers are hidden from other users.
#
# Checks written as `check NAME eval '...'` expand when they run:
# shellcheck disable=SC2016
set -eu

PAGEMAP=${PAGEMAP:-./pagemap}
WORKLOAD=${WORKLOAD:-../../build/selftests/pmap_workload}
PY=${PYTHON:-python3}
NPAGES=256
T=$(mktemp -d "${TMPDIR:-/tmp}/pagemap-test.XXXXXX")
# shellcheck source=tap.sh
. "$(dirname "$0")/tap.sh"

json_ok() { "$PY" -m json.tool "$T/out" >/dev/null; }

host_setup "host tests"

start_workload "$WORKLOAD" "$NPAGES"
sleep 0.2

# --- share ---
run --source kernel share --json "$parent" "$child"
check "share --json parses" json_ok
cp "$T/out" "$T/share.json"
share_pair() {
	"$PY" - "$T/share.json" "$NPAGES" "$(getconf PAGESIZE)" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
n, ps = int(sys.argv[2]), int(sys.argv[3])
pairs = [p for p in d["pairs"] if p["name1"].startswith("/dev/zero")
         and int(p["end1"], 16) - int(p["start1"], 16) == n * ps]
print("# shared_pages %d, /dev/zero pair %s" % (d["shared_pages"],
      [p["shared_pages"] for p in pairs]))
sys.exit(not (len(pairs) == 1 and pairs[0]["shared_pages"] == n
              and d["shared_pages"] >= 2 * n))
EOF
}
check "share after fork of $NPAGES written shared pages reports exactly $NPAGES" share_pair
run --source kernel share "$parent" "$child"
check "share plain output names both pids" grep -q "pid $parent .* pid $child .* share" "$T/out"

# --- pss against smaps_rollup ---
pss_vs_smaps() {
	pid=$1
	run --source kernel pss --json "$pid"
	[ "$rc" = 0 ] || return 1
	rss=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["rss_kb"])' "$T/out")
	pss=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["pss_kb"])' "$T/out")
	uss=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["uss_kb"])' "$T/out")
	krss=$(smaps "$pid" Rss)
	kpss=$(smaps "$pid" Pss)
	kuss=$(($(smaps "$pid" Private_Clean) + $(smaps "$pid" Private_Dirty)))
	echo "# pid $pid: tool Rss $rss Pss $pss Uss $uss, smaps_rollup Rss $krss Pss $kpss Private $kuss"
	[ "$rss" = "$krss" ] && [ "$uss" = "$kuss" ] || return 1
	d=$((pss - kpss))
	[ $d -lt 0 ] && d=$((-d))
	[ $((d * 100)) -le "$kpss" ]
}
# Rss only, for processes that share libraries with the rest of a busy host
rss_vs_smaps() {
	run --source kernel pss --json "$1"
	[ "$rc" = 0 ] || return 1
	rss=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["rss_kb"])' "$T/out")
	echo "# pid $1: tool Rss $rss, smaps_rollup Rss $(smaps "$1" Rss)"
	[ "$rss" = "$(smaps "$1" Rss)" ]
}
check "pss of the workload parent: Rss and Uss exact, Pss within 1% of smaps_rollup" pss_vs_smaps "$parent"
check "pss of the workload child: Rss and Uss exact, Pss within 1% of smaps_rollup" pss_vs_smaps "$child"

# The shared zero page, the huge zero page and hugetlb are not Rss (smaps).
# A Python process read-faults anonymous memory (small and THP-sized),
# writes 16 MiB it asks to be THP, and, if hugetlb pages can be reserved,
# maps and writes one.
hp_old=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
echo $((hp_old + 2)) >/proc/sys/vm/nr_hugepages 2>/dev/null || true
/usr/bin/python3 - "$T/zp" <<'EOF' &
import mmap, sys, time
ps = mmap.PAGESIZE
small = mmap.mmap(-1, 256 * ps, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                  prot=mmap.PROT_READ)
big = mmap.mmap(-1, 8 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                prot=mmap.PROT_READ)
if hasattr(mmap, "MADV_HUGEPAGE"):
    big.madvise(mmap.MADV_HUGEPAGE)
s = sum(small[i * ps] for i in range(256)) + sum(big[i * ps] for i in range(2048))
thp = mmap.mmap(-1, 16 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
if hasattr(mmap, "MADV_HUGEPAGE"):
    thp.madvise(mmap.MADV_HUGEPAGE)
for i in range(0, 16 << 20, ps):
    thp[i] = 1
huge = "none"
try:
    h = mmap.mmap(-1, 2 << 20, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS | 0x40000)
    h[0] = 1
    huge = "mapped"
except OSError:
    pass
open(sys.argv[1], "w").write(huge + "\n")
time.sleep(30)
EOF
zpid=$!
i=0
while [ ! -s "$T/zp" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
echo "# zero-page process $zpid, hugetlb: $(cat "$T/zp" 2>/dev/null)"
check "pss leaves out the zero page and the huge zero page: Rss equals smaps_rollup" \
	rss_vs_smaps "$zpid"
zero_present() {
	run --source kernel maps --json "$zpid"
	"$PY" - "$T/out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
# the read-faulted mappings are present in the page map
m = [v for v in d["mappings"] if v["perms"] == "r--p" and v["name"] == ""
     and v["present_pages"] >= 256]
print("# read-faulted mappings present: %s" % [v["present_pages"] for v in m])
sys.exit(not m)
EOF
}
check "maps shows the read-faulted zero pages as present" zero_present
# maps_vs_smaps PID: each mapping's Rss, private, shared and huge kB as
# /proc/PID/smaps says, and its Pss within 1% (and 4 kB of rounding). Of
# the files other processes map too (shared libraries of a busy host, in
# large folios whose pages the kernel counts by their average), only Rss
# and that private and shared add up to it.
maps_vs_smaps() {
	run --source kernel maps --json "$1"
	[ "$rc" = 0 ] || return 1
	"$PY" - "$T/out" "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
sm, cur = {}, None
for line in open("/proc/%s/smaps" % sys.argv[2]):
    f = line.split()
    if not f[0].endswith(":"):
        cur = tuple(int(x, 16) for x in f[0].split("-"))
        sm[cur] = {}
    elif len(f) > 1 and f[1].isdigit():
        sm[cur][f[0][:-1]] = int(f[1])
bad, huge = 0, 0
for m in d["mappings"]:
    s = sm.get((int(m["start"], 16), int(m["end"], 16)))
    if s is None:
        continue
    want = (s["Rss"], s["Private_Clean"] + s["Private_Dirty"],
            s["Shared_Clean"] + s["Shared_Dirty"],
            s.get("AnonHugePages", 0) + s.get("FilePmdMapped", 0) +
            s.get("ShmemPmdMapped", 0) + s["Private_Hugetlb"] + s["Shared_Hugetlb"])
    got = (m["rss_kb"], m["private_kb"], m["shared_kb"], m["huge_kb"])
    huge += m["huge_kb"]
    if m["inode"] and want[2]:
        good = got[0] == want[0] == got[1] + got[2]
    else:
        good = got == want and abs(m["pss_kb"] - s["Pss"]) <= s["Pss"] // 100 + 4
    if not good:
        bad += 1
        print("# %s %s: tool rss, private, shared, huge %s pss %d; smaps %s pss %d"
              % (m["start"], m["name"], got, m["pss_kb"], want, s["Pss"]))
print("# %d mappings, %d differ from smaps, %d kB huge" % (len(d["mappings"]), bad, huge))
sys.exit(bad)
EOF
}
check "maps: each mapping's Rss, Pss, private, shared and huge as smaps (zero pages, THP, hugetlb)" \
	maps_vs_smaps "$zpid"
check "maps: each mapping's Rss, Pss, private, shared and huge of the workload as smaps" \
	maps_vs_smaps "$parent"
if grep -q 'never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
	skip "maps: 16 MiB of written THP show as huge" "THP is disabled"
else
	check "maps: 16 MiB of written THP show as huge" \
		eval 'maps_vs_smaps "$zpid" && [ "$(smaps "$zpid" AnonHugePages)" -gt 0 ]'
fi
if grep -q mapped "$T/zp" 2>/dev/null; then
	hugetlb_rss() {
		run --source kernel maps --json "$zpid"
		grep -q '"hugetlb": true' "$T/out" && rss_vs_smaps "$zpid"
	}
	check "a hugetlb mapping is recognised and left out of Rss" hugetlb_rss
else
	skip "a hugetlb mapping is recognised and left out of Rss" "no hugetlb page could be reserved"
fi
kill "$zpid" 2>/dev/null || true
echo "$hp_old" >/proc/sys/vm/nr_hugepages 2>/dev/null || true

run --source kernel pss --json
check "pss of every process: exit 0 and --json parses" eval '[ "$rc" = 0 ] && json_ok'
check "pss of every process lists the workload" grep -q "\"pid\": $parent," "$T/out"
run --source kernel pss "$parent" "$child"
check "pss plain output: a header and a row per pid" \
	eval '[ "$(grep -c -e "^ *$parent " -e "^ *$child " "$T/out")" = 2 ] && grep -q "PSS" "$T/out"'

# A thread id stands for its process, scanned once: the same Pss as the pid.
/usr/bin/python3 -c 'import threading, time
threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
time.sleep(30)' &
tpid=$!
sleep 0.3
tid=
for d in /proc/"$tpid"/task/*; do
	[ "${d##*/}" = "$tpid" ] || tid=${d##*/}
done
pss_of_tid() {
	[ -n "$tid" ] || return 1
	run --source kernel pss --json "$tpid"
	cp "$T/out" "$T/pid.json"
	run --source kernel pss --json "$tid"
	[ "$rc" = 0 ] || return 1
	"$PY" - "$T/pid.json" "$T/out" "$tpid" <<'EOF'
import json, sys
p, t = (json.load(open(f))[0] for f in sys.argv[1:3])
print("# pid %d: pss %d; its thread: pid %d, pss %d" % (p["pid"], p["pss_kb"], t["pid"], t["pss_kb"]))
# the rest of the host moves between the two runs: Pss within 5% (the
# bug this catches, the mm counted twice, took a quarter off)
sys.exit(not (t["pid"] == int(sys.argv[3]) and t["rss_kb"] == p["rss_kb"] and
              abs(t["pss_kb"] - p["pss_kb"]) * 20 <= p["pss_kb"]))
EOF
}
check "pss TID reports the thread's process once: the same Rss and Pss (within 5%) as pss PID" pss_of_tid
kill "$tpid" 2>/dev/null || true

# Processes come and go during a scan of all: reported and skipped, never fatal.
churn() {
	i=0
	while [ $i -lt 200 ]; do
		/bin/true
		i=$((i + 1))
	done
}
churn &
cpid=$!
run --source kernel pss
wait "$cpid" || true
check "pss of all while processes exit: exit 0" test "$rc" = 0

# A progress line on a terminal (script(1) gives it one), none on a pipe.
if command -v script >/dev/null; then
	PAGEMAP_PROGRESS_AFTER=0 script -qec "$PAGEMAP --source kernel pss" /dev/null \
		>"$T/tty" 2>&1 </dev/null || true
	check "pss shows a progress line on a terminal" grep -q "scanning processes: [0-9]*/[0-9]*" "$T/tty"
	PAGEMAP_PROGRESS_AFTER=0 "$PAGEMAP" --source kernel pss >/dev/null 2>"$T/err" || true
	check "pss shows no progress line when stderr is not a terminal" \
		eval '! grep -q "scanning processes" "$T/err"'
else
	skip "pss shows a progress line on a terminal" "no script(1)"
fi

# --- pss: sorting, totals, units, filters, CSV, groups ---
# Three processes of distinct sizes (2, 8 and 16 MiB written), named pmhog,
# a sleeper named pmsleeper as root and as nobody, and a second workload,
# pmwork, as nobody.
chmod 755 "$T"
cp /usr/bin/python3 "$T/pmhog"
cp /bin/sleep "$T/pmsleeper"
cp "$WORKLOAD" "$T/pmwork"
setpriv --reuid=65534 --regid=65534 --clear-groups "$T/pmwork" 64 >"$T/wl2" &
bg="$bg $!"
workload_wait "$T/wl2"
hog() {
	"$T/pmhog" -c 'import sys, time
b = bytearray(int(sys.argv[1]) << 20)
for i in range(0, len(b), 4096):
    b[i] = 1
time.sleep(60)' "$1" &
}
hog 2
h1=$!
hog 16
h2=$!
hog 8
h3=$!
"$T/pmsleeper" 60 &
rsleeper=$!
setpriv --reuid=65534 --regid=65534 --clear-groups "$T/pmsleeper" 60 &
# shellcheck disable=SC2034 # used in an eval below
usleeper=$!
bg="$bg $h1 $h2 $h3 $rsleeper $usleeper"
sleep 1
# order KEY [OPTIONS]: pss of the set above sorted by KEY in JSON, CSV and
# text: the same order in the three, and the order KEY asks for.
order() {
	key=$1
	shift
	run --source kernel pss --json --sort "$key" "$@" "$h1" "$h2" "$h3" "$parent" "$child" "$rsleeper"
	[ "$rc" = 0 ] || return 1
	cp "$T/out" "$T/sort.json"
	run --source kernel pss --csv --sort "$key" "$@" "$h1" "$h2" "$h3" "$parent" "$child" "$rsleeper"
	cp "$T/out" "$T/sort.csv"
	run --source kernel pss -k --sort "$key" "$@" "$h1" "$h2" "$h3" "$parent" "$child" "$rsleeper"
	"$PY" - "$key" "$T/sort.json" "$T/sort.csv" "$T/out" "$@" <<'EOF'
import csv, json, sys
key, fj, fc, ft = sys.argv[1:5]
rev = "--reverse" in sys.argv[5:]
j = json.load(open(fj))
c = list(csv.DictReader(open(fc)))
t = [l.split() for l in open(ft).read().splitlines()[1:]]
pids = [[r["pid"] for r in j], [int(r["pid"]) for r in c], [int(r[0]) for r in t]]
f = {"pid": lambda r: r["pid"], "name": lambda r: (r["comm"], r["pid"])}.get(
    key, lambda r: (-r[key + "_kb"], r["comm"], r["pid"]))
want = [r["pid"] for r in sorted(j, key=f, reverse=rev)]
print("# --sort %s%s: json %s csv %s text %s" % (key, " --reverse" if rev else "", *pids))
sys.exit(not (pids[0] == pids[1] == pids[2] == want and len(want) == 6))
EOF
}
for key in pid name rss pss uss swap; do
	check "pss --sort $key: the order it asks for, the same in JSON, CSV and text" order "$key"
done
check "pss --sort rss --reverse: the other way round" order rss --reverse
check "pss --sort uss --reverse: the other way round" order uss --reverse

run --source kernel pss --json --total "$h1" "$h2" "$h3" "$parent"
total_ok() {
	"$PY" - "$T/out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
p, t = d["processes"], d["total"]
sums = {k: sum(r[k] for r in p) for k in ("rss_kb", "pss_kb", "uss_kb", "swap_kb")}
print("# total %s, sums %s" % (t, sums))
sys.exit(not (t["processes"] == len(p) == 4 and all(t[k] == v for k, v in sums.items())))
EOF
}
check "pss --json --total: {processes, total}, the total the sum of the processes" total_ok
run --source kernel pss --total -k "$h1" "$h2" "$h3" "$parent"
check "pss --total: a TOTAL line" grep -q "^ *TOTAL  *4 processes" "$T/out"
run --source kernel pss --csv --total "$h1" "$h2" "$h3" "$parent"
check "pss --csv --total: a TOTAL row" grep -q "^,TOTAL,kernel,[0-9]" "$T/out"

# units: -k, -m and --bytes print the JSON's kB as numbers
units() {
	run --source kernel pss --json "$parent"
	kb=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["rss_kb"])' "$T/out")
	run --source kernel pss "$1" "$parent"
	got=$(awk -v p="$parent" '$1 == p { print $3 }' "$T/out")
	echo "# rss_kb $kb, pss $1: $got"
	case $1 in
	-k) [ "$got" = "$kb" ] ;;
	-m) [ "$got" = $((kb / 1024)) ] ;;
	--bytes) [ "$got" = $((kb * 1024)) ] ;;
	esac
}
for u in -k -m --bytes; do
	check "pss $u: sizes as plain numbers in that unit" units "$u"
done

run --source kernel pss --json --name '^pmhog$'
check "pss --name REGEX: the three processes whose comm matches, and only them" \
	eval '[ "$rc" = 0 ] && "$PY" -c "import json,sys; d = json.load(open(sys.argv[1])); sys.exit(not (len(d) == 3 and all(r[\"comm\"] == \"pmhog\" for r in d)))" "$T/out"'
run --source kernel pss --json --user nobody --name '^pmsleeper$'
check "pss --user nobody: the sleeper of nobody, not root's" \
	eval '[ "$rc" = 0 ] && "$PY" -c "import json,sys; d = json.load(open(sys.argv[1])); sys.exit(not [r[\"pid\"] for r in d] == [$usleeper])" "$T/out"'
check "pss --user of no such user: exit 2" fails_with 2 "no such user" --source kernel pss --user no-such-user-here
check "pss --sort of no such key: exit 2" fails_with 2 "sort takes" --source kernel pss --sort size
check "pss --by of no such grouping: exit 2" fails_with 2 "by takes" --source kernel pss --by host
check "an option of pss given to maps: exit 2" fails_with 2 "options of pss" --source kernel maps --sort rss "$parent"
check "pss --name with a bad regex: exit 2" fails_with 2 "name '('" --source kernel pss --name '('

swap_ok() {
	run --source kernel pss --json "$parent"
	got=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["swap_kb"])' "$T/out")
	echo "# swap_kb $got, smaps_rollup Swap $(smaps "$parent" Swap)"
	[ "$got" = "$(smaps "$parent" Swap)" ]
}
check "pss swap_kb is smaps_rollup's Swap" swap_ok
run --source kernel pss --csv "$parent"
check "pss --csv: a header and a row of numbers" \
	eval 'head -1 "$T/out" | grep -q "^pid,comm,source,rss_kb,pss_kb,uss_kb,swap_kb$" && grep -q "^$parent,pmap_workload,kernel,[0-9]*,[0-9]*,[0-9]*,[0-9]*$" "$T/out"'

# --by: groups checked against frames counted on their own (tests/frames.py).
# /proc/kpagecount counts the mappings of processes the tool cannot read
# too: the groups are of static programs, whose frames no other process maps.
by_oracle() {
	run --source kernel pss --json --by "$1" --name "$2"
	[ "$rc" = 0 ] && "$PY" "$(dirname "$0")/frames.py" "$1" "$2" "$T/out"
}
check "pss --by name: processes, Rss and a Uss of the frames only the group maps, as /proc/kpagecount says" \
	by_oracle name '^(pmap_workload|pmwork)$'
check "pss --by user: the same, per user" by_oracle user '^(pmap_workload|pmwork)$'
one_group() {
	run --source kernel pss --json --by "$1" --name '^pmap_workload$'
	"$PY" - "$T/out" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("# groups %s" % d)
sys.exit(not (len(d) == 1 and d[0]["processes"] == 2 and d[0]["group"] == sys.argv[2]))
EOF
}
cg=$(sed -n 's/^0:://p' "/proc/$parent/cgroup")
[ -n "$cg" ] || cg=$(head -1 "/proc/$parent/cgroup" | cut -d: -f3-)
check "pss --by cgroup: the workload's two processes in its cgroup" one_group cgroup "$cg"
top=$parent
while up=$(awk '{ print $4 }' "/proc/$top/stat") && [ "$up" -gt 2 ]; do top=$up; done
check "pss --by tree: the workload's two processes in the tree below init they belong to" \
	one_group tree "$top $(cat "/proc/$top/comm")"
run --source kernel pss --by name --total --name '^pmhog$'
check "pss --by name --total, text: a group row and a TOTAL row" \
	eval 'grep -q "^pmhog  *3 " "$T/out" && grep -q "^TOTAL  *3 " "$T/out"'

# --- maps ---
run --source kernel maps --json "$parent"
check "maps --json parses" json_ok
maps_shared() {
	"$PY" - "$T/out" "$NPAGES" "$(getconf PAGESIZE)" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
n, ps = int(sys.argv[2]), int(sys.argv[3])
m = [v for v in d["mappings"] if v["name"].startswith("/dev/zero")
     and int(v["end"], 16) - int(v["start"], 16) == n * ps]
runs = sum(r["pages"] for r in m[0]["runs"]) if m else -1
sys.exit(not (len(m) == 1 and m[0]["present_pages"] == n and runs == n))
EOF
}
check "maps shows the $NPAGES present pages of the shared mapping" maps_shared
run --source kernel maps "$parent"
check "maps plain output has aligned columns and frame runs" \
	eval 'head -2 "$T/out" | grep -q "^ADDRESS  *PERM  *SIZE  *PRESENT  *RSS  *PSS  *PRIVATE  *SHARED  *HUGE  *NAME" && grep -q "frames 0x[0-9a-f]*+[0-9]" "$T/out"'

# --- names in JSON: UTF-8 kept as it is, other bytes as U+FFFD ---
cp /bin/sleep "$(printf '%s/sl\303\251ep\377' "$T")"
"$(printf '%s/sl\303\251ep\377' "$T")" 30 &
upid=$!
sleep 0.2
utf8_names() {
	run --source kernel "$1" --json "$upid"
	[ "$rc" = 0 ] || return 1
	"$PY" - "$T/out" "$1" <<'EOF'
import json, sys
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
if sys.argv[2] == "pss":
    names = [d[0]["comm"]]
else:
    names = [d["comm"]] + [v["name"].rsplit("/", 1)[-1] for v in d["mappings"]
                           if v["name"].rsplit("/", 1)[-1].startswith("sl")]
print("# %s names: %s" % (sys.argv[2], " ".join(ascii(n) for n in names)))
sys.exit((sys.argv[2] == "maps" and len(names) < 2) or
         any(n != "sl\u00e9ep\ufffd" for n in names))
EOF
}
check "pss --json keeps a UTF-8 comm intact, an invalid byte as U+FFFD" utf8_names pss
check "maps --json keeps UTF-8 comm and file names intact" utf8_names maps
kill "$upid" 2>/dev/null || true

# --- errors ---
check "a pid that is not a number: exit 1, named" fails_with 1 "'abc' is not a pid" maps abc
check "pid 0: exit 1" fails_with 1 "'0' is not a pid" --source kernel pss 0
sh -c 'exit 0' &
gone=$!
wait "$gone" || true
check "a nonexistent pid: exit 1, 'pid N: no such process'" \
	fails_with 1 "pid $gone: no such process" --source kernel maps "$gone"
check "share with a nonexistent pid: exit 1" \
	fails_with 1 "pid $gone: no such process" --source kernel share "$parent" "$gone"
check "pss of a nonexistent pid: exit 1" \
	fails_with 1 "pid $gone: no such process" --source kernel pss "$gone"
# A zombie: its parent execs sleep and never reaps it; the check waits
# until it is one (state Z), however slow the machine
sh -c 'sleep 0 & echo $! > "$1"; exec sleep 600' sh "$T/zpid" &
zparent=$!
zombie=
for _ in $(seq 300); do
	zombie=$(cat "$T/zpid" 2>/dev/null) &&
		[ "$(cut -d' ' -f3 "/proc/$zombie/stat" 2>/dev/null)" = Z ] && break
	sleep 0.1
done
check "a pid that has exited (zombie): exit 1, 'pid N: the process has exited'" \
	fails_with 1 "pid $zombie: the process has exited" --source kernel maps "$zombie"
kill "$zparent" 2>/dev/null || true
check "an unknown command: exit 2" fails_with 2 "unknown command" frobnicate
check "a bad --source: exit 2" fails_with 2 "module, kernel or auto" --source nfs maps 1
if [ -e /proc/pagemap/self ]; then
	skip "--source module without the module: exit 1" "the module is mounted here"
else
	check "--source module without the module: exit 1, says it is not mounted" \
		fails_with 1 "not mounted" --source module maps "$parent"
fi

if command -v setpriv >/dev/null; then
	asuser() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	# urun ARGS...: run, as nobody
	urun() {
		rc=0
		asuser "$PAGEMAP" "$@" >"$T/out" 2>"$T/err" || rc=$?
	}
	urun --source kernel maps "$parent"
	check "another user's process: exit 1, 'pid N: permission denied', its uid named" \
		eval '[ "$rc" = 1 ] && grep -q "pid $parent: permission denied: it runs as uid 0" "$T/err"'
	# Processes of nobody's own that nobody still may not read: one that
	# kept capabilities across setuid, one that is not dumpable.
	for kind in "caps dumpable" "nocaps nodump"; do
		# shellcheck disable=SC2086
		/usr/bin/python3 - $kind <<'EOF' &
import ctypes, os, sys, time
libc = ctypes.CDLL(None)
if sys.argv[1] == "caps":
    libc.prctl(8, 1, 0, 0, 0)          # PR_SET_KEEPCAPS
os.setgroups([])
os.setresgid(65534, 65534, 65534)
os.setresuid(65534, 65534, 65534)
if sys.argv[2] == "dumpable":
    libc.prctl(4, 1, 0, 0, 0)          # PR_SET_DUMPABLE
time.sleep(20)
EOF
		eval "${kind%% *}=\$!"
	done
	sleep 0.5
	# shellcheck disable=SC2154 # set by the eval above
	{
		urun --source kernel maps "$caps"
		check "nobody's process holding capabilities nobody lacks: exit 1, says so" \
			eval '[ "$rc" = 1 ] && grep -q "pid $caps: permission denied: it holds capabilities" "$T/err"'
		urun --source kernel maps "$nocaps"
		check "nobody's process that is not dumpable: exit 1, says so" \
			eval '[ "$rc" = 1 ] && grep -q "pid $nocaps: permission denied: it is not dumpable" "$T/err"'
		kill "$caps" "$nocaps" 2>/dev/null || true
	}
	setpriv --reuid=65534 --regid=65534 --clear-groups sleep 20 &
	upid=$!
	sleep 0.2
	urun --source kernel share "$upid" "$upid"
	check "without CAP_SYS_ADMIN share says frame numbers are hidden: exit 1" \
		eval '[ "$rc" = 1 ] && grep -q "frame numbers are hidden" "$T/err"'
	# pss without frame numbers: smaps_rollup's numbers, said once on stderr
	unpriv_pss() {
		urun --source kernel pss --json "$upid"
		[ "$rc" = 0 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q "smaps_rollup" "$T/err" || return 1
		"$PY" - "$T/out" "$(smaps "$upid" Rss)" "$(smaps "$upid" Pss)" \
			$(($(smaps "$upid" Private_Clean) + $(smaps "$upid" Private_Dirty))) <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))[0]
want = [int(x) for x in sys.argv[2:5]]
print("# as nobody: %s; smaps_rollup Rss, Pss, Private %s" % (r, want))
# Rss exact; Pss and Uss within 1% and two pages: a library page the
# process maps alone turns shared when another process maps it meanwhile
near = lambda a, b: abs(a - b) <= b // 100 + 8
sys.exit(not (r["source"] == "smaps" and r["rss_kb"] == want[0] and
              near(r["pss_kb"], want[1]) and near(r["uss_kb"], want[2])))
EOF
	}
	check "without CAP_SYS_ADMIN pss of one's own process: smaps_rollup's Rss, Pss, Uss, \"source\": \"smaps\", one line on stderr" \
		unpriv_pss
	unpriv_all() {
		urun --source kernel pss --json --sort rss
		[ "$rc" = 0 ] || return 1
		"$PY" - "$T/out" "$upid" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
uids = set()
for r in d:
    try:
        uids.add(open("/proc/%d/status" % r["pid"]).read().split("\nUid:")[1].split()[1])
    except OSError:
        pass
print("# as nobody: %d processes, uids %s" % (len(d), uids))
sys.exit(not (int(sys.argv[2]) in [r["pid"] for r in d] and uids == {"65534"}
              and all(r["source"] == "smaps" for r in d)))
EOF
	}
	check "without CAP_SYS_ADMIN pss of all: nobody's own processes, and only them" unpriv_all
	urun --source kernel pss --json --by user
	check "without CAP_SYS_ADMIN pss --by user: nobody's group" \
		eval '[ "$rc" = 0 ] && grep -q "\"group\": \"nobody\"" "$T/out"'
	urun --source kernel pss "$parent"
	check "without CAP_SYS_ADMIN pss of root's process: exit 1, permission denied" \
		eval '[ "$rc" = 1 ] && grep -q "pid $parent: permission denied" "$T/err"'
	urun --source kernel capture "$upid" "$T/ucap"
	check "without CAP_SYS_ADMIN capture fails: exit 1, frame numbers hidden, no file" \
		eval '[ "$rc" = 1 ] && grep -q "frame numbers are hidden.*capture" "$T/err" && [ ! -e "$T/ucap" ]'
	urun --source kernel maps "$upid"
	check "without CAP_SYS_ADMIN maps shows present pages, warns, no frames: exit 0" \
		eval '[ "$rc" = 0 ] && grep -q "present pages" "$T/out" && ! grep -q frames "$T/out" && grep -q "hidden" "$T/err"'
	kill "$upid" 2>/dev/null || true
else
	skip "permission errors" "setpriv is not installed"
fi

# --- captured maps of every machine shape ---
# put FILE LITTLE E VPN VALUE: write the entry of page VPN (value -1: absent).
put() {
	f=$1 le=$2 e=$3 vpn=$4 v=$5
	bytes=
	i=0
	while [ $i -lt "$e" ]; do
		if [ "$le" = 1 ]; then sh_=$((8 * i)); else sh_=$((8 * (e - 1 - i))); fi
		bytes="$bytes$(printf '\\%03o' $(((v >> sh_) & 255)))"
		i=$((i + 1))
	done
	# shellcheck disable=SC2059
	printf "$bytes" | dd of="$f" bs="$e" seek=$((vpn + 1)) conv=notrunc 2>/dev/null
}
# ones: 64 KiB of -1 entries, the filling of a capture around its entries.
dd if=/dev/zero bs=65536 count=1 2>/dev/null | tr '\000' '\377' >"$T/ones"
fill() { dd if="$T/ones" of="$1" bs=65536 seek=$(($2 / 65536)) conv=notrunc 2>/dev/null; }
# mkcap FILE LITTLE SHIFT E HIGHVPN: a header and a few entries, one far up
# (the file is sparse below it), as pagemap capture writes them.
mkcap() {
	f=$1 le=$2 s=$3 e=$4 hi=$5
	: >"$f"
	fill "$f" 0
	fill "$f" $(((hi + 1) * e))
	fill "$f" $(((hi + 2) * e))
	printf '%b' "\\0$(printf %03o "$le")\\0$(printf %03o "$s")\\0$(printf %03o "$e")\\0$(printf %03o "$e")" |
		dd of="$f" conv=notrunc 2>/dev/null
	[ "$e" = 8 ] && printf '\000\000\000\000' | dd of="$f" bs=4 seek=1 conv=notrunc 2>/dev/null
	put "$f" "$le" "$e" 16 0x1234
	put "$f" "$le" "$e" 17 0x1235
	put "$f" "$le" "$e" 18 -1
	put "$f" "$le" "$e" 19 0x99
	put "$f" "$le" "$e" 20 0
	put "$f" "$le" "$e" "$hi" 0x7abcd
	put "$f" "$le" "$e" $((hi + 1)) -1
}
dump_ok() {
	f=$1 le=$2 s=$3 e=$4 hi=$5
	run dump --json --file "$f"
	[ "$rc" = 0 ] || { cat "$T/err"; return 1; }
	"$PY" - "$T/out" "$le" "$s" "$e" "$hi" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
le, s, e, hi = (int(x) for x in sys.argv[2:])
want = [(16 << s, 2, [(16 << s, 0x1234, 2)]),
        (19 << s, 2, [(19 << s, 0x99, 1), (20 << s, 0, 1)]),
        (hi << s, 1, [(hi << s, 0x7abcd, 1)])]
got = [(int(r["start"], 16), r["pages"],
        [(int(x["addr"], 16), x["pfn"], x["pages"]) for x in r["runs"]])
       for r in d["ranges"]]
good = (d["little_endian"] == bool(le) and d["page_shift"] == s and
        d["entry_size"] == e and d["page_size"] == 1 << s and
        d["present_pages"] == 5 and got == want)
if not good:
    print("# got", d)
sys.exit(not good)
EOF
}
for shape in "x86_64 1 12 8 $((0x7ffff000))" "s390x 0 12 8 $((0x3fffff000))" \
	"i386 1 12 4 $((0xbfff0))" "ppc32-like 0 12 4 $((0xbfff0))" \
	"arm64-16k 1 14 8 $((0x1fffff00))" "ppc64el-64k 1 16 8 $((0x7fffff0))" \
	"big-endian-64k 0 16 8 $((0x7fffff0))"; do
	# shellcheck disable=SC2086
	set -- $shape
	mkcap "$T/cap-$1" "$2" "$3" "$4" "$5"
	check "dump of a captured $1 map (endian $2, page shift $3, entry size $4)" \
		dump_ok "$T/cap-$1" "$2" "$3" "$4" "$5"
done
run dump --file "$T/cap-i386"
check "dump plain output: header line and ranges" \
	eval 'grep -q "little-endian, 4096-byte pages (shift 12), 4-byte entries, 5 present pages" "$T/out" && grep -q "frames 0x99+1 0x0+1" "$T/out"'
# A capture cut short: decoded up to its last whole entry, and said so.
cp "$T/cap-x86_64" "$T/cut"
truncate -s -3 "$T/cut"
run dump --json --file "$T/cut"
check "dump of a capture cut inside an entry: exit 1, says truncated, decodes the rest" \
	eval '[ "$rc" = 1 ] && grep -q "truncated" "$T/err" && "$PY" -c "import json,sys; d = json.load(open(sys.argv[1])); sys.exit(not (d[\"truncated\"] and d[\"present_pages\"] == 5))" "$T/out"'
head -c 5 "$T/cap-x86_64" >"$T/cut"
check "dump of a capture cut inside its header: exit 1, says truncated" \
	fails_with 1 "truncated" dump --file "$T/cut"
printf 'not a pagemap' >"$T/bad"
check "dump of a file that is not a page map: exit 1" fails_with 1 "not a page map" dump --file "$T/bad"
check "dump of a missing file: exit 1" fails_with 1 "No such file" dump --file "$T/missing"

# Real captures from the foreign lanes, kept in tests/captures (see its
# README; scripts/check-arch.sh makes them again in build/captures): each
# decodes with its machine's header, busybox's text first, and as many
# present pages as the README counts.
CAPTURES=${CAPTURES:-tests/captures}
real_capture() {
	f=$CAPTURES/$1.bin le=$2 s=$3 e=$4 first=$5 present=$6
	run dump --json --file "$f"
	[ "$rc" = 0 ] || { cat "$T/err"; return 1; }
	"$PY" - "$T/out" "$le" "$s" "$e" "$first" "$present" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
le, s, e, first, present = (int(x, 0) for x in sys.argv[2:])
got = int(d["ranges"][0]["start"], 16) if d["ranges"] else None
print("# %s: little_endian %s, page shift %d, entry size %d, %d present pages, first at %s"
      % (d["file"], d["little_endian"], d["page_shift"], d["entry_size"],
         d["present_pages"], hex(got) if got is not None else None))
sys.exit(not (d["little_endian"] == bool(le) and d["page_shift"] == s and
              d["entry_size"] == e and d["present_pages"] == present and
              got == first))
EOF
}
for shape in "arm64 1 12 8 0x400000 350" "i386 1 12 4 0x8048000 366" \
	"s390x 0 12 8 0x1000000 394" "ppc64el 1 16 8 0x10000000 29" \
	"arm64-16k 1 14 8 0x400000 89"; do
	# shellcheck disable=SC2086
	set -- $shape
	if [ -f "$CAPTURES/$1.bin" ]; then
		check "dump of the real $1 capture: header, first page and present pages" \
			real_capture "$@"
	else
		skip "dump of the real $1 capture" "no $CAPTURES/$1.bin"
	fi
done

# capture then dump: the same present pages as maps.
run --source kernel capture "$parent" "$T/cap-self"
# shellcheck disable=SC2034 # used in the eval below
cap_rc=$rc
run --source kernel maps --json "$parent"
want=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["present_pages"])' "$T/out")
run dump --json --file "$T/cap-self"
got=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["present_pages"])' "$T/out" 2>/dev/null || echo none)
echo "# capture: maps present $want, dump of the capture present $got"
check "capture of the workload, then dump: the same present pages" \
	eval '[ "$cap_rc" = 0 ] && [ "$want" = "$got" ]'

# With the child gone, the parent's NPAGES private pages are mapped once: the
# kernel's page map flags them exclusive, and pss adds them up without
# counting their frames. They must still be in Rss and Uss, and only once.
kill "$child"
sleep 0.2
own_vs_smaps() {
	pss_vs_smaps "$parent" || return 1
	[ "$uss" -ge $((NPAGES * $(getconf PAGESIZE) / 1024)) ]
}
check "pss of the workload parent alone: its private pages in Uss; Rss and Uss exact, Pss within 1%" \
	own_vs_smaps

tap_done
