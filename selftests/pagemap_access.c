// SPDX-License-Identifier: GPL-2.0
/*
 * Who may read what: the ptrace-read check at open (uids, gids, dumpable,
 * capabilities, user namespaces), frame numbers only for openers with
 * CAP_SYS_ADMIN, and rights that stay with the file as opened.
 */
#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>

#include "pagemap_test.h"
#include "kselftest_harness.h"

#define READER_UID	1000
#define READER_GID	1000
#define OTHER_UID	1001
#define OTHER_GID	1001

/* How a target child sets itself up before it waits. */
struct target_spec {
	uid_t ruid, euid, suid;
	gid_t gid;
	int dumpable;
	int keep_caps;		/* keep permitted capabilities over setuid */
};

struct target {
	pid_t pid;
	int go;			/* 'd': turn non-dumpable; closing: exit */
	int ready;		/* one byte per step done */
};

/*
 * Fork a target that writes @present, leaves @absent alone, takes the
 * credentials of @spec and waits. Returns 0, or -1 if it could not.
 */
static int start_target(struct target *t, const struct target_spec *spec,
			volatile char *present)
{
	int go[2], ready[2];
	char c = 0;

	if (pipe(go) || pipe(ready))
		return -1;
	t->pid = pt_fork();
	if (t->pid < 0)
		return -1;
	if (t->pid == 0) {
		close(go[1]);
		present[0] = 1;
		if (spec->keep_caps)
			CHILD_CHECK(!prctl(PR_SET_KEEPCAPS, 1), "%m");
		/* an unprivileged caller's target keeps the caller's ids */
		if (geteuid() == 0) {
			CHILD_CHECK(!setgroups(0, NULL), "%m");
			CHILD_CHECK(!setresgid(spec->gid, spec->gid, spec->gid),
				    "%m");
			CHILD_CHECK(!setresuid(spec->ruid, spec->euid,
					       spec->suid), "%m");
		}
		CHILD_CHECK(!prctl(PR_SET_DUMPABLE, spec->dumpable), "%m");
		CHILD_CHECK(write(ready[1], &c, 1) == 1, "%m");
		while (read(go[0], &c, 1) == 1) {
			prctl(PR_SET_DUMPABLE, 0);
			CHILD_CHECK(write(ready[1], &c, 1) == 1, "%m");
		}
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	t->go = go[1];
	t->ready = ready[0];
	if (read(ready[0], &c, 1) != 1)
		return -1;
	return 0;
}

static int make_target_non_dumpable(struct target *t)
{
	char c = 'd';

	if (write(t->go, &c, 1) != 1 || read(t->ready, &c, 1) != 1)
		return -1;
	return 0;
}

static int stop_target(struct target *t)
{
	close(t->go);
	close(t->ready);
	return pt_wait(t->pid);
}

/* In a child as @uid/@gid: try to open @pid's map; returns errno or 0. */
static int open_as(uid_t uid, gid_t gid, pid_t pid)
{
	struct pt_map pm;
	pid_t child = pt_fork();
	int ret;

	if (child == 0) {
		CHILD_CHECK(!pt_become(uid, gid), "%m");
		ret = pt_map_open(pid, &pm);
		_exit(ret ? -ret : 0);
	}
	return pt_wait(child);
}

FIXTURE(access) {
	char *p;
	long page;
	struct target t;
};

FIXTURE_SETUP(access)
{
	if (getuid() != 0)
		SETUP_SKIP("needs root to act as other users");
	ASSERT_TRUE(pt_module_mounted());
	self->page = pt_page_size();
	self->p = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->p);
	self->t.pid = 0;
}

FIXTURE_TEARDOWN(access)
{
	if (self->t.pid > 0)
		stop_target(&self->t);
	munmap(self->p, 2 * self->page);
}

TEST_F(access, another_uid_gets_eacces)
{
	struct target_spec spec = { READER_UID, READER_UID, READER_UID,
				    READER_GID, 1, 0 };

	ASSERT_EQ(0, start_target(&self->t, &spec, self->p));
	EXPECT_EQ(EACCES, open_as(OTHER_UID, OTHER_GID, self->t.pid));
	/* the same uid and gid may, and so may root */
	EXPECT_EQ(0, open_as(READER_UID, READER_GID, self->t.pid));
	EXPECT_EQ(0, open_as(0, 0, self->t.pid));
	/* and nobody may read root's processes */
	EXPECT_EQ(EACCES, open_as(READER_UID, READER_GID, getpid()));
	EXPECT_EQ(EACCES, open_as(READER_UID, READER_GID, 1));
}

TEST_F(access, another_gid_gets_eacces)
{
	struct target_spec spec = { READER_UID, READER_UID, READER_UID,
				    OTHER_GID, 1, 0 };

	ASSERT_EQ(0, start_target(&self->t, &spec, self->p));
	EXPECT_EQ(EACCES, open_as(READER_UID, READER_GID, self->t.pid));
	EXPECT_EQ(0, open_as(READER_UID, OTHER_GID, self->t.pid));
}

TEST_F(access, saved_uid_of_another_user_gets_eacces)
{
	struct target_spec spec = { READER_UID, READER_UID, OTHER_UID,
				    READER_GID, 1, 0 };

	ASSERT_EQ(0, start_target(&self->t, &spec, self->p));
	EXPECT_EQ(EACCES, open_as(READER_UID, READER_GID, self->t.pid));
	EXPECT_EQ(EACCES, open_as(OTHER_UID, READER_GID, self->t.pid));
	EXPECT_EQ(0, open_as(0, 0, self->t.pid));
}

TEST_F(access, non_dumpable_target_refused_to_other_processes)
{
	struct target_spec spec = { READER_UID, READER_UID, READER_UID,
				    READER_GID, 0, 0 };

	ASSERT_EQ(0, start_target(&self->t, &spec, self->p));
	EXPECT_EQ(EACCES, open_as(READER_UID, READER_GID, self->t.pid));
	/* CAP_SYS_PTRACE overrides */
	EXPECT_EQ(0, open_as(0, 0, self->t.pid));
}

TEST_F(access, target_with_capabilities_the_reader_lacks_refused)
{
	struct target_spec spec = { READER_UID, READER_UID, READER_UID,
				    READER_GID, 1, 1 };
	char path[64], buf[4096], *cap;

	ASSERT_EQ(0, start_target(&self->t, &spec, self->p));
	snprintf(path, sizeof(path), "/proc/%d/status", self->t.pid);
	ASSERT_GT(pt_read_file(path, buf, sizeof(buf)), 0);
	cap = strstr(buf, "CapPrm:");
	ASSERT_NE(NULL, cap);
	if (!strtoull(cap + 7, NULL, 16))
		SKIP(return, "the target kept no capabilities");
	EXPECT_EQ(EACCES, open_as(READER_UID, READER_GID, self->t.pid));
	EXPECT_EQ(0, open_as(0, 0, self->t.pid));
}

TEST_F(access, same_process_always_may_even_non_dumpable)
{
	pid_t child = pt_fork();

	ASSERT_GE(child, 0);
	if (child == 0) {
		struct pt_map pm;

		CHILD_CHECK(!pt_become(READER_UID, READER_GID), "%m");
		CHILD_CHECK(!prctl(PR_SET_DUMPABLE, 0), "%m");
		CHILD_CHECK(pt_map_open(0, &pm) == 0, "self");
		pt_map_close(&pm);
		CHILD_CHECK(pt_map_open(getpid(), &pm) == 0, "own pid");
		pt_map_close(&pm);
		_exit(0);
	}
	EXPECT_EQ(0, pt_wait(child));
}

/*
 * An opener without CAP_SYS_ADMIN sees 0 for present pages and -1 for
 * absent ones, exactly as the kernel's own pagemap hides frames from it.
 */
TEST_F(access, unprivileged_reader_sees_zero_for_present_pages)
{
	pid_t reader;

	reader = pt_fork();
	ASSERT_GE(reader, 0);
	if (reader == 0) {
		struct target_spec spec = { READER_UID, READER_UID,
					    READER_UID, READER_GID, 1, 0 };
		char *heap = malloc(64 * self->page);
		struct target t;
		struct pt_map pm;
		size_t judged = 0;
		long bad;
		int kfd;

		CHILD_CHECK(!pt_become(READER_UID, READER_GID), "%m");
		prctl(PR_SET_DUMPABLE, 1);
		/* its own child, same uid */
		CHILD_CHECK(!start_target(&t, &spec, self->p), "%m");
		CHILD_CHECK(!pt_map_open(t.pid, &pm), "open child");
		CHILD_CHECK(pt_map_read_one(&pm, self->p) == 0, "present page");
		CHILD_CHECK(pt_map_read_one(&pm, self->p + self->page) ==
			    PMAP_NOT_PRESENT, "absent page");
		pt_map_close(&pm);
		stop_target(&t);

		/* itself, against the kernel's equally hidden view */
		CHILD_CHECK(!pt_map_open(0, &pm), "open self");
		self->p[self->page] = 1;
		CHILD_CHECK(pt_map_read_one(&pm, self->p + self->page) == 0,
			    "own present page");
		pt_touch(heap, 32 * self->page);
		kfd = kpm_open(0);
		CHILD_CHECK(kfd >= 0, "%m");
		bad = pt_diff(0, &pm, kfd, pt_vpn(heap), 64, &judged,
			      "unprivileged");
		CHILD_CHECK(bad == 0 && judged > 0, "%ld differ", bad);
		_exit(0);
	}
	EXPECT_EQ(0, pt_wait(reader));
}

TEST_F(access, root_opener_sees_frames)
{
	struct target_spec spec = { READER_UID, READER_UID, READER_UID,
				    READER_GID, 1, 0 };
	struct pt_map pm;
	uint64_t e;

	ASSERT_EQ(0, start_target(&self->t, &spec, self->p));
	ASSERT_EQ(0, pt_map_open(self->t.pid, &pm));
	e = pt_map_read_one(&pm, self->p);
	EXPECT_NE(0, e);
	EXPECT_NE(PMAP_NOT_PRESENT, e);
	EXPECT_EQ(PMAP_NOT_PRESENT, pt_map_read_one(&pm, self->p + self->page));
	pt_map_close(&pm);
}

/* Send @fd over the unix socket @sock; 0 or -1. */
static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, c = 'f';
	struct iovec iov = { &c, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* The fd sent over the unix socket @sock, or -1. */
static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { &c, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * Frame visibility is decided at open and stays with the file: root's file
 * inherited by an unprivileged process, or passed over a unix socket to an
 * unprivileged process that may not open the map itself, reads root's
 * frames; an unprivileged opener's file passed to root still hides them.
 */
TEST_F(access, passed_fd_keeps_the_openers_rights)
{
	int sv[2], fd;
	struct pt_map pm;
	uint64_t frame;
	pid_t child;
	char c;

	self->p[0] = 1;
	ASSERT_EQ(0, pt_map_open(0, &pm));
	frame = pt_map_read_one(&pm, self->p);
	ASSERT_NE(0, frame);
	ASSERT_NE(PMAP_NOT_PRESENT, frame);

	/* root's fd inherited by an unprivileged process: still frames */
	child = pt_fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		CHILD_CHECK(!pt_become(READER_UID, READER_GID), "%m");
		CHILD_CHECK(pt_map_read_one(&pm, self->p) == frame,
			    "frame hidden from the inherited fd");
		_exit(0);
	}
	EXPECT_EQ(0, pt_wait(child));

	/* root's fd passed to one that may not open root's map: the frame */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	child = pt_fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		struct pt_map cpm;
		uint64_t e;

		close(sv[0]);
		pt_map_close(&pm);	/* only the passed fd reads root's map */
		CHILD_CHECK(!pt_become(READER_UID, READER_GID), "%m");
		CHILD_CHECK(pt_map_open(getppid(), &cpm) == -EACCES,
			    "an unprivileged open of root's map");
		CHILD_CHECK(write(sv[1], "r", 1) == 1, "%m");
		fd = recv_fd(sv[1]);
		CHILD_CHECK(fd >= 0, "no fd received");
		CHILD_CHECK(!pt_map_attach(fd, &cpm), "attach");
		e = pt_map_read_one(&cpm, self->p);
		CHILD_CHECK(e == frame, "frame 0x%llx, root saw 0x%llx",
			    (unsigned long long)e, (unsigned long long)frame);
		pt_map_close(&cpm);
		_exit(0);
	}
	close(sv[1]);
	ASSERT_EQ(1, read(sv[0], &c, 1));
	ASSERT_EQ(0, send_fd(sv[0], pm.fd));
	EXPECT_EQ(0, pt_wait(child));
	close(sv[0]);
	pt_map_close(&pm);

	/* an unprivileged opener's fd read by root: still no frames */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	child = pt_fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		close(sv[0]);
		CHILD_CHECK(!pt_become(READER_UID, READER_GID), "%m");
		prctl(PR_SET_DUMPABLE, 1);
		self->p[0] = 2;
		fd = open(PMAP_MOUNT "/self", O_RDONLY);
		CHILD_CHECK(fd >= 0, "%m");
		CHILD_CHECK(!send_fd(sv[1], fd), "%m");
		/* stay alive while the parent reads */
		CHILD_CHECK(read(sv[1], &c, 1) >= 0, "%m");
		_exit(0);
	}
	close(sv[1]);
	fd = recv_fd(sv[0]);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pt_map_attach(fd, &pm));
	EXPECT_EQ(0, pt_map_read_one(&pm, self->p));
	EXPECT_EQ(PMAP_NOT_PRESENT, pt_map_read_one(&pm, self->p + self->page));
	pt_map_close(&pm);
	close(sv[0]);
	EXPECT_EQ(0, pt_wait(child));
}

/* The check happens at open; an open file keeps reading. */
TEST_F(access, check_is_made_at_open_only)
{
	pid_t reader = pt_fork();

	ASSERT_GE(reader, 0);
	if (reader == 0) {
		struct target_spec spec = { READER_UID, READER_UID,
					    READER_UID, READER_GID, 1, 0 };
		struct pt_map pm, pm2;
		struct target t;

		CHILD_CHECK(!pt_become(READER_UID, READER_GID), "%m");
		prctl(PR_SET_DUMPABLE, 1);
		CHILD_CHECK(!start_target(&t, &spec, self->p), "%m");
		CHILD_CHECK(!pt_map_open(t.pid, &pm), "open");
		/* the target turns non-dumpable: new opens fail... */
		CHILD_CHECK(!make_target_non_dumpable(&t), "%m");
		CHILD_CHECK(pt_map_open(t.pid, &pm2) == -EACCES, "reopen");
		/* ...but the open file reads on */
		CHILD_CHECK(pt_map_read_one(&pm, self->p) == 0, "present");
		CHILD_CHECK(pt_map_read_one(&pm, self->p + self->page) ==
			    PMAP_NOT_PRESENT, "absent");
		pt_map_close(&pm);
		stop_target(&t);
		_exit(0);
	}
	EXPECT_EQ(0, pt_wait(reader));
}

/* A reader in a child user namespace has no rights in the parent one. */
TEST_F(access, reader_in_child_user_namespace)
{
	pid_t reader = pt_fork();
	int ret;

	ASSERT_GE(reader, 0);
	if (reader == 0) {
		struct pt_map pm;
		int ret;

		if (unshare(CLONE_NEWUSER))
			_exit(4);
		ret = pt_map_open(getppid(), &pm);
		CHILD_CHECK(ret == -EACCES, "open parent-namespace root: %d",
			    ret);
		ret = pt_map_open(1, &pm);
		CHILD_CHECK(ret == -EACCES, "open init: %d", ret);
		/* itself: allowed, but no frames without init's CAP_SYS_ADMIN */
		ret = pt_map_open(0, &pm);
		CHILD_CHECK(ret == 0, "open self: %d", ret);
		self->p[0] = 3;
		CHILD_CHECK(pt_map_read_one(&pm, self->p) == 0, "frame shown");
		_exit(0);
	}
	ret = pt_wait(reader);
	if (ret == 4)
		SKIP(return, "no user namespaces (CONFIG_USER_NS)");
	EXPECT_EQ(0, ret);
}

TEST_HARNESS_MAIN
