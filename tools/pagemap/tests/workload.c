// SPDX-License-Identifier: GPL-2.0
/*
 * A known workload for the host tests of the pagemap tool, with the same
 * interface as selftests' pmap_workload: NPAGES of MAP_SHARED|MAP_ANONYMOUS
 * memory and NPAGES of private anonymous memory, every page written, then a
 * fork, after which the child reads every shared page (a fork copies no
 * page table entries of shared mappings: without the read the child would
 * map none of them); prints "pmap_workload parent=PID child=PID" and both
 * sleep until killed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>

int main(int argc, char **argv)
{
	long ps = sysconf(_SC_PAGESIZE), n;
	char *shared, *priv;
	pid_t parent = getpid(), child;
	char sum = 0;
	char c;
	int pipefd[2];
	long i;

	n = argc == 2 ? atol(argv[1]) : 0;
	if (n <= 0) {
		fprintf(stderr, "usage: %s NPAGES\n", argv[0]);
		return 2;
	}
	shared = mmap(NULL, n * ps, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	priv = mmap(NULL, n * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || priv == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(shared, 0x5a, n * ps);
	memset(priv, 0xa5, n * ps);
	if (pipe(pipefd)) {
		perror("pipe");
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (!child) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			return 0;
		for (i = 0; i < n; i++)
			sum += __atomic_load_n(&shared[i * ps], __ATOMIC_RELAXED);
		c = sum;
		if (write(pipefd[1], &c, 1) != 1)
			return 1;
		for (;;)
			pause();
	}
	/* Print only once the child has mapped the shared pages. */
	if (read(pipefd[0], &c, 1) != 1)
		return 1;
	printf("pmap_workload parent=%d child=%d\n", parent, child);
	fflush(stdout);
	for (;;)
		pause();
}
