/*
 * memtable.h - an in-memory ordered map of records: a skip list keyed
 * bytewise (sst_keycmp), later wins, deletes kept as tombstones. Nodes,
 * keys and values live in an arena, so memory is counted exactly and freed
 * at once.
 *
 * A memtable is filled by one thread; once it stops changing it may be
 * read (get, iterators) by another thread, e.g. a background flusher.
 * Thread-safety: no internal locking.
 */
#ifndef SST_MEMTABLE_H
#define SST_MEMTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "iter.h"

typedef struct sst_memtable sst_memtable;

int sst_memtable_new(sst_memtable **m, sst_err *err);

/*
 * Inserts or replaces the record of r->key (kind PUT or DEL; a DEL has no
 * value). The bytes are copied. REQUIRES: klen in [1, SST_MAX_KEY], vlen <=
 * SST_MAX_VALUE (violations are SST_EDATA).
 */
int sst_memtable_put(sst_memtable *m, const sst_rec *r, sst_err *err);

/*
 * Looks key up; sets *found and, when found, *out (kind PUT or DEL; bytes
 * owned by the memtable, valid until the next put of that key).
 */
void sst_memtable_get(const sst_memtable *m, const uint8_t *key, size_t klen,
    sst_rec *out, int *found);

/* Bytes of memory in use: arena bytes handed out (nodes, keys, values), big
 * allocations and the table itself; the memory held exceeds it by less than
 * one 64 KiB arena chunk. */
size_t sst_memtable_bytes(const sst_memtable *m);
/* Distinct keys held, tombstones included. */
uint64_t sst_memtable_count(const sst_memtable *m);

/*
 * An iterator over the records in key order, tombstones included. It borrows
 * m: destroy it before freeing m, and do not put while it is in use.
 */
int sst_memtable_iter(sst_memtable *m, sst_iter **it, sst_err *err);

/* Frees *m (NULL-safe) and sets it to NULL. */
void sst_memtable_free(sst_memtable **m);

#endif
