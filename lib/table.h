/*
 * table.h - writing and reading one sstkit table (formats/sstable.md).
 *
 * Writer: records are added in strictly increasing key order; data blocks of
 * about block_size uncompressed bytes are compressed (zstd, or stored raw
 * when that does not pay) and written, optionally by a worker thread; the
 * bloom filter, properties, index and footer follow at finish. The file is
 * published atomically (fileio.h).
 *
 * Reader: opening reads the table's last SST_TAIL_READ bytes and checks the
 * footer; the index (usually in those bytes already), filter and
 * properties are read on first use. Every block read is checked (checksum
 * seeded with its offset, bounded sizes) before use, so a damaged file
 * yields SST_EDATA, never a crash or a wrong answer. Reads use pread into
 * bounded buffers (no mmap).
 *
 * Thread-safety: a writer or reader belongs to one thread at a time.
 */
#ifndef SST_TABLE_H
#define SST_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "iter.h"

enum sst_compression { SST_COMP_NONE = 0, SST_COMP_ZSTD = 1 };

typedef struct sst_table_opts {
	size_t block_size;	/* target uncompressed data block size; default 8 KiB */
	int compression;	/* enum sst_compression; default zstd */
	int level;		/* zstd level; default 3 */
	int bloom_bits;		/* bits per key, 0 = no filter; default 10 */
	int threads;		/* >1: compress blocks in a worker thread */
	size_t filter_mem;	/* filter bytes built at once; 0: 4 MiB */
	size_t dict_size;	/* zstd dictionary bytes, 0 = none; default SST_DICT_AUTO */
	size_t dict_sample;	/* raw bytes held back to train on; 0: SST_DICT_SAMPLE */
	int temporary;		/* SST_TEMP_*: an intermediate that a merge rewrites */
} sst_table_opts;

/*
 * Temporary tables (sst_table_opts.temporary): intermediates that a later
 * merge reads and rewrites, so what pays off only in a final table is left
 * out. Callers say what a table is; the writer decides what it gets.
 *   SST_TEMP_NONE     a final table (default).
 *   SST_TEMP_MERGED   stays readable until a merge rewrites it (a store's
 *                     memtable flush, compacted later): no dictionary
 *                     unless dict_size was set (is not SST_DICT_AUTO).
 *   SST_TEMP_SCRATCH  read once by a merge, then removed (wal-replay -o's
 *                     flushes, merge passes): no dictionary and no filter,
 *                     whatever dict_size and bloom_bits say.
 */
enum { SST_TEMP_NONE = 0, SST_TEMP_MERGED = 1, SST_TEMP_SCRATCH = 2 };
/* dict_size's default: SST_DICT_DEFAULT for a final table, none for a temporary one. */
#define SST_DICT_AUTO		((size_t)-1)

/*
 * Dictionary compression (formats/sstable.md, "Dictionary"): the writer
 * holds back the first data blocks, raw, up to dict_sample bytes (default
 * and at most SST_DICT_SAMPLE; at least 8 x dict_size), and
 * trains a dictionary of at most dict_size bytes on them; it then
 * compresses those and all later blocks with it. A table whose data ends
 * before 8 x dict_size raw bytes gets no dictionary (training would not
 * pay), and neither does one whose sample zstd cannot train on, or on
 * whose sample the dictionary saves less than its own size.
 * The sample adds at most dict_sample + a block to the writer's memory,
 * training (lib/dict.c) about 2.5 MiB more for a moment, the contexts
 * about 1 MiB.
 */
#define SST_DICT_DEFAULT	(32u << 10)
#define SST_DICT_MIN		256u
#define SST_DICT_MAX		(512u << 10)	/* its sample: 8 x SST_DICT_MAX = 4 MiB */
#define SST_DICT_SAMPLE		(2u << 20)	/* training time grows with it; 4 MiB: +0.1-0.2% size */

/* A larger filter is built in passes over the key hashes, one per slice. */
#define SST_FILTER_MEM_DEFAULT	(4u << 20)

#define SST_MIN_BLOCK_SIZE	256u
#define SST_MAX_BLOCK_SIZE	(16u << 20)
#define SST_MAX_BLOCK_RAW	(96u << 20)
#define SST_MAX_BLOOM_BITS	64

/* Bytes read at the end of a table on open: its footer and what precedes it. */
#define SST_TAIL_READ		(8u << 10)

void sst_table_opts_default(sst_table_opts *o);

/* ---- writer ---- */

typedef struct sst_writer sst_writer;

/* Starts a table to be published at `path` (atomically, at finish). */
int sst_writer_open(sst_writer **w, const char *path, const sst_table_opts *o, sst_err *err);

/*
 * REQUIRES: r->key greater than every key added before; klen in
 * [1, SST_MAX_KEY]; vlen <= SST_MAX_VALUE (0 for a delete).
 * Violations return SST_EDATA.
 */
int sst_writer_add(sst_writer *w, const sst_rec *r, sst_err *err);

/* Bytes the table would take if finished now (approximately, for --split). */
uint64_t sst_writer_size(const sst_writer *w);
/* Records added so far. */
uint64_t sst_writer_count(const sst_writer *w);

/* Writes filter, properties, index and footer; publishes; frees *w. */
int sst_writer_finish(sst_writer **w, sst_err *err);

/* Abandons the table: removes the temporary file; frees *w. NULL-safe. */
void sst_writer_abort(sst_writer **w);

/* ---- reader ---- */

typedef struct sst_props {
	uint32_t format_version;
	uint64_t records;		/* entries, tombstones included */
	uint64_t deletes;		/* tombstones */
	uint64_t data_blocks;
	uint64_t raw_key_bytes;
	uint64_t raw_value_bytes;
	uint64_t raw_data_bytes;	/* uncompressed data block bytes */
	uint64_t data_bytes;		/* on-disk data block bytes */
	uint64_t file_size;
	uint64_t block_size;
	uint64_t compression;		/* enum sst_compression */
	uint64_t level;
	uint64_t bloom_bits;
	uint64_t filter_k;
	uint64_t filter_bytes;
	uint64_t dict_bytes;		/* the dictionary block's payload; 0: none */
	uint64_t created;		/* unix seconds */
	const uint8_t *smallest; size_t smallest_len;	/* owned by the table */
	const uint8_t *largest; size_t largest_len;
} sst_props;

typedef struct sst_table sst_table;

/* Opens path and checks its footer (magic, version, checksum, bounds). */
int sst_table_open(sst_table **t, const char *path, sst_err *err);
/* Same on an open descriptor (the table takes ownership of fd). */
int sst_table_open_fd(sst_table **t, int fd, const char *path, sst_err *err);
/* Same with fd's fstat already done (st): no second fstat. */
struct stat;
int sst_table_open_stat(sst_table **t, int fd, const char *path, const struct stat *st,
    sst_err *err);
void sst_table_close(sst_table **t);
const char *sst_table_path(const sst_table *t);

/* Reads the properties block (once) and fills *p. */
int sst_table_props(sst_table *t, sst_props *p, sst_err *err);

/*
 * Point lookup. Consults the filter first (reading only the 4 KiB filter
 * chunk it needs unless the whole filter is loaded), then the index, then
 * one data block. Sets *found; when found, *out is the record (kind PUT or
 * DEL) whose bytes stay valid until the next call on t.
 */
int sst_table_get(sst_table *t, const uint8_t *key, size_t klen, sst_rec *out,
    int *found, sst_err *err);

/* Loads and checks the whole filter now (batch lookups). */
int sst_table_load_filter(sst_table *t, sst_err *err);

/* An iterator over the table (tombstones included). Owns no reference to t
 * beyond borrowing it: close the iterator before the table. */
int sst_table_iter(sst_table *t, sst_iter **it, sst_err *err);
/*
 * The same, reading ahead: after first or seek, a thread of the iterator's
 * own reads, checks and decompresses the next data blocks (up to 8) while
 * the caller goes through the current one, so a scan's decompression runs
 * beside it (the merge's inputs). The same records and errors, in the same
 * order; without a thread (cannot start one) it reads as sst_table_iter.
 * The thread reads only what the iterator owns and t's immutable parts, so
 * the caller may still use t (lookups) from its own thread meanwhile.
 */
int sst_table_iter_ahead(sst_table *t, sst_iter **it, sst_err *err);

/*
 * Checks everything of the file at path: footer, every block's checksum and
 * decompression, entry decoding, strictly increasing keys within and across
 * blocks, index agreeing with the blocks, the filter holding every key,
 * properties agreeing with the counted data, and that the structures tile
 * the file. Returns SST_OK when intact, SST_EDAMAGE (sst-verify: exit 1) naming
 * the file, block/offset and fault when damaged, SST_ESYS on I/O failure.
 * Stats of what was checked go to *p when p is not NULL (without the
 * smallest and largest keys: those pointers are NULL).
 */
int sst_table_verify(const char *path, sst_props *p, sst_err *err);

#endif
