// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded random sequences of open, lseek, read, pread and close on maps of
 * several targets (self, a forked child, pid 1, a kernel thread, a child
 * that exits in the middle), with random positions, counts and buffers,
 * every result checked against a model of docs/pagemap.rst ("Reading" and
 * "Seeking"); SEEK_DATA and SEEK_HOLE against the target's own
 * /proc/<pid>/pagemap (pt_seek_model()).
 *
 * PMAP_FUZZ_SEED=0x... (or pmap.fuzz_seed= on the kernel command line)
 * replays a run; -n N, PMAP_FUZZ_OPS=N or pmap.fuzz_ops=N sets the number
 * of operations (default 1000000).
 */
#include <limits.h>

#include "pagemap_test.h"
#include "kselftest_harness.h"

#define FUZZ_DEFAULT_OPS	1000000UL
#define FUZZ_SLOTS		8
#define FUZZ_BIG		(4UL << 20)	/* the largest count tried */
#define FUZZ_MAX_LOGGED		10
#define FUZZ_MODEL_ROOM		4096	/* entries the seek model reads at once */

enum { T_SELF, T_CHILD, T_INIT, T_KTHREAD, T_VICTIM, T_NR };

static const char * const target_names[T_NR] = {
	"self", "child", "pid 1", "kernel thread", "exiting child",
};

enum buf_kind {
	B_NORMAL, B_NULL, B_UNMAPPED, B_READONLY, B_STRADDLE_NONE,
	B_STRADDLE_RO, B_KERNEL, B_NR,
};

struct target {
	pid_t pid;		/* 0 for self */
	int64_t end;		/* entries in the file, header included */
	int alive;		/* its mm still exists (for the victim) */
	int generation;		/* bumped each time the victim is replaced */
	struct pt_vma *vmas;
	long nr_vmas;
	int kfd;		/* its /proc/<pid>/pagemap, or -1 */
};

struct slot {
	int fd;			/* -1: closed */
	int target;
	int generation;
	int64_t pos;		/* the model's file position */
};

struct fuzz {
	uint64_t rng;
	unsigned long ops, bad, mismatches, reads_checked, entries_judged;
	unsigned int esz, page_shift;
	long page;
	uint64_t max_pfn;
	struct target t[T_NR];
	struct slot s[FUZZ_SLOTS];
	char *big, *ro, *straddle_none, *straddle_ro, *unmapped;
	int kfd;		/* /proc/self/pagemap */
	uint64_t *model;	/* FUZZ_MODEL_ROOM entries for the seek model */
	unsigned long seeks_judged;	/* SEEK_DATA/SEEK_HOLE checked */
};

/* splitmix64: small, fast, and the same sequence on every machine */
static uint64_t rnd(struct fuzz *f)
{
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(struct fuzz *f, uint64_t n)
{
	return n ? rnd(f) % n : 0;
}

static void mismatch(struct fuzz *f, const char *fmt, ...)
{
	va_list ap;

	f->mismatches++;
	if (f->mismatches > FUZZ_MAX_LOGGED)
		return;
	fprintf(stderr, "# fuzz op %lu: ", f->ops);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A child with a few written and untouched mappings, waiting to die. */
static pid_t spawn_child(struct fuzz *f)
{
	pid_t pid = pt_fork();

	if (pid == 0) {
		char *p = mmap(NULL, 64 * f->page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED)
			pt_touch(p, 32 * f->page);
		for (;;)
			pause();
	}
	return pid;
}

/* Learn a target's file size and mappings; 0 or -errno. */
static int setup_target(struct fuzz *f, int i, pid_t pid)
{
	struct target *t = &f->t[i];
	struct pt_map pm;
	int ret;

	t->pid = pid;
	t->alive = 1;
	if (t->kfd > 0)
		close(t->kfd);
	t->kfd = -1;
	free(t->vmas);
	t->vmas = NULL;
	t->nr_vmas = 0;
	if (i == T_KTHREAD) {
		char path[64];
		int fd;

		pt_map_path(path, sizeof(path), pid);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return -errno;
		close(fd);
		t->end = 0;
		return 0;
	}
	ret = pt_map_open(pid, &pm);
	if (ret)
		return ret;
	{
		t->end = pt_map_probe_end(&pm);
		if (t->end <= 0) {
			pt_map_close(&pm);
			return -EBADMSG;
		}
		t->end++;	/* the header slot */
		t->nr_vmas = pt_read_maps(pid, &t->vmas);
		if (t->nr_vmas < 0)
			t->nr_vmas = 0;
		t->kfd = kpm_open(pid);
	}
	pt_map_close(&pm);
	return 0;
}

static void replace_victim(struct fuzz *f)
{
	struct target *t = &f->t[T_VICTIM];

	if (t->pid > 0 && t->alive) {
		kill(t->pid, SIGKILL);
		pt_wait(t->pid);
	}
	t->generation++;
	if (setup_target(f, T_VICTIM, spawn_child(f)))
		t->alive = 0;
}

/* Kill the victim: its open files now read nothing, its pid is gone. */
static void kill_victim(struct fuzz *f)
{
	struct target *t = &f->t[T_VICTIM];

	if (!t->alive)
		return;
	kill(t->pid, SIGKILL);
	pt_wait(t->pid);
	t->alive = 0;
}

/* Whether reads of an open slot reach a live address space. */
static int slot_live(struct fuzz *f, struct slot *s)
{
	if (s->target == T_KTHREAD)
		return 0;
	if (s->target == T_VICTIM)
		return f->t[T_VICTIM].alive &&
		       s->generation == f->t[T_VICTIM].generation;
	return 1;
}

/* A random position, in bytes, in the shapes that matter. */
static int64_t rand_pos(struct fuzz *f, struct target *t, int *bad)
{
	int64_t e = f->esz, pos;
	uint64_t r = below(f, 100);

	*bad = 0;
	if (r < 30 && t->nr_vmas) {
		struct pt_vma *v = &t->vmas[below(f, t->nr_vmas)];
		uint64_t vs = v->start >> f->page_shift;
		uint64_t ve = v->end >> f->page_shift;

		pos = (int64_t)(vs + below(f, ve - vs + 8)) - 4;
		pos = (pos < 0 ? 0 : pos + 1) * e;
	} else if (r < 45) {
		pos = (t->end + (int64_t)below(f, 129) - 64) * e;
		if (pos < 0)
			pos = 0;
	} else if (r < 60) {
		pos = below(f, 64) * e;
	} else if (r < 66) {
		static const int64_t huge[] = {
			INT64_MAX, INT64_MAX - 7, INT64_MAX & ~4095LL,
			1LL << 62, 1LL << 56, 1LL << 48, (1LL << 47) * 8,
		};

		pos = huge[below(f, ARRAY_SIZE(huge))];
		*bad = 1;
	} else if (r < 71) {
		pos = -(int64_t)below(f, 1 << 20) - 1;
		if (below(f, 4) == 0)
			pos = INT64_MIN + (int64_t)below(f, 16);
		*bad = 1;
		return pos;
	}
	if (r >= 71)
		pos = t->end > 0 ? (int64_t)below(f, t->end) * e : 0;
	if (below(f, 8) == 0 && pos < INT64_MAX) {
		pos += 1 + below(f, e - 1);
		*bad = 1;
	}
	return pos;
}

static size_t rand_count(struct fuzz *f, int *bad)
{
	uint64_t r = below(f, 1000), e = f->esz;

	*bad = 0;
	if (r < 50)
		return 0;
	if (r < 130) {
		*bad = 1;
		return e * below(f, 512) + 1 + below(f, e - 1);
	}
	if (r < 800)
		return e * (1 + below(f, 64));
	if (r < 985)
		return e * (1 + below(f, 65536 / e));
	return e * (1 + below(f, FUZZ_BIG / e));
}

/*
 * A buffer of @kind for @count bytes; *@room is how many bytes of it may be
 * written before a fault (SIZE_MAX when all).
 */
static char *rand_buf(struct fuzz *f, enum buf_kind kind, size_t count,
		      size_t *room)
{
	size_t k;

	*room = SIZE_MAX;
	switch (kind) {
	case B_NORMAL:
		if (count > FUZZ_BIG)
			return NULL;
		return f->big + below(f, 2) * below(f, f->esz);
	case B_NULL:
		*room = 0;
		return NULL;
	case B_UNMAPPED:
		*room = 0;
		return f->unmapped + below(f, f->page);
	case B_READONLY:
		*room = 0;
		return f->ro + below(f, f->page);
	case B_STRADDLE_NONE:
	case B_STRADDLE_RO:
		k = below(f, 2 * f->page + 1);
		if (below(f, 2))
			k &= ~(size_t)(f->esz - 1);
		*room = k;
		return (kind == B_STRADDLE_NONE ? f->straddle_none :
			f->straddle_ro) + 2 * f->page - k;
	default:
		*room = 0;
		return (char *)(uintptr_t)-(intptr_t)f->page;
	}
}

/*
 * Check the entries a read returned: the header at offset 0, each entry
 * not present or a plausible frame, and for self a sample against the
 * kernel's own pagemap (pages that changed meanwhile are not judged).
 */
static void check_content(struct fuzz *f, struct slot *s, int64_t pos,
			  const unsigned char *buf, size_t n,
			  const uint64_t *before)
{
	struct pmap_header h;
	size_t i, first = 0, nent = n / f->esz;
	uint64_t after[64];

	h.little_endian = pt_host_little_endian();
	h.page_shift = f->page_shift;
	h.entry_size = f->esz;
	h.header_size = f->esz;
	f->reads_checked++;
	if (pos == 0 && nent) {
		struct pmap_header got;

		if (pmap_parse_header(buf, f->esz, &got) ||
		    memcmp(&got, &h, sizeof(h)))
			mismatch(f, "%s: bad header", target_names[s->target]);
		first = 1;
	}
	for (i = first; i < nent; i++) {
		uint64_t v;

		/* large reads: the edges only */
		if (nent > 256 && i == 128)
			i = nent - 128;
		v = pmap_entry(&h, buf + i * f->esz);
		if (v != PMAP_NOT_PRESENT && v >= f->max_pfn)
			mismatch(f, "%s: entry %" PRId64 " = 0x%" PRIx64,
				 target_names[s->target],
				 pos / (int64_t)f->esz + (int64_t)i, v);
	}
	if (!before)
		return;
	/* self, whole entries from page pos / E - 1, up to 64 of them */
	if (kpm_read(f->kfd, pos / f->esz - 1 + first, nent - first, after) !=
	    (long)(nent - first))
		return;
	for (i = first; i < nent; i++) {
		uint64_t v = pmap_entry(&h, buf + i * f->esz);

		if (before[i - first] != after[i - first])
			continue;
		f->entries_judged++;
		if (v != after[i - first])
			mismatch(f, "self page 0x%llx: module 0x%llx, kernel 0x%llx",
				 (unsigned long long)(pos / f->esz - 1 + i) <<
				 f->page_shift, (unsigned long long)v,
				 (unsigned long long)after[i - first]);
	}
}

/* One read or pread on @s, against the model. */
static void op_read(struct fuzz *f, struct slot *s, int positioned)
{
	struct target *t = &f->t[s->target];
	int bad_pos = 0, bad_count = 0;
	enum buf_kind kind = below(f, 3) ? B_NORMAL : below(f, B_NR);
	int64_t pos = positioned ? rand_pos(f, t, &bad_pos) : s->pos;
	size_t count = rand_count(f, &bad_count), room, avail, want;
	uint64_t before[64], *kb = NULL;
	char *buf = rand_buf(f, kind, count, &room);
	int64_t e = f->esz, exp;
	ssize_t ret;
	/* access_ok() may refuse a kernel address before anything else */
	int err, alt_efault = kind == B_KERNEL;

	if (kind != B_NORMAL)
		f->bad++;
	else if (bad_pos || bad_count)
		f->bad++;

	/* what the VFS checks before the module */
	if (positioned && pos < 0) {
		exp = -EINVAL;
	} else if ((uint64_t)pos + count > (uint64_t)INT64_MAX) {
		exp = -EINVAL;
	} else if (pos % e) {
		exp = -EIO;
	} else if (count % e) {
		exp = -EINVAL;
	} else if (!count) {
		exp = 0;
	} else if (!slot_live(f, s) || pos >= t->end * e) {
		exp = 0;	/* nothing to copy */
	} else {
		avail = (t->end * e - pos);
		want = count < avail ? count : avail;
		if (room < want)
			want = room / e * e;
		exp = want ? (int64_t)want : -EFAULT;
	}

	if (kind == B_NORMAL && exp > 0 && s->target == T_SELF &&
	    count <= 64 * (size_t)e && below(f, 8) == 0) {
		size_t first = pos == 0, nent = exp / e;

		if (kpm_read(f->kfd, pos / e - 1 + first, nent - first,
			     before) == (long)(nent - first))
			kb = before;
	}
	if (kind == B_NORMAL && count + 16 <= FUZZ_BIG + 2 * f->page)
		memset(buf + count, 0xa5, 16);

	errno = 0;
	if (positioned)
		ret = pread(s->fd, buf, count, pos);
	else
		ret = read(s->fd, buf, count);
	err = errno;
	f->ops++;

	if (ret < 0 && alt_efault && err == EFAULT) {
		/* access_ok() refused first: fine */
	} else if (ret < 0 ? -err != exp : ret != exp) {
		mismatch(f, "%s %s %s pos %lld count %zu buf %d room %zu: %zd (%s), model %lld",
			 positioned ? "pread" : "read",
			 slot_live(f, s) ? "live" : "dead",
			 target_names[s->target], (long long)pos, count, kind,
			 room, ret, ret < 0 ? strerror(err) : "ok",
			 (long long)exp);
	}
	if (!positioned && ret > 0)
		s->pos += ret;
	if (kind == B_NORMAL && ret > 0) {
		unsigned int i;

		check_content(f, s, pos, (unsigned char *)buf, ret,
			      ret == exp ? kb : NULL);
		for (i = 0; i < 16 && (size_t)ret == count; i++)
			if ((unsigned char)buf[count + i] != 0xa5) {
				mismatch(f, "wrote past the count %zu", count);
				break;
			}
	}
}

/*
 * What SEEK_DATA (@data) or SEEK_HOLE from @off must give on @s: by the
 * target's mappings read at its setup, or read again (@fresh), and its
 * kernel pagemap now.
 */
static int64_t seek_model(struct fuzz *f, struct slot *s, int64_t off,
			  bool data, bool fresh)
{
	struct target *t = &f->t[s->target];
	struct pt_vma *v = t->vmas;
	long nv = t->nr_vmas;
	int64_t exp;

	if (off < 0 || off % f->esz)
		return -EINVAL;
	if (!slot_live(f, s))
		return -ENXIO;
	if (t->kfd < 0)
		return t->kfd;
	if (fresh) {
		nv = pt_read_maps(t->pid, &v);
		if (nv < 0)
			v = NULL;
	}
	exp = pt_seek_model(t->kfd, v, nv, off / f->esz, t->end, data,
			    f->model, FUZZ_MODEL_ROOM);
	if (fresh)
		free(v);
	return exp < 0 ? exp : exp * (int64_t)f->esz;
}

static void op_seek(struct fuzz *f, struct slot *s)
{
	static const int bogus[] = { SEEK_END, 5, 6, 100, -1 };
	int whence, bad = 0, err;
	int64_t off, exp, sum;
	off_t ret;

	switch (below(f, 4)) {
	case 0:
		whence = SEEK_SET;
		off = rand_pos(f, &f->t[s->target], &bad);
		exp = off < 0 ? -EINVAL : off;
		break;
	case 1:
		whence = SEEK_CUR;
		off = below(f, 4) ? (int64_t)below(f, 1 << 16) - (1 << 15) :
		      rand_pos(f, &f->t[s->target], &bad);
		if (__builtin_add_overflow(s->pos, off, &sum) || sum < 0) {
			exp = -EINVAL;
			bad = 1;
		} else {
			exp = sum;
		}
		break;
	case 2:
		whence = below(f, 2) ? SEEK_DATA : SEEK_HOLE;
		off = rand_pos(f, &f->t[s->target], &bad);
		exp = seek_model(f, s, off, whence == SEEK_DATA, false);
		break;
	default:
		whence = bogus[below(f, ARRAY_SIZE(bogus))];
		off = below(f, 2) ? 0 : (int64_t)below(f, 1 << 20);
		exp = -EINVAL;
		bad = 1;
	}
	f->bad += bad;
	errno = 0;
	ret = lseek(s->fd, off, whence);
	err = errno;
	f->ops++;
	/* the target may have changed since its setup: ask again */
	if ((ret < 0 ? -err != exp : ret != exp) &&
	    (whence == SEEK_DATA || whence == SEEK_HOLE))
		exp = seek_model(f, s, off, whence == SEEK_DATA, true);
	if ((whence == SEEK_DATA || whence == SEEK_HOLE) && slot_live(f, s))
		f->seeks_judged++;
	if (ret < 0 ? -err != exp : ret != exp)
		mismatch(f, "lseek(%s, %lld, %d) at %lld: %lld (%s), model %lld",
			 target_names[s->target], (long long)off, whence,
			 (long long)s->pos, (long long)ret,
			 ret < 0 ? strerror(err) : "ok", (long long)exp);
	if (exp >= 0)
		s->pos = exp;
	/* the kernel's position wins, so one mismatch does not cascade */
	if (ret >= 0)
		s->pos = ret;
}

static void op_open(struct fuzz *f, struct slot *s)
{
	static const char * const junk[] = {
		"0", "01", "-1", "+1", "1a", "abc", "self/", "4294967297",
		"99999999999", "2147483648", " 1",
	};
	char path[96];
	int ti = below(f, T_NR), flags = O_RDONLY, fd, err;
	int64_t exp = 0;
	uint64_t r = below(f, 100);

	if (r < 6) {
		snprintf(path, sizeof(path), "%s/%s", PMAP_MOUNT,
			 junk[below(f, ARRAY_SIZE(junk))]);
		exp = -ENOENT;
		if (!strcmp(path, PMAP_MOUNT "/self/"))
			exp = -ENOTDIR;
	} else if (r < 10) {
		pt_map_path(path, sizeof(path), f->t[ti].pid);
		flags = below(f, 2) ? O_WRONLY : O_RDWR;
		exp = -EACCES;
		if (ti == T_VICTIM && !f->t[ti].alive)
			exp = -ENOENT;
	} else {
		pt_map_path(path, sizeof(path), f->t[ti].pid);
		if (ti == T_VICTIM && !f->t[ti].alive)
			exp = -ENOENT;
	}
	if (exp)
		f->bad++;
	errno = 0;
	fd = open(path, flags);
	err = errno;
	f->ops++;
	if (fd < 0 ? -err != exp : exp != 0)
		mismatch(f, "open(%s, %d): got %d (%s), model %" PRId64,
			 path, flags, fd, fd < 0 ? strerror(err) : "ok", exp);
	if (fd >= 0 && exp) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		return;
	s->fd = fd;
	s->target = ti;
	s->generation = f->t[ti].generation;
	s->pos = 0;
}

static void one_op(struct fuzz *f)
{
	struct slot *s = &f->s[below(f, FUZZ_SLOTS)];
	uint64_t r = below(f, 1000);

	if (r == 0) {
		kill_victim(f);
		return;
	}
	if (r == 1) {
		replace_victim(f);
		return;
	}
	if (s->fd < 0) {
		op_open(f, s);
		return;
	}
	if (r < 20) {
		close(s->fd);
		s->fd = -1;
		f->ops++;
	} else if (r < 250) {
		op_seek(f, s);
	} else if (r < 600) {
		op_read(f, s, 0);
	} else {
		op_read(f, s, 1);
	}
}

static char *map(size_t len, int prot)
{
	char *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_POPULATE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static unsigned long opt_ops;

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* TCG runs 1 M operations in about a minute; a debug kernel takes longer */
TEST_F_TIMEOUT(fuzz, reads_and_seeks_against_the_contract, 3000)
{
	struct fuzz *f = calloc(1, sizeof(*f));
	unsigned long nops, i;
	uint64_t seed;
	double t0;
	int ret;

	ASSERT_NE(NULL, f);
	if (!pt_module_mounted())
		SKIP(return, "the module is not mounted at %s", PMAP_MOUNT);
	seed = pt_setting("PMAP_FUZZ_SEED", "fuzz_seed", 0);
	if (!seed)
		seed = ((uint64_t)time(NULL) << 20) ^ getpid() ^
		       (uint64_t)(pt_now() * 1e6);
	nops = opt_ops ? opt_ops :
	       pt_setting("PMAP_FUZZ_OPS", "fuzz_ops", FUZZ_DEFAULT_OPS);
	printf("# fuzz: seed 0x%" PRIx64 " (PMAP_FUZZ_SEED=0x%" PRIx64 " replays it), %lu ops\n",
	       seed, seed, nops);
	fflush(stdout);
	f->rng = seed;
	f->page = pt_page_size();
	f->page_shift = pt_page_shift();
	f->max_pfn = pt_max_pfn();
	f->kfd = kpm_open(0);
	ASSERT_LE(0, f->kfd);
	f->model = calloc(FUZZ_MODEL_ROOM, sizeof(*f->model));
	ASSERT_NE(NULL, f->model);
	/* present before any seek looks at it */
	memset(f->model, 0, FUZZ_MODEL_ROOM * sizeof(*f->model));
	ASSERT_TRUE(kpm_shows_pfns()) TH_LOG("run the fuzzer as root");

	f->big = map(FUZZ_BIG + 2 * f->page, PROT_READ | PROT_WRITE);
	f->ro = map(2 * f->page, PROT_READ);
	f->straddle_none = map(3 * f->page, PROT_READ | PROT_WRITE);
	f->straddle_ro = map(3 * f->page, PROT_READ | PROT_WRITE);
	f->unmapped = map(2 * f->page, PROT_READ);
	ASSERT_TRUE(f->big && f->ro && f->straddle_none && f->straddle_ro &&
		    f->unmapped);
	ASSERT_EQ(0, munmap(f->straddle_none + 2 * f->page, f->page));
	ASSERT_EQ(0, mprotect(f->straddle_ro + 2 * f->page, f->page,
			      PROT_READ));
	ASSERT_EQ(0, munmap(f->unmapped, 2 * f->page));
	f->esz = 0;

	ASSERT_EQ(0, setup_target(f, T_SELF, 0));
	{
		struct pt_map pm;

		ASSERT_EQ(0, pt_map_open(0, &pm));
		f->esz = pm.h.entry_size;
		ASSERT_EQ(f->page_shift, pm.h.page_shift);
		pt_map_close(&pm);
	}
	ret = setup_target(f, T_CHILD, spawn_child(f));
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, setup_target(f, T_INIT, 1));
	ret = setup_target(f, T_KTHREAD, pt_find_kthread());
	if (ret || !f->t[T_KTHREAD].pid)
		ASSERT_EQ(0, setup_target(f, T_KTHREAD, 1));
	replace_victim(f);
	for (i = 0; i < FUZZ_SLOTS; i++)
		f->s[i].fd = -1;

	t0 = pt_now();
	while (f->ops < nops)
		one_op(f);

	for (i = 0; i < FUZZ_SLOTS; i++)
		if (f->s[i].fd >= 0)
			close(f->s[i].fd);
	kill_victim(f);
	kill(f->t[T_CHILD].pid, SIGKILL);
	pt_wait(f->t[T_CHILD].pid);
	printf("# fuzz: %lu ops, %lu bad inputs, seed 0x%" PRIx64 "\n",
	       f->ops, f->bad, seed);
	printf("# fuzz: %.1f s, %lu reads checked, %lu self entries checked, %lu mismatches\n",
	       pt_now() - t0, f->reads_checked, f->entries_judged,
	       f->mismatches);
	printf("# fuzz: %lu SEEK_DATA/SEEK_HOLE on live maps checked\n",
	       f->seeks_judged);
	fflush(stdout);
	EXPECT_EQ(0, f->mismatches);
	EXPECT_LT(0, f->entries_judged);
	EXPECT_LT(0, f->seeks_judged);
	close(f->kfd);
	for (i = 0; i < T_NR; i++) {
		free(f->t[i].vmas);
		if (f->t[i].kfd > 0)
			close(f->t[i].kfd);
	}
	free(f->model);
	free(f);
}

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n') {
			fprintf(stderr, "usage: %s [-n OPS]\n", argv[0]);
			return 2;
		}
		opt_ops = strtoul(optarg, NULL, 0);
	}
	return test_harness_run(1, argv);
}
