/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the pagemap selftests: open and decode a map of the
 * module (/proc/pagemap/<pid>), read the kernel's own /proc/<pid>/pagemap as
 * the differential oracle, and learn what the machine really is (page size,
 * the kernel's long size, THP and hugetlb sizes) instead of assuming it.
 *
 * Every helper returns a negative errno or a count; none of them asserts, so
 * they can run in forked children that drop privileges.
 */
#ifndef _PAGEMAP_TEST_H
#define _PAGEMAP_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pagemap_format.h"

/* The in-tree /proc/<pid>/pagemap: 64-bit entries, bit 63 present. */
#define KPM_PRESENT	(UINT64_C(1) << 63)
#define KPM_SWAPPED	(UINT64_C(1) << 62)
#define KPM_PFN_MASK	((UINT64_C(1) << 55) - 1)

/* A child's way to fail: say why on stderr, exit non-zero. */
#define CHILD_CHECK(cond, fmt, ...) do {				\
	if (!(cond)) {							\
		fprintf(stderr, "# %s:%d: child check failed: %s: " fmt "\n", \
			__FILE__, __LINE__, #cond, ##__VA_ARGS__);	\
		_exit(1);						\
	}								\
} while (0)

/*
 * The 6.1 harness runs the test body even after a SKIP in FIXTURE_SETUP;
 * exiting with its skip status (255) from the test child ends it properly.
 */
#define SETUP_SKIP(fmt, ...) SKIP(_exit(255), fmt, ##__VA_ARGS__)

struct pt_map {
	int fd;
	struct pmap_header h;
};

static inline long pt_page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static inline unsigned int pt_page_shift(void)
{
	return __builtin_ctzl(pt_page_size());
}

static inline uint64_t pt_vpn(const void *addr)
{
	return (uintptr_t)addr >> pt_page_shift();
}

static inline int pt_host_little_endian(void)
{
	const uint16_t one = 1;

	return *(const uint8_t *)&one;
}

/*
 * The kernel's sizeof(long): /proc/kallsyms prints every address zero-padded
 * to the kernel's pointer width, even when kptr_restrict hides the value.
 * Falls back to our own long when kallsyms is unavailable.
 */
static inline unsigned int pt_kernel_long_size(void)
{
	char line[256];
	unsigned int size = sizeof(long);
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return size;
	if (fgets(line, sizeof(line), f)) {
		size_t digits = strspn(line, "0123456789abcdefABCDEF");

		if (digits == 8 || digits == 16)
			size = digits / 2;
	}
	fclose(f);
	return size;
}

/* Read a whole small file (sysfs, procfs) into @buf; -errno on failure. */
static inline int pt_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/*
 * A test's size knob: the environment variable @env if set (for runs by
 * hand), else pmap.@param=N on the kernel command line (how the VM lanes
 * pass it), else @dflt.
 */
static inline unsigned long long pt_setting(const char *env,
					    const char *param,
					    unsigned long long dflt)
{
	char cmdline[4096], key[64], *p;
	const char *v = getenv(env);

	if (v && *v)
		return strtoull(v, NULL, 0);
	snprintf(key, sizeof(key), "pmap.%s=", param);
	if (pt_read_file("/proc/cmdline", cmdline, sizeof(cmdline)) <= 0)
		return dflt;
	p = strstr(cmdline, key);
	return p ? strtoull(p + strlen(key), NULL, 0) : dflt;
}

static inline unsigned long long pt_read_ull(const char *path)
{
	char buf[64];

	if (pt_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	return strtoull(buf, NULL, 0);
}

/* The PMD-mapped THP size, or 0 when THP is off or missing. */
static inline unsigned long pt_thp_size(void)
{
	char buf[128];

	if (pt_read_file("/sys/kernel/mm/transparent_hugepage/enabled",
			 buf, sizeof(buf)) <= 0)
		return 0;
	if (strstr(buf, "[never]"))
		return 0;
	return pt_read_ull("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
}

/* Highest page frame number of any zone plus one, from /proc/zoneinfo. */
static inline uint64_t pt_max_pfn(void)
{
	char line[256];
	unsigned long long v, spanned = 0;
	uint64_t max = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return UINT64_MAX;
	/* each zone prints "spanned N" before "start_pfn: N" */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " spanned %llu", &v) == 1)
			spanned = v;
		if (sscanf(line, " start_pfn: %llu", &v) == 1 &&
		    v + spanned > max)
			max = v + spanned;
	}
	fclose(f);
	return max ? max : UINT64_MAX;
}

static inline void pt_map_path(char *buf, size_t len, pid_t pid)
{
	if (pid)
		snprintf(buf, len, "%s/%d", PMAP_MOUNT, pid);
	else
		snprintf(buf, len, "%s/self", PMAP_MOUNT);
}

/* Whether the module is mounted where the tests expect it. */
static inline bool pt_module_mounted(void)
{
	return access(PMAP_MOUNT "/self", F_OK) == 0;
}

/* Take an open map: read and check its header; -errno. */
static inline int pt_map_attach(int fd, struct pt_map *pm)
{
	unsigned char hdr[8];
	ssize_t n;

	memset(pm, 0, sizeof(*pm));
	pm->fd = fd;
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n < 0 && errno == EINVAL)	/* 4-byte entries: read just one */
		n = pread(fd, hdr, 4, 0);
	if (n < 0)
		return -errno;
	if (pmap_parse_header(hdr, n, &pm->h))
		return -EBADMSG;
	return 0;
}

/* Open the module's map at @path; -errno. */
static inline int pt_map_open_path(const char *path, struct pt_map *pm)
{
	int fd = open(path, O_RDONLY), ret;

	memset(pm, 0, sizeof(*pm));
	pm->fd = -1;
	if (fd < 0)
		return -errno;
	ret = pt_map_attach(fd, pm);
	if (ret) {
		close(fd);
		pm->fd = -1;
	}
	return ret;
}

static inline int pt_map_open(pid_t pid, struct pt_map *pm)
{
	char path[64];

	pt_map_path(path, sizeof(path), pid);
	return pt_map_open_path(path, pm);
}

static inline void pt_map_close(struct pt_map *pm)
{
	if (pm->fd >= 0)
		close(pm->fd);
	pm->fd = -1;
}

/*
 * Read @n entries from virtual page @vpn on into @out, decoded. Returns the
 * number of entries read (fewer at the end of the file), or -errno.
 */
static inline long pt_map_read(struct pt_map *pm, uint64_t vpn, size_t n,
			       uint64_t *out)
{
	size_t esz = pm->h.entry_size, done = 0, chunk = 8192, i;
	unsigned char *raw = malloc(chunk * esz);

	if (!raw)
		return -ENOMEM;
	while (done < n) {
		size_t want = n - done < chunk ? n - done : chunk;
		ssize_t got = pread(pm->fd, raw, want * esz,
				    pmap_entry_offset(&pm->h, vpn + done));

		if (got < 0) {
			free(raw);
			return -errno;
		}
		for (i = 0; i < (size_t)got / esz; i++)
			out[done + i] = pmap_entry(&pm->h, raw + i * esz);
		done += got / esz;
		if ((size_t)got < want * esz)
			break;
	}
	free(raw);
	return done;
}

static inline uint64_t pt_map_read_one(struct pt_map *pm, const void *addr)
{
	uint64_t e = 0xdead;

	if (pt_map_read(pm, pt_vpn(addr), 1, &e) != 1)
		return 0xdead;
	return e;
}

/* The kernel's own pagemap of @pid (0: self); -errno. */
static inline int kpm_open(pid_t pid)
{
	char path[64];
	int fd;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/pagemap");
	fd = open(path, O_RDONLY);
	return fd < 0 ? -errno : fd;
}

/* The kernel's answer in our terms: its frame if present, else -1. */
static inline uint64_t kpm_decode(uint64_t raw)
{
	return (raw & KPM_PRESENT) ? (raw & KPM_PFN_MASK) : PMAP_NOT_PRESENT;
}

static inline long kpm_read(int kfd, uint64_t vpn, size_t n, uint64_t *out)
{
	size_t done = 0, i;

	while (done < n) {
		ssize_t got = pread(kfd, out + done, (n - done) * 8,
				    (vpn + done) * 8);

		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		done += got / 8;
	}
	for (i = 0; i < done; i++)
		out[i] = kpm_decode(out[i]);
	return done;
}

static inline uint64_t kpm_read_one(const void *addr)
{
	uint64_t e = 0xdead;
	int kfd = kpm_open(0);

	if (kfd < 0)
		return 0xdead;
	if (kpm_read(kfd, pt_vpn(addr), 1, &e) != 1)
		e = 0xdead;
	close(kfd);
	return e;
}

/* Whether the kernel's pagemap shows us frame numbers (CAP_SYS_ADMIN). */
static inline bool kpm_shows_pfns(void)
{
	static volatile char probe = 1;
	uint64_t e;

	probe++;
	e = kpm_read_one((const void *)&probe);
	return e != 0xdead && e != PMAP_NOT_PRESENT && e != 0;
}

/*
 * Compare the module's map of @pid with the kernel's for @n pages from @vpn.
 * The kernel is read before and after the module; pages that changed in
 * between are not judged. Returns the number of disagreements (logging the
 * first few), or -errno. @judged (optional) counts the pages compared.
 */
static inline long pt_diff(pid_t pid, struct pt_map *pm, int kfd, uint64_t vpn,
			   size_t n, size_t *judged, const char *what)
{
	size_t chunk = 4096, off, i;
	long bad = 0, r;
	uint64_t *k1, *k2, *m;

	k1 = calloc(chunk, 8);
	k2 = calloc(chunk, 8);
	m = calloc(chunk, 8);
	if (!k1 || !k2 || !m) {
		bad = -ENOMEM;
		goto out;
	}
	for (off = 0; off < n; off += chunk) {
		size_t len = n - off < chunk ? n - off : chunk;
		long kn, kn2, mn;

		kn = kpm_read(kfd, vpn + off, len, k1);
		mn = pt_map_read(pm, vpn + off, len, m);
		kn2 = kpm_read(kfd, vpn + off, len, k2);
		if (kn < 0 || mn < 0 || kn2 < 0) {
			bad = kn < 0 ? kn : mn < 0 ? mn : kn2;
			goto out;
		}
		if (mn != kn) {
			fprintf(stderr,
				"# %s pid %d: %ld module entries, %ld kernel",
				what, pid, mn, kn);
			fprintf(stderr, " at vpn 0x%" PRIx64 "\n", vpn + off);
			bad++;
		}
		r = mn < kn ? mn : kn;
		for (i = 0; i < (size_t)r; i++) {
			if (k1[i] != k2[i])
				continue;
			if (judged)
				(*judged)++;
			if (m[i] == k1[i])
				continue;
			if (bad < 8)
				fprintf(stderr,
					"# %s pid %d: page 0x%" PRIx64
					": module 0x%" PRIx64
					", kernel 0x%" PRIx64 "\n",
					what, pid,
					(vpn + off + i) << pm->h.page_shift,
					m[i], k1[i]);
			bad++;
		}
	}
out:
	free(k1);
	free(k2);
	free(m);
	return bad;
}

/* One line of /proc/<pid>/maps. */
struct pt_vma {
	uint64_t start, end;
	char perms[8];
	char name[256];
};

/*
 * Read the mappings of @pid (0: self) into a malloc'd array; returns the
 * count or -errno.
 */
static inline long pt_read_maps(pid_t pid, struct pt_vma **out)
{
	char path[64], line[512];
	struct pt_vma *v = NULL;
	long n = 0, cap = 0;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/maps");
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		int pos = 0;

		if (n == cap) {
			struct pt_vma *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				fclose(f);
				return -ENOMEM;
			}
			v = nv;
		}
		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s%n",
			   &s, &e, v[n].perms, &pos) < 3)
			continue;
		v[n].start = s;
		v[n].end = e;
		v[n].name[0] = '\0';
		if (sscanf(line + pos, " %255[^\n]", v[n].name) != 1)
			v[n].name[0] = '\0';
		n++;
	}
	fclose(f);
	*out = v;
	return n;
}

/*
 * The end of the file in entries (the number of user pages), found by
 * probing reads of one entry: a read at or past the end returns 0. No
 * address reaches 1 << (8 * entry size), so the file ends before that.
 */
static inline int64_t pt_map_probe_end(struct pt_map *pm)
{
	unsigned char e[8];
	uint64_t lo = 0, hi;
	ssize_t n;

	hi = UINT64_C(1) << (8 * pm->h.entry_size - pm->h.page_shift);
	/* invariant: entry lo exists, entry hi does not */
	n = pread(pm->fd, e, pm->h.entry_size, pmap_entry_offset(&pm->h, 0));
	if (n != (ssize_t)pm->h.entry_size)
		return -1;
	n = pread(pm->fd, e, pm->h.entry_size, pmap_entry_offset(&pm->h, hi));
	if (n != 0)
		return -1;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		n = pread(pm->fd, e, pm->h.entry_size,
			  pmap_entry_offset(&pm->h, mid));
		if (n < 0)
			return -errno;
		if (n == (ssize_t)pm->h.entry_size)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

/*
 * Whether the kernel's own pagemap ends at entry @end (its mm->task_size):
 * a spot check, since positions past it wrap around or lose their tag bits
 * on some architectures, so a bisection of it would not be sound.
 */
static inline bool kpm_ends_at(int kfd, uint64_t end)
{
	uint64_t e;

	return pread(kfd, &e, 8, (end - 1) * 8) == 8 &&
	       pread(kfd, &e, 8, end * 8) == 0;
}

/*
 * What SEEK_DATA (@data) or SEEK_HOLE from entry @idx of a map of @nr
 * entries (the header, then one per page) must answer, by the kernel's own
 * pagemap @kfd of the same process and its mappings @v (@nv, in order): the
 * header and every page the kernel shows present are data, the rest is hole.
 * Returns the entry found, @nr for the hole at the end of the file, -ENXIO,
 * or -errno if the kernel's map cannot be read. @buf holds @room entries.
 */
static inline int64_t pt_seek_model(int kfd, const struct pt_vma *v, long nv,
				    uint64_t idx, uint64_t nr, bool data,
				    uint64_t *buf, size_t room)
{
	uint64_t vpn, s, e, n, end = nr - 1;
	unsigned int shift = pt_page_shift();
	long i, k, got;

	if (idx >= nr)
		return -ENXIO;
	if (idx == 0 && data)
		return 0;
	vpn = idx ? idx - 1 : 0;
	for (i = 0; i < nv && vpn < end; i++) {
		s = v[i].start >> shift;
		e = v[i].end >> shift < end ? v[i].end >> shift : end;
		if (e <= vpn)
			continue;
		if (s > vpn) {
			/* no mapping: a hole */
			if (!data)
				return vpn + 1;
			vpn = s;
		}
		while (vpn < e) {
			n = e - vpn < room ? e - vpn : room;
			got = kpm_read(kfd, vpn, n, buf);
			if (got <= 0)
				return got < 0 ? got : -EIO;
			for (k = 0; k < got; k++) {
				bool present = buf[k] != PMAP_NOT_PRESENT;

				if (present == data)
					return vpn + k + 1;
			}
			vpn += got;
		}
	}
	if (vpn < end && !data)
		return vpn + 1;
	return data ? -ENXIO : (int64_t)nr;
}

/* Drop to @uid/@gid with no supplementary groups and no capabilities. */
static inline int pt_become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) && errno != EPERM)
		return -errno;
	if (setresgid(gid, gid, gid))
		return -errno;
	if (setresuid(uid, uid, uid))
		return -errno;
	return 0;
}

/*
 * fork(), with the child killed when its parent dies, so a failed
 * assertion never leaves processes behind.
 */
static inline pid_t pt_fork(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
	}
	return pid;
}

/* Wait for @pid; returns its exit code, 128 + signal, or -errno. */
static inline int pt_wait(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static inline double pt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Write one byte to every page of [p, p + len). */
static inline void pt_touch(void *p, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += pt_page_size())
		((volatile char *)p)[off] = 1;
}

/*
 * A @count-byte destination for huge reads that costs @chunk bytes of
 * memory: one memfd of @chunk bytes mapped again and again, its pages
 * faulted in. NULL (errno set) on failure.
 */
static inline char *pt_map_window(size_t count, size_t chunk)
{
	int memfd = memfd_create("window", 0);
	char *w = MAP_FAILED;
	size_t off, len;

	if (memfd >= 0 && !ftruncate(memfd, chunk))
		w = mmap(NULL, count, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_NORESERVE, -1, 0);
	for (off = 0; w != MAP_FAILED && off < count; off += chunk) {
		len = count - off < chunk ? count - off : chunk;
		if (mmap(w + off, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, memfd, 0) == MAP_FAILED)
			w = MAP_FAILED;
	}
	if (memfd >= 0)
		close(memfd);
	if (w == MAP_FAILED)
		return NULL;
	pt_touch(w, chunk);
	return w;
}

/*
 * A kernel thread's pid (PF_KTHREAD in the flags of /proc/PID/stat), or 0
 * if none is found among the first pids.
 */
static inline pid_t pt_find_kthread(void)
{
	char path[64], buf[1024], *p;
	unsigned long flags;
	pid_t pid;

	for (pid = 2; pid < 300; pid++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (pt_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		p = strrchr(buf, ')');
		/* ") S ppid pgrp session tty tpgid flags" */
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %lu",
				&flags) == 1 && (flags & 0x00200000))
			return pid;
	}
	return 0;
}

/* Read one byte of every page of [p, p + len). */
static inline void pt_read_fault(const void *p, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += pt_page_size())
		(void)((const volatile char *)p)[off];
}

/* A @len region aligned to @align, from an over-sized reservation. */
static inline void *pt_mmap_aligned(size_t len, size_t align, int prot,
				    int flags, int fd)
{
	char *p = mmap(NULL, len + align, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		return MAP_FAILED;
	a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + len, p + len + align - (a + len));
	return mmap(a, len, prot, flags | MAP_FIXED, fd, 0);
}

#endif /* _PAGEMAP_TEST_H */
