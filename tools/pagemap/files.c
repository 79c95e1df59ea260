// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap files [PID...] and files --pid PID: per mapped file (by device
 * and inode: libraries, executables, data files, memfd and shmem objects),
 * the distinct frames of it that are mapped, by how many processes, their
 * Pss summed and their Rss; anonymous memory as one row per process.
 * With --sections an ELF file's frames are split by section (files_elf.c).
 */
#include "files.h"

/* One mapping of a frame that other mappings may share: 24 bytes a page. */
struct rec {
	uint64_t pfn;
	uint32_t file, proc;
	uint32_t pgoff;		/* the page's offset in the file, in pages */
};

struct files {
	struct file_row *f;
	size_t nf, fcap;
	size_t *hash;		/* file index + 1, open addressing */
	size_t hsize;
	struct rec *r;
	size_t nr, rcap;
	bool *reported;		/* per process: its mappings make the rows */
	size_t nproc, pcap;
	uint32_t *vfile;	/* per mapping of the current process */
	size_t vcap;
	const struct proc *p;
	unsigned int shift;
	const pid_t *want;
	bool *seen;		/* per pid asked for: scanned */
	size_t nwant;
	pid_t view;		/* --pid: the process whose files are shown */
	uint32_t view_proc;
};

static bool anon_vma(const struct vma *v)
{
	return !v->inode && (!v->name[0] || !strcmp(v->name, "[heap]") ||
			     !strncmp(v->name, "[stack", 6) ||
			     !strncmp(v->name, "[anon", 5));
}

static uint64_t file_hash(unsigned int major, unsigned int minor,
			  uint64_t inode, pid_t pid, const char *name)
{
	uint64_t h = ((uint64_t)major << 44 ^ (uint64_t)minor << 24 ^ inode ^
		      (uint64_t)pid << 32) * 0x9e3779b97f4a7c15ULL;

	for (; !inode && !pid && *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ULL;
	return h >> 20;
}

static bool file_same(const struct file_row *f, const struct vma *v,
		      pid_t pid)
{
	return f->major == v->major && f->minor == v->minor &&
	       f->inode == v->inode && f->pid == pid &&
	       (v->inode || pid || !strcmp(f->path, v->name));
}

/* Doubles the hash table of the files. */
static void files_rehash(struct files *fs)
{
	size_t i, j, mask;

	free(fs->hash);
	fs->hsize = fs->hsize ? fs->hsize * 2 : 1024;
	fs->hash = xcalloc(fs->hsize, sizeof(*fs->hash));
	mask = fs->hsize - 1;
	for (i = 0; i < fs->nf; i++) {
		const struct file_row *f = &fs->f[i];

		for (j = file_hash(f->major, f->minor, f->inode, f->pid,
				   f->path) & mask; fs->hash[j]; j = (j + 1) & mask)
			;
		fs->hash[j] = i + 1;
	}
}

/* The row of mapping v of process p: found, or made. */
static uint32_t file_of(struct files *fs, const struct proc *p,
			const struct vma *v)
{
	pid_t pid = anon_vma(v) ? p->pid : 0;
	struct file_row *f;
	char link[96];
	size_t j, mask;

	if (2 * (fs->nf + 1) > fs->hsize)
		files_rehash(fs);
	mask = fs->hsize - 1;
	for (j = file_hash(v->major, v->minor, v->inode, pid, v->name) & mask;
	     fs->hash[j]; j = (j + 1) & mask)
		if (file_same(&fs->f[fs->hash[j] - 1], v, pid))
			return fs->hash[j] - 1;
	grow(&fs->f, &fs->fcap, fs->nf + 1, sizeof(*fs->f));
	f = &fs->f[fs->nf];
	memset(f, 0, sizeof(*f));
	f->major = v->major;
	f->minor = v->minor;
	f->inode = v->inode;
	f->pid = pid;
	f->path = xstrdup(pid ? "[anon]" : v->name);
	if (pid)
		snprintf(f->comm, sizeof(f->comm), "%s", p->comm);
	f->size = !v->inode ? -1 : cap_active ? v->size :
		  map_file_size(p->pid, v, link, sizeof(link));
	f->last_proc = UINT32_MAX;
	if (opt.sections && v->inode)
		files_elf_open(f, link);
	fs->hash[j] = fs->nf + 1;
	return fs->nf++;
}

static bool files_begin(void *arg, const struct proc *p, unsigned int shift)
{
	struct files *fs = arg;
	bool rep = !fs->nwant;
	size_t i;

	for (i = 0; i < fs->nwant; i++)
		if (fs->want[i] == p->pid) {
			fs->seen[i] = true;
			rep = true;
		}
	grow(&fs->reported, &fs->pcap, fs->nproc + 1, sizeof(*fs->reported));
	fs->reported[fs->nproc] = rep;
	if (p->pid == fs->view)
		fs->view_proc = fs->nproc;
	grow(&fs->vfile, &fs->vcap, p->nr_vmas, sizeof(*fs->vfile));
	for (i = 0; i < p->nr_vmas; i++)
		fs->vfile[i] = p->vmas[i].hugetlb ? UINT32_MAX :
			       file_of(fs, p, &p->vmas[i]);
	fs->p = p;
	fs->shift = shift;
	fs->nproc++;
	return true;
}

/*
 * One more mapping of a frame by the current process, in mapping vi at
 * page vpn. A frame the kernel says is mapped only here (ENTRY_OWN) is
 * counted at once, whole; the others are kept for files_sum().
 */
static void files_add(struct files *fs, size_t vi, uint64_t vpn, uint64_t e)
{
	const struct vma *v = &fs->p->vmas[vi];
	uint32_t proc = fs->nproc - 1, pgoff;
	struct file_row *f = &fs->f[fs->vfile[vi]];
	uint64_t ps = 1ULL << fs->shift;
	struct rec *r;

	pgoff = (v->offset >> fs->shift) + vpn - (v->start >> fs->shift);
	if (fs->reported[proc] && f->last_proc != proc) {
		f->last_proc = proc;
		f->processes++;
	}
	if (e & ENTRY_OWN) {
		e &= ~ENTRY_OWN;
		if (proc == fs->view_proc && fs->view) {
			f->view_rss += ps;
			f->view_pss += ps << PSS_SHIFT;
			f->viewed = true;
		}
		if (!fs->reported[proc])
			return;
		f->rss += ps;
		f->pss += ps << PSS_SHIFT;
		f->frames++;
		if (f->nsec)
			files_elf_count(f, e, pgoff, ps, ps << PSS_SHIFT);
		return;
	}
	grow(&fs->r, &fs->rcap, fs->nr + 1, sizeof(*fs->r));
	r = &fs->r[fs->nr++];
	r->pfn = e;
	r->file = fs->vfile[vi];
	r->proc = proc;
	r->pgoff = pgoff;
}

static void files_batch(void *arg, size_t vi, uint64_t vpn, const uint64_t *e,
			size_t n)
{
	struct files *fs = arg;
	size_t i;

	if (fs->vfile[vi] == UINT32_MAX)
		return;
	for (i = 0; i < n; i++)
		if (e[i] != PMAP_NOT_PRESENT &&
		    (e[i] & ENTRY_OWN || counted(e[i])))
			files_add(fs, vi, vpn + i, e[i]);
}

/*
 * Sorts the mappings by frame: a radix sort, 12 bits of the frame number a
 * pass, as many passes as the largest needs: two below 64 GiB of 4 KiB
 * frames (qsort() took half of the run; 11 bits, a third pass on 24 GiB).
 */
#define RADIX_BITS	12

static void rec_sort(struct rec *r, size_t n)
{
	static size_t count[1 << RADIX_BITS];
	struct rec *tmp = xcalloc(n + 1, sizeof(*tmp)), *from = r, *to = tmp, *x;
	uint64_t max = 0;
	unsigned int shift;
	const uint64_t mask = ARRAY_SIZE(count) - 1;
	size_t i, sum, c;

	for (i = 0; i < n; i++)
		if (r[i].pfn > max)
			max = r[i].pfn;
	for (shift = 0; shift < 64 && max >> shift; shift += RADIX_BITS) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[from[i].pfn >> shift & mask]++;
		for (i = 0, sum = 0; i < ARRAY_SIZE(count); i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[from[i].pfn >> shift & mask]++] = from[i];
		x = from;
		from = to;
		to = x;
	}
	if (from != r)
		memcpy(r, from, n * sizeof(*r));
	free(tmp);
}

/*
 * Frame by frame, in frame order: its mappings (by every process read)
 * share its Pss; the reported ones add to their file's rows.
 */
static void files_sum(struct files *fs, uint64_t ps)
{
	size_t i, j, k;

	rec_sort(fs->r, fs->nr);
	for (i = 0; i < fs->nr; i = j) {
		for (j = i + 1; j < fs->nr && fs->r[j].pfn == fs->r[i].pfn; j++)
			;
		for (k = i; k < j; k++) {
			const struct rec *r = &fs->r[k];
			struct file_row *f = &fs->f[r->file];
			uint64_t share = (ps << PSS_SHIFT) / (j - i);

			if (fs->view && r->proc == fs->view_proc) {
				f->view_rss += ps;
				f->view_pss += share;
				f->viewed = true;
			}
			if (!fs->reported[r->proc])
				continue;
			f->rss += ps;
			f->pss += share;
			if (f->last_pfn != r->pfn + 1) {
				f->last_pfn = r->pfn + 1;
				f->frames++;
			}
			if (f->nsec)
				files_elf_count(f, r->pfn, r->pgoff, ps, share);
		}
	}
}

/* A pid asked for that was not scanned: gone, or named by scan_every(). */
static void files_unseen(pid_t pid)
{
	if (proc_exited(pid))
		pm_err("pid %d: no such process", pid);
	else
		pm_err("pid %d: no memory mapped, or not readable", pid);
}

int cmd_files(int argc, char **argv)
{
	struct files fs = { 0 };
	struct every ev = {
		.cb = {
			.batch = files_batch, .huge = zero_scan_huge,
			.arg = &fs
		},
		.begin = files_begin, .tag_own = true,
	};
	struct file_row **rows;
	pid_t *want = NULL;
	size_t i, n = 0;
	int ret;

	ret = files_opts_check();
	if (ret >= 0)
		return ret;
	if (argc && opt.pid) {
		pm_err("files: either pids or --pid PID");
		return EXIT_USAGE;
	}
	if (opt.pid && parse_pid(opt.pid, &fs.view))
		return EXIT_FAIL;
	if (argc) {
		want = xcalloc(argc, sizeof(*want));
		for (i = 0; i < (size_t)argc; i++) {
			if (parse_pid(argv[i], &want[i])) {
				free(want);
				return EXIT_FAIL;
			}
			want[i] = proc_tgid(want[i]);
		}
	}
	if (fs.view)
		fs.view = proc_tgid(fs.view);
	fs.want = want;
	fs.nwant = argc;
	fs.seen = xcalloc(argc + 1, sizeof(*fs.seen));
	if (need_frames("files counts frames")) {
		free(fs.seen);
		free(want);
		return EXIT_FAIL;
	}
	scan_every(&ev);
	files_sum(&fs, 1ULL << fs.shift);
	ret = EXIT_OK;
	for (i = 0; i < (size_t)argc; i++) {
		if (fs.seen[i])
			continue;
		files_unseen(want[i]);
		ret = EXIT_FAIL;
	}
	rows = xcalloc(fs.nf + 1, sizeof(*rows));
	for (i = 0; i < fs.nf; i++)
		if (fs.view ? fs.f[i].viewed : fs.f[i].rss > 0)
			rows[n++] = &fs.f[i];
	if (fs.view && !n) {
		files_unseen(fs.view);
		ret = EXIT_FAIL;
	}
	files_print(rows, n, fs.view != 0);
	for (i = 0; i < fs.nf; i++) {
		free(fs.f[i].path);
		files_elf_free(&fs.f[i]);
	}
	free(rows);
	free(fs.f);
	free(fs.hash);
	free(fs.r);
	free(fs.reported);
	free(fs.vfile);
	free(fs.seen);
	free(want);
	return ret;
}
