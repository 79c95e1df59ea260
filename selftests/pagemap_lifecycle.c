// SPDX-License-Identifier: GPL-2.0
/*
 * A map follows the address space it pinned at open: after the target
 * execs or exits its reads return 0. And pids are resolved in the pid
 * namespace of whoever mounted the filesystem.
 */
#include <sched.h>
#include <sys/mount.h>

#include "pagemap_test.h"
#include "kselftest_harness.h"

/* A target that writes @page and waits for a byte, then execs sleep. */
static pid_t start_exec_target(int *go_w, int *exec_r, volatile char *page)
{
	int go[2], ex[2];
	char c;
	pid_t pid;

	if (pipe(go) || pipe2(ex, O_CLOEXEC))
		return -1;
	pid = pt_fork();
	if (pid == 0) {
		close(go[1]);
		close(ex[0]);
		page[0] = 1;
		CHILD_CHECK(write(ex[1], "r", 1) == 1, "%m");
		CHILD_CHECK(read(go[0], &c, 1) == 1, "%m");
		execlp("sleep", "sleep", "60", (char *)NULL);
		c = 'x';
		CHILD_CHECK(write(ex[1], &c, 1) == 1, "%m");
		_exit(3);
	}
	close(go[0]);
	close(ex[1]);
	*go_w = go[1];
	*exec_r = ex[0];
	return pid;
}

TEST(fd_opened_before_exec_reads_nothing_after_it)
{
	long page = pt_page_size();
	char *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char buf[64];
	struct pt_map pm, fresh;
	int go, ex;
	pid_t pid;
	char c;

	ASSERT_NE(MAP_FAILED, p);
	pid = start_exec_target(&go, &ex, p);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(1, read(ex, &c, 1));
	ASSERT_EQ(0, pt_map_open(pid, &pm));
	EXPECT_NE(PMAP_NOT_PRESENT, pt_map_read_one(&pm, p));

	/* the close-on-exec pipe reads EOF once the old mm is gone */
	ASSERT_EQ(1, write(go, "g", 1));
	if (read(ex, &c, 1) == 1)
		SKIP(goto out, "no sleep program to exec");
	EXPECT_EQ(0, pread(pm.fd, buf, pm.h.entry_size, 0));
	EXPECT_EQ(0, pread(pm.fd, buf, pm.h.entry_size,
			   pmap_entry_offset(&pm.h, pt_vpn(p))));
	EXPECT_EQ(0, read(pm.fd, buf, 8 * pm.h.entry_size));

	/* a new open sees the new program */
	ASSERT_EQ(0, pt_map_open(pid, &fresh));
	EXPECT_EQ((ssize_t)fresh.h.entry_size,
		  pread(fresh.fd, buf, fresh.h.entry_size,
			pmap_entry_offset(&fresh.h, pt_vpn(p))));
	pt_map_close(&fresh);
out:
	pt_map_close(&pm);
	kill(pid, SIGKILL);
	pt_wait(pid);
	close(go);
	close(ex);
}

TEST(fd_of_an_exited_target_reads_nothing)
{
	long page = pt_page_size();
	char *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ready[2], go[2];
	unsigned char buf[64];
	struct pt_map pm;
	char path[64];
	siginfo_t si;
	pid_t pid;
	char c;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = pt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(go[1]);
		p[0] = 1;
		CHILD_CHECK(write(ready[1], "r", 1) == 1, "%m");
		CHILD_CHECK(read(go[0], &c, 1) >= 0, "%m");
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, pt_map_open(pid, &pm));
	EXPECT_NE(PMAP_NOT_PRESENT, pt_map_read_one(&pm, p));

	/* exited, not yet reaped: a zombie has no address space */
	close(go[1]);
	ASSERT_EQ(0, waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	EXPECT_EQ(0, pread(pm.fd, buf, pm.h.entry_size, 0));
	EXPECT_EQ(0, pread(pm.fd, buf, pm.h.entry_size,
			   pmap_entry_offset(&pm.h, pt_vpn(p))));
	/* nothing to seek either, not even the header */
	errno = 0;
	EXPECT_EQ(-1, lseek(pm.fd, 0, SEEK_DATA));
	EXPECT_EQ(ENXIO, errno);
	errno = 0;
	EXPECT_EQ(-1, lseek(pm.fd, pmap_entry_offset(&pm.h, pt_vpn(p)),
			    SEEK_HOLE));
	EXPECT_EQ(ENXIO, errno);

	/* reaped */
	ASSERT_EQ(0, pt_wait(pid));
	EXPECT_EQ(0, pread(pm.fd, buf, 8 * pm.h.entry_size,
			   pmap_entry_offset(&pm.h, pt_vpn(p))));
	EXPECT_EQ(0, read(pm.fd, buf, pm.h.entry_size));
	EXPECT_EQ(16, lseek(pm.fd, 16, SEEK_SET));
	pt_map_close(&pm);
	pt_map_path(path, sizeof(path), pid);
	errno = 0;
	EXPECT_EQ(-1, open(path, O_RDONLY));
	EXPECT_EQ(ENOENT, errno);
}

TEST(fd_outlives_its_target_being_killed_mid_reads_and_seeks)
{
	size_t len = 16UL << 20, pages = len / pt_page_size();
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ready[2], full = 0, empty = 0, partial = 0, gone = 0, i;
	size_t bufsz;
	unsigned char *buf;
	off_t at, d;
	struct pt_map pm;
	pid_t pid;
	char c;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, pipe(ready));
	pid = pt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		pt_touch(p, len);
		CHILD_CHECK(write(ready[1], "r", 1) == 1, "%m");
		pause();
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, pt_map_open(pid, &pm));
	bufsz = pages * pm.h.entry_size;
	buf = malloc(bufsz);
	ASSERT_NE(NULL, buf);
	/*
	 * Read and seek on until ten reads after the kill came back empty:
	 * each read all or nothing, each seek finding the first page or,
	 * once the target has gone, no data; and gone is gone.
	 */
	at = pmap_entry_offset(&pm.h, pt_vpn(p));
	for (i = 0; i < 100000 && empty < 10; i++) {
		ssize_t n = pread(pm.fd, buf, bufsz, at);

		ASSERT_GE(n, 0) TH_LOG("read %d: %s", i, strerror(errno));
		EXPECT_EQ(0, n % pm.h.entry_size);
		EXPECT_FALSE(gone && n) TH_LOG("read %d after ENXIO", i);
		if (n == (ssize_t)bufsz)
			full++;
		else if (n == 0)
			empty++;
		else
			partial++;
		errno = 0;
		d = lseek(pm.fd, at, SEEK_DATA);
		if (d < 0) {
			EXPECT_EQ(ENXIO, errno);
			gone++;
		} else {
			EXPECT_EQ(at, d);
			EXPECT_FALSE(gone || empty)
				TH_LOG("seek %d found data after the exit", i);
		}
		if (i == 20)
			kill(pid, SIGKILL);
	}
	TH_LOG("%d full reads, %d partial, %d empty; %d seeks found nothing",
	       full, partial, empty, gone);
	EXPECT_GE(full, 1);
	EXPECT_GE(empty, 1);
	EXPECT_EQ(0, partial);
	EXPECT_GE(gone, 1);
	EXPECT_EQ(128 + SIGKILL, pt_wait(pid));
	EXPECT_EQ(0, pread(pm.fd, buf, bufsz, pm.h.entry_size));
	pt_map_close(&pm);
	free(buf);
}

/*
 * Mounted inside a new pid namespace, the filesystem names processes by
 * their pids there: 1 is the namespace's init, outer pids do not exist.
 */
TEST(mount_in_a_pid_namespace_resolves_its_pids)
{
	char dir[] = "/tmp/pagemap-ns-XXXXXX";
	pid_t outer = getpid(), pid;
	int ret;

	if (getuid() != 0)
		SKIP(return, "mounting needs root");
	ASSERT_NE(NULL, mkdtemp(dir));
	pid = pt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		pid_t init;
		int ret;

		if (unshare(CLONE_NEWPID | CLONE_NEWNS))
			_exit(4);
		CHILD_CHECK(!mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL),
			    "%m");
		init = fork();
		CHILD_CHECK(init >= 0, "%m");
		if (init == 0) {
			static volatile char page[65536];
			char path[128];
			struct pt_map pm1, pms;
			DIR *d;
			struct dirent *de;
			int n1 = 0, nself = 0, nother = 0;

			CHILD_CHECK(getpid() == 1, "pid %d", getpid());
			CHILD_CHECK(!mount("pagemap", dir, PMAP_FSTYPE, 0, NULL),
				    "mount: %m");
			d = opendir(dir);
			CHILD_CHECK(d, "%m");
			while ((de = readdir(d))) {
				if (!strcmp(de->d_name, "1"))
					n1++;
				else if (!strcmp(de->d_name, "self"))
					nself++;
				else if (de->d_name[0] >= '0' &&
					 de->d_name[0] <= '9')
					nother++;
			}
			closedir(d);
			CHILD_CHECK(n1 == 1 && nself == 1 && nother == 0,
				    "listed 1:%d self:%d others:%d", n1, nself,
				    nother);
			snprintf(path, sizeof(path), "%s/1", dir);
			CHILD_CHECK(!pt_map_open_path(path, &pm1), "%s", path);
			snprintf(path, sizeof(path), "%s/self", dir);
			CHILD_CHECK(!pt_map_open_path(path, &pms), "%s", path);
			page[0] = 1;
			CHILD_CHECK(pt_map_read_one(&pm1, (void *)page) !=
				    PMAP_NOT_PRESENT, "page");
			CHILD_CHECK(pt_map_read_one(&pm1, (void *)page) ==
				    pt_map_read_one(&pms, (void *)page), "self");
			pt_map_close(&pm1);
			pt_map_close(&pms);
			snprintf(path, sizeof(path), "%s/%d", dir, outer);
			errno = 0;
			CHILD_CHECK(open(path, O_RDONLY) < 0 && errno == ENOENT,
				    "outer pid %d visible", outer);
			CHILD_CHECK(!umount(dir), "%m");
			_exit(0);
		}
		ret = pt_wait(init);
		_exit(ret);
	}
	ret = pt_wait(pid);
	rmdir(dir);
	if (ret == 4)
		SKIP(return, "unshare: no pid or mount namespaces");
	EXPECT_EQ(0, ret);
}

TEST_HARNESS_MAIN
