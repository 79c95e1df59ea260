// SPDX-License-Identifier: GPL-2.0
/*
 * Reads racing with changes: mutator threads mmap, munmap, mprotect,
 * mremap and madvise an arena while the map of that arena is read into
 * fresh, not yet faulted memory of the target itself (the read must not
 * hold the target's mmap lock across its copy to user space, which a
 * userfaultfd shows deterministically); a reader killed in the middle of a
 * huge read stops at once.
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
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
}

TEST_F_TIMEOUT(race, reads_into_unfaulted_memory_while_the_map_changes, 90)
{
	struct pmap pm;
	size_t e, pages, bufsz, i, bad = 0;
	unsigned long reads = 0;
	char *window;
	int ret;

	ret = pmap_open(self->target, &pm);
	ASSERT_EQ(0, ret) TH_LOG("%s", strerror(-ret));
	e = pm.h.entry_size;
	/* the arena plus a margin on each side */
	pages = (self->len >> pm.h.page_shift) + 2 * 512;
	bufsz = pages * e;
	/* reserved once, then replaced by fresh memory for every read */
	window = mmap(NULL, bufsz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	ASSERT_NE(MAP_FAILED, window);

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
	munmap(window, bufsz);
	pmap_close(&pm);
}

FIXTURE(huge) {
	struct pmap pm;
};

FIXTURE_SETUP(huge)
{
	ASSERT_EQ(0, pmap_open(0, &self->pm));
}

FIXTURE_TEARDOWN(huge)
{
	pmap_close(&self->pm);
}

/*
 * A read of almost 2 GiB (the most one read may ask for) into a window made
 * of many mappings of one small memfd, killed right after it starts.
 */
TEST_F_TIMEOUT(huge, sigkill_ends_a_huge_read_quickly, 60)
{
	size_t chunk = 2UL << 20, count = (size_t)INT32_MAX & ~(pt_page_size() - 1);
	int ready[2], ret;
	struct pollfd pfd;
	double t0, dt;
	pid_t pid;
	char c;

	if ((uint64_t)pmap_probe_end(&self->pm) * self->pm.h.entry_size <
	    count)
		SKIP(return, "the whole map is smaller than one huge read");
	ASSERT_EQ(0, pipe(ready));
	pid = pt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char *w = pt_map_window(count, chunk);

		CHILD_CHECK(w, "%m");
		CHILD_CHECK(write(ready[1], "r", 1) == 1, "%m");
		ret = pread(self->pm.fd, w, count, self->pm.h.entry_size);
		CHILD_CHECK(write(ready[1], "d", 1) == 1, "%m");
		pause();
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	usleep(100000);
	pfd.fd = ready[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) == 1) {
		kill(pid, SIGKILL);
		pt_wait(pid);
		SKIP(return, "the read ended within 100 ms, before the kill");
	}
	t0 = pt_now();
	kill(pid, SIGKILL);
	ret = pt_wait(pid);
	dt = pt_now() - t0;
	TH_LOG("the killed reader was gone %.3f s after SIGKILL", dt);
	EXPECT_EQ(128 + SIGKILL, ret);
	EXPECT_LT(dt, 2.0);
}

struct uffd_reader {
	struct pmap *pm;
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
