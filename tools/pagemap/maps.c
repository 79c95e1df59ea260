// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap maps PID: each mapping with its present pages and frame runs,
 * and, like pmap -X and /proc/PID/smaps, its Rss, Pss, private and shared
 * memory and how much of it huge pages back (from /proc/kpagecount and
 * /proc/kpageflags where this user may read them).
 */
#include "pagemap.h"

/* A /proc/kpageflags bit (admin-guide/mm/pagemap.rst). */
#define KPF_THP		22

/* Frames per pread of /proc/kpagecount and /proc/kpageflags. */
#define KPAGE_BATCH	4096

/* What smaps says of a mapping, in kB; rss only without kpagecount. */
struct usage {
	uint64_t rss_kb, pss_kb, private_kb, shared_kb, huge_kb;
};

static void maps_batch(void *arg, size_t vi, uint64_t vpn, const uint64_t *e,
		       size_t n)
{
	struct runs *runs = arg;

	runs_add(&runs[vi], vpn, e, n);
}

/*
 * The usage of one mapping from its frames: each frame's Pss share is a
 * page divided by the times the kernel maps it (kpagecount), rounded as
 * smaps does; shared is mapped more than once. The zero pages and hugetlb
 * are no Rss, as in smaps (hugetlb counts as huge). Huge, as smaps'
 * AnonHugePages and FilePmdMapped: transparent huge pages mapped whole by
 * a PMD, that is, in a PMD-aligned block of virtual pages that maps a
 * PMD-aligned block of frames (a smaller large folio is no huge page).
 */
static void usage_of(const struct vma *v, const struct runs *rs,
		     unsigned int shift, int fd_count, int fd_flags,
		     struct usage *u)
{
	static uint64_t cnt[KPAGE_BATCH], flg[KPAGE_BATCH], pmd_size = 1;
	uint64_t ps = 1ULL << shift, pss = 0, rss = 0, priv = 0, shared = 0;
	uint64_t huge = 0, done, k, n, pmd, lo, hi;
	size_t i;

	memset(u, 0, sizeof(*u));
	if (v->hugetlb) {
		u->huge_kb = (rs->present << shift) >> 10;
		return;
	}
	if (pmd_size == 1)
		pmd_size = read_sysfs_u64(THP_PMD_SIZE);
	pmd = pmd_size >> shift;
	for (i = 0; i < rs->nr; i++) {
		const struct run *run = &rs->r[i];

		if (!counted(run->pfn))
			continue;
		/* The whole PMD blocks of the run, as offsets into it. */
		lo = 0;
		hi = 0;
		if (pmd > 1 && !((run->pfn - run->vpn) & (pmd - 1))) {
			lo = ((run->vpn + pmd - 1) & ~(pmd - 1)) - run->vpn;
			hi = ((run->vpn + run->n) & ~(pmd - 1)) - run->vpn;
			if (hi > run->n || hi < lo)
				hi = lo;
		}
		for (done = 0; done < run->n; done += n) {
			n = run->n - done < KPAGE_BATCH ? run->n - done : KPAGE_BATCH;
			rss += n;
			if (fd_count < 0)
				continue;
			if (pread(fd_count, cnt, n * 8, (run->pfn + done) * 8) !=
			    (ssize_t)(n * 8))
				memset(cnt, 0, n * 8);
			if (fd_flags < 0 ||
			    pread(fd_flags, flg, n * 8, (run->pfn + done) * 8) !=
			    (ssize_t)(n * 8))
				memset(flg, 0, n * 8);
			for (k = 0; k < n; k++) {
				uint64_t c = cnt[k] ? cnt[k] : 1;

				pss += (ps << PSS_SHIFT) / c;
				if (c == 1)
					priv++;
				else
					shared++;
				if (flg[k] & (1ULL << KPF_THP) && done + k >= lo &&
				    done + k < hi)
					huge++;
			}
		}
	}
	u->rss_kb = (rss * ps) >> 10;
	u->pss_kb = pss >> (PSS_SHIFT + 10);
	u->private_kb = (priv * ps) >> 10;
	u->shared_kb = (shared * ps) >> 10;
	u->huge_kb = (huge * ps) >> 10;
}

static void print_json(const struct proc *p, const struct reader *r,
		       const struct runs *runs, const struct usage *us,
		       bool kpage, uint64_t total)
{
	unsigned int shift = r->hdr.page_shift;
	size_t i;

	printf("{\"pid\": %d, \"comm\": ", p->pid);
	json_str(stdout, p->comm);
	printf(", \"source\": \"%s\", \"page_size\": %llu, \"present_pages\": %"
	       PRIu64 ", \"mappings\": [",
	       r->be->name, 1ULL << shift, total);
	for (i = 0; i < p->nr_vmas; i++) {
		const struct vma *v = &p->vmas[i];
		const struct usage *u = &us[i];

		printf("%s\n{\"start\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64
		       "\", \"perms\": \"%s\", \"offset\": \"0x%" PRIx64
		       "\", \"dev\": \"%02x:%02x\", \"inode\": %" PRIu64
		       ", \"name\": ",
		       i ? "," : "", v->start, v->end, v->perms,
		       v->offset, v->major, v->minor, v->inode);
		json_str(stdout, v->name);
		printf(", \"size_kb\": %" PRIu64 ", \"present_pages\": %" PRIu64
		       ", \"hugetlb\": %s, \"rss_kb\": %" PRIu64,
		       (v->end - v->start) >> 10, runs[i].present,
		       v->hugetlb ? "true" : "false", u->rss_kb);
		if (kpage) {
			printf(", \"pss_kb\": %" PRIu64 ", \"private_kb\": %" PRIu64
			       ", \"shared_kb\": %" PRIu64 ", \"huge_kb\": %" PRIu64,
			       u->pss_kb, u->private_kb, u->shared_kb, u->huge_kb);
		} else {
			fputs(", \"pss_kb\": null, \"private_kb\": null", stdout);
			fputs(", \"shared_kb\": null, \"huge_kb\": null", stdout);
		}
		fputs(", \"runs\": ", stdout);
		if (opt.no_frames)
			fputs("[]", stdout);
		else
			runs_json(stdout, &runs[i], shift);
		putchar('}');
	}
	printf("\n]}\n");
}

static void print_text(const struct proc *p, const struct reader *r,
		       const struct runs *runs, const struct usage *us,
		       bool kpage, uint64_t total)
{
	static const char *const heads[] = {
		"ADDRESS", "PERM", "SIZE", "PRESENT", "RSS", "PSS", "PRIVATE",
		"SHARED", "HUGE", "NAME"
	};
	struct table t = { .ncols = 10, .heads = heads, .align = "llrrrrrrrl" };
	unsigned int shift = r->hdr.page_shift;
	char h1[16], h2[16];
	size_t i;
	int w;

	printf("pid %d (%s): %zu mappings, %" PRIu64 " present pages (%s), %s pages\n",
	       p->pid, p->comm, p->nr_vmas, total,
	       human_kb((total << shift) >> 10, h1, sizeof(h1)),
	       human_kb((1ULL << shift) >> 10, h2, sizeof(h2)));
	w = addr_width(p);
	for (i = 0; i < p->nr_vmas; i++) {
		const struct vma *v = &p->vmas[i];
		const struct usage *u = &us[i];
		char range[40], pres[24], size[16], s[5][16];
		int k;

		snprintf(range, sizeof(range), "%0*" PRIx64 "-%0*" PRIx64,
			 w, v->start, w, v->end);
		snprintf(pres, sizeof(pres), "%" PRIu64, runs[i].present);
		human_kb(u->rss_kb, s[0], sizeof(s[0]));
		human_kb(u->pss_kb, s[1], sizeof(s[1]));
		human_kb(u->private_kb, s[2], sizeof(s[2]));
		human_kb(u->shared_kb, s[3], sizeof(s[3]));
		human_kb(u->huge_kb, s[4], sizeof(s[4]));
		/* Without kpagecount, only Rss is known. */
		for (k = 1; !kpage && k < 5; k++)
			strcpy(s[k], "-");
		table_row(&t, opt.no_frames ? NULL : runs_text(&runs[i], "    "),
			  range, v->perms,
			  human_kb((v->end - v->start) >> 10, size, sizeof(size)),
			  pres, s[0], s[1], s[2], s[3], s[4],
			  v->hugetlb && !*v->name ? "[hugetlb]" : v->name);
	}
	table_print(&t);
}

int cmd_maps(int argc, char **argv)
{
	const struct scan_cb cb = {
		.batch = maps_batch, .huge = zero_scan_huge
	};
	struct scan_cb c = cb;
	struct runs *runs = NULL;
	struct usage *us = NULL;
	uint64_t *buf = NULL, total = 0;
	int ret, fd_count = -1, fd_flags = -1;
	struct reader r;
	struct proc p;
	bool kpage;
	pid_t pid;
	size_t i;

	ret = parse_args(argc, argv, 1, &pid, 1, "maps takes one pid");
	if (ret)
		return ret;
	probe_zero(true);
	if (zp.hidden) {
		pm_err("frame numbers are hidden from this user (CAP_SYS_ADMIN shows them): present pages only");
		opt.no_frames = true;
	} else {
		fd_count = open("/proc/kpagecount", O_RDONLY | O_CLOEXEC);
		fd_flags = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	}
	kpage = fd_count >= 0;
	ret = proc_open(&p, pid, &r, false);
	if (ret) {
		ret = proc_error(pid, ret);
		goto out_close;
	}
	runs = xcalloc(p.nr_vmas, sizeof(*runs));
	us = xcalloc(p.nr_vmas, sizeof(*us));
	buf = xcalloc(BATCH, sizeof(*buf));
	c.arg = runs;
	ret = scan_proc(&r, &p, buf, &c);
	if (ret) {
		ret = proc_error(pid, ret);
		goto out;
	}
	for (i = 0; i < p.nr_vmas; i++) {
		total += runs[i].present;
		usage_of(&p.vmas[i], &runs[i], r.hdr.page_shift, fd_count,
			 fd_flags, &us[i]);
	}
	if (opt.json)
		print_json(&p, &r, runs, us, kpage, total);
	else if (r.empty || !p.nr_vmas)
		printf("pid %d (%s): no address space (kernel thread)\n", pid,
		       p.comm);
	else
		print_text(&p, &r, runs, us, kpage, total);
out:
	for (i = 0; i < p.nr_vmas; i++)
		free(runs[i].r);
	free(runs);
	free(us);
	free(buf);
	reader_close(&r);
	proc_free(&p);
out_close:
	if (fd_count >= 0)
		close(fd_count);
	if (fd_flags >= 0)
		close(fd_flags);
	return ret ? EXIT_FAIL : EXIT_OK;
}
