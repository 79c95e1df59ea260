// SPDX-License-Identifier: GPL-2.0
/*
 * pmap_workload NPAGES: a small known workload for the demo and the tests.
 * Maps NPAGES of shared anonymous memory and NPAGES of private anonymous
 * memory, writes every page, forks; the child reads every shared page (a
 * fork copies no page-table entries of shared mappings, so without the read
 * the child would map none of them), then the parent prints
 *	pmap_workload parent=PID child=PID
 * and both processes sleep until killed. SIGTERM to the parent also ends
 * the child; the child ends if the parent dies.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void *map_written(size_t len, int flags, unsigned char fill)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p;
	size_t off;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (off = 0; off < len; off += page)
		p[off] = fill;
	return p;
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	struct sigaction sa = { .sa_handler = on_term };
	unsigned long npages = 0;
	volatile unsigned char *shared;
	unsigned long i, sum = 0;
	sigset_t mask, old;
	char *end = NULL;
	pid_t parent, child;
	int ready[2];
	char c = 0;

	if (argc == 2)
		npages = strtoul(argv[1], &end, 0);
	if (argc != 2 || npages == 0 || *end) {
		fprintf(stderr, "usage: %s NPAGES\n", argv[0]);
		return 2;
	}
	shared = map_written(npages * page, MAP_SHARED, 0x5a);
	if (!shared || !map_written(npages * page, MAP_PRIVATE, 0xa5) ||
	    pipe(ready)) {
		fprintf(stderr, "pmap_workload: mmap of %lu pages: %s\n",
			npages, strerror(errno));
		return 1;
	}

	/* block SIGTERM until the handler is set in both processes */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sigaction(SIGTERM, &sa, NULL);
	parent = getpid();
	fflush(stdout);
	child = fork();
	if (child < 0) {
		perror("pmap_workload: fork");
		return 1;
	}
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			return 0;
		for (i = 0; i < npages; i++)
			sum += shared[i * page];
		c = sum != npages * 0x5a;
		if (write(ready[1], &c, 1) != 1)
			return 1;
		while (!stop)
			sigsuspend(&old);
		return 0;
	}
	if (read(ready[0], &c, 1) != 1 || c) {
		fprintf(stderr, "pmap_workload: the child did not map the shared pages\n");
		kill(child, SIGTERM);
		return 1;
	}
	printf("pmap_workload parent=%d child=%d\n", parent, child);
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	return 0;
}
