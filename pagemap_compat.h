/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels this module builds for lives here.
 * The rest of the code is written against the newest supported kernel; on
 * older ones this header supplies the helpers they lack. Checks are feature
 * tests or version comparisons. (checkpatch's LINUX_VERSION_CODE warnings
 * do not apply to this header: selecting by version is its job.)
 */
#ifndef _PAGEMAP_COMPAT_H
#define _PAGEMAP_COMPAT_H

#include <linux/version.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/irqflags.h>
#include <linux/pgtable.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "pagemap needs Linux 6.1 or later"
#endif
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
#error "pagemap supports Linux 6.1 to 6.13: d_revalidate() changed in 6.14"
#endif

#ifndef CONFIG_MMU
#error "pagemap needs an MMU: there are no page tables to report"
#endif

/*
 * pmdp_get_lockless() replaced pmd_read_atomic() in 6.5: both read a pmd
 * that may change under a reader holding no page-table lock, in one piece
 * where the pmd is wider than a long (32-bit PAE).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
static inline pmd_t pmdp_get_lockless(pmd_t *pmdp)
{
	return pmd_read_atomic(pmdp);
}
#endif

/*
 * Where a pmd is read in two halves, interrupts stay off while it is read,
 * so that a TLB-flush IPI (which precedes freeing the page table the pmd
 * points to) cannot slip between the halves. The name of the option
 * changed in 6.5.
 */
#if (defined(CONFIG_GUP_GET_PXX_LOW_HIGH) || \
	defined(CONFIG_GUP_GET_PTE_LOW_HIGH)) && \
	(defined(CONFIG_SMP) || defined(CONFIG_PREEMPT_RCU))
#define pmap_pmd_read_begin(flags)	local_irq_save(flags)
#define pmap_pmd_read_end(flags)	local_irq_restore(flags)
#else
#define pmap_pmd_read_begin(flags)	((void)(flags))
#define pmap_pmd_read_end(flags)	((void)(flags))
#endif

/*
 * Map the page table a pmd value points to, for reading. With HIGHPTE
 * (32-bit) page tables may live in high memory and must be mapped.
 * pte_offset_map() cannot be used: since 6.5 it calls __pte_offset_map(),
 * which 6.12 does not export.
 */
static inline pte_t *pmap_pte_map(pmd_t *pmdval, unsigned long addr)
{
#ifdef CONFIG_HIGHPTE
	return (pte_t *)kmap_local_page(pmd_page(*pmdval)) + pte_index(addr);
#else
	return pte_offset_kernel(pmdval, addr);
#endif
}

static inline void pmap_pte_unmap(pte_t *pte)
{
#ifdef CONFIG_HIGHPTE
	kunmap_local(pte);
#endif
}

/*
 * The frame of a present pte, read where user access is enabled. With x86's
 * PARAVIRT_XXL, pte_val() is a paravirt call, which must not run with user
 * access enabled (objtool rejects it): Xen PV guests translate machine
 * frames in it. Everywhere else it is the native value, so read that, and
 * let Xen PV guests take the walk that stores each entry on its own.
 */
#ifdef CONFIG_PARAVIRT_XXL
static inline bool pmap_pte_pfn_in_uaccess(void)
{
	return !cpu_feature_enabled(X86_FEATURE_XENPV);
}

static inline unsigned long pmap_uaccess_pte_pfn(pte_t pte)
{
	u64 v = native_pte_val(pte);

	/* PROT_NONE ptes hold their frame inverted (L1TF): undo that */
	v ^= protnone_mask(v);
	return (v & PTE_PFN_MASK) >> PAGE_SHIFT;
}
#else
static inline bool pmap_pte_pfn_in_uaccess(void)
{
	return true;
}

#define pmap_uaccess_pte_pfn(pte)	pte_pfn(pte)
#endif

/*
 * The frame of a PUD-level leaf (1 GiB hugetlb). powerpc's pud_pfn() is a
 * BUILD_BUG() stub, as its only callers are meant to be devmap paths; its
 * PUD leaves have the pte layout, so read them as a pte.
 */
#ifdef CONFIG_PPC64
#define pmap_pud_pfn(pud)	pte_pfn(pud_pte(pud))
#else
#define pmap_pud_pfn(pud)	pud_pfn(pud)
#endif

/* simple_inode_init_ts() appeared in 6.7 with the inode timestamp accessors. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
static inline struct timespec64 simple_inode_init_ts(struct inode *inode)
{
	struct timespec64 now = current_time(inode);

	inode->i_atime = now;
	inode->i_mtime = now;
	inode->i_ctime = now;
	return now;
}
#endif

/* inode_operations.setattr() takes a struct mnt_idmap since 6.3. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define pmap_idmap mnt_idmap
#else
#define pmap_idmap user_namespace
#endif

#endif /* _PAGEMAP_COMPAT_H */
