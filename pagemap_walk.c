// SPDX-License-Identifier: GPL-2.0
/*
 * The page-table walk behind /proc/pagemap/<pid>.
 *
 * walk_page_range() is not exported to modules, so this walks pgd, p4d,
 * pud, pmd and pte itself, with the target's mmap lock held for reading:
 *
 *  - Within a VMA, the pgd, p4d, pud and pmd tables cannot be freed while
 *    the mmap lock is held, so those levels are read in place.
 *  - A pte table can be freed under the mmap read lock (since 6.5 khugepaged
 *    retracts the tables of file mappings without it), but only after an RCU
 *    grace period. So the pmds are read and the tables they point to are
 *    walked inside an RCU read-side section, as __pte_offset_map() does
 *    (from 6.5: pmap_pte_read_begin()); each pmd is then read again, and if
 *    it changed its table is walked again, so the entries come from the
 *    table the pmd pointed to.
 *  - No page-table lock is taken: the map is a snapshot, and a page that
 *    changes during the read may show its old or its new state.
 *  - Entries are stored straight to the reader's buffer, a word at a time,
 *    with page faults disabled by the caller: the reader may be the target
 *    itself, and a fault would take the mmap lock again. A store that
 *    faults ends the walk; the caller faults the buffer in without the lock
 *    and calls again.
 *
 * A call walks at most one pte table, so that the caller drops the mmap lock
 * at least once per table; ranges without tables (holes between VMAs,
 * VM_PFNMAP mappings, empty upper-level entries, huge leaves) are filled
 * without walking.
 *
 * The same walk answers SEEK_DATA and SEEK_HOLE (pmap_seek()): instead of
 * storing the entries of a range, it looks for the first one that is
 * present (data) or not (a hole), with the same decisions. A range without
 * a table is one step, a pte table PMAP_SEEK_TABLE_STEPS, and a call stops
 * after PMAP_SEEK_STEPS steps, so that a search across an empty address
 * space drops the lock about as often as a read does.
 */
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/uaccess.h>

#include "pagemap_compat.h"
#include "pagemap_walk.h"

/*
 * The most steps of one call of pmap_seek(): a range without a pte table is
 * one, a pte table looked at entry by entry PMAP_SEEK_TABLE_STEPS. So one
 * hold of the mmap lock tests at most 8 tables' 4096 entries, about what a
 * read of one table stores, and a sparse mapping (a present page here and
 * there) is searched table after table without dropping the lock each time.
 */
#define PMAP_SEEK_STEPS		512
#define PMAP_SEEK_TABLE_STEPS	64

enum pmap_walk_mode {
	PMAP_STORE,		/* store every entry to out */
	PMAP_FIND_DATA,		/* find the first present page */
	PMAP_FIND_HOLE,		/* find the first page that is not present */
};

struct pmap_walk_state {
	enum pmap_walk_mode mode;
	unsigned long __user *out;	/* next entry to store */
	bool show_pfn;		/* else present pages read as 0 */
	bool stop;		/* table walked, store faulted, or found */
	bool faulted;		/* a store faulted: out is where it failed */
	unsigned int steps;	/* how far a seek has looked: see above */
	bool hit;		/* a seek found what it looks for... */
	unsigned long found;	/* ...at this address */
};

/**
 * pmap_store_run - store entries @val, @val + @step, @val + 2 * @step...
 * @out: the reader's buffer
 * @val: the first entry
 * @step: what each entry adds to the one before
 * @n: how many
 *
 * Return: how many were stored, fewer than @n if the buffer faulted.
 */
unsigned long pmap_store_run(unsigned long __user *out, unsigned long val,
			     unsigned long step, unsigned long n)
{
	unsigned long i = 0;

	if (!user_access_begin(out, n * sizeof(*out)))
		return 0;
	for (; i < n; i++, val += step)
		unsafe_put_user(val, out + i, out_end_access);
out_end_access:
	user_access_end();
	return i;
}

/* pmap_store_run() at st->out; a fault stops the walk where it happened. */
static void pmap_store(struct pmap_walk_state *st, unsigned long val,
		       unsigned long step, unsigned long n)
{
	unsigned long stored = pmap_store_run(st->out, val, step, n);

	st->out += stored;
	if (stored < n) {
		st->stop = true;
		st->faulted = true;
	}
}

/*
 * A seek passes a range of pages that are all @present, from @addr: it
 * stops there if that is what it looks for, and after enough such steps.
 */
static void pmap_seek_past(struct pmap_walk_state *st, unsigned long addr,
			   bool present)
{
	bool data = st->mode == PMAP_FIND_DATA;

	if (present == data) {
		st->hit = true;
		st->found = addr;
		st->stop = true;
	} else if (++st->steps >= PMAP_SEEK_STEPS) {
		st->stop = true;
	}
}

/* Entries for [addr, end) that map nothing. */
static void pmap_fill_none(struct pmap_walk_state *st, unsigned long addr,
			   unsigned long end)
{
	if (st->mode != PMAP_STORE)
		pmap_seek_past(st, addr, false);
	else
		pmap_store(st, PMAP_NONE, 0, (end - addr) >> PAGE_SHIFT);
}

/*
 * Entries for [addr, end) inside a huge leaf (THP or hugetlb) that maps
 * frames from @pfn onwards at @base.
 */
static void pmap_fill_leaf(struct pmap_walk_state *st, unsigned long pfn,
			   unsigned long base, unsigned long addr,
			   unsigned long end)
{
	unsigned long n = (end - addr) >> PAGE_SHIFT;

	if (st->mode != PMAP_STORE)
		pmap_seek_past(st, addr, true);
	else if (st->show_pfn)
		pmap_store(st, pfn + ((addr - base) >> PAGE_SHIFT), 1, n);
	else
		pmap_store(st, 0, 0, n);
}

/*
 * Whether the @size bytes of a page-table entry at @p all read as 0. A
 * zeroed entry is an empty one on every architecture (where an empty one
 * is not zeroed, as on s390, the test just fails), so a seek for data
 * passes such entries without decoding them, and by the group where it
 * can (pmap_zeroed_group()).
 */
static bool pmap_zeroed(const void *p, size_t size)
{
	const unsigned long *w = p;
	unsigned long bits = 0;
	size_t k;

	for (k = 0; k < size / sizeof(*w); k++)
		bits |= READ_ONCE(w[k]);
	return !bits;
}

/*
 * The group a seek for data tests at once: eight words, or as many entries
 * as they hold (PMAP_ZERO_GROUP()). A seek across a sparse mapping spends
 * most of its time here, so the words are read as one expression: no
 * loop, and no register spilled, as a loop of READ_ONCE() would (a third
 * of the time of a sparse seek on 6.1).
 */
#define PMAP_ZERO_WORDS		8
#define PMAP_ZERO_GROUP(t)	(PMAP_ZERO_WORDS * sizeof(long) / sizeof(t))

static bool pmap_zeroed_group(const void *p)
{
	const unsigned long *w = p;

	/*
	 * Racy by design: plain loads, as the walk reads page tables without
	 * their lock. An entry that changes meanwhile may show either state,
	 * and one that is not zeroed is then read again on its own.
	 */
	return !data_race(w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] |
			  w[7]);
}

/*
 * The first of the @n entries from @table that is present (@data) or not:
 * @n if there is none.
 */
static unsigned long pmap_pte_find(pte_t *table, unsigned long n, bool data)
{
	const unsigned long group = PMAP_ZERO_GROUP(pte_t);
	unsigned long i;

	for (i = 0; i < n; i++) {
		while (data && i + group <= n && pmap_zeroed_group(table + i))
			i += group;
		if (i < n && pte_present(ptep_get_lockless(table + i)) == data)
			return i;
	}
	return n;
}

/*
 * How many of the @nr pmds from @pmdp are zeroed, up to the first that is
 * not: by the group, then one by one.
 */
static unsigned long pmap_pmds_zeroed(pmd_t *pmdp, unsigned long nr)
{
	const unsigned long group = PMAP_ZERO_GROUP(pmd_t);
	unsigned long k = 0;

	while (k + group <= nr && pmap_zeroed_group(pmdp + k))
		k += group;
	while (k < nr && pmap_zeroed(pmdp + k, sizeof(*pmdp)))
		k++;
	return k;
}

static void pmap_pte_range(struct pmap_walk_state *st, pmd_t *pmdval,
			   unsigned long addr, unsigned long end)
{
	unsigned long n = (end - addr) >> PAGE_SHIFT;
	unsigned long __user *out = st->out;
	pte_t *table = pmap_pte_map(pmdval, addr);
	unsigned long i, e;
	pte_t pte;

	st->stop = true;
	if (st->mode != PMAP_STORE) {
		i = pmap_pte_find(table, n, st->mode == PMAP_FIND_DATA);
		if (i < n) {
			st->hit = true;
			st->found = addr + (i << PAGE_SHIFT);
		}
		/* not found: go on to the next table if steps are left */
		st->steps += PMAP_SEEK_TABLE_STEPS;
		st->stop = st->hit || st->steps >= PMAP_SEEK_STEPS;
	} else if (pmap_pte_pfn_in_uaccess()) {
		if (!user_access_begin(out, n * sizeof(*out)))
			goto out_fault;
		for (i = 0; i < n; i++) {
			pte = ptep_get_lockless(table + i);
			e = PMAP_NONE;
			if (pte_present(pte))
				e = st->show_pfn ? pmap_uaccess_pte_pfn(pte) : 0;
			unsafe_put_user(e, out + i, out_end_access);
		}
		user_access_end();
	} else {
		/* pte_pfn() is a call here: one user access per entry */
		for (i = 0; i < n; i++) {
			pte = ptep_get_lockless(table + i);
			e = PMAP_NONE;
			if (pte_present(pte))
				e = st->show_pfn ? pte_pfn(pte) : 0;
			if (put_user(e, out + i))
				goto out_fault;
		}
	}
	pmap_pte_unmap(table);
	st->out += n;
	return;

out_end_access:
	user_access_end();
out_fault:
	pmap_pte_unmap(table);
	st->faulted = true;
}

static pmd_t pmap_read_pmd(pmd_t *pmdp)
{
	unsigned long flags;
	pmd_t pmd;

	pmap_pmd_read_begin(flags);
	pmd = pmdp_get_lockless(pmdp);
	pmap_pmd_read_end(flags);
	return pmd;
}

/* How often a pte table is walked again when its pmd changed meanwhile. */
#define PMAP_PMD_RETRIES	3

/* One pmd entry, [addr, end) within it, inside pmap_pte_read_begin(). */
static void pmap_pmd_entry(struct pmap_walk_state *st, pmd_t *pmdp,
			   unsigned long addr, unsigned long end)
{
	unsigned long __user *start = st->out;
	int tries = 0;
	pmd_t pmd;

again:
	st->out = start;
	st->hit = false;
	pmd = pmap_read_pmd(pmdp);
	if (pmd_none(pmd) || !pmd_present(pmd)) {
		/* empty, or a swap or migration entry */
		pmap_fill_none(st, addr, end);
	} else if (pmd_leaf(pmd)) {
		pmap_fill_leaf(st, pmd_pfn(pmd), addr & PMD_MASK, addr, end);
	} else if (pmd_bad(pmd)) {
		pmap_fill_none(st, addr, end);
	} else {
		pmap_pte_range(st, &pmd, addr, end);
		if (!st->faulted && !pmd_same(pmd, pmap_read_pmd(pmdp)) &&
		    ++tries < PMAP_PMD_RETRIES)
			goto again;
	}
}

static unsigned long pmap_pmd_range(struct pmap_walk_state *st, pud_t *pudp,
				    unsigned long addr, unsigned long end)
{
	pmd_t *pmdp = pmd_offset(pudp, addr);
	unsigned long next, nr, k;

	/* one section for all the tables of the range that a seek reads */
	pmap_pte_read_begin();
	do {
		next = pmd_addr_end(addr, end);
		if (st->mode == PMAP_FIND_DATA &&
		    pmap_zeroed(pmdp, sizeof(*pmdp))) {
			/* a seek for data passes zeroed pmds in one step */
			nr = DIV_ROUND_UP(end - next, PMD_SIZE);
			k = pmap_pmds_zeroed(pmdp + 1, nr);
			pmdp += k;
			next = k < nr ? next + k * PMD_SIZE : end;
			pmap_fill_none(st, addr, next);
		} else {
			pmap_pmd_entry(st, pmdp, addr, next);
		}
		if (st->stop)
			break;
	} while (pmdp++, addr = next, addr != end);
	pmap_pte_read_end();
	return next;
}

static unsigned long pmap_pud_range(struct pmap_walk_state *st, p4d_t *p4dp,
				    unsigned long addr, unsigned long end)
{
	pud_t *pudp = pud_offset(p4dp, addr);
	unsigned long next;

	do {
		pud_t pud = READ_ONCE(*pudp);

		next = pud_addr_end(addr, end);
		if (pud_none(pud)) {
			pmap_fill_none(st, addr, next);
		} else if (pud_leaf(pud)) {
			if (pud_present(pud))
				pmap_fill_leaf(st, pmap_pud_pfn(pud),
					       addr & PUD_MASK, addr, next);
			else
				pmap_fill_none(st, addr, next);
		} else if (pud_bad(pud)) {
			pmap_fill_none(st, addr, next);
		} else {
			next = pmap_pmd_range(st, pudp, addr, next);
		}
		if (st->stop)
			return next;
	} while (pudp++, addr = next, addr != end);
	return end;
}

static unsigned long pmap_p4d_range(struct pmap_walk_state *st, pgd_t *pgdp,
				    unsigned long addr, unsigned long end)
{
	p4d_t *p4dp = p4d_offset(pgdp, addr);
	unsigned long next;

	do {
		p4d_t p4d = READ_ONCE(*p4dp);

		next = p4d_addr_end(addr, end);
		if (p4d_none(p4d) || p4d_bad(p4d))
			pmap_fill_none(st, addr, next);
		else
			next = pmap_pud_range(st, p4dp, addr, next);
		if (st->stop)
			return next;
	} while (p4dp++, addr = next, addr != end);
	return end;
}

static unsigned long pmap_pgd_range(struct pmap_walk_state *st,
				    struct mm_struct *mm, unsigned long addr,
				    unsigned long end)
{
	pgd_t *pgdp = pgd_offset(mm, addr);
	unsigned long next;

	do {
		pgd_t pgd = READ_ONCE(*pgdp);

		next = pgd_addr_end(addr, end);
		if (pgd_none(pgd) || pgd_bad(pgd))
			pmap_fill_none(st, addr, next);
		else
			next = pmap_p4d_range(st, pgdp, addr, next);
		if (st->stop)
			return next;
	} while (pgdp++, addr = next, addr != end);
	return end;
}

/*
 * The walk over VMAs from @addr to @end, @vma = find_vma(@mm, @addr): until
 * the end, or until st->stop. Returns the address it reached.
 */
static unsigned long pmap_walk_vmas(struct pmap_walk_state *st,
				    struct mm_struct *mm,
				    struct vm_area_struct *vma,
				    unsigned long addr, unsigned long end)
{
	unsigned long next;

	while (addr < end && !st->stop) {
		if (vma && addr >= vma->vm_end)
			vma = pmap_vma_find(mm, addr);
		if (!vma || addr < vma->vm_start) {
			/* a hole up to the next mapping */
			next = vma ? min(vma->vm_start, end) : end;
			pmap_fill_none(st, addr, next);
		} else if (vma->vm_flags & VM_PFNMAP) {
			/* raw frames without struct pages: not reported */
			next = min(vma->vm_end, end);
			pmap_fill_none(st, addr, next);
		} else {
			next = pmap_pgd_range(st, mm, addr,
					      min(vma->vm_end, end));
		}
		addr = next;
	}
	return addr;
}

/**
 * pmap_walk - store map entries for a range of virtual pages
 * @mm: the address space, its mmap lock held for reading
 * @vma: find_vma(@mm, @addr), which the caller has already looked up
 * @addr: the first page, page aligned
 * @end: the end of the range, page aligned, above @addr
 * @out: the reader's buffer, room for (@end - @addr) >> PAGE_SHIFT entries
 * @show_pfn: report frame numbers; otherwise present pages read as 0
 *
 * Call with page faults disabled. Stops early, at the end of a pmd's range,
 * once it has walked one pte table, so that the caller can drop the mmap
 * lock; and where a store to @out faults.
 *
 * Return: the number of entries stored, or -EFAULT if the first store
 * faulted.
 */
long pmap_walk(struct mm_struct *mm, struct vm_area_struct *vma,
	       unsigned long addr, unsigned long end,
	       unsigned long __user *out, bool show_pfn)
{
	struct pmap_walk_state st = {
		.mode = PMAP_STORE, .out = out, .show_pfn = show_pfn,
	};

	pmap_walk_vmas(&st, mm, vma, addr, end);
	if (st.faulted && st.out == out)
		return -EFAULT;
	return st.out - out;
}

/**
 * pmap_seek - find the first present page, or the first one not present
 * @mm: the address space, its mmap lock held for reading
 * @vma: find_vma(@mm, @addr)
 * @addr: where to start, page aligned
 * @end: the end of the range, page aligned, above @addr
 * @data: look for a present page (SEEK_DATA), else for one not present
 * @found: set to the page's address when it is found
 *
 * A page is present exactly when pmap_walk() stores its frame (or 0).
 * Stops early, after PMAP_SEEK_STEPS steps (a range without a pte table is
 * one, a pte table PMAP_SEEK_TABLE_STEPS), so that the caller can drop the
 * mmap lock and look again from where this call stopped. Stores nothing:
 * never faults.
 *
 * Return: true with *@found set if the page was found; otherwise false,
 * and *@found is where to look next (@end if the range has none).
 */
bool pmap_seek(struct mm_struct *mm, struct vm_area_struct *vma,
	       unsigned long addr, unsigned long end, bool data,
	       unsigned long *found)
{
	struct pmap_walk_state st = {
		.mode = data ? PMAP_FIND_DATA : PMAP_FIND_HOLE,
	};
	unsigned long next = pmap_walk_vmas(&st, mm, vma, addr, end);

	*found = st.hit ? st.found : next;
	return st.hit;
}
