// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: target processes whose threads mmap, munmap, mremap, mprotect and
 * madvise (DONTNEED, HUGEPAGE, COLLAPSE) an arena, fork children that exit
 * or exec, and exit themselves at random, while reader threads read random
 * ranges of their maps, khugepaged scans without pause and debugfs
 * split_huge_pages splits their huge pages. Every read must return all it
 * asked for (or 0 once the target is gone), every entry -1 or a plausible
 * frame, every SEEK_DATA and SEEK_HOLE an entry at or after its offset (or
 * ENXIO), and readers killed in the middle of a read must end.
 *
 * The run lasts PMAP_STRESS seconds, else pmap.stress= on the kernel
 * command line, else 60 seconds.
 */
#include <pthread.h>

#include "pagemap_test.h"
#include "kselftest_harness.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

#define EXIT_ARG	"--exit-at-once"
#define TARGETS		3
#define MUTATORS	2		/* threads per target */
#define SLOTS		8		/* per mutator */
#define SLOT_SIZE	(4UL << 20)
#define ARENA_SIZE	(MUTATORS * SLOTS * SLOT_SIZE)
#define READERS		2
#define KHP		"/sys/kernel/mm/transparent_hugepage/khugepaged/"
#define SPLIT_FILE	"/sys/kernel/debug/split_huge_pages"

/* Shared between the test process and the targets. */
struct shared {
	volatile int stop;
	volatile pid_t pid[TARGETS];
	unsigned long mut_ops, collapse_ok, collapse_einval, forks,
		      execs, target_exits;
};

struct stress {
	struct shared *sh;
	char *arena;
	unsigned int esz, page_shift;
	long page;
	uint64_t max_pfn;
	double deadline;
	pthread_mutex_t lock;
	/* results, under lock */
	unsigned long reads, entries, opens, gone, zero_reads, bad, splits,
		      kills, seeks;
	double kill_max;
};

static uint64_t xrand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void bad_result(struct stress *st, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&st->lock);
	if (st->bad++ < 10) {
		fprintf(stderr, "# stress: ");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	pthread_mutex_unlock(&st->lock);
}

/* ---- the targets ---- */

struct mutator {
	struct stress *st;
	int id;
	uint64_t rng;
};

/*
 * FRESH: one read-write mapping, safe to touch; CHANGED: anything else.
 * Only the mutators map inside the arena (the targets make no other
 * mappings once their threads run), so MAP_FIXED never clobbers others.
 */
enum { SLOT_FRESH = 1, SLOT_CHANGED };

/* Map the slot afresh: private or shared anonymous, or a memfd; 0 or -1. */
static int map_slot(struct mutator *m, char *s)
{
	int kind = xrand(&m->rng) % 3, flags = MAP_FIXED, fd = -1;
	void *p;

	if (kind == 0) {
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
	} else if (kind == 1) {
		flags |= MAP_SHARED | MAP_ANONYMOUS;
	} else {
		fd = memfd_create("stress", 0);
		if (fd < 0 || ftruncate(fd, SLOT_SIZE)) {
			if (fd >= 0)
				close(fd);
			fd = -1;
			flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		} else {
			flags |= MAP_SHARED;
		}
	}
	p = mmap(s, SLOT_SIZE, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (fd >= 0)
		close(fd);
	return p == MAP_FAILED ? -1 : 0;
}

static void *mutate(void *arg)
{
	struct mutator *m = arg;
	struct stress *st = m->st;
	char *base = st->arena + m->id * SLOTS * SLOT_SIZE;
	int state[SLOTS];
	size_t half = SLOT_SIZE / 2, off, len;
	int i;

	for (i = 0; i < SLOTS; i++)
		state[i] = SLOT_CHANGED;	/* reserved PROT_NONE */
	while (!st->sh->stop) {
		int s = xrand(&m->rng) % SLOTS;
		char *p = base + s * SLOT_SIZE;
		pid_t pid;

		off = (xrand(&m->rng) % (SLOT_SIZE / st->page)) * st->page;
		len = (1 + xrand(&m->rng) % 64) * st->page;
		if (off + len > SLOT_SIZE)
			len = SLOT_SIZE - off;
		__atomic_add_fetch(&st->sh->mut_ops, 1, __ATOMIC_RELAXED);
		switch (xrand(&m->rng) % 12) {
		case 0:
		case 1:
			if (map_slot(m, p)) {
				state[s] = SLOT_CHANGED;
				break;
			}
			state[s] = SLOT_FRESH;
			pt_touch(p + off, len);
			break;
		case 2:
			munmap(p + off, len);
			state[s] = SLOT_CHANGED;
			break;
		case 3:
			if (mremap(p, half, half, MREMAP_MAYMOVE | MREMAP_FIXED,
				   p + half) != MAP_FAILED)
				state[s] = SLOT_CHANGED;
			break;
		case 4:
			mprotect(p + off, len, xrand(&m->rng) % 2 ? PROT_READ :
				 PROT_NONE);
			if (state[s] == SLOT_FRESH)
				state[s] = SLOT_CHANGED;
			break;
		case 5:
			madvise(p + off, len, MADV_DONTNEED);
			break;
		case 6:
			if (state[s] != SLOT_FRESH)
				break;
			madvise(p, SLOT_SIZE, MADV_HUGEPAGE);
			pt_touch(p, SLOT_SIZE);
			break;
		case 7:
			if (state[s] != SLOT_FRESH)
				break;
			if (!madvise(p, SLOT_SIZE, MADV_COLLAPSE))
				__atomic_add_fetch(&st->sh->collapse_ok, 1,
						   __ATOMIC_RELAXED);
			else if (errno == EINVAL)
				__atomic_add_fetch(&st->sh->collapse_einval,
						   1, __ATOMIC_RELAXED);
			break;
		case 8:
			if (state[s] == SLOT_FRESH)
				pt_touch(p + off, len);
			break;
		case 9:
			pid = fork();
			if (pid == 0) {
				if (state[s] == SLOT_FRESH)
					pt_touch(p + off, len);
				_exit(0);
			}
			if (pid > 0) {
				waitpid(pid, NULL, 0);
				__atomic_add_fetch(&st->sh->forks, 1,
						   __ATOMIC_RELAXED);
			}
			break;
		case 10:
			if (xrand(&m->rng) % 8)
				break;
			pid = fork();
			if (pid == 0) {
				execl("/proc/self/exe", "pagemap_stress",
				      EXIT_ARG, (char *)NULL);
				_exit(1);
			}
			if (pid > 0) {
				waitpid(pid, NULL, 0);
				__atomic_add_fetch(&st->sh->execs, 1,
						   __ATOMIC_RELAXED);
			}
			break;
		default:
			if (state[s] == SLOT_FRESH)
				pt_read_fault(p + off, len);
		}
	}
	return NULL;
}

/* A target: mutator threads for a random 1-8 s, then exit (mid-reads). */
static void run_target(struct stress *st, uint64_t seed)
{
	struct mutator m[MUTATORS];
	pthread_t th[MUTATORS];
	double end = pt_now() + 1 + seed % 8;
	int i;

	for (i = 0; i < MUTATORS; i++) {
		m[i].st = st;
		m[i].id = i;
		m[i].rng = seed * (i + 7) | 1;
		pthread_create(&th[i], NULL, mutate, &m[i]);
	}
	while (!st->sh->stop && pt_now() < end)
		usleep(10000);
	/* leave with the mutators still running: exit mid-everything */
	__atomic_add_fetch(&st->sh->target_exits, 1, __ATOMIC_RELAXED);
	_exit(0);
}

static pid_t start_target(struct stress *st, uint64_t seed)
{
	pid_t pid = pt_fork();

	if (pid == 0)
		run_target(st, seed);
	return pid;
}

/* ---- the readers ---- */

/*
 * SEEK_DATA or SEEK_HOLE from @off while the map changes: an entry at or
 * after @off where the position now is, or ENXIO (no data after it, or the
 * target is gone). Returns 0, or -1 after reporting a bad result.
 */
static int check_seek(struct stress *st, int fd, pid_t pid, off_t off,
		      int whence)
{
	off_t ret = lseek(fd, off, whence);

	if (ret < 0 && errno == ENXIO)
		return 0;
	if (ret < off || ret % st->esz || lseek(fd, 0, SEEK_CUR) != ret) {
		bad_result(st, "pid %d: %s from %lld: %lld (%s)", pid,
			   whence == SEEK_DATA ? "SEEK_DATA" : "SEEK_HOLE",
			   (long long)off, (long long)ret,
			   ret < 0 ? strerror(errno) : "ok");
		return -1;
	}
	return 0;
}

static void check_entries(struct stress *st, const unsigned char *buf,
			  size_t n, pid_t pid, uint64_t vpn)
{
	struct pmap_header h = {
		.little_endian = pt_host_little_endian(),
		.page_shift = st->page_shift,
		.entry_size = st->esz,
		.header_size = st->esz,
	};
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t v = pmap_entry(&h, buf + i * st->esz);

		if (v != PMAP_NOT_PRESENT && v >= st->max_pfn) {
			bad_result(st, "pid %d page 0x%llx: entry 0x%llx", pid,
				   (unsigned long long)(vpn + i) <<
				   st->page_shift, (unsigned long long)v);
			return;
		}
	}
}

static void *reader(void *arg)
{
	struct stress *st = arg;
	size_t arena_pages = ARENA_SIZE / st->page;
	size_t max = arena_pages * st->esz;
	unsigned char *buf = malloc(max);
	uint64_t rng = (uintptr_t)&rng ^ (uint64_t)(pt_now() * 1e9);
	unsigned long reads = 0, entries = 0, opens = 0, gone = 0, zero = 0;
	unsigned long seeks = 0;
	uint64_t vpn0 = pt_vpn(st->arena);

	if (!buf)
		return NULL;
	while (pt_now() < st->deadline) {
		pid_t pid = st->sh->pid[xrand(&rng) % TARGETS];
		char path[64];
		int fd, k;

		pt_map_path(path, sizeof(path), pid);
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			if (errno != ENOENT)
				bad_result(st, "open %s: %s", path,
					   strerror(errno));
			gone++;
			continue;
		}
		opens++;
		for (k = 0; k < 16; k++) {
			size_t first = xrand(&rng) % arena_pages, n;
			ssize_t ret;

			n = 1 + xrand(&rng) % (arena_pages - first);
			if (xrand(&rng) % 4 == 0) {
				seeks++;
				if (check_seek(st, fd, pid,
					       (vpn0 + first + 1) * st->esz,
					       k % 2 ? SEEK_DATA : SEEK_HOLE))
					break;
				continue;
			}
			if (xrand(&rng) % 8 == 0) {
				first = 0;
				n = arena_pages;
			}
			ret = pread(fd, buf, n * st->esz,
				    (vpn0 + first + 1) * st->esz);
			reads++;
			if (ret == 0) {
				zero++;	/* the target exited */
				break;
			}
			if (ret != (ssize_t)(n * st->esz)) {
				bad_result(st, "pid %d: read of %zu entries: %zd (%s)",
					   pid, n, ret,
					   ret < 0 ? strerror(errno) : "short");
				break;
			}
			entries += n;
			check_entries(st, buf, n, pid, vpn0 + first);
		}
		close(fd);
	}
	free(buf);
	pthread_mutex_lock(&st->lock);
	st->reads += reads;
	st->entries += entries;
	st->opens += opens;
	st->gone += gone;
	st->zero_reads += zero;
	st->seeks += seeks;
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* Split the targets' huge pages through debugfs, when it is there. */
static void *splitter(void *arg)
{
	struct stress *st = arg;
	unsigned long splits = 0;
	char cmd[96];
	int i = 0, fd;

	while (pt_now() < st->deadline) {
		fd = open(SPLIT_FILE, O_WRONLY);
		if (fd < 0)
			break;
		snprintf(cmd, sizeof(cmd), "%d,0x%lx,0x%lx",
			 st->sh->pid[i++ % TARGETS], (unsigned long)st->arena,
			 (unsigned long)st->arena + ARENA_SIZE);
		if (write(fd, cmd, strlen(cmd)) > 0)
			splits++;
		close(fd);
		usleep(20000);
	}
	pthread_mutex_lock(&st->lock);
	st->splits = splits;
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/*
 * Reader processes killed at a random moment of a read of the whole arena
 * of a target, while it changes: each must end (a read that does not would
 * hold this thread until the harness's timeout). How soon SIGKILL ends a
 * read is measured where nothing else loads the machine, in
 * pagemap_races.c; the slowest here is only reported.
 */
static void *killer(void *arg)
{
	struct stress *st = arg;
	uint64_t rng = (uint64_t)(pt_now() * 1e9) | 1;
	unsigned long kills = 0;
	double worst = 0;

	while (pt_now() < st->deadline) {
		pid_t target = st->sh->pid[xrand(&rng) % TARGETS], pid;
		double t0, dt;

		pid = pt_fork();
		if (pid == 0) {
			size_t len = ARENA_SIZE / st->page * st->esz;
			char *buf = malloc(len);
			struct pt_map pm;
			off_t pos;

			if (!buf || pt_map_open(target, &pm))
				_exit(0);
			pos = pmap_entry_offset(&pm.h, pt_vpn(st->arena));
			while (pread(pm.fd, buf, len, pos) > 0)
				;
			_exit(0);
		}
		if (pid < 0)
			break;
		usleep(xrand(&rng) % 50000);
		t0 = pt_now();
		kill(pid, SIGKILL);
		pt_wait(pid);
		dt = pt_now() - t0;
		if (dt > worst)
			worst = dt;
		kills++;
		usleep(100000);
	}
	pthread_mutex_lock(&st->lock);
	st->kills = kills;
	st->kill_max = worst;
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* ---- khugepaged settings, restored afterwards ---- */

static const char * const khp_files[] = {
	KHP "scan_sleep_millisecs", KHP "alloc_sleep_millisecs",
	KHP "pages_to_scan",
};

static const char * const khp_fast[] = { "0", "0", "65536" };

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

FIXTURE(stress) {
	char saved[3][32];
	int khp;
};

FIXTURE_SETUP(stress)
{
	unsigned int i;

	self->khp = 0;
	for (i = 0; i < ARRAY_SIZE(khp_files); i++) {
		if (pt_read_file(khp_files[i], self->saved[i],
				 sizeof(self->saved[i])) <= 0)
			return;
		self->saved[i][strcspn(self->saved[i], "\n")] = '\0';
	}
	self->khp = 1;
}

FIXTURE_TEARDOWN(stress)
{
	unsigned int i;

	for (i = 0; self->khp && i < ARRAY_SIZE(khp_files); i++)
		write_file(khp_files[i], self->saved[i]);
}

TEST_F_TIMEOUT(stress, readers_against_mutators, 7200)
{
	struct stress *st = calloc(1, sizeof(*st));
	pthread_t rd[READERS], sp, kl;
	unsigned long secs = pt_setting("PMAP_STRESS", "stress", 60);
	int split = access(SPLIT_FILE, W_OK) == 0, i, khp_set = 0;
	uint64_t seed = (uint64_t)(pt_now() * 1e6) | 1;
	struct pt_map pm;

	ASSERT_NE(NULL, st);
	if (!pt_module_mounted())
		SKIP(return, "the module is not mounted at %s", PMAP_MOUNT);
	ASSERT_TRUE(kpm_shows_pfns()) TH_LOG("run the stress test as root");
	ASSERT_EQ(0, pt_map_open(0, &pm));
	st->esz = pm.h.entry_size;
	st->page_shift = pm.h.page_shift;
	pt_map_close(&pm);
	st->page = pt_page_size();
	st->max_pfn = pt_max_pfn();
	pthread_mutex_init(&st->lock, NULL);
	st->sh = mmap(NULL, sizeof(*st->sh), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, st->sh);
	st->arena = pt_mmap_aligned(ARENA_SIZE, 2UL << 20, PROT_NONE,
				    MAP_PRIVATE | MAP_ANONYMOUS |
				    MAP_NORESERVE, -1);
	ASSERT_NE(MAP_FAILED, st->arena);

	if (self->khp) {
		khp_set = 1;
		for (i = 0; i < (int)ARRAY_SIZE(khp_files); i++)
			if (write_file(khp_files[i], khp_fast[i]))
				khp_set = 0;
	}
	printf("# stress: %lu s, %d targets x %d mutator threads, %d readers; khugepaged %s; %s\n",
	       secs, TARGETS, MUTATORS, READERS,
	       khp_set ? "scanning without pause" : "not tuned (no sysfs)",
	       split ? "splitting THPs through debugfs" :
	       "no " SPLIT_FILE " (splits SKIPPED)");
	fflush(stdout);

	for (i = 0; i < TARGETS; i++)
		st->sh->pid[i] = start_target(st, seed + i);
	st->deadline = pt_now() + secs;
	for (i = 0; i < READERS; i++)
		ASSERT_EQ(0, pthread_create(&rd[i], NULL, reader, st));
	ASSERT_EQ(0, pthread_create(&kl, NULL, killer, st));
	if (split)
		ASSERT_EQ(0, pthread_create(&sp, NULL, splitter, st));

	/* replace each target that exits, until the deadline */
	while (pt_now() < st->deadline) {
		for (i = 0; i < TARGETS; i++)
			if (waitpid(st->sh->pid[i], NULL, WNOHANG) > 0)
				st->sh->pid[i] = start_target(st, ++seed * 31);
		usleep(20000);
	}
	for (i = 0; i < READERS; i++)
		pthread_join(rd[i], NULL);
	pthread_join(kl, NULL);
	if (split)
		pthread_join(sp, NULL);
	st->sh->stop = 1;
	for (i = 0; i < TARGETS; i++)
		if (st->sh->pid[i] > 0)
			kill(st->sh->pid[i], SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;

	printf("# stress: %lu reads (%lu entries), %lu seeks, %lu opens\n",
	       st->reads, st->entries, st->seeks, st->opens);
	printf("# stress: %lu gone, %lu read 0 (exited)\n", st->gone,
	       st->zero_reads);
	printf("# stress: targets: %lu mutations, %lu exits, %lu forks, %lu execs, %lu splits\n",
	       st->sh->mut_ops, st->sh->target_exits, st->sh->forks,
	       st->sh->execs, st->splits);
	printf("# stress: MADV_COLLAPSE: %lu done, %lu EINVAL%s\n",
	       st->sh->collapse_ok, st->sh->collapse_einval,
	       st->sh->collapse_einval && !st->sh->collapse_ok ?
	       " (unsupported here: SKIPPED)" : "");
	printf("# stress: %lu readers killed mid-read, slowest gone %.3f s after SIGKILL\n",
	       st->kills, st->kill_max);
	fflush(stdout);
	EXPECT_EQ(0, st->bad);
	EXPECT_LT(0, st->entries);
	EXPECT_LT(0, st->seeks);
	EXPECT_LT(0, st->kills);
	munmap(st->arena, ARENA_SIZE);
	munmap(st->sh, sizeof(*st->sh));
	free(st);
}

struct opener {
	volatile pid_t target;
	volatile int stop;
	unsigned long opened, enoent, other;
	int first_other;
};

static void *open_loop(void *arg)
{
	struct opener *o = arg;
	char path[64];
	int fd;

	while (!o->stop) {
		pt_map_path(path, sizeof(path), o->target);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			o->opened++;
			close(fd);
		} else if (errno == ENOENT) {
			o->enoent++;
		} else if (!o->other++) {
			o->first_other = errno;
		}
	}
	return NULL;
}

/*
 * Opens racing with the target's exit and reaping: each either opens (the
 * file then reads 0) or fails with ENOENT, "a pid that does not exist";
 * no other error.
 */
TEST(open_racing_with_exit_fails_only_with_enoent)
{
	struct opener o = { 0 };
	double end = pt_now() + 5;
	unsigned long n = 0;
	pthread_t th;
	pid_t pid;

	if (!pt_module_mounted())
		SKIP(return, "the module is not mounted at %s", PMAP_MOUNT);
	o.target = getpid();
	ASSERT_EQ(0, pthread_create(&th, NULL, open_loop, &o));
	while (pt_now() < end) {
		pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0)
			_exit(0);
		o.target = pid;
		usleep(n++ % 200);
		waitpid(pid, NULL, 0);
	}
	o.stop = 1;
	pthread_join(th, NULL);
	printf("# %lu targets: %lu opens, %lu ENOENT, %lu other errors%s%s\n",
	       n, o.opened, o.enoent, o.other, o.other ? ", first " : "",
	       o.other ? strerror(o.first_other) : "");
	fflush(stdout);
	EXPECT_EQ(0, o.other);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], EXIT_ARG))
		return 0;
	return test_harness_run(argc, argv);
}
