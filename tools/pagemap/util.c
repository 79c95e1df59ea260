// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers: errors, memory, /proc files, sizes for people, JSON
 * strings, aligned tables and runs of frames.
 */
#include "pagemap.h"

void pm_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("pagemap: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p) {
		pm_err("out of memory");
		exit(EXIT_FAIL);
	}
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		pm_err("out of memory");
		exit(EXIT_FAIL);
	}
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p) {
		pm_err("out of memory");
		exit(EXIT_FAIL);
	}
	return p;
}

/* Grow *p (of *cap elements of @size) to hold at least @need elements. */
void grow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;

	if (need <= *cap)
		return;
	*cap = *cap ? *cap * 2 : 64;
	if (*cap < need)
		*cap = need;
	*p = xrealloc(*p, *cap * size);
}

/* "4K", "1.5M", "12M", "3.2G": a size in KiB for people. */
const char *human_kb(uint64_t kb, char *buf, size_t len)
{
	static const char units[] = "KMGTP";
	double v = kb;
	unsigned int u = 0;

	if (kb < 1024) {
		snprintf(buf, len, "%" PRIu64 "K", kb);
		return buf;
	}
	while (v >= 1024 && u < sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
	return buf;
}

/*
 * The length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 if there is none.
 */
static size_t utf8_len(const unsigned char *p)
{
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 3;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4;
	else
		return 0;
	if (*p == 0xe0)
		lo = 0xa0;
	else if (*p == 0xed)
		hi = 0x9f;
	else if (*p == 0xf0)
		lo = 0x90;
	else if (*p == 0xf4)
		hi = 0x8f;
	for (i = 1; i < n; i++, lo = 0x80, hi = 0xbf)
		if (p[i] < lo || p[i] > hi)
			return 0;
	return n;
}

/*
 * A quoted string, UTF-8 kept as it is and each byte that is not part of
 * well-formed UTF-8 (a file name can hold any) replaced by U+FFFD. JSON:
 * quotes, backslashes and control characters escaped. A label value of
 * the Prometheus text format: backslash, double quote and newline escaped.
 */
static void quoted_str(FILE *f, const char *s, bool json)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	fputc('"', f);
	while (*p) {
		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
		} else if (*p == '\n' && !json) {
			fputs("\\n", f);
			p++;
		} else if ((*p < 0x20 || *p == 0x7f) && json) {
			fprintf(f, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			fputc(*p++, f);
		} else {
			n = utf8_len(p);
			fwrite(n ? (const char *)p : "\xef\xbf\xbd", 1, n ? n : 3, f);
			p += n ? n : 1;
		}
	}
	fputc('"', f);
}

void json_str(FILE *f, const char *s)
{
	quoted_str(f, s, true);
}

void prom_str(FILE *f, const char *s)
{
	quoted_str(f, s, false);
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void table_row(struct table *t, char *extra, ...)
{
	va_list ap;
	size_t i;

	grow(&t->cells, &t->cap, (t->nrows + 1) * t->ncols, sizeof(char *));
	grow(&t->extra, &t->xcap, t->nrows + 1, sizeof(char *));
	va_start(ap, extra);
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(va_arg(ap, const char *));
	va_end(ap);
	t->extra[t->nrows++] = extra;
}

void table_print(struct table *t)
{
	size_t *w = xcalloc(t->ncols, sizeof(*w));
	size_t r, c;

	for (c = 0; c < t->ncols; c++)
		w[c] = strlen(t->heads[c]);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			if (strlen(t->cells[r * t->ncols + c]) > w[c])
				w[c] = strlen(t->cells[r * t->ncols + c]);
	for (r = 0; r <= t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *s = r ? t->cells[(r - 1) * t->ncols + c] :
					    t->heads[c];
			bool last = c + 1 == t->ncols;

			if (t->align[c] == 'r')
				printf("%*s", (int)w[c], s);
			else
				printf("%-*s", last ? 0 : (int)w[c], s);
			fputs(last ? "\n" : "  ", stdout);
		}
		if (r && t->extra[r - 1])
			fputs(t->extra[r - 1], stdout);
	}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++)
			free(t->cells[r * t->ncols + c]);
		free(t->extra[r]);
	}
	free(t->cells);
	free(t->extra);
	free(w);
	t->cells = NULL;
	t->extra = NULL;
	t->nrows = 0;
	t->cap = 0;
	t->xcap = 0;
}

/* Reads a whole /proc file. Returns 0 or -errno. */
int slurp(const char *path, char **out, size_t *outlen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		grow(&buf, &cap, len + 65536, 1);
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			int e = -errno;

			close(fd);
			free(buf);
			return e;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = 0;
	*out = buf;
	if (outlen)
		*outlen = len;
	return 0;
}

uint64_t read_sysfs_u64(const char *path)
{
	char *buf;
	uint64_t v = 0;

	if (!slurp(path, &buf, NULL)) {
		v = strtoull(buf, NULL, 0);
		free(buf);
	}
	return v;
}

void runs_add(struct runs *rs, uint64_t vpn, const uint64_t *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct run *last = rs->nr ? &rs->r[rs->nr - 1] : NULL;

		if (e[i] == PMAP_NOT_PRESENT)
			continue;
		rs->present++;
		if (last && last->vpn + last->n == vpn + i &&
		    last->pfn + last->n == e[i]) {
			last->n++;
			continue;
		}
		grow(&rs->r, &rs->cap, rs->nr + 1, sizeof(*rs->r));
		rs->r[rs->nr].vpn = vpn + i;
		rs->r[rs->nr].pfn = e[i];
		rs->r[rs->nr++].n = 1;
	}
}

/* "    frames 0x1a2b3+16 0x2000+1 ...", wrapped, for the plain output. */
char *runs_text(const struct runs *rs, const char *indent)
{
	size_t len = 0, cap = 0, col = 0, i;
	char *s = NULL, item[48];

	if (!rs->nr)
		return NULL;
	for (i = 0; i < rs->nr; i++) {
		int n = snprintf(item, sizeof(item), "0x%" PRIx64 "+%" PRIu64,
				 rs->r[i].pfn, rs->r[i].n);

		grow(&s, &cap, len + n + strlen(indent) + 16, 1);
		if (!col || col + n > 96) {
			if (col)
				s[len++] = '\n';
			len += sprintf(s + len, "%sframes", indent);
			col = strlen(indent) + 6;
		}
		len += sprintf(s + len, " %s", item);
		col += n + 1;
	}
	s[len++] = '\n';
	s[len] = 0;
	return s;
}

void runs_json(FILE *f, const struct runs *rs, unsigned int shift)
{
	size_t i;

	fputs("[", f);
	for (i = 0; i < rs->nr; i++)
		fprintf(f, "%s{\"addr\": \"0x%" PRIx64 "\", \"pfn\": %" PRIu64
			", \"pages\": %" PRIu64 "}",
			i ? ", " : "", rs->r[i].vpn << shift, rs->r[i].pfn,
			rs->r[i].n);
	fputs("]", f);
}
