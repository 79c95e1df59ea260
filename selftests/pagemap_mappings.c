// SPDX-License-Identifier: GPL-2.0
/*
 * What the entries say about each kind of memory, checked page by page
 * against the kernel's own /proc/<pid>/pagemap (the differential oracle):
 * anonymous, shared anonymous, memfd and file mappings, private and shared;
 * fork and copy-on-write; transparent and hugetlb huge pages; and every
 * mapping of several whole processes.
 */
#include <libgen.h>
#include <linux/mman.h>
#include <sys/resource.h>

#include "pagemap_test.h"
#include "kselftest_harness.h"

#define NPAGES 64

enum backing { ANON, MEMFD, FILE_TMP };

/* Fails the test unless the module agrees with the kernel on a range. */
#define EXPECT_SAME_AS_KERNEL(pid, pm, kfd, addr, pages) do {		\
	size_t __judged = 0;						\
	long __bad = pt_diff(pid, pm, kfd, pt_vpn(addr), pages,	\
			     &__judged, _metadata->name);		\
	EXPECT_EQ(0, __bad);						\
	EXPECT_GT(__judged, 0);						\
} while (0)

/* Open the module's and the kernel's map of self, or skip. */
static void open_both(struct __test_metadata *_metadata, struct pt_map *pm,
		      int *kfd)
{
	int ret = pt_map_open(0, pm);

	if (ret)
		TH_LOG("open %s/self: %s (is the module mounted?)", PMAP_MOUNT,
		       strerror(-ret));
	ASSERT_EQ(0, ret);
	*kfd = kpm_open(0);
	ASSERT_GE(*kfd, 0);
	if (!kpm_shows_pfns())
		SETUP_SKIP("the kernel's pagemap hides frames (no CAP_SYS_ADMIN)");
}

FIXTURE(mapping) {
	struct pt_map pm;
	int kfd, fd;
	long page;
	size_t len;
	char *p;
};

FIXTURE_VARIANT(mapping) {
	enum backing backing;
	int shared;
};

FIXTURE_VARIANT_ADD(mapping, anon_private) { .backing = ANON, .shared = 0 };
FIXTURE_VARIANT_ADD(mapping, anon_shared) { .backing = ANON, .shared = 1 };
FIXTURE_VARIANT_ADD(mapping, memfd_shared) { .backing = MEMFD, .shared = 1 };
FIXTURE_VARIANT_ADD(mapping, memfd_private) { .backing = MEMFD, .shared = 0 };
FIXTURE_VARIANT_ADD(mapping, file_shared) { .backing = FILE_TMP, .shared = 1 };
FIXTURE_VARIANT_ADD(mapping, file_private) { .backing = FILE_TMP, .shared = 0 };

/* the harness's type names, as checkpatch parses a plain identifier */
#define MAPPING_VARIANT	FIXTURE_VARIANT(mapping)
#define THP_DATA	FIXTURE_DATA(thp)
#define PROCESS_DATA	FIXTURE_DATA(process)

static char *map_variant(const MAPPING_VARIANT *variant, int fd,
			 size_t len, int extra)
{
	int flags = (variant->shared ? MAP_SHARED : MAP_PRIVATE) | extra;

	if (variant->backing == ANON)
		return mmap(NULL, len, PROT_READ | PROT_WRITE,
			    flags | MAP_ANONYMOUS, -1, 0);
	return mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
}

FIXTURE_SETUP(mapping)
{
	char path[] = "/tmp/pagemap-test-XXXXXX";

	self->fd = -1;
	open_both(_metadata, &self->pm, &self->kfd);
	self->page = pt_page_size();
	self->len = NPAGES * self->page;
	if (variant->backing == MEMFD) {
		self->fd = memfd_create("pagemap-test", 0);
		ASSERT_GE(self->fd, 0);
	} else if (variant->backing == FILE_TMP) {
		self->fd = mkstemp(path);
		ASSERT_GE(self->fd, 0) TH_LOG("mkstemp %s: %m", path);
		unlink(path);
	}
	if (self->fd >= 0)
		ASSERT_EQ(0, ftruncate(self->fd, self->len));
	self->p = map_variant(variant, self->fd, self->len, 0);
	ASSERT_NE(MAP_FAILED, self->p);
}

FIXTURE_TEARDOWN(mapping)
{
	munmap(self->p, self->len);
	if (self->fd >= 0)
		close(self->fd);
	close(self->kfd);
	pt_map_close(&self->pm);
}

TEST_F(mapping, untouched_pages_read_not_present)
{
	uint64_t e[NPAGES];
	int i;

	ASSERT_EQ(NPAGES, pt_map_read(&self->pm, pt_vpn(self->p), NPAGES, e));
	for (i = 0; i < NPAGES; i++)
		EXPECT_EQ(PMAP_NOT_PRESENT, e[i]) TH_LOG("page %d", i);
	EXPECT_SAME_AS_KERNEL(0, &self->pm, self->kfd, self->p, NPAGES);
}

TEST_F(mapping, written_pages_show_the_kernels_frames)
{
	uint64_t e[NPAGES];
	int i;

	for (i = 0; i < NPAGES; i += 2)
		self->p[i * self->page] = i;
	ASSERT_EQ(NPAGES, pt_map_read(&self->pm, pt_vpn(self->p), NPAGES, e));
	for (i = 0; i < NPAGES; i++) {
		bool absent = i % 2;

		EXPECT_EQ(absent, e[i] == PMAP_NOT_PRESENT) TH_LOG("page %d", i);
	}
	EXPECT_SAME_AS_KERNEL(0, &self->pm, self->kfd, self->p, NPAGES);
}

TEST_F(mapping, read_fault_shows_the_kernels_frames)
{
	uint64_t e[NPAGES];
	int i;

	pt_read_fault(self->p, self->len);
	ASSERT_EQ(NPAGES, pt_map_read(&self->pm, pt_vpn(self->p), NPAGES, e));
	for (i = 0; i < NPAGES; i++)
		EXPECT_NE(PMAP_NOT_PRESENT, e[i]) TH_LOG("page %d", i);
	EXPECT_SAME_AS_KERNEL(0, &self->pm, self->kfd, self->p, NPAGES);
}

TEST(read_fault_on_anonymous_memory_maps_the_zero_page)
{
	long page = pt_page_size();
	uint64_t e[NPAGES], w;
	struct pt_map pm;
	char *p;
	int kfd, i;

	open_both(_metadata, &pm, &kfd);
	p = mmap(NULL, NPAGES * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* keep THP away: this is about the 4K zero page */
	madvise(p, NPAGES * page, MADV_NOHUGEPAGE);
	pt_read_fault(p, NPAGES * page);
	ASSERT_EQ(NPAGES, pt_map_read(&pm, pt_vpn(p), NPAGES, e));
	/* present, the kernel's frames (s390 has a zero page per colour) */
	for (i = 0; i < NPAGES; i++)
		EXPECT_NE(PMAP_NOT_PRESENT, e[i]) TH_LOG("page %d", i);
	EXPECT_SAME_AS_KERNEL(0, &pm, kfd, p, NPAGES);
	/* a write replaces the zero page with a frame of its own */
	p[0] = 1;
	w = pt_map_read_one(&pm, p);
	EXPECT_NE(e[0], w);
	EXPECT_EQ(kpm_read_one(p), w);
	EXPECT_EQ(e[1], pt_map_read_one(&pm, p + page));
	munmap(p, NPAGES * page);
	close(kfd);
	pt_map_close(&pm);
}

TEST_F(mapping, madv_dontneed_unmaps_the_pages)
{
	uint64_t e[NPAGES];
	int i;

	pt_touch(self->p, self->len);
	ASSERT_EQ(0, madvise(self->p, self->len / 2, MADV_DONTNEED));
	ASSERT_EQ(NPAGES, pt_map_read(&self->pm, pt_vpn(self->p), NPAGES, e));
	for (i = 0; i < NPAGES; i++) {
		bool absent = i < NPAGES / 2;

		EXPECT_EQ(absent, e[i] == PMAP_NOT_PRESENT) TH_LOG("page %d", i);
	}
	EXPECT_SAME_AS_KERNEL(0, &self->pm, self->kfd, self->p, NPAGES);
}

TEST_F(mapping, mlock_makes_every_page_present)
{
	uint64_t e[NPAGES];
	int i;

	ASSERT_EQ(0, mlock(self->p, self->len)) TH_LOG("mlock: %m");
	ASSERT_EQ(NPAGES, pt_map_read(&self->pm, pt_vpn(self->p), NPAGES, e));
	for (i = 0; i < NPAGES; i++)
		EXPECT_NE(PMAP_NOT_PRESENT, e[i]) TH_LOG("page %d", i);
	EXPECT_SAME_AS_KERNEL(0, &self->pm, self->kfd, self->p, NPAGES);
	munlock(self->p, self->len);
}

TEST_F(mapping, map_populate_makes_every_page_present)
{
	char *q = map_variant(variant, self->fd, self->len, MAP_POPULATE);
	uint64_t e[NPAGES];
	int i;

	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(NPAGES, pt_map_read(&self->pm, pt_vpn(q), NPAGES, e));
	for (i = 0; i < NPAGES; i++)
		EXPECT_NE(PMAP_NOT_PRESENT, e[i]) TH_LOG("page %d", i);
	EXPECT_SAME_AS_KERNEL(0, &self->pm, self->kfd, q, NPAGES);
	munmap(q, self->len);
}

/*
 * After fork the child maps the parent's frames; a write in the child then
 * gives the child a new frame in private mappings and leaves it shared in
 * shared ones; pages first written by the child are the parent's too only
 * in shared mappings.
 */
TEST_F(mapping, fork_shares_frames_and_cow_write_gives_writer_a_new_frame)
{
	uint64_t before[NPAGES], parent[NPAGES], child[NPAGES];
	int go[2], ready[2], kcfd, i;
	struct pt_map cpm;
	pid_t pid;
	char c = 0;

	/* the first half written before the fork, the second half not */
	pt_touch(self->p, self->len / 2);
	ASSERT_EQ(NPAGES, pt_map_read(&self->pm, pt_vpn(self->p), NPAGES,
				      before));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	pid = pt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(go[1]);
		CHILD_CHECK(write(ready[1], &c, 1) == 1, "%m");
		CHILD_CHECK(read(go[0], &c, 1) == 1, "%m");
		/* page 0: written before the fork; last: never touched */
		self->p[0] = 2;
		self->p[self->len - self->page] = 2;
		CHILD_CHECK(write(ready[1], &c, 1) == 1, "%m");
		CHILD_CHECK(read(go[0], &c, 1) >= 0, "%m");
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, pt_map_open(pid, &cpm));
	kcfd = kpm_open(pid);
	ASSERT_GE(kcfd, 0);
	ASSERT_EQ(NPAGES, pt_map_read(&cpm, pt_vpn(self->p), NPAGES, child));
	EXPECT_SAME_AS_KERNEL(pid, &cpm, kcfd, self->p, NPAGES);
	for (i = 0; i < NPAGES / 2; i++) {
		/* shared mappings are not copied at fork: faulted later */
		if (!variant->shared || child[i] != PMAP_NOT_PRESENT)
			EXPECT_EQ(before[i], child[i]) TH_LOG("page %d", i);
	}

	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(1, read(ready[0], &c, 1));
	pt_read_fault(self->p, self->len);
	ASSERT_EQ(NPAGES, pt_map_read(&cpm, pt_vpn(self->p), NPAGES, child));
	ASSERT_EQ(NPAGES, pt_map_read(&self->pm, pt_vpn(self->p), NPAGES,
				      parent));
	EXPECT_SAME_AS_KERNEL(pid, &cpm, kcfd, self->p, NPAGES);
	EXPECT_SAME_AS_KERNEL(0, &self->pm, self->kfd, self->p, NPAGES);
	EXPECT_EQ(before[0], parent[0]);
	EXPECT_NE(PMAP_NOT_PRESENT, child[0]);
	EXPECT_NE(PMAP_NOT_PRESENT, child[NPAGES - 1]);
	if (variant->shared) {
		EXPECT_EQ(parent[0], child[0]);
		EXPECT_EQ(parent[NPAGES - 1], child[NPAGES - 1]);
	} else {
		EXPECT_NE(parent[0], child[0]);
		EXPECT_NE(parent[NPAGES - 1], child[NPAGES - 1]);
		/* the untouched written pages stay shared */
		EXPECT_EQ(parent[1], child[1]);
	}
	close(go[1]);
	EXPECT_EQ(0, pt_wait(pid));
	close(kcfd);
	pt_map_close(&cpm);
}

/*
 * Two processes mapping the same file on their own share its frames: a
 * memfd (shmem) and a file in /tmp, each read through a private and a shared
 * mapping of the reader (a private mapping reads the page cache until it
 * writes).
 */
TEST(separate_mappings_of_one_file_share_frames)
{
	long page = pt_page_size();
	size_t len = NPAGES * page;
	uint64_t mine[NPAGES], theirs[NPAGES];
	int kind, kfd, i;
	struct pt_map pm;

	open_both(_metadata, &pm, &kfd);
	for (kind = 0; kind < 4; kind++) {
		char path[] = "/tmp/pagemap-test-XXXXXX", c = 0, *p, *q;
		int ready[2], go[2], fd;
		struct pt_map cpm;
		pid_t pid;

		if (kind < 2) {
			fd = memfd_create("pagemap-test", 0);
		} else {
			fd = mkstemp(path);
			unlink(path);
		}
		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, ftruncate(fd, len));
		ASSERT_EQ(0, pipe(go));
		ASSERT_EQ(0, pipe(ready));
		pid = pt_fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			close(go[1]);
			q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);
			CHILD_CHECK(q != MAP_FAILED, "%m");
			pt_touch(q, len);
			CHILD_CHECK(write(ready[1], &q, sizeof(q)) == sizeof(q),
				    "%m");
			CHILD_CHECK(read(go[0], &c, 1) >= 0, "%m");
			_exit(0);
		}
		close(ready[1]);
		ASSERT_EQ(sizeof(q), read(ready[0], &q, sizeof(q)));
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 kind % 2 ? MAP_SHARED : MAP_PRIVATE, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		pt_read_fault(p, len);
		ASSERT_EQ(0, pt_map_open(pid, &cpm));
		ASSERT_EQ(NPAGES, pt_map_read(&cpm, pt_vpn(q), NPAGES, theirs));
		ASSERT_EQ(NPAGES, pt_map_read(&pm, pt_vpn(p), NPAGES, mine));
		for (i = 0; i < NPAGES; i++) {
			EXPECT_NE(PMAP_NOT_PRESENT, theirs[i]);
			EXPECT_EQ(theirs[i], mine[i])
				TH_LOG("%s %s, page %d", kind < 2 ? "memfd" :
				       "tmp file", kind % 2 ? "shared" :
				       "private", i);
		}
		EXPECT_SAME_AS_KERNEL(0, &pm, kfd, p, NPAGES);
		close(go[1]);
		EXPECT_EQ(0, pt_wait(pid));
		pt_map_close(&cpm);
		munmap(p, len);
		close(fd);
		close(go[0]);
		close(ready[0]);
	}
	close(kfd);
	pt_map_close(&pm);
}

/* Transparent huge pages, sized from sysfs. */
FIXTURE(thp) {
	struct pt_map pm;
	int kfd;
	unsigned long hsize;
	size_t hpages;
	char *p;
};

FIXTURE_SETUP(thp)
{
	open_both(_metadata, &self->pm, &self->kfd);
	self->hsize = pt_thp_size();
	if (!self->hsize)
		SETUP_SKIP("transparent huge pages are off or missing");
	self->hpages = self->hsize / pt_page_size();
	self->p = pt_mmap_aligned(self->hsize, self->hsize,
				  PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1);
	ASSERT_NE(MAP_FAILED, self->p);
	ASSERT_EQ(0, madvise(self->p, self->hsize, MADV_HUGEPAGE));
}

FIXTURE_TEARDOWN(thp)
{
	munmap(self->p, self->hsize);
	close(self->kfd);
	pt_map_close(&self->pm);
}

/* Whether the kernel itself shows @e as one naturally aligned huge page. */
static bool consecutive(const uint64_t *e, size_t n)
{
	size_t i;

	if (e[0] == PMAP_NOT_PRESENT || e[0] % n)
		return false;
	for (i = 1; i < n; i++)
		if (e[i] != e[0] + i)
			return false;
	return true;
}

/* Fault a THP in at self->p, or skip when the kernel gives none. */
static void fault_thp(struct __test_metadata *_metadata,
		      THP_DATA *self, uint64_t *k)
{
	self->p[0] = 1;
	ASSERT_EQ((long)self->hpages, kpm_read(self->kfd, pt_vpn(self->p),
					       self->hpages, k));
	if (!consecutive(k, self->hpages))
		SKIP(return, "the kernel did not back the region with a THP");
}

TEST_F(thp, pmd_mapped_thp_shows_consecutive_frames)
{
	uint64_t *k = calloc(self->hpages, 8), *m = calloc(self->hpages, 8);

	fault_thp(_metadata, self, k);
	if (_metadata->skip)
		return;
	ASSERT_EQ((long)self->hpages,
		  pt_map_read(&self->pm, pt_vpn(self->p), self->hpages, m));
	EXPECT_TRUE(consecutive(m, self->hpages));
	EXPECT_EQ(k[0], m[0]);
	EXPECT_SAME_AS_KERNEL(0, &self->pm, self->kfd, self->p, self->hpages);
	/* reads starting inside the huge page: head frame plus index */
	EXPECT_EQ(k[1], pt_map_read_one(&self->pm, self->p + pt_page_size()));
	EXPECT_EQ(k[self->hpages - 1],
		  pt_map_read_one(&self->pm, self->p + self->hsize -
				pt_page_size()));
	ASSERT_EQ((long)self->hpages / 2,
		  pt_map_read(&self->pm, pt_vpn(self->p) + self->hpages / 2,
			      self->hpages / 2, m));
	EXPECT_EQ(0, memcmp(k + self->hpages / 2, m, self->hpages / 2 * 8));
	free(k);
	free(m);
}

TEST_F(thp, partial_mprotect_leaves_thp_pte_mapped)
{
	uint64_t *k = calloc(self->hpages, 8), *m = calloc(self->hpages, 8);
	long page = pt_page_size();

	fault_thp(_metadata, self, k);
	if (_metadata->skip)
		return;
	/* splits the pmd: the same frames, now mapped by ptes */
	ASSERT_EQ(0, mprotect(self->p + page, page, PROT_READ));
	ASSERT_EQ((long)self->hpages,
		  pt_map_read(&self->pm, pt_vpn(self->p), self->hpages, m));
	EXPECT_EQ(0, memcmp(k, m, self->hpages * 8));
	EXPECT_SAME_AS_KERNEL(0, &self->pm, self->kfd, self->p, self->hpages);

	/* and one subpage can go away on its own */
	ASSERT_EQ(0, madvise(self->p + 2 * page, page, MADV_DONTNEED));
	ASSERT_EQ((long)self->hpages,
		  pt_map_read(&self->pm, pt_vpn(self->p), self->hpages, m));
	EXPECT_EQ(PMAP_NOT_PRESENT, m[2]);
	EXPECT_EQ(k[3], m[3]);
	EXPECT_SAME_AS_KERNEL(0, &self->pm, self->kfd, self->p, self->hpages);
	free(k);
	free(m);
}

TEST_F(thp, fork_shares_the_huge_page)
{
	uint64_t *k = calloc(self->hpages, 8), *m = calloc(self->hpages, 8);
	int go[2];
	struct pt_map cpm;
	pid_t pid;
	char c;

	fault_thp(_metadata, self, k);
	if (_metadata->skip)
		return;
	ASSERT_EQ(0, pipe(go));
	pid = pt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(go[1]);
		CHILD_CHECK(read(go[0], &c, 1) >= 0, "%m");
		_exit(0);
	}
	ASSERT_EQ(0, pt_map_open(pid, &cpm));
	ASSERT_EQ((long)self->hpages,
		  pt_map_read(&cpm, pt_vpn(self->p), self->hpages, m));
	EXPECT_EQ(0, memcmp(k, m, self->hpages * 8));
	close(go[1]);
	EXPECT_EQ(0, pt_wait(pid));
	pt_map_close(&cpm);
	free(k);
	free(m);
}

TEST_F(thp, read_fault_matches_the_kernel_huge_zero_page_or_not)
{
	pt_read_fault(self->p, self->hsize);
	EXPECT_SAME_AS_KERNEL(0, &self->pm, self->kfd, self->p, self->hpages);
}

/* hugetlb pages of every size the kernel offers and has reserved. */
TEST(hugetlb_pages_show_head_frame_plus_index)
{
	const char *dir = "/sys/kernel/mm/hugepages";
	int kfd, tested = 0;
	struct dirent *d;
	struct pt_map pm;
	DIR *dp;

	open_both(_metadata, &pm, &kfd);
	dp = opendir(dir);
	if (!dp)
		SKIP(return, "no %s: hugetlb is not configured", dir);
	while ((d = readdir(dp))) {
		unsigned long long kb, free_pages;
		size_t size, pages;
		char path[512];
		uint64_t *e;
		char *p;

		if (sscanf(d->d_name, "hugepages-%llukB", &kb) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s/free_hugepages", dir,
			 d->d_name);
		free_pages = pt_read_ull(path);
		TH_LOG("%llu kB: %llu free", kb, free_pages);
		if (!free_pages)
			continue;
		size = kb << 10;
		pages = size / pt_page_size();
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			 (__builtin_ctzll(size) << MAP_HUGE_SHIFT), -1, 0);
		ASSERT_NE(MAP_FAILED, p) TH_LOG("%llu kB: %m", kb);
		e = calloc(pages, 8);
		ASSERT_NE(NULL, e);
		ASSERT_EQ((long)pages, pt_map_read(&pm, pt_vpn(p), pages, e));
		EXPECT_EQ(PMAP_NOT_PRESENT, e[0]);
		p[0] = 1;
		ASSERT_EQ((long)pages, pt_map_read(&pm, pt_vpn(p), pages, e));
		EXPECT_TRUE(consecutive(e, pages)) TH_LOG("%llu kB", kb);
		EXPECT_SAME_AS_KERNEL(0, &pm, kfd, p, pages);
		/* read from inside the huge page */
		EXPECT_EQ(e[pages - 1], pt_map_read_one(&pm, p + size -
						      pt_page_size()));
		EXPECT_EQ(e[pages / 2], pt_map_read_one(&pm, p + size / 2));
		munmap(p, size);
		free(e);
		tested++;
	}
	closedir(dp);
	if (!tested)
		SKIP(return, "no free hugetlb pages (none reserved)");
}

/*
 * Every mapping of whole processes, page by page: ourselves, init, a
 * forked child and the workload program (parent and child).
 */
enum target { SELF, INIT, CHILD, WORKLOAD };

FIXTURE(process) {
	pid_t pids[2];
	int npids;
	pid_t kill_pid;
	FILE *workload;
};

FIXTURE_VARIANT(process) {
	enum target target;
};

FIXTURE_VARIANT_ADD(process, self) { .target = SELF };
FIXTURE_VARIANT_ADD(process, init) { .target = INIT };
FIXTURE_VARIANT_ADD(process, child) { .target = CHILD };
FIXTURE_VARIANT_ADD(process, workload) { .target = WORKLOAD };

static pid_t start_workload(struct __test_metadata *_metadata,
			    PROCESS_DATA *self)
{
	char exe[512], cmd[600];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	snprintf(cmd, sizeof(cmd), "%s/pmap_workload", dirname(exe));
	if (access(cmd, X_OK))
		SETUP_SKIP("%s not built", cmd);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " 64");
	self->workload = popen(cmd, "r");
	if (!self->workload)
		return -1;
	if (fscanf(self->workload, "pmap_workload parent=%d child=%d",
		   &self->pids[0], &self->pids[1]) != 2)
		return -1;
	self->npids = 2;
	self->kill_pid = self->pids[0];
	return 0;
}

FIXTURE_SETUP(process)
{
	struct pt_map pm;
	int kfd;

	open_both(_metadata, &pm, &kfd);
	close(kfd);
	pt_map_close(&pm);
	self->npids = 1;
	switch (variant->target) {
	case SELF:
		self->pids[0] = getpid();
		break;
	case INIT:
		self->pids[0] = 1;
		break;
	case CHILD:
		self->pids[0] = pt_fork();
		ASSERT_GE(self->pids[0], 0);
		if (self->pids[0] == 0) {
			char *heap = malloc(1 << 20);

			pt_touch(heap, 1 << 20);
			pause();
			_exit(0);
		}
		self->kill_pid = self->pids[0];
		/* let it fault its heap in */
		usleep(100000);
		break;
	case WORKLOAD:
		ASSERT_EQ(0, start_workload(_metadata, self));
		break;
	}
}

FIXTURE_TEARDOWN(process)
{
	if (self->kill_pid > 0) {
		kill(self->kill_pid, variant->target == WORKLOAD ?
			SIGTERM : SIGKILL);
		if (variant->target != WORKLOAD)
			pt_wait(self->kill_pid);
	}
	if (self->workload)
		pclose(self->workload);
}

TEST_F_TIMEOUT(process, every_mapping_matches_the_kernel_page_by_page, 120)
{
	int i;

	for (i = 0; i < self->npids; i++) {
		pid_t pid = self->pids[i];
		size_t judged = 0, pages = 0;
		uint64_t end_addr;
		struct pt_vma *v;
		struct pt_map pm;
		long n, k, bad = 0;
		int kfd;

		ASSERT_EQ(0, pt_map_open(pid, &pm)) TH_LOG("pid %d", pid);
		kfd = kpm_open(pid);
		ASSERT_GE(kfd, 0);
		end_addr = (uint64_t)pt_map_probe_end(&pm) << pm.h.page_shift;
		n = pt_read_maps(pid, &v);
		ASSERT_GT(n, 0);
		for (k = 0; k < n; k++) {
			size_t len;
			long r;

			if (v[k].start >= end_addr)
				continue;
			len = (v[k].end - v[k].start) >> pm.h.page_shift;
			r = pt_diff(pid, &pm, kfd,
				    v[k].start >> pm.h.page_shift, len,
				    &judged, v[k].name[0] ? v[k].name : "anon");
			ASSERT_GE(r, 0) TH_LOG("pid %d %s: %s", pid, v[k].name,
					       strerror(-r));
			bad += r;
			pages += len;
		}
		TH_LOG("pid %d: %ld mappings, %zu pages, %zu judged, %ld differ",
		       pid, n, pages, judged, bad);
		EXPECT_EQ(0, bad);
		EXPECT_GT(judged, 0);
		free(v);
		close(kfd);
		pt_map_close(&pm);
	}
}

TEST_HARNESS_MAIN
