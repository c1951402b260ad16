/*
 * sortbuf.h - the sorter's in-memory sort buffer (internal to lib/sorter).
 *
 * One anonymous mapping of cap bytes: record bytes (key then value) grow up
 * from base, fixed-size entries grow down from base + cap. sort() orders
 * the entries by key, then input order, and keeps the latest entry of each
 * key in sorted[0..nsorted).
 *
 * Split sort (two threads share one buffer's sort): sort_newer() sorts and
 * dedups the newer half of the entries into sorted[0..nsorted), then
 * sort_older() the older half into older[0..nolder), each in its own half
 * of the entry array (no extra memory); next() merges the two in key order,
 * the newer half winning on equal keys. After a full sort() nolder is 0, so
 * next() walks sorted alone.
 *
 * Thread-safety: a buffer belongs to one thread at a time (the sorter hands
 * a full one to its worker).
 */
#ifndef SST_SORTBUF_H
#define SST_SORTBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "iter.h"
#include "util.h"	/* sst_key_pfx, sst_key_tail_cmp */

/*
 * A record in a buffer: its bytes (key then value) at base + off, and the
 * first 8 key bytes big-endian, zero-padded, so most comparisons are one
 * integer compare. off grows with input order, so it is the tie-breaker
 * that keeps equal keys in input order.
 */
typedef struct sst_sortent {
	uint64_t pfx;
	uint64_t off;
	uint32_t klen;
	uint32_t vk;		/* vlen << 1 | kind */
} sst_sortent;

/* Record bytes grow up from base, entries grow down from base + cap. */
typedef struct sst_sortbuf {
	uint8_t *base;
	size_t cap;
	size_t alen;
	size_t n;
	sst_sortent *sorted;	/* after sst_sortbuf_sort: unique entries */
	size_t nsorted;
	sst_sortent *older;	/* after sort_older: the older half's */
	size_t nolder;
} sst_sortbuf;

/*
 * Maps cap bytes for b unless b is mapped already. SST_ESYS on failure,
 * "NAME: sort buffer of CAP bytes: strerror" (name: the sorter's tmpdir).
 */
int sst_sortbuf_alloc(sst_sortbuf *b, size_t cap, const char *name, sst_err *err);

/* Unmaps b and zeroes it. NULL-base safe. */
void sst_sortbuf_release(sst_sortbuf *b);

/* Empties b, keeping its mapping. */
void sst_sortbuf_reset(sst_sortbuf *b);

/* Returns the pages between the record bytes and the entries to the system. */
void sst_sortbuf_trim(sst_sortbuf *b);

/* Sorts the buffer and keeps the latest entry of each key (b->sorted). */
void sst_sortbuf_sort(sst_sortbuf *b);

/*
 * Split sort: sort_newer sorts the newer n/2 entries into b->sorted,
 * sort_older the older n - n/2 into b->older (either first, from any one
 * thread at a time; no record may be added in between). Then walk the
 * union with sst_sortbuf_next.
 */
void sst_sortbuf_sort_newer(sst_sortbuf *b);
void sst_sortbuf_sort_older(sst_sortbuf *b);

/* The bytes a record takes in a buffer. */
static inline size_t
sst_sortbuf_need(const sst_rec *r)
{
	return r->klen + r->vlen + sizeof(sst_sortent);
}

/* The bytes used: records and entries. */
static inline size_t
sst_sortbuf_used(const sst_sortbuf *b)
{
	return b->alen + b->n * sizeof(sst_sortent);
}

static inline sst_sortent *
sst_sortbuf_ents(sst_sortbuf *b)
{
	return (sst_sortent *)(void *)(b->base + b->cap) - b->n;
}

/* Key order of two entries of one buffer (input order not considered). */
static inline int
sst_sortent_cmp(const sst_sortent *a, const sst_sortent *b, const uint8_t *base)
{
	if (a->pfx != b->pfx)
		return a->pfx < b->pfx ? -1 : 1;
	return sst_key_tail_cmp(base + a->off, a->klen, base + b->off, b->klen);
}

/*
 * The next unique entry in key order of a sorted buffer (sorted ++ older
 * merged; of a key in both, the newer entry, from sorted), or NULL at the
 * end. *i and *j (start both at 0) are the positions in sorted and older.
 */
static inline const sst_sortent *
sst_sortbuf_next(const sst_sortbuf *b, size_t *i, size_t *j)
{
	const sst_sortent *a, *o;
	int c;

	if (*i >= b->nsorted)
		return *j < b->nolder ? &b->older[(*j)++] : NULL;
	a = &b->sorted[*i];
	if (*j >= b->nolder) {
		(*i)++;
		return a;
	}
	o = &b->older[*j];
	c = sst_sortent_cmp(a, o, b->base);
	if (c <= 0) {
		(*i)++;
		*j += c == 0;
		return a;
	}
	(*j)++;
	return o;
}

/*
 * Copies r in. REQUIRES: b mapped, sst_sortbuf_used(b) +
 * sst_sortbuf_need(r) <= b->cap, r within the sorter's bounds.
 */
static inline void
sst_sortbuf_add(sst_sortbuf *b, const sst_rec *r)
{
	sst_sortent *e = sst_sortbuf_ents(b) - 1;

	e->pfx = sst_key_pfx(r->key, r->klen);
	e->off = b->alen;
	e->klen = (uint32_t)r->klen;
	e->vk = (uint32_t)r->vlen << 1 | (uint32_t)r->kind;
	memcpy(b->base + b->alen, r->key, r->klen);
	if (r->vlen > 0)
		memcpy(b->base + b->alen + r->klen, r->val, r->vlen);
	b->alen += r->klen + r->vlen;
	b->n++;
}

#endif
