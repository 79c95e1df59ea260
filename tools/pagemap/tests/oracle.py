# SPDX-License-Identifier: GPL-2.0
"""The oracle of tests/host-files.sh: the answers of pss --format
prometheus, who, files and captures worked out on their own, from the
tool's JSON or from /proc/PID/maps and /proc/PID/pagemap.

oracle.py prom PSS_JSON PROM: every sample of the exposition is the JSON's
kB times 1024, for every row and metric, and nothing else is there.
oracle.py pick PID NPAGES: frame numbers of PID to ask who about: two of
its NPAGES-page shared mapping, two of its private one, one of its text.
oracle.py who WHO_JSON [--pids P,Q] FIRST-LAST|PFN...: every (pfn, pid,
address) that maps those frames, found by reading every process's maps
and page map, is in the tool's JSON, and nothing else (with --pids, only
those processes' are compared: a range holds frames of busy processes).
Exits 0 if all agree."""
import json, os, re, struct, sys

PS = os.sysconf("SC_PAGE_SIZE")

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


def maps(pid):
    """The mappings of pid: (start, end, perms, inode, name)."""
    out = []
    for line in open("/proc/%d/maps" % pid, encoding="utf-8", errors="surrogateescape"):
        f = line.split(None, 5)
        start, end = (int(x, 16) for x in f[0].split("-"))
        out.append((start, end, f[1], int(f[4]), f[5].strip() if len(f) > 5 else ""))
    return out


def present(pid):
    """(address, pfn, mapping) of each present page of pid, from the
    kernel's page map; nothing for a process that cannot be read."""
    try:
        vmas = maps(pid)
        pm = open("/proc/%d/pagemap" % pid, "rb")
    except OSError:
        return
    with pm:
        for start, end, _, _, name in vmas:
            if start >> 63 or name == "[vsyscall]":
                continue
            for a in range(start, end, 1 << 30):
                b = min(end, a + (1 << 30))
                try:
                    pm.seek(a // PS * 8)
                    raw = pm.read((b - a) // PS * 8)
                except OSError:
                    break
                for i, (e,) in enumerate(struct.iter_unpack("<Q", raw)):
                    if e >> 63 & 1:
                        yield a + i * PS, e & ((1 << 55) - 1), name


def pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit() and int(d) != os.getpid()]


def pick(pid, npages):
    pid, size = int(pid), int(npages) * PS
    shared = priv = text = None
    for start, end, perms, inode, name in maps(pid):
        if end - start == size and perms[3] == "s" and shared is None:
            shared = start
        elif end - start == size and perms == "rw-p" and not name and priv is None:
            priv = start
        elif perms[2] == "x" and inode and text is None:
            text = (start, end)
    pm = {a: p for a, p, _ in present(pid)}
    want = [shared, shared + PS, priv, priv + PS]
    want.append(min(a for a in pm if text[0] <= a < text[1]))
    print(" ".join(str(pm[a]) for a in want))
    return 0


def who(tool, *args):
    args = list(args)
    only = None
    if args[0] == "--pids":
        only = {int(p) for p in args[1].split(",")}
        args = args[2:]
    frames = []
    for a in args:
        lo, _, hi = a.partition("-")
        frames.append((int(lo, 0), int(hi or lo, 0)))
    want = set()
    for pid in pids():
        if only and pid not in only:
            continue
        for addr, pfn, _ in present(pid):
            if any(lo <= pfn <= hi for lo, hi in frames):
                want.add((pfn, pid, addr))
    got = {(h["pfn"], h["pid"], int(h["address"], 16)) for h in json.load(open(tool))
           if not only or h["pid"] in only}
    print("# who: %d mappings found by reading the page maps, %d from the tool, %d processes"
          % (len(want), len(got), len({h[1] for h in want})))
    for h in sorted(want ^ got)[:5]:
        print("# only %s: pfn %#x pid %d address %#x" % ((("oracle" if h in want else "tool"),) + h))
    return 1 if want != got or not want else 0


if __name__ == "__main__":
    sys.exit({"prom": prom, "pick": pick, "who": who}[sys.argv[1]](*sys.argv[2:]))
