// SPDX-License-Identifier: GPL-2.0
/*
 * The module's failure paths, driven by the kernel's fault injection
 * (Documentation/fault-injection): kmalloc (failslab), the page allocator
 * (fail_page_alloc) and user copies (fail_usercopy) fail on demand while
 * this test looks up, opens, stats, lists, reads and seeks the maps, and
 * mounts the filesystem. Every operation must either succeed with the
 * right result (entries equal to an uninjected read) or fail with an
 * errno docs/pagemap.rst documents, leave the file position where the
 * format says, and leak nothing (the VM's kmemleak scan). A run that
 * injected no failure fails: the hits are counted from each attribute's
 * `times`.
 *
 * every_failure_point: each operation again and again with its Nth
 * fault site failing (/proc/thread-self/fail-nth), N = 1, 2, ... until
 * the operation runs out of sites: every failure point, in order.
 * random_failures: PMAP_FAULT_OPS (pmap.fault_ops=, default 2000) random
 * operations by a task whose failures are filtered in
 * (/proc/thread-self/make-it-fail), each fault site failing with a
 * probability of PMAP_FAULT_PERCENT (pmap.fault_percent=, default 10).
 *
 * Needs CONFIG_FAULT_INJECTION_DEBUG_FS with FAILSLAB, FAIL_PAGE_ALLOC and
 * FAULT_INJECTION_USERCOPY (the debug kernel: scripts/debug-kernel.config);
 * on other kernels (Debian's) it skips.
 */
#include <sys/mount.h>

#include "pagemap_test.h"
#include "kselftest_harness.h"

#define FI_ROOT		"/sys/kernel/debug"
#define FI_TIMES	1000000000
#define FI_REGION	64		/* pages of the target's mapping */
#define FI_SPAN		2048		/* pages read on each side of it */
#define FI_NTH_MAX	2000		/* more fault sites: an endless loop */
#define FI_LOGGED	10

static const char * const fi_attrs[] = {
	"failslab", "fail_page_alloc", "fail_usercopy",
};

#define FI_NR_ATTRS	ARRAY_SIZE(fi_attrs)

/*
 * Settings for every attribute, then the filters that by default spare
 * what a reader's system calls allocate (GFP_KERNEL allocations, user
 * pages, order 0). Each knob's value is restored at teardown.
 */
static const struct {
	const char *attr, *knob, *value;
} fi_knobs[] = {
	{ "*", "verbose", "0" },	/* no stack dumps in dmesg */
	{ "*", "task-filter", "Y" },
	{ "*", "probability", "0" },
	{ "*", "interval", "1" },
	{ "*", "space", "0" },
	{ "*", "times", "1000000000" },
	{ "failslab", "ignore-gfp-wait", "N" },
	{ "fail_page_alloc", "ignore-gfp-wait", "N" },
	{ "fail_page_alloc", "ignore-gfp-highmem", "N" },
	{ "fail_page_alloc", "min-order", "0" },
};

#define FI_NR_KNOBS	ARRAY_SIZE(fi_knobs)
#define FI_MAX_SAVED	(FI_NR_KNOBS * FI_NR_ATTRS)

enum fi_op {
	OP_OPEN_NEW,	/* look up and open the map of a new process */
	OP_OPEN_SELF,	/* the "self" link, then the open */
	OP_STAT,
	OP_GETDENTS,	/* list /proc/pagemap into an unfaulted buffer */
	OP_PREAD,	/* pread into an unfaulted buffer */
	OP_READ,	/* read at the file position, unfaulted buffer */
	OP_LSEEK,
	OP_MOUNT,	/* a second mount of the filesystem */
	OP_NR,
};

static const char * const op_names[OP_NR] = {
	"open new pid", "open self", "stat", "getdents", "pread", "read",
	"lseek", "mount",
};

struct fi_saved {
	char path[128];
	char value[32];
};

FIXTURE(faults) {
	pid_t target;		/* paused, its map never changes */
	struct pt_map pm;	/* the target's map */
	uint64_t first;		/* first virtual page of the window */
	size_t nr;		/* pages in the window */
	uint64_t *expect;	/* the window, read without injection */
	char mnt[64];
	struct fi_saved saved[FI_MAX_SAVED];
	int nr_saved;
	unsigned long long hits[FI_NR_ATTRS];
	unsigned long ops, failed_ops, bad;
	unsigned long long injected;	/* into the operations */
	uint64_t rng;
};

#define FI_DATA		FIXTURE_DATA(faults)

static int fi_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -EIO;
}

/* Set one knob of one attribute, keeping its old value; 0 or -errno. */
static int fi_set(FI_DATA *self, const char *attr,
		  const char *knob, const char *value)
{
	struct fi_saved *s = &self->saved[self->nr_saved];
	int n;

	snprintf(s->path, sizeof(s->path), FI_ROOT "/%s/%s", attr, knob);
	n = pt_read_file(s->path, s->value, sizeof(s->value));
	if (n < 0)
		return n;
	s->value[strcspn(s->value, "\n")] = '\0';
	self->nr_saved++;
	return fi_write(s->path, value);
}

static long long fi_times(const char *attr)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), FI_ROOT "/%s/times", attr);
	if (pt_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtoll(buf, NULL, 0);
}

/*
 * The failures injected since the setup set every `times` to FI_TIMES
 * (each injected failure takes one off), per attribute; their sum.
 */
static unsigned long long fi_count_hits(FI_DATA *self)
{
	unsigned long long all = 0;
	unsigned int i;

	for (i = 0; i < FI_NR_ATTRS; i++) {
		long long left = fi_times(fi_attrs[i]);

		self->hits[i] = left >= 0 && left <= FI_TIMES ? FI_TIMES - left : 0;
		all += self->hits[i];
	}
	return all;
}

/*
 * A child whose map is fixed: FI_REGION pages, every other one written;
 * returns once they are.
 */
static pid_t start_target(char **region)
{
	long page = pt_page_size();
	char *p = mmap(NULL, FI_REGION * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ready[2], i;
	pid_t pid;
	char c;

	if (p == MAP_FAILED || pipe(ready))
		return -1;
	*region = p;
	pid = pt_fork();
	if (pid == 0) {
		for (i = 0; i < FI_REGION; i += 2)
			p[i * page] = 1;
		CHILD_CHECK(write(ready[1], "r", 1) == 1, "%m");
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		pid = -1;
	close(ready[0]);
	return pid;
}

FIXTURE_SETUP(faults)
{
	char *region, path[64];
	unsigned int i, k;
	long n;

	memset(self, 0, sizeof(*self));
	self->target = -1;
	self->pm.fd = -1;
	self->rng = pt_setting("PMAP_FAULT_SEED", "fault_seed", 0x5eed);
	if (!pt_module_mounted())
		SETUP_SKIP("the module is not mounted at " PMAP_MOUNT);
	if (access("/proc/thread-self/fail-nth", W_OK))
		SETUP_SKIP("no /proc/thread-self/fail-nth: kernel without CONFIG_FAULT_INJECTION");
	for (i = 0; i < FI_NR_ATTRS; i++) {
		snprintf(path, sizeof(path), FI_ROOT "/%s", fi_attrs[i]);
		if (access(path, F_OK))
			SETUP_SKIP("no %s: no such fault injection or no FAULT_INJECTION_DEBUG_FS",
				   path);
	}
	for (k = 0; k < FI_NR_KNOBS; k++)
		for (i = 0; i < FI_NR_ATTRS; i++) {
			if (strcmp(fi_knobs[k].attr, "*") &&
			    strcmp(fi_knobs[k].attr, fi_attrs[i]))
				continue;
			ASSERT_EQ(0, fi_set(self, fi_attrs[i], fi_knobs[k].knob,
					    fi_knobs[k].value))
				TH_LOG("%s/%s: %s", fi_attrs[i],
				       fi_knobs[k].knob, strerror(errno));
		}

	self->target = start_target(&region);
	ASSERT_LT(0, self->target);
	ASSERT_EQ(0, pt_map_open(self->target, &self->pm));
	self->first = pt_vpn(region) - FI_SPAN;
	self->nr = FI_REGION + 2 * FI_SPAN;
	self->expect = calloc(self->nr, sizeof(uint64_t));
	ASSERT_NE(NULL, self->expect);
	n = pt_map_read(&self->pm, self->first, self->nr, self->expect);
	ASSERT_EQ((long)self->nr, n);
	ASSERT_NE(PMAP_NOT_PRESENT, self->expect[FI_SPAN]);
	ASSERT_EQ(PMAP_NOT_PRESENT, self->expect[FI_SPAN + 1]);
	snprintf(self->mnt, sizeof(self->mnt), "/tmp/pagemap-faults-%d",
		 getpid());
	ASSERT_EQ(0, mkdir(self->mnt, 0700));
}

FIXTURE_TEARDOWN(faults)
{
	int i;

	/* knobs set twice (a skip between) are restored in reverse order */
	for (i = self->nr_saved - 1; i >= 0; i--)
		fi_write(self->saved[i].path, self->saved[i].value);
	pt_map_close(&self->pm);
	if (self->target > 0) {
		kill(self->target, SIGKILL);
		pt_wait(self->target);
	}
	if (self->mnt[0]) {
		umount(self->mnt);
		rmdir(self->mnt);
	}
	free(self->expect);
}

/*
 * One try of one operation: failures are armed just before its system
 * call and disarmed right after, so that nothing else fails. With @nth,
 * the nth fault site fails (fail-nth); otherwise each one may, with the
 * attributes' probability (make-it-fail).
 */
struct fi_try {
	unsigned int nth;
	int ctl;		/* fail-nth or make-it-fail, opened before */
	unsigned long long before;
	unsigned long long hits;	/* failures injected into the call */
	bool injected;
};

static void fi_arm(FI_DATA *self, struct fi_try *t)
{
	char buf[16];

	t->before = fi_count_hits(self);
	t->ctl = open(t->nth ? "/proc/thread-self/fail-nth" :
		      "/proc/thread-self/make-it-fail", O_RDWR);
	snprintf(buf, sizeof(buf), "%u", t->nth ? t->nth : 1);
	if (t->ctl >= 0 && write(t->ctl, buf, strlen(buf)) < 0) {
		close(t->ctl);
		t->ctl = -1;
	}
}

/*
 * fail-nth reads 0 once its site has failed; read before the write that
 * disarms it (whose own copy from the user could be the site). With
 * make-it-fail, that write may fail too: those failures are not the call's.
 */
static void fi_disarm(FI_DATA *self, struct fi_try *t)
{
	unsigned long long own = 0;
	char buf[16] = "";
	int tries;

	if (t->ctl < 0)
		return;
	if (t->nth)
		t->hits = pread(t->ctl, buf, sizeof(buf) - 1, 0) == 2 &&
			  buf[0] == '0';
	for (tries = 0; tries < 1000; tries++, own++)
		if (pwrite(t->ctl, "0", 1, 0) == 1)
			break;
	close(t->ctl);
	if (!t->nth)
		t->hits = fi_count_hits(self) - t->before - own;
	t->injected = t->hits > 0;
	self->injected += t->hits;
}

/* An errno the format documents for an operation that ran out of memory. */
static bool fi_documented(int err)
{
	return err == ENOMEM || err == EFAULT;
}

static void fi_bad(FI_DATA *self, enum fi_op op,
		   struct fi_try *t, const char *fmt, ...)
{
	va_list ap;

	self->bad++;
	if (self->bad > FI_LOGGED)
		return;
	fprintf(stderr, "# %s (%s %u): ", op_names[op],
		t->nth ? "fail-nth" : "random", t->nth);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The result of a call that failed: documented, and only when injected. */
static void fi_check_error(FI_DATA *self, enum fi_op op,
			   struct fi_try *t, int err)
{
	self->failed_ops++;
	if (!t->injected)
		fi_bad(self, op, t, "failed with %s, nothing injected",
		       strerror(err));
	else if (!fi_documented(err))
		fi_bad(self, op, t, "failed with %s (errno %d), not documented",
		       strerror(err), err);
}

static uint64_t fi_rand(FI_DATA *self, uint64_t n)
{
	uint64_t z = (self->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return n ? (z ^ (z >> 31)) % n : 0;
}

/* Open a map, the lookup included; it must read its header after. */
static void op_open(FI_DATA *self, enum fi_op op,
		    struct fi_try *t)
{
	char path[64];
	struct pt_map pm;
	pid_t pid = 0;
	int fd, err;

	if (op == OP_OPEN_NEW) {
		pid = pt_fork();
		if (pid == 0) {
			for (;;)
				pause();
		}
	}
	pt_map_path(path, sizeof(path), pid);
	fi_arm(self, t);
	fd = open(path, O_RDONLY);
	err = errno;
	fi_disarm(self, t);
	if (fd >= 0) {
		if (pt_map_attach(fd, &pm))
			fi_bad(self, op, t, "opened, but no header");
		close(fd);
	} else {
		fi_check_error(self, op, t, err);
	}
	/* a failed lookup must not be remembered */
	if (pt_map_open(pid, &pm))
		fi_bad(self, op, t, "%s does not open after", path);
	pt_map_close(&pm);
	if (pid > 0) {
		kill(pid, SIGKILL);
		pt_wait(pid);
	}
}

static void op_stat(FI_DATA *self, struct fi_try *t)
{
	struct stat st;
	char path[64];
	int r, err;

	pt_map_path(path, sizeof(path), self->target);
	fi_arm(self, t);
	r = stat(path, &st);
	err = errno;
	fi_disarm(self, t);
	if (r)
		fi_check_error(self, OP_STAT, t, err);
	else if (st.st_mode != (S_IFREG | 0400) || st.st_uid != geteuid())
		fi_bad(self, OP_STAT, t, "mode 0%o uid %u", st.st_mode,
		       st.st_uid);
}

/* Names in a getdents64 buffer: each valid; note self and the target. */
static int fi_scan_dirents(const char *buf, long len, pid_t target,
			   int *seen)
{
	char want[16];
	long off;

	snprintf(want, sizeof(want), "%d", target);
	for (off = 0; off < len; ) {
		const struct {
			uint64_t ino;
			int64_t off;
			unsigned short reclen;
			unsigned char type;
			char name[];
		} *d = (const void *)(buf + off);

		if (d->reclen == 0)
			return -1;
		if (!strcmp(d->name, "self") || !strcmp(d->name, want))
			(*seen)++;
		else if (strcmp(d->name, ".") && strcmp(d->name, "..") &&
			 (d->name[0] < '1' || d->name[0] > '9' ||
			  strspn(d->name, "0123456789") != strlen(d->name)))
			return -1;
		off += d->reclen;
	}
	return 0;
}

static void op_getdents(FI_DATA *self, struct fi_try *t)
{
	size_t len = 64 << 10;
	char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int dfd = open(PMAP_MOUNT, O_RDONLY | O_DIRECTORY), seen = 0, err;
	long r;

	if (buf == MAP_FAILED || dfd < 0) {
		fi_bad(self, OP_GETDENTS, t, "setup: %s", strerror(errno));
		goto out;
	}
	fi_arm(self, t);
	r = syscall(SYS_getdents64, dfd, buf, len);
	err = errno;
	fi_disarm(self, t);
	if (r < 0) {
		fi_check_error(self, OP_GETDENTS, t, err);
		goto out;
	}
	/* the rest of the listing, without injection */
	while (r > 0) {
		if (fi_scan_dirents(buf, r, self->target, &seen)) {
			fi_bad(self, OP_GETDENTS, t, "a bad entry");
			goto out;
		}
		r = syscall(SYS_getdents64, dfd, buf, len);
	}
	if (r < 0 || seen != 2)
		fi_bad(self, OP_GETDENTS, t, "self and %d listed %d times",
		       self->target, seen);
out:
	if (dfd >= 0)
		close(dfd);
	if (buf != MAP_FAILED)
		munmap(buf, len);
}

/*
 * Entries [s, s + c) of the window, by pread or by read at the file
 * position, into a buffer not faulted in yet: its faults are the read's.
 * Whole (or, when injected, a prefix of whole entries) and right, or
 * EFAULT; the position moves by what was returned, for read only.
 */
static void op_read(FI_DATA *self, enum fi_op op,
		    struct fi_try *t, size_t s, size_t c)
{
	size_t esz = self->pm.h.entry_size, len = c * esz, i;
	off_t off = pmap_entry_offset(&self->pm.h, self->first + s), pos0, pos;
	unsigned char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t again;
	ssize_t r;
	int err;

	if (buf == MAP_FAILED) {
		fi_bad(self, op, t, "mmap: %s", strerror(errno));
		return;
	}
	pos0 = op == OP_READ ? off : (off_t)(fi_rand(self, 1 << 20) * esz);
	lseek(self->pm.fd, pos0, SEEK_SET);
	fi_arm(self, t);
	if (op == OP_READ)
		r = read(self->pm.fd, buf, len);
	else
		r = pread(self->pm.fd, buf, len, off);
	err = errno;
	fi_disarm(self, t);
	pos = lseek(self->pm.fd, 0, SEEK_CUR);
	if (r < 0) {
		fi_check_error(self, op, t, err);
		r = 0;
	} else if (r % esz || (size_t)r > len || ((size_t)r < len && !t->injected)) {
		fi_bad(self, op, t, "%zd bytes of %zu", r, len);
		r = 0;
	}
	if (pos != pos0 + (op == OP_READ ? r : 0))
		fi_bad(self, op, t, "position %jd after %zd bytes from %jd",
		       (intmax_t)pos, r, (intmax_t)pos0);
	for (i = 0; i < (size_t)r / esz; i++) {
		uint64_t e = pmap_entry(&self->pm.h, buf + i * esz);

		if (e == self->expect[s + i])
			continue;
		/* a change of the map itself is no fault of the read */
		if (pt_map_read(&self->pm, self->first + s + i, 1, &again) == 1 &&
		    again == e) {
			self->expect[s + i] = e;
			continue;
		}
		fi_bad(self, op, t, "entry %zu: 0x%" PRIx64 ", not 0x%" PRIx64,
		       s + i, e, self->expect[s + i]);
		break;
	}
	munmap(buf, len);
}

static void op_lseek(FI_DATA *self, struct fi_try *t, off_t off)
{
	off_t a, b;

	fi_arm(self, t);
	a = lseek(self->pm.fd, off, SEEK_SET);
	b = lseek(self->pm.fd, self->pm.h.entry_size, SEEK_CUR);
	fi_disarm(self, t);
	if (a != off || b != off + self->pm.h.entry_size)
		fi_bad(self, OP_LSEEK, t, "%jd then %jd, from %jd",
		       (intmax_t)a, (intmax_t)b, (intmax_t)off);
}

/* A second superblock: it works, or it fails and nothing is mounted. */
static void op_mount(FI_DATA *self, struct fi_try *t)
{
	char path[96];
	int r, err;

	fi_arm(self, t);
	r = mount(PMAP_FSTYPE, self->mnt, PMAP_FSTYPE, 0, NULL);
	err = errno;
	fi_disarm(self, t);
	snprintf(path, sizeof(path), "%s/self", self->mnt);
	if (r) {
		fi_check_error(self, OP_MOUNT, t, err);
		if (!umount(self->mnt))
			fi_bad(self, OP_MOUNT, t, "failed, but mounted");
		return;
	}
	if (access(path, F_OK))
		fi_bad(self, OP_MOUNT, t, "mounted, but no %s", path);
	if (umount(self->mnt))
		fi_bad(self, OP_MOUNT, t, "umount: %s", strerror(errno));
}

/* One operation; reads of the window at @s for @c entries. */
static void fi_op(FI_DATA *self, enum fi_op op,
		  struct fi_try *t, size_t s, size_t c)
{
	self->ops++;
	switch (op) {
	case OP_OPEN_NEW:
	case OP_OPEN_SELF:
		op_open(self, op, t);
		break;
	case OP_STAT:
		op_stat(self, t);
		break;
	case OP_GETDENTS:
		op_getdents(self, t);
		break;
	case OP_PREAD:
	case OP_READ:
		op_read(self, op, t, s, c);
		break;
	case OP_LSEEK:
		op_lseek(self, t, pmap_entry_offset(&self->pm.h,
						    self->first + s));
		break;
	default:
		op_mount(self, t);
		break;
	}
}

static void fi_report(FI_DATA *self, const char *what)
{
	unsigned long long all = fi_count_hits(self);

	fprintf(stderr, "# %s: %lu operations, %lu failed, %llu failures injected into them\n",
		what, self->ops, self->failed_ops, self->injected);
	fprintf(stderr, "# %s: %llu in all: failslab %llu, fail_page_alloc %llu, usercopy %llu\n",
		what, all, self->hits[0], self->hits[1], self->hits[2]);
	fprintf(stderr, "# %s: %lu wrong results\n", what, self->bad);
}

TEST_F_TIMEOUT(faults, every_failure_point_gives_a_documented_result, 1800)
{
	unsigned int op, nth;

	for (op = 0; op < OP_NR; op++) {
		for (nth = 1; nth <= FI_NTH_MAX; nth++) {
			struct fi_try t = { .nth = nth };

			/* from the hole into the region and out again */
			fi_op(self, op, &t, FI_SPAN - 700, FI_REGION + 1400);
			if (!t.injected)
				break;
		}
		fprintf(stderr, "# %s: %u fault sites\n", op_names[op], nth - 1);
		EXPECT_GE(FI_NTH_MAX, nth) TH_LOG("%s: endless", op_names[op]);
	}
	fi_report(self, "every failure point");
	EXPECT_EQ(0, self->bad);
	EXPECT_LT(0, self->injected) TH_LOG("no failure was injected");
}

TEST_F_TIMEOUT(faults, random_failures_give_documented_results, 1800)
{
	unsigned long n = pt_setting("PMAP_FAULT_OPS", "fault_ops", 2000), i;
	char pct[16];
	unsigned int a;

	snprintf(pct, sizeof(pct), "%llu",
		 pt_setting("PMAP_FAULT_PERCENT", "fault_percent", 10));
	for (a = 0; a < FI_NR_ATTRS; a++)
		ASSERT_EQ(0, fi_set(self, fi_attrs[a], "probability", pct));
	for (i = 0; i < n; i++) {
		struct fi_try t = { .nth = 0 };
		size_t s = fi_rand(self, self->nr);

		fi_op(self, fi_rand(self, OP_NR), &t, s,
		      1 + fi_rand(self, self->nr - s));
	}
	fi_report(self, "random failures");
	EXPECT_EQ(0, self->bad);
	EXPECT_LT(0, self->injected) TH_LOG("no failure was injected");
}

TEST_HARNESS_MAIN
