/*
 * ingest.h - adding finished tables to a store in one commit (sst-ingest;
 * sst-ingest(1), formats/store.md).
 *
 * Each table is fully checked first (sst_table_verify: footer, index, every
 * block); then, under the store's writer lock, each gets a fresh name in
 * the store (a hard link, or an fsynced copy across file systems) and one
 * new manifest makes all of them live. Placement: in a leveled store,
 * tables whose ranges are pairwise disjoint go to the deepest level such
 * that no table in it or above it overlaps any of them (RocksDB's rule);
 * otherwise, and in a size-tiered store, to level 0 as the newest tables,
 * in argument order (later newer).
 *
 * Thread-safety: one thread.
 */
#ifndef SST_INGEST_H
#define SST_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct sst_ingest_opts {
	int wait;		/* wait for the writer lock (else SST_ELOCKED) */
	int move;		/* remove the source files after the commit */
} sst_ingest_opts;

typedef struct sst_ingest_result {
	size_t tables;
	uint64_t records;	/* entries, tombstones included */
	uint64_t bytes;		/* file bytes */
	int level;		/* where they went */
	size_t copied;		/* tables copied rather than linked */
} sst_ingest_result;

/*
 * Ingests paths[0..n) into the store at dir (created if absent; removed
 * again when this call created it and fails). On any error the store's
 * live content is unchanged. SST_EDATA names a table that is damaged or
 * not a table; SST_ELOCKED when another writer holds the store.
 */
int sst_ingest(const char *dir, char *const *paths, size_t n, const sst_ingest_opts *o,
    sst_ingest_result *res, sst_err *err);

#endif
