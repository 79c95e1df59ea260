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
 *
 * pmap_workload -z NPAGES: the parent also read-faults NPAGES pages of a
 * private anonymous mapping and every page of a PMD-aligned, PMD-sized
 * one advised MADV_HUGEPAGE, after the fork: the shared zero page and, on
 * a kernel that maps it, the huge zero page, which smaps does not count.
 *
 * pmap_workload -s NPAGES: the parent also maps 64 GiB (1 GiB on 32-bit)
 * of private anonymous memory, MAP_NORESERVE, and writes one page in every
 * 64 MiB of it: a sparse address space, after the fork.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
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

/* Read-faults every page of a fresh private mapping of len bytes at align. */
static unsigned long read_faulted(size_t len, size_t align, int advice)
{
	long page = sysconf(_SC_PAGESIZE);
	volatile unsigned char *p;
	unsigned char *m;
	unsigned long sum = 0;
	size_t off;

	m = mmap(NULL, len + align, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (m == MAP_FAILED)
		return ~0UL;
	p = (unsigned char *)(((uintptr_t)m + align - 1) & ~(uintptr_t)(align - 1));
	if (advice >= 0)
		madvise((void *)p, len, advice);
	for (off = 0; off < len; off += page)
		sum += p[off];
	return sum;
}

/* One written page per 64 MiB of a sparse mapping; 0 or -1. */
static int sparse_written(void)
{
	size_t len = sizeof(long) < 8 ? 1UL << 30 : 64UL << 30, off;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				-1, 0);

	if (p == MAP_FAILED)
		return -1;
	for (off = 0; off < len; off += 64UL << 20)
		p[off] = 1;
	return 0;
}

/* The PMD size transparent huge pages use, or 2 MiB where sysfs has none. */
static size_t pmd_size(void)
{
	unsigned long sz = 0;
	FILE *f;

	f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");
	if (f) {
		if (fscanf(f, "%lu", &sz) != 1)
			sz = 0;
		fclose(f);
	}
	return sz ? sz : 2UL << 20;
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
	bool zero = argc == 3 && !strcmp(argv[1], "-z");
	bool sparse = argc == 3 && !strcmp(argv[1], "-s");
	bool opt = zero || sparse;
	char c = 0;

	if (argc == 2 + opt)
		npages = strtoul(argv[1 + opt], &end, 0);
	if (argc != 2 + opt || npages == 0 || *end) {
		fprintf(stderr, "usage: %s [-z|-s] NPAGES\n", argv[0]);
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
	if (zero && (read_faulted(npages * page, page, -1) ||
		     read_faulted(pmd_size(), pmd_size(), MADV_HUGEPAGE))) {
		fprintf(stderr, "pmap_workload: the read faults failed\n");
		kill(child, SIGTERM);
		return 1;
	}
	if (sparse && sparse_written()) {
		fprintf(stderr, "pmap_workload: the sparse mapping failed\n");
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
