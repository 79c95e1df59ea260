// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap files --sections: an ELF file's frames by section, from its
 * section headers, read with elfutils' libelf. Built without libelf
 * (PMAP_NO_LIBELF), --sections says so.
 */
#include "files.h"

#ifndef PMAP_NO_LIBELF
#include <gelf.h>

/*
 * Reads the sections of an ELF file that take room in memory and in the
 * file (SHF_ALLOC, not SHT_NOBITS) into f->sec; not ELF: none.
 */
void files_elf_open(struct file_row *f, const char *path)
{
	size_t shstrndx, cap = 0;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	const char *name;
	Elf *e;
	int fd;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		goto out_close;
	if (elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx))
		goto out_end;
	while ((scn = elf_nextscn(e, scn))) {
		struct elf_sec *s;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_type == SHT_NOBITS || !sh.sh_size)
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		grow(&f->sec, &cap, f->nsec + 1, sizeof(*f->sec));
		s = &f->sec[f->nsec++];
		memset(s, 0, sizeof(*s));
		s->name = xstrdup(name ? name : "?");
		s->off = sh.sh_offset;
		s->end = sh.sh_offset + sh.sh_size;
	}
	if (f->nsec) {
		/* The pages no section covers: headers, padding. */
		grow(&f->sec, &cap, f->nsec + 1, sizeof(*f->sec));
		memset(&f->sec[f->nsec], 0, sizeof(*f->sec));
		f->sec[f->nsec++].name = xstrdup("(no section)");
	}
out_end:
	elf_end(e);
out_close:
	close(fd);
}
#else
void files_elf_open(struct file_row *f, const char *path)
{
	(void)f;
	(void)path;
}
#endif /* PMAP_NO_LIBELF */

/*
 * Counts a mapping of a frame of the file at page pgoff: in the section
 * that covers most of the page, or in "(no section)", the last.
 */
void files_elf_count(struct file_row *f, uint64_t pfn, uint32_t pgoff,
		     uint64_t ps, uint64_t share)
{
	uint64_t lo = (uint64_t)pgoff * ps, hi = lo + ps, best = 0;
	size_t k, at = f->nsec - 1;

	for (k = 0; k + 1 < f->nsec; k++) {
		const struct elf_sec *s = &f->sec[k];
		uint64_t a = s->off > lo ? s->off : lo;
		uint64_t b = s->end < hi ? s->end : hi;

		if (b > a && b - a > best) {
			best = b - a;
			at = k;
		}
	}
	f->sec[at].rss += ps;
	f->sec[at].pss += share;
	if (f->sec[at].last_pfn != pfn + 1) {
		f->sec[at].last_pfn = pfn + 1;
		f->sec[at].frames++;
	}
}

void files_elf_free(struct file_row *f)
{
	size_t k;

	for (k = 0; k < f->nsec; k++)
		free(f->sec[k].name);
	free(f->sec);
}
