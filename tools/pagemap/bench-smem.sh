#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `pagemap pss --source kernel` against smem (Debian's package, run with
# Debian's /usr/bin/python3) over every process of this host: the same
# numbers, and the time each takes (wall clock, and CPU time of the process:
# user + system). Run as root from tools/pagemap after `make`; RUNS=N sets
# the timed runs of each (default 20), in two rounds.
#
#   apt-get install --no-install-recommends smem
#   ./bench-smem.sh
#
# The ratio depends on the mix of processes: tests/bench-mix.c makes one of
# huge pages and scattered 4 KiB pages (docs/BENCHMARKS.md).
set -eu

PAGEMAP=${PAGEMAP:-./pagemap}
SMEM=${SMEM:-/usr/bin/smem}
PY=/usr/bin/python3
RUNS=${RUNS:-20}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM

if ! [ -x "$PY" ] || ! [ -r "$SMEM" ]; then
	echo "bench-smem: needs Debian's smem and /usr/bin/python3" >&2
	exit 1
fi

ms() { date +%s%N | cut -c1-13; }
# CPU milliseconds used so far by this shell's children (user + system)
# (`times` in the shell itself: a command substitution is another process)
cpu() {
	times >"$T/times"
	awk 'NR == 2 { for (i = 1; i <= 2; i++) {
		split($i, a, "m"); t += a[1] * 60000 + a[2] * 1000 } print int(t) }' "$T/times"
}
pm() { "$PAGEMAP" --source kernel pss --json >"$T/pm.json" 2>/dev/null; }
sm() { "$PY" "$SMEM" -H -c "pid rss pss uss" >"$T/smem.txt"; }

# loop FN N: runs FN N times; adds its wall and CPU ms to $wall and $cpu_
loop() {
	w0=$(ms)
	cpu >"$T/c0"
	c0=$(cat "$T/c0")
	i=0
	while [ $i -lt "$2" ]; do
		$1
		i=$((i + 1))
	done
	cpu >"$T/c1"
	wall=$((wall + $(ms) - w0)) cpu_=$((cpu_ + $(cat "$T/c1") - c0))
}

echo "host: Linux $(uname -r), $(nproc) cpus, load average$(uptime | sed 's/.*load average//')"
pm
sm
half=$(((RUNS + 1) / 2))
wall=0 cpu_=0
loop pm "$half"
pw=$wall pc=$cpu_
wall=0 cpu_=0
loop sm "$half"
sw=$wall sc=$cpu_
wall=$pw cpu_=$pc
loop pm "$half"
pw=$wall pc=$cpu_
wall=$sw cpu_=$sc
loop sm "$half"
sw=$wall sc=$cpu_
runs=$((2 * half))

# One more of each, back to back, to compare the numbers process by process.
pm
sm
sed -n 's/.*"pid": \([0-9]*\),.*/\1/p' "$T/pm.json" | while read -r p; do
	echo "$p $({ wc -l <"/proc/$p/maps"; } 2>/dev/null || echo 0)"
done >"$T/nvma"
# What the processes map: their resident size, and how much of it is THP.
sed -n 's/.*"pid": \([0-9]*\),.*/\1/p' "$T/pm.json" | while read -r p; do
	cat "/proc/$p/smaps_rollup" 2>/dev/null || true
done | awk '$1 == "Rss:" { r += $2 } $1 ~ /^(AnonHugePages|ShmemPmdMapped|FilePmdMapped):$/ { h += $2 }
	END { printf "their Rss added up: %.2f GiB, %.2f GiB of it in transparent huge pages (smaps_rollup)\n",
	      r / 1048576, h / 1048576 }'
"$PY" - "$T/pm.json" "$T/smem.txt" "$T/nvma" <<'EOF'
import json, sys
pm = {p["pid"]: p for p in json.load(open(sys.argv[1]))}
sm = {}
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) == 4:
        sm[int(f[0])] = dict(rss_kb=int(f[1]), pss_kb=int(f[2]), uss_kb=int(f[3]))
nvma = dict(tuple(int(x) for x in l.split()) for l in open(sys.argv[3]))
both = sorted(set(pm) & set(sm))
# smem adds up the Pss line of every mapping in smaps, each rounded down to
# a kB: its total may be short by up to one kB per mapping.
def pss_ok(p):
    d = pm[p]["pss_kb"] - sm[p]["pss_kb"]
    return abs(d) * 100 <= sm[p]["pss_kb"] or 0 <= d <= nvma.get(p, 0)
rss = sum(pm[p]["rss_kb"] == sm[p]["rss_kb"] for p in both)
uss = sum(pm[p]["uss_kb"] == sm[p]["uss_kb"] for p in both)
pss = sum(pss_ok(p) for p in both)
tot = lambda d, k: sum(d[p][k] for p in both)
print("processes: pagemap %d, smem %d, in both %d" % (len(pm), len(sm), len(both)))
print("Rss equal: %d/%d, Uss equal: %d/%d, Pss equal within 1%% or smem's rounding: %d/%d" %
      (rss, len(both), uss, len(both), pss, len(both)))
print("totals (kB): Rss %d / %d, Pss %d / %d, Uss %d / %d (pagemap / smem)" %
      (tot(pm, "rss_kb"), tot(sm, "rss_kb"), tot(pm, "pss_kb"),
       tot(sm, "pss_kb"), tot(pm, "uss_kb"), tot(sm, "uss_kb")))
for p in both:
    a, b = pm[p], sm[p]
    if a["rss_kb"] != b["rss_kb"] or a["uss_kb"] != b["uss_kb"] or not pss_ok(p):
        print("  differs: pid %d (%s): pagemap %d/%d/%d, smem %d/%d/%d (rss/pss/uss)" %
              (p, a["comm"], a["rss_kb"], a["pss_kb"], a["uss_kb"],
               b["rss_kb"], b["pss_kb"], b["uss_kb"]))
EOF
echo "per run, over $runs runs each: pagemap $((pw / runs)) ms wall, $((pc / runs)) ms CPU;" \
	"smem $((sw / runs)) ms wall, $((sc / runs)) ms CPU"
awk -v pw="$pw" -v sw="$sw" -v pc="$pc" -v sc="$sc" 'BEGIN {
	if (pw < 1) pw = 1; if (pc < 1) pc = 1
	printf "ratio smem / pagemap: %.1fx wall, %.1fx CPU\n", sw / pw, sc / pc }'
