// SPDX-License-Identifier: GPL-2.0
/*
 * Reads racing with changes: mutator threads mmap, munmap, mprotect,
 * mremap and madvise an arena while the map of that arena is read into
 * fresh, not yet faulted memory of the target itself (the read must not
 * hold the target's mmap lock across its copy to user space, which a
 * userfaultfd shows deterministically); a reader killed in the middle of a
 * huge read, or of a seek across many page tables, stops at once.
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>

#include "pagemap_test.h"
#include "kselftest_harness.h"

#define MUTATORS	3
#define SLOTS		16	/* per mutator */
#define RUN_SECONDS	3

struct arena {
	char *base;
	size_t slot;		/* bytes per slot */
	double deadline;
	unsigned long ops[MUTATORS];
};

struct mutator_arg {
	struct arena *a;
	int id;
};

/* Each mutator owns its own slots, so no thread touches freed memory. */
static void *mutate(void *arg)
{
	struct mutator_arg *m = arg;
	struct arena *a = m->a;
	unsigned int seed = m->id * 7919 + 1;
	char *mine = a->base + (size_t)m->id * SLOTS * a->slot;
	long page = pt_page_size();

	while (pt_now() < a->deadline) {
		int s = rand_r(&seed) % SLOTS, op = rand_r(&seed) % 7;
		char *slot = mine + (size_t)s * a->slot;
		char *other = mine + (size_t)((s + 1) % SLOTS) * a->slot;

		switch (op) {
		case 0:
			if (mmap(slot, a->slot, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0) != MAP_FAILED)
				pt_touch(slot, a->slot / 2);
			break;
		case 1:
			munmap(slot, a->slot);
			break;
		case 2:
			mprotect(slot + page, page, PROT_READ);
			break;
		case 3:
			madvise(slot, a->slot, MADV_DONTNEED);
			break;
		case 4:
			if (mmap(slot, a->slot, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0) != MAP_FAILED) {
				madvise(slot, a->slot, MADV_HUGEPAGE);
				pt_touch(slot, a->slot);
			}
			break;
		case 5:
			mremap(slot, a->slot, a->slot,
			       MREMAP_MAYMOVE | MREMAP_FIXED, other);
			break;
		case 6:
			if (mmap(slot, a->slot, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0) != MAP_FAILED)
				pt_read_fault(slot, a->slot);
			break;
		}
		a->ops[m->id]++;
	}
	return NULL;
}

FIXTURE(race) {
	struct arena a;
	size_t len;
	pthread_t threads[MUTATORS];
	struct mutator_arg args[MUTATORS];
	pid_t target;		/* 0: the mutators are our own threads */
	uint64_t max_pfn;
	char *window;		/* where the test reads to, out of their reach */
	size_t window_len;
};

FIXTURE_VARIANT(race) {
	int other_process;
};

FIXTURE_VARIANT_ADD(race, own_threads) { .other_process = 0 };
FIXTURE_VARIANT_ADD(race, other_process) { .other_process = 1 };

#define RACE_DATA	FIXTURE_DATA(race)

static void start_mutators(RACE_DATA *self)
{
	int i;

	for (i = 0; i < MUTATORS; i++) {
		self->args[i].a = &self->a;
		self->args[i].id = i;
		pthread_create(&self->threads[i], NULL, mutate,
			       &self->args[i]);
	}
}

FIXTURE_SETUP(race)
{
	unsigned long thp = pt_thp_size();

	ASSERT_TRUE(pt_module_mounted());
	/* slots of one THP (or 2 MiB) each: 48 slots, under 100 MiB */
	self->a.slot = thp && thp <= (4UL << 20) ? thp : 2UL << 20;
	self->len = (size_t)MUTATORS * SLOTS * self->a.slot;
	self->a.base = pt_mmap_aligned(self->len, self->a.slot, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS |
				       MAP_NORESERVE, -1);
	ASSERT_NE(MAP_FAILED, self->a.base);
	self->a.deadline = pt_now() + RUN_SECONDS;
	self->max_pfn = pt_max_pfn();
	/*
	 * The read buffer is reserved before the mutators start: reserved
	 * later, it could land in a slot they have unmapped, and their next
	 * MAP_FIXED or munmap of that slot would take it away mid-decode.
	 * Sized for the arena plus a margin on each side at the largest
	 * entry size (8 bytes).
	 */
	self->window_len = ((self->len / pt_page_size()) + 2 * 512) * 8;
	self->window = mmap(NULL, self->window_len, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->window);
	if (variant->other_process) {
		self->target = pt_fork();
		ASSERT_GE(self->target, 0);
		if (self->target == 0) {
			start_mutators(self);
			for (int i = 0; i < MUTATORS; i++)
				pthread_join(self->threads[i], NULL);
			pause();
			_exit(0);
		}
	} else {
		start_mutators(self);
	}
}

FIXTURE_TEARDOWN(race)
{
	int i;

	if (self->target > 0) {
		kill(self->target, SIGKILL);
		pt_wait(self->target);
	} else {
		self->a.deadline = 0;
		for (i = 0; i < MUTATORS; i++)
			pthread_join(self->threads[i], NULL);
	}
	munmap(self->window, self->window_len);
}

TEST_F_TIMEOUT(race, reads_into_unfaulted_memory_while_the_map_changes, 90)
{
	struct pt_map pm;
	size_t e, pages, bufsz, i, bad = 0;
	unsigned long reads = 0;
	char *window = self->window;
	int ret;

	ret = pt_map_open(self->target, &pm);
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	e = pm.h.entry_size;
	/* the arena plus a margin on each side */
	pages = (self->len >> pm.h.page_shift) + 2 * 512;
	bufsz = pages * e;
	ASSERT_LE(bufsz, self->window_len);
	/* the window is replaced by fresh memory for every read */

	while (pt_now() < self->a.deadline + 0.2) {
		unsigned char *buf = mmap(window, bufsz, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS |
					  MAP_FIXED, -1, 0);
		ssize_t n;

		ASSERT_NE(MAP_FAILED, buf);
		n = pread(pm.fd, buf, bufsz,
			  pmap_entry_offset(&pm.h,
					    pt_vpn(self->a.base) - 512));
		ASSERT_EQ((ssize_t)bufsz, n) TH_LOG("read: %s", strerror(errno));
		for (i = 0; i < pages; i++) {
			uint64_t v = pmap_entry(&pm.h, buf + i * e);

			if (v != PMAP_NOT_PRESENT && v >= self->max_pfn)
				bad++;
		}
		reads++;
		/* and a read of the margin alone, small and unaligned */
		n = pread(pm.fd, buf, 3 * e,
			  pmap_entry_offset(&pm.h, pt_vpn(self->a.base) - 2));
		ASSERT_EQ((ssize_t)(3 * e), n);
	}
	TH_LOG("%lu reads of %zu entries, %zu bad entries", reads, pages, bad);
	if (!self->target)
		TH_LOG("mutator operations: %lu %lu %lu", self->a.ops[0],
		       self->a.ops[1], self->a.ops[2]);
	EXPECT_GT(reads, 0);
	EXPECT_EQ(0, bad);
	pt_map_close(&pm);
}

FIXTURE(huge) {
	struct pt_map pm;
};

FIXTURE_SETUP(huge)
{
	ASSERT_EQ(0, pt_map_open(0, &self->pm));
}

FIXTURE_TEARDOWN(huge)
{
	pt_map_close(&self->pm);
}

/*
 * A reader that shares our address space (CLONE_VM, as a thread does) in a
 * thread group of its own, so that SIGKILL takes it alone and its exit has
 * no address space to tear down: the time from SIGKILL to its reaping is
 * the time the read takes to see the signal and return, which is what the
 * module controls. (A forked reader's exit unmaps gigabytes of buffer
 * first, which takes most of a second on a KASAN kernel.) It read()s from
 * the open file it shares with us: what its read returned, killed or not,
 * shows in the file position.
 */
struct shared_reader {
	int fd;
	char *buf;
	size_t count;
	int whence;		/* SEEK_DATA: lseek() from pos, not read() */
	off_t pos;
	int state;		/* READING, then RETURNED */
	pid_t pid;
	char *stack;
};

enum { READING = 1, RETURNED };
#define READER_STACK	(256 << 10)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

static int shared_reader_run(void *arg)
{
	struct shared_reader *r = arg;

	__atomic_store_n(&r->state, READING, __ATOMIC_SEQ_CST);
	if (r->whence ? lseek(r->fd, r->pos, r->whence) < 0 :
	    read(r->fd, r->buf, r->count) < 0)
		return 1;
	__atomic_store_n(&r->state, RETURNED, __ATOMIC_SEQ_CST);
	return 0;
}

/* Start a read at @pos in a new reader; wait until it is inside read(). */
static int shared_reader_start(struct shared_reader *r, off_t pos)
{
	if (lseek(r->fd, pos, SEEK_SET) != pos)
		return -1;
	r->pos = pos;
	r->state = 0;
	r->pid = clone(shared_reader_run, r->stack + READER_STACK,
		       CLONE_VM | SIGCHLD, r);
	if (r->pid < 0)
		return -1;
	while (!__atomic_load_n(&r->state, __ATOMIC_SEQ_CST))
		usleep(1000);
	return 0;
}

FIXTURE(kill) {
	struct pt_map pm;
	struct shared_reader r;
	char *sparse;
	size_t span;
	size_t max;	/* bytes of window: the most one read returns */
	off_t pos;	/* where the read starts; a seek's data is there */
};

FIXTURE_VARIANT(kill) {
	int holes;	/* unmap the range before reading it */
	int seek;	/* SEEK_DATA across empty page tables, not a read */
};

FIXTURE_VARIANT_ADD(kill, huge_sparse_mapping) { .holes = 0 };
FIXTURE_VARIANT_ADD(kill, holes) { .holes = 1 };
FIXTURE_VARIANT_ADD(kill, seek_across_empty_page_tables) { .seek = 1 };

#define KILL_DATA	FIXTURE_DATA(kill)
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL	102
#endif
/* The pte tables the seek crosses: 256 MiB of them (65536 of 4 KiB). */
#define SEEK_TABLE_BYTES	(256UL << 20)

/*
 * The seek's ground: SEEK_TABLE_BYTES of pte tables where no page is present,
 * then one present page. A guard marker (6.13 on) in one pte of each makes
 * the table without a page; older kernels keep the table of a page
 * touched and dropped with MADV_DONTNEED.
 */
static void setup_empty_tables(struct __test_metadata *_metadata,
			       KILL_DATA *self)
{
	size_t page = pt_page_size(), table = page / 8 * page, i;
	size_t tables = SEEK_TABLE_BYTES / page;
	bool guards = true;

	self->span = tables * table;
	self->sparse = pt_mmap_aligned(self->span + page, table,
				       PROT_READ | PROT_WRITE, MAP_PRIVATE |
				       MAP_ANONYMOUS | MAP_NORESERVE, -1);
	if (self->sparse == MAP_FAILED)
		SETUP_SKIP("no %zu GiB of address space to map: %m",
			   self->span >> 30);
	/* EINVAL on a kernel without THP (Debian's RT kernels): nothing to stop */
	if (madvise(self->sparse, self->span, MADV_NOHUGEPAGE))
		ASSERT_EQ(EINVAL, errno);
	for (i = 0; i < tables; i++) {
		char *p = self->sparse + i * table + table / 2;

		if (guards && !madvise(p, page, MADV_GUARD_INSTALL))
			continue;
		guards = false;
		*p = 1;
	}
	if (!guards)
		ASSERT_EQ(0, madvise(self->sparse, self->span, MADV_DONTNEED));
	self->sparse[self->span] = 1;
	self->pos = pmap_entry_offset(&self->pm.h,
				      pt_vpn(self->sparse + self->span));
	self->max = tables * (page / 8) * self->pm.h.entry_size;
	self->r.whence = SEEK_DATA;
}

/*
 * The read: up to almost 2 GiB of entries (the most one read returns),
 * those of a TiB with 4 KiB pages (16 TiB with 64 KiB pages) of an
 * untouched mapping, or of the hole it leaves, into a window of one small
 * memfd mapped again and again.
 */
FIXTURE_SETUP(kill)
{
	struct shared_reader *r = &self->r;

	if (sizeof(long) < 8)
		SETUP_SKIP("a TiB of address space needs a 64-bit process");
	ASSERT_EQ(0, pt_map_open(0, &self->pm));
	r->fd = self->pm.fd;
	r->stack = mmap(NULL, READER_STACK, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r->stack);
	if (variant->seek) {
		setup_empty_tables(_metadata, self);
		return;
	}
	self->max = (size_t)INT32_MAX & ~(pt_page_size() - 1);
	r->buf = pt_map_window(self->max, 2UL << 20);
	ASSERT_NE(NULL, r->buf);
	/*
	 * Every page of the window faulted in now: a read that faults its
	 * buffer would see the signal in the fault (get_user_pages() checks
	 * for one), and nothing but the read loop's own check must end it.
	 */
	if (madvise(r->buf, self->max, MADV_POPULATE_WRITE))
		pt_touch(r->buf, self->max);
	/* after the window, so that nothing lands in the hole */
	self->span = self->max / self->pm.h.entry_size * pt_page_size();
	self->sparse = mmap(NULL, self->span, PROT_READ, MAP_PRIVATE |
			    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (self->sparse == MAP_FAILED)
		SETUP_SKIP("no TiB of address space to map: %m");
	if (variant->holes)
		munmap(self->sparse, self->span);
	self->pos = pmap_entry_offset(&self->pm.h, pt_vpn(self->sparse));
}

FIXTURE_TEARDOWN(kill)
{
	if (self->r.buf)
		munmap(self->r.buf, self->max);
	if (self->sparse && self->sparse != MAP_FAILED && !variant->holes)
		munmap(self->sparse, self->span + (variant->seek ?
						   pt_page_size() : 0));
	if (self->r.stack && self->r.stack != MAP_FAILED)
		munmap(self->r.stack, READER_STACK);
	pt_map_close(&self->pm);
}

/*
 * Where the read or seek of @count bytes of entries starts: at the range's
 * start for a read, @count before the data for a seek.
 */
static off_t op_start(KILL_DATA *self, size_t count)
{
	return self->r.whence ? self->pos - (off_t)count : self->pos;
}

/* The time of one uninterrupted read, or seek, of @count bytes of entries. */
static double timed_read(struct __test_metadata *_metadata,
			 KILL_DATA *self, size_t count)
{
	struct shared_reader *r = &self->r;
	off_t pos = op_start(self, count);
	double t0;

	r->count = count;
	t0 = pt_now();
	ASSERT_EQ(0, shared_reader_start(r, pos));
	ASSERT_EQ(0, pt_wait(r->pid));
	ASSERT_EQ(r->whence ? self->pos : pos + (off_t)count,
		  lseek(r->fd, 0, SEEK_CUR));
	return pt_now() - t0;
}

/*
 * SIGKILL ends a read where it is. The read is sized to take about two
 * seconds on this kernel and this machine (at most the 2 GiB one read
 * returns; timed again until one takes a second or more, as the load of
 * the host can change the speed of a guest tenfold), then run again and
 * killed a fiftieth of the way in. It must have stopped before nine tenths
 * of it were done: a read that ignores fatal signals always runs to its
 * end, and a working one stops wherever the signal finds it, even if the
 * guest runs many times faster than when it was timed. And the reader is
 * gone in less time than the whole read takes here, a bound that grows
 * with a debug kernel or a loaded host as the read does.
 *
 * A seek (SEEK_DATA across empty page tables, sized the same way) moves
 * the position only when it returns: one that ignores fatal signals ends
 * at the data, all of its way done, and one that stops has done nothing.
 */
TEST_F_TIMEOUT(kill, sigkill_ends_a_long_read, 600)
{
	size_t max = self->max, page = pt_page_size();
	struct shared_reader *r = &self->r;
	size_t count = r->whence ? max / 64 : 32UL << 20;
	double t, t0, dt, grow;
	off_t done;
	int ret, tries;

	for (tries = 0; tries < 8; tries++) {
		t = timed_read(_metadata, self, count);
		if (t >= 1 || count == max)
			break;
		grow = t < 0.1 ? 8 : 2 / t;
		count = grow * count < max ?
			(size_t)(grow * count) & ~(page - 1) : max;
	}
	/*
	 * Under 50 ms (a seek across the whole ground on a fast kernel), a
	 * fiftieth of it is under a millisecond: too close to the time a
	 * kill takes to arrive.
	 */
	if (t < 0.05)
		SKIP(return, "a %zu MiB %s takes %.3f s: too fast to tell",
		     count >> 20, r->whence ? "seek" : "read", t);

	ASSERT_EQ(0, shared_reader_start(r, op_start(self, count)));
	usleep(t * 2e4);
	if (__atomic_load_n(&r->state, __ATOMIC_SEQ_CST) == RETURNED) {
		pt_wait(r->pid);
		SKIP(return, "the read ended within a fiftieth of its time");
	}
	t0 = pt_now();
	kill(r->pid, SIGKILL);
	ret = pt_wait(r->pid);
	dt = pt_now() - t0;
	done = lseek(r->fd, 0, SEEK_CUR) - op_start(self, count);
	printf("# %s: a %zu MiB %s takes %.3f s; killed a fiftieth in, ",
	       variant->seek ? "empty page tables" :
	       variant->holes ? "holes" : "sparse mapping", count >> 20,
	       r->whence ? "seek" : "read", t);
	printf("it had done %.1f%%, gone %.3f s after SIGKILL\n",
	       100.0 * done / count, dt);
	fflush(stdout);
	EXPECT_EQ(128 + SIGKILL, ret);
	EXPECT_GE(done, 0);
	EXPECT_LT(done, (off_t)(count / 10 * 9));
	EXPECT_LT(dt, t);
}

struct uffd_reader {
	struct pt_map *pm;
	void *dst;
	size_t len;
	off_t pos;
	ssize_t ret;
};

static void *uffd_read(void *arg)
{
	struct uffd_reader *r = arg;

	r->ret = pread(r->pm->fd, r->dst, r->len, r->pos);
	return NULL;
}

static void *map_and_unmap(void *arg)
{
	volatile int *done = arg;
	void *p = mmap(NULL, pt_page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, pt_page_size());
	*done = 1;
	return NULL;
}

/*
 * The read's destination is a page handled by a userfaultfd: while the
 * reader waits for its buffer to be faulted in, another thread's mmap must
 * go through, which it cannot if the read holds our mmap lock.
 */
TEST_F_TIMEOUT(huge, buffer_faults_are_taken_without_the_mmap_lock, 60)
{
	long page = pt_page_size();
	size_t e = self->pm.h.entry_size;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct uffdio_copy copy = { 0 };
	struct uffd_reader r;
	volatile int done = 0;
	unsigned char want[64 * 8];
	struct uffd_msg msg;
	struct pollfd pfd;
	pthread_t rt, mt;
	char *src, *dst, *zeros;
	int uffd, i;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	src = mmap(NULL, 64 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	zeros = mmap(NULL, page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	ASSERT_NE(MAP_FAILED, dst);
	ASSERT_NE(MAP_FAILED, zeros);
	pt_touch(src, 32 * page);
	reg.range.start = (uintptr_t)dst;
	reg.range.len = page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	r.pm = &self->pm;
	r.dst = dst;
	r.len = 64 * e;
	r.pos = pmap_entry_offset(&self->pm.h, pt_vpn(src));
	ASSERT_EQ(0, pthread_create(&rt, NULL, uffd_read, &r));
	pfd.fd = uffd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 20000)) TH_LOG("the read never faulted");
	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	/* the reader now waits for its buffer */
	ASSERT_EQ(0, pthread_create(&mt, NULL, map_and_unmap, (void *)&done));
	for (i = 0; i < 300 && !done; i++)
		usleep(10000);
	EXPECT_TRUE(done)
		TH_LOG("mmap blocked while a read waited on its buffer: %s",
		       "the mmap lock is held while the buffer faults");

	copy.dst = (uintptr_t)dst;
	copy.src = (uintptr_t)zeros;
	copy.len = page;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_COPY, &copy));
	pthread_join(mt, NULL);
	pthread_join(rt, NULL);
	EXPECT_EQ((ssize_t)(64 * e), r.ret);
	ASSERT_EQ((ssize_t)(64 * e), pread(self->pm.fd, want, 64 * e, r.pos));
	EXPECT_EQ(0, memcmp(want, dst, 64 * e));
	close(uffd);
}

TEST_HARNESS_MAIN
