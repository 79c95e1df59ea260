// SPDX-License-Identifier: GPL-2.0
/*
 * The scan of every readable process, for who and files: each process's
 * mappings, then its entries through the caller's scan callbacks, only over
 * the ranges its maps list (and, with PAGEMAP_SCAN, only where pages are
 * present).
 */
#include "pagemap.h"

/*
 * Scans every process /proc lists. Kernel threads are left out; a process
 * that cannot be read is named on stderr and left out (one that exits
 * meanwhile, without a word). ev->end(), if set, hears of every process begun, with
 * 0 or the -errno that cut its scan short. Returns 0.
 */
int scan_every(const struct every *ev)
{
	size_t npids, i;
	pid_t *pids = all_pids(&npids);
	uint64_t *buf = xrealloc(NULL, BATCH * sizeof(*buf));
	struct reader r;
	struct proc p;
	int ret;

	for (i = 0; i < npids; i++) {
		ret = proc_open(&p, pids[i], &r, true);
		if (ret > 0)
			continue;
		if (ret) {
			if (ret != -ENOENT && ret != -ESRCH)
				pm_err("pid %d: %s, skipped", pids[i],
				       proc_why(pids[i], -ret));
			continue;
		}
		r.tag_own = ev->tag_own;
		if (!r.empty && p.nr_vmas &&
		    ev->begin(ev->cb.arg, &p, r.hdr.page_shift)) {
			ret = scan_proc(&r, &p, buf, &ev->cb);
			if (ret && ret != -ESRCH)
				pm_err("pid %d: %s, skipped", p.pid,
				       proc_why(p.pid, -ret));
			if (ev->end)
				ev->end(ev->cb.arg, &p, ret);
		}
		reader_close(&r);
		proc_free(&p);
	}
	free(buf);
	free(pids);
	return 0;
}
