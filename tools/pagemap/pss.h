/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What pss.c (frame counts) and pss_report.c (smaps_rollup, filters,
 * groups, sorting and output) share.
 */
#ifndef PAGEMAP_PSS_H
#define PAGEMAP_PSS_H

#include "pagemap.h"

/* One line of the report: a process, or with --by a group of them. */
struct pss_row {
	pid_t pid;		/* 0 for a group */
	char comm[64];
	char *group;		/* --by: the group's name */
	size_t processes;
	const char *source;	/* "module", "kernel" or "smaps" */
	uint64_t rss_kb, pss_kb, uss_kb, swap_kb;
};

/* pss_report.c */
int pss_opts_check(void);
bool pss_row_wanted(const struct pss_row *r);
int pss_smaps(pid_t pid, struct pss_row *r);
uint64_t pss_swap_kb(pid_t pid);
char *pss_group_key(pid_t pid, const char *comm);
void pss_print(struct pss_row **rows, size_t n);

/* pss_prom.c */
void pss_print_prom(struct pss_row *const *rows, size_t n, bool groups);

#endif /* PAGEMAP_PSS_H */
