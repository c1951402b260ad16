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
 * key winning, tombstones included. When everything fits in one buffer
 * nothing is spilled; the last buffer is kept in memory and merged with the
 * spilled runs when the budget allows.
 *
 * Memory: the sorter's peak use is at most
 *	max(opts.memory, SST_SORTER_MIN_MEMORY) + SST_SORTER_OVERHEAD
 * bytes, whatever the input size. The budget counts the record buffers
 * (two of them with threads > 1: one being filled while a worker sorts and
 * spills the other), their index arrays, the spill compressor and its
 * buffers, and in the merge every run reader's buffers, the decompressor
 * and the output run's writer. SST_SORTER_OVERHEAD covers what the budget
 * does not: allocator slack, bookkeeping (about 64 bytes a run), the worker
 * thread's stack. Measured on 4M records (460 MB), -m 16M to 128M: the
 * sorter's peak RSS exceeded opts.memory by about 1 MiB.
 *
 * Exception: a record that does not fit in a record buffer (about half the
 * budget with threads > 1) is spilled straight from the caller's memory as
 * a run of its own (the caller already holds it). A record larger than a
 * run block (128 KiB) is a block of its own, of which the merge reads only
 * the key until the record is output; so beyond the budget the merge holds
 * one such value at a time (up to SST_MAX_VALUE) and 64 KiB for the key of
 * each run that has such records.
 *
 * Run files (runfile.h): blocks of about 128 KiB of whole records, each
 * checksummed and optionally zstd-compressed. Every length is checked
 * against bounds the sorter kept in memory, so a damaged temporary file is
 * SST_EDATA, never garbage.
 *
 * Thread-safety: one thread calls the sorter; with threads > 1 it sorts and
 * spills one buffer in a worker thread while the caller fills the next.
 * The two share each full buffer's sort: the caller sorts its newer half
 * before handing it over, the worker the older half, and the worker merges
 * the two halves as it writes the run (in place: no memory beyond the
 * buffer). Parsing alone left the caller idle half the time while the
 * worker sorted and spilled.
 */
#ifndef SST_SORTER_H
#define SST_SORTER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "iter.h"

#define SST_SORTER_MIN_MEMORY	(1u << 20)
#define SST_SORTER_OVERHEAD	(4u << 20)

typedef struct sst_sorter_opts {
	uint64_t memory;	/* budget in bytes; default 256 MiB */
	const char *tmpdir;	/* NULL: $TMPDIR, else /tmp */
	int threads;		/* default: number of cores; 1: no worker */
	int compress_runs;	/* zstd level for spilled runs (negative:
				   fast levels); 0 = store raw, the default:
				   on 4M records level 1 cost 2x the sorter's
				   CPU (zstd ~130-250 MB/s here) to save 60%
				   of 426 MB of page-cached temp writes */
	int max_fanin;		/* test knob: cap on runs merged at once
				   (>= 2); 0 = budget and open-file limit */
} sst_sorter_opts;

typedef struct sst_sorter_stats {
	uint64_t records_in;
	uint64_t runs;		/* runs spilled by the sort (before merging) */
	uint64_t merge_passes;	/* intermediate merge passes */
	uint64_t bytes_spilled;	/* bytes written to temporary files, all
				   passes included */
	uint64_t keys_bound;	/* after finish: an upper bound of the
				   number of unique keys (for sizing a filter) */
} sst_sorter_stats;

typedef struct sst_sorter sst_sorter;

/* Fills o with the defaults above. */
void sst_sorter_opts_default(sst_sorter_opts *o);

/*
 * Creates a sorter. Allocates nothing big and creates no file until needed.
 * REQUIRES: o->memory > 0.
 */
int sst_sorter_new(sst_sorter **s, const sst_sorter_opts *o, sst_err *err);

/*
 * Copies the record in. REQUIRES: finish not called. klen in 1..SST_MAX_KEY
 * and vlen <= SST_MAX_VALUE, else SST_EDATA. May spill a run: an error
 * writing tmpdir is SST_ESYS naming it. After any error the sorter is
 * unusable (every later call fails) but must still be freed.
 */
int sst_sorter_add(sst_sorter *s, const sst_rec *r, sst_err *err);

/*
 * Ends input; returns in *it an iterator over the sorted, deduplicated
 * records (the latest added record of each key, tombstones included).
 * first() starts it (call it once); seek() is a forward scan; next() as
 * usual. The iterator borrows the sorter: destroy it before
 * sst_sorter_free. Intermediate merge passes, if any, run here. Reading
 * a damaged run is SST_EDATA, an I/O error SST_ESYS, both naming tmpdir.
 */
int sst_sorter_finish(sst_sorter *s, sst_iter **it, sst_err *err);

/* Counters so far (see sst_sorter_stats). */
void sst_sorter_stats_get(const sst_sorter *s, sst_sorter_stats *st);

/* Joins the worker, frees all memory, closes (and so removes) temp files;
 * sets *s to NULL. NULL-safe. */
void sst_sorter_free(sst_sorter **s);

#endif
