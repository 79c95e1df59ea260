// SPDX-License-Identifier: GPL-2.0
/*
 * A process mix for bench-smem.sh, like a host running guests: THP_MB of
 * anonymous memory in transparent huge pages and SMALL_MB in 4 KiB pages,
 * all written (the even pages first, then the odd ones, so that neighbouring
 * pages get scattered frames), then FORKS children that share it all
 * copy-on-write and write the first quarter of the small part. Prints
 * "ready" and sleeps until killed; the children die with it.
 *
 *   bench-mix THP_MB SMALL_MB FORKS
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#define PMD_SIZE	(2UL << 20)

int main(int argc, char **argv)
{
	size_t thp, small, o, ps = sysconf(_SC_PAGESIZE);
	char *a, *h, *b;
	int forks, i;

	if (argc != 4) {
		fprintf(stderr, "usage: %s THP_MB SMALL_MB FORKS\n", argv[0]);
		return 2;
	}
	thp = strtoul(argv[1], NULL, 0) << 20;
	small = strtoul(argv[2], NULL, 0) << 20;
	forks = atoi(argv[3]);
	/* PMD-aligned, so that every 2 MiB of it can be one huge page */
	a = mmap(NULL, thp + PMD_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b = mmap(NULL, small, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	h = (char *)(((unsigned long)a + PMD_SIZE - 1) & ~(PMD_SIZE - 1));
	madvise(h, thp, MADV_HUGEPAGE);
	memset(h, 1, thp);
	madvise(b, small, MADV_NOHUGEPAGE);
	for (o = 0; o < small; o += 2 * ps)
		b[o] = 1;
	for (o = ps; o < small; o += 2 * ps)
		b[o] = 1;
	for (i = 0; i < forks; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (!pid) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			for (o = 0; o < small / 4; o += ps)
				b[o] = 2;
			for (;;)
				pause();
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
