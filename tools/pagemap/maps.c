// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap maps PID: each mapping with its present pages and frame runs.
 */
#include "pagemap.h"

/* ---- maps --------------------------------------------------------------- */

struct maps_ctx {
	struct runs *runs;
};

static void maps_batch(void *arg, size_t vi, uint64_t vpn, const uint64_t *e,
		       size_t n)
{
	struct maps_ctx *c = arg;

	runs_add(&c->runs[vi], vpn, e, n);
}

int cmd_maps(int argc, char **argv)
{
	struct maps_ctx c = { 0 };
	const struct scan_cb cb = { .batch = maps_batch, .arg = &c };
	uint64_t *buf, total = 0;
	struct reader r;
	struct proc p;
	unsigned int shift;
	pid_t pid;
	size_t i;
	int ret, w;

	if (argc != 1) {
		pm_err("maps takes one pid (see pagemap --help)");
		return EXIT_USAGE;
	}
	if (parse_pid(argv[0], &pid))
		return EXIT_FAIL;
	probe_zero(true);
	if (zp.hidden) {
		pm_err("frame numbers are hidden from this user (CAP_SYS_ADMIN shows them): present pages only");
		opt.no_frames = true;
	}
	ret = proc_open(&p, pid, &r, false);
	if (ret)
		return proc_error(pid, ret);
	shift = r.hdr.page_shift;
	c.runs = xcalloc(p.nr_vmas, sizeof(*c.runs));
	buf = xcalloc(BATCH, sizeof(*buf));
	ret = scan_proc(&r, &p, buf, &cb);
	if (ret) {
		ret = proc_error(pid, ret);
		goto out;
	}
	for (i = 0; i < p.nr_vmas; i++)
		total += c.runs[i].present;

	if (opt.json) {
		printf("{\"pid\": %d, \"comm\": ", pid);
		json_str(stdout, p.comm);
		printf(", \"source\": \"%s\", \"page_size\": %llu, \"present_pages\": %"
		       PRIu64 ", \"mappings\": [",
		       r.be->name, 1ULL << shift, total);
		for (i = 0; i < p.nr_vmas; i++) {
			struct vma *v = &p.vmas[i];

			printf("%s\n{\"start\": \"0x%" PRIx64 "\", \"end\": \"0x%" PRIx64
			       "\", \"perms\": \"%s\", \"offset\": \"0x%" PRIx64
			       "\", \"dev\": \"%02x:%02x\", \"inode\": %" PRIu64
			       ", \"name\": ",
			       i ? "," : "", v->start, v->end, v->perms,
			       v->offset, v->major, v->minor, v->inode);
			json_str(stdout, v->name);
			printf(", \"size_kb\": %" PRIu64 ", \"present_pages\": %" PRIu64
			       ", \"hugetlb\": %s, \"runs\": ",
			       (v->end - v->start) >> 10, c.runs[i].present,
			       v->hugetlb ? "true" : "false");
			if (opt.no_frames)
				fputs("[]", stdout);
			else
				runs_json(stdout, &c.runs[i], shift);
			putchar('}');
		}
		printf("\n]}\n");
		goto out;
	}

	{
		static const char *const heads[] = {
			"ADDRESS", "PERM", "SIZE", "PRESENT", "RSS", "NAME"
		};
		struct table t = { .ncols = 6, .heads = heads, .align = "llrrrl" };
		char h1[16], h2[16];

		if (r.empty || !p.nr_vmas) {
			printf("pid %d (%s): no address space (kernel thread)\n",
			       pid, p.comm);
			goto out;
		}
		printf("pid %d (%s): %zu mappings, %" PRIu64 " present pages (%s), %s pages\n",
		       pid, p.comm, p.nr_vmas, total,
		       human_kb((total << shift) >> 10, h1, sizeof(h1)),
		       human_kb((1ULL << shift) >> 10, h2, sizeof(h2)));
		w = addr_width(&p);
		for (i = 0; i < p.nr_vmas; i++) {
			struct vma *v = &p.vmas[i];
			char range[40], pres[24], size[16], rss[16];

			snprintf(range, sizeof(range), "%0*" PRIx64 "-%0*" PRIx64,
				 w, v->start, w, v->end);
			snprintf(pres, sizeof(pres), "%" PRIu64, c.runs[i].present);
			table_row(&t, opt.no_frames ? NULL : runs_text(&c.runs[i], "    "),
				  range, v->perms,
				  human_kb((v->end - v->start) >> 10, size, sizeof(size)),
				  pres,
				  human_kb((c.runs[i].present << shift) >> 10, rss, sizeof(rss)),
				  v->hugetlb && !*v->name ? "[hugetlb]" : v->name);
		}
		table_print(&t);
	}
out:
	for (i = 0; i < p.nr_vmas; i++)
		free(c.runs[i].r);
	free(c.runs);
	free(buf);
	reader_close(&r);
	proc_free(&p);
	return ret ? EXIT_FAIL : EXIT_OK;
}
