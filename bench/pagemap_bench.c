// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap_bench - the module's /proc/pagemap/<pid> against the kernel's own
 * /proc/<pid>/pagemap, in one run, on the same ranges of the same process.
 *
 * Every case reads the same virtual pages through both files (the module's
 * entry of page N is at (N + 1) * E, the kernel's at N * 8) into the same
 * buffer, faulted in before any timing, alternating which reader goes
 * first, and keeps the best of several runs of each. It prints entries per
 * second for both, their ratio (best against best, and the median of the
 * ratios of adjacent runs, which a drifting host load spares), and the
 * store limit: a userspace memset of the same number of output bytes, in
 * the same chunks, in the same run.
 *
 * Cases: dense 4K anonymous pages (THP off), THP-backed anonymous memory,
 * tmpfs page cache mapped shared, sparse (one page per 2 MiB), unmapped
 * holes, the mappings of real processes; sparse-seek (64 GiB, one page per
 * 64 MiB, on three such mappings), its present entries found with
 * SEEK_DATA and SEEK_HOLE and read (a short read where SEEK_DATA lands,
 * SEEK_HOLE only for longer runs; and both seeks and a read per run),
 * against reading every entry of either file; read sizes from 8 bytes to
 * 4 MiB; growth from 64 MiB to 1 GiB; mmap/munmap latency in a second
 * thread while a reader scans. Output: TAP lines (a case that cannot be
 * measured or whose two answers disagree is `not ok`) and `# ` lines with
 * the numbers.
 * Must run as root (frame numbers from both files).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "pagemap_format.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#define MADV_POPULATE_WRITE	23
#endif

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define MIB			(1UL << 20)
#define GIB			(1UL << 30)
#define MAX_BUF			(4 * MIB)
#define DEF_BUF			MIB
#define KPM_PFN_MASK		((1ULL << 55) - 1)
#define KPM_PRESENT		(1ULL << 63)
#define LAT_SAMPLES		2000
#define LAT_ROUNDS		5
#define MAX_REPS		99

struct region {
	const char *name;
	unsigned long start;	/* address */
	unsigned long len;	/* bytes */
};

struct timing {
	double mod;		/* best seconds, module */
	double kern;		/* best seconds, in-tree */
	double store;		/* best seconds, memset */
	double paired;		/* median of in-tree/module over adjacent runs */
};

static struct pmap_header hdr;
static unsigned long page_size;
static unsigned int page_shift;
static unsigned char *buf;	/* MAX_BUF, faulted in */
static unsigned char *vbuf;	/* MAX_BUF, for the agreement check */
static int reps = 7;
static int tap_n;
static int tap_failed;
static pid_t self;

static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		tap_failed++;
}

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_module(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), PMAP_MOUNT "/%d", pid);
	return open(path, O_RDONLY);
}

static int open_kernel(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	return open(path, O_RDONLY);
}

/* Module and in-tree file offsets of virtual page @vpn. */
static off_t mod_off(unsigned long vpn)
{
	return pmap_entry_offset(&hdr, vpn);
}

static off_t kern_off(unsigned long vpn)
{
	return (off_t)vpn * 8;
}

/*
 * Read @bytes from @off in reads of @bsz into the buffer. Returns the
 * seconds taken, or -1 if a read failed or came back short.
 */
static double read_range(int fd, off_t off, size_t bytes, size_t bsz)
{
	double t0 = now();
	size_t done = 0;

	while (done < bytes) {
		size_t n = bytes - done < bsz ? bytes - done : bsz;
		ssize_t r = pread(fd, buf, n, off + done);

		if (r != (ssize_t)n)
			return -1;
		done += n;
	}
	return now() - t0;
}

/* The store limit: memset of @bytes of the buffer in chunks of @bsz. */
static double store_range(size_t bytes, size_t bsz)
{
	double t0 = now();
	size_t done = 0;
	int c = 0;

	while (done < bytes) {
		size_t n = bytes - done < bsz ? bytes - done : bsz;

		memset(buf, 0xa5 ^ c++, n);
		/* keep the stores: the compiler may not drop the memset */
		__asm__ __volatile__("" : : "r"(buf) : "memory");
		done += n;
	}
	return now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void keep_best(double *best, double t)
{
	if (t < 0 || *best < 0)
		*best = -1;
	else if (*best == 0 || t < *best)
		*best = t;
}

/*
 * Time @npages pages from @vpn through both files and memset, best of
 * @nrep runs each, the two readers alternating which goes first.
 */
static int time_pages(pid_t pid, unsigned long vpn, unsigned long npages,
		      size_t bsz, int nrep, struct timing *t)
{
	size_t mbytes = npages * hdr.entry_size, kbytes = npages * 8;
	int mfd = open_module(pid), kfd = open_kernel(pid);
	double ratios[MAX_REPS], tm, tk;
	int i;

	memset(t, 0, sizeof(*t));
	if (mfd < 0 || kfd < 0) {
		if (mfd >= 0)
			close(mfd);
		if (kfd >= 0)
			close(kfd);
		return -1;
	}
	for (i = 0; i < nrep; i++) {
		if (i % 2) {
			tk = read_range(kfd, kern_off(vpn), kbytes, bsz);
			tm = read_range(mfd, mod_off(vpn), mbytes, bsz);
		} else {
			tm = read_range(mfd, mod_off(vpn), mbytes, bsz);
			tk = read_range(kfd, kern_off(vpn), kbytes, bsz);
		}
		keep_best(&t->mod, tm);
		keep_best(&t->kern, tk);
		keep_best(&t->store, store_range(mbytes, bsz));
		ratios[i] = tm > 0 ? tk / tm : 0;
	}
	close(mfd);
	close(kfd);
	qsort(ratios, nrep, sizeof(ratios[0]), cmp_double);
	t->paired = ratios[nrep / 2];
	return t->mod < 0 || t->kern < 0 ? -1 : 0;
}

/* Entries per second, in millions. */
static double meps(unsigned long n, double secs)
{
	return secs > 0 ? n / secs / 1e6 : 0;
}

static void print_timing(const char *name, unsigned long npages, size_t bsz,
			 const struct timing *t)
{
	printf("# RESULT %-14s buf=%-7zu entries=%-8lu ", name, bsz, npages);
	printf("module=%9.3f intree=%9.3f store=%9.3f Me/s  ",
	       meps(npages, t->mod), meps(npages, t->kern),
	       meps(npages, t->store));
	printf("ratio=%6.2f  module/store=%5.1f%%  paired=%6.2f\n",
	       t->kern / t->mod, 100.0 * t->store / t->mod, t->paired);
	fflush(stdout);
}

/*
 * Do both files give the same answer for @npages pages from @vpn? Present
 * pages must show the same frame, absent ones -1 in the module and no
 * present bit in the kernel's. Returns the number of pages that differ, or
 * -1 if a read failed; @present counts the present pages.
 */
static long compare_pages(pid_t pid, unsigned long vpn, unsigned long npages,
			  unsigned long *present)
{
	int mfd = open_module(pid), kfd = open_kernel(pid);
	unsigned long chunk = MAX_BUF / 8, i, n;
	long bad = 0;

	*present = 0;
	if (mfd < 0 || kfd < 0) {
		bad = -1;
		goto out;
	}
	while (npages) {
		n = npages < chunk ? npages : chunk;
		if (pread(mfd, buf, n * hdr.entry_size, mod_off(vpn)) !=
		    (ssize_t)(n * hdr.entry_size) ||
		    pread(kfd, vbuf, n * 8, kern_off(vpn)) != (ssize_t)(n * 8)) {
			bad = -1;
			goto out;
		}
		for (i = 0; i < n; i++) {
			__u64 m = pmap_entry(&hdr, buf + i * hdr.entry_size);
			__u64 k;

			memcpy(&k, vbuf + i * 8, 8);
			if (k & KPM_PRESENT) {
				(*present)++;
				bad += m != (k & KPM_PFN_MASK);
			} else {
				bad += m != PMAP_NOT_PRESENT;
			}
		}
		vpn += n;
		npages -= n;
	}
out:
	if (mfd >= 0)
		close(mfd);
	if (kfd >= 0)
		close(kfd);
	return bad;
}

/* Entries read where SEEK_DATA lands, before SEEK_HOLE is worth a call. */
#define SEEK_PROBE		16

/* Read [pos, end) of @fd, which must be all present; count the entries. */
static int read_present(int fd, off_t pos, off_t end, unsigned long *found)
{
	size_t es = hdr.entry_size, n, i;

	for (; pos < end; pos += n) {
		n = (size_t)(end - pos) < MAX_BUF ? (size_t)(end - pos) : MAX_BUF;
		if (pread(fd, buf, n, pos) != (ssize_t)n)
			return -1;
		for (i = 0; i < n; i += es)
			if (pmap_entry(&hdr, buf + i) == PMAP_NOT_PRESENT)
				return -1;
		*found += n / es;
	}
	return 0;
}

/*
 * Find the present entries of @npages pages from @vpn with SEEK_DATA and
 * SEEK_HOLE on @fd and read them. With @probe, as a reader of sparse maps
 * would: where SEEK_DATA lands, read SEEK_PROBE entries at once, and ask
 * SEEK_HOLE where the run ends only if all of them are present; else
 * SEEK_DATA, SEEK_HOLE and a read of what lies between, for every run.
 * Returns the seconds taken, or -1 on a failure; @found counts the present
 * entries read.
 */
static double seek_range(int fd, unsigned long vpn, unsigned long npages,
			 bool probe, unsigned long *found)
{
	off_t pos = mod_off(vpn), end = mod_off(vpn + npages), data, hole;
	size_t es = hdr.entry_size, n, i, got;
	double t0 = now();

	*found = 0;
	while (pos < end) {
		data = lseek(fd, pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0)
			return -1;
		if (data >= end)
			break;
		pos = data;
		if (probe) {
			n = SEEK_PROBE * es;
			if ((off_t)n > end - pos)
				n = end - pos;
			if (pread(fd, buf, n, pos) != (ssize_t)n)
				return -1;
			for (i = got = 0; i < n; i += es)
				got += pmap_entry(&hdr, buf + i) !=
				       PMAP_NOT_PRESENT;
			*found += got;
			pos += n;
			if (got < n / es || pos == end)
				continue;
		}
		hole = lseek(fd, pos, SEEK_HOLE);
		if (hole < 0)
			return -1;
		if (hole > end)
			hole = end;
		if (read_present(fd, pos, hole, found))
			return -1;
		pos = hole;
	}
	return now() - t0;
}

/* Measure one region at read size @bsz and report it as one TAP line. */
static struct timing bench_region(const struct region *r, size_t bsz)
{
	unsigned long vpn = r->start >> page_shift, n = r->len >> page_shift;
	unsigned long present;
	struct timing t;
	long bad;

	bad = compare_pages(self, vpn, n, &present);
	if (time_pages(self, vpn, n, bsz, reps, &t)) {
		tap(false, "%s: read both files", r->name);
		return t;
	}
	print_timing(r->name, n, bsz, &t);
	tap(bad == 0, "%s: %lu pages (%lu present), module and in-tree agree",
	    r->name, n, present);
	if (bad)
		printf("# %s: %ld pages differ\n", r->name, bad);
	return t;
}

static void *map_anon(unsigned long len, unsigned long align, int prot)
{
	unsigned char *p = mmap(NULL, len + align, prot,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				-1, 0);
	unsigned long a, skip;

	if (p == MAP_FAILED)
		die("mmap");
	if (!align)
		return p;
	/* trim to an aligned range, so THP can back all of it */
	a = ((unsigned long)p + align - 1) & ~(align - 1);
	skip = a - (unsigned long)p;
	if (skip)
		munmap(p, skip);
	if (align - skip)
		munmap((unsigned char *)a + len, align - skip);
	return (void *)a;
}

/* Write every page of [p, p + len), by MADV_POPULATE_WRITE if possible. */
static void populate(unsigned char *p, unsigned long len, unsigned long step)
{
	unsigned long off;

	if (step == page_size && !madvise(p, len, MADV_POPULATE_WRITE))
		return;
	for (off = 0; off < len; off += step)
		p[off] = 1;
}

/*
 * How many mappings the sparse-seek case measures: under emulation, where
 * the page tables of a mapping land moves the 3 ms its seeks take by up
 * to a fifth from one mapping to the next, and the in-tree read of every
 * entry by a twentieth; so both readers are timed on each, best of all.
 */
#define SEEK_PLACES		3

/*
 * The sparse-seek case: best of @nrep runs each of the seeks and reads, of
 * reading every entry of the module's file and of the in-tree one, on @r
 * and on SEEK_PLACES - 1 more mappings like it (one page written per
 * 64 MiB), mapped for the runs and unmapped after them. Returns the
 * in-tree time over the seek time, or 0 on a failure.
 */
static double bench_seek(const struct region *r, int nrep)
{
	unsigned long expect = r->len / (64 * MIB), n = r->len >> page_shift;
	int mfd = open_module(self), kfd = open_kernel(self), i, place;
	double ts = 0, tc = 0, tm = 0, tk = 0;
	unsigned long found = 0, cfound = 0, vpn, start;
	bool same = true;
	unsigned char *p;

	if (mfd < 0 || kfd < 0)
		die("open the maps");
	for (place = 0; place < SEEK_PLACES; place++) {
		start = r->start;
		if (place) {
			p = map_anon(r->len, 0, PROT_READ | PROT_WRITE);
			populate(p, r->len, 64 * MIB);
			start = (unsigned long)p;
		}
		vpn = start >> page_shift;
		for (i = 0; i < nrep; i++) {
			keep_best(&ts, seek_range(mfd, vpn, n, true, &found));
			same &= found == expect;
			keep_best(&tc, seek_range(mfd, vpn, n, false, &cfound));
			same &= cfound == expect;
			keep_best(&tm, read_range(mfd, mod_off(vpn),
						  n * hdr.entry_size, DEF_BUF));
			keep_best(&tk, read_range(kfd, kern_off(vpn), n * 8,
						  DEF_BUF));
		}
		if (place)
			munmap(p, r->len);
	}
	close(mfd);
	close(kfd);
	tap(ts > 0 && tc > 0 && tm > 0 && tk > 0 && same,
	    "%s: SEEK_DATA/SEEK_HOLE find the %lu present pages of %lu (found %lu, %lu)",
	    r->name, expect, n, found, cfound);
	if (ts <= 0 || tc <= 0 || tm <= 0 || tk <= 0)
		return 0;
	printf("# RESULT %-14s entries=%-9lu present=%-5lu seek+probe=%.6f s  ",
	       r->name, n, found, ts);
	printf("seek+hole+read=%.6f s  module-all=%.4f s  intree-all=%.4f s  ",
	       tc, tm, tk);
	printf("intree/seek=%.0fx  intree/seek+hole=%.0fx  module/seek=%.0fx  mappings=%d\n",
	       tk / ts, tk / tc, tm / ts, SEEK_PLACES);
	return tk / ts;
}

/* The kB of a field of the smaps entry of the mapping at @start. */
static long smaps_kb(unsigned long start, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256], want[32];
	size_t flen = strlen(field);
	long kb = -1;
	bool in = false;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", start);
	while (fgets(line, sizeof(line), f)) {
		/* a mapping's line starts with its address, in lowercase hex */
		if ((line[0] >= '0' && line[0] <= '9') ||
		    (line[0] >= 'a' && line[0] <= 'f')) {
			if (in)
				break;
			in = !strncmp(line, want, strlen(want));
		} else if (in && !strncmp(line, field, flen) &&
			   line[flen] == ':') {
			kb = strtol(line + flen + 1, NULL, 10);
		}
	}
	fclose(f);
	return kb;
}

/*
 * Sum the time of reading every mapping in /proc/PID/maps below the end of
 * the pagemap file, as the tool reads a process. Returns -1 on failure.
 */
static int bench_maps(pid_t pid, const char *name, int nrep)
{
	unsigned long ranges[512][2], total = 0, s, e;
	double ratios[MAX_REPS];
	struct timing t = { 0 }, one;
	int nr = 0, i, rep;
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (nr < 512 && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &s, &e) != 2)
			continue;
		/* [vsyscall] lies above TASK_SIZE: neither file has it */
		if (s >= 0x800000000000UL)
			continue;
		ranges[nr][0] = s >> page_shift;
		ranges[nr][1] = (e - s) >> page_shift;
		total += ranges[nr][1];
		nr++;
	}
	fclose(f);

	for (rep = 0; rep < nrep; rep++) {
		struct timing sum = { 0 };

		for (i = 0; i < nr; i++) {
			if (time_pages(pid, ranges[i][0], ranges[i][1], DEF_BUF,
				       1, &one))
				return -1;
			sum.mod += one.mod;
			sum.kern += one.kern;
			sum.store += one.store;
		}
		if (!rep || sum.mod < t.mod)
			t.mod = sum.mod;
		if (!rep || sum.kern < t.kern)
			t.kern = sum.kern;
		if (!rep || sum.store < t.store)
			t.store = sum.store;
		ratios[rep] = sum.kern / sum.mod;
	}
	qsort(ratios, nrep, sizeof(ratios[0]), cmp_double);
	t.paired = ratios[nrep / 2];
	print_timing(name, total, DEF_BUF, &t);
	printf("# %s: %d mappings, %lu pages (open and close excluded)\n",
	       name, nr, total);
	return 0;
}

/* The mmap/munmap latency experiment. */
struct lat_arg {
	int stop;		/* set by the main thread, atomically */
	int fd;			/* -1: no reader */
	off_t off;
	size_t bytes;
	unsigned long scans;
	unsigned char *rbuf;
};

static void *reader_thread(void *p)
{
	struct lat_arg *a = p;

	while (!__atomic_load_n(&a->stop, __ATOMIC_RELAXED)) {
		size_t done = 0;

		while (done < a->bytes &&
		       !__atomic_load_n(&a->stop, __ATOMIC_RELAXED)) {
			size_t n = a->bytes - done < DEF_BUF ? a->bytes - done : DEF_BUF;

			if (pread(a->fd, a->rbuf, n, a->off + done) != (ssize_t)n)
				return NULL;
			done += n;
		}
		a->scans++;
	}
	return NULL;
}

/* Median and p99 of @n samples, sorted in place. */
static void percentiles(double *v, int n, double *med, double *p99)
{
	qsort(v, n, sizeof(*v), cmp_double);
	*med = v[n / 2];
	*p99 = v[n * 99 / 100];
}

static void bench_latency(const struct region *r)
{
	static double mm[3][LAT_ROUNDS * LAT_SAMPLES];
	static double mu[3][LAT_ROUNDS * LAT_SAMPLES];
	static const char * const names[] = { "none", "module", "intree" };
	unsigned long vpn = r->start >> page_shift, n = r->len >> page_shift;
	unsigned long scans[3] = { 0 };
	double m50, m99, u50, u99;
	struct lat_arg a;
	double p99[3];
	int round, which, i, k;
	pthread_t th;

	/*
	 * Rounds of none, then the module and the in-tree reader, which go
	 * first in turn: drift hits all three alike.
	 */
	for (round = 0; round < LAT_ROUNDS; round++) {
		for (k = 0; k < 3; k++) {
			double *pm, *pu;

			which = k && round % 2 ? 3 - k : k;
			pm = mm[which] + round * LAT_SAMPLES;
			pu = mu[which] + round * LAT_SAMPLES;

			memset(&a, 0, sizeof(a));
			a.rbuf = vbuf;
			a.fd = -1;
			if (which == 1) {
				a.fd = open_module(self);
				a.off = mod_off(vpn);
				a.bytes = n * hdr.entry_size;
			} else if (which == 2) {
				a.fd = open_kernel(self);
				a.off = kern_off(vpn);
				a.bytes = n * 8;
			}
			if (which && (a.fd < 0 ||
				      pthread_create(&th, NULL, reader_thread, &a))) {
				tap(false, "latency: start the %s reader", names[which]);
				return;
			}
			/* let the reader get going */
			usleep(20000);
			for (i = 0; i < LAT_SAMPLES; i++) {
				double t0, t1, t2;
				void *p;

				t0 = now();
				p = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				t1 = now();
				if (p == MAP_FAILED)
					die("mmap");
				munmap(p, page_size);
				t2 = now();
				pm[i] = (t1 - t0) * 1e6;
				pu[i] = (t2 - t1) * 1e6;
			}
			__atomic_store_n(&a.stop, 1, __ATOMIC_RELAXED);
			if (which) {
				pthread_join(th, NULL);
				close(a.fd);
			}
			scans[which] += a.scans;
			percentiles(pm, LAT_SAMPLES, &m50, &m99);
			percentiles(pu, LAT_SAMPLES, &u50, &u99);
			printf("# latency round %d reader=%-6s ", round + 1,
			       names[which]);
			printf("mmap median=%8.1f p99=%8.1f us  ", m50, m99);
			printf("munmap median=%8.1f p99=%8.1f us  (%lu scans)\n",
			       u50, u99, a.scans);
		}
	}
	for (which = 0; which < 3; which++) {
		percentiles(mm[which], LAT_ROUNDS * LAT_SAMPLES, &m50, &m99);
		percentiles(mu[which], LAT_ROUNDS * LAT_SAMPLES, &u50, &u99);
		printf("# RESULT latency reader=%-6s ", names[which]);
		printf("mmap median=%8.1f p99=%8.1f us  ", m50, m99);
		printf("munmap median=%8.1f p99=%8.1f us  ", u50, u99);
		printf("(%d samples, %lu scans of %lu pages)\n",
		       LAT_ROUNDS * LAT_SAMPLES, scans[which], n);
		tap(!which || scans[which] > 0, "latency: %s reader", names[which]);
		p99[which] = m99;
	}
	printf("# GOAL latency mmap p99 module <= in-tree: %.1f vs %.1f us\n",
	       p99[1], p99[2]);
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"Usage: %s [-r REPS] [-m DENSE_MIB] [-q]\n"
		"  -r REPS       best of REPS runs per case (default 7)\n"
		"  -m DENSE_MIB  largest dense region, MiB (default 1024)\n"
		"  -q            quick: small regions, 2 runs (a smoke test)\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	static const size_t sweep[] = { 8, 64, 512, 4096, 32768, 262144,
					MIB, MAX_BUF };
	unsigned long dense_max = GIB, thp_len = 256 * MIB;
	unsigned long file_len = 256 * MIB, sparse_len = GIB;
	unsigned long hole_len = 16 * GIB, len, kb;
	unsigned long seek_len = sizeof(long) < 8 ? GIB : 64 * GIB;
	struct region dense, thp, file, sparse, holes, seek, r;
	unsigned char hbuf[8], *p;
	struct timing t, t64 = { 0 };
	unsigned int i;
	int fd, opt;

	while ((opt = getopt(argc, argv, "r:m:q")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'm':
			dense_max = strtoul(optarg, NULL, 0) * MIB;
			break;
		case 'q':
			reps = 2;
			dense_max = 128 * MIB;
			thp_len = 64 * MIB;
			file_len = 64 * MIB;
			sparse_len = 256 * MIB;
			hole_len = GIB;
			seek_len = GIB;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (reps < 1 || reps > MAX_REPS || dense_max < 64 * MIB)
		usage(argv[0]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	self = getpid();
	page_size = sysconf(_SC_PAGESIZE);
	page_shift = __builtin_ctzl(page_size);

	fd = open_module(self);
	if (fd < 0 || pread(fd, hbuf, sizeof(hbuf), 0) < 4 ||
	    pmap_parse_header(hbuf, sizeof(hbuf), &hdr)) {
		printf("1..0 # SKIP no readable %s/%d (module not mounted?)\n",
		       PMAP_MOUNT, self);
		return 4;
	}
	close(fd);
	fd = open_kernel(self);
	if (fd < 0) {
		printf("1..0 # SKIP no /proc/%d/pagemap\n", self);
		return 4;
	}
	close(fd);
	printf("# pagemap_bench: page %lu bytes, entry %u bytes, ",
	       page_size, hdr.entry_size);
	printf("best of %d runs, readers alternate\n", reps);

	/* the destination buffers, faulted in and locked before any timing */
	buf = map_anon(MAX_BUF, 0, PROT_READ | PROT_WRITE);
	vbuf = map_anon(MAX_BUF, 0, PROT_READ | PROT_WRITE);
	memset(buf, 1, MAX_BUF);
	memset(vbuf, 1, MAX_BUF);
	if (mlock(buf, MAX_BUF) || mlock(vbuf, MAX_BUF))
		printf("# mlock of the buffers failed: %s\n", strerror(errno));

	/* dense 4K anonymous pages, THP off */
	dense.name = "dense4k";
	dense.len = dense_max;
	p = map_anon(dense.len, 0, PROT_READ | PROT_WRITE);
	if (madvise(p, dense.len, MADV_NOHUGEPAGE))
		printf("# MADV_NOHUGEPAGE: %s\n", strerror(errno));
	populate(p, dense.len, page_size);
	dense.start = (unsigned long)p;

	/* THP-backed anonymous memory */
	thp.name = "thp";
	thp.len = thp_len;
	p = map_anon(thp.len, 2 * MIB, PROT_READ | PROT_WRITE);
	if (madvise(p, thp.len, MADV_HUGEPAGE))
		printf("# MADV_HUGEPAGE: %s\n", strerror(errno));
	populate(p, thp.len, page_size);
	thp.start = (unsigned long)p;

	/* file-backed: a tmpfs file in /tmp, mapped shared, every page read */
	file.name = "file-tmpfs";
	file.len = file_len;
	fd = open("/tmp/pagemap_bench.data", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die("/tmp/pagemap_bench.data");
	memset(vbuf, 0x5a, MAX_BUF);
	for (len = 0; len < file.len; len += MAX_BUF)
		if (pwrite(fd, vbuf, MAX_BUF, len) != MAX_BUF)
			die("write /tmp/pagemap_bench.data");
	p = mmap(NULL, file.len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap /tmp/pagemap_bench.data");
	close(fd);
	unlink("/tmp/pagemap_bench.data");
	if (madvise(p, file.len, MADV_POPULATE_READ)) {
		unsigned int sum = 0;

		for (len = 0; len < file.len; len += page_size)
			sum += p[len];
		/* keep the loads */
		__asm__ __volatile__("" : : "r"(sum));
	}
	file.start = (unsigned long)p;

	/* sparse: one page written per 2 MiB, THP off */
	sparse.name = "sparse";
	sparse.len = sparse_len;
	p = map_anon(sparse.len, 2 * MIB, PROT_READ | PROT_WRITE);
	madvise(p, sparse.len, MADV_NOHUGEPAGE);
	populate(p, sparse.len, 2 * MIB);
	sparse.start = (unsigned long)p;

	/* sparse-seek: one page written per 64 MiB, no memory reserved */
	seek.name = "sparse-seek";
	seek.len = seek_len;
	p = map_anon(seek.len, 0, PROT_READ | PROT_WRITE);
	populate(p, seek.len, 64 * MIB);
	seek.start = (unsigned long)p;

	/* holes: address space reserved PROT_NONE, then unmapped */
	holes.name = "holes";
	holes.len = hole_len;
	p = map_anon(holes.len, 0, PROT_NONE);
	munmap(p, holes.len);
	holes.start = (unsigned long)p;

	kb = smaps_kb(thp.start, "AnonHugePages");
	printf("# regions: dense4k %lu MiB at %#lx (AnonHugePages %ld kB), ",
	       dense.len / MIB, dense.start,
	       smaps_kb(dense.start, "AnonHugePages"));
	printf("thp %lu MiB at %#lx (AnonHugePages %lu kB), ",
	       thp.len / MIB, thp.start, kb);
	printf("file-tmpfs %lu MiB, sparse %lu MiB (1 page per 2 MiB), ",
	       file.len / MIB, sparse.len / MIB);
	printf("holes %lu MiB unmapped\n", holes.len / MIB);

	/* the cases, at the default read size */
	r = dense;
	r.len = dense.len < 512 * MIB ? dense.len : 512 * MIB;
	t = bench_region(&r, DEF_BUF);
	printf("# GOAL dense4k module/in-tree >= 8: %.2f\n", t.kern / t.mod);
	t = bench_region(&thp, DEF_BUF);
	printf("# GOAL thp module/in-tree >= 4: %.2f\n", t.kern / t.mod);
	bench_region(&file, DEF_BUF);
	bench_region(&sparse, DEF_BUF);
	t = bench_region(&holes, DEF_BUF);
	printf("# GOAL holes module/in-tree >= 10: %.2f\n", t.kern / t.mod);
	printf("# GOAL sparse-seek in-tree/seek >= 100: %.0f\n",
	       bench_seek(&seek, reps));
	tap(!bench_maps(self, "maps-self", reps),
	    "maps-self: every mapping of this process");
	tap(!bench_maps(1, "maps-init", reps),
	    "maps-init: every mapping of pid 1 (busybox sh)");

	/* read sizes: at most 4096 reads or the whole region per run */
	for (i = 0; i < ARRAY_SIZE(sweep); i++) {
		const struct region *sr[] = { &dense, &holes };
		unsigned int j;

		for (j = 0; j < 2; j++) {
			unsigned long n = sr[j]->len >> page_shift;
			unsigned long most = sweep[i] / hdr.entry_size * 4096;
			char name[32];

			if (n > most)
				n = most;
			snprintf(name, sizeof(name), "bufsize-%s", sr[j]->name);
			if (time_pages(self, sr[j]->start >> page_shift, n,
				       sweep[i], reps, &t)) {
				tap(false, "%s %zu: read both files", name, sweep[i]);
				continue;
			}
			print_timing(name, n, sweep[i], &t);
		}
	}
	tap(true, "bufsize: 8 B to 4 MiB per read");

	/* growth: prefixes of the dense region, 64 MiB to the whole */
	for (len = 64 * MIB; len <= dense.len; len *= 2) {
		unsigned long n = len >> page_shift;
		char name[32];

		snprintf(name, sizeof(name), "growth-%luM", len / MIB);
		if (time_pages(self, dense.start >> page_shift, n, DEF_BUF,
			       reps, &t)) {
			tap(false, "%s: read both files", name);
			continue;
		}
		print_timing(name, n, DEF_BUF, &t);
		if (len == 64 * MIB) {
			t64 = t;
		} else {
			double f = len / (64.0 * MIB);

			printf("# GROWTH %4luM: time/(64M time x %2.0f) ",
			       len / MIB, f);
			printf("module %.2f in-tree %.2f (1.00 = linear)\n",
			       t.mod / (t64.mod * f), t.kern / (t64.kern * f));
		}
	}
	tap(true, "growth: 64 MiB to %lu MiB", dense.len / MIB);

	/* mmap/munmap latency while a reader scans the dense region */
	r = dense;
	r.len = dense.len < 512 * MIB ? dense.len : 512 * MIB;
	bench_latency(&r);

	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
