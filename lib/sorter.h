/*
 * sorter.h - external-memory sort of records with latest-wins dedup.
 *
 * Records are added in input order. They are accumulated in memory up to
 * the budget, sorted (by key, then input order), reduced to the latest
 * record of each key, and spilled as a zstd-compressed run to an anonymous
 * temporary file in tmpdir (nothing is left behind, even after kill -9).
 * finish() merges the runs (in several passes when there are more runs than
 * the fan-in that the memory budget and the open-file limit allow) and
 * returns an iterator over unique keys in order, the latest record of each
 * key winning, tombstones included.
 *
 * Memory: peak use stays under opts.memory plus a constant (documented in
 * the README), whatever the input size, for records each smaller than the
 * budget.
 *
 * Thread-safety: one thread calls the sorter; with threads > 1 it sorts and
 * spills one buffer in a worker thread while the caller fills the next.
 */
#ifndef SST_SORTER_H
#define SST_SORTER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "iter.h"

typedef struct sst_sorter_opts {
	uint64_t memory;	/* budget in bytes; default 256 MiB */
	const char *tmpdir;	/* NULL: $TMPDIR, else /tmp */
	int threads;		/* default: number of cores */
	int compress_runs;	/* zstd level for spilled runs; 0 = store raw */
} sst_sorter_opts;

typedef struct sst_sorter_stats {
	uint64_t records_in;
	uint64_t runs;		/* runs spilled */
	uint64_t merge_passes;	/* intermediate merge passes */
	uint64_t bytes_spilled;
} sst_sorter_stats;

typedef struct sst_sorter sst_sorter;

void sst_sorter_opts_default(sst_sorter_opts *o);
int sst_sorter_new(sst_sorter **s, const sst_sorter_opts *o, sst_err *err);
/* Copies the record in. */
int sst_sorter_add(sst_sorter *s, const sst_rec *r, sst_err *err);
/*
 * Ends input; returns an iterator over the sorted, deduplicated records.
 * The iterator borrows the sorter: destroy it before sst_sorter_free.
 * Also an upper bound of the number of unique keys (for sizing a filter).
 */
int sst_sorter_finish(sst_sorter *s, sst_iter **it, sst_err *err);
void sst_sorter_stats_get(const sst_sorter *s, sst_sorter_stats *st);
void sst_sorter_free(sst_sorter **s);

#endif
