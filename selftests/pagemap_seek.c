// SPDX-License-Identifier: GPL-2.0
/*
 * SEEK_DATA and SEEK_HOLE, every answer checked against a model built from
 * the kernel's own /proc/self/pagemap (pt_seek_model(): a page the kernel
 * shows present is data, anything else a hole): the header, bad offsets,
 * the end of the file, every page around mappings of each backing (the
 * first page of a VMA, pages after a hole inside one, transparent and
 * hugetlb huge pages, the zero page), PFN-mapped areas and hidden frames.
 */
#include <limits.h>
#include <linux/mman.h>

#include "pagemap_test.h"
#include "kselftest_harness.h"

#define MODEL_ROOM	4096

/* What a check needs: the map, the kernel's map and the mappings. */
struct seek_ctx {
	struct pt_map pm;
	int kfd;
	int64_t nr;		/* entries in the file, header included */
	struct pt_vma *v;
	long nv;
	uint64_t *buf;		/* the model's scratch, faulted in */
};

static int ctx_refresh(struct seek_ctx *c)
{
	free(c->v);
	c->v = NULL;
	c->nv = pt_read_maps(0, &c->v);
	return c->nv < 0 ? (int)c->nv : 0;
}

/* Open self's map and the kernel's; 0 or -errno. */
static int ctx_open(struct seek_ctx *c)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->kfd = -1;
	ret = pt_map_open(0, &c->pm);
	if (ret)
		return ret;
	c->nr = pt_map_probe_end(&c->pm) + 1;
	if (c->nr <= 1)
		return -EBADMSG;
	c->kfd = kpm_open(0);
	if (c->kfd < 0)
		return c->kfd;
	c->buf = calloc(MODEL_ROOM, sizeof(*c->buf));
	if (!c->buf)
		return -ENOMEM;
	memset(c->buf, 0, MODEL_ROOM * sizeof(*c->buf));
	return ctx_refresh(c);
}

static void ctx_close(struct seek_ctx *c)
{
	pt_map_close(&c->pm);
	if (c->kfd >= 0)
		close(c->kfd);
	free(c->v);
	free(c->buf);
}

/*
 * lseek(@off, @whence) on the map, against the model: the result, the
 * error, and the position (the result, or unchanged on an error). Returns
 * 0 if all agree, else 1, saying why on stderr. Allocates nothing, so the
 * memory it judges stays as it was.
 */
static int check_seek(struct seek_ctx *c, int64_t off, int whence)
{
	int64_t e = c->pm.h.entry_size, exp, ret, pos, before = 3 * e;
	bool data = whence == SEEK_DATA;
	int err;

	if (lseek(c->pm.fd, before, SEEK_SET) != before)
		return 1;
	errno = 0;
	ret = lseek(c->pm.fd, off, whence);
	err = errno;
	pos = lseek(c->pm.fd, 0, SEEK_CUR);
	if (off < 0 || off % e) {
		exp = -EINVAL;
	} else {
		exp = pt_seek_model(c->kfd, c->v, c->nv, off / e, c->nr, data,
				    c->buf, MODEL_ROOM);
		if (exp >= 0)
			exp *= e;
	}
	if ((ret < 0 ? -err : ret) == exp &&
	    pos == (ret < 0 ? before : ret))
		return 0;
	fprintf(stderr, "# %s from 0x%llx (page 0x%llx): %lld (%s), position %lld; model %lld\n",
		data ? "SEEK_DATA" : "SEEK_HOLE", (long long)off,
		(long long)(off / e - 1) << c->pm.h.page_shift,
		(long long)ret, ret < 0 ? strerror(err) : "ok",
		(long long)pos, (long long)exp);
	return 1;
}

/* Both seeks from the entry of every page in [p - 1 page, p + len]. */
static int check_pages(struct seek_ctx *c, const char *p, size_t len)
{
	uint64_t vpn, first = pt_vpn(p) - 1, last = pt_vpn(p + len);
	int bad = 0;

	for (vpn = first; vpn <= last && bad < 8; vpn++) {
		int64_t off = pmap_entry_offset(&c->pm.h, vpn);

		bad += check_seek(c, off, SEEK_DATA);
		bad += check_seek(c, off, SEEK_HOLE);
	}
	return bad;
}

static int64_t entry_of(struct seek_ctx *c, const void *addr)
{
	return pmap_entry_offset(&c->pm.h, pt_vpn(addr));
}

#define CTX_OPEN(c) do {						\
	int __ret = ctx_open(c);					\
									\
	if (__ret)							\
		TH_LOG("open the maps of self: %s (is the module mounted?)", \
		       strerror(-__ret));				\
	ASSERT_EQ(0, __ret);						\
} while (0)

TEST(header_is_data_and_the_first_hole_follows_it)
{
	struct seek_ctx c;
	int64_t e;

	CTX_OPEN(&c);
	e = c.pm.h.entry_size;
	EXPECT_EQ(0, lseek(c.pm.fd, 0, SEEK_DATA));
	EXPECT_EQ(0, check_seek(&c, 0, SEEK_DATA));
	EXPECT_EQ(0, check_seek(&c, 0, SEEK_HOLE));
	/* page 0 is never mapped here: the first hole is its entry */
	if (c.nv && c.v[0].start > 0)
		EXPECT_EQ(e, lseek(c.pm.fd, 0, SEEK_HOLE));
	ctx_close(&c);
}

TEST(bad_offsets_give_einval_and_the_end_enxio)
{
	static const int whence[] = { SEEK_DATA, SEEK_HOLE };
	struct seek_ctx c;
	unsigned int i, j;
	int64_t e, eof;

	CTX_OPEN(&c);
	e = c.pm.h.entry_size;
	eof = c.nr * e;
	{
		const int64_t off[] = {
			1, e - 1, e + 1, 7 * e + 3, -e, -1, INT64_MIN,
			eof - 1, eof, eof + e, eof + 1, INT64_MAX,
			INT64_MAX & ~(e - 1),
		};

		for (i = 0; i < ARRAY_SIZE(whence); i++)
			for (j = 0; j < ARRAY_SIZE(off); j++)
				EXPECT_EQ(0, check_seek(&c, off[j], whence[i]));
	}
	errno = 0;
	EXPECT_EQ(-1, lseek(c.pm.fd, eof, SEEK_DATA));
	EXPECT_EQ(ENXIO, errno);
	errno = 0;
	EXPECT_EQ(-1, lseek(c.pm.fd, 1, SEEK_HOLE));
	EXPECT_EQ(EINVAL, errno);
	ctx_close(&c);
}

/* The last entry below the end, and with the last page mapped: no hole. */
TEST(last_page_below_the_end_and_the_hole_at_the_end)
{
	struct seek_ctx c;
	int64_t e, eof;
	long page = pt_page_size();
	char *top, *p;

	CTX_OPEN(&c);
	e = c.pm.h.entry_size;
	eof = c.nr * e;
	EXPECT_EQ(0, check_seek(&c, eof - e, SEEK_DATA));
	EXPECT_EQ(0, check_seek(&c, eof - e, SEEK_HOLE));
	top = (char *)(uintptr_t)((uint64_t)(c.nr - 1) * page);
	p = mmap(top - 2 * page, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != top - 2 * page) {
		if (p != MAP_FAILED)
			munmap(p, 2 * page);
		ctx_close(&c);
		SKIP(return, "cannot map the last pages below %p: %m", top);
	}
	p[page] = 1;
	ASSERT_EQ(0, ctx_refresh(&c));
	/* data up to the end: the hole is the end of the file */
	EXPECT_EQ(eof, lseek(c.pm.fd, eof - e, SEEK_HOLE));
	EXPECT_EQ(eof - e, lseek(c.pm.fd, eof - e, SEEK_DATA));
	EXPECT_EQ(eof - e, lseek(c.pm.fd, eof - 2 * e, SEEK_DATA));
	EXPECT_EQ(eof - 2 * e, lseek(c.pm.fd, eof - 2 * e, SEEK_HOLE));
	EXPECT_EQ(0, check_pages(&c, p, 2 * page));
	munmap(p, 2 * page);
	ctx_close(&c);
}

enum backing { ANON, ANON_SHARED, MEMFD, FILE_TMP, ZERO, THP, HUGETLB };

FIXTURE(region) {
	struct seek_ctx c;
	char *guard, *p;
	size_t len, glen, huge;
	int fd;
};

FIXTURE_VARIANT(region) {
	enum backing backing;
};

/* the harness's type name, as checkpatch parses a plain identifier */
#define REGION_VARIANT	FIXTURE_VARIANT(region)

FIXTURE_VARIANT_ADD(region, anon) { .backing = ANON };
FIXTURE_VARIANT_ADD(region, anon_shared) { .backing = ANON_SHARED };
FIXTURE_VARIANT_ADD(region, memfd) { .backing = MEMFD };
FIXTURE_VARIANT_ADD(region, file) { .backing = FILE_TMP };
FIXTURE_VARIANT_ADD(region, zero_page) { .backing = ZERO };
FIXTURE_VARIANT_ADD(region, thp) { .backing = THP };
FIXTURE_VARIANT_ADD(region, hugetlb) { .backing = HUGETLB };

/* The default hugetlb size if a page of it is free, else 0. */
static size_t free_hugetlb_size(void)
{
	char buf[4096], *p;
	unsigned long long kb = 0, nfree = 0;

	if (pt_read_file("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return 0;
	p = strstr(buf, "HugePages_Free:");
	if (p)
		nfree = strtoull(p + 15, NULL, 10);
	p = strstr(buf, "Hugepagesize:");
	if (p)
		kb = strtoull(p + 13, NULL, 10);
	return nfree ? kb << 10 : 0;
}

/*
 * A region of 16 pages (two huge pages for THP and hugetlb) between two
 * PROT_NONE guard pages (huge pages), its file if it has one.
 */
FIXTURE_SETUP(region)
{
	char path[] = "/tmp/pagemap-seek-XXXXXX";
	int flags = MAP_PRIVATE | MAP_FIXED, prot = PROT_READ | PROT_WRITE;
	size_t page = pt_page_size();

	CTX_OPEN(&self->c);
	self->fd = -1;
	self->huge = page;
	if (variant->backing == THP) {
		self->huge = pt_thp_size();
		if (!self->huge)
			SETUP_SKIP("transparent huge pages are off or missing");
	} else if (variant->backing == HUGETLB) {
		self->huge = free_hugetlb_size();
		if (!self->huge)
			SETUP_SKIP("no free hugetlb pages");
		flags |= MAP_HUGETLB;
	}
	self->len = self->huge == page ? 16 * page : 2 * self->huge;
	self->glen = self->len + 2 * self->huge;
	self->guard = pt_mmap_aligned(self->glen, self->huge, PROT_NONE,
				      MAP_PRIVATE | MAP_ANONYMOUS |
				      MAP_NORESERVE, -1);
	ASSERT_NE(MAP_FAILED, self->guard);
	if (variant->backing == MEMFD) {
		self->fd = memfd_create("pagemap-seek", 0);
		ASSERT_LE(0, self->fd);
		flags = MAP_SHARED | MAP_FIXED;
	} else if (variant->backing == FILE_TMP) {
		self->fd = mkstemp(path);
		ASSERT_LE(0, self->fd) TH_LOG("mkstemp %s: %m", path);
		unlink(path);
	}
	if (self->fd < 0)
		flags |= MAP_ANONYMOUS;
	else
		ASSERT_EQ(0, ftruncate(self->fd, self->len));
	if (variant->backing == ANON_SHARED)
		flags = (flags & ~MAP_PRIVATE) | MAP_SHARED;
	self->p = mmap(self->guard + self->huge, self->len, prot, flags,
		       self->fd, 0);
	ASSERT_EQ(self->guard + self->huge, self->p) TH_LOG("mmap: %m");
	if (variant->backing == THP)
		ASSERT_EQ(0, madvise(self->p, self->len, MADV_HUGEPAGE));
}

FIXTURE_TEARDOWN(region)
{
	munmap(self->guard, self->glen);
	if (self->fd >= 0)
		close(self->fd);
	ctx_close(&self->c);
}

/*
 * Make pages 0, 1, 5 and the last one present (the first huge page and a
 * small page in the second one, for THP; the first huge page for hugetlb).
 */
static void populate(const REGION_VARIANT *variant, char *p,
		     size_t len, size_t huge)
{
	size_t page = pt_page_size();
	volatile char sink;

	if (variant->backing == THP) {
		p[0] = 1;
		madvise(p + huge, huge, MADV_NOHUGEPAGE);
		p[huge + 3 * page] = 1;
		return;
	}
	if (variant->backing == HUGETLB) {
		p[0] = 1;
		return;
	}
	if (variant->backing == ZERO) {
		sink = p[0];
		sink = p[page];
		sink = p[5 * page];
		sink = p[len - page];
		(void)sink;
		return;
	}
	p[0] = 1;
	p[page] = 1;
	p[5 * page] = 1;
	p[len - page] = 1;
}

TEST_F(region, untouched_region_is_one_hole)
{
	int64_t data;

	ASSERT_EQ(0, ctx_refresh(&self->c));
	EXPECT_EQ(0, check_pages(&self->c, self->p, self->len));
	EXPECT_EQ(entry_of(&self->c, self->p),
		  lseek(self->c.pm.fd, entry_of(&self->c, self->p), SEEK_HOLE));
	/* the next data, if any, lies past the guard after the region */
	data = lseek(self->c.pm.fd, entry_of(&self->c, self->p), SEEK_DATA);
	if (data >= 0)
		EXPECT_LE(entry_of(&self->c, self->guard + self->glen), data);
}

TEST_F(region, every_page_seeks_as_the_kernel_shows_it)
{
	size_t page = pt_page_size();
	int64_t start = entry_of(&self->c, self->p);

	populate(variant, self->p, self->len, self->huge);
	ASSERT_EQ(0, ctx_refresh(&self->c));
	EXPECT_EQ(0, check_pages(&self->c, self->p, self->len));
	/* from the guard before the region: its first page */
	EXPECT_EQ(start, lseek(self->c.pm.fd,
			       entry_of(&self->c, self->guard), SEEK_DATA));
	if (self->huge != page)
		return;
	/* the explicit answers the model must also give */
	EXPECT_EQ(entry_of(&self->c, self->p + 2 * page),
		  lseek(self->c.pm.fd, start, SEEK_HOLE));
	EXPECT_EQ(entry_of(&self->c, self->p + 5 * page),
		  lseek(self->c.pm.fd, entry_of(&self->c, self->p + 2 * page),
			SEEK_DATA));
	EXPECT_EQ(entry_of(&self->c, self->p + 6 * page),
		  lseek(self->c.pm.fd, entry_of(&self->c, self->p + 5 * page),
			SEEK_HOLE));
	EXPECT_EQ(entry_of(&self->c, self->p + self->len - page),
		  lseek(self->c.pm.fd, entry_of(&self->c, self->p + 6 * page),
			SEEK_DATA));
}

TEST_F(region, pages_dropped_by_madv_dontneed_become_a_hole)
{
	size_t page = pt_page_size();
	int ret;

	populate(variant, self->p, self->len, self->huge);
	/* a page of its own, or all of the first huge page for hugetlb */
	if (variant->backing == HUGETLB)
		page = self->huge;
	ret = madvise(self->p + (page == self->huge ? 0 : page), page,
		      MADV_DONTNEED);
	if (ret && errno == EINVAL && variant->backing == HUGETLB)
		SKIP(return, "MADV_DONTNEED of hugetlb pages needs Linux 5.18");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, ctx_refresh(&self->c));
	EXPECT_EQ(0, check_pages(&self->c, self->p, self->len));
}

/*
 * Pages many page tables apart in one mapping: a seek for data passes
 * empty page tables by the group (of as many as fit in 8 words) and then
 * one by one, so the gaps here are one table, nine (a group and one), 16
 * (two groups exactly) and 20 up to the last page, which is 3 pages into a
 * table at the end of the mapping. Every table's first page, and the pages
 * around each present one, are checked.
 */
TEST(pages_many_page_tables_apart_seek_as_the_kernel_shows_them)
{
	size_t page = pt_page_size(), table = pt_thp_size();
	size_t at[5], len, k;
	struct seek_ctx c;
	char *g, *p;
	int bad = 0;

	/* what one pte table maps: the PMD size, or its usual value */
	if (!table)
		table = page / sizeof(long) * page;
	len = 48 * table + 3 * page;
	/* present: the first page, the last of tables 1, 10 and 27, the last */
	at[0] = 0;
	at[1] = 2 * table - page;
	at[2] = 11 * table - page;
	at[3] = 28 * table - page;
	at[4] = len - page;
	g = pt_mmap_aligned(len + 2 * table, table, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	ASSERT_NE(MAP_FAILED, g);
	p = mmap(g + table, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0);
	ASSERT_EQ(g + table, p) TH_LOG("mmap: %m");
	/* one small page each, not a huge page */
	madvise(p, len, MADV_NOHUGEPAGE);
	for (k = 0; k < ARRAY_SIZE(at); k++)
		p[at[k]] = 1;
	CTX_OPEN(&c);
	for (k = 0; k <= 48 && bad < 8; k++) {
		int64_t off = entry_of(&c, p + k * table);

		bad += check_seek(&c, off, SEEK_DATA);
		bad += check_seek(&c, off, SEEK_HOLE);
	}
	/* each present page and the one before it */
	for (k = 0; k < ARRAY_SIZE(at); k++)
		bad += check_pages(&c, p + (k ? at[k] - page : 0),
				   k ? 2 * page : page);
	EXPECT_EQ(0, bad);
	/* the explicit answers: from after each present page, the next */
	for (k = 1; k < ARRAY_SIZE(at); k++)
		EXPECT_EQ(entry_of(&c, p + at[k]),
			  lseek(c.pm.fd, entry_of(&c, p + at[k - 1] + page),
				SEEK_DATA));
	ctx_close(&c);
	munmap(g, len + 2 * table);
}

/*
 * The mapping that seeks looked at shrinks, goes, and another takes its
 * place, between seeks: each seek answers for the mappings of its moment,
 * whatever an earlier one looked up.
 */
TEST(a_mapping_replaced_between_seeks_seeks_as_the_new_one)
{
	size_t page = pt_page_size(), len = 8 * page;
	struct seek_ctx c;
	int bad = 0;
	char *p, *q;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	p[5 * page] = 1;
	CTX_OPEN(&c);
	bad += check_pages(&c, p, len);
	ASSERT_EQ(0, munmap(p + len / 2, len / 2));
	ASSERT_EQ(0, ctx_refresh(&c));
	bad += check_pages(&c, p, len);
	ASSERT_EQ(0, munmap(p, len / 2));
	ASSERT_EQ(0, ctx_refresh(&c));
	bad += check_pages(&c, p, len);
	q = mmap(p, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(p, q) TH_LOG("mmap: %m");
	q[3 * page] = 1;
	ASSERT_EQ(0, ctx_refresh(&c));
	bad += check_pages(&c, p, len);
	EXPECT_EQ(0, bad);
	ctx_close(&c);
	munmap(p, len);
}

/* PFN-mapped areas ([vvar] and its kin): whatever the kernel says. */
TEST(pfn_mapped_areas_seek_as_the_kernel_shows_them)
{
	struct seek_ctx c;
	int tested = 0;
	long i;

	CTX_OPEN(&c);
	for (i = 0; i < c.nv; i++) {
		char *s = (char *)(uintptr_t)c.v[i].start;
		size_t len = c.v[i].end - c.v[i].start;

		if (strncmp(c.v[i].name, "[vvar", 5))
			continue;
		TH_LOG("%s: %zu pages, the kernel shows the first %s",
		       c.v[i].name, len / pt_page_size(),
		       kpm_read_one(s) == PMAP_NOT_PRESENT ? "not present" :
		       "present");
		EXPECT_EQ(0, check_pages(&c, s, len));
		tested++;
	}
	ctx_close(&c);
	if (!tested)
		SKIP(return, "no [vvar] mapping on this machine");
}

/* An opener without CAP_SYS_ADMIN reads frames as 0: still data. */
TEST(hidden_frames_are_data)
{
	long page = pt_page_size();
	pid_t pid;

	if (getuid() != 0)
		SKIP(return, "needs root to drop to another user");
	pid = pt_fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct seek_ctx c;
		char *p;

		CHILD_CHECK(pt_become(65534, 65534) == 0, "%m");
		/* the kernel's /proc/self/pagemap is root's otherwise */
		CHILD_CHECK(!prctl(PR_SET_DUMPABLE, 1), "%m");
		p = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHILD_CHECK(p != MAP_FAILED, "%m");
		p[2 * page] = 1;
		p[3 * page] = 1;
		CHILD_CHECK(ctx_open(&c) == 0, "open the maps");
		CHILD_CHECK(pt_map_read_one(&c.pm, p + 2 * page) == 0,
			    "a present page shows a frame");
		CHILD_CHECK(check_pages(&c, p, 8 * page) == 0, "seeks");
		CHILD_CHECK(lseek(c.pm.fd, entry_of(&c, p), SEEK_DATA) ==
			    entry_of(&c, p + 2 * page), "SEEK_DATA");
		ctx_close(&c);
		_exit(0);
	}
	EXPECT_EQ(0, pt_wait(pid));
}

TEST_HARNESS_MAIN
