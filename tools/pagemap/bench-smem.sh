#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `pagemap pss --source kernel` against smem (Debian's package, run with
# Debian's /usr/bin/python3) over every process of this host: the same
# numbers, and the time each takes. Run as root from tools/pagemap after
# `make`; RUNS=N sets the timed runs of each (default 20).
#
#   sudo apt-get install --no-install-recommends smem
#   ./bench-smem.sh
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

# Warm both (page cache, dentries), then time RUNS runs of each, interleaved.
"$PAGEMAP" --source kernel pss --json >/dev/null 2>&1
"$PY" "$SMEM" -H -c "pid rss pss uss" >/dev/null
tp=0
ts=0
i=0
while [ $i -lt "$RUNS" ]; do
	t0=$(ms)
	"$PAGEMAP" --source kernel pss --json >"$T/pm.json" 2>/dev/null
	t1=$(ms)
	"$PY" "$SMEM" -H -c "pid rss pss uss" >"$T/smem.txt"
	t2=$(ms)
	tp=$((tp + t1 - t0))
	ts=$((ts + t2 - t1))
	i=$((i + 1))
done

# The numbers of the last runs, process by process.
"$PY" - "$T/pm.json" "$T/smem.txt" <<'EOF'
import json, sys
pm = {p["pid"]: p for p in json.load(open(sys.argv[1]))}
sm = {}
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) == 4:
        sm[int(f[0])] = dict(rss_kb=int(f[1]), pss_kb=int(f[2]), uss_kb=int(f[3]))
both = sorted(set(pm) & set(sm))
rss = sum(pm[p]["rss_kb"] == sm[p]["rss_kb"] for p in both)
uss = sum(pm[p]["uss_kb"] == sm[p]["uss_kb"] for p in both)
pss = sum(abs(pm[p]["pss_kb"] - sm[p]["pss_kb"]) * 100 <= sm[p]["pss_kb"] for p in both)
tot = lambda d, k: sum(d[p][k] for p in both)
print("processes: pagemap %d, smem %d, in both %d" % (len(pm), len(sm), len(both)))
print("Rss equal: %d/%d, Uss equal: %d/%d, Pss within 1%%: %d/%d" %
      (rss, len(both), uss, len(both), pss, len(both)))
print("totals (kB): Rss %d / %d, Pss %d / %d, Uss %d / %d (pagemap / smem)" %
      (tot(pm, "rss_kb"), tot(sm, "rss_kb"), tot(pm, "pss_kb"),
       tot(sm, "pss_kb"), tot(pm, "uss_kb"), tot(sm, "uss_kb")))
for p in both:
    a, b = pm[p], sm[p]
    if a["rss_kb"] != b["rss_kb"] or abs(a["pss_kb"] - b["pss_kb"]) * 100 > b["pss_kb"]:
        print("  differs: pid %d (%s): pagemap %d/%d/%d, smem %d/%d/%d" %
              (p, a["comm"], a["rss_kb"], a["pss_kb"], a["uss_kb"],
               b["rss_kb"], b["pss_kb"], b["uss_kb"]))
EOF
echo "time per run: pagemap $((tp / RUNS)) ms, smem $((ts / RUNS)) ms over $RUNS runs"
awk -v a="$tp" -v b="$ts" 'BEGIN { if (a == 0) a = 1; printf "ratio (smem / pagemap): %.1fx\n", b / a }'
