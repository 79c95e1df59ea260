// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap share PID1 PID2: the frames both processes map.
 */
#include "pagemap.h"

/* ---- share -------------------------------------------------------------- */

struct fv {
	uint64_t pfn;
	uint32_t vma;
};

struct fvs {
	struct fv *f;
	size_t nr, cap;
	const struct proc *p;
};

static void fvs_batch(void *arg, size_t vi, uint64_t vpn, const uint64_t *e,
		      size_t n)
{
	struct fvs *s = arg;
	size_t i;

	(void)vpn;
	if (s->p->vmas[vi].hugetlb)
		return;
	for (i = 0; i < n; i++) {
		if (!counted(e[i]))
			continue;
		grow(&s->f, &s->cap, s->nr + 1, sizeof(*s->f));
		s->f[s->nr].pfn = e[i];
		s->f[s->nr++].vma = vi;
	}
}

static int fv_cmp(const void *a, const void *b)
{
	const struct fv *x = a, *y = b;

	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	return x->vma < y->vma ? -1 : x->vma > y->vma;
}

/* Sorts by frame and drops repeats of the same frame in the same mapping. */
static void fvs_sort(struct fvs *s)
{
	size_t i, o = 0;

	qsort(s->f, s->nr, sizeof(*s->f), fv_cmp);
	for (i = 0; i < s->nr; i++)
		if (!o || s->f[i].pfn != s->f[o - 1].pfn ||
		    s->f[i].vma != s->f[o - 1].vma)
			s->f[o++] = s->f[i];
	s->nr = o;
}

struct pair {
	uint32_t a, b;
	uint64_t n;
};

static int pair_cmp(const void *x, const void *y)
{
	const struct pair *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

static int load_frames(pid_t pid, struct proc *p, struct fvs *s, uint64_t *buf,
		       unsigned int *shift)
{
	const struct scan_cb cb = {
		.batch = fvs_batch, .huge = zero_scan_huge, .arg = s
	};
	struct reader r;
	int ret;

	ret = proc_open(p, pid, &r, false);
	if (ret)
		return proc_error(pid, ret);
	s->p = p;
	*shift = r.hdr.page_shift;
	ret = scan_proc(&r, p, buf, &cb);
	reader_close(&r);
	if (ret)
		return proc_error(pid, ret);
	fvs_sort(s);
	return 0;
}

static void vma_label(char *out, size_t len, const struct vma *v, int w)
{
	snprintf(out, len, "%0*" PRIx64 "-%0*" PRIx64 " %s%s%s", w, v->start, w,
		 v->end, v->perms, *v->name ? " " : "", v->name);
}

int cmd_share(int argc, char **argv)
{
	struct fvs s1 = { 0 }, s2 = { 0 };
	struct proc p1 = { 0 }, p2 = { 0 };
	struct pair *pairs = NULL;
	size_t npairs = 0, pcap = 0, i, j, k, l;
	uint64_t shared = 0, *buf;
	unsigned int shift = 12, shift2 = 12;
	pid_t pid[2], pid1, pid2;
	int ret;
	char hs[16];

	ret = parse_args(argc, argv, 2, pid, 2, "share takes two pids");
	if (ret)
		return ret;
	pid1 = pid[0];
	pid2 = pid[1];
	if (need_frames("share compares the frames of two processes"))
		return EXIT_FAIL;
	buf = xcalloc(BATCH, sizeof(*buf));
	ret = EXIT_FAIL;
	if (load_frames(pid1, &p1, &s1, buf, &shift) ||
	    load_frames(pid2, &p2, &s2, buf, &shift2))
		goto out;

	/* Merge the two sorted lists; every (frame, vma1, vma2) is one pair hit. */
	for (i = 0, j = 0; i < s1.nr && j < s2.nr;) {
		uint64_t pfn = s1.f[i].pfn;

		if (pfn < s2.f[j].pfn) {
			i++;
			continue;
		}
		if (pfn > s2.f[j].pfn) {
			j++;
			continue;
		}
		shared++;
		for (k = i; k < s1.nr && s1.f[k].pfn == pfn; k++)
			for (l = j; l < s2.nr && s2.f[l].pfn == pfn; l++) {
				grow(&pairs, &pcap, npairs + 1, sizeof(*pairs));
				pairs[npairs].a = s1.f[k].vma;
				pairs[npairs].b = s2.f[l].vma;
				pairs[npairs++].n = 1;
			}
		i = k;
		while (j < s2.nr && s2.f[j].pfn == pfn)
			j++;
	}
	qsort(pairs, npairs, sizeof(*pairs), pair_cmp);
	for (i = 0, k = 0; i < npairs; i++) {
		if (k && pairs[k - 1].a == pairs[i].a && pairs[k - 1].b == pairs[i].b)
			pairs[k - 1].n++;
		else
			pairs[k++] = pairs[i];
	}
	npairs = k;

	if (opt.json) {
		printf("{\"pid1\": %d, \"comm1\": ", pid1);
		json_str(stdout, p1.comm);
		printf(", \"pid2\": %d, \"comm2\": ", pid2);
		json_str(stdout, p2.comm);
		printf(", \"page_size\": %llu, \"shared_pages\": %" PRIu64
		       ", \"shared_kb\": %" PRIu64 ", \"pairs\": [",
		       1ULL << shift, shared, (shared << shift) >> 10);
		for (i = 0; i < npairs; i++) {
			const struct vma *a = &p1.vmas[pairs[i].a];
			const struct vma *b = &p2.vmas[pairs[i].b];

			printf("%s\n{\"start1\": \"0x%" PRIx64 "\", \"end1\": \"0x%"
			       PRIx64 "\", \"name1\": ",
			       i ? "," : "", a->start, a->end);
			json_str(stdout, a->name);
			printf(", \"start2\": \"0x%" PRIx64 "\", \"end2\": \"0x%" PRIx64
			       "\", \"name2\": ",
			       b->start, b->end);
			json_str(stdout, b->name);
			printf(", \"shared_pages\": %" PRIu64 "}", pairs[i].n);
		}
		printf("\n]}\n");
	} else {
		char h1[32], h2[32];
		const char *const heads[] = { "PAGES", "SIZE", h1, h2 };
		struct table t = { .ncols = 4, .heads = heads, .align = "rrll" };
		int w = addr_width(&p1) > addr_width(&p2) ? addr_width(&p1) :
							     addr_width(&p2);

		snprintf(h1, sizeof(h1), "MAPPING IN %d", pid1);
		snprintf(h2, sizeof(h2), "MAPPING IN %d", pid2);
		{
			printf("pid %d (%s) and pid %d (%s) share %" PRIu64 " pages (%s)\n",
			       pid1, p1.comm, pid2, p2.comm, shared,
			       human_kb((shared << shift) >> 10, hs, sizeof(hs)));
			for (i = 0; i < npairs; i++) {
				char a[512], b[512], n[24], sz[16];

				vma_label(a, sizeof(a), &p1.vmas[pairs[i].a], w);
				vma_label(b, sizeof(b), &p2.vmas[pairs[i].b], w);
				snprintf(n, sizeof(n), "%" PRIu64, pairs[i].n);
				table_row(&t, NULL, n,
					  human_kb((pairs[i].n << shift) >> 10, sz, sizeof(sz)),
					  a, b);
			}
			if (npairs)
				table_print(&t);
		}
	}
	ret = EXIT_OK;
out:
	free(pairs);
	free(s1.f);
	free(s2.f);
	free(buf);
	proc_free(&p1);
	proc_free(&p2);
	return ret;
}
