// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap files: sorting (--sort, --reverse) and the text and JSON output.
 */
#include "files.h"

static const char *const sort_keys[] = {
	"path", "frames", "processes", "pss", "rss", "size"
};

static int sort_key = 3;

int files_opts_check(void)
{
	size_t i;

#ifdef PMAP_NO_LIBELF
	if (opt.sections) {
		pm_err("--sections: this pagemap was built without libelf");
		return EXIT_USAGE;
	}
#endif
	if (opt.sections && cap_active) {
		pm_err("--sections reads the files themselves: not from a capture");
		return EXIT_USAGE;
	}
	if (!opt.sort)
		return -1;
	for (i = 0; i < ARRAY_SIZE(sort_keys); i++)
		if (!strcmp(opt.sort, sort_keys[i]))
			sort_key = i;
	if (strcmp(opt.sort, sort_keys[sort_key])) {
		pm_err("--sort takes path, frames, processes, pss, rss or size, not '%s'",
		       opt.sort);
		return EXIT_USAGE;
	}
	return -1;
}

static uint64_t row_key(const struct file_row *f)
{
	switch (sort_key) {
	case 1:
		return f->frames;
	case 2:
		return f->processes;
	case 4:
		return f->rss;
	case 5:
		return f->size < 0 ? 0 : f->size;
	default:
		return f->pss;
	}
}

/* Sizes largest first, ties and paths by path, then the anonymous by pid. */
static int row_cmp(const void *a, const void *b)
{
	const struct file_row *x = *(struct file_row *const *)a;
	const struct file_row *y = *(struct file_row *const *)b;
	int c;

	if (sort_key && row_key(x) != row_key(y))
		return row_key(x) > row_key(y) ? -1 : 1;
	c = strcmp(x->path, y->path);
	if (c)
		return c;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static uint64_t kb(uint64_t bytes)
{
	return bytes >> 10;
}

static uint64_t pss_kb(uint64_t pss)
{
	return pss >> (PSS_SHIFT + 10);
}

static void print_json(struct file_row *const *rows, size_t n, bool view)
{
	size_t i, k;

	putchar('[');
	for (i = 0; i < n; i++) {
		const struct file_row *f = rows[i];

		printf("%s\n{\"path\": ", i ? "," : "");
		json_str(stdout, f->path);
		printf(", \"dev\": \"%02x:%02x\", \"inode\": %" PRIu64,
		       f->major, f->minor, f->inode);
		if (f->pid) {
			printf(", \"pid\": %d, \"comm\": ", f->pid);
			json_str(stdout, f->comm);
		}
		if (f->size >= 0)
			printf(", \"size_kb\": %" PRIu64, kb(f->size));
		else
			fputs(", \"size_kb\": null", stdout);
		printf(", \"frames\": %" PRIu64 ", \"processes\": %" PRIu64
		       ", \"pss_kb\": %" PRIu64 ", \"rss_kb\": %" PRIu64,
		       f->frames, f->processes, pss_kb(f->pss), kb(f->rss));
		if (view)
			printf(", \"pid_pss_kb\": %" PRIu64 ", \"pid_rss_kb\": %"
			       PRIu64, pss_kb(f->view_pss), kb(f->view_rss));
		if (opt.sections && f->nsec) {
			fputs(", \"sections\": [", stdout);
			for (k = 0; k < f->nsec; k++) {
				const struct elf_sec *s = &f->sec[k];

				printf("%s{\"name\": ", k ? ", " : "");
				json_str(stdout, s->name);
				printf(", \"frames\": %" PRIu64 ", \"pss_kb\": %"
				       PRIu64 ", \"rss_kb\": %" PRIu64 "}",
				       s->frames, pss_kb(s->pss), kb(s->rss));
			}
			putchar(']');
		}
		putchar('}');
	}
	puts("\n]");
}

/* The lines of a file's sections, under its row. */
static char *sections_text(const struct file_row *f)
{
	char *out = NULL, a[24], b[24];
	size_t len = 0, k;

	for (k = 0; k < f->nsec; k++) {
		const struct elf_sec *s = &f->sec[k];
		int w;

		if (!s->frames)
			continue;
		w = snprintf(NULL, 0, "    %-20s %8s %8s %6" PRIu64 "\n", s->name,
			     "", "", s->frames) + 48;
		out = xrealloc(out, len + w);
		len += snprintf(out + len, w, "    %-20s %8s %8s %6" PRIu64 "\n",
				s->name, human_kb(pss_kb(s->pss), a, sizeof(a)),
				human_kb(kb(s->rss), b, sizeof(b)), s->frames);
	}
	return out;
}

static void print_text(struct file_row *const *rows, size_t n, bool view)
{
	static const char *const heads[] = {
		"PSS", "RSS", "FRAMES", "PROCS", "SIZE", "PATH"
	};
	static const char *const vheads[] = {
		"PSS", "RSS", "FRAMES", "PROCS", "SIZE", "PID PSS", "PID RSS",
		"PATH"
	};
	struct table t = {
		.ncols = view ? 8 : 6, .heads = view ? vheads : heads,
		.align = view ? "rrrrrrrl" : "rrrrrl"
	};
	char c[7][24], path[160];
	size_t i;

	for (i = 0; i < n; i++) {
		const struct file_row *f = rows[i];

		human_kb(pss_kb(f->pss), c[0], sizeof(c[0]));
		human_kb(kb(f->rss), c[1], sizeof(c[1]));
		snprintf(c[2], sizeof(c[2]), "%" PRIu64, f->frames);
		snprintf(c[3], sizeof(c[3]), "%" PRIu64, f->processes);
		if (f->size >= 0)
			human_kb(kb(f->size), c[4], sizeof(c[4]));
		else
			snprintf(c[4], sizeof(c[4]), "-");
		human_kb(pss_kb(f->view_pss), c[5], sizeof(c[5]));
		human_kb(kb(f->view_rss), c[6], sizeof(c[6]));
		if (f->pid)
			snprintf(path, sizeof(path), "[anon] %d %s", f->pid,
				 f->comm);
		else
			snprintf(path, sizeof(path), "%s", f->path);
		if (view)
			table_row(&t, opt.sections ? sections_text(f) : NULL,
				  c[0], c[1], c[2], c[3], c[4], c[5], c[6], path);
		else
			table_row(&t, opt.sections ? sections_text(f) : NULL,
				  c[0], c[1], c[2], c[3], c[4], path);
	}
	table_print(&t);
}

/* Sorts (--sort, --reverse: by Pss, largest first, unless asked) and prints. */
void files_print(struct file_row **rows, size_t n, bool view)
{
	size_t i;

	qsort(rows, n, sizeof(*rows), row_cmp);
	for (i = 0; opt.reverse && i < n / 2; i++) {
		struct file_row *x = rows[i];

		rows[i] = rows[n - 1 - i];
		rows[n - 1 - i] = x;
	}
	if (opt.json)
		print_json(rows, n, view);
	else
		print_text(rows, n, view);
}
