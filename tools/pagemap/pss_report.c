// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap pss, around the frame counts: smaps_rollup where frame numbers
 * are hidden, the --name and --user filters, the --by groups' names,
 * sorting, and the text, JSON and CSV output.
 */
#include <regex.h>

#include "pss.h"

static const char *const sort_keys[] = {
	"pid", "name", "rss", "pss", "uss", "swap"
};

static const char *const by_keys[] = { "user", "name", "cgroup", "tree" };

static regex_t name_re;
static bool have_re, have_user, prom;
static uid_t want_uid;
static int sort_key = -1;

static int key_index(const char *s, const char *const *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, keys[i]))
			return i;
	return -1;
}

/* Checks pss's own options. Returns -1 to go on, or an exit status. */
int pss_opts_check(void)
{
	char msg[128];
	int err;

	if (opt.sort) {
		sort_key = key_index(opt.sort, sort_keys, ARRAY_SIZE(sort_keys));
		if (sort_key < 0) {
			pm_err("--sort takes pid, name, rss, pss, uss or swap, not '%s'",
			       opt.sort);
			return EXIT_USAGE;
		}
	}
	if (opt.by && key_index(opt.by, by_keys, ARRAY_SIZE(by_keys)) < 0) {
		pm_err("--by takes user, name, cgroup or tree, not '%s'", opt.by);
		return EXIT_USAGE;
	}
	if (opt.format) {
		if (!strcmp(opt.format, "json")) {
			opt.json = true;
		} else if (!strcmp(opt.format, "csv")) {
			opt.csv = true;
		} else if (!strcmp(opt.format, "prometheus")) {
			prom = true;
		} else if (strcmp(opt.format, "text")) {
			pm_err("--format takes text, json, csv or prometheus, not '%s'",
			       opt.format);
			return EXIT_USAGE;
		}
	}
	if (opt.json + opt.csv + prom > 1) {
		pm_err("--json, --csv and --format prometheus: one of them");
		return EXIT_USAGE;
	}
	if (prom && opt.total) {
		pm_err("--total is not part of --format prometheus: sum() the samples");
		return EXIT_USAGE;
	}
	if (opt.name) {
		err = regcomp(&name_re, opt.name, REG_EXTENDED | REG_NOSUB);
		if (err) {
			regerror(err, &name_re, msg, sizeof(msg));
			pm_err("--name '%s': %s", opt.name, msg);
			return EXIT_USAGE;
		}
		have_re = true;
	}
	if (opt.user) {
		if (user_uid(opt.user, &want_uid)) {
			pm_err("--user '%s': no such user", opt.user);
			return EXIT_USAGE;
		}
		have_user = true;
	}
	return -1;
}

/* Whether a process passes --name and --user. */
bool pss_row_wanted(const struct pss_row *r)
{
	uid_t uid;

	if (have_re && regexec(&name_re, r->comm, 0, NULL, 0))
		return false;
	if (have_user && (proc_euid(r->pid, &uid) || uid != want_uid))
		return false;
	return true;
}

/* The kB of each "Key:" line of a smaps_rollup, keys[] in that order. */
static int rollup(pid_t pid, const char *const *keys, uint64_t *kb, size_t n)
{
	char path[64], *buf;
	const char *v;
	size_t i;
	int ret, found = 0;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	ret = slurp(path, &buf, NULL);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		size_t len = strlen(keys[i]);

		kb[i] = 0;
		for (v = buf; v; v = strchr(v, '\n'), v = v ? v + 1 : NULL)
			if (!strncmp(v, keys[i], len) && v[len] == ':')
				break;
		if (v) {
			kb[i] = strtoull(v + len + 1, NULL, 10);
			found++;
		}
	}
	free(buf);
	return found;
}

/*
 * Rss, Pss, Uss and Swap as the kernel counts them, for a user who cannot
 * see frame numbers. Returns 0, 1 for a process with no memory (a kernel
 * thread), or -errno.
 */
int pss_smaps(pid_t pid, struct pss_row *r)
{
	static const char *const keys[] = {
		"Rss", "Pss", "Private_Clean", "Private_Dirty", "Swap"
	};
	uint64_t kb[ARRAY_SIZE(keys)];
	int ret = rollup(pid, keys, kb, ARRAY_SIZE(keys));

	if (ret < 0)
		return ret;
	proc_comm(pid, r->comm, sizeof(r->comm));
	if (!ret)
		return 1;
	r->source = "smaps";
	r->rss_kb = kb[0];
	r->pss_kb = kb[1];
	r->uss_kb = kb[2] + kb[3];
	r->swap_kb = kb[4];
	return 0;
}

/* Swap of a process, from its smaps_rollup; none to read without swap. */
uint64_t pss_swap_kb(pid_t pid)
{
	static const char *const keys[] = { "Swap" };
	static int have_swap = -1;
	uint64_t kb;

	if (cap_active)
		return cap_info(pid, NULL, NULL, NULL, NULL, &kb) ? 0 : kb;
	if (have_swap < 0) {
		char *buf;
		const char *v;

		have_swap = 1;
		if (!slurp("/proc/meminfo", &buf, NULL)) {
			v = strstr(buf, "SwapTotal:");
			have_swap = !v || strtoull(v + 10, NULL, 10);
			free(buf);
		}
	}
	if (!have_swap || rollup(pid, keys, &kb, 1) <= 0)
		return 0;
	return kb;
}

/* The group of a process for --by: a new string. */
char *pss_group_key(pid_t pid, const char *comm)
{
	char buf[128], c[64];
	pid_t top = pid, up;
	uid_t uid;
	int i;

	switch (opt.by[0]) {
	case 'u':
		if (cap_active) {
			const char *user;

			return xstrdup(cap_info(pid, NULL, NULL, &user, NULL, NULL) ?
				       "?" : user);
		}
		if (proc_euid(pid, &uid))
			return xstrdup("?");
		user_name(uid, buf, sizeof(buf));
		return xstrdup(buf);
	case 'n':
		return xstrdup(comm);
	case 'c':
		return proc_cgroup(pid);
	default:
		/* tree: the subtree below init (or kthreadd) it belongs to */
		for (i = 0; i < 4096; i++) {
			up = proc_ppid(top);
			if (up <= 2)
				break;
			top = up;
		}
		proc_comm(top, c, sizeof(c));
		snprintf(buf, sizeof(buf), "%d %s", top, c);
		return xstrdup(buf);
	}
}

static uint64_t row_key(const struct pss_row *r)
{
	switch (sort_key) {
	case 2:
		return r->rss_kb;
	case 3:
		return r->pss_kb;
	case 4:
		return r->uss_kb;
	default:
		return r->swap_kb;
	}
}

static const char *row_name(const struct pss_row *r)
{
	return r->group ? r->group : r->comm;
}

static int row_cmp(const void *a, const void *b)
{
	const struct pss_row *x = *(struct pss_row *const *)a;
	const struct pss_row *y = *(struct pss_row *const *)b;
	int c;

	/* Sizes largest first; ties, names and groups by name, then pid. */
	if (sort_key >= 2 && row_key(x) != row_key(y))
		return row_key(x) > row_key(y) ? -1 : 1;
	if (sort_key != 0 || x->group) {
		c = strcmp(row_name(x), row_name(y));
		if (c)
			return c;
	}
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* A size for the text output: for people, or -k, -m, --bytes. */
static const char *size_str(uint64_t kb, char *buf, size_t len)
{
	switch (opt.unit) {
	case 'k':
		snprintf(buf, len, "%" PRIu64, kb);
		return buf;
	case 'm':
		snprintf(buf, len, "%" PRIu64, kb >> 10);
		return buf;
	case 'b':
		snprintf(buf, len, "%" PRIu64, kb << 10);
		return buf;
	default:
		return human_kb(kb, buf, len);
	}
}

/* A CSV field (RFC 4180): quoted when it holds a comma, quote or newline. */
static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void print_json(struct pss_row *const *rows, size_t n,
		       const struct pss_row *tot, bool groups)
{
	size_t i;

	if (tot)
		printf("{\"%s\": [", groups ? "groups" : "processes");
	else
		putchar('[');
	for (i = 0; i < n; i++) {
		const struct pss_row *r = rows[i];

		printf("%s\n{", i ? "," : "");
		if (groups) {
			fputs("\"group\": ", stdout);
			json_str(stdout, r->group);
			printf(", \"processes\": %zu", r->processes);
		} else {
			printf("\"pid\": %d, \"comm\": ", r->pid);
			json_str(stdout, r->comm);
		}
		printf(", \"source\": \"%s\", \"rss_kb\": %" PRIu64 ", \"pss_kb\": %"
		       PRIu64 ", \"uss_kb\": %" PRIu64 ", \"swap_kb\": %" PRIu64 "}",
		       r->source, r->rss_kb, r->pss_kb, r->uss_kb, r->swap_kb);
	}
	printf("\n]");
	if (tot)
		printf(", \"total\": {\"processes\": %zu, \"rss_kb\": %" PRIu64
		       ", \"pss_kb\": %" PRIu64 ", \"uss_kb\": %" PRIu64
		       ", \"swap_kb\": %" PRIu64 "}}",
		       tot->processes, tot->rss_kb, tot->pss_kb, tot->uss_kb,
		       tot->swap_kb);
	putchar('\n');
}

static void print_csv(struct pss_row *const *rows, size_t n,
		      const struct pss_row *tot, bool groups)
{
	size_t i;

	printf("%s,source,rss_kb,pss_kb,uss_kb,swap_kb\n",
	       groups ? "group,processes" : "pid,comm");
	for (i = 0; i <= n; i++) {
		const struct pss_row *r = i < n ? rows[i] : tot;

		if (!r)
			break;
		if (groups) {
			csv_str(stdout, i < n ? r->group : "TOTAL");
			printf(",%zu", r->processes);
		} else if (i < n) {
			printf("%d,", r->pid);
			csv_str(stdout, r->comm);
		} else {
			fputs(",TOTAL", stdout);
		}
		printf(",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
		       r->source, r->rss_kb, r->pss_kb, r->uss_kb, r->swap_kb);
	}
}

static void print_text(struct pss_row *const *rows, size_t n,
		       const struct pss_row *tot, bool groups)
{
	static const char *const heads[] = {
		"GROUP", "PROCS", "RSS", "PSS", "USS", "SWAP"
	};
	struct table t = { .ncols = 6, .heads = heads, .align = "lrrrrr" };
	char s[4][24], procs[24];
	size_t i;

	if (!groups)
		printf("%7s  %-16s %8s %8s %8s %8s\n", "PID", "COMM", "RSS",
		       "PSS", "USS", "SWAP");
	for (i = 0; i <= n; i++) {
		const struct pss_row *r = i < n ? rows[i] : tot;

		if (!r)
			break;
		size_str(r->rss_kb, s[0], sizeof(s[0]));
		size_str(r->pss_kb, s[1], sizeof(s[1]));
		size_str(r->uss_kb, s[2], sizeof(s[2]));
		size_str(r->swap_kb, s[3], sizeof(s[3]));
		snprintf(procs, sizeof(procs), "%zu", r->processes);
		if (groups)
			table_row(&t, NULL, i < n ? r->group : "TOTAL", procs,
				  s[0], s[1], s[2], s[3]);
		else if (i < n)
			printf("%7d  %-16s %8s %8s %8s %8s\n", r->pid, r->comm,
			       s[0], s[1], s[2], s[3]);
		else
			printf("%7s  %-16s %8s %8s %8s %8s\n", "TOTAL",
			       strcat(procs, " processes"), s[0], s[1], s[2],
			       s[3]);
	}
	if (groups)
		table_print(&t);
}

/* Sorts (--sort, --reverse) and prints the rows, and with --total their sums. */
void pss_print(struct pss_row **rows, size_t n)
{
	struct pss_row tot = {
		.source = n ? rows[0]->source :
			  zp.hidden ? "smaps" : source_names[zp.source]
	};
	bool groups = opt.by;
	size_t i;

	if (sort_key >= 0 || (groups && n))
		qsort(rows, n, sizeof(*rows), row_cmp);
	for (i = 0; opt.reverse && i < n / 2; i++) {
		struct pss_row *x = rows[i];

		rows[i] = rows[n - 1 - i];
		rows[n - 1 - i] = x;
	}
	for (i = 0; i < n; i++) {
		tot.processes += groups ? rows[i]->processes : 1;
		tot.rss_kb += rows[i]->rss_kb;
		tot.pss_kb += rows[i]->pss_kb;
		tot.uss_kb += rows[i]->uss_kb;
		tot.swap_kb += rows[i]->swap_kb;
	}
	if (prom)
		pss_print_prom(rows, n, groups);
	else if (opt.json)
		print_json(rows, n, opt.total ? &tot : NULL, groups);
	else if (opt.csv)
		print_csv(rows, n, opt.total ? &tot : NULL, groups);
	else
		print_text(rows, n, opt.total ? &tot : NULL, groups);
}
