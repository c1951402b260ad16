/*
 * sstkit/write.h - writing tables (from sorted or unsorted records),
 * merging tables, adding tables to a store and compacting it, and the
 * write-ahead log (append and replay).
 *
 * Every table is written to a temporary file beside its path and renamed
 * into place at the end (fsynced): a reader never sees a partial table,
 * and a failed or abandoned write leaves nothing behind.
 *
 * Keys are 1 .. 65536 bytes, values 0 .. 64 MiB (else SSTKIT_EUSAGE).
 * A delete is a tombstone: it hides the key in older sources.
 *
 * Thread safety: a writer, builder or WAL handle belongs to one thread at
 * a time. A store has one writer at a time across processes (a lock file):
 * ingest and compaction fail with SSTKIT_EBUSY when another holds it,
 * unless sstkit_options_set_wait(o, 1).
 */
#ifndef SSTKIT_WRITE_H
#define SSTKIT_WRITE_H

#include "error.h"
#include "options.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- a table from records in strictly increasing key order ---- */

typedef struct sstkit_writer sstkit_writer;

/* Starts the table at path (options: block size, compression, level,
 * bloom bits, dictionary, threads). */
SST_API SSTKIT_WUR int sstkit_writer_open(sstkit_writer **w, const char *path,
    const sstkit_options *o, sstkit_error *err);
/* Adds a record; REQUIRES key greater than every key added before
 * (else SSTKIT_EDATA, and the writer is unusable: abort it). */
SST_API SSTKIT_WUR int sstkit_writer_put(sstkit_writer *w, const void *key, size_t klen,
    const void *val, size_t vlen, sstkit_error *err);
SST_API SSTKIT_WUR int sstkit_writer_delete(sstkit_writer *w, const void *key, size_t klen,
    sstkit_error *err);
/* Writes the rest, publishes the table; frees *w and sets it to NULL
 * (whether it succeeds or not: on failure nothing is published). */
SST_API SSTKIT_WUR int sstkit_writer_finish(sstkit_writer **w, sstkit_error *err);
/* Abandons the table (nothing is published); frees *w, sets it to NULL. NULL-safe. */
SST_API void sstkit_writer_abort(sstkit_writer **w);

/* ---- a table from records in any order (an external sort) ---- */

typedef struct sstkit_builder sstkit_builder;

/*
 * Starts the table at path. Records may come in any order; for a key
 * given several times the last record wins. The sort holds at most the
 * memory cap (sstkit_options_set_memory, plus a few MiB) and spills
 * sorted runs to anonymous files in the tmpdir option.
 */
SST_API SSTKIT_WUR int sstkit_builder_open(sstkit_builder **b, const char *path,
    const sstkit_options *o, sstkit_error *err);
SST_API SSTKIT_WUR int sstkit_builder_put(sstkit_builder *b, const void *key, size_t klen,
    const void *val, size_t vlen, sstkit_error *err);
SST_API SSTKIT_WUR int sstkit_builder_delete(sstkit_builder *b, const void *key, size_t klen,
    sstkit_error *err);
/* Sorts, writes and publishes the table; frees *b and sets it to NULL. */
SST_API SSTKIT_WUR int sstkit_builder_finish(sstkit_builder **b, sstkit_error *err);
/* Abandons the table; frees *b and sets it to NULL. NULL-safe. */
SST_API void sstkit_builder_abort(sstkit_builder **b);

/* ---- merging, stores ---- */

/*
 * Merges the tables and stores inputs[0..n) (oldest first, later wins)
 * into one table at out, streaming (memory independent of their sizes).
 * Tombstones are kept unless sstkit_options_set_drop_deletes(o, 1).
 * An empty result is an empty table. More inputs than may be open at once
 * are merged in passes through temporary tables in the tmpdir option.
 */
SST_API SSTKIT_WUR int sstkit_merge(const char *out, const char *const *inputs, size_t n,
    const sstkit_options *o, sstkit_error *err);

/*
 * Adds the finished tables paths[0..n) to the store at dir (created if
 * absent) in one commit, later tables newer (as sst-ingest). Each table is
 * verified first; on any error the store's content is unchanged.
 * Options: wait, move.
 */
SST_API SSTKIT_WUR int sstkit_store_ingest(const char *dir, const char *const *paths,
    size_t n, const sstkit_options *o, sstkit_error *err);

/*
 * Compacts the store at dir by its strategy (as sst-merge --compact): runs the
 * compactions due (or at most one with the once option) and sets
 * *ncompactions (may be NULL) to their number. Options: strategy, wait,
 * once, and those of the tables written.
 */
SST_API SSTKIT_WUR int sstkit_store_compact(const char *dir, const sstkit_options *o,
    size_t *ncompactions, sstkit_error *err);

/* ---- write-ahead log ---- */

typedef struct sstkit_wal sstkit_wal;

/*
 * Opens the WAL at path for appending, creating it when absent; holds an
 * exclusive lock on it until closed (a second opener waits). A torn tail
 * left by a crash is cut off. A file that is not a WAL is SSTKIT_EDATA.
 * Options: sync.
 */
SST_API SSTKIT_WUR int sstkit_wal_open(sstkit_wal **w, const char *path,
    const sstkit_options *o, sstkit_error *err);
SST_API SSTKIT_WUR int sstkit_wal_put(sstkit_wal *w, const void *key, size_t klen,
    const void *val, size_t vlen, sstkit_error *err);
SST_API SSTKIT_WUR int sstkit_wal_delete(sstkit_wal *w, const void *key, size_t klen,
    sstkit_error *err);
/* Writes what is buffered and (unless sync is none) makes it durable. */
SST_API SSTKIT_WUR int sstkit_wal_sync(sstkit_wal *w, sstkit_error *err);
/* Syncs, unlocks and closes; frees *w and sets it to NULL in every case
 * (on failure records may be partly on disk). */
SST_API SSTKIT_WUR int sstkit_wal_close(sstkit_wal **w, sstkit_error *err);
/* Truncates the WAL back to its size at open (so this handle appended
 * nothing; a WAL this handle created is removed), unlocks, closes; frees
 * *w and sets it to NULL. NULL-safe. */
SST_API void sstkit_wal_abort(sstkit_wal **w);

/*
 * Replays the WALs wals[0..n), in order (later records win), into one
 * table at out, deletes kept as tombstones (as `wal-replay -o`). A torn
 * tail ends a log normally; damage before it is SSTKIT_EDATA unless
 * sstkit_options_set_skip_corrupt(o, 1). Options: memory, tmpdir, those of
 * the table. The pipeline is wal-replay's: a memtable (at most 4 MiB, and
 * two of them at most half the memory cap each) flushed to temporary
 * tables in tmpdir while replay goes on, merged into out at the end. The
 * WALs are left in place.
 */
SST_API SSTKIT_WUR int sstkit_wal_replay(const char *out, const char *const *wals, size_t n,
    const sstkit_options *o, sstkit_error *err);

#ifdef __cplusplus
}
#endif

#endif
