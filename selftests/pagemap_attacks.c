// SPDX-License-Identifier: GPL-2.0
/*
 * Permission attacks that pagemap_access.c does not already make: a file
 * opened before its target execs a setuid binary, a pid number reused after
 * its target died while a file of the old one stays open, and readers in
 * another pid namespace than the mounter's (files passed over a unix socket
 * are pagemap_access.c's).
 */
#include <sched.h>
#include <sys/mount.h>

#include "pagemap_test.h"
#include "kselftest_harness.h"

#define READER_UID	1000
#define READER_GID	1000
#define SUID_ARG	"--setuid-helper"

/*
 * The setuid helper (this binary, copied and made setuid root): report
 * the effective uid on fd argv[2], then wait for EOF on fd argv[3].
 */
static int setuid_helper(char **argv)
{
	int out = atoi(argv[2]), in = atoi(argv[3]);
	uid_t euid = geteuid();
	char c;

	if (write(out, &euid, sizeof(euid)) != sizeof(euid))
		return 1;
	while (read(in, &c, 1) > 0)
		;
	return 0;
}

/* Copy this program to @path, owned by root, mode 04755. */
static int make_setuid_copy(const char *path)
{
	char buf[65536];
	ssize_t n;
	int in = open("/proc/self/exe", O_RDONLY), out;

	if (in < 0)
		return -1;
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	close(in);
	if (n < 0 || fchown(out, 0, 0) || fchmod(out, 04755)) {
		close(out);
		return -1;
	}
	return close(out);
}

/*
 * An unprivileged reader opens the map of its own child, which then execs
 * a setuid-root binary: the file must read nothing from then on (the mm it
 * pinned is gone), and a new open must be refused.
 */
TEST(fd_opened_before_a_setuid_exec_reads_nothing_after_it)
{
	char dir[] = "/tmp/pagemap-suid-XXXXXX", helper[64];
	pid_t reader;
	int ret;

	if (getuid() != 0)
		SKIP(return, "needs root to make a setuid-root binary");
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, chmod(dir, 0755));
	snprintf(helper, sizeof(helper), "%s/helper", dir);
	ASSERT_EQ(0, make_setuid_copy(helper));

	reader = pt_fork();
	ASSERT_GE(reader, 0);
	if (reader == 0) {
		int go[2], rep[2], hold[2];
		static volatile char page[1 << 16];
		unsigned char e[8];
		struct pt_map pm;
		uid_t euid = 1;
		pid_t target;
		char c;

		CHILD_CHECK(!pt_become(READER_UID, READER_GID), "%m");
		prctl(PR_SET_DUMPABLE, 1);
		CHILD_CHECK(!pipe(go) && !pipe(rep) && !pipe(hold), "%m");
		target = pt_fork();
		CHILD_CHECK(target >= 0, "%m");
		if (target == 0) {
			char out[16], in[16];

			page[0] = 1;
			close(go[1]);
			close(hold[1]);
			CHILD_CHECK(write(rep[1], "w", 1) == 1, "%m");
			snprintf(out, sizeof(out), "%d", rep[1]);
			snprintf(in, sizeof(in), "%d", hold[0]);
			CHILD_CHECK(read(go[0], &c, 1) == 1, "%m");
			execl(helper, helper, SUID_ARG, out, in, (char *)NULL);
			_exit(3);
		}
		close(go[0]);
		close(hold[0]);
		CHILD_CHECK(read(rep[0], &c, 1) == 1, "%m");
		CHILD_CHECK(!pt_map_open(target, &pm), "open before exec");
		CHILD_CHECK(pt_map_read_one(&pm, (void *)page) == 0,
			    "a present page before the exec");
		CHILD_CHECK(write(go[1], "x", 1) == 1, "%m");
		CHILD_CHECK(read(rep[0], &euid, sizeof(euid)) == sizeof(euid),
			    "the helper did not report");
		if (euid != 0)
			_exit(4);	/* setuid not honoured here */
		/* the old file: nothing at all, not even the header */
		CHILD_CHECK(pread(pm.fd, e, pm.h.entry_size, 0) == 0,
			    "header read after the exec");
		CHILD_CHECK(pread(pm.fd, e, pm.h.entry_size,
				  pmap_entry_offset(&pm.h, pt_vpn((void *)page)))
			    == 0, "entry read after the exec");
		CHILD_CHECK(read(pm.fd, e, pm.h.entry_size) == 0,
			    "read after the exec");
		pt_map_close(&pm);
		/* a new open: the target is root now */
		CHILD_CHECK(pt_map_open(target, &pm) == -EACCES,
			    "opened a setuid-root process");
		close(hold[1]);
		CHILD_CHECK(pt_wait(target) == 0, "helper failed");
		_exit(0);
	}
	ret = pt_wait(reader);
	unlink(helper);
	rmdir(dir);
	if (ret == 4)
		SKIP(return, "exec did not honour the setuid bit (nosuid?)");
	EXPECT_EQ(0, ret);
}

struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		 stack_size, tls, set_tid, set_tid_size;
};

/*
 * fork() into the pid number @want: clone3 with set_tid, else through
 * /proc/sys/kernel/ns_last_pid. Returns the child's pid (which may differ
 * from @want if neither worked), 0 in the child, -1 on error.
 */
static pid_t fork_as(pid_t want)
{
	struct clone_args_v0 args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&want,
		.set_tid_size = 1,
	};
	char num[16];
	long pid;
	int fd;

	pid = syscall(__NR_clone3, &args, sizeof(args));
	if (pid >= 0)
		return pid;
	fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
	if (fd < 0)
		return fork();
	snprintf(num, sizeof(num), "%d", want - 1);
	if (write(fd, num, strlen(num)) < 0) {
		close(fd);
		return fork();
	}
	close(fd);
	return fork();
}

/*
 * A file of a dead target stays open (its dentry and inode alive); the pid
 * number then goes to a new process. The old file reads nothing, reopening
 * the old file through /proc/self/fd fails, and only a fresh lookup by
 * name reaches the new process.
 */
TEST(pid_reused_after_the_target_exits)
{
	static volatile char page[1 << 16];
	char path[64], link[64];
	struct pt_map old, fresh;
	pid_t victim, reuser;
	unsigned char e[8];
	int go[2], fd;
	char c;

	if (getuid() != 0)
		SKIP(return, "forcing a pid number needs root");
	ASSERT_EQ(0, pipe(go));
	victim = pt_fork();
	ASSERT_GE(victim, 0);
	if (victim == 0) {
		close(go[1]);
		read(go[0], &c, 1);
		_exit(0);
	}
	ASSERT_EQ(0, pt_map_open(victim, &old));
	pt_map_path(path, sizeof(path), victim);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", old.fd);
	close(go[0]);
	close(go[1]);
	ASSERT_EQ(0, pt_wait(victim));

	/* the page exists only in the new process */
	ASSERT_EQ(0, pipe(go));
	reuser = fork_as(victim);
	ASSERT_GE(reuser, 0);
	if (reuser == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		page[0] = 1;
		close(go[1]);
		read(go[0], &c, 1);
		_exit(0);
	}
	close(go[0]);
	if (reuser != victim) {
		close(go[1]);
		pt_wait(reuser);
		pt_map_close(&old);
		SKIP(return, "could not make pid %d again (got %d)", victim,
		     reuser);
	}
	/* wait until the new process has written its page */
	ASSERT_EQ(0, pt_map_open(reuser, &fresh));
	for (c = 0; c < 100; c++) {
		if (pt_map_read_one(&fresh, (void *)page) != PMAP_NOT_PRESENT)
			break;
		usleep(10000);
	}
	EXPECT_NE(0xdead, pt_map_read_one(&fresh, (void *)page));

	/* the old file: nothing, not the new process's map */
	EXPECT_EQ(0, pread(old.fd, e, old.h.entry_size, 0));
	EXPECT_EQ(0, pread(old.fd, e, old.h.entry_size,
			   pmap_entry_offset(&old.h, pt_vpn((void *)page))));
	/* reopening the stale file must not reach the new process */
	errno = 0;
	fd = open(link, O_RDONLY);
	if (fd >= 0) {
		ssize_t n = pread(fd, e, old.h.entry_size, 0);

		EXPECT_EQ(0, n) TH_LOG("the stale file reopened and read %zd", n);
		close(fd);
	} else {
		TH_LOG("reopening the stale file: %s", strerror(errno));
		EXPECT_TRUE(errno == ESRCH || errno == ENOENT);
	}
	/* a fresh lookup of the name is the new process */
	pt_map_close(&fresh);
	ASSERT_EQ(0, pt_map_open_path(path, &fresh));
	EXPECT_NE(PMAP_NOT_PRESENT, pt_map_read_one(&fresh, (void *)page));
	pt_map_close(&fresh);
	pt_map_close(&old);
	close(go[1]);
	EXPECT_EQ(0, pt_wait(reuser));
}

/*
 * A reader in a child pid namespace uses the mount made in the initial
 * one: pids are the mounter's, so "self" is the reader's outer pid and
 * "1" is the real init, not the reader.
 */
TEST(reader_in_a_child_pid_namespace_sees_the_mounters_pids)
{
	static volatile char page[1 << 16];
	pid_t pid, got[2] = { 0, 0 };
	int rep[2], ret;

	if (getuid() != 0)
		SKIP(return, "unshare(CLONE_NEWPID) needs root");
	ASSERT_EQ(0, pipe(rep));
	pid = pt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		pid_t child, inner;

		if (unshare(CLONE_NEWPID))
			_exit(4);
		/* not pt_fork(): the parent is outside the child's namespace */
		child = fork();
		CHILD_CHECK(child >= 0, "%m");
		if (child == 0) {
			char self[32];
			struct pt_map pm, init;
			ssize_t n;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			CHILD_CHECK(getpid() == 1, "pid %d", getpid());
			page[0] = 1;
			n = readlink(PMAP_MOUNT "/self", self, sizeof(self) - 1);
			CHILD_CHECK(n > 0, "readlink self: %m");
			self[n] = '\0';
			inner = atoi(self);
			CHILD_CHECK(write(rep[1], &inner, sizeof(inner)) ==
				    sizeof(inner), "%m");
			CHILD_CHECK(!pt_map_open(0, &pm), "open self");
			CHILD_CHECK(pt_map_read_one(&pm, (void *)page) !=
				    PMAP_NOT_PRESENT, "own page");
			CHILD_CHECK(!pt_map_open(1, &init), "open 1");
			CHILD_CHECK(pt_map_read_one(&init, (void *)page) !=
				    pt_map_read_one(&pm, (void *)page),
				    "\"1\" is the reader, not init");
			pt_map_close(&pm);
			pt_map_close(&init);
			_exit(0);
		}
		ret = pt_wait(child);
		/* the reader's pid, as its parent outside the namespace knows it */
		CHILD_CHECK(write(rep[1], &child, sizeof(child)) ==
			    sizeof(child), "%m");
		_exit(ret);
	}
	close(rep[1]);
	ret = pt_wait(pid);
	if (ret == 4)
		SKIP(return, "no pid namespaces");
	EXPECT_EQ(0, ret);
	EXPECT_EQ(sizeof(got), read(rep[0], got, sizeof(got)));
	close(rep[0]);
	/* "self" named the reader's pid in the initial namespace */
	EXPECT_GT(got[0], 1);
	EXPECT_EQ(got[1], got[0]);
}

/*
 * The other way round: a mount made by the init of a child pid namespace
 * (in the same mount namespace), read from the initial namespace. Its "1"
 * is that init; "self" does not exist for a reader outside that namespace;
 * once the namespace is gone, nothing resolves.
 */
TEST(mount_of_a_child_pid_namespace_read_from_outside)
{
	char dir[] = "/tmp/pagemap-pidns-XXXXXX", path[96], self[32];
	static volatile char page[1 << 16];
	int ready[2], hold[2], ret, fd;
	struct pt_map pm;
	pid_t pid;
	char c;

	if (getuid() != 0)
		SKIP(return, "mounting needs root");
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(hold));
	pid = pt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		pid_t init;

		close(ready[0]);
		close(hold[1]);
		if (unshare(CLONE_NEWPID))
			_exit(4);
		init = fork();
		CHILD_CHECK(init >= 0, "%m");
		if (init == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			page[0] = 1;
			CHILD_CHECK(!mount("pagemap", dir, PMAP_FSTYPE, 0, NULL),
				    "mount: %m");
			CHILD_CHECK(write(ready[1], "m", 1) == 1, "%m");
			read(hold[0], &c, 1);
			_exit(0);
		}
		_exit(pt_wait(init));
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &c, 1) != 1) {
		ret = pt_wait(pid);
		rmdir(dir);
		if (ret == 4)
			SKIP(return, "no pid namespaces");
		ASSERT_EQ(0, ret) TH_LOG("no mount made in the namespace");
		ASSERT_TRUE(0) TH_LOG("the namespace's init said nothing");
	}
	/* "1" is the child namespace's init, with its page */
	snprintf(path, sizeof(path), "%s/1", dir);
	EXPECT_EQ(0, pt_map_open_path(path, &pm));
	if (pm.fd >= 0) {
		EXPECT_NE(PMAP_NOT_PRESENT, pt_map_read_one(&pm, (void *)page));
		pt_map_close(&pm);
	}
	/* "self" is a link that leads nowhere from here */
	snprintf(path, sizeof(path), "%s/self", dir);
	errno = 0;
	fd = open(path, O_RDONLY);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(ENOENT, errno);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(-1, readlink(path, self, sizeof(self)));
	/* outer pids are not in that namespace */
	snprintf(path, sizeof(path), "%s/%d", dir, getpid());
	errno = 0;
	EXPECT_EQ(-1, open(path, O_RDONLY));
	EXPECT_EQ(ENOENT, errno);

	close(hold[1]);
	EXPECT_EQ(0, pt_wait(pid));
	/* the namespace is dead: its init is gone from the mount too */
	snprintf(path, sizeof(path), "%s/1", dir);
	errno = 0;
	EXPECT_EQ(-1, open(path, O_RDONLY));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, umount(dir));
	rmdir(dir);
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], SUID_ARG))
		return setuid_helper(argv);
	return test_harness_run(argc, argv);
}
