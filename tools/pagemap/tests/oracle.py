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
oracle.py files FILES_JSON PID[,PID...] [--only P,Q] [--view P]: the rows of
the processes PID,... (their anonymous memory, and each file they map) as
every process's page map says: distinct frames, processes, Rss, Pss (each
mapping of a frame its share), file size, and with --sections each ELF
section's frames as readelf -S places them; --only: rows counted over
those processes only (files P Q); --view: that process's share of each row
(files --pid P).
oracle.py mkcap FILE LITTLE SHIFT ENTRY: a capture of a made-up machine
(byte order, page shift, entry size), gzip as capture --all writes them:
pid 100 (alpha) maps frames 0x1000-0x1003 of /lib/x.so and 0x2000-0x2001
anonymous, pid 101 (beta) 0x1000-0x1001 of the same file, 0x3000 and the
zero page (frame 9) anonymous.
oracle.py same KIND LIVE_JSON FILE_JSON PID[,PID...]: the answers for those
processes (pss, files, who or share) from a capture equal the live ones.
Exits 0 if all agree."""
import collections, gzip, json, os, re, struct, subprocess, sys

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


KPAGEFLAGS = []


def kpageflags(pfn):
    if not KPAGEFLAGS:
        KPAGEFLAGS.append(open("/proc/kpageflags", "rb"))
    KPAGEFLAGS[0].seek(pfn * 8)
    return struct.unpack("<Q", KPAGEFLAGS[0].read(8))[0]


def present(pid, mapping=False):
    """(address, pfn, mapping) of each present page of pid, from the
    kernel's page map; nothing for a process that cannot be read."""
    try:
        vmas = maps(pid)
        pm = open("/proc/%d/pagemap" % pid, "rb")
    except OSError:
        return
    with pm:
        for vma in vmas:
            start, end, _, _, name = vma
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
                        yield a + i * PS, e & ((1 << 55) - 1), vma if mapping else name


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


def sections(path):
    """(name, offset, end) of the SHF_ALLOC sections with file bytes."""
    out = []
    for line in subprocess.run(["readelf", "-SW", path], capture_output=True,
                               text=True).stdout.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+\S+\s+(\S*)", line)
        if m and "A" in m.group(5) and m.group(2) != "NOBITS" and int(m.group(4), 16):
            off = int(m.group(3), 16)
            out.append((m.group(1), off, off + int(m.group(4), 16)))
    return out


def section_of(secs, pgoff):
    lo, hi, best, at = pgoff * PS, pgoff * PS + PS, 0, "(no section)"
    for name, a, b in secs:
        o = min(b, hi) - max(a, lo)
        if o > best:
            best, at = o, name
    return at


def files(tool, pidlist, *args):
    asked = [int(p) for p in pidlist.split(",")]
    opts = dict(zip(args[::2], args[1::2]))
    only = {int(p) for p in opts["--only"].split(",")} if "--only" in opts else None
    view = int(opts["--view"]) if "--view" in opts else None
    # the mappings of the frames of those processes: (pfn, row key, pid)
    recs, paths = [], {}
    for pid in asked:
        for addr, pfn, (start, end, perms, inode, name) in present(pid, True):
            anon = not inode and (not name or name == "[heap]" or
                                  name.startswith("[stack") or name.startswith("[anon"))
            key = ("anon", pid) if anon else (inode, None) if inode else None
            if key and key[0] != "anon":
                paths[key] = "/proc/%d/map_files/%x-%x" % (pid, start, end)
            if key and not kpageflags(pfn) >> 24 & 1:    # KPF_ZERO_PAGE
                recs.append((pfn, key, pid))
    # how many times every process maps each of them
    mine = {r[0] for r in recs}
    count = collections.Counter(pfn for pid in pids() for _, pfn, _ in present(pid)
                                if pfn in mine)
    want = collections.defaultdict(lambda: {"frames": set(), "procs": set(), "rss": 0,
                                            "pss": 0, "vrss": 0, "vpss": 0})
    for pfn, key, pid in recs:
        share = (PS << 12) // count[pfn]
        w = want[key]
        if view == pid:
            w["vrss"] += PS
            w["vpss"] += share
        if only and pid not in only:
            continue
        w["frames"].add(pfn)
        w["procs"].add(pid)
        w["rss"] += PS
        w["pss"] += share
    rows = {}
    for r in json.load(open(tool, encoding="utf-8")):
        key = ("anon", r["pid"]) if "pid" in r else (r["inode"], None if r["inode"] else r["path"])
        rows[key] = r
    bad = 0
    for key in sorted(want, key=str):
        w, r = want.get(key), rows.get(key)
        if view and not w["vrss"]:
            # not the viewed process's: not shown
            print("# %s: not mapped by %d, tool %s" % (key, view, r and r["path"]))
            bad += r is not None
            continue
        exp = {"frames": len(w["frames"]), "processes": len(w["procs"]),
               "rss_kb": w["rss"] >> 10, "pss_kb": w["pss"] >> 22}
        if view:
            exp.update(pid_rss_kb=w["vrss"] >> 10, pid_pss_kb=w["vpss"] >> 22)
        got = {k: r.get(k) for k in exp} if r else None
        good = got == exp
        if key in paths and r:
            size = os.stat(paths[key]).st_size >> 10
            good = good and r["size_kb"] == size
        print("# %s %s: oracle %s, tool %s" % (key, r and r["path"], exp, got))
        bad += not good
    print("# %d rows compared, %d differ" % (len(want), bad))
    return 1 if bad or not want else 0


def files_sections(tool, path, pids):
    """Each section's frames and Rss of path, mapped by pids and by no other
    process (the workload), as readelf -S places its pages."""
    secs = sections(path)
    st = os.stat(path)
    want = collections.defaultdict(lambda: [set(), 0])
    for pid in (int(p) for p in pids.split(",")):
        offset = {int(l.split()[0].split("-")[0], 16): int(l.split()[2], 16)
                  for l in open("/proc/%d/maps" % pid)}
        for addr, pfn, (start, end, perms, inode, name) in present(pid, True):
            if inode == st.st_ino:
                at = section_of(secs, (offset[start] + addr - start) // PS)
                want[at][0].add(pfn)
                want[at][1] += PS
    row = [r for r in json.load(open(tool)) if r.get("inode") == st.st_ino][0]
    got = {s["name"]: (s["frames"], s["rss_kb"]) for s in row["sections"] if s["frames"]}
    exp = {k: (len(v[0]), v[1] >> 10) for k, v in want.items()}
    print("# sections of %s: oracle %s, tool %s" % (path, exp, got))
    return 0 if got == exp and ".text" in got else 1


def mkcap(path, little, shift, esize):
    little, shift, esize = int(little), int(shift), int(esize)
    fmt = ("<" if little else ">") + ("Q" if esize == 8 else "I")

    def run(vi, vpn, frames):
        return (b"run %d %d %d\n" % (vi, vpn, len(frames)) +
                b"".join(struct.pack(fmt, f) for f in frames))
    out = b"pagemap-capture 1\nmachine %d %d %d\nzero 9 1\n" % (little, shift, esize)
    out += b"proc 100 1 0 root alpha /a 0 2\n"
    out += b"vma %x %x r-xp 0 8:1 5 0 40960 /lib/x.so\n" % (0x100 << shift, 0x104 << shift)
    out += b"vma %x %x rw-p 0 0:0 0 0 -1 %%\n" % (0x200 << shift, 0x202 << shift)
    out += run(0, 0x100, [0x1000, 0x1001, 0x1002, 0x1003]) + run(1, 0x200, [0x2000, 0x2001])
    out += b"end\nproc 101 1 1000 user%20b beta /b 0 2\n"
    out += b"vma %x %x r-xp 0 8:1 5 0 40960 /lib/x.so\n" % (0x500 << shift, 0x502 << shift)
    out += b"vma %x %x rw-p 0 0:0 0 0 -1 [heap]\n" % (0x600 << shift, 0x602 << shift)
    out += run(0, 0x500, [0x1000, 0x1001]) + run(1, 0x600, [0x3000, 9])
    out += b"end\ndone\n"
    with gzip.open(path, "wb") as f:
        f.write(out)
    return 0


def same(kind, live, cap, pidlist):
    pids = {int(p) for p in pidlist.split(",")}
    a, b = json.load(open(live, encoding="utf-8")), json.load(open(cap, encoding="utf-8"))
    if kind == "pss":
        key = lambda d: sorted((r["pid"], r["rss_kb"], r["pss_kb"], r["uss_kb"]) for r in d
                               if r["pid"] in pids)
    elif kind == "files":
        key = lambda d: sorted((r["path"], r.get("pid"), r["frames"], r["processes"],
                                r["pss_kb"], r["rss_kb"], r["size_kb"]) for r in d
                               if r.get("pid", min(pids)) in pids and r["path"] != "[vdso]")
    elif kind == "who":
        key = lambda d: sorted((r["pfn"], r["pid"], r["address"]) for r in d)
    else:
        key = lambda d: d["shared_pages"]
    print("# %s live %s, capture %s" % (kind, key(a), key(b)))
    return 0 if key(a) == key(b) and key(a) else 1


if __name__ == "__main__":
    sys.exit({"prom": prom, "pick": pick, "who": who, "files": files,
              "sections": files_sections, "mkcap": mkcap, "same": same}[sys.argv[1]](*sys.argv[2:]))
