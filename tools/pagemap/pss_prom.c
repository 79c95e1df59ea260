// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap pss --format prometheus: the report in the Prometheus text
 * exposition format, for node_exporter's textfile collector. One gauge per
 * size, in bytes, with a sample per process (labels pid and comm) or with
 * --by per group (label group).
 */
#include "pss.h"

static const struct {
	const char *name, *help;
	size_t off;
} metrics[] = {
	{ "pagemap_rss_bytes", "Resident set size: the pages the process maps.",
	  offsetof(struct pss_row, rss_kb) },
	{ "pagemap_pss_bytes",
	  "Proportional set size: each frame divided among its mappers.",
	  offsetof(struct pss_row, pss_kb) },
	{ "pagemap_uss_bytes",
	  "Unique set size: the frames mapped by no other process (group).",
	  offsetof(struct pss_row, uss_kb) },
	{ "pagemap_swap_bytes", "Swapped out memory, from smaps_rollup.",
	  offsetof(struct pss_row, swap_kb) },
};

void pss_print_prom(struct pss_row *const *rows, size_t n, bool groups)
{
	size_t m, i;

	for (m = 0; m < ARRAY_SIZE(metrics); m++) {
		printf("# HELP %s %s\n# TYPE %s gauge\n", metrics[m].name,
		       metrics[m].help, metrics[m].name);
		for (i = 0; i < n; i++) {
			const struct pss_row *r = rows[i];
			uint64_t kb = *(const uint64_t *)((const char *)r +
							  metrics[m].off);

			printf("%s{", metrics[m].name);
			if (groups) {
				fputs("group=", stdout);
				prom_str(stdout, r->group);
			} else {
				printf("pid=\"%d\",comm=", r->pid);
				prom_str(stdout, r->comm);
			}
			printf("} %" PRIu64 "\n", kb << 10);
		}
	}
}
