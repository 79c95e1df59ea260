// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap pss [PID...]: Rss, Pss and Uss from frame counts.
 */
#include "pss.h"

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
	struct pss_row row;
	bool ok, wanted, kthread;
	int err;
	struct leaf_run *runs;	/* the frames it maps */
	size_t nr_runs, cap;
	uint64_t nr;		/* pages */
	uint64_t own;		/* of them, pages mapped only here (ENTRY_OWN) */
	unsigned int shift;
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
	struct leaf_run *last = pp->nr_runs ? &pp->runs[pp->nr_runs - 1] : NULL;

	if (last && last->leaf == c->leaf->id &&
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
	ret = proc_open(&p, pp->row.pid, &r, !pp->wanted);
	if (ret > 0) {
		pp->kthread = true;
		return;
	}
	if (!ret) {
		snprintf(pp->row.comm, sizeof(pp->row.comm), "%s", p.comm);
		pp->row.source = r.be ? r.be->name : "kernel";
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
			pm_err("pid %d: %s, skipped", pp->row.pid,
			       ret == -ENOENT || ret == -ESRCH ?
			       "exited during the scan" :
			       proc_why(pp->row.pid, -ret));
		return;
	}
	pp->ok = true;
}

/*
 * Without frame numbers: the kernel's own sums, for the processes this
 * user may read (others are left out without a word, unless asked for).
 */
static void pss_smaps_one(struct pss_proc *pp)
{
	int ret = pss_smaps(pp->row.pid, &pp->row);

	pp->row.source = "smaps";
	pp->kthread = ret > 0;
	pp->ok = ret >= 0;
	pp->err = ret < 0 ? ret : 0;
}

/* Rss, Pss and Uss of a scanned process from the frame counts. */
static void pss_finish(const struct counts *counts, struct pss_proc *q)
{
	uint64_t ps = 1ULL << q->shift, pss = 0, uss = 0;

	pss_sum(counts, q, &pss, &uss);
	pss += q->own * (ps << PSS_SHIFT);
	uss += q->own;
	q->row.rss_kb = (q->nr * ps) >> 10;
	q->row.pss_kb = pss >> (PSS_SHIFT + 10);
	q->row.uss_kb = (uss * ps) >> 10;
	q->row.swap_kb = pss_swap_kb(q->row.pid);
}

/* How many times a frame of a leaf is mapped, by every process scanned. */
static inline uint32_t leaf_mapcount(const struct leaf *l, uint32_t i)
{
	return l->block[i >> BLOCK_SHIFT] + (l->frame ? l->frame[i] : 0);
}

/*
 * The pages of a group's Uss: the frames its processes map and no process
 * outside it does (each counted once, however many of them map it).
 */
static uint64_t group_uss(const struct counts *c, struct pss_proc *const *m,
			  size_t n)
{
	uint32_t **g = xcalloc(c->used, sizeof(*g)), *touched = NULL, id, i;
	size_t nt = 0, tcap = 0, k, j;
	uint64_t uss = 0;

	for (k = 0; k < n; k++) {
		uss += m[k]->own;
		for (j = 0; j < m[k]->nr_runs; j++) {
			const struct leaf_run *run = &m[k]->runs[j];

			id = run->leaf;
			if (!g[id]) {
				g[id] = xcalloc(LEAF_SIZE, sizeof(**g));
				grow(&touched, &tcap, nt + 1, sizeof(*touched));
				touched[nt++] = id;
			}
			for (i = run->off; i < (uint32_t)run->off + run->n; i++)
				g[id][i]++;
		}
	}
	for (k = 0; k < nt; k++) {
		id = touched[k];
		for (i = 0; i < LEAF_SIZE; i++)
			if (g[id][i] && g[id][i] == leaf_mapcount(c->by_id[id], i))
				uss++;
		free(g[id]);
	}
	free(touched);
	free(g);
	return uss;
}

/*
 * --by: one row per group of the processes, in groups[] (n rows at most).
 * Frames give each group an exact Uss; smaps_rollup only the sum of its
 * processes'.
 */
static size_t pss_group(const struct counts *c, struct pss_proc **procs,
			size_t n, struct pss_row *groups, bool smaps)
{
	struct pss_proc **m = xcalloc(n, sizeof(*m));
	size_t *gi = xcalloc(n, sizeof(*gi)), ng = 0, i, k, nm;
	char *key;

	for (i = 0; i < n; i++) {
		struct pss_row *r = &procs[i]->row;

		key = pss_group_key(r->pid, r->comm);
		for (k = 0; k < ng && strcmp(groups[k].group, key); k++)
			;
		if (k == ng) {
			memset(&groups[ng], 0, sizeof(*groups));
			groups[ng].group = key;
			groups[ng++].source = r->source;
		} else {
			free(key);
		}
		gi[i] = k;
		groups[k].processes++;
		groups[k].rss_kb += r->rss_kb;
		groups[k].pss_kb += r->pss_kb;
		groups[k].swap_kb += r->swap_kb;
		if (smaps)
			groups[k].uss_kb += r->uss_kb;
	}
	for (k = 0; !smaps && k < ng; k++) {
		for (i = 0, nm = 0; i < n; i++)
			if (gi[i] == k)
				m[nm++] = procs[i];
		groups[k].uss_kb = (group_uss(c, m, nm) << m[0]->shift) >> 10;
	}
	free(gi);
	free(m);
	return ng;
}

int cmd_pss(int argc, char **argv)
{
	struct counts counts = { 0 };
	struct pss_proc *pp, **procs;
	struct pss_row **rows, *groups = NULL;
	size_t npids, nprocs = 0, i, j;
	bool all = !argc, progress, shown = false, failed = false, smaps;
	double t0 = now(), last = 0, after = 1;
	uint64_t *buf = NULL;
	pid_t *pids, *want = NULL;
	int ret;

	ret = pss_opts_check();
	if (ret >= 0)
		return ret;
	if (argc) {
		want = xcalloc(argc, sizeof(*want));
		for (i = 0; i < (size_t)argc; i++)
			if (parse_pid(argv[i], &want[i])) {
				free(want);
				return EXIT_FAIL;
			}
		/* A thread stands for its process: the same mm, scanned once. */
		for (i = 0; i < (size_t)argc; i++)
			want[i] = proc_tgid(want[i]);
	}
	if (probe_zero(false)) {
		free(want);
		return EXIT_FAIL;
	}
	smaps = zp.hidden;
	if (smaps)
		pm_err("frame numbers are hidden from this user: Rss, Pss and Uss from /proc/PID/smaps_rollup, for this user's own processes%s",
		       opt.by ? "; a group's Uss is the sum of its processes'" : "");
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
	if (!smaps)
		buf = xrealloc(NULL, BATCH * sizeof(*buf));
	/* After a second on a terminal (PAGEMAP_PROGRESS_AFTER: other seconds). */
	progress = isatty(STDERR_FILENO);
	if (getenv("PAGEMAP_PROGRESS_AFTER"))
		after = atof(getenv("PAGEMAP_PROGRESS_AFTER"));
	for (i = 0; i < npids; i++) {
		pp[i].row.pid = pids[i];
		for (j = 0; j < (size_t)argc; j++)
			if (want[j] == pids[i])
				pp[i].wanted = true;
		if (smaps)
			pss_smaps_one(&pp[i]);
		else
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
	for (i = 0; !smaps && i < npids; i++)
		if (pp[i].ok)
			pss_finish(&counts, &pp[i]);

	/* Report: every readable process, or the asked ones in the asked order. */
	procs = xcalloc(npids + argc, sizeof(*procs));
	for (i = 0; i < (all ? npids : (size_t)argc); i++) {
		struct pss_proc *q = &pp[i];

		if (!all) {
			for (j = 0; j < npids; j++)
				if (pp[j].row.pid == want[i])
					break;
			q = &pp[j];
			if (!q->ok) {
				pm_err("pid %d: %s", q->row.pid,
				       proc_why(q->row.pid, -q->err));
				failed = true;
				continue;
			}
		} else if (!q->ok || q->kthread) {
			continue;
		}
		if (pss_row_wanted(&q->row))
			procs[nprocs++] = q;
	}
	rows = xcalloc(nprocs, sizeof(*rows));
	if (opt.by) {
		groups = xcalloc(nprocs, sizeof(*groups));
		j = pss_group(&counts, procs, nprocs, groups, smaps);
		for (i = 0; i < j; i++)
			rows[i] = &groups[i];
	} else {
		for (j = 0; j < nprocs; j++)
			rows[j] = &procs[j]->row;
	}
	pss_print(rows, j);

	for (i = 0; groups && i < j; i++)
		free(groups[i].group);
	free(groups);
	free(rows);
	free(procs);
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
