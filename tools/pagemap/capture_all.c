// SPDX-License-Identifier: GPL-2.0
/*
 * Whole-system captures: pagemap capture --all FILE saves every readable
 * process's maps and page map, and --file FILE makes pss, share, files and
 * who read that capture instead of the running system.
 *
 * The file is a gzip stream (zlib) of text lines and entries:
 *
 *	pagemap-capture 1
 *	machine LITTLE PAGE_SHIFT ENTRY_SIZE
 *	zero FIRST NR		(the zero pages, if found; decimal)
 *	hugezero FIRST NR
 *	proc PID PPID UID USER COMM CGROUP SWAP_KB NR_MAPPINGS
 *	vma START END PERMS OFFSET MAJOR:MINOR INODE HUGETLB SIZE NAME
 *				(START, END, OFFSET, MAJOR, MINOR: hex; SIZE,
 *				the file's in bytes, -1 if unknown)
 *	run MAPPING VPN N	followed by N entries of ENTRY_SIZE bytes in
 *				the byte order LITTLE names (1: little-endian)
 *	end			(of a process)
 *	done			(of the capture: anything short of it is cut)
 *
 * Strings have every byte below '!', above '~' and '%' written as %XX.
 * Only runs of present pages are stored: holes cost nothing.
 */
#include "pss.h"

#ifndef PMAP_NO_ZLIB
#include <zlib.h>
#else
/*
 * Built without zlib (a cross build may lack it): captures are written and
 * read as they are, uncompressed (zcat one made elsewhere first).
 */
typedef FILE *gzFile;
#define Z_OK			0
#define gzopen(path, mode)	fopen(path, (mode)[0] == 'w' ? "w" : "r")
#define gzprintf		fprintf
#define gzputs(f, s)		fputs(s, f)
#define gzwrite(f, b, n)	((int)fwrite(b, 1, n, f))
#define gzerror(f, e)		((void)(f), (void)(e), strerror(errno))
#define gzclose			fclose

static int gzread(gzFile f, void *buf, unsigned int n)
{
	size_t got = fread(buf, 1, n, f);

	return ferror(f) ? -1 : (int)got;
}
#endif /* PMAP_NO_ZLIB */

static const struct backend capture_backend = { .name = "capture" };

/* ---- writing ------------------------------------------------------------ */

static void put_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!*p)
		fputs("%", f);
	for (; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == '%')
			fprintf(f, "%%%02X", *p);
		else
			fputc(*p, f);
}

struct cap_writer {
	gzFile gz;
	FILE *buf;		/* the current process, until it is whole */
	char *mem;
	size_t memlen;
	struct pmap_header h;
	const struct proc *p;
	unsigned char *out;
	size_t procs;
	int err;
};

static bool cap_begin(void *arg, const struct proc *p, unsigned int shift)
{
	struct cap_writer *w = arg;
	char user[64];
	char *cg;
	uid_t uid = 0;
	size_t i;

	(void)shift;
	w->p = p;
	w->buf = open_memstream(&w->mem, &w->memlen);
	if (!w->buf) {
		w->err = errno;
		return false;
	}
	proc_euid(p->pid, &uid);
	user_name(uid, user, sizeof(user));
	cg = proc_cgroup(p->pid);
	fprintf(w->buf, "proc %d %d %u ", p->pid, proc_ppid(p->pid),
		(unsigned int)uid);
	put_str(w->buf, user);
	fputc(' ', w->buf);
	put_str(w->buf, p->comm);
	fputc(' ', w->buf);
	put_str(w->buf, cg);
	fprintf(w->buf, " %" PRIu64 " %zu\n", pss_swap_kb(p->pid), p->nr_vmas);
	free(cg);
	for (i = 0; i < p->nr_vmas; i++) {
		const struct vma *v = &p->vmas[i];
		char link[96];

		fprintf(w->buf, "vma %" PRIx64 " %" PRIx64 " %s %" PRIx64
			" %x:%x %" PRIu64 " %d %" PRId64 " ", v->start, v->end,
			v->perms, v->offset, v->major, v->minor, v->inode,
			v->hugetlb, v->inode ?
			map_file_size(p->pid, v, link, sizeof(link)) : -1);
		put_str(w->buf, v->name);
		fputc('\n', w->buf);
	}
	return true;
}

/* The runs of present entries of a batch, each with its entries. */
static void cap_batch(void *arg, size_t vi, uint64_t vpn, const uint64_t *e,
		      size_t n)
{
	struct cap_writer *w = arg;
	size_t i, j, k;

	for (i = 0; i < n; i = j) {
		if (e[i] == PMAP_NOT_PRESENT) {
			j = i + 1;
			continue;
		}
		for (j = i; j < n && e[j] != PMAP_NOT_PRESENT; j++)
			pmap_put_entry(&w->h, e[j],
				       w->out + (j - i) * w->h.entry_size);
		fprintf(w->buf, "run %zu %" PRIu64 " %zu\n", vi, vpn + i, j - i);
		k = (j - i) * w->h.entry_size;
		if (fwrite(w->out, 1, k, w->buf) != k)
			w->err = EIO;
	}
}

static void cap_end(void *arg, const struct proc *p, int err)
{
	struct cap_writer *w = arg;

	(void)p;
	fputs("end\n", w->buf);
	if (fclose(w->buf) && !w->err)
		w->err = errno;
	/* A process whose scan failed is left out, as from pss. */
	if (!err && !w->err) {
		if (gzwrite(w->gz, w->mem, w->memlen) != (int)w->memlen)
			w->err = EIO;
		w->procs++;
	}
	free(w->mem);
	w->mem = NULL;
}

int cmd_capture_all(int argc, char **argv)
{
	struct cap_writer w = { 0 };
	struct every ev = {
		.cb = { .batch = cap_batch, .huge = zero_scan_huge, .arg = &w },
		.begin = cap_begin, .end = cap_end,
	};
	struct reader r;
	int ret;

	if (argc != 1) {
		pm_err("capture --all takes a file name (see pagemap --help)");
		return EXIT_USAGE;
	}
	if (need_frames("a capture would hold 0 for every present page"))
		return EXIT_FAIL;
	/* The huge zero page now: a capture cannot look for it later. */
	zp.huge_later = true;
	zero_scan_huge(NULL);
	ret = reader_open_pid(&r, getpid());
	if (ret)
		return proc_error(getpid(), ret);
	w.h = r.hdr;
	reader_close(&r);
	w.gz = gzopen(argv[0], "wb1");
	if (!w.gz) {
		pm_err("%s: %s", argv[0], strerror(errno ? errno : ENOMEM));
		return EXIT_FAIL;
	}
	w.out = xcalloc(BATCH, w.h.entry_size);
	gzprintf(w.gz, "pagemap-capture 1\nmachine %d %u %u\n",
		 w.h.little_endian ? 1 : 0, w.h.page_shift, w.h.entry_size);
	if (zp.have_zero)
		gzprintf(w.gz, "zero %" PRIu64 " %" PRIu64 "\n", zp.zero,
			 zp.zero_nr);
	if (zp.have_huge)
		gzprintf(w.gz, "hugezero %" PRIu64 " %" PRIu64 "\n", zp.huge,
			 zp.huge_nr);
	scan_every(&ev);
	gzputs(w.gz, "done\n");
	if (gzclose(w.gz) != Z_OK && !w.err)
		w.err = EIO;
	free(w.out);
	if (w.err) {
		pm_err("%s: %s", argv[0], strerror(w.err));
		return EXIT_FAIL;
	}
	if (!opt.json)
		fprintf(stderr, "pagemap: %zu processes captured in %s\n",
			w.procs, argv[0]);
	return EXIT_OK;
}

/* ---- reading ------------------------------------------------------------ */

struct cap_run {
	uint32_t vi;
	uint64_t vpn, n;
	size_t at;		/* its first entry in cap.e */
};

struct cap_proc {
	struct proc p;
	pid_t ppid;
	uid_t uid;
	char *user, *cgroup;
	uint64_t swap_kb;
	struct cap_run *runs;
	size_t nruns;
};

static struct {
	bool loaded;
	struct pmap_header h;
	struct cap_proc *procs;
	size_t nprocs;
	uint64_t *e;
	size_t ne;
	uint64_t *own;		/* e, frames mapped once tagged ENTRY_OWN */
} cap;

bool cap_active;

/* Reads a string written by put_str(), in place; returns its end. */
static char *get_str(char *s, char **out)
{
	char *end = s + strcspn(s, "\n "), *o = s, *i;
	unsigned int c;

	*out = s;
	for (i = s; i < end; i++) {
		if (*i == '%' && end - i > 2 && isxdigit((unsigned char)i[1]) &&
		    isxdigit((unsigned char)i[2]) && sscanf(i + 1, "%2x", &c) == 1) {
			*o++ = c;
			i += 2;
		} else if (*i != '%') {
			*o++ = *i;
		}
	}
	if (*end)
		end++;
	*o = '\0';
	return end;
}

/* The line at *pos, NUL-terminated in place; *pos moves past it. */
static char *next_line(char *buf, size_t len, size_t *pos)
{
	char *s = buf + *pos, *nl;

	if (*pos >= len)
		return NULL;
	nl = memchr(s, '\n', len - *pos);
	if (!nl)
		return NULL;
	*nl = '\0';
	*pos = nl + 1 - buf;
	return s;
}

static int cap_bad(const char *what)
{
	pm_err("%s: not a whole pagemap capture (%s)", opt.file, what);
	return -1;
}

static int cap_parse(char *buf, size_t len)
{
	struct cap_proc *cp = NULL;
	size_t pos = 0, pcap = 0, rcap = 0, vcap = 0, ecap = 0, i;
	unsigned int le, shift, es;
	char *l, *s, *name;
	int huge;
	bool done = false;

	l = next_line(buf, len, &pos);
	if (!l || strcmp(l, "pagemap-capture 1"))
		return cap_bad("no pagemap-capture 1 line");
	l = next_line(buf, len, &pos);
	if (!l || sscanf(l, "machine %u %u %u", &le, &shift, &es) != 3 ||
	    (es != 4 && es != 8) || shift < 10 || shift > 20)
		return cap_bad("no machine line");
	cap.h.little_endian = le;
	cap.h.page_shift = shift;
	cap.h.entry_size = es;
	cap.h.header_size = es;
	while (!done && (l = next_line(buf, len, &pos))) {
		struct cap_run *run;
		struct vma *v;
		uint64_t n;

		if (!strcmp(l, "done")) {
			done = true;
		} else if (sscanf(l, "zero %" SCNu64 " %" SCNu64, &zp.zero,
				  &zp.zero_nr) == 2) {
			zp.have_zero = true;
		} else if (sscanf(l, "hugezero %" SCNu64 " %" SCNu64, &zp.huge,
				  &zp.huge_nr) == 2) {
			zp.have_huge = true;
		} else if (!strncmp(l, "proc ", 5)) {
			grow(&cap.procs, &pcap, cap.nprocs + 1, sizeof(*cap.procs));
			cp = &cap.procs[cap.nprocs++];
			memset(cp, 0, sizeof(*cp));
			rcap = 0;
			vcap = 0;
			if (sscanf(l, "proc %d %d %u", &cp->p.pid, &cp->ppid,
				   &cp->uid) != 3)
				return cap_bad("a bad proc line");
			s = l + 5;
			for (i = 0; i < 3; i++)
				s += strcspn(s, " ") + 1;
			s = get_str(s, &name);
			cp->user = xstrdup(name);
			s = get_str(s, &name);
			snprintf(cp->p.comm, sizeof(cp->p.comm), "%s", name);
			s = get_str(s, &name);
			cp->cgroup = xstrdup(name);
			cp->swap_kb = strtoull(s, NULL, 10);
		} else if (cp && !strncmp(l, "vma ", 4)) {
			grow(&cp->p.vmas, &vcap, cp->p.nr_vmas + 1,
			     sizeof(*cp->p.vmas));
			v = &cp->p.vmas[cp->p.nr_vmas++];
			memset(v, 0, sizeof(*v));
			if (sscanf(l, "vma %" SCNx64 " %" SCNx64 " %4s %" SCNx64
				   " %x:%x %" SCNu64 " %d %" SCNd64, &v->start,
				   &v->end, v->perms, &v->offset, &v->major,
				   &v->minor, &v->inode, &huge, &v->size) != 9)
				return cap_bad("a bad vma line");
			v->hugetlb = huge;
			s = l;
			for (i = 0; i < 9; i++)
				s += strcspn(s, " ") + 1;
			get_str(s, &name);
			v->name = xstrdup(name);
		} else if (cp && !strncmp(l, "run ", 4)) {
			grow(&cp->runs, &rcap, cp->nruns + 1, sizeof(*cp->runs));
			run = &cp->runs[cp->nruns++];
			if (sscanf(l, "run %u %" SCNu64 " %" SCNu64, &run->vi,
				   &run->vpn, &n) != 3 || run->vi >= cp->p.nr_vmas ||
			    n > BATCH || n * es > len - pos)
				return cap_bad("a bad run");
			run->n = n;
			run->at = cap.ne;
			grow(&cap.e, &ecap, cap.ne + n, sizeof(*cap.e));
			for (i = 0; i < n; i++)
				cap.e[cap.ne++] = pmap_entry(&cap.h, (unsigned char *)
							     buf + pos + i * es);
			pos += n * es;
		} else if (cp && !strcmp(l, "end")) {
			cp = NULL;
		} else {
			return cap_bad("an unknown line");
		}
	}
	return done ? 0 : cap_bad("cut short");
}

/*
 * cap.own, made for the first scan that tag_own: the entries again, each
 * frame that the capture maps exactly once (not a zero page) tagged
 * ENTRY_OWN, as the kernel's page map marks a page mapped once for readers
 * that tag_own (pss, files): they count such a frame at once instead of
 * sorting it among the shared ones. Two bitmaps over the frames' range,
 * seen and seen again; a range of 2^32 frames or more gets no tags (the
 * answers are the same, found more slowly).
 */
static void cap_tag_own(void)
{
	uint64_t lo = UINT64_MAX, hi = 0, f, *seen, *again;
	size_t i, words;

	cap.own = xcalloc(cap.ne + 1, sizeof(*cap.own));
	memcpy(cap.own, cap.e, cap.ne * sizeof(*cap.e));
	for (i = 0; i < cap.ne; i++) {
		if (cap.e[i] == PMAP_NOT_PRESENT)
			continue;
		lo = cap.e[i] < lo ? cap.e[i] : lo;
		hi = cap.e[i] > hi ? cap.e[i] : hi;
	}
	if (lo > hi || hi - lo >= UINT64_C(1) << 32)
		return;
	words = (hi - lo) / 64 + 1;
	seen = xcalloc(words, sizeof(*seen));
	again = xcalloc(words, sizeof(*again));
	for (i = 0; i < cap.ne; i++) {
		if (cap.e[i] == PMAP_NOT_PRESENT)
			continue;
		f = cap.e[i] - lo;
		if (seen[f / 64] >> (f % 64) & 1)
			again[f / 64] |= UINT64_C(1) << (f % 64);
		seen[f / 64] |= UINT64_C(1) << (f % 64);
	}
	for (i = 0; i < cap.ne; i++) {
		f = cap.e[i] - lo;
		if (counted(cap.e[i]) && !(again[f / 64] >> (f % 64) & 1))
			cap.own[i] |= ENTRY_OWN;
	}
	free(seen);
	free(again);
}

/* Loads the capture of --file, once. Returns 0 or -1 (said). */
int cap_load(void)
{
	char *buf = NULL;
	size_t len = 0, bcap = 0;
	gzFile gz;
	int got, ret;

	if (cap.loaded)
		return 0;
	gz = gzopen(opt.file, "rb");
	if (!gz) {
		pm_err("%s: %s", opt.file, strerror(errno ? errno : ENOMEM));
		return -1;
	}
	do {
		grow(&buf, &bcap, len + (1 << 20), 1);
		got = gzread(gz, buf + len, bcap - len);
		if (got > 0)
			len += got;
	} while (got > 0);
	if (got < 0) {
		int zerr;

		pm_err("%s: %s", opt.file, gzerror(gz, &zerr));
		gzclose(gz);
		free(buf);
		return -1;
	}
	gzclose(gz);
	ret = cap_parse(buf, len);
	free(buf);
	if (ret)
		return ret;
	cap.loaded = true;
	zp.source = SRC_MODULE;
	zp.hidden = false;
	zp.huge_later = false;
	return 0;
}

static struct cap_proc *cap_find(pid_t pid)
{
	size_t i;

	for (i = 0; i < cap.nprocs; i++)
		if (cap.procs[i].p.pid == pid)
			return &cap.procs[i];
	return NULL;
}

/* The captured processes' pids, in pid order (all_pids() of a capture). */
pid_t *cap_pids(size_t *nr)
{
	pid_t *pids = xcalloc(cap.nprocs + 1, sizeof(*pids));
	size_t i;

	for (i = 0; i < cap.nprocs; i++)
		pids[i] = cap.procs[i].p.pid;
	*nr = cap.nprocs;
	return pids;
}

/* proc_open() of a capture: a copy of the captured process. */
int cap_open(struct proc *p, pid_t pid, struct reader *r)
{
	struct cap_proc *cp = cap_find(pid);
	size_t i;

	if (!cp)
		return -ESRCH;
	*p = cp->p;
	p->vmas = xcalloc(cp->p.nr_vmas + 1, sizeof(*p->vmas));
	for (i = 0; i < cp->p.nr_vmas; i++) {
		p->vmas[i] = cp->p.vmas[i];
		p->vmas[i].name = xstrdup(cp->p.vmas[i].name);
	}
	r->be = &capture_backend;
	r->hdr = cap.h;
	r->fd = -1;
	return 0;
}

/*
 * scan_proc() of a capture: its runs, as batches; for a reader that
 * tag_own, with the frames mapped once tagged.
 */
int cap_scan(const struct proc *p, const struct scan_cb *cb, bool tag_own)
{
	struct cap_proc *cp = cap_find(p->pid);
	const uint64_t *e;
	size_t i;

	if (tag_own && !cap.own)
		cap_tag_own();
	e = tag_own ? cap.own : cap.e;

	for (i = 0; cp && i < cp->nruns; i++)
		cb->batch(cb->arg, cp->runs[i].vi, cp->runs[i].vpn,
			  e + cp->runs[i].at, cp->runs[i].n);
	return cp ? 0 : -ESRCH;
}

/* What /proc would say of a captured process: 0, or -ESRCH. */
int cap_info(pid_t pid, pid_t *ppid, uid_t *uid, const char **user,
	     const char **cgroup, uint64_t *swap_kb)
{
	struct cap_proc *cp = cap_find(pid);

	if (!cp)
		return -ESRCH;
	if (ppid)
		*ppid = cp->ppid;
	if (uid)
		*uid = cp->uid;
	if (user)
		*user = cp->user;
	if (cgroup)
		*cgroup = cp->cgroup;
	if (swap_kb)
		*swap_kb = cp->swap_kb;
	return 0;
}
