/*
 * sstkit/options.h - one options object for every call that writes
 * (tables, merges, store ingest and compaction, WAL append and replay).
 * It is opaque and set through setters, so new options never change the
 * ABI. A NULL options pointer means all defaults. Each setter checks its
 * value and returns SSTKIT_EUSAGE for one out of range (the object is then
 * unchanged). A call reads only the options that concern it.
 *
 * Ownership: the caller owns the object; calls only read it during the
 * call (strings are copied by the setters).
 * Thread safety: one thread at a time; several calls in several threads
 * may read the same object at once when nobody sets it meanwhile.
 */
#ifndef SSTKIT_OPTIONS_H
#define SSTKIT_OPTIONS_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sstkit_options sstkit_options;

#define SSTKIT_COMPRESSION_NONE	0
#define SSTKIT_COMPRESSION_ZSTD	1

#define SSTKIT_SYNC_NONE	0
#define SSTKIT_SYNC_BATCH	1
#define SSTKIT_SYNC_ALWAYS	2

/* A new object holding the defaults (those of the tools). */
SST_API SSTKIT_WUR int sstkit_options_new(sstkit_options **o, sstkit_error *err);
/* Frees *o and sets *o to NULL; NULL-safe. */
SST_API void sstkit_options_free(sstkit_options **o);

/* Tables written. */
/* Data block size before compression: 256 bytes .. 16 MiB; default 8 KiB. */
SST_API SSTKIT_WUR int sstkit_options_set_block_size(sstkit_options *o, size_t bytes);
/* SSTKIT_COMPRESSION_ZSTD (default) or SSTKIT_COMPRESSION_NONE. */
SST_API SSTKIT_WUR int sstkit_options_set_compression(sstkit_options *o, int compression);
/* zstd level -7 .. 22; default 3. */
SST_API SSTKIT_WUR int sstkit_options_set_level(sstkit_options *o, int level);
/* Bloom filter bits per key, 0 (no filter) .. 64; default 10. */
SST_API SSTKIT_WUR int sstkit_options_set_bloom_bits(sstkit_options *o, int bits);
/* zstd dictionary bytes, 0 (none) or 256 .. 512 KiB; default 32 KiB. */
SST_API SSTKIT_WUR int sstkit_options_set_dict_size(sstkit_options *o, size_t bytes);
/* Threads for compressing and sorting, 1 .. 256; default 1. */
SST_API SSTKIT_WUR int sstkit_options_set_threads(sstkit_options *o, int threads);

/* Sorting (sstkit_builder) and replay (sstkit_wal_replay). */
/* Memory cap of the sort (of replay's two memtables), at least 1 MiB;
 * default 256 MiB. */
SST_API SSTKIT_WUR int sstkit_options_set_memory(sstkit_options *o, uint64_t bytes);
/* Directory for sorted runs (anonymous files), replay's flushed tables and
 * the temporary tables of a merge of more inputs than may be open at once
 * (sstkit_merge, sstkit_wal_replay); NULL: $TMPDIR, else /tmp. */
SST_API SSTKIT_WUR int sstkit_options_set_tmpdir(sstkit_options *o, const char *dir);

/* Merging (sstkit_merge): leave out keys whose newest record is a delete. */
SST_API SSTKIT_WUR int sstkit_options_set_drop_deletes(sstkit_options *o, int yes);

/* Stores: wait for the writer lock instead of failing with SSTKIT_EBUSY. */
SST_API SSTKIT_WUR int sstkit_options_set_wait(sstkit_options *o, int yes);
/* Ingest: remove the source tables after the commit. */
SST_API SSTKIT_WUR int sstkit_options_set_move(sstkit_options *o, int yes);
/* Compaction: at most one compaction per call. */
SST_API SSTKIT_WUR int sstkit_options_set_once(sstkit_options *o, int yes);
/* Compaction: "size-tiered" or "leveled", recorded in the store; NULL:
 * the store's own (default). */
SST_API SSTKIT_WUR int sstkit_options_set_strategy(sstkit_options *o, const char *name);

/* WAL: SSTKIT_SYNC_BATCH (default), SSTKIT_SYNC_ALWAYS or SSTKIT_SYNC_NONE. */
SST_API SSTKIT_WUR int sstkit_options_set_sync(sstkit_options *o, int sync);
/* WAL replay: skip damaged records instead of failing with SSTKIT_EDATA. */
SST_API SSTKIT_WUR int sstkit_options_set_skip_corrupt(sstkit_options *o, int yes);

#ifdef __cplusplus
}
#endif

#endif
