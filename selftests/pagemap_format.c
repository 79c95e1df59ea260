// SPDX-License-Identifier: GPL-2.0
/*
 * The file itself: its header, where it ends, every read and seek rule, bad
 * buffers, names that are not processes, stat, kernel threads, thread ids
 * and readdir.
 */
#include <limits.h>
#include <pthread.h>

#include "pagemap_test.h"
#include "kselftest_harness.h"

FIXTURE(map) {
	struct pt_map pm;
	size_t esz;
	long page;
	unsigned char buf[256];
};

FIXTURE_SETUP(map)
{
	int ret = pt_map_open(0, &self->pm);

	if (ret)
		TH_LOG("open %s/self: %s (is the module mounted?)", PMAP_MOUNT,
		       strerror(-ret));
	ASSERT_EQ(0, ret);
	self->esz = self->pm.h.entry_size;
	self->page = pt_page_size();
}

FIXTURE_TEARDOWN(map)
{
	pt_map_close(&self->pm);
}

TEST_F(map, header_describes_this_machine)
{
	unsigned int i;

	ASSERT_EQ((ssize_t)self->esz,
		  pread(self->pm.fd, self->buf, self->esz, 0));
	EXPECT_EQ(pt_host_little_endian(), self->buf[PMAP_HDR_ENDIAN]);
	EXPECT_EQ(pt_page_shift(), self->buf[PMAP_HDR_PAGE_SHIFT]);
	EXPECT_EQ(pt_kernel_long_size(), self->buf[PMAP_HDR_ENTRY_SIZE]);
	EXPECT_EQ(self->buf[PMAP_HDR_ENTRY_SIZE],
		  self->buf[PMAP_HDR_HEADER_SIZE]);
	for (i = 4; i < self->esz; i++)
		EXPECT_EQ(0, self->buf[i]);
}

TEST_F(map, untouched_page_reads_not_present_and_written_one_its_frame)
{
	char *p = mmap(NULL, 4 * self->page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t e[4];

	ASSERT_NE(MAP_FAILED, p);
	p[self->page] = 1;
	ASSERT_EQ(4, pt_map_read(&self->pm, pt_vpn(p), 4, e));
	EXPECT_EQ(PMAP_NOT_PRESENT, e[0]);
	EXPECT_NE(PMAP_NOT_PRESENT, e[1]);
	EXPECT_EQ(PMAP_NOT_PRESENT, e[2]);
	EXPECT_EQ(PMAP_NOT_PRESENT, e[3]);
	if (kpm_shows_pfns())
		EXPECT_EQ(kpm_read_one(p + self->page), e[1]);
	/* one entry per page, in the kernel's byte order, raw */
	ASSERT_EQ((ssize_t)self->esz,
		  pread(self->pm.fd, self->buf, self->esz,
			pmap_entry_offset(&self->pm.h, pt_vpn(p))));
	for (unsigned int i = 0; i < self->esz; i++)
		EXPECT_EQ(0xff, self->buf[i]);
	munmap(p, 4 * self->page);
}

TEST_F(map, file_ends_after_last_user_page)
{
	int64_t end = pt_map_probe_end(&self->pm);
	uint64_t end_addr, off;
	struct pt_vma *v;
	long n, i;
	int kfd;

	ASSERT_GT(end, 0);
	end_addr = (uint64_t)end << self->pm.h.page_shift;
	TH_LOG("user address space ends at 0x%" PRIx64, end_addr);

	/* the kernel's own pagemap ends at the same place (mm->task_size) */
	kfd = kpm_open(0);
	if (kfd >= 0) {
		EXPECT_TRUE(kpm_ends_at(kfd, end))
			TH_LOG("the kernel's pagemap does not end at 0x%" PRIx64,
			       end_addr);
		close(kfd);
	}

	/* every user mapping lies below it ([vsyscall] lies above) */
	n = pt_read_maps(0, &v);
	ASSERT_GT(n, 0);
	for (i = 0; i < n; i++) {
		if (v[i].start >= end_addr &&
		    !strcmp(v[i].name, "[vsyscall]"))
			continue;
		EXPECT_LE(v[i].end, end_addr)
			TH_LOG("mapping %s ends at 0x%" PRIx64, v[i].name,
			       v[i].end);
	}
	free(v);

	/* at or past the end: 0; straddling it: the entries up to it */
	off = pmap_entry_offset(&self->pm.h, end);
	EXPECT_EQ(0, pread(self->pm.fd, self->buf, self->esz, off));
	EXPECT_EQ(0, pread(self->pm.fd, self->buf, 4 * self->esz, off));
	EXPECT_EQ(0, pread(self->pm.fd, self->buf, self->esz,
			   off + 1024 * self->esz));
	EXPECT_EQ((ssize_t)(2 * self->esz),
		  pread(self->pm.fd, self->buf, 8 * self->esz,
			off - 2 * self->esz));
	/* and read() at the end leaves the position where it was */
	ASSERT_EQ((off_t)off, lseek(self->pm.fd, off, SEEK_SET));
	EXPECT_EQ(0, read(self->pm.fd, self->buf, self->esz));
	EXPECT_EQ((off_t)off, lseek(self->pm.fd, 0, SEEK_CUR));
}

/*
 * Positions whose page number overflows an address: still past the end.
 * (Positions where pos + count overflows are refused by the VFS itself.)
 */
TEST_F(map, position_far_past_the_end_reads_nothing)
{
	/* past 1 << 64 bytes of address space: the page number overflows */
	off_t far[] = { (off_t)1 << 56, (off_t)1 << 60, (off_t)1 << 62,
			((off_t)1 << 62) + ((off_t)1 << 61) };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(far); i++) {
		ASSERT_EQ(far[i], lseek(self->pm.fd, far[i], SEEK_SET));
		EXPECT_EQ(0, read(self->pm.fd, self->buf, 4 * self->esz))
			TH_LOG("at 0x%llx: %m", (unsigned long long)far[i]);
		EXPECT_EQ(0, pread(self->pm.fd, self->buf, self->esz, far[i]))
			TH_LOG("at 0x%llx: %m", (unsigned long long)far[i]);
		EXPECT_EQ(far[i], lseek(self->pm.fd, 0, SEEK_CUR));
	}
}

TEST_F(map, unaligned_position_gives_eio)
{
	off_t e = self->esz;

	errno = 0;
	EXPECT_EQ(-1, pread(self->pm.fd, self->buf, e, 1));
	EXPECT_EQ(EIO, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(self->pm.fd, self->buf, e, 8 * e + e / 2));
	EXPECT_EQ(EIO, errno);
	ASSERT_EQ(3, lseek(self->pm.fd, 3, SEEK_SET));
	errno = 0;
	EXPECT_EQ(-1, read(self->pm.fd, self->buf, e));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(3, lseek(self->pm.fd, 0, SEEK_CUR));
}

TEST_F(map, unaligned_count_gives_einval)
{
	size_t e = self->esz, counts[] = { 1, e - 1, e + 1, 3 * e + 2 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(counts); i++) {
		errno = 0;
		EXPECT_EQ(-1, pread(self->pm.fd, self->buf, counts[i], e))
			TH_LOG("count %zu", counts[i]);
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(0, lseek(self->pm.fd, 0, SEEK_CUR));
}

TEST_F(map, zero_count_reads_nothing)
{
	EXPECT_EQ(0, read(self->pm.fd, self->buf, 0));
	EXPECT_EQ(0, pread(self->pm.fd, self->buf, 0, 16 * self->esz));
	EXPECT_EQ(0, lseek(self->pm.fd, 0, SEEK_CUR));
}

TEST_F(map, seek_end_and_unknown_whence_give_einval)
{
	int whence[] = { SEEK_END, 42, -1 };
	unsigned int i;

	ASSERT_EQ((off_t)(8 * self->esz),
		  lseek(self->pm.fd, 8 * self->esz, SEEK_SET));
	for (i = 0; i < ARRAY_SIZE(whence); i++) {
		errno = 0;
		EXPECT_EQ(-1, lseek(self->pm.fd, 0, whence[i]))
			TH_LOG("whence %d", whence[i]);
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ((off_t)(8 * self->esz), lseek(self->pm.fd, 0, SEEK_CUR));
}

TEST_F(map, negative_position_gives_einval_and_keeps_position)
{
	off_t e = self->esz;

	ASSERT_EQ(8 * e, lseek(self->pm.fd, 8 * e, SEEK_SET));
	errno = 0;
	EXPECT_EQ(-1, lseek(self->pm.fd, -e, SEEK_SET));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, lseek(self->pm.fd, -16 * e, SEEK_CUR));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(8 * e, lseek(self->pm.fd, 0, SEEK_CUR));
	EXPECT_EQ(0, lseek(self->pm.fd, -8 * e, SEEK_CUR));
}

TEST_F(map, seek_cur_and_read_move_the_position)
{
	off_t e = self->esz, off;
	unsigned char again[sizeof(self->buf)];
	char *p = malloc(16 * self->page);

	/* make the entries we read non-trivial: some present, some not */
	ASSERT_NE(NULL, p);
	pt_touch(p, 16 * self->page);
	ASSERT_EQ(2 * e, lseek(self->pm.fd, 2 * e, SEEK_SET));
	ASSERT_EQ(5 * e, lseek(self->pm.fd, 3 * e, SEEK_CUR));
	ASSERT_EQ(4 * e, read(self->pm.fd, self->buf, 4 * e));
	EXPECT_EQ(9 * e, lseek(self->pm.fd, 0, SEEK_CUR));
	ASSERT_EQ(4 * e, pread(self->pm.fd, again, 4 * e, 5 * e));
	EXPECT_EQ(0, memcmp(self->buf, again, 4 * e));

	ASSERT_EQ((off_t)pmap_entry_offset(&self->pm.h, pt_vpn(p)),
		  lseek(self->pm.fd, pmap_entry_offset(&self->pm.h, pt_vpn(p)),
			SEEK_SET));
	ASSERT_EQ(16 * e, read(self->pm.fd, self->buf, 16 * e));
	off = pmap_entry_offset(&self->pm.h, pt_vpn(p));
	ASSERT_EQ(16 * e, pread(self->pm.fd, again, 16 * e, off));
	EXPECT_EQ(0, memcmp(self->buf, again, 16 * e));
	free(p);
}

TEST_F(map, pread_leaves_the_position_alone)
{
	off_t e = self->esz;

	ASSERT_EQ(4 * e, lseek(self->pm.fd, 4 * e, SEEK_SET));
	EXPECT_EQ(2 * e, pread(self->pm.fd, self->buf, 2 * e, 64 * e));
	EXPECT_EQ(4 * e, lseek(self->pm.fd, 0, SEEK_CUR));
}

/* stdio reads one block (st_blksize: a page) at a time: whole entries */
TEST_F(map, stdio_reads_work)
{
	unsigned char got[16 * 8], want[16 * 8];
	size_t len = 16 * self->esz;
	char *p = malloc(16 * self->page);
	off_t off;
	FILE *f;

	ASSERT_NE(NULL, p);
	pt_touch(p, 8 * self->page);
	off = pmap_entry_offset(&self->pm.h, pt_vpn(p));
	f = fopen(PMAP_MOUNT "/self", "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(3, fread(got, 1, 3, f));
	EXPECT_EQ(self->esz, got[PMAP_HDR_ENTRY_SIZE]);
	ASSERT_EQ(0, fseeko(f, off, SEEK_SET));
	ASSERT_EQ(len, fread(got, 1, len, f));
	ASSERT_EQ((ssize_t)len, pread(self->pm.fd, want, len, off));
	EXPECT_EQ(0, memcmp(got, want, len));
	fclose(f);
	free(p);
}

TEST_F(map, null_buffer_gives_efault)
{
	errno = 0;
	EXPECT_EQ(-1, pread(self->pm.fd, NULL, self->esz, self->esz));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, read(self->pm.fd, NULL, 64 * self->esz));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, lseek(self->pm.fd, 0, SEEK_CUR));
}

TEST_F(map, read_only_buffer_gives_efault)
{
	unsigned char *ro = mmap(NULL, self->page, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	errno = 0;
	EXPECT_EQ(-1, pread(self->pm.fd, ro, 8 * self->esz, self->esz));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, ro[0]);
	munmap(ro, self->page);
}

/*
 * A read of 16 entries from @start into a buffer with room for 4 before an
 * unmapped page returns a short count of entries that match a good read.
 */
static void read_into_partly_mapped_buffer(struct __test_metadata *_metadata,
					   struct pt_map *pm, off_t start)
{
	size_t e = pm->h.entry_size, room = 4 * e;
	long page = pt_page_size();
	unsigned char *area, *buf;
	unsigned char good[64];
	off_t pos;
	ssize_t n;

	area = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, munmap(area + page, page));
	buf = area + page - room;
	ASSERT_EQ(start, lseek(pm->fd, start, SEEK_SET));
	n = read(pm->fd, buf, 16 * e);
	EXPECT_GT(n, 0);
	EXPECT_LE(n, (ssize_t)room);
	EXPECT_EQ(0, n % (ssize_t)e);
	pos = lseek(pm->fd, 0, SEEK_CUR);
	if (n > 0) {
		EXPECT_EQ(start + n, pos);
		ASSERT_EQ(n, pread(pm->fd, good, n, start));
		EXPECT_EQ(0, memcmp(good, buf, n));
	} else {
		TH_LOG("read returned %zd (%s)", n, strerror(errno));
	}
	munmap(area, page);
}

TEST_F(map, partly_mapped_buffer_gives_short_count)
{
	/* page 16: a hole below every mapping */
	read_into_partly_mapped_buffer(_metadata, &self->pm,
				       pmap_entry_offset(&self->pm.h, 16));
}

TEST_F(map, partly_mapped_buffer_gives_short_count_over_present_pages)
{
	size_t len = 64 * self->page;
	char *src = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, src);
	pt_touch(src, len);
	/* the walk stores straight to the buffer: it faults mid-table */
	read_into_partly_mapped_buffer(_metadata, &self->pm,
				       pmap_entry_offset(&self->pm.h,
							 pt_vpn(src)));
	munmap(src, len);
}

/*
 * A buffer shared copy-on-write with a child: the read breaks the sharing
 * for its own copy, and the child's copy keeps what it had.
 */
TEST_F(map, copy_on_write_buffer_is_filled_and_the_child_keeps_its_copy)
{
	size_t len = 64 * self->page, n = len / self->page;
	size_t bytes = n * self->esz;
	unsigned char *src, *buf, *good;
	int pipefd[2];
	pid_t child;
	char c;

	src = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	good = malloc(bytes);
	ASSERT_NE(MAP_FAILED, src);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_NE(NULL, good);
	pt_touch(src, len);
	memset(buf, 0x5a, bytes);
	ASSERT_EQ(0, pipe(pipefd));
	child = pt_fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		size_t i;

		/* wait for the parent's read, then check our copy */
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) != 1)
			_exit(2);
		for (i = 0; i < bytes; i++)
			if (buf[i] != 0x5a)
				_exit(1);
		_exit(0);
	}
	close(pipefd[0]);
	/* the parent's buffer is now write-protected: every store faults */
	EXPECT_EQ((ssize_t)bytes,
		  pread(self->pm.fd, buf, bytes,
			pmap_entry_offset(&self->pm.h, pt_vpn(src))));
	ASSERT_EQ((ssize_t)bytes,
		  pread(self->pm.fd, good, bytes,
			pmap_entry_offset(&self->pm.h, pt_vpn(src))));
	EXPECT_EQ(0, memcmp(good, buf, bytes));
	ASSERT_EQ(1, write(pipefd[1], "x", 1));
	close(pipefd[1]);
	EXPECT_EQ(0, pt_wait(child)) TH_LOG("the child's copy changed");
	free(good);
	munmap(buf, bytes);
	munmap(src, len);
}

TEST_F(map, holes_and_prot_none_read_not_present)
{
	size_t len = 64UL << 20, pages = len / self->page, i;
	uint64_t *e = calloc(pages, sizeof(*e));
	char *hole, *none;
	long bad = 0;

	ASSERT_NE(NULL, e);
	hole = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole, len));
	ASSERT_EQ((long)pages, pt_map_read(&self->pm, pt_vpn(hole), pages, e));
	for (i = 0; i < pages; i++)
		bad += e[i] != PMAP_NOT_PRESENT;
	EXPECT_EQ(0, bad);

	none = mmap(NULL, 256 * self->page, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(256, pt_map_read(&self->pm, pt_vpn(none), 256, e));
	for (i = 0, bad = 0; i < 256; i++)
		bad += e[i] != PMAP_NOT_PRESENT;
	EXPECT_EQ(0, bad);
	munmap(none, 256 * self->page);
	free(e);
}

TEST_F_TIMEOUT(map, multi_gib_read_of_holes_completes, 120)
{
	uint64_t best_start = 0, best_len = 0, want, end_addr, vpn, left;
	size_t bufsz = 4UL << 20, e = self->esz, i;
	struct pt_vma *v;
	unsigned char *buf;
	double t0;
	long n, k;

	/* the buffer first, so that it cannot land in the hole we read */
	buf = mmap(NULL, bufsz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	end_addr = (uint64_t)pt_map_probe_end(&self->pm) << self->pm.h.page_shift;
	n = pt_read_maps(0, &v);
	ASSERT_GT(n, 0);
	for (k = 0; k + 1 < n; k++) {
		uint64_t gap_end = v[k + 1].start < end_addr ?
				   v[k + 1].start : end_addr;

		if (gap_end > v[k].end && gap_end - v[k].end > best_len) {
			best_start = v[k].end;
			best_len = gap_end - v[k].end;
		}
	}
	free(v);
	want = 16ULL << 30;
	if (best_len > want)
		best_len = want;
	if (best_len < (1ULL << 30))
		SKIP(return, "no hole of 1 GiB in this address space");

	t0 = pt_now();
	vpn = best_start >> self->pm.h.page_shift;
	left = best_len >> self->pm.h.page_shift;
	while (left) {
		size_t want_e = left < bufsz / e ? left : bufsz / e;
		ssize_t got = pread(self->pm.fd, buf, want_e * e,
				    pmap_entry_offset(&self->pm.h, vpn));

		ASSERT_EQ((ssize_t)(want_e * e), got);
		for (i = 0; i < want_e * e; i++)
			if (buf[i] != 0xff)
				break;
		ASSERT_EQ(want_e * e, i)
			TH_LOG("entry at vpn 0x%" PRIx64 " not -1",
			       vpn + i / e);
		vpn += want_e;
		left -= want_e;
	}
	TH_LOG("read %.1f GiB of holes (%" PRIu64 " MiB of entries) in %.2f s",
	       best_len / 1073741824.0,
	       (best_len >> self->pm.h.page_shift) * e >> 20, pt_now() - t0);
	munmap(buf, bufsz);
}

TEST(stat_shows_owner_mode_and_page_block_size)
{
	int go[2], done[2];
	char path[64], c = 0;
	struct stat st;
	pid_t child;

	ASSERT_EQ(0, stat(PMAP_MOUNT "/self", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0400, st.st_mode & 07777);
	EXPECT_EQ(geteuid(), st.st_uid);
	EXPECT_EQ(getegid(), st.st_gid);
	EXPECT_EQ(pt_page_size(), st.st_blksize);

	/* another process's file belongs to that process's euid/egid */
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	child = pt_fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		close(go[1]);
		CHILD_CHECK(setresgid(1000, 1234, 1000) == 0, "%m");
		CHILD_CHECK(setresuid(1000, 4321, 1000) == 0, "%m");
		prctl(PR_SET_DUMPABLE, 1);
		CHILD_CHECK(write(done[1], &c, 1) == 1, "%m");
		CHILD_CHECK(read(go[0], &c, 1) >= 0, "%m");
		_exit(0);
	}
	close(done[1]);
	ASSERT_EQ(1, read(done[0], &c, 1));
	pt_map_path(path, sizeof(path), child);
	EXPECT_EQ(0, stat(path, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0400, st.st_mode & 07777);
	EXPECT_EQ(4321, st.st_uid);
	EXPECT_EQ(1234, st.st_gid);
	EXPECT_EQ(pt_page_size(), st.st_blksize);
	close(go[1]);
	EXPECT_EQ(0, pt_wait(child));
}

TEST(owner_follows_the_target_changing_euid)
{
	int go[2], done[2];
	char path[64], c = 0;
	struct stat st;
	pid_t child;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	child = pt_fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		close(go[1]);
		CHILD_CHECK(read(go[0], &c, 1) == 1, "%m");
		CHILD_CHECK(setresgid(77, 77, 77) == 0, "%m");
		CHILD_CHECK(setresuid(77, 77, 77) == 0, "%m");
		prctl(PR_SET_DUMPABLE, 1);
		CHILD_CHECK(write(done[1], &c, 1) == 1, "%m");
		CHILD_CHECK(read(go[0], &c, 1) >= 0, "%m");
		_exit(0);
	}
	close(done[1]);
	pt_map_path(path, sizeof(path), child);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(geteuid(), st.st_uid);
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(1, read(done[0], &c, 1));
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(77, st.st_uid);
	EXPECT_EQ(77, st.st_gid);
	close(go[1]);
	EXPECT_EQ(0, pt_wait(child));
}

TEST(missing_pids_and_other_names_give_enoent)
{
	static const char * const names[] = { "foo", "1x", "-1", "0", "+1", " 1",
		"99999999999999999999", "4294967297" };
	char path[128];
	unsigned int i;
	pid_t gone;

	gone = pt_fork();
	ASSERT_GE(gone, 0);
	if (gone == 0)
		_exit(0);
	ASSERT_EQ(0, pt_wait(gone));
	pt_map_path(path, sizeof(path), gone);
	errno = 0;
	EXPECT_EQ(-1, open(path, O_RDONLY));
	EXPECT_EQ(ENOENT, errno);

	snprintf(path, sizeof(path), "%s/%llu", PMAP_MOUNT,
		 pt_read_ull("/proc/sys/kernel/pid_max") + 1);
	errno = 0;
	EXPECT_EQ(-1, open(path, O_RDONLY));
	EXPECT_EQ(ENOENT, errno);

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", PMAP_MOUNT, names[i]);
		errno = 0;
		EXPECT_EQ(-1, open(path, O_RDONLY)) TH_LOG("%s", path);
		EXPECT_EQ(ENOENT, errno) TH_LOG("%s", path);
	}
}

TEST(open_for_writing_gives_eacces)
{
	static const char * const paths[] = {
		PMAP_MOUNT "/self", PMAP_MOUNT "/1"
	};
	int flags[] = { O_WRONLY, O_RDWR, O_WRONLY | O_TRUNC };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		for (j = 0; j < ARRAY_SIZE(flags); j++) {
			errno = 0;
			EXPECT_EQ(-1, open(paths[i], flags[j]))
				TH_LOG("%s flags 0x%x", paths[i], flags[j]);
			EXPECT_EQ(EACCES, errno)
				TH_LOG("%s flags 0x%x", paths[i], flags[j]);
		}
	}
}

/* The first kernel thread found (pid 2, kthreadd, on every kernel here). */
TEST(kernel_thread_opens_and_reads_nothing)
{
	unsigned char buf[64];
	pid_t kt = pt_find_kthread();
	char path[64];
	int fd;

	if (!kt)
		SKIP(return, "no kernel thread found in /proc");
	pt_map_path(path, sizeof(path), kt);
	fd = open(path, O_RDONLY);
	ASSERT_GE(fd, 0) TH_LOG("%s: %s", path, strerror(errno));
	EXPECT_EQ(0, read(fd, buf, 8));
	EXPECT_EQ(0, pread(fd, buf, 8, 0));
	EXPECT_EQ(0, pread(fd, buf, 64, 4096));
	close(fd);
}

static volatile char *thread_page;
static pid_t thread_tid;
static pthread_barrier_t thread_barrier;

static void *thread_fn(void *arg)
{
	(void)arg;
	thread_tid = syscall(SYS_gettid);
	pthread_barrier_wait(&thread_barrier);
	/* the main thread opens the tid file; then we fault a page */
	pthread_barrier_wait(&thread_barrier);
	thread_page[0] = 1;
	pthread_barrier_wait(&thread_barrier);
	pthread_barrier_wait(&thread_barrier);
	return NULL;
}

TEST(thread_id_shows_the_same_map_as_its_leader)
{
	struct pt_map leader, thread;
	char *mine = malloc(pt_page_size());
	pthread_t t;
	char path[64];

	ASSERT_NE(NULL, mine);
	mine[0] = 1;
	thread_page = mmap(NULL, pt_page_size(), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)thread_page);
	ASSERT_EQ(0, pthread_barrier_init(&thread_barrier, NULL, 2));
	ASSERT_EQ(0, pthread_create(&t, NULL, thread_fn, NULL));
	pthread_barrier_wait(&thread_barrier);

	ASSERT_EQ(0, pt_map_open(0, &leader));
	pt_map_path(path, sizeof(path), thread_tid);
	ASSERT_EQ(0, pt_map_open_path(path, &thread)) TH_LOG("%s", path);
	EXPECT_EQ(PMAP_NOT_PRESENT, pt_map_read_one(&thread,
						    (void *)thread_page));
	EXPECT_EQ(pt_map_read_one(&leader, mine), pt_map_read_one(&thread, mine));
	EXPECT_NE(PMAP_NOT_PRESENT, pt_map_read_one(&thread, mine));

	pthread_barrier_wait(&thread_barrier);
	pthread_barrier_wait(&thread_barrier);
	EXPECT_NE(PMAP_NOT_PRESENT,
		  pt_map_read_one(&thread, (void *)thread_page));
	EXPECT_EQ(pt_map_read_one(&leader, (void *)thread_page),
		  pt_map_read_one(&thread, (void *)thread_page));
	pthread_barrier_wait(&thread_barrier);
	pthread_join(t, NULL);
	pt_map_close(&leader);
	pt_map_close(&thread);
}

/* What a directory listing held. */
struct listing {
	pid_t *pids;
	size_t n, cap;
	int self, dups, calls, bad_type;
};

static int listing_has(const struct listing *l, pid_t pid)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->pids[i] == pid)
			return 1;
	return 0;
}

static void listing_add(struct listing *l, pid_t pid)
{
	if (listing_has(l, pid)) {
		l->dups++;
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->pids = realloc(l->pids, l->cap * sizeof(*l->pids));
	}
	l->pids[l->n++] = pid;
}

struct dirent64_hdr {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/*
 * List @path with getdents64 into @buf of @len bytes (any memory: the
 * caller chooses it unfaulted or tiny). Returns 0 or -errno.
 */
static int list_dir(const char *path, char *buf, size_t len,
		    struct listing *l, int pids_only_regular)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	long n, off;

	memset(l, 0, sizeof(*l));
	if (fd < 0)
		return -errno;
	for (;;) {
		n = syscall(SYS_getdents64, fd, buf, len);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		l->calls++;
		for (off = 0; off < n; ) {
			struct dirent64_hdr *d = (void *)(buf + off);
			char *end;
			long pid = strtol(d->name, &end, 10);

			if (!strcmp(d->name, "self")) {
				l->self++;
			} else if (d->name[0] >= '0' && d->name[0] <= '9' &&
				   !*end) {
				listing_add(l, pid);
				if (pids_only_regular && d->type != DT_REG &&
				    d->type != DT_UNKNOWN)
					l->bad_type++;
			}
			off += d->reclen;
		}
	}
	close(fd);
	return 0;
}

static int list_proc(struct listing *l)
{
	static char buf[1 << 16];

	return list_dir("/proc", buf, sizeof(buf), l, 0);
}

/*
 * Compare the module's listing @m with /proc's, read @before it and after
 * it: pids in both /proc listings must be listed, pids in neither must not.
 * Frees @before.
 */
static int compare_with_proc(struct __test_metadata *_metadata,
			     struct listing *before, const struct listing *m,
			     pid_t not_listed)
{
	struct listing after;
	int missing = 0, extra = 0;
	size_t i;

	if (list_proc(&after))
		return -1;
	for (i = 0; i < before->n; i++) {
		if (listing_has(&after, before->pids[i]) &&
		    !listing_has(m, before->pids[i])) {
			if (missing++ < 5)
				TH_LOG("pid %d in /proc but not listed",
				       before->pids[i]);
		}
	}
	for (i = 0; i < m->n; i++) {
		if (!listing_has(before, m->pids[i]) &&
		    !listing_has(&after, m->pids[i])) {
			if (extra++ < 5)
				TH_LOG("pid %d listed but not in /proc",
				       m->pids[i]);
		}
	}
	if (not_listed && listing_has(m, not_listed)) {
		TH_LOG("thread id %d listed", not_listed);
		extra++;
	}
	free(before->pids);
	free(after.pids);
	return missing + extra;
}

static void *idle_thread(void *arg)
{
	pid_t *tid = arg;

	*tid = syscall(SYS_gettid);
	pause();
	return NULL;
}

TEST(readdir_lists_processes_and_self_but_not_threads)
{
	static char buf[1 << 16];
	volatile pid_t tid = 0;
	struct listing before, m;
	pthread_t t;
	pid_t child;
	int tries;

	child = pt_fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, pthread_create(&t, NULL, idle_thread, (void *)&tid));
	while (!tid)
		usleep(1000);
	for (tries = 0; tries < 3; tries++) {
		ASSERT_EQ(0, list_proc(&before));
		ASSERT_EQ(0, list_dir(PMAP_MOUNT, buf, sizeof(buf), &m, 1));
		if (!compare_with_proc(_metadata, &before, &m, tid))
			break;
		free(m.pids);
	}
	EXPECT_LT(tries, 3);
	EXPECT_EQ(1, m.self);
	EXPECT_EQ(0, m.dups);
	EXPECT_EQ(0, m.bad_type);
	EXPECT_TRUE(listing_has(&m, 1));
	EXPECT_TRUE(listing_has(&m, getpid()));
	EXPECT_TRUE(listing_has(&m, child));
	EXPECT_FALSE(listing_has(&m, tid));
	free(m.pids);
	kill(child, SIGKILL);
	pt_wait(child);
}

TEST(readdir_into_an_unfaulted_buffer)
{
	long page = pt_page_size();
	struct listing before, m;
	char path[64];
	pid_t kids[32];
	int i, memfd, tries;
	char *area;

	/* enough processes that the listing spans a page boundary */
	for (i = 0; i < 32; i++) {
		kids[i] = pt_fork();
		ASSERT_GE(kids[i], 0);
		if (kids[i] == 0) {
			pause();
			_exit(0);
		}
	}
	for (tries = 0; tries < 3; tries++) {
		/* anonymous, fresh: every page faults inside getdents */
		area = mmap(NULL, 16 * page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, area);
		/* start near a page end so the walk faults midway */
		ASSERT_EQ(0, list_proc(&before));
		ASSERT_EQ(0, list_dir(PMAP_MOUNT, area + page - 200,
				      15 * page, &m, 1));
		munmap(area, 16 * page);
		if (!compare_with_proc(_metadata, &before, &m, 0))
			break;
		free(m.pids);
	}
	EXPECT_LT(tries, 3);
	EXPECT_EQ(0, m.dups);
	for (i = 0; i < 32; i++)
		EXPECT_TRUE(listing_has(&m, kids[i]));
	free(m.pids);

	/* file-backed and shared: the fault takes the page cache path */
	memfd = memfd_create("dents", 0);
	ASSERT_GE(memfd, 0);
	ASSERT_EQ(0, ftruncate(memfd, 16 * page));
	area = mmap(NULL, 16 * page, PROT_READ | PROT_WRITE, MAP_SHARED,
		    memfd, 0);
	ASSERT_NE(MAP_FAILED, area);
	ASSERT_EQ(0, list_dir(PMAP_MOUNT, area + page - 200, 15 * page,
			      &m, 1));
	EXPECT_EQ(0, m.dups);
	for (i = 0; i < 32; i++)
		EXPECT_TRUE(listing_has(&m, kids[i]));
	free(m.pids);
	munmap(area, 16 * page);
	close(memfd);

	for (i = 0; i < 32; i++) {
		kill(kids[i], SIGKILL);
		pt_wait(kids[i]);
	}
	pt_map_path(path, sizeof(path), kids[0]);
	EXPECT_NE(0, access(path, F_OK));
}

TEST(readdir_with_a_tiny_buffer_takes_many_calls)
{
	static char big[1 << 16];
	/* room for one entry with a name of up to 15 characters */
	char tiny[sizeof(struct dirent64_hdr) + 16] __attribute__((aligned(8)));
	struct listing before, m, full;
	size_t i;
	int fd, tries;

	for (tries = 0; tries < 3; tries++) {
		ASSERT_EQ(0, list_proc(&before));
		ASSERT_EQ(0, list_dir(PMAP_MOUNT, tiny, sizeof(tiny), &m, 1));
		ASSERT_EQ(0, list_dir(PMAP_MOUNT, big, sizeof(big), &full, 1));
		if (m.n != full.n)
			free(before.pids);
		else if (!compare_with_proc(_metadata, &before, &m, 0))
			break;
		free(m.pids);
		free(full.pids);
	}
	ASSERT_LT(tries, 3);
	EXPECT_EQ(0, m.dups);
	EXPECT_EQ(1, m.self);
	EXPECT_GE(m.calls, (int)m.n);
	for (i = 0; i < full.n; i++)
		EXPECT_TRUE(listing_has(&m, full.pids[i]))
			TH_LOG("pid %d", full.pids[i]);
	free(m.pids);
	free(full.pids);

	/* a buffer too small for any entry */
	fd = open(PMAP_MOUNT, O_RDONLY | O_DIRECTORY);
	ASSERT_GE(fd, 0);
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_getdents64, fd, tiny, 8));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST_HARNESS_MAIN
