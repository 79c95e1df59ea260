// SPDX-License-Identifier: GPL-2.0
/*
 * Processes: pids, comm, /proc/<pid>/maps, and opening a process with
 * its page map.
 */
#include "pagemap.h"

/* A pid from the command line: digits only, or "self". */
int parse_pid(const char *s, pid_t *pid)
{
	unsigned long v;
	char *end;

	if (!strcmp(s, "self")) {
		*pid = getpid();
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		goto bad;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > INT_MAX)
		goto bad;
	*pid = v;
	return 0;
bad:
	pm_err("'%s' is not a pid", s);
	return -1;
}

/*
 * A subcommand's arguments: exactly @want of them, the first @npids of
 * them pids. Returns 0, or the exit status once it has said what is wrong
 * (@usage: what the subcommand takes).
 */
int parse_args(int argc, char **argv, int want, pid_t *pids, int npids,
	       const char *usage)
{
	int i;

	if (argc != want) {
		pm_err("%s (see pagemap --help)", usage);
		return EXIT_USAGE;
	}
	for (i = 0; i < npids; i++)
		if (parse_pid(argv[i], &pids[i]))
			return EXIT_FAIL;
	return 0;
}

const char *why(int err)
{
	switch (err) {
	case ENOENT:
		return "no such process";
	case ESRCH:
		return "the process has exited";
	case ENODEV:
		return "no page map: the pagemap module is not mounted at " PMAP_MOUNT;
	case EACCES:
	case EPERM:
		return "permission denied";
	case EPROTO:
		return "the page map has a header this tool does not understand";
	default:
		return strerror(err);
	}
}

/* The process (thread group) of a thread id; the id itself if unknown. */
pid_t proc_tgid(pid_t pid)
{
	char path[64], *buf, *p;
	long v = pid;

	if (cap_active)
		return pid;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (slurp(path, &buf, NULL))
		return pid;
	p = strstr(buf, "\nTgid:");
	if (p)
		v = strtol(p + 6, NULL, 10);
	free(buf);
	return v > 0 ? v : pid;
}

/* 1 if the process is a zombie (or dead), 0 if alive, -errno if unknown. */
int proc_exited(pid_t pid)
{
	char path[64], *buf, *p;
	int ret;

	if (cap_active)
		return !!cap_info(pid, NULL, NULL, NULL, NULL, NULL);
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	ret = slurp(path, &buf, NULL);
	if (ret)
		return ret == -ENOENT || ret == -ESRCH ? 1 : ret;
	p = strrchr(buf, ')');
	ret = p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
	free(buf);
	return ret;
}

/*
 * Whether the process has no memory of its own: a kernel thread or a
 * zombie has no mm, so no exe link. A readlink() that fails with ENOENT
 * costs a third of opening and reading its empty maps (60 kernel threads
 * on a small host: 0.4 ms less per scan of every process).
 */
static bool proc_has_no_mm(pid_t pid)
{
	char path[64], target[8];

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	return readlink(path, target, sizeof(target)) < 0 && errno == ENOENT;
}

void proc_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	ssize_t n = -1;
	struct proc p;
	struct reader r;
	int fd;

	if (cap_active) {
		snprintf(comm, len, "?");
		if (!cap_open(&p, pid, &r)) {
			snprintf(comm, len, "%s", p.comm);
			proc_free(&p);
		}
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, comm, len - 1);
		close(fd);
	}
	if (n < 0)
		n = snprintf(comm, len, "?");
	comm[n] = 0;
	while (n && comm[n - 1] == '\n')
		comm[--n] = 0;
}

void proc_free(struct proc *p)
{
	size_t i;

	for (i = 0; i < p->nr_vmas; i++)
		free(p->vmas[i].name);
	free(p->vmas);
	p->vmas = NULL;
	p->nr_vmas = 0;
}

static bool hugetlbfs_dev_mounted(unsigned int major, unsigned int minor)
{
	static struct { unsigned int major, minor; } *devs;
	static size_t ndevs, cap;
	static bool loaded;
	size_t i;

	if (!loaded) {
		char *buf, *line, *save;

		loaded = true;
		if (!slurp("/proc/self/mountinfo", &buf, NULL)) {
			for (line = strtok_r(buf, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save)) {
				unsigned int ma, mi;
				char *sep = strstr(line, " - ");

				if (!sep || strncmp(sep + 3, "hugetlbfs ", 10) ||
				    sscanf(line, "%*u %*u %u:%u", &ma, &mi) != 2)
					continue;
				grow(&devs, &cap, ndevs + 1, sizeof(*devs));
				devs[ndevs].major = ma;
				devs[ndevs++].minor = mi;
			}
			free(buf);
		}
	}
	for (i = 0; i < ndevs; i++)
		if (devs[i].major == major && devs[i].minor == minor)
			return true;
	return false;
}

/*
 * Whether a mapping is hugetlb: smaps leaves hugetlb out of Rss and Pss, and
 * so do we. The device number of a file mapping names one superblock; ask the
 * filesystem's magic through /proc/<pid>/map_files once per device, else
 * fall back to the hugetlbfs mounts and the name of MAP_HUGETLB mappings.
 */
static bool vma_hugetlb(pid_t pid, const struct vma *v)
{
	static struct { unsigned int major, minor; bool huge; } *cache;
	static size_t ncache, cap;
	char path[96];
	struct statfs sfs;
	size_t i;

	if (!v->major && !v->minor && !v->inode)
		return false;
	for (i = 0; i < ncache; i++)
		if (cache[i].major == v->major && cache[i].minor == v->minor)
			return cache[i].huge;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 pid, v->start, v->end);
	if (!statfs(path, &sfs)) {
		grow(&cache, &cap, ncache + 1, sizeof(*cache));
		cache[ncache].major = v->major;
		cache[ncache].minor = v->minor;
		cache[ncache].huge = (uint32_t)sfs.f_type == HUGETLBFS_MAGIC_NR;
		return cache[ncache++].huge;
	}
	return strstr(v->name, "anon_hugepage") ||
	       hugetlbfs_dev_mounted(v->major, v->minor);
}

/* A number in base 10 or 16 at *s; *s moves past it. False if none. */
static bool parse_num(char **s, unsigned int base, uint64_t *v)
{
	char *p = *s;
	uint64_t x = 0;
	unsigned int d;

	for (;; p++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
			d = (*p | 0x20) - 'a' + 10;
		else
			break;
		x = x * base + d;
	}
	if (p == *s)
		return false;
	*s = p;
	*v = x;
	return true;
}

/*
 * One line of /proc/<pid>/maps: "start-end perms offset major:minor inode"
 * and the name after blanks (proc(5)). Parsed by hand: sscanf() took half
 * of the tool's own instructions on a quiet host. False if malformed.
 */
static bool parse_maps_line(char *p, struct vma *v, char **name)
{
	uint64_t major, minor;
	size_t i;

	if (!parse_num(&p, 16, &v->start) || *p++ != '-' ||
	    !parse_num(&p, 16, &v->end) || *p++ != ' ')
		return false;
	for (i = 0; i < sizeof(v->perms) - 1 && *p && *p != ' '; i++)
		v->perms[i] = *p++;
	v->perms[i] = 0;
	if (*p++ != ' ' || !parse_num(&p, 16, &v->offset) || *p++ != ' ' ||
	    !parse_num(&p, 16, &major) || *p++ != ':' ||
	    !parse_num(&p, 16, &minor) || *p++ != ' ' ||
	    !parse_num(&p, 10, &v->inode))
		return false;
	v->major = major;
	v->minor = minor;
	while (*p == ' ' || *p == '\t')
		p++;
	*name = p;
	return true;
}

/* Reads /proc/<pid>/maps into p->vmas. Returns 0 or -errno. */
static int proc_read_maps(struct proc *p)
{
	char path[64], *buf, *line, *save, *name;
	size_t cap = 0;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	ret = slurp(path, &buf, NULL);
	if (ret)
		return ret;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct vma v = { 0 };

		if (!parse_maps_line(line, &v, &name))
			continue;
		v.name = xstrdup(name);
		v.hugetlb = vma_hugetlb(p->pid, &v);
		grow(&p->vmas, &cap, p->nr_vmas + 1, sizeof(v));
		p->vmas[p->nr_vmas++] = v;
	}
	free(buf);
	return 0;
}

/*
 * Opens a process: maps, comm, page map. Returns 0 or -errno; a kernel
 * thread comes back with no mappings, or as 1 if @skip_empty.
 */
int proc_open(struct proc *p, pid_t pid, struct reader *r,
	      bool skip_empty)
{
	int ret, gone;

	memset(p, 0, sizeof(*p));
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	p->pid = pid;
	if (cap_active) {
		ret = cap_open(p, pid, r);
		return !ret && !p->nr_vmas && skip_empty ? 1 : ret;
	}
	if (skip_empty && proc_has_no_mm(pid))
		return 1;
	ret = proc_read_maps(p);
	if (!ret && !p->nr_vmas && skip_empty)
		return 1;
	proc_comm(pid, p->comm, sizeof(p->comm));
	if (!ret)
		ret = reader_open_pid(r, pid);
	/* Some kernels refuse to open the page map of a kernel thread. */
	if (ret == -ESRCH && !p->nr_vmas && !proc_exited(pid)) {
		r->empty = true;
		return 0;
	}
	if (ret) {
		proc_free(p);
		return ret;
	}
	if (!p->nr_vmas) {
		gone = proc_exited(pid);
		if (gone) {
			reader_close(r);
			return gone > 0 ? -ESRCH : gone;
		}
	}
	return 0;
}

/*
 * The size of the file mapping v maps, from the process's map_files link
 * (its path in path), or -1.
 */
int64_t map_file_size(pid_t pid, const struct vma *v, char *path,
		      size_t len)
{
	struct stat st;

	snprintf(path, len, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid,
		 v->start, v->end);
	return stat(path, &st) ? -1 : st.st_size;
}

int addr_width(const struct proc *p)
{
	int w = 8;
	uint64_t end = p->nr_vmas ? p->vmas[p->nr_vmas - 1].end : 0;

	while (w < 16 && end >> (4 * w))
		w++;
	return w;
}

/* The value of a "Key:" line of a /proc status file, or NULL. */
static const char *status_field(const char *buf, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, n) && p[n] == ':')
			return p + n + 1;
	return NULL;
}

/* Real, effective, saved uid (or gid) and permitted capabilities of a process. */
static int proc_creds(pid_t pid, unsigned long uid[3], unsigned long gid[3],
		      uint64_t *cap_prm, uint64_t *cap_eff)
{
	const char *u, *g, *cp, *ce;
	char path[64], *buf;
	int ret = -EINVAL;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (slurp(path, &buf, NULL))
		return -ENOENT;
	u = status_field(buf, "Uid");
	g = status_field(buf, "Gid");
	cp = status_field(buf, "CapPrm");
	ce = status_field(buf, "CapEff");
	if (u && g && cp && ce &&
	    sscanf(u, "%lu %lu %lu", &uid[0], &uid[1], &uid[2]) == 3 &&
	    sscanf(g, "%lu %lu %lu", &gid[0], &gid[1], &gid[2]) == 3 &&
	    sscanf(cp, "%" SCNx64, cap_prm) == 1 &&
	    sscanf(ce, "%" SCNx64, cap_eff) == 1)
		ret = 0;
	free(buf);
	return ret;
}

/* The effective uid of a process, from its status. Returns 0 or -errno. */
int proc_euid(pid_t pid, uid_t *uid)
{
	char path[64], *buf;
	const char *u;
	unsigned long r, e;
	int ret;

	if (cap_active)
		return cap_info(pid, NULL, uid, NULL, NULL, NULL);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	ret = slurp(path, &buf, NULL);
	if (ret)
		return ret;
	u = status_field(buf, "Uid");
	ret = u && sscanf(u, "%lu %lu", &r, &e) == 2 ? 0 : -EINVAL;
	if (!ret)
		*uid = e;
	free(buf);
	return ret;
}

/* The parent of a process, or 0 if unknown. */
pid_t proc_ppid(pid_t pid)
{
	char path[64], *buf, *p;
	int ppid = 0;

	if (cap_active) {
		cap_info(pid, &ppid, NULL, NULL, NULL, NULL);
		return ppid;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (slurp(path, &buf, NULL))
		return 0;
	/* "pid (comm) state ppid ...": comm may hold anything, even ") ". */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		ppid = 0;
	free(buf);
	return ppid;
}

/*
 * The cgroup of a process: the path of its cgroup v2 line ("0::/path"),
 * else of its first line (v1). A new string; "?" if unknown.
 */
char *proc_cgroup(pid_t pid)
{
	char path[64], *buf, *line, *save, *first = NULL, *v2 = NULL, *res;
	const char *cg;

	if (cap_active)
		return xstrdup(cap_info(pid, NULL, NULL, NULL, &cg, NULL) ? "?" : cg);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	if (slurp(path, &buf, NULL))
		return xstrdup("?");
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c = strchr(line, ':');

		c = c ? strchr(c + 1, ':') : NULL;
		if (!c)
			continue;
		if (!first)
			first = c + 1;
		if (!strncmp(line, "0::", 3))
			v2 = c + 1;
	}
	res = xstrdup(v2 ? v2 : first ? first : "?");
	free(buf);
	return res;
}

/*
 * A user of /etc/passwd by name (or a number), or by uid: read by hand,
 * since getpwnam() in a static binary needs glibc's shared NSS modules.
 * Returns 0 if found.
 */
static int passwd_find(const char *name, uid_t *uid, char *out, size_t len)
{
	char *buf, *line, *save;
	int ret = -ENOENT;

	if (slurp("/etc/passwd", &buf, NULL))
		return ret;
	for (line = strtok_r(buf, "\n", &save); line && ret;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		unsigned long u;

		if (!c2 || sscanf(c2 + 1, "%lu", &u) != 1)
			continue;
		*c1 = 0;
		if (name && !strcmp(line, name)) {
			*uid = u;
			ret = 0;
		} else if (!name && u == *uid) {
			snprintf(out, len, "%s", line);
			ret = 0;
		}
	}
	free(buf);
	return ret;
}

/* The uid of a user name or number. Returns 0, or -ENOENT. */
int user_uid(const char *name, uid_t *uid)
{
	unsigned long long v;
	char *end;

	if (!passwd_find(name, uid, NULL, 0))
		return 0;
	errno = 0;
	v = strtoull(name, &end, 10);
	if (!*name || *end || errno || v > UINT32_MAX)
		return -ENOENT;
	*uid = v;
	return 0;
}

/* The name of a uid, or its number. */
void user_name(uid_t uid, char *out, size_t len)
{
	if (passwd_find(NULL, &uid, out, len))
		snprintf(out, len, "%u", (unsigned int)uid);
}

#define CAP_SYS_PTRACE_BIT	19

/*
 * Why this user may not read the page map of pid, by the rule the kernel
 * applies (ptrace_may_access() in read mode): the same uids and gids, a
 * dumpable process, and no capability it holds that we lack; CAP_SYS_PTRACE
 * overrides all three.
 */
static const char *denied_why(pid_t pid)
{
	static char msg[160];
	unsigned long uid[3], gid[3], me[3], mg[3];
	uint64_t prm, eff, my_prm, my_eff;
	char path[64];
	struct stat st;
	int i;

	if (proc_creds(pid, uid, gid, &prm, &eff) ||
	    proc_creds(getpid(), me, mg, &my_prm, &my_eff) ||
	    my_eff & (UINT64_C(1) << CAP_SYS_PTRACE_BIT))
		return "permission denied";
	for (i = 0; i < 3; i++)
		if (uid[i] != me[1] || gid[i] != mg[1]) {
			snprintf(msg, sizeof(msg),
				 "permission denied: it runs as uid %lu, this user is uid %lu (another user's process needs root or CAP_SYS_PTRACE)",
				 uid[1], me[1]);
			return msg;
		}
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	if (!stat(path, &st) && st.st_uid != uid[1])
		return "permission denied: it is not dumpable: needs CAP_SYS_PTRACE";
	if (prm & ~my_eff) {
		snprintf(msg, sizeof(msg),
			 "permission denied: it holds capabilities this user lacks (CapPrm %016"
			 PRIx64 ", ours %016" PRIx64 "): needs CAP_SYS_PTRACE",
			 prm, my_eff);
		return msg;
	}
	return "permission denied (by a security module, or across user namespaces)";
}

/* why(), naming the cause of a permission error on pid's page map. */
const char *proc_why(pid_t pid, int err)
{
	if (err == EACCES || err == EPERM)
		return denied_why(pid);
	return why(err);
}

int proc_error(pid_t pid, int err)
{
	pm_err("pid %d: %s", pid, proc_why(pid, -err));
	return EXIT_FAIL;
}

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

/* Every process in /proc, in pid order. */
pid_t *all_pids(size_t *nr)
{
	size_t cap = 0, n = 0;
	pid_t *pids = NULL;
	struct dirent *d;
	DIR *dir;

	if (cap_active)
		return cap_pids(nr);
	dir = opendir("/proc");
	if (!dir) {
		pm_err("/proc: %s", strerror(errno));
		exit(EXIT_FAIL);
	}
	while ((d = readdir(dir))) {
		char *end;
		long v = strtol(d->d_name, &end, 10);

		if (!isdigit((unsigned char)d->d_name[0]) || *end || v <= 0)
			continue;
		grow(&pids, &cap, n + 1, sizeof(*pids));
		pids[n++] = v;
	}
	closedir(dir);
	qsort(pids, n, sizeof(*pids), pid_cmp);
	*nr = n;
	return pids;
}
