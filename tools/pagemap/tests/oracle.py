# SPDX-License-Identifier: GPL-2.0
"""The oracle of tests/host-files.sh: the answers of pss --format
prometheus, who, files and captures worked out on their own, from the
tool's JSON or from /proc/PID/maps and /proc/PID/pagemap.

oracle.py prom PSS_JSON PROM: every sample of the exposition is the JSON's
kB times 1024, for every row and metric, and nothing else is there.
Exits 0 if all agree."""
import json, re, sys

SAMPLE = re.compile(r'^(pagemap_\w+_bytes)\{(.*)\} (\d+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)",?')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def prom(pss_json, prom_file):
    rows = json.load(open(pss_json, encoding="utf-8"))
    want = {}
    for r in rows:
        key = (("group", r["group"]),) if "group" in r else \
            (("pid", str(r["pid"])), ("comm", r["comm"]))
        for m in ("rss", "pss", "uss", "swap"):
            want[("pagemap_%s_bytes" % m,) + key] = r[m + "_kb"] * 1024
    got = {}
    for line in open(prom_file, encoding="utf-8"):
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line.rstrip("\n"))
        if not m:
            print("# not a sample: %r" % line)
            return 1
        labels = tuple((k, unescape(v)) for k, v in LABEL.findall(m.group(2)))
        got[(m.group(1),) + labels] = int(m.group(3))
    print("# %d samples, %d expected" % (len(got), len(want)))
    bad = [k for k in set(want) | set(got) if want.get(k) != got.get(k)]
    for k in bad[:5]:
        print("# %s: want %s, got %s" % (k, want.get(k), got.get(k)))
    return 1 if bad or not want else 0


if __name__ == "__main__":
    sys.exit({"prom": prom}[sys.argv[1]](*sys.argv[2:]))
