# SPDX-License-Identifier: GPL-2.0
"""The oracle for pagemap pss --by: groups and their Uss computed on their
own, from /proc/PID/pagemap and /proc/kpagecount (how many times the kernel
maps each frame) instead of the tool's frame counts.

frames.py BY REGEX TOOL_JSON: groups the processes whose comm matches REGEX
by BY (name or user), and checks each group of the tool's JSON: the same
processes, Rss, and a Uss of the frames mapped only by its processes.
Exits 0 if all agree."""
import collections, json, os, pwd, re, struct, sys

PS = os.sysconf("SC_PAGE_SIZE")
KPF_ZERO_PAGE, KPF_HUGE, KPF_THP = 24, 17, 22


def frames(pid):
    """Frames of each present page of pid, one entry per mapping pte."""
    out = []
    with open("/proc/%d/pagemap" % pid, "rb") as pm, \
            open("/proc/%d/maps" % pid) as maps:
        for line in maps:
            f = line.split()
            start, end = (int(x, 16) for x in f[0].split("-"))
            if start >> 63 or "[vsyscall]" in line:
                continue
            pm.seek(start // PS * 8)
            raw = pm.read((end - start) // PS * 8)
            for (e,) in struct.iter_unpack("<Q", raw):
                if e >> 63 & 1:
                    out.append(e & ((1 << 55) - 1))
    return out


def kpage(path, pfn):
    with open(path, "rb") as f:
        f.seek(pfn * 8)
        return struct.unpack("<Q", f.read(8))[0]


def main():
    by, regex, tool = sys.argv[1], re.compile(sys.argv[2]), sys.argv[3]
    groups = collections.defaultdict(list)
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            comm = open("/proc/%s/comm" % d).read().rstrip("\n")
            uid = int(open("/proc/%s/status" % d).read().split("\nUid:")[1].split()[1])
            if not regex.search(comm) or not os.readlink("/proc/%s/exe" % d):
                continue
        except (OSError, IndexError):
            continue
        key = comm if by == "name" else pwd.getpwuid(uid).pw_name
        groups[key].append(int(d))
    got = {g["group"]: g for g in json.load(open(tool))}
    good = set(got) == set(groups)
    for key, pids in sorted(groups.items()):
        mine = collections.Counter()
        for pid in pids:
            mine.update(frames(pid))
        rss = uss = 0
        for pfn, n in mine.items():
            flags = kpage("/proc/kpageflags", pfn)
            if flags >> KPF_ZERO_PAGE & 1:
                continue
            rss += n
            if kpage("/proc/kpagecount", pfn) == n:
                uss += 1
        g = got.get(key, {})
        want = (len(pids), rss * PS // 1024, uss * PS // 1024)
        have = (g.get("processes"), g.get("rss_kb"), g.get("uss_kb"))
        print("# group %s: processes, rss_kb, uss_kb: oracle %s, tool %s"
              % (key, want, have))
        good = good and want == have
    sys.exit(not good)


main()
