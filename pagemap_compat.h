/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels this module builds for lives here.
 * The rest of the code is written against the newest supported kernel; on
 * older ones this header supplies the helpers they lack. Checks are feature
 * tests or version comparisons. (checkpatch's LINUX_VERSION_CODE and
 * deprecated API warnings do not apply to this header: selecting by
 * version, and naming what old kernels have, is its job.)
 */
#ifndef _PAGEMAP_COMPAT_H
#define _PAGEMAP_COMPAT_H

#include <linux/version.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/irqflags.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched/coredump.h>
#include <linux/user_namespace.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0) || \
	LINUX_VERSION_CODE >= KERNEL_VERSION(7, 4, 0)
#error "pagemap supports Linux 5.10 to 7.3"
#endif

#ifndef CONFIG_MMU
#error "pagemap needs an MMU: there are no page tables to report"
#endif

/*
 * ptep_get_lockless() became generic in 5.11: one read of a pte that may
 * change under a reader holding no page-table lock, in one piece where the
 * pte is two words (32-bit PAE): the low half, the high half, and the low
 * half again until it is the same, as the pte is written low half last.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)
static inline pte_t ptep_get_lockless(pte_t *ptep)
{
#ifdef CONFIG_GUP_GET_PTE_LOW_HIGH
	pte_t pte;

	do {
		pte.pte_low = ptep->pte_low;
		smp_rmb();	/* the low half before the high half */
		pte.pte_high = ptep->pte_high;
		smp_rmb();	/* the high half before the low half again */
	} while (unlikely(pte.pte_low != ptep->pte_low));
	return pte;
#else
	return ptep_get(ptep);
#endif
}
#endif

/* kmap_local_page() appeared in 5.11; before, the walk maps atomically. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 11, 0)
#define kmap_local_page(page)	kmap_atomic(page)
#define kunmap_local(addr)	kunmap_atomic(addr)
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
 * The section a pte table is read in. From 6.5 a pte table can be freed
 * under the mmap read lock (khugepaged retracts the tables of file
 * mappings without the write lock), but only after an RCU grace period,
 * so the walk reads it inside rcu_read_lock(). Before, every path that
 * frees one holds the mmap lock for writing (6.1's khugepaged asserts
 * it), which the walk's read lock excludes: no section is needed.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define pmap_pte_read_begin()	rcu_read_lock()
#define pmap_pte_read_end()	rcu_read_unlock()
#else
#define pmap_pte_read_begin()	do { } while (0)
#define pmap_pte_read_end()	do { } while (0)
#endif

/*
 * Whether the target's page tables and VMAs are freed at its exit only
 * under the mmap lock held for writing: so from 6.1 exit_mmap() frees
 * them (it zaps the pages under the read lock first). There, a reader
 * that holds the read lock and sees mm_users above 0 needs no reference
 * of its own for as long as it holds the lock. Before, exit_mmap() takes
 * no lock, and only a reference (mmget_not_zero()) keeps them.
 */
#define PMAP_EXIT_UNDER_LOCK \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0))

/*
 * find_vma(@mm, @addr), the mmap lock held for reading. From 6.1 the
 * first step of a VMA iterator, as for_each_vma() takes it: the same
 * maple-tree walk, under that lock, without the RCU section find_vma()
 * adds of its own.
 */
static inline struct vm_area_struct *pmap_vma_find(struct mm_struct *mm,
						   unsigned long addr)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0)
	VMA_ITERATOR(vmi, mm, addr);

	return vma_next(&vmi);
#else
	return find_vma(mm, addr);
#endif
}

/*
 * A count that changes whenever the mmap lock, held for writing, is
 * released or downgraded (vma_end_write_all()), so that under the read
 * lock an unchanged count means no VMA was added, changed or freed since
 * it was read: mm->mm_lock_seq, which per-VMA locks keep. From 6.5, where
 * stacks also grow only under the write lock. Its first word is the count
 * whether it is an int (its first form) or a seqcount_t. False where there
 * is no such count.
 */
static inline bool pmap_mm_write_count(struct mm_struct *mm,
				       unsigned int *count)
{
#if defined(CONFIG_PER_VMA_LOCK) && \
	LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
	*count = READ_ONCE(*(unsigned int *)&mm->mm_lock_seq);
	return true;
#else
	return false;
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

/*
 * inode_operations.setattr() takes a struct mnt_idmap since 6.3, a struct
 * user_namespace from 5.12 to 6.2, neither before.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define PMAP_SETATTR_ARGS	struct mnt_idmap *idmap, struct dentry *dentry, \
				struct iattr *attr
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(5, 12, 0)
#define PMAP_SETATTR_ARGS	struct user_namespace *idmap, \
				struct dentry *dentry, struct iattr *attr
#else
#define PMAP_SETATTR_ARGS	struct dentry *dentry, struct iattr *attr
#endif

/* dentry_operations.d_revalidate() gained the parent and the name in 6.14. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 14, 0)
#define PMAP_D_REVALIDATE_ARGS	struct inode *dir, const struct qstr *name, \
				struct dentry *dentry, unsigned int flags
#else
#define PMAP_D_REVALIDATE_ARGS	struct dentry *dentry, unsigned int flags
#endif

/*
 * set_default_d_op() appeared in 6.17, when d_set_d_op() stopped being
 * exported: the dentry operations every new dentry of a superblock gets.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 17, 0)
static inline void set_default_d_op(struct super_block *sb,
				    const struct dentry_operations *ops)
{
	sb->s_d_op = ops;
}
#endif

/* generic_delete_inode() was renamed inode_just_drop() in 6.18. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 18, 0)
#define inode_just_drop	generic_delete_inode
#endif

/*
 * find_ge_pid() is exported since 6.0. It is the next allocated pid number
 * at or after @nr in the namespace's idr, which before is read directly;
 * both under rcu_read_lock().
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 0, 0)
static inline struct pid *pmap_find_ge_pid(int nr, struct pid_namespace *ns)
{
	return idr_get_next(&ns->idr, &nr);
}

#define find_ge_pid	pmap_find_ge_pid
#endif

/*
 * fault_in_safe_writeable() appeared in 5.16: it faults a user buffer in
 * for writing without writing to it (fault_in_pages_writeable(), before,
 * stores zeros, which a reader must never see in its buffer). Returns how
 * many bytes at the end it could not fault in.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 16, 0)
static inline size_t fault_in_safe_writeable(const char __user *uaddr,
					     size_t size)
{
	unsigned long addr = (unsigned long)uaddr, end = addr + size;
	struct mm_struct *mm = current->mm;
	unsigned long pos = addr;
	bool unlocked = false;

	if (!size)
		return 0;
	if (end < addr || !access_ok(uaddr, size))
		return size;
	mmap_read_lock(mm);
	while (pos < end) {
		/*
		 * With &unlocked the fault may drop the lock and retry (a
		 * userfaultfd waits for its handler that way); without, a
		 * userfaultfd-registered page fails at once.
		 */
		if (fixup_user_fault(mm, pos, FAULT_FLAG_WRITE, &unlocked))
			break;
		pos = (pos + PAGE_SIZE) & PAGE_MASK;
	}
	mmap_read_unlock(mm);
	return pos < end ? end - pos : 0;
}
#endif

/*
 * ptrace's task_still_dumpable(): is @task dumpable by its owner, or does
 * the caller have CAP_SYS_PTRACE over the user namespace of its last exec?
 * Since 7.2 both live in task->exec_state, which exec replaces under the
 * task lock and exec_update_lock: it is read under RCU, its dumpability
 * with READ_ONCE(). Before, they were in @mm, the task's mm.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 2, 0)
#include <linux/sched/exec_state.h>

static inline bool pmap_task_still_dumpable(struct task_struct *task,
					    struct mm_struct *mm)
{
	const struct task_exec_state *es;
	bool ok;

	rcu_read_lock();
	es = rcu_dereference(task->exec_state);
	ok = READ_ONCE(es->dumpable) == TASK_DUMPABLE_OWNER ||
	     ns_capable(es->user_ns, CAP_SYS_PTRACE);
	rcu_read_unlock();
	return ok;
}
#else
static inline bool pmap_task_still_dumpable(struct task_struct *task,
					    struct mm_struct *mm)
{
	return get_dumpable(mm) == SUID_DUMP_USER ||
	       ns_capable(mm->user_ns, CAP_SYS_PTRACE);
}
#endif

#endif /* _PAGEMAP_COMPAT_H */
