// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap who PFN... (and --range FIRST-LAST): every process and virtual
 * address that maps those frames, over every readable process.
 */
#include "pagemap.h"

/* The frames asked for: sorted, disjoint, inclusive intervals. */
struct span {
	uint64_t lo, hi;
};

struct hit {
	uint64_t pfn, addr;
	pid_t pid;
	char comm[64];
	char *mapping;
};

struct who {
	struct span *sp;
	size_t nsp;
	struct hit *hits;
	size_t nhits, cap;
	const struct proc *p;
	unsigned int shift;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The first span that ends at or after pfn, or w->nsp. */
static size_t span_find(const struct who *w, uint64_t pfn)
{
	size_t lo = 0, hi = w->nsp;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (w->sp[mid].hi < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void who_hit(struct who *w, size_t vi, uint64_t vpn, uint64_t pfn)
{
	struct hit *h;

	grow(&w->hits, &w->cap, w->nhits + 1, sizeof(*w->hits));
	h = &w->hits[w->nhits++];
	h->pfn = pfn;
	h->addr = vpn << w->shift;
	h->pid = w->p->pid;
	snprintf(h->comm, sizeof(h->comm), "%s", w->p->comm);
	h->mapping = xstrdup(w->p->vmas[vi].name);
}

/* The frames of [pfn, pfn + n), mapped from vpn on, that were asked for. */
static void who_run(void *arg, size_t vi, uint64_t vpn, uint64_t pfn, size_t n)
{
	struct who *w = arg;
	size_t k = span_find(w, pfn);
	uint64_t f, to;

	for (; k < w->nsp && w->sp[k].lo < pfn + n; k++) {
		f = w->sp[k].lo > pfn ? w->sp[k].lo : pfn;
		to = w->sp[k].hi < pfn + n - 1 ? w->sp[k].hi : pfn + n - 1;
		for (; f <= to; f++)
			who_hit(w, vi, vpn + (f - pfn), f);
	}
}

static void who_batch(void *arg, size_t vi, uint64_t vpn, const uint64_t *e,
		      size_t n)
{
	struct who *w = arg;
	uint64_t lo = w->sp[0].lo, hi = w->sp[w->nsp - 1].hi;
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (e[i] < lo || e[i] > hi)
			continue;
		k = span_find(w, e[i]);
		if (k < w->nsp && w->sp[k].lo <= e[i])
			who_hit(w, vi, vpn + i, e[i]);
	}
}

static bool who_begin(void *arg, const struct proc *p, unsigned int shift)
{
	struct who *w = arg;

	w->p = p;
	w->shift = shift;
	return true;
}

static int hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* A frame number: hexadecimal with 0x, else decimal. */
static int parse_pfn(const char *s, uint64_t *pfn)
{
	char *end;

	errno = 0;
	*pfn = strtoull(s, &end, 0);
	if (!*s || *end || errno || *s == '-') {
		pm_err("'%s' is not a frame number", s);
		return -1;
	}
	return 0;
}

static void print_hits(const struct who *w)
{
	static const char *const heads[] = {
		"PFN", "PID", "COMM", "ADDRESS", "MAPPING"
	};
	struct table t = { .ncols = 5, .heads = heads, .align = "rrlrl" };
	char pfn[24], pid[16], addr[24];
	size_t i;

	if (opt.json)
		putchar('[');
	for (i = 0; i < w->nhits; i++) {
		const struct hit *h = &w->hits[i];

		if (opt.json) {
			printf("%s\n{\"pfn\": %" PRIu64 ", \"pid\": %d, \"comm\": ",
			       i ? "," : "", h->pfn, h->pid);
			json_str(stdout, h->comm);
			printf(", \"address\": \"0x%" PRIx64 "\", \"mapping\": ",
			       h->addr);
			json_str(stdout, h->mapping);
			putchar('}');
			continue;
		}
		snprintf(pfn, sizeof(pfn), "0x%" PRIx64, h->pfn);
		snprintf(pid, sizeof(pid), "%d", h->pid);
		snprintf(addr, sizeof(addr), "0x%" PRIx64, h->addr);
		table_row(&t, NULL, pfn, pid, h->comm, addr, h->mapping);
	}
	if (opt.json)
		puts("\n]");
	else if (w->nhits)
		table_print(&t);
}

int cmd_who(int argc, char **argv)
{
	struct who w = { 0 };
	struct every ev = {
		.cb = { .batch = who_batch, .run = who_run, .arg = &w },
		.begin = who_begin,
	};
	size_t i, o;
	char *dash;
	int ret = EXIT_USAGE;

	if (!argc && !opt.range) {
		pm_err("who takes frame numbers or --range FIRST-LAST (see pagemap --help)");
		return EXIT_USAGE;
	}
	w.sp = xcalloc(argc + 1, sizeof(*w.sp));
	for (i = 0; i < (size_t)argc; i++, w.nsp++) {
		if (parse_pfn(argv[i], &w.sp[i].lo))
			goto out_free;
		w.sp[i].hi = w.sp[i].lo;
	}
	if (opt.range) {
		char first[32];

		dash = strchr(opt.range, '-');
		if (!dash || dash == opt.range ||
		    (size_t)(dash - opt.range) >= sizeof(first)) {
			pm_err("--range takes FIRST-LAST, not '%s'", opt.range);
			goto out_free;
		}
		snprintf(first, sizeof(first), "%.*s",
			 (int)(dash - opt.range), opt.range);
		if (parse_pfn(first, &w.sp[w.nsp].lo) ||
		    parse_pfn(dash + 1, &w.sp[w.nsp].hi))
			goto out_free;
		if (w.sp[w.nsp].hi < w.sp[w.nsp].lo) {
			pm_err("--range %s: the last frame comes before the first",
			       opt.range);
			goto out_free;
		}
		w.nsp++;
	}
	ret = EXIT_FAIL;
	if (need_frames("who needs them to find the frames"))
		goto out_free;
	/* Sorted and merged, for the binary search. */
	qsort(w.sp, w.nsp, sizeof(*w.sp), span_cmp);
	for (i = 1, o = 0; i < w.nsp; i++) {
		if (w.sp[i].lo <= w.sp[o].hi + 1) {
			if (w.sp[i].hi > w.sp[o].hi)
				w.sp[o].hi = w.sp[i].hi;
		} else {
			w.sp[++o] = w.sp[i];
		}
	}
	w.nsp = o + 1;
	scan_every(&ev);
	qsort(w.hits, w.nhits, sizeof(*w.hits), hit_cmp);
	print_hits(&w);
	if (!w.nhits)
		pm_err("no readable process maps %s",
		       w.nsp == 1 && w.sp[0].lo == w.sp[0].hi ?
		       "that frame" : "those frames");
	ret = EXIT_OK;
	for (i = 0; i < w.nhits; i++)
		free(w.hits[i].mapping);
	free(w.hits);
out_free:
	free(w.sp);
	return ret;
}
