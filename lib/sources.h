/*
 * sources.h - the SOURCE... arguments of the reading tools: each a table or
 * a store, later arguments newer. Opens them into one list of tables,
 * oldest first (a store contributes its live tables in manifest order, read
 * as one consistent view), and answers lookups and scans over the merged,
 * later-wins view.
 *
 * Thread-safety: one thread.
 */
#ifndef SST_SOURCES_H
#define SST_SOURCES_H

#include <stddef.h>

#include "err.h"
#include "iter.h"
#include "table.h"

typedef struct sst_sources {
	sst_table **t;		/* oldest first */
	size_t n;
} sst_sources;

/* Opens every path (table or store). */
int sst_sources_open(sst_sources *s, char *const *paths, size_t npaths, sst_err *err);
void sst_sources_close(sst_sources *s);

/*
 * The newest record of key across the sources (*found = 1, out filled, kind
 * PUT or DEL; bytes valid until the next call), or *found = 0.
 */
int sst_sources_get(sst_sources *s, const uint8_t *key, size_t klen, sst_rec *out,
    int *found, sst_err *err);

/* A merged iterator over every table, later wins; flags of merge_iter.h. */
int sst_sources_iter(sst_sources *s, int flags, sst_iter **it, sst_err *err);

#endif
