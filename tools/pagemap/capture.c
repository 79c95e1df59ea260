// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap capture PID FILE and pagemap dump --file FILE: captured maps.
 */
#include "pagemap.h"

/* ---- captured maps: dump and capture ------------------------------------ */

struct dump_range {
	uint64_t vpn, n;
	struct runs runs;
};

/*
 * Why a capture has no header that dump can use: a file cut inside its
 * header is said to be truncated, not to be something else.
 */
static const char *dump_bad_header(const char *file, int err, bool empty)
{
	unsigned char b[8] = { 0 };
	struct pmap_header h;
	ssize_t n = -1;
	int fd;

	if (empty)
		return "empty file, no header";
	if (err != -EPROTO)
		return strerror(-err);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, b, sizeof(b));
		close(fd);
	}
	if (n > 0 && n < (ssize_t)sizeof(b) && !pmap_parse_header(b, sizeof(b), &h) &&
	    n < h.header_size)
		return "truncated: the file ends inside its header";
	return "not a page map: its header is not one this tool knows";
}

int cmd_dump(int argc, char **argv)
{
	struct dump_range *rg = NULL;
	size_t nrg = 0, cap = 0, i;
	uint64_t *buf, present = 0, pos, cut;
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
	if (!ret && !r.empty && fstat(r.fd, &st))
		ret = -errno;
	if (ret || r.empty) {
		pm_err("%s: %s", opt.file, dump_bad_header(opt.file, ret, r.empty));
		reader_close(&r);
		return EXIT_FAIL;
	}
	ret = EXIT_FAIL;
	shift = r.hdr.page_shift;
	/* A partial last entry: the capture was cut short (a copy, a full disk). */
	cut = ((uint64_t)st.st_size - r.hdr.header_size) % r.hdr.entry_size;
	if (cut)
		pm_err("%s: truncated: its last entry has %" PRIu64
		       " of its %u bytes, and is left out",
		       opt.file, cut, r.hdr.entry_size);
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
		printf(", \"entry_size\": %u, \"truncated\": %s, \"present_pages\": %"
		       PRIu64 ", \"ranges\": [", r.hdr.entry_size,
		       cut ? "true" : "false", present);
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
	ret = cut ? EXIT_FAIL : EXIT_OK;
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

	if (opt.all)
		return cmd_capture_all(argc, argv);
	ret = parse_args(argc, argv, 2, &pid, 1,
			 "capture takes a pid and a file name, or --all and a file name");
	if (ret)
		return ret;
	if (need_frames("a capture would hold 0 for every present page"))
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
