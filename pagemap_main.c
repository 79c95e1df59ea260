// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap - per-process maps of virtual pages to page frames, in the format
 * of the original 2007 /proc/pid/pagemap design, as a filesystem of type
 * "pagemap" mounted at /proc/pagemap (README.md shows how).
 *
 * This file holds the module init and exit, the filesystem (one file per
 * process, looked up and listed in the mounter's pid namespace, plus "self")
 * and the file operations. The page-table walk is in pagemap_walk.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/overflow.h>
#include <linux/pagemap.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>

#include "pagemap_compat.h"
#include "pagemap_walk.h"

#ifndef PMAP_VERSION
#define PMAP_VERSION "unknown"
#endif

#define PMAP_MAGIC		0x70676d70	/* "pgmp" */
#define PMAP_ENTRY_SIZE		sizeof(unsigned long)

/* Inode numbers: the root, "self", then each pid's number plus this. */
#define PMAP_ROOT_INO		1
#define PMAP_SELF_INO		2
#define PMAP_PID_INO_BASE	3

/* readdir positions: ".", "..", "self", then each pid's number plus this. */
#define PMAP_SELF_POS		2
#define PMAP_PID_POS_BASE	3

/*
 * The most entries stored under one hold of the mmap lock: those of one pte
 * table on x86_64. The walk stores them straight to the reader, so a read
 * uses no kernel buffer, whatever its size.
 */
#define PMAP_WALK_ENTRIES	(PAGE_SIZE / PMAP_ENTRY_SIZE)

/* The most entries of a hole between VMAs stored per step of a read. */
#define PMAP_HOLE_ENTRIES	(SZ_64K / PMAP_ENTRY_SIZE)

static struct proc_dir_entry *pmap_proc_dir;

/* What an open file reads: fixed at open, from the opener's rights. */
struct pmap_file {
	struct mm_struct *mm;	/* mmgrab()bed; NULL for kernel threads */
	bool show_pfn;		/* opener had CAP_SYS_ADMIN */
	seqlock_t vma_lock;	/* for the two below: see pmap_find_vma() */
	struct vm_area_struct *vma;	/* the VMA last looked up... */
	unsigned int vma_count;	/* ...at this pmap_mm_write_count() */
};

/*
 * May the current task read @task's map? ptrace_may_access() is not
 * exported, so this reproduces its PTRACE_MODE_READ_FSCREDS decision from
 * exported pieces: the credential match, dumpability and the commoncap
 * rule. Security modules' ptrace hooks cannot be called from a module and
 * are not consulted (see README.md).
 */
static bool pmap_may_read(struct task_struct *task, struct mm_struct *mm)
{
	const struct cred *cred = current_cred();
	const struct cred *tcred;
	bool ok;

	if (same_thread_group(task, current))
		return true;

	tcred = get_task_cred(task);
	ok = (uid_eq(cred->fsuid, tcred->euid) &&
	      uid_eq(cred->fsuid, tcred->suid) &&
	      uid_eq(cred->fsuid, tcred->uid) &&
	      gid_eq(cred->fsgid, tcred->egid) &&
	      gid_eq(cred->fsgid, tcred->sgid) &&
	      gid_eq(cred->fsgid, tcred->gid)) ||
	     ns_capable(tcred->user_ns, CAP_SYS_PTRACE);
	if (ok) {
		/* Read dumpability after the creds, as commit_creds() orders them. */
		smp_rmb();
		ok = pmap_task_still_dumpable(task, mm);
	}
	if (ok)
		ok = (cred->user_ns == tcred->user_ns &&
		      cap_issubset(tcred->cap_permitted, cred->cap_effective)) ||
		     ns_capable(tcred->user_ns, CAP_SYS_PTRACE);
	put_cred(tcred);
	return ok;
}

/*
 * The target's mm, with a reference, if the current task may read it; as
 * mm_access() does, under exec_update_lock so that an exec cannot swap the
 * mm or the creds between the check and the result. NULL for a task without
 * an mm (a kernel thread, or one that is exiting).
 */
static struct mm_struct *pmap_mm_access(struct task_struct *task)
{
	struct mm_struct *mm;
	int err;

	err = down_read_killable(&task->signal->exec_update_lock);
	if (err)
		return ERR_PTR(err);

	mm = get_task_mm(task);
	if (mm && mm != current->mm && !pmap_may_read(task, mm)) {
		mmput(mm);
		mm = ERR_PTR(-EACCES);
	}
	up_read(&task->signal->exec_update_lock);
	return mm;
}

static int pmap_open(struct inode *inode, struct file *file)
{
	struct task_struct *task;
	struct pmap_file *pf;
	struct mm_struct *mm;
	int ret = 0;

	if (file->f_mode & FMODE_WRITE)
		return -EACCES;

	/* Gone since the lookup: the same answer as a lookup would give now. */
	task = get_pid_task(inode->i_private, PIDTYPE_PID);
	if (!task)
		return -ENOENT;
	mm = pmap_mm_access(task);
	put_task_struct(task);
	if (IS_ERR(mm))
		return PTR_ERR(mm);

	pf = kzalloc(sizeof(*pf), GFP_KERNEL);
	if (!pf) {
		ret = -ENOMEM;
		goto out_put_mm;
	}
	pf->show_pfn = file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
	seqlock_init(&pf->vma_lock);
	if (mm) {
		/* Keep the mm_struct, not the memory: reads end at its exit. */
		mmgrab(mm);
		pf->mm = mm;
	}
	file->private_data = pf;

out_put_mm:
	if (mm)
		mmput(mm);
	return ret;
}

static int pmap_release(struct inode *inode, struct file *file)
{
	struct pmap_file *pf = file->private_data;

	if (pf->mm)
		mmdrop(pf->mm);
	kfree(pf);
	return 0;
}

/* The header entry: byte order, page shift, entry size, header size. */
static unsigned long pmap_header(void)
{
	unsigned long hdr = 0;
	u8 *b = (u8 *)&hdr;

#ifdef __LITTLE_ENDIAN
	b[0] = 1;
#endif
	b[1] = PAGE_SHIFT;
	b[2] = PMAP_ENTRY_SIZE;
	b[3] = PMAP_ENTRY_SIZE;
	return hdr;
}

/*
 * Waiting writers go first. A reader that drops the mmap lock and takes it
 * again at once can keep a woken writer (mmap(), munmap()) out: rwsem
 * readers may take the lock ahead of it until its handoff timeout, a jiffy
 * or more. A long read drops and takes the lock once per pte table, so
 * before taking it, let queued waiters be served first, for a short while.
 */
#define PMAP_YIELD_NS		(500 * NSEC_PER_USEC)

static void pmap_let_waiters_in(struct mm_struct *mm)
{
	u64 until;

	if (!mmap_lock_is_contended(mm))
		return;
	until = ktime_get_ns() + PMAP_YIELD_NS;
	do {
		usleep_range(10, 20);
	} while (mmap_lock_is_contended(mm) && ktime_get_ns() < until);
}

/*
 * find_vma(@pf->mm, @addr), the mmap lock held for reading. A reader of a
 * sparse map seeks and then reads a few entries, again and again, in the
 * same VMA, and the maple-tree lookup is about a tenth of such a call. So
 * the VMA last looked up is kept with the mm's write count of the time
 * (pmap_mm_write_count()): while the count is the same, no VMA has changed
 * or been freed, and the pointer is still that VMA (unless the count went
 * all the way round, 2^31 write sections or more, between two calls).
 * Readers of one file may race: the seqlock keeps the pointer and its
 * count together.
 */
static struct vm_area_struct *pmap_find_vma(struct pmap_file *pf,
					    unsigned long addr)
{
	struct vm_area_struct *vma, *kept;
	unsigned int count, seq;
	bool same;

	if (!pmap_mm_write_count(pf->mm, &count))
		return pmap_vma_find(pf->mm, addr);
	do {
		seq = read_seqbegin(&pf->vma_lock);
		kept = pf->vma;
		same = pf->vma_count == count;
	} while (read_seqretry(&pf->vma_lock, seq));
	if (kept && same && addr >= kept->vm_start && addr < kept->vm_end)
		return kept;
	vma = pmap_vma_find(pf->mm, addr);
	/* keep it, unless it is kept already (@addr is in the hole below) */
	if (vma && (vma != kept || !same)) {
		write_seqlock(&pf->vma_lock);
		pf->vma = vma;
		pf->vma_count = count;
		write_sequnlock(&pf->vma_lock);
	}
	return vma;
}

/*
 * Take the mmap lock for reading as reads and seeks take it, killable and
 * after any waiting writers, and find the VMA at or above @addr (*@vmap,
 * NULL above the last one). Returns 0; -EINTR on a fatal signal; or
 * -ESRCH, the lock released, once the target has exited (no mm_users):
 * its page tables and VMAs may be freed as soon as the lock is released
 * (see PMAP_EXIT_UNDER_LOCK), and its map reads nothing from then on.
 * Inlined: it runs once per step of every read and seek.
 */
static __always_inline int pmap_lock_find_vma(struct pmap_file *pf,
					      unsigned long addr,
					      struct vm_area_struct **vmap)
{
	struct mm_struct *mm = pf->mm;

	/* The trylock fails while writers wait: they go first. */
	if (!mmap_read_trylock(mm)) {
		pmap_let_waiters_in(mm);
		if (mmap_read_lock_killable(mm))
			return -EINTR;
	}
	if (!atomic_read(&mm->mm_users)) {
		mmap_read_unlock(mm);
		return -ESRCH;
	}
	*vmap = pmap_find_vma(pf, addr);
	return 0;
}

/*
 * Whether the target is still there, and kept for the rest of a read or a
 * seek: by a reference (*@ref) where the mmap lock alone does not keep its
 * address space (before 6.1) and, at every version, once a read has
 * @stored something, so that a read returns all it was asked for or, after
 * an exit, nothing. Until then pmap_lock_find_vma() checks under the lock;
 * the look here without it answers for the header, which takes no lock.
 */
static bool pmap_mm_keep(struct pmap_file *pf, bool *ref, bool stored)
{
	if (*ref)
		return true;
	if (PMAP_EXIT_UNDER_LOCK && !stored)
		return atomic_read(&pf->mm->mm_users);
	*ref = mmget_not_zero(pf->mm);
	return *ref;
}

/*
 * The next entries from virtual address @addr, under one hold of the mmap
 * lock: in a hole between VMAs, only how many of at most @max_hole pages
 * the hole spans (*hole set: the caller stores them without the lock);
 * otherwise up to @n entries stored to @uout, stopping after one page table.
 * Returns how many, -EFAULT if @uout faulted before the first entry, -EINTR
 * on a fatal signal, or -ESRCH if the target has exited.
 */
static long pmap_gather(struct pmap_file *pf, unsigned long addr,
			unsigned long __user *uout, unsigned long n,
			unsigned long max_hole, bool *hole)
{
	struct vm_area_struct *vma;
	unsigned long next;
	long got;

	got = pmap_lock_find_vma(pf, addr, &vma);
	if (got)
		return got;
	next = vma ? vma->vm_start : pf->mm->task_size;
	*hole = addr < next;
	if (*hole) {
		got = min(max_hole, (next - addr) >> PAGE_SHIFT);
	} else {
		/* A fault would take the mmap lock again: see pmap_walk(). */
		pagefault_disable();
		got = pmap_walk(pf->mm, vma, addr, addr + (n << PAGE_SHIFT),
				uout, pf->show_pfn);
		pagefault_enable();
	}
	mmap_read_unlock(pf->mm);
	return got;
}

/*
 * /proc/pagemap/<pid> - an array mapping virtual pages to page frames
 *
 * For each page of the target's user address space the file holds one
 * unsigned long, in the kernel's byte order: the page frame number (PFN)
 * if the page is present in the target's page tables, or -1 if it is not.
 * This tells precisely which pages a process maps and which frames
 * processes share. Let E be sizeof(unsigned long):
 *
 *   offset 0, E bytes: a header
 *	byte 0: 1 if the kernel is little-endian, 0 if big-endian
 *	byte 1: PAGE_SHIFT
 *	byte 2: E, the entry size
 *	byte 3: E, the header size (the header fills one entry slot)
 *	bytes 4 to E-1: zero
 *   offset (N + 1) * E, E bytes: the entry of virtual page N, at address
 *	N << PAGE_SHIFT
 *
 * Present: a normal pte, a PMD- or PUD-mapped THP or hugetlb page (the
 * frame of that subpage), the shared zero page, a present pte in a VM_IO
 * or VM_MIXEDMAP mapping. Not present (-1): no VMA, never touched, swapped
 * out, migrating, device-private, and all of every VM_PFNMAP mapping, as
 * the in-tree /proc/<pid>/pagemap reports them.
 *
 * Frame numbers are shown only to openers that had CAP_SYS_ADMIN in the
 * initial user namespace; for others present pages read as 0.
 *
 * The file ends after the last page below the mm's task_size. A read must
 * start on an entry boundary (else -EIO, as in the original design) and ask
 * for whole entries (else -EINVAL); it returns every entry asked for up to
 * the end of the file. Once the target has exited or exec'd, reads return 0,
 * and so do reads of a kernel thread's file. Efficient readers skip what is
 * not present with lseek(SEEK_DATA) and lseek(SEEK_HOLE) (pmap_llseek()).
 */
static ssize_t pmap_read(struct file *file, char __user *ubuf, size_t count,
			 loff_t *ppos)
{
	struct pmap_file *pf = file->private_data;
	unsigned long idx, nr_idx, left, n, got, room = ULONG_MAX;
	unsigned long __user *uout;
	size_t done = 0, bytes;
	bool hole, ref = false;
	long ret = 0;

	if (*ppos % PMAP_ENTRY_SIZE)
		return -EIO;
	if (count % PMAP_ENTRY_SIZE)
		return -EINVAL;
	if (!count || !pf->mm)
		return 0;

	/* Entry slots in the file: the header, then one per page. */
	nr_idx = (pf->mm->task_size >> PAGE_SHIFT) + 1;
	if (*ppos >= (loff_t)nr_idx * PMAP_ENTRY_SIZE)
		return 0;
	idx = *ppos / PMAP_ENTRY_SIZE;
	left = min_t(unsigned long, count / PMAP_ENTRY_SIZE, nr_idx - idx);

	while (left) {
		if (!pmap_mm_keep(pf, &ref, done))
			goto out_exited;
		uout = (unsigned long __user *)(ubuf + done);
		if (idx == 0) {
			n = 1;
			got = pmap_store_run(uout, pmap_header(), 0, n);
		} else {
			n = min3(left, room, PMAP_WALK_ENTRIES);
			ret = pmap_gather(pf, (idx - 1) << PAGE_SHIFT, uout, n,
					  min_t(unsigned long, left,
						PMAP_HOLE_ENTRIES),
					  &hole);
			if (ret == -ESRCH)
				goto out_exited;
			if (ret < 0 && ret != -EFAULT)
				break;
			if (ret == -EFAULT) {
				/*
				 * Fault the buffer in without the lock, as a
				 * write would, then walk again over as much
				 * of it as is now there.
				 */
				bytes = n * PMAP_ENTRY_SIZE;
				bytes -= fault_in_safe_writeable(ubuf + done,
								 bytes);
				room = bytes / PMAP_ENTRY_SIZE;
				if (!room)
					break;
				n = 0;
				got = 0;
			} else {
				room = ULONG_MAX;
				n = ret;
				got = n;
				if (hole)
					got = pmap_store_run(uout, PMAP_NONE,
							     0, n);
			}
		}
		done += got * PMAP_ENTRY_SIZE;
		idx += got;
		left -= got;
		if (got < n) {
			ret = -EFAULT;
			break;
		}
		/* between steps only: a read of one step ends here */
		if (!left)
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	*ppos += done;
	if (ref)
		mmput(pf->mm);
	return done ? done : ret;

out_exited:
	/*
	 * The exit came first: what was stored does not count. (No reference
	 * is held here: with one, the target could not have exited.)
	 */
	return 0;
}

/*
 * SEEK_DATA (@data) or SEEK_HOLE from entry @idx, which is below @nr_idx:
 * the entry where the first present page (or the first one not present)
 * at or after it is, @nr_idx for a hole at the end of the file, or -ENXIO
 * for no data. The header is data. Under the mmap lock taken as reads take
 * it, dropped each time pmap_seek() has taken its most steps; -EINTR on a
 * fatal signal.
 */
static loff_t pmap_seek_entry(struct pmap_file *pf, unsigned long idx,
			      unsigned long nr_idx, bool data)
{
	unsigned long addr, end = (nr_idx - 1) << PAGE_SHIFT;
	struct vm_area_struct *vma;
	bool hit;
	int err;

	if (idx == 0 && data)
		return 0;
	addr = idx ? (idx - 1) << PAGE_SHIFT : 0;
	while (addr < end) {
		err = pmap_lock_find_vma(pf, addr, &vma);
		if (err)
			return err;
		hit = pmap_seek(pf->mm, vma, addr, end, data, &addr);
		mmap_read_unlock(pf->mm);
		if (hit)
			return (addr >> PAGE_SHIFT) + 1;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	/* not a conditional expression: -ENXIO would become unsigned long */
	if (data)
		return -ENXIO;
	return nr_idx;
}

/*
 * SEEK_DATA and SEEK_HOLE from @offset, a multiple of the entry size: data
 * is the header and every entry that does not read -1, a hole every entry
 * that does. At or past the end of the file, or with no data after
 * @offset, -ENXIO; a file that reads nothing (a kernel thread's, or one
 * whose target has exited) has no data at all.
 */
static loff_t pmap_seek_data(struct pmap_file *pf, loff_t offset, bool data)
{
	unsigned long nr_idx;
	bool ref = false;
	loff_t ret;

	if (offset < 0 || offset % PMAP_ENTRY_SIZE)
		return -EINVAL;
	if (!pf->mm || !pmap_mm_keep(pf, &ref, false))
		return -ENXIO;
	nr_idx = (pf->mm->task_size >> PAGE_SHIFT) + 1;
	ret = -ENXIO;
	if (offset < (loff_t)nr_idx * PMAP_ENTRY_SIZE)
		ret = pmap_seek_entry(pf, offset / PMAP_ENTRY_SIZE, nr_idx,
				      data);
	if (ref)
		mmput(pf->mm);
	if (ret == -ESRCH)
		return -ENXIO;
	return ret < 0 ? ret : ret * (loff_t)PMAP_ENTRY_SIZE;
}

/*
 * SEEK_SET and SEEK_CUR to any position that is not negative; SEEK_DATA
 * and SEEK_HOLE as pmap_seek_data() finds them.
 */
static loff_t pmap_llseek(struct file *file, loff_t offset, int whence)
{
	loff_t pos;

	switch (whence) {
	case SEEK_SET:
		pos = offset;
		break;
	case SEEK_CUR:
		if (check_add_overflow(file->f_pos, offset, &pos))
			return -EINVAL;
		break;
	case SEEK_DATA:
	case SEEK_HOLE:
		pos = pmap_seek_data(file->private_data, offset,
				     whence == SEEK_DATA);
		if (pos < 0)
			return pos;
		break;
	default:
		return -EINVAL;
	}
	if (pos < 0)
		return -EINVAL;
	file->f_pos = pos;
	return pos;
}

static const struct file_operations pmap_file_fops = {
	.owner		= THIS_MODULE,
	.open		= pmap_open,
	.release	= pmap_release,
	.read		= pmap_read,
	.llseek		= pmap_llseek,
};

/* The files are not for changing: no chmod, chown or truncate. */
static int pmap_setattr(PMAP_SETATTR_ARGS)
{
	return -EPERM;
}

static const struct inode_operations pmap_file_iops = {
	.setattr	= pmap_setattr,
};

/* A pid file belongs to the target's effective uid and gid. */
static void pmap_set_owner(struct inode *inode, struct task_struct *task)
{
	const struct cred *cred;

	rcu_read_lock();
	cred = __task_cred(task);
	inode->i_uid = cred->euid;
	inode->i_gid = cred->egid;
	rcu_read_unlock();
}

/*
 * A cached pid dentry stays valid while its pid has a task; pid numbers are
 * reused, so a dead one must be looked up again. The owner is refreshed,
 * since the target may have changed its credentials. The operations are
 * the superblock's default, so the root and "self" have them too: those
 * stay valid.
 */
static int pmap_pid_revalidate(PMAP_D_REVALIDATE_ARGS)
{
	struct inode *inode = d_inode_rcu(dentry);
	struct task_struct *task;
	int valid = 0;

	if (!inode)
		return 0;
	if (!S_ISREG(inode->i_mode))
		return 1;
	rcu_read_lock();
	task = pid_task(inode->i_private, PIDTYPE_PID);
	if (task) {
		pmap_set_owner(inode, task);
		valid = 1;
	}
	rcu_read_unlock();
	return valid;
}

static const struct dentry_operations pmap_dops = {
	.d_revalidate	= pmap_pid_revalidate,
	.d_delete	= always_delete_dentry,
};

static struct inode *pmap_new_inode(struct super_block *sb, unsigned long ino,
				    umode_t mode)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_ino = ino;
	inode->i_mode = mode;
	simple_inode_init_ts(inode);
	return inode;
}

/* "self": a symlink to the reader's own process, in the mounter's pid ns. */
static const char *pmap_self_get_link(struct dentry *dentry,
				      struct inode *inode,
				      struct delayed_call *done)
{
	struct pid_namespace *ns = inode->i_sb->s_fs_info;
	pid_t tgid = task_tgid_nr_ns(current, ns);
	char *name;

	if (!tgid)
		return ERR_PTR(-ENOENT);
	name = kmalloc(12, dentry ? GFP_KERNEL : GFP_ATOMIC);
	/* -ECHILD asks an RCU walk to try again; a ref-walk has no retry */
	if (!name)
		return ERR_PTR(dentry ? -ENOMEM : -ECHILD);
	snprintf(name, 12, "%d", tgid);
	set_delayed_call(done, kfree_link, name);
	return name;
}

static const struct inode_operations pmap_self_iops = {
	.get_link	= pmap_self_get_link,
};

/*
 * A pid in canonical decimal form: digits only, no sign, no leading zero.
 * Returns 0 for a name that is not one.
 */
static pid_t pmap_name_to_pid(const struct qstr *name)
{
	unsigned int i;
	pid_t nr = 0;

	if (name->len == 0 || name->len > 10 || name->name[0] == '0')
		return 0;
	for (i = 0; i < name->len; i++) {
		if (name->name[i] < '0' || name->name[i] > '9')
			return 0;
		if (nr > (PID_MAX_LIMIT - (name->name[i] - '0')) / 10)
			return 0;
		nr = nr * 10 + name->name[i] - '0';
	}
	return nr;
}

static struct dentry *pmap_lookup(struct inode *dir, struct dentry *dentry,
				  unsigned int flags)
{
	struct pid_namespace *ns = dir->i_sb->s_fs_info;
	struct task_struct *task;
	struct inode *inode;
	struct pid *pid;
	pid_t nr;

	if (dentry->d_name.len == 4 && !memcmp(dentry->d_name.name, "self", 4)) {
		inode = pmap_new_inode(dir->i_sb, PMAP_SELF_INO,
				       S_IFLNK | 0777);
		if (!inode)
			return ERR_PTR(-ENOMEM);
		inode->i_op = &pmap_self_iops;
		return d_splice_alias(inode, dentry);
	}

	nr = pmap_name_to_pid(&dentry->d_name);
	if (!nr)
		return ERR_PTR(-ENOENT);
	rcu_read_lock();
	pid = get_pid(find_pid_ns(nr, ns));
	rcu_read_unlock();
	task = get_pid_task(pid, PIDTYPE_PID);
	if (!task) {
		put_pid(pid);
		return ERR_PTR(-ENOENT);
	}

	inode = pmap_new_inode(dir->i_sb, PMAP_PID_INO_BASE + nr,
			       S_IFREG | 0400);
	if (!inode) {
		put_task_struct(task);
		put_pid(pid);
		return ERR_PTR(-ENOMEM);
	}
	inode->i_op = &pmap_file_iops;
	inode->i_fop = &pmap_file_fops;
	inode->i_private = pid;	/* the inode's reference, put at eviction */
	pmap_set_owner(inode, task);
	put_task_struct(task);

	return d_splice_alias(inode, dentry);
}

/*
 * The first thread-group leader with a pid number of at least @nr in @ns,
 * or 0 if there is none.
 */
static pid_t pmap_next_tgid(struct pid_namespace *ns, pid_t nr)
{
	struct pid *pid;

	rcu_read_lock();
	for (;;) {
		pid = find_ge_pid(nr, ns);
		if (!pid) {
			nr = 0;
			break;
		}
		nr = pid_nr_ns(pid, ns);
		if (pid_task(pid, PIDTYPE_TGID))
			break;
		nr++;
	}
	rcu_read_unlock();
	return nr;
}

/*
 * Lists ".", "..", "self" and one file per thread-group leader. The task
 * list is searched under RCU, but each name is emitted outside it: dir_emit()
 * copies to user memory and may fault.
 */
static int pmap_readdir(struct file *file, struct dir_context *ctx)
{
	struct pid_namespace *ns = file_inode(file)->i_sb->s_fs_info;
	char name[12];
	pid_t nr;
	int len;

	if (!dir_emit_dots(file, ctx))
		return 0;
	if (ctx->pos == PMAP_SELF_POS) {
		if (!dir_emit(ctx, "self", 4, PMAP_SELF_INO, DT_LNK))
			return 0;
		ctx->pos++;
	}
	for (;;) {
		if (ctx->pos - PMAP_PID_POS_BASE >= PID_MAX_LIMIT)
			break;
		nr = pmap_next_tgid(ns, ctx->pos - PMAP_PID_POS_BASE);
		if (!nr)
			break;
		ctx->pos = nr + PMAP_PID_POS_BASE;
		len = snprintf(name, sizeof(name), "%d", nr);
		if (!dir_emit(ctx, name, len, PMAP_PID_INO_BASE + nr, DT_REG))
			return 0;
		ctx->pos++;
	}
	return 0;
}

static const struct file_operations pmap_dir_fops = {
	.read		= generic_read_dir,
	.iterate_shared	= pmap_readdir,
	.llseek		= generic_file_llseek,
};

static const struct inode_operations pmap_dir_iops = {
	.lookup		= pmap_lookup,
};

static void pmap_evict_inode(struct inode *inode)
{
	clear_inode(inode);
	if (S_ISREG(inode->i_mode))
		put_pid(inode->i_private);
}

static const struct super_operations pmap_sops = {
	.statfs		= simple_statfs,
	.drop_inode	= inode_just_drop,
	.evict_inode	= pmap_evict_inode,
};

static int pmap_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct inode *root;

	/* Pids are looked up in the pid namespace of whoever mounts. */
	sb->s_fs_info = get_pid_ns(task_active_pid_ns(current));
	sb->s_magic = PMAP_MAGIC;
	sb->s_op = &pmap_sops;
	set_default_d_op(sb, &pmap_dops);
	sb->s_time_gran = 1;
	/* stat() shows a block size of one page: stdio then reads pages. */
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;

	root = pmap_new_inode(sb, PMAP_ROOT_INO, S_IFDIR | 0555);
	if (!root)
		return -ENOMEM;
	root->i_op = &pmap_dir_iops;
	root->i_fop = &pmap_dir_fops;
	set_nlink(root, 2);
	sb->s_root = d_make_root(root);
	return sb->s_root ? 0 : -ENOMEM;
}

static int pmap_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, pmap_fill_super);
}

static const struct fs_context_operations pmap_context_ops = {
	.get_tree	= pmap_get_tree,
};

static int pmap_init_fs_context(struct fs_context *fc)
{
	fc->ops = &pmap_context_ops;
	return 0;
}

static void pmap_kill_sb(struct super_block *sb)
{
	struct pid_namespace *ns = sb->s_fs_info;

	kill_anon_super(sb);
	if (ns)
		put_pid_ns(ns);
}

static struct file_system_type pmap_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "pagemap",
	.init_fs_context	= pmap_init_fs_context,
	.kill_sb		= pmap_kill_sb,
};

static int __init pmap_init(void)
{
	int ret;

	/* An empty /proc/pagemap to mount on, as nfsd has /proc/fs/nfsd. */
	pmap_proc_dir = proc_create_mount_point("pagemap");
	if (!pmap_proc_dir)
		return -ENOMEM;

	ret = register_filesystem(&pmap_fs_type);
	if (ret)
		goto out_remove_proc;
	pr_info("version %s loaded\n", PMAP_VERSION);
	return 0;

out_remove_proc:
	proc_remove(pmap_proc_dir);
	return ret;
}

static void __exit pmap_exit(void)
{
	unregister_filesystem(&pmap_fs_type);
	proc_remove(pmap_proc_dir);
}

module_init(pmap_init);
module_exit(pmap_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The pagemap developers");
MODULE_DESCRIPTION("Per-process maps of virtual pages to physical frames, at /proc/pagemap");
MODULE_VERSION(PMAP_VERSION);
MODULE_ALIAS_FS("pagemap");
