/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of the pagemap tool share: the options, the page-map
 * reader and its scan, processes and their mappings, the zero pages, and
 * small helpers for errors, memory, tables and JSON.
 */
#ifndef PAGEMAP_TOOL_H
#define PAGEMAP_TOOL_H

#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include "pagemap_format.h"

#ifndef PMAP_VERSION
#define PMAP_VERSION "unknown"
#endif

/* Exit codes, documented in pagemap.1. */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* Entries per pread: 512 KiB of 8-byte entries. */
#define BATCH		65536

/* The kernel's own /proc/<pid>/pagemap (admin-guide/mm/pagemap.rst). */
#define KPM_PRESENT	(UINT64_C(1) << 63)
#define KPM_FILE	(UINT64_C(1) << 61)	/* or shared anonymous */
#define KPM_EXCLUSIVE	(UINT64_C(1) << 56)	/* mapped exactly once */
#define KPM_PFN_MASK	((UINT64_C(1) << 55) - 1)

#define HUGETLBFS_MAGIC_NR	0x958458f6
#define THP_DIR			"/sys/kernel/mm/transparent_hugepage/"
#define THP_PMD_SIZE		THP_DIR "hpage_pmd_size"

/* Smaps' fixed point for Pss, so that our rounding is the kernel's. */
#define PSS_SHIFT	12

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum pm_source { SRC_AUTO, SRC_MODULE, SRC_KERNEL };

extern const char *const source_names[];

struct pm_opts {
	bool json;
	bool no_frames;
	enum pm_source source;
	const char *file;
	/* pss */
	const char *sort, *name, *user, *by, *format;
	bool reverse, total, csv;
	const char *range;	/* who */
	const char *pid;	/* files */
	bool all;		/* capture */
	bool sections;
	int unit;		/* 'k', 'm', 'b' (bytes), or 0: for people */
};

extern struct pm_opts opt;

void pm_err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* ---- aligned tables ---------------------------------------------------- */

struct table {
	size_t ncols;
	const char *const *heads;
	const char *align;	/* 'l' or 'r' per column; the last is never padded */
	char **cells;		/* nrows * ncols */
	char **extra;		/* a line printed under each row, or NULL */
	size_t nrows, cap, xcap;
};

/* ---- processes: pids, comm, maps ---------------------------------------- */

struct vma {
	uint64_t start, end, offset, inode;
	unsigned int major, minor;
	char perms[5];
	char *name;
	bool hugetlb;
	int64_t size;		/* of a capture: the file's, or -1 */
};

struct proc {
	pid_t pid;
	char comm[64];
	struct vma *vmas;
	size_t nr_vmas;
};

/* ---- the reader: one interface, two formats ----------------------------- */

struct reader;

struct backend {
	const char *name;
	void (*decode)(const struct reader *r, const unsigned char *raw,
		       size_t n, uint64_t *out);
};

struct reader {
	const struct backend *be;
	int fd;
	bool empty;		/* no address space: kernel thread or exited */
	bool tag_own;		/* mark ENTRY_OWN (pss, files): kernel, capture */
	struct pmap_header hdr;	/* the kernel backend describes its own format */
	unsigned char *raw;
};

/*
 * A decoded entry, when the reader was asked to tag_own, may carry this
 * above its frame number: the kernel says the page is anonymous and mapped
 * exactly once, by this entry, or a capture maps the frame only there. No
 * other entry of any process maps it.
 */
#define ENTRY_OWN	(UINT64_C(1) << 62)

/*
 * What a scan hands its caller: batch() gets the entries of virtual pages
 * [vpn, vpn + n) of mapping vi. A caller that sets run() gets the ranges
 * mapped by huge pages as runs instead: n present pages from vpn on,
 * mapping frames pfn, pfn + 1, ...
 * huge(), if set, is called before the scan hands on entries that huge
 * pages other than the process's own anonymous ones may map: a range
 * PAGEMAP_SCAN reports huge, or every entry where the scan reads them all.
 */
struct scan_cb {
	void (*batch)(void *arg, size_t vi, uint64_t vpn, const uint64_t *e,
		      size_t n);
	void (*run)(void *arg, size_t vi, uint64_t vpn, uint64_t pfn,
		    size_t n);
	void (*huge)(void *arg);
	void *arg;
};

/* The frames that are not memory of any process (zero.c). */
struct zero_pages {
	enum pm_source source;	/* which reader the probe used */
	bool hidden;		/* frame numbers read as 0 */
	bool have_zero, have_huge;
	bool huge_later;	/* the huge zero page not looked for yet */
	uint64_t zero, zero_nr;	/* the zero pages: frames [zero, + zero_nr) */
	uint64_t huge, huge_nr;
};

extern struct zero_pages zp;

/* Whether an entry is a frame of the process's own memory, as smaps counts. */
static inline bool counted(uint64_t e)
{
	if (e == PMAP_NOT_PRESENT)
		return false;
	if (zp.have_zero && e - zp.zero < zp.zero_nr)
		return false;
	if (zp.have_huge && e - zp.huge < zp.huge_nr)
		return false;
	return true;
}

/* ---- runs of frames ----------------------------------------------------- */

struct run {
	uint64_t vpn, pfn, n;
};

struct runs {
	struct run *r;
	size_t nr, cap;
	uint64_t present;
};

extern const struct backend module_backend, kernel_backend;

/*
 * scan_every(): begin() is told of each process before its entries come
 * through cb (false leaves it out), end() after them, with 0 or the -errno
 * that cut the scan short.
 */
struct every {
	struct scan_cb cb;
	bool tag_own;		/* entries may carry ENTRY_OWN */
	bool (*begin)(void *arg, const struct proc *p, unsigned int shift);
	void (*end)(void *arg, const struct proc *p, int err);
};

/* util.c */
void *xrealloc(void *p, size_t size);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);
void grow(void *pp, size_t *cap, size_t need, size_t size);
const char *human_kb(uint64_t kb, char *buf, size_t len);
void json_str(FILE *f, const char *s);
void prom_str(FILE *f, const char *s);
double now(void);
void table_row(struct table *t, char *extra, ...);
void table_print(struct table *t);
int slurp(const char *path, char **out, size_t *outlen);
uint64_t read_sysfs_u64(const char *path);
void runs_add(struct runs *rs, uint64_t vpn, const uint64_t *e, size_t n);
char *runs_text(const struct runs *rs, const char *indent);
void runs_json(FILE *f, const struct runs *rs, unsigned int shift);

/* proc.c */
int parse_pid(const char *s, pid_t *pid);
int parse_args(int argc, char **argv, int want, pid_t *pids, int npids,
	       const char *usage);
const char *why(int err);
pid_t proc_tgid(pid_t pid);
void proc_comm(pid_t pid, char *comm, size_t len);
int proc_euid(pid_t pid, uid_t *uid);
pid_t proc_ppid(pid_t pid);
char *proc_cgroup(pid_t pid);
int user_uid(const char *name, uid_t *uid);
void user_name(uid_t uid, char *out, size_t len);
int proc_exited(pid_t pid);
void proc_free(struct proc *p);
int proc_open(struct proc *p, pid_t pid, struct reader *r,
	      bool skip_empty);
int addr_width(const struct proc *p);
int64_t map_file_size(pid_t pid, const struct vma *v, char *path, size_t len);
const char *proc_why(pid_t pid, int err);
int proc_error(pid_t pid, int err);
pid_t *all_pids(size_t *nr);

/* reader.c */
int reader_open_module(struct reader *r, const char *path);
void reader_close(struct reader *r);
int reader_open_pid(struct reader *r, pid_t pid);
ssize_t reader_read(struct reader *r, uint64_t vpn, size_t n,
		    uint64_t *out);
int scan_proc(struct reader *r, const struct proc *p, uint64_t *buf,
	      const struct scan_cb *cb);
bool scan_supported(struct reader *r);

/* zero.c */
void zero_scan_huge(void *arg);
int probe_zero(bool quiet);
int need_frames(const char *why_needed);

/* every.c */
int scan_every(const struct every *ev);

/* files.c */
int cmd_files(int argc, char **argv);

/* who.c */
int cmd_who(int argc, char **argv);

/* maps.c */
int cmd_maps(int argc, char **argv);

/* share.c */
int cmd_share(int argc, char **argv);

/* pss.c */
int cmd_pss(int argc, char **argv);

/* capture.c */
int cmd_dump(int argc, char **argv);
int cmd_capture(int argc, char **argv);

/* capture_all.c: cap_active when --file names a whole-system capture */
extern bool cap_active;
int cmd_capture_all(int argc, char **argv);
int cap_load(void);
pid_t *cap_pids(size_t *nr);
int cap_open(struct proc *p, pid_t pid, struct reader *r);
int cap_scan(const struct proc *p, const struct scan_cb *cb, bool tag_own);
int cap_info(pid_t pid, pid_t *ppid, uid_t *uid, const char **user,
	     const char **cgroup, uint64_t *swap_kb);

#endif /* PAGEMAP_TOOL_H */
