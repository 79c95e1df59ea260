/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page-table walk behind /proc/pagemap/<pid>: turns a range of a
 * process's virtual pages into entries of the map format.
 */
#ifndef _PAGEMAP_WALK_H
#define _PAGEMAP_WALK_H

#include <linux/mm_types.h>
#include <linux/compiler.h>
#include <linux/types.h>

/* The entry of a page that is not present. */
#define PMAP_NONE	(~0UL)

unsigned long pmap_store_run(unsigned long __user *out, unsigned long val,
			     unsigned long step, unsigned long n);
long pmap_walk(struct mm_struct *mm, struct vm_area_struct *vma,
	       unsigned long addr, unsigned long end,
	       unsigned long __user *out, bool show_pfn);
bool pmap_seek(struct mm_struct *mm, struct vm_area_struct *vma,
	       unsigned long addr, unsigned long end, bool data,
	       unsigned long *found);

#endif /* _PAGEMAP_WALK_H */
