// SPDX-License-Identifier: GPL-2.0
/*
 * The page-map reader: the module's format and the kernel's own
 * /proc/<pid>/pagemap behind one interface, and the scan of a process
 * (with PAGEMAP_SCAN where the kernel has it, with SEEK_DATA and SEEK_HOLE
 * where the module has them).
 */
#include "pagemap.h"

const char *const source_names[] = { "auto", "module", "kernel" };

/* The module's format, whatever machine wrote it: the header says how. */
static void module_decode(const struct reader *r, const unsigned char *raw,
			  size_t n, uint64_t *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = pmap_entry(&r->hdr, raw + i * r->hdr.entry_size);
}

/* The in-tree format: native 64-bit entries, bit 63 present, bits 0-54 PFN. */
static void kernel_decode(const struct reader *r, const unsigned char *raw,
			  size_t n, uint64_t *out)
{
	uint64_t v, own = r->tag_own ? ENTRY_OWN : 0;
	size_t i;

	for (i = 0; i < n; i++) {
		memcpy(&v, raw + i * 8, 8);
		if (!(v & KPM_PRESENT))
			out[i] = PMAP_NOT_PRESENT;
		else if ((v & (KPM_FILE | KPM_EXCLUSIVE)) == KPM_EXCLUSIVE)
			out[i] = (v & KPM_PFN_MASK) | own;
		else
			out[i] = v & KPM_PFN_MASK;
	}
}

const struct backend module_backend = { "module", module_decode };
const struct backend kernel_backend = { "kernel", kernel_decode };

static unsigned int host_page_shift(void)
{
	long sz = sysconf(_SC_PAGESIZE);
	unsigned int s = 0;

	while ((1L << s) < sz)
		s++;
	return s;
}

static enum pm_source resolve_source(pid_t pid)
{
	char path[64];

	if (opt.source != SRC_AUTO)
		return opt.source;
	snprintf(path, sizeof(path), PMAP_MOUNT "/%d", pid);
	return access(path, F_OK) ? SRC_KERNEL : SRC_MODULE;
}

/*
 * One buffer of raw entries for every reader: readers are used one at a
 * time. Not cleared: reads fill what is used of it, and a quiet host's runs
 * touch a few of its pages, not 512 KiB.
 */
static unsigned char *raw_buffer(void)
{
	static unsigned char *raw;

	if (!raw)
		raw = xrealloc(NULL, BATCH * 8);
	return raw;
}

int reader_open_module(struct reader *r, const char *path)
{
	unsigned char b[8];
	ssize_t n;

	r->be = &module_backend;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	/* 8 bytes are a whole number of entries for E = 4 and E = 8. */
	n = pread(r->fd, b, sizeof(b), 0);
	if (n < 0)
		return -errno;
	if (!n) {
		r->empty = true;
		return 0;
	}
	if (pmap_parse_header(b, n, &r->hdr))
		return -EPROTO;
	r->raw = raw_buffer();
	return 0;
}

static int reader_open_kernel(struct reader *r, const char *path)
{
	r->be = &kernel_backend;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	r->hdr.little_endian = pmap_host_little_endian();
	r->hdr.page_shift = host_page_shift();
	r->hdr.entry_size = 8;
	r->hdr.header_size = 0;
	r->raw = raw_buffer();
	return 0;
}

void reader_close(struct reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

int reader_open_pid(struct reader *r, pid_t pid)
{
	char path[64];
	int ret;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	if (resolve_source(pid) == SRC_MODULE) {
		snprintf(path, sizeof(path), PMAP_MOUNT "/%d", pid);
		ret = reader_open_module(r, path);
		if (ret == -ENOENT && access(PMAP_MOUNT "/self", F_OK))
			ret = -ENODEV;
	} else {
		snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
		ret = reader_open_kernel(r, path);
	}
	if (ret)
		reader_close(r);
	return ret;
}

/*
 * Decodes the entries of virtual pages [vpn, vpn + n) into out (n <= BATCH).
 * Returns how many were read (fewer at the end of the map), or -errno.
 */
ssize_t reader_read(struct reader *r, uint64_t vpn, size_t n,
		    uint64_t *out)
{
	size_t es = r->hdr.entry_size, done = 0;
	uint64_t off = pmap_entry_offset(&r->hdr, vpn);
	ssize_t got;

	if (r->empty)
		return 0;
	while (done < n * es) {
		got = pread(r->fd, r->raw + done, n * es - done, off + done);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!got)
			break;
		done += got;
	}
	r->be->decode(r, r->raw, done / es, out);
	return done / es;
}

/*
 * Calls cb->batch for the entries of virtual pages [vpn, end) of mapping
 * vi, in batches. A read that ends early sets *eof: the address space is gone, or
 * the mapping lies past the end of the map (x86's [vsyscall] above
 * TASK_SIZE); the entries are then reported as not present.
 */
static int scan_range(struct reader *r, size_t vi, uint64_t vpn, uint64_t end,
		      uint64_t *buf, const struct scan_cb *cb, bool *eof)
{
	while (vpn < end) {
		size_t n = end - vpn < BATCH ? end - vpn : BATCH;
		ssize_t got = *eof ? 0 : reader_read(r, vpn, n, buf);
		size_t i;

		if (got < 0)
			return got;
		if ((size_t)got < n) {
			*eof = true;
			for (i = got; i < n; i++)
				buf[i] = PMAP_NOT_PRESENT;
		}
		cb->batch(cb->arg, vi, vpn, buf, n);
		vpn += n;
	}
	return 0;
}

/*
 * The kernel backend on Linux 6.7 and later: PAGEMAP_SCAN tells where pages
 * are present, skipping unpopulated page tables, and only those ranges are
 * read. The uapi of <linux/fs.h>, for C libraries whose headers predate it.
 */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_PRESENT		(1 << 3)
#define PAGE_IS_HUGE		(1 << 6)
struct page_region {
	uint64_t start, end, categories;
};

struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask;
	uint64_t return_mask;
};

#define PAGEMAP_SCAN	_IOWR('f', 16, struct pm_scan_arg)
#endif /* PAGEMAP_SCAN */

#define SCAN_REGIONS	1024
/* Present ranges closer than this many pages are read in one pread. */
#define SCAN_GAP	1024

/*
 * Hands each mapping from *vi on its part of the pages [vpn, end): their
 * entries e (e[0] is vpn's), or, when e is NULL, the frames from pfn on as
 * runs. *vi moves past the mappings that end within the range.
 */
static void scan_deliver(const struct proc *p, unsigned int shift, size_t *vi,
			 uint64_t vpn, uint64_t end, const uint64_t *e,
			 uint64_t pfn, const struct scan_cb *cb)
{
	for (; *vi < p->nr_vmas; ++*vi) {
		uint64_t s = p->vmas[*vi].start >> shift;
		uint64_t ve = p->vmas[*vi].end >> shift;
		uint64_t to = ve < end ? ve : end;

		if (s >= end)
			break;
		if (ve <= vpn)
			continue;
		if (s < vpn)
			s = vpn;
		if (e)
			cb->batch(cb->arg, *vi, s, e + (s - vpn), to - s);
		else
			cb->run(cb->arg, *vi, s, pfn + (s - vpn), to - s);
		if (ve > end)
			break;
	}
}

/*
 * Reads the span [vpn, end) of virtual pages in one go and hands each
 * mapping its part of it.
 */
static int scan_span(struct reader *r, const struct proc *p, size_t *vi,
		     uint64_t vpn, uint64_t end, uint64_t *buf,
		     const struct scan_cb *cb, bool *eof)
{
	ssize_t got = *eof ? 0 : reader_read(r, vpn, end - vpn, buf);
	size_t i;

	if (got < 0)
		return got;
	if ((size_t)got < end - vpn) {
		*eof = true;
		for (i = got; i < end - vpn; i++)
			buf[i] = PMAP_NOT_PRESENT;
	}
	scan_deliver(p, r->hdr.page_shift, vi, vpn, end, buf, 0, cb);
	return 0;
}

/* Present ranges gathered into spans of at most BATCH pages, then read. */
struct spans {
	uint64_t span, span_end;	/* the span being gathered, if span_end */
	size_t vi;			/* the mapping scan_deliver() is at */
};

static int spans_flush(struct reader *r, const struct proc *p,
		       struct spans *sp, uint64_t *buf,
		       const struct scan_cb *cb, bool *eof)
{
	int ret = 0;

	if (sp->span_end)
		ret = scan_span(r, p, &sp->vi, sp->span, sp->span_end, buf, cb,
				eof);
	sp->span_end = 0;
	return ret;
}

/* Add the present pages [s, e): to the span, or read it and start anew. */
static int spans_add(struct reader *r, const struct proc *p,
		     struct spans *sp, uint64_t s, uint64_t e, uint64_t *buf,
		     const struct scan_cb *cb, bool *eof)
{
	int ret;

	while (s < e) {
		if (sp->span_end && s - sp->span_end <= SCAN_GAP &&
		    s + 1 - sp->span <= BATCH) {
			sp->span_end = e - sp->span <= BATCH ? e :
				       sp->span + BATCH;
			s = sp->span_end;
			continue;
		}
		ret = spans_flush(r, p, sp, buf, cb, eof);
		if (ret)
			return ret;
		sp->span = s;
		sp->span_end = e - s <= BATCH ? e : s + BATCH;
		s = sp->span_end;
	}
	return 0;
}

/*
 * A range the scan reports huge is mapped by PMDs (transparent huge pages)
 * or hugetlb entries: each PMD-sized, PMD-aligned piece of it maps
 * physically contiguous frames. Read the first entry of each piece and hand
 * on the run it starts (or fill in the rest for a caller that takes only
 * entries), instead of having the kernel expand 512 entries per PMD.
 * (Reading all 512 anyway, in batches of 128 PMDs, to save the preads was
 * 25% slower for 2 GiB of THP: the kernel's copy and our decoding cost more.)
 */
static int scan_huge(struct reader *r, const struct proc *p, size_t *vi,
		     uint64_t vpn, uint64_t end, uint64_t *buf,
		     const struct scan_cb *cb, bool *eof, uint64_t pmd_pages)
{
	unsigned int shift = r->hdr.page_shift;

	while (vpn < end) {
		uint64_t to = (vpn + pmd_pages) & ~(pmd_pages - 1);
		uint64_t first, i;
		ssize_t got;

		if (to > end)
			to = end;
		got = *eof ? 0 : reader_read(r, vpn, 1, &first);
		if (got < 0)
			return got;
		if (!got) {
			*eof = true;
			first = PMAP_NOT_PRESENT;
		}
		/* Anonymous and the process's alone: no shared huge page. */
		if (first != PMAP_NOT_PRESENT && !(first & ENTRY_OWN) &&
		    cb->huge)
			cb->huge(cb->arg);
		if (cb->run) {
			if (first != PMAP_NOT_PRESENT)
				scan_deliver(p, shift, vi, vpn, to, NULL, first,
					     cb);
		} else {
			for (i = 0; i < to - vpn; i++)
				buf[i] = first == PMAP_NOT_PRESENT ? first :
								     first + i;
			scan_deliver(p, shift, vi, vpn, to, buf, 0, cb);
		}
		vpn = to;
	}
	return 0;
}

/* Returns 0, -errno, or 1 when the kernel has no PAGEMAP_SCAN. */
static int scan_present(struct reader *r, const struct proc *p, uint64_t *buf,
			const struct scan_cb *cb, bool *eof)
{
	static struct page_region reg[SCAN_REGIONS];
	unsigned int shift = r->hdr.page_shift;
	struct spans sp = { 0 };
	size_t nr = p->nr_vmas;
	uint64_t start, end;
	static uint64_t pmd_pages;
	int n, k, ret;

	if (!pmd_pages) {
		pmd_pages = read_sysfs_u64(THP_PMD_SIZE) >> shift;
		/* A power of two above one page, or no shortcut. */
		if (pmd_pages < 2 || (pmd_pages & (pmd_pages - 1)))
			pmd_pages = 1;
	}

	/*
	 * A mapping in the upper half ([vsyscall]) lies above the user
	 * address space: not present, and PAGEMAP_SCAN fails on it (EFAULT).
	 */
	while (nr > 1 && p->vmas[nr - 1].start >> 63)
		nr--;
	if (!nr)
		return 0;
	start = p->vmas[0].start;
	end = p->vmas[nr - 1].end;
	while (start < end) {
		struct pm_scan_arg a = {
			.size = sizeof(a),
			.start = start,
			.end = end,
			.vec = (uintptr_t)reg,
			.vec_len = SCAN_REGIONS,
			.category_mask = PAGE_IS_PRESENT,
			.return_mask = PAGE_IS_PRESENT | PAGE_IS_HUGE,
		};

		n = ioctl(r->fd, PAGEMAP_SCAN, &a);
		if (n < 0 && errno == EFAULT && start == p->vmas[0].start &&
		    nr > 1) {
			/* A mapping above the user address space: not present. */
			end = p->vmas[--nr - 1].end;
			continue;
		}
		/* Reading everything instead is right only before any of it. */
		if (n < 0)
			return start == p->vmas[0].start &&
			       (errno == ENOTTY || errno == EINVAL ||
				errno == EFAULT) ? 1 : -errno;
		/* Gather present ranges into spans of at most BATCH pages. */
		for (k = 0; k < n; k++) {
			uint64_t s = reg[k].start >> shift, e = reg[k].end >> shift;

			if (reg[k].categories & PAGE_IS_HUGE &&
			    pmd_pages < 2 && cb->huge)
				cb->huge(cb->arg);
			if (reg[k].categories & PAGE_IS_HUGE && pmd_pages > 1) {
				ret = spans_flush(r, p, &sp, buf, cb, eof);
				if (ret)
					return ret;
				ret = scan_huge(r, p, &sp.vi, s, e, buf, cb, eof,
						pmd_pages);
				if (ret)
					return ret;
				continue;
			}
			ret = spans_add(r, p, &sp, s, e, buf, cb, eof);
			if (ret)
				return ret;
		}
		if (a.walk_end <= start)
			break;
		start = a.walk_end;
	}
	return spans_flush(r, p, &sp, buf, cb, eof);
}

/*
 * The module's backend: SEEK_DATA and SEEK_HOLE tell where pages are
 * present, the module skipping what holds none at the cost of its page
 * tables, and only those ranges are read. Returns 0, -errno, or 1 when the
 * module has no SEEK_DATA (EINVAL: one older than them).
 */
static int scan_seek(struct reader *r, const struct proc *p, uint64_t *buf,
		     const struct scan_cb *cb, bool *eof)
{
	unsigned int shift = r->hdr.page_shift;
	uint64_t first, vpn, hvpn, end, es = r->hdr.entry_size;
	struct spans sp = { 0 };
	off_t data, hole = 0;
	int ret;

	if (!p->nr_vmas)
		return 0;
	first = p->vmas[0].start >> shift;
	end = (p->vmas[p->nr_vmas - 1].end + (1ULL << shift) - 1) >> shift;
	for (vpn = first; vpn < end; vpn = hvpn) {
		data = lseek(r->fd, pmap_entry_offset(&r->hdr, vpn), SEEK_DATA);
		if (data < 0 && errno == EINVAL && vpn == first)
			return 1;
		if (data < 0 && errno == ENXIO) {
			/* nothing at all: the address space may be gone */
			if (vpn == first)
				*eof = true;
			break;
		}
		if (data >= 0)
			hole = lseek(r->fd, data, SEEK_HOLE);
		if (data < 0 || hole < 0)
			return -errno;
		if (vpn == first && cb->huge)
			cb->huge(cb->arg);
		/* the entries' offsets back to virtual page numbers */
		vpn = ((uint64_t)data - r->hdr.header_size) / es;
		if (vpn >= end)
			break;
		hvpn = ((uint64_t)hole - r->hdr.header_size) / es;
		ret = spans_add(r, p, &sp, vpn, hvpn < end ? hvpn : end, buf,
				cb, eof);
		if (ret)
			return ret;
	}
	return spans_flush(r, p, &sp, buf, cb, eof);
}

/*
 * Calls cb for each batch of entries of each mapping of p (with the kernel
 * backend on a kernel with PAGEMAP_SCAN, and with a module that has
 * SEEK_DATA, only for the ranges where pages are present). A read cut short
 * by the end of the address space means the process exited or exec'd:
 * -ESRCH.
 */
int scan_proc(struct reader *r, const struct proc *p, uint64_t *buf,
	      const struct scan_cb *cb)
{
	unsigned int shift = r->hdr.page_shift;
	bool eof = false;
	size_t vi;
	int ret = 1;

	if (cap_active)
		return cap_scan(p, cb, r->tag_own);
	if (r->be == &kernel_backend)
		ret = scan_present(r, p, buf, cb, &eof);
	else if (!r->empty)
		ret = scan_seek(r, p, buf, cb, &eof);
	/* Every entry read: huge pages may be among them. */
	if (ret > 0 && cb->huge)
		cb->huge(cb->arg);
	for (vi = 0; ret > 0 && vi < p->nr_vmas; vi++) {
		uint64_t vpn = p->vmas[vi].start >> shift;
		uint64_t end = (p->vmas[vi].end + (1ULL << shift) - 1) >> shift;

		ret = scan_range(r, vi, vpn, end, buf, cb, &eof);
		if (!ret && vi + 1 < p->nr_vmas)
			ret = 1;
	}
	if (ret < 0)
		return ret == -ESRCH || proc_exited(p->pid) <= 0 ? ret : -ESRCH;
	if (eof && proc_exited(p->pid))
		return -ESRCH;
	return 0;
}

/* Whether PAGEMAP_SCAN works on the page map r reads (Linux 6.7 and later). */
bool scan_supported(struct reader *r)
{
	uintptr_t ps = 1UL << r->hdr.page_shift;
	struct page_region reg;
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = (uintptr_t)&reg & ~(ps - 1),
		.end = ((uintptr_t)&reg & ~(ps - 1)) + ps,
		.vec = (uintptr_t)&reg,
		.vec_len = 1,
		.category_mask = PAGE_IS_PRESENT,
		.return_mask = PAGE_IS_PRESENT,
	};

	return r->be == &kernel_backend && ioctl(r->fd, PAGEMAP_SCAN, &arg) >= 0;
}
