/*
 * sources.h - the SOURCE... arguments of the reading tools: each a table or
 * a store, later arguments newer. Gives lookups and scans over the merged,
 * later-wins view, opening tables only when needed:
 *
 * - a store is read through one pinned snapshot (store.h), so its view is
 *   one manifest's however many compactions commit meanwhile;
 * - a lookup opens only the tables whose key range holds the key (level 0
 *   newest first, then per level >= 1 the one table a binary search finds);
 * - a scan merges one iterator per level-0 table or plain table and one per
 *   level >= 1, which opens that level's tables one after another;
 * - at most a bounded number of tables is open at once (below the open-file
 *   limit): the least recently used one is closed beyond it, an iterator
 *   keeping a copy of its current record and seeking back when it goes on.
 *
 * So any number of tables works under any open-file limit that leaves a
 * few descriptors (the tests use `ulimit -n 64`).
 *
 * Thread-safety: one thread.
 */
#ifndef SST_SOURCES_H
#define SST_SOURCES_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "iter.h"
#include "store.h"
#include "table.h"

struct sst_sources_impl;

typedef struct sst_sources {
	struct sst_sources_impl *p;	/* NULL until opened */
	size_t n;			/* tables, over all sources */
} sst_sources;

/* Opens every path (table or store). */
int sst_sources_open(sst_sources *s, char *const *paths, size_t npaths, sst_err *err);

/*
 * The tables idx[0..n) of manifest m of the store at dir, in that order
 * (oldest first, as in m), for a writer that holds the store's lock.
 */
int sst_sources_open_entries(sst_sources *s, const char *dir, const sst_manifest *m,
    const size_t *idx, size_t n, sst_err *err);
void sst_sources_close(sst_sources *s);

/* Runs: the units a scan merges (a table, or a level >= 1 read table by table). */
size_t sst_sources_nruns(const sst_sources *s);
/* The most tables kept open at once. */
size_t sst_sources_max_open(const sst_sources *s);

/* The most tables kept open at once (default: from RLIMIT_NOFILE). */
void sst_sources_set_max_open(sst_sources *s, size_t max);

/*
 * The newest record of key across the sources (*found = 1, out filled, kind
 * PUT or DEL; bytes valid until the next call), or *found = 0.
 */
int sst_sources_get(sst_sources *s, const uint8_t *key, size_t klen, sst_rec *out,
    int *found, sst_err *err);

/*
 * A batch: keys[0..n) in increasing key order (repeats allowed). For each
 * key whose state[i] is 0 on entry and that is found, sets state[i] to 1
 * (put) or 2 (delete) and calls fn with the record (bytes valid during the
 * call). Opens each table at most once (unless more are needed at once
 * than may be open), and loads a table's whole filter when many keys meet
 * it.
 */
typedef int (*sst_sources_found_fn)(void *clos, size_t i, const sst_rec *r, sst_err *err);
int sst_sources_get_sorted(sst_sources *s, const uint8_t *const *keys, const size_t *klens,
    size_t n, int *state, sst_sources_found_fn fn, void *clos, sst_err *err);

/*
 * The same with the keys given by key(kclos, i, &klen) (called once per key
 * and run still unresolved; the bytes must stay valid during the call).
 * With at most SST_SOURCES_KEEP_RUNS runs, the last table used in each
 * run stays open after the call, so a stream of batches opens each table
 * once; with more, each is closed when its run is done (bounded memory).
 */
#define SST_SOURCES_KEEP_RUNS 64
typedef const uint8_t *(*sst_sources_key_fn)(void *kclos, size_t i, size_t *klen);
int sst_sources_get_sorted_by(sst_sources *s, size_t n, sst_sources_key_fn key, void *kclos,
    int *state, sst_sources_found_fn fn, void *clos, sst_err *err);

/* A merged iterator over every table, later wins; flags of merge_iter.h.
 * The sources must outlive it. */
int sst_sources_iter(sst_sources *s, int flags, sst_iter **it, sst_err *err);
/* The same over runs first .. first+n-1 only. */
int sst_sources_iter_runs(sst_sources *s, size_t first, size_t n, int flags, sst_iter **it,
    sst_err *err);

/* Sums over the tables: file bytes (and records where known). */
void sst_sources_totals(const sst_sources *s, uint64_t *bytes, uint64_t *records);

#endif
