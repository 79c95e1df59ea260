// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap: which pages a process maps, and which it shares with others.
 *
 * Reads the page maps of the pagemap module (/proc/pagemap/<pid>, format
 * described in include/pagemap_format.h) or the kernel's own
 * /proc/<pid>/pagemap, through one reader interface, and only over the
 * ranges /proc/<pid>/maps lists. See pagemap.1 for the subcommands.
 */
#include "pagemap.h"

struct pm_opts opt;

/* ---- maps --------------------------------------------------------------- */

struct maps_ctx {
	struct runs *runs;
};

static void maps_batch(void *arg, size_t vi, uint64_t vpn, const uint64_t *e,
		       size_t n)
{
	struct maps_ctx *c = arg;

	runs_add(&c->runs[vi], vpn, e, n);
}

int cmd_maps(int argc, char **argv)
{
	struct maps_ctx c = { 0 };
	const struct scan_cb cb = { .batch = maps_batch, .arg = &c };
	uint64_t *buf, total = 0;
	struct reader r;
	struct proc p;
	unsigned int shift;
	pid_t pid;
	size_t i;
	int ret, w;

	if (argc != 1) {
		pm_err("maps takes one pid (see pagemap --help)");
		return EXIT_USAGE;
	}
	if (parse_pid(argv[0], &pid))
		return EXIT_FAIL;
	probe_zero(true);
	if (zp.hidden) {
		pm_err("frame numbers are hidden from this user (CAP_SYS_ADMIN shows them): present pages only");
		opt.no_frames = true;
	}
	ret = proc_open(&p, pid, &r, false);
	if (ret)
		return proc_error(pid, ret);
	shift = r.hdr.page_shift;
	c.runs = xcalloc(p.nr_vmas, sizeof(*c.runs));
	buf = xcalloc(BATCH, sizeof(*buf));
	ret = scan_proc(&r, &p, buf, &cb);
	if (ret) {
		ret = proc_error(pid, ret);
		goto out;
	}
	for (i = 0; i < p.nr_vmas; i++)
		total += c.runs[i].present;

	if (opt.json) {
		printf("{\"pid\": %d, \"comm\": ", pid);
		json_str(stdout, p.comm);
		printf(", \"source\": \"%s\", \"page_size\": %llu, \"present_pages\": %"
		       PRIu64 ", \"mappings\": [",
		       r.be->name, 1ULL << shift, total);
		for (i = 0; i < p.nr_vmas; i++) {
			struct vma *v = &p.vmas[i];

			printf("%s\n{\"start\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64
			       "\", \"perms\": \"%s\", \"offset\": \"0x%" PRIx64
			       "\", \"dev\": \"%02x:%02x\", \"inode\": %" PRIu64
			       ", \"name\": ",
			       i ? "," : "", v->start, v->end, v->perms,
			       v->offset, v->major, v->minor, v->inode);
			json_str(stdout, v->name);
			printf(", \"size_kb\": %" PRIu64 ", \"present_pages\": %" PRIu64
			       ", \"hugetlb\": %s, \"runs\": ",
			       (v->end - v->start) >> 10, c.runs[i].present,
			       v->hugetlb ? "true" : "false");
			if (opt.no_frames)
				fputs("[]", stdout);
			else
				runs_json(stdout, &c.runs[i], shift);
			putchar('}');
		}
		printf("\n]}\n");
		goto out;
	}

	{
		static const char *const heads[] = {
			"ADDRESS", "PERM", "SIZE", "PRESENT", "RSS", "NAME"
		};
		struct table t = { .ncols = 6, .heads = heads, .align = "llrrrl" };
		char h1[16], h2[16];

		if (r.empty || !p.nr_vmas) {
			printf("pid %d (%s): no address space (kernel thread)\n",
			       pid, p.comm);
			goto out;
		}
		printf("pid %d (%s): %zu mappings, %" PRIu64 " present pages (%s), %s pages\n",
		       pid, p.comm, p.nr_vmas, total,
		       human_kb((total << shift) >> 10, h1, sizeof(h1)),
		       human_kb((1ULL << shift) >> 10, h2, sizeof(h2)));
		w = addr_width(&p);
		for (i = 0; i < p.nr_vmas; i++) {
			struct vma *v = &p.vmas[i];
			char range[40], pres[24], size[16], rss[16];

			snprintf(range, sizeof(range), "%0*" PRIx64 "-%0*" PRIx64,
				 w, v->start, w, v->end);
			snprintf(pres, sizeof(pres), "%" PRIu64, c.runs[i].present);
			table_row(&t, opt.no_frames ? NULL : runs_text(&c.runs[i], "    "),
				  range, v->perms,
				  human_kb((v->end - v->start) >> 10, size, sizeof(size)),
				  pres,
				  human_kb((c.runs[i].present << shift) >> 10, rss, sizeof(rss)),
				  v->hugetlb && !*v->name ? "[hugetlb]" : v->name);
		}
		table_print(&t);
	}
out:
	for (i = 0; i < p.nr_vmas; i++)
		free(c.runs[i].r);
	free(c.runs);
	free(buf);
	reader_close(&r);
	proc_free(&p);
	return ret ? EXIT_FAIL : EXIT_OK;
}

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
	pid_t pid1, pid2;
	int ret = EXIT_FAIL;
	char hs[16];

	if (argc != 2) {
		pm_err("share takes two pids (see pagemap --help)");
		return EXIT_USAGE;
	}
	if (parse_pid(argv[0], &pid1) || parse_pid(argv[1], &pid2))
		return EXIT_FAIL;
	if (need_frames())
		return EXIT_FAIL;
	buf = xcalloc(BATCH, sizeof(*buf));
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

/* ---- pss ---------------------------------------------------------------- */

/*
 * How many times each frame is mapped: leaves of 1Ki frames, found by a
 * small open-addressing hash on pfn >> 10 (frame numbers can be sparse).
 * A frame's count is its block's plus its own: a run that covers a whole
 * aligned block of 512 frames (a PMD-mapped huge page, say) adds one to the
 * block instead of one to each of its frames.
 */
#define LEAF_SHIFT	10
#define LEAF_SIZE	(1U << LEAF_SHIFT)
#define BLOCK_SHIFT	9
#define BLOCK_SIZE	(1U << BLOCK_SHIFT)
#define LEAF_BLOCKS	(LEAF_SIZE / BLOCK_SIZE)

struct leaf {
	uint32_t id;			/* its index in counts.by_id */
	uint32_t block[LEAF_BLOCKS];	/* mappings of every frame of the block */
	bool mixed[LEAF_BLOCKS];	/* some frame of the block has its own */
	uint32_t *frame;		/* mappings of each frame on its own */
};

struct counts {
	uint64_t *keys;
	struct leaf **leaves;
	size_t size, used;
	struct leaf **by_id;
	size_t ids_cap;
};

/*
 * Leaves and their frame counters come from 2 MiB chunks, each a
 * transparent huge page where the kernel gives one, written in advance: no
 * page fault per leaf, and one TLB entry for them all. A leaf whose frames
 * are all counted by blocks (huge pages) has no frame counters: 2 GiB of
 * THP needs 24 KiB of leaves, not 4 MiB. (A first chunk of 1 MiB in small
 * pages, enough for a small host, made its scans 10% slower: 256 page
 * allocations cost more than one huge page.) Never freed before exit.
 */
#define LEAF_CHUNK	(2UL << 20)

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23	/* Linux 5.14; before, pages fault in */
#endif

/* size bytes of zeroes, size a multiple of 8 and at most LEAF_CHUNK. */
static void *chunk_alloc(size_t size)
{
	static unsigned char *chunk;
	static size_t used = LEAF_CHUNK;
	void *p;

	if (used + size > LEAF_CHUNK) {
		p = mmap(NULL, LEAF_CHUNK, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			pm_err("out of memory");
			exit(EXIT_FAIL);
		}
		madvise(p, LEAF_CHUNK, MADV_HUGEPAGE);
		madvise(p, LEAF_CHUNK, MADV_POPULATE_WRITE);
		chunk = p;
		used = 0;
	}
	used += size;
	return chunk + used - size;
}

/* The LEAF_SIZE frame counters of a leaf, from its first frame counted alone. */
static inline uint32_t *leaf_frames(struct leaf *l)
{
	if (!l->frame)
		l->frame = chunk_alloc(LEAF_SIZE * sizeof(*l->frame));
	return l->frame;
}

static struct leaf **counts_slot(struct counts *c, uint64_t key)
{
	size_t i, mask = c->size - 1;

	for (i = (key * 0x9e3779b97f4a7c15ULL) >> 40 & mask;; i = (i + 1) & mask)
		if (!c->leaves[i] || c->keys[i] == key)
			return &c->leaves[i];
}

static struct leaf *counts_leaf(struct counts *c, uint64_t pfn)
{
	uint64_t key = pfn >> LEAF_SHIFT;
	struct leaf **slot;
	size_t i;

	if (!c->size) {
		c->size = 64;
		c->keys = xcalloc(c->size, sizeof(*c->keys));
		c->leaves = xcalloc(c->size, sizeof(*c->leaves));
	}
	slot = counts_slot(c, key);
	if (*slot)
		return *slot;
	if (2 * (c->used + 1) > c->size) {
		struct counts n = { 0 };

		n.size = c->size * 2;
		n.keys = xcalloc(n.size, sizeof(*n.keys));
		n.leaves = xcalloc(n.size, sizeof(*n.leaves));
		for (i = 0; i < c->size; i++) {
			if (!c->leaves[i])
				continue;
			slot = counts_slot(&n, c->keys[i]);
			*slot = c->leaves[i];
			n.keys[slot - n.leaves] = c->keys[i];
		}
		n.used = c->used;
		n.by_id = c->by_id;
		n.ids_cap = c->ids_cap;
		free(c->keys);
		free(c->leaves);
		*c = n;
		slot = counts_slot(c, key);
	}
	*slot = chunk_alloc(sizeof(struct leaf));
	c->keys[slot - c->leaves] = key;
	grow(&c->by_id, &c->ids_cap, c->used + 1, sizeof(*c->by_id));
	c->by_id[c->used] = *slot;
	(*slot)->id = c->used++;
	return *slot;
}

/* Counts one more mapping of frames [off, off + n) of a leaf. */
static void leaf_count(struct leaf *l, uint32_t off, uint32_t n)
{
	uint32_t end = off + n, to, b, i, *frame;

	for (; off < end; off = to) {
		b = off >> BLOCK_SHIFT;
		to = (b + 1) << BLOCK_SHIFT;
		if (to > end)
			to = end;
		if (to - off == BLOCK_SIZE) {
			l->block[b]++;
			continue;
		}
		l->mixed[b] = true;
		frame = leaf_frames(l);
		for (i = off; i < to; i++)
			frame[i]++;
	}
}

/* Frames [off, off + n) of one leaf that a process maps: 8 bytes a run. */
struct leaf_run {
	uint32_t leaf;		/* counts.by_id */
	uint16_t off, n;
};

struct pss_proc {
	pid_t pid;
	char comm[64];
	bool ok, wanted, kthread;
	int err;
	struct leaf_run *runs;	/* the frames it maps */
	size_t nr_runs, cap;
	uint64_t nr;		/* pages */
	uint64_t own;		/* of them, pages mapped only here (ENTRY_OWN) */
	unsigned int shift;
	uint64_t rss_kb, pss_kb, uss_kb;
};

struct pss_ctx {
	struct pss_proc *pp;
	const struct proc *p;
	struct counts *counts;
	struct leaf *leaf;
	uint64_t leafkey;
};

/* Notes that the process maps frames [off, off + n) of the current leaf. */
static inline void pss_note(struct pss_ctx *c, uint32_t off, uint32_t n)
{
	struct pss_proc *pp = c->pp;
	struct leaf_run *last = &pp->runs[pp->nr_runs - 1];

	if (pp->nr_runs && last->leaf == c->leaf->id &&
	    last->off + last->n == off) {
		last->n += n;
		return;
	}
	grow(&pp->runs, &pp->cap, pp->nr_runs + 1, sizeof(*pp->runs));
	last = &pp->runs[pp->nr_runs++];
	last->leaf = c->leaf->id;
	last->off = off;
	last->n = n;
}

/* Counts one more mapping of the n frames from pfn on, for the process. */
static void pss_count(struct pss_ctx *c, uint64_t pfn, uint64_t n)
{
	c->pp->nr += n;
	while (n) {
		uint32_t off = pfn & (LEAF_SIZE - 1);
		uint32_t k = n < LEAF_SIZE - off ? n : LEAF_SIZE - off;

		if (pfn >> LEAF_SHIFT != c->leafkey) {
			c->leafkey = pfn >> LEAF_SHIFT;
			c->leaf = counts_leaf(c->counts, pfn);
		}
		if (k == 1) {
			/* The common case of 4 KiB pages, kept short. */
			leaf_frames(c->leaf)[off]++;
			c->leaf->mixed[off >> BLOCK_SHIFT] = true;
		} else {
			leaf_count(c->leaf, off, k);
		}
		pss_note(c, off, k);
		pfn += k;
		n -= k;
	}
}

static void pss_batch(void *arg, size_t vi, uint64_t vpn, const uint64_t *e,
		      size_t n)
{
	struct pss_ctx *c = arg;
	size_t i, j;

	(void)vpn;
	if (c->p->vmas[vi].hugetlb)
		return;
	for (i = 0; i < n; i = j) {
		j = i + 1;
		if (e[i] != PMAP_NOT_PRESENT && e[i] & ENTRY_OWN) {
			/*
			 * Mapped once, here: its count is 1 whatever else
			 * we read, so it needs no counter (nor can it be a
			 * zero page: those are not anonymous).
			 */
			c->pp->nr++;
			c->pp->own++;
			continue;
		}
		if (!counted(e[i]))
			continue;
		/* A run of consecutive frames: a huge page, say. */
		for (j = i + 1; j < n && e[j] == e[i] + (j - i) && counted(e[j]);
		     j++)
			;
		pss_count(c, e[i], j - i);
	}
}

/* A run of a huge page: counted as a whole unless it holds a zero page. */
static void pss_run(void *arg, size_t vi, uint64_t vpn, uint64_t pfn,
		    size_t n)
{
	struct pss_ctx *c = arg;
	uint64_t i;

	(void)vpn;
	if (c->p->vmas[vi].hugetlb)
		return;
	/* Counted by blocks all the same: that is cheap for a huge page. */
	pfn &= ~ENTRY_OWN;
	if ((!zp.have_zero || pfn >= zp.zero + zp.zero_nr ||
	     zp.zero >= pfn + n) &&
	    (!zp.have_huge || zp.huge >= pfn + n || pfn >= zp.huge + zp.huge_nr)) {
		pss_count(c, pfn, n);
		return;
	}
	/* Never seen in practice: a huge page holds no zero page. */
	for (i = 0; i < n; i++)
		if (counted(pfn + i))
			pss_count(c, pfn + i, 1);
}

/* Pss (in 1 << PSS_SHIFT parts of a byte) and Uss (pages) of a process. */
static void pss_sum(const struct counts *c, const struct pss_proc *q,
		    uint64_t *pss, uint64_t *uss)
{
	uint64_t ps = (1ULL << q->shift) << PSS_SHIFT, share = 0;
	uint32_t last = 0;
	size_t j;

	*pss = 0;
	*uss = 0;
	for (j = 0; j < q->nr_runs; j++) {
		const struct leaf *l = c->by_id[q->runs[j].leaf];
		uint32_t off = q->runs[j].off, end = off + q->runs[j].n, to, b, i;

		for (; off < end; off = to) {
			uint32_t m;

			b = off >> BLOCK_SHIFT;
			to = (b + 1) << BLOCK_SHIFT;
			if (to > end)
				to = end;
			m = l->block[b];
			if (!l->mixed[b]) {
				/* Every frame of the block is mapped m times. */
				if (m == 1) {
					*pss += (to - off) * ps;
					*uss += to - off;
				} else {
					*pss += (to - off) * (ps / m);
				}
				continue;
			}
			for (i = off; i < to; i++) {
				uint32_t k = m + l->frame[i];

				if (k == 1) {
					*pss += ps;
					++*uss;
				} else {
					/* Mostly the same count again: divide once. */
					if (k != last) {
						last = k;
						share = ps / k;
					}
					*pss += share;
				}
			}
		}
	}
}

static void pss_scan_one(struct pss_proc *pp, struct counts *counts,
			 uint64_t *buf, bool report)
{
	struct pss_ctx c = { pp, NULL, counts, NULL, UINT64_MAX };
	const struct scan_cb cb = {
		.batch = pss_batch, .run = pss_run, .huge = zero_scan_huge,
		.arg = &c
	};
	struct reader r;
	struct proc p;
	int ret;

	/* No mappings, no memory: nothing to count, nor to say unless asked. */
	ret = proc_open(&p, pp->pid, &r, !pp->wanted);
	if (ret > 0) {
		pp->kthread = true;
		return;
	}
	if (!ret) {
		snprintf(pp->comm, sizeof(pp->comm), "%s", p.comm);
		pp->shift = r.hdr.page_shift;
		pp->kthread = r.empty || !p.nr_vmas;
		c.p = &p;
		r.tag_own = true;
		ret = scan_proc(&r, &p, buf, &cb);
		reader_close(&r);
		proc_free(&p);
	}
	if (ret) {
		/* Its frames stay counted: they were mapped while we looked. */
		pp->nr = 0;
		pp->own = 0;
		pp->nr_runs = 0;
		pp->err = ret;
		if (report)
			pm_err("pid %d: %s, skipped", pp->pid,
			       ret == -ENOENT || ret == -ESRCH ?
			       "exited during the scan" : why(-ret));
		return;
	}
	pp->ok = true;
}

int cmd_pss(int argc, char **argv)
{
	struct counts counts = { 0 };
	struct pss_proc *pp;
	size_t npids, i, j, nout = 0;
	bool all = !argc, progress, shown = false, failed = false;
	double t0 = now(), last = 0, after = 1;
	uint64_t *buf;
	pid_t *pids, *want = NULL;

	if (argc) {
		want = xcalloc(argc, sizeof(*want));
		for (i = 0; i < (size_t)argc; i++)
			if (parse_pid(argv[i], &want[i])) {
				free(want);
				return EXIT_FAIL;
			}
	}
	if (need_frames()) {
		free(want);
		return EXIT_FAIL;
	}
	pids = all_pids(&npids);
	/* Asked-for pids that /proc does not list are still tried (threads). */
	for (i = 0; i < (size_t)argc; i++) {
		for (j = 0; j < npids; j++)
			if (pids[j] == want[i])
				break;
		if (j == npids) {
			pids = xrealloc(pids, (npids + 1) * sizeof(*pids));
			pids[npids++] = want[i];
		}
	}
	pp = xcalloc(npids, sizeof(*pp));
	/* Filled by each read before use: not cleared (see raw_buffer()). */
	buf = xrealloc(NULL, BATCH * sizeof(*buf));
	/* After a second on a terminal (PAGEMAP_PROGRESS_AFTER: other seconds). */
	progress = isatty(STDERR_FILENO);
	if (getenv("PAGEMAP_PROGRESS_AFTER"))
		after = atof(getenv("PAGEMAP_PROGRESS_AFTER"));
	for (i = 0; i < npids; i++) {
		pp[i].pid = pids[i];
		for (j = 0; j < (size_t)argc; j++)
			if (want[j] == pids[i])
				pp[i].wanted = true;
		pss_scan_one(&pp[i], &counts, buf, all);
		if (progress && now() - t0 >= after && now() - last > 0.1) {
			last = now();
			fprintf(stderr, "\rpagemap: scanning processes: %zu/%zu",
				i + 1, npids);
			shown = true;
		}
	}
	if (shown)
		fprintf(stderr, "\r%60s\r", "");

	for (i = 0; i < npids; i++) {
		struct pss_proc *q = &pp[i];
		uint64_t ps, pss = 0, uss = 0;

		if (!q->ok)
			continue;
		ps = 1ULL << q->shift;
		pss_sum(&counts, q, &pss, &uss);
		pss += q->own * (ps << PSS_SHIFT);
		uss += q->own;
		q->rss_kb = (q->nr * ps) >> 10;
		q->pss_kb = pss >> (PSS_SHIFT + 10);
		q->uss_kb = (uss * ps) >> 10;
	}

	/* Report: every readable process, or the asked ones in the asked order. */
	if (opt.json)
		putchar('[');
	else
		printf("%7s  %-16s %8s %8s %8s\n", "PID", "COMM", "RSS", "PSS", "USS");
	for (i = 0; i < (all ? npids : (size_t)argc); i++) {
		struct pss_proc *q = &pp[i];
		char h1[16], h2[16], h3[16];

		if (!all) {
			for (j = 0; j < npids; j++)
				if (pp[j].pid == want[i])
					break;
			q = &pp[j];
			if (!q->ok) {
				pm_err("pid %d: %s", q->pid, why(-q->err));
				failed = true;
				continue;
			}
		} else if (!q->ok || q->kthread) {
			continue;
		}
		if (opt.json) {
			printf("%s\n{\"pid\": %d, \"comm\": ", nout ? "," : "", q->pid);
			json_str(stdout, q->comm);
			printf(", \"rss_kb\": %" PRIu64 ", \"pss_kb\": %" PRIu64
			       ", \"uss_kb\": %" PRIu64 "}",
			       q->rss_kb, q->pss_kb, q->uss_kb);
		} else {
			printf("%7d  %-16s %8s %8s %8s\n", q->pid, q->comm,
			       human_kb(q->rss_kb, h1, sizeof(h1)),
			       human_kb(q->pss_kb, h2, sizeof(h2)),
			       human_kb(q->uss_kb, h3, sizeof(h3)));
		}
		nout++;
	}
	if (opt.json)
		printf("\n]\n");

	for (i = 0; i < npids; i++)
		free(pp[i].runs);
	free(counts.keys);
	free(counts.leaves);
	free(counts.by_id);
	free(pp);
	free(pids);
	free(want);
	free(buf);
	return failed ? EXIT_FAIL : EXIT_OK;
}

/* ---- captured maps: dump and capture ------------------------------------ */

struct dump_range {
	uint64_t vpn, n;
	struct runs runs;
};

int cmd_dump(int argc, char **argv)
{
	struct dump_range *rg = NULL;
	size_t nrg = 0, cap = 0, i;
	uint64_t *buf, present = 0, pos;
	struct reader r;
	struct stat st;
	unsigned int shift;
	int ret = EXIT_FAIL, w = 8;

	(void)argv;
	if (argc || !opt.file) {
		pm_err("dump reads a captured map: pagemap dump --file FILE");
		return EXIT_USAGE;
	}
	memset(&r, 0, sizeof(r));
	r.fd = -1;
	ret = reader_open_module(&r, opt.file);
	if (ret || r.empty || fstat(r.fd, &st)) {
		pm_err("%s: %s", opt.file, r.empty ? "empty file, no header" :
		       ret == -EPROTO ? "not a page map: its header is not one this tool knows" :
		       strerror(ret ? -ret : errno));
		reader_close(&r);
		return EXIT_FAIL;
	}
	ret = EXIT_FAIL;
	shift = r.hdr.page_shift;
	buf = xcalloc(BATCH, sizeof(*buf));
	pos = r.hdr.header_size;
	while (pos < (uint64_t)st.st_size) {
		/* Skip the holes of a sparse capture: nothing was captured there. */
		off_t data = lseek(r.fd, pos, SEEK_DATA), hole;
		uint64_t vpn, n, end;
		ssize_t got;

		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0)
			data = pos;
		hole = lseek(r.fd, data, SEEK_HOLE);
		if (hole < 0)
			hole = st.st_size;
		vpn = ((uint64_t)data - r.hdr.header_size) / r.hdr.entry_size;
		end = ((uint64_t)hole - r.hdr.header_size) / r.hdr.entry_size;
		if (end <= vpn) {
			pos = hole > data ? (uint64_t)hole : (uint64_t)data + 1;
			continue;
		}
		n = end - vpn < BATCH ? end - vpn : BATCH;
		if (!n)
			break;
		got = reader_read(&r, vpn, n, buf);
		if (got <= 0) {
			pm_err("%s: %s", opt.file, got ? strerror(-got) : "short read");
			goto out;
		}
		for (i = 0; i < (size_t)got; i++) {
			struct dump_range *last = nrg ? &rg[nrg - 1] : NULL;

			if (buf[i] == PMAP_NOT_PRESENT)
				continue;
			present++;
			if (!last || last->vpn + last->n != vpn + i) {
				grow(&rg, &cap, nrg + 1, sizeof(*rg));
				last = &rg[nrg++];
				memset(last, 0, sizeof(*last));
				last->vpn = vpn + i;
			}
			last->n++;
			runs_add(&last->runs, vpn + i, &buf[i], 1);
		}
		pos = pmap_entry_offset(&r.hdr, vpn + got);
	}
	if (nrg) {
		uint64_t top = (rg[nrg - 1].vpn + rg[nrg - 1].n) << shift;

		while (w < 16 && top >> (4 * w))
			w++;
	}
	if (opt.json) {
		printf("{\"file\": ");
		json_str(stdout, opt.file);
		printf(", \"little_endian\": %s, \"page_shift\": %u, \"page_size\": %llu",
		       r.hdr.little_endian ? "true" : "false", shift, 1ULL << shift);
		printf(", \"entry_size\": %u, \"present_pages\": %" PRIu64
		       ", \"ranges\": [", r.hdr.entry_size, present);
		for (i = 0; i < nrg; i++) {
			printf("%s\n{\"start\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64
			       "\", \"pages\": %" PRIu64 ", \"runs\": ",
			       i ? "," : "", rg[i].vpn << shift,
			       (rg[i].vpn + rg[i].n) << shift, rg[i].n);
			runs_json(stdout, &rg[i].runs, shift);
			putchar('}');
		}
		printf("\n]}\n");
	} else {
		static const char *const heads[] = { "ADDRESS", "PAGES", "SIZE" };
		struct table t = { .ncols = 3, .heads = heads, .align = "lrr" };
		char h[16];

		printf("%s: %s-endian, %llu-byte pages (shift %u), ", opt.file,
		       r.hdr.little_endian ? "little" : "big", 1ULL << shift, shift);
		printf("%u-byte entries, %" PRIu64 " present pages\n",
		       r.hdr.entry_size, present);
		for (i = 0; i < nrg; i++) {
			char range[40], pages[24];

			snprintf(range, sizeof(range), "%0*" PRIx64 "-%0*" PRIx64,
				 w, rg[i].vpn << shift, w,
				 (rg[i].vpn + rg[i].n) << shift);
			snprintf(pages, sizeof(pages), "%" PRIu64, rg[i].n);
			table_row(&t, opt.no_frames ? NULL : runs_text(&rg[i].runs, "    "),
				  range, pages,
				  human_kb((rg[i].n << shift) >> 10, h, sizeof(h)));
		}
		if (nrg)
			table_print(&t);
	}
	ret = EXIT_OK;
out:
	for (i = 0; i < nrg; i++)
		free(rg[i].runs.r);
	free(rg);
	free(buf);
	reader_close(&r);
	return ret;
}

/* Captures are filled with -1 in chunks of this size around every mapping. */
#define CAPTURE_CHUNK	65536

struct capture_ctx {
	int fd;
	uint64_t filled;	/* bytes below this are written */
	struct pmap_header h;
	unsigned char *out;
	int err;
};

/*
 * Fills the chunks around [off, off + len) with -1 entries, so that what the
 * reader finds between the holes of the sparse file is all real entries.
 */
static void capture_fill(struct capture_ctx *c, uint64_t off, uint64_t len)
{
	static unsigned char ones[CAPTURE_CHUNK];
	uint64_t from = off & ~(uint64_t)(CAPTURE_CHUNK - 1);
	uint64_t to = (off + len + CAPTURE_CHUNK - 1) & ~(uint64_t)(CAPTURE_CHUNK - 1);

	if (!ones[0])
		memset(ones, 0xff, sizeof(ones));
	if (from < c->filled)
		from = c->filled;
	for (; from < to && !c->err; from += CAPTURE_CHUNK)
		if (pwrite(c->fd, ones, CAPTURE_CHUNK, from) != CAPTURE_CHUNK)
			c->err = errno ? errno : EIO;
	if (to > c->filled)
		c->filled = to;
}

static void capture_batch(void *arg, size_t vi, uint64_t vpn, const uint64_t *e,
			  size_t n)
{
	struct capture_ctx *c = arg;
	size_t i, len = n * c->h.entry_size;

	(void)vi;
	/* Batches with nothing present stay holes: dump reads them as absent. */
	for (i = 0; i < n && e[i] == PMAP_NOT_PRESENT; i++)
		;
	if (i == n)
		return;
	for (i = 0; i < n; i++)
		pmap_put_entry(&c->h, e[i], c->out + i * c->h.entry_size);
	capture_fill(c, pmap_entry_offset(&c->h, vpn), len);
	if (!c->err && pwrite(c->fd, c->out, len,
			      pmap_entry_offset(&c->h, vpn)) != (ssize_t)len)
		c->err = errno ? errno : EIO;
}

/*
 * Saves the map of a process for reading elsewhere: the module's format
 * (header and entries at their offsets) in a sparse file, holes where no
 * page is present.
 */
int cmd_capture(int argc, char **argv)
{
	struct capture_ctx c = { 0 };
	const struct scan_cb cb = { .batch = capture_batch, .arg = &c };
	unsigned char hdr[8] = { 0 };
	struct reader r;
	struct proc p;
	uint64_t *buf;
	pid_t pid;
	int ret;

	if (argc != 2) {
		pm_err("capture takes a pid and a file name (see pagemap --help)");
		return EXIT_USAGE;
	}
	if (parse_pid(argv[0], &pid))
		return EXIT_FAIL;
	ret = proc_open(&p, pid, &r, false);
	if (ret)
		return proc_error(pid, ret);
	if (r.empty || !p.nr_vmas) {
		pm_err("pid %d: no address space (kernel thread)", pid);
		ret = EXIT_FAIL;
		goto out;
	}
	c.h = r.hdr;
	c.h.header_size = c.h.entry_size;
	hdr[PMAP_HDR_ENDIAN] = c.h.little_endian;
	hdr[PMAP_HDR_PAGE_SHIFT] = c.h.page_shift;
	hdr[PMAP_HDR_ENTRY_SIZE] = c.h.entry_size;
	hdr[PMAP_HDR_HEADER_SIZE] = c.h.header_size;
	c.fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (c.fd < 0) {
		pm_err("%s: %s", argv[1], strerror(errno));
		ret = EXIT_FAIL;
		goto out;
	}
	c.out = xcalloc(BATCH, c.h.entry_size);
	buf = xcalloc(BATCH, sizeof(*buf));
	capture_fill(&c, 0, c.h.header_size);
	if (pwrite(c.fd, hdr, c.h.header_size, 0) != (ssize_t)c.h.header_size)
		c.err = errno;
	ret = scan_proc(&r, &p, buf, &cb);
	free(buf);
	free(c.out);
	if (close(c.fd) && !c.err)
		c.err = errno;
	if (ret) {
		ret = proc_error(pid, ret);
	} else if (c.err) {
		pm_err("%s: %s", argv[1], strerror(c.err));
		ret = EXIT_FAIL;
	}
out:
	reader_close(&r);
	proc_free(&p);
	return ret;
}

/* ---- command line ------------------------------------------------------- */

static int cmd_help(int argc, char **argv);

static const struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *help;
} subcommands[] = {
	{ "maps", cmd_maps, "PID",
	  "each mapping with its present pages and frame runs" },
	{ "share", cmd_share, "PID1 PID2",
	  "the frames both processes map, in total and per pair of mappings" },
	{ "pss", cmd_pss, "[PID...]",
	  "Rss, Pss and Uss from frame counts over every readable process" },
	{ "dump", cmd_dump, "--file FILE",
	  "decode a captured map (any byte order, entry size, page size)" },
	{ "capture", cmd_capture, "PID FILE",
	  "save a process's map in the module's format, for dump" },
	{ "help", cmd_help, "", "this text" },
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "source", required_argument, NULL, 's' },
	{ "file", required_argument, NULL, 'f' },
	{ "no-frames", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: pagemap [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < ARRAY_SIZE(subcommands); i++) {
		char head[40];

		snprintf(head, sizeof(head), "%s %s", subcommands[i].name,
			 subcommands[i].args);
		fprintf(f, "  %-22s %s\n", head, subcommands[i].help);
	}
	fprintf(f, "\nOptions (before or after the command):\n"
		"  -j, --json             machine-readable output with stable keys\n"
		"  -s, --source SOURCE    module (" PMAP_MOUNT "/PID), kernel (/proc/PID/pagemap)\n"
		"                         or auto (default: module when mounted)\n"
		"  -f, --file FILE        the captured map that dump reads\n"
		"  -n, --no-frames        maps, dump: leave out the frame runs\n"
		"  -h, --help             this text\n"
		"  -V, --version          the version\n"
		"\nExit status: 0 success, 1 failure (bad pid, no such process,\n"
		"permission denied, hidden frame numbers), 2 usage error\n");
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print_usage(stdout);
	return EXIT_OK;
}

/* Parses options; returns -1 to go on, or an exit status. */
static int parse_opts(int argc, char **argv, const char *stop)
{
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, stop, long_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opt.json = true;
			break;
		case 'n':
			opt.no_frames = true;
			break;
		case 'f':
			opt.file = optarg;
			break;
		case 's':
			if (!strcmp(optarg, "module")) {
				opt.source = SRC_MODULE;
			} else if (!strcmp(optarg, "kernel")) {
				opt.source = SRC_KERNEL;
			} else if (!strcmp(optarg, "auto")) {
				opt.source = SRC_AUTO;
			} else {
				pm_err("--source takes module, kernel or auto, not '%s'",
				       optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			print_usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("pagemap %s\n", PMAP_VERSION);
			return EXIT_OK;
		default:
			fprintf(stderr, "Try 'pagemap --help'.\n");
			return EXIT_USAGE;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	const struct subcommand *sc = NULL;
	size_t i;
	int ret;

	/*
	 * Keep freed memory for the next process's buffers: each mmap() and
	 * munmap() of a large allocation costs more than what it holds.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	ret = parse_opts(argc, argv, "+js:f:nhV");
	if (ret >= 0)
		return ret;
	if (optind >= argc) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(argv[optind], subcommands[i].name))
			sc = &subcommands[i];
	if (!sc) {
		pm_err("unknown command '%s' (see pagemap --help)", argv[optind]);
		return EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	/* The command's own options and operands, in any order. */
	ret = parse_opts(argc, argv, "js:f:nhV");
	if (ret >= 0)
		return ret;
	return sc->fn(argc - optind, argv + optind);
}
