/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The format of /proc/pagemap/<pid>, for userspace readers (the tool, the
 * selftests, the benchmark). The module documents the same format above its
 * read handler in pagemap_main.c; this header is its one userspace mirror.
 *
 * Let E be sizeof(unsigned long) of the kernel that wrote the file.
 *   offset 0, E bytes        the header:
 *                              byte 0  1 if little-endian, 0 if big-endian
 *                              byte 1  PAGE_SHIFT
 *                              byte 2  E, the entry size
 *                              byte 3  E, the header size
 *                              rest    zero
 *   offset (N + 1) * E       the entry of virtual page N, in the kernel's
 *                            byte order: its page frame number if present
 *                            (0 when the opener may not see frame numbers),
 *                            all ones (-1) if not present.
 * The file ends after the last page below the target's TASK_SIZE.
 */
#ifndef _PAGEMAP_FORMAT_H
#define _PAGEMAP_FORMAT_H

#include <stddef.h>
#include <linux/types.h>

/* Where the module's filesystem is mounted by convention. */
#define PMAP_MOUNT		"/proc/pagemap"
#define PMAP_FSTYPE		"pagemap"

/* Byte positions inside the header entry. */
#define PMAP_HDR_ENDIAN		0
#define PMAP_HDR_PAGE_SHIFT	1
#define PMAP_HDR_ENTRY_SIZE	2
#define PMAP_HDR_HEADER_SIZE	3

/* A decoded entry that is not present, whatever the entry size. */
#define PMAP_NOT_PRESENT	(~(__u64)0)

struct pmap_header {
	int little_endian;
	unsigned int page_shift;
	unsigned int entry_size;
	unsigned int header_size;
};

/*
 * Decode the header from the first bytes of a map. Returns 0, or -1 when
 * the bytes do not form a header this code understands.
 */
static inline int pmap_parse_header(const unsigned char *b, size_t len,
				    struct pmap_header *h)
{
	size_t i;

	if (len < 4)
		return -1;
	h->little_endian = b[PMAP_HDR_ENDIAN];
	h->page_shift = b[PMAP_HDR_PAGE_SHIFT];
	h->entry_size = b[PMAP_HDR_ENTRY_SIZE];
	h->header_size = b[PMAP_HDR_HEADER_SIZE];
	if (h->little_endian > 1 || h->page_shift < 10 || h->page_shift > 24)
		return -1;
	if (h->entry_size != 4 && h->entry_size != 8)
		return -1;
	if (h->header_size != h->entry_size || len < h->header_size)
		return -1;
	for (i = 4; i < h->header_size; i++)
		if (b[i])
			return -1;
	return 0;
}

/* 1 if this machine is little-endian: byte 0 of the header of its maps. */
static inline int pmap_host_little_endian(void)
{
	return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
}

/* Byte offset of the entry for virtual page number @vpn. */
static inline __u64 pmap_entry_offset(const struct pmap_header *h,
				      __u64 vpn)
{
	return h->header_size + vpn * h->entry_size;
}

/*
 * Decode one entry at @p: the frame number, or PMAP_NOT_PRESENT for an
 * entry of all ones. An entry in this machine's own format (any map read
 * live, and captures made here) is one load; others are put together byte
 * by byte.
 */
static inline __u64 pmap_entry(const struct pmap_header *h,
			       const unsigned char *p)
{
	const int native_le = pmap_host_little_endian();
	__u64 v = 0;
	__u32 w;
	unsigned int i;

	if (h->little_endian == native_le && h->entry_size == sizeof(v)) {
		__builtin_memcpy(&v, p, sizeof(v));
		return v;
	}
	if (h->little_endian == native_le && h->entry_size == sizeof(w)) {
		__builtin_memcpy(&w, p, sizeof(w));
		return w == ~(__u32)0 ? PMAP_NOT_PRESENT : w;
	}
	for (i = 0; i < h->entry_size; i++) {
		unsigned int byte = h->little_endian ? h->entry_size - 1 - i : i;

		v = (v << 8) | p[byte];
	}
	if (h->entry_size < 8 && v == ((__u64)1 << (8 * h->entry_size)) - 1)
		return PMAP_NOT_PRESENT;
	return v;
}

/*
 * Encode @v as one entry of format @h at @p: the inverse of pmap_entry()
 * (PMAP_NOT_PRESENT becomes an entry of all ones), for writers of captured
 * maps.
 */
static inline void pmap_put_entry(const struct pmap_header *h, __u64 v,
				  unsigned char *p)
{
	unsigned int i;

	for (i = 0; i < h->entry_size; i++) {
		unsigned int byte = h->little_endian ? i : h->entry_size - 1 - i;

		p[byte] = v >> (8 * i);
	}
}

#endif /* _PAGEMAP_FORMAT_H */
