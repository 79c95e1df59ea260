// SPDX-License-Identifier: GPL-2.0
/*
 * The frames that are not memory of the process, as smaps tells them
 * apart: the shared zero pages and the huge zero page.
 */
#include "pagemap.h"

/* ---- frames that are not memory of the process -------------------------- */

struct zero_pages zp;

static bool thp_can_map_zero(void)
{
	char *buf;
	bool never;

	if (read_sysfs_u64(THP_DIR "use_zero_page") != 1)
		return false;
	if (slurp(THP_DIR "enabled", &buf, NULL))
		return false;
	never = strstr(buf, "[never]");
	free(buf);
	return !never;
}

/* Read-faults n pages of a fresh private anonymous mapping at a; entries to e. */
static int probe_read(struct reader *r, unsigned char *a, size_t n,
		      uint64_t *e)
{
	size_t i, ps = 1UL << r->hdr.page_shift;

	/* One byte of each page, through a compiler barrier: a real read fault. */
	for (i = 0; i < n; i++)
		__atomic_load_n(&a[i * ps], __ATOMIC_RELAXED);
	return reader_read(r, (uintptr_t)a >> r->hdr.page_shift, n, e) ==
	       (ssize_t)n ? 0 : -1;
}

/*
 * Whether the kernel's own page map shows the page at a as a private
 * anonymous page that only we map: what a read fault gives where the kernel
 * maps no zero page (the huge zero page is neither anonymous nor ours).
 * Always false for the module, whose entries carry no such flags.
 */
static bool probe_own_page(struct reader *r, const unsigned char *a)
{
	uint64_t v;

	if (r->be != &kernel_backend ||
	    pread(r->fd, &v, sizeof(v),
		  ((uintptr_t)a >> r->hdr.page_shift) * 8) != sizeof(v))
		return false;
	return (v & (KPM_PRESENT | KPM_FILE | KPM_EXCLUSIVE)) ==
	       (KPM_PRESENT | KPM_EXCLUSIVE);
}

/*
 * The huge zero page: read-fault two PMD-sized, PMD-aligned regions; if
 * both show the same run of frames, that is it. Unless the first read
 * fault gave us a huge page of our own (a kernel that does not use the
 * huge zero page allocates and clears one per read fault: 2 MiB each).
 */
static void probe_huge_zero(struct reader *r)
{
	long ps = 1L << r->hdr.page_shift;
	size_t hsz = read_sysfs_u64(THP_PMD_SIZE), n, i;
	unsigned char *a, *h;
	uint64_t *he;

	zp.huge_later = false;
	if (zp.hidden || !hsz || hsz % ps || !thp_can_map_zero())
		return;
	n = hsz / ps;
	if (n > BATCH)
		return;
	a = mmap(NULL, 4 * hsz, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return;
	he = xcalloc(2 * n, sizeof(*he));
	h = (unsigned char *)(((uintptr_t)a + hsz - 1) & ~(uintptr_t)(hsz - 1));
	madvise(h, 2 * hsz, MADV_HUGEPAGE);
	if (!probe_read(r, h, 1, he) && !probe_own_page(r, h) &&
	    !probe_read(r, h + hsz, 1, he + n) &&
	    reader_read(r, (uintptr_t)h / ps, n, he) == (ssize_t)n &&
	    reader_read(r, (uintptr_t)(h + hsz) / ps, n, he + n) == (ssize_t)n &&
	    he[0] != PMAP_NOT_PRESENT && he[0] == he[n] &&
	    (!zp.have_zero || he[0] - zp.zero >= zp.zero_nr)) {
		for (i = 1; i < n; i++)
			if (he[i] != he[0] + i)
				break;
		if (i == n) {
			zp.have_huge = true;
			zp.huge = he[0];
			zp.huge_nr = n;
		}
	}
	free(he);
	munmap(a, 4 * hsz);
}

/*
 * The scan's huge() hook for share and pss: it has just met a range mapped
 * by huge pages that may be the huge zero page, if probe_zero() left it
 * for later.
 */
void zero_scan_huge(void *arg)
{
	struct reader r;

	(void)arg;
	if (!zp.huge_later)
		return;
	zp.huge_later = false;
	if (!reader_open_pid(&r, getpid())) {
		/* Its own buffer: the scan's holds entries it still needs. */
		r.raw = xrealloc(NULL, BATCH * 8);
		probe_huge_zero(&r);
		free(r.raw);
		reader_close(&r);
	}
}

/*
 * Zero pages can come in colours: s390 has 128 (fewer with little memory),
 * one for each page of a 512 KiB span, and ZERO_PAGE() picks one by the
 * virtual address; MIPS does the same by cache size. Read faults on
 * ZERO_SPAN consecutive pages from an aligned address show each colour
 * once, from the first frame of the block on.
 */
#define ZERO_SPAN	256

/*
 * Finds the shared zero page the way smaps tells it apart: read-fault two
 * fresh anonymous pages of our own; if both show the same frame, that frame
 * is the zero page (a frame of 0 means frame numbers are hidden). If they
 * show two frames that are not anonymous pages of our own, the zero pages
 * have colours: read-fault a span of them and find the period.
 */
static void probe_small_zero(struct reader *r)
{
	size_t ps = 1UL << r->hdr.page_shift, span = ZERO_SPAN * ps, p, i;
	uint64_t e[ZERO_SPAN + 1];
	unsigned char *m, *a;

	m = mmap(NULL, 3 * span, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return;
	a = (unsigned char *)(((uintptr_t)m + span - 1) & ~(uintptr_t)(span - 1));
	if (probe_read(r, a, 2, e) || e[0] == PMAP_NOT_PRESENT)
		goto out_unmap;
	if (e[0] == e[1]) {
		zp.hidden = !e[0];
		zp.have_zero = e[0];
		zp.zero = e[0];
		zp.zero_nr = 1;
		goto out_unmap;
	}
	if (probe_own_page(r, a) || probe_read(r, a, ZERO_SPAN, e) ||
	    probe_read(r, a + span, 1, &e[ZERO_SPAN]) || e[ZERO_SPAN] != e[0])
		goto out_unmap;
	for (p = 2; p < ZERO_SPAN && e[p] != e[0]; p *= 2)
		;
	for (i = 0; i < ZERO_SPAN; i++)
		if (e[i] != e[0] + (i & (p - 1)))
			goto out_unmap;
	zp.have_zero = true;
	zp.zero = e[0];
	zp.zero_nr = p;
out_unmap:
	munmap(m, 3 * span);
}

/*
 * The zero pages (probe_small_zero()), then the huge zero page
 * (probe_huge_zero()), which costs a 2 MiB page of our own where the
 * kernel does not use it: where PAGEMAP_SCAN tells which ranges huge pages
 * map, that waits until a scan meets one (often none does).
 */
int probe_zero(bool quiet)
{
	struct reader r;
	int ret;

	if (cap_active)
		return cap_load();
	ret = reader_open_pid(&r, getpid());
	if (ret) {
		if (!quiet)
			pm_err("cannot read my own page map: %s", why(-ret));
		return ret;
	}
	zp.source = r.be == &module_backend ? SRC_MODULE : SRC_KERNEL;
	probe_small_zero(&r);
	zp.huge_later = scan_supported(&r);
	if (!zp.huge_later)
		probe_huge_zero(&r);
	reader_close(&r);
	return 0;
}

/* share and capture need frame numbers: fail clearly when they are hidden. */
int need_frames(const char *why_needed)
{
	if (probe_zero(false))
		return -1;
	if (zp.hidden) {
		pm_err("frame numbers are hidden from this user (the %s page map shows them only to CAP_SYS_ADMIN): %s; run as root",
		       source_names[zp.source], why_needed);
		return -1;
	}
	return 0;
}
