/*
 * iter.h - the record and the ordered iterator that every source of records
 * (table, sorter, merge, memtable) presents.
 *
 * An iterator yields records in strictly increasing key order (unsigned
 * bytewise). After first(), seek() or next() returns SST_OK, `valid` says
 * whether `rec` holds a record; the bytes rec points to stay valid until the
 * next call on the iterator. A non-zero return is an error, described in err.
 *
 * Thread-safety: an iterator belongs to one thread.
 */
#ifndef SST_ITER_H
#define SST_ITER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum sst_kind {
	SST_PUT = 0,	/* key, value */
	SST_DEL = 1	/* key only: a tombstone */
};

typedef struct sst_rec {
	const uint8_t *key;
	size_t klen;
	const uint8_t *val;	/* NULL allowed when vlen == 0 */
	size_t vlen;
	int kind;		/* enum sst_kind */
} sst_rec;

typedef struct sst_iter sst_iter;

struct sst_iter_ops {
	/* Positions at the smallest key. */
	int (*first)(sst_iter *it, sst_err *err);
	/* Positions at the smallest key >= key. */
	int (*seek)(sst_iter *it, const uint8_t *key, size_t klen, sst_err *err);
	/* REQUIRES: valid. Advances one record. */
	int (*next)(sst_iter *it, sst_err *err);
	/* Frees the iterator (and what it owns). */
	void (*destroy)(sst_iter *it);
};

struct sst_iter {
	const struct sst_iter_ops *ops;
	int valid;
	sst_rec rec;
};

static inline int sst_iter_first(sst_iter *it, sst_err *e) { return it->ops->first(it, e); }
static inline int sst_iter_seek(sst_iter *it, const uint8_t *k, size_t n, sst_err *e) { return it->ops->seek(it, k, n, e); }
static inline int sst_iter_next(sst_iter *it, sst_err *e) { return it->ops->next(it, e); }

/* Destroys *it (if not NULL) and sets *it to NULL. */
static inline void
sst_iter_destroy(sst_iter **it)
{
	if (it != NULL && *it != NULL) {
		(*it)->ops->destroy(*it);
		*it = NULL;
	}
}

#endif
