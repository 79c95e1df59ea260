/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What files.c (the frames of every file), files_report.c (sorting and
 * output) and files_elf.c (--sections) share.
 */
#ifndef PAGEMAP_FILES_H
#define PAGEMAP_FILES_H

#include "pagemap.h"

/* An ELF section of a file, and the frames of it that are mapped. */
struct elf_sec {
	char *name;
	uint64_t off, end;		/* in the file */
	uint64_t frames, last_pfn;	/* last_pfn: the last counted + 1 */
	uint64_t rss, pss;		/* bytes; Pss in 1 << PSS_SHIFT parts */
};

/* A mapped file (device, inode), or the anonymous memory of one process. */
struct file_row {
	unsigned int major, minor;
	uint64_t inode;
	pid_t pid;		/* anonymous memory: its process; else 0 */
	char comm[64];
	char *path;
	int64_t size;		/* bytes, or -1 when unknown */
	uint64_t frames, processes, rss, pss;
	uint64_t view_rss, view_pss;	/* --pid: that process's */
	bool viewed;
	uint64_t last_pfn;
	uint32_t last_proc;
	struct elf_sec *sec;
	size_t nsec;
};

/* files_report.c */
int files_opts_check(void);
void files_print(struct file_row **rows, size_t n, bool view);

/* files_elf.c */
void files_elf_open(struct file_row *f, const char *path);
void files_elf_count(struct file_row *f, uint64_t pfn, uint32_t pgoff,
		     uint64_t ps, uint64_t share);
void files_elf_free(struct file_row *f);

#endif /* PAGEMAP_FILES_H */
