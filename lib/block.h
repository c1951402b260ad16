/*
 * block.h - the entry layout shared by data, index and properties blocks
 * (formats/sstable.md, "Block contents"): prefix-compressed keys with a
 * restart point every `interval` entries, then the restart array.
 *
 * The builder appends entries in strictly increasing key order. The reader
 * decodes a block held in memory; every length is checked against the
 * block's end, so a malformed block yields SST_EDATA with a static detail
 * string in *why, never an out-of-bounds read. The reader knows no path:
 * the caller writes err->msg (err.h, "Decoders of bytes").
 *
 * Thread-safety: builders and iterators belong to one thread.
 */
#ifndef SST_BLOCK_H
#define SST_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "util.h"

#define SST_RESTART_INTERVAL 16

typedef struct sst_block_builder {
	sst_buf buf;		/* entries, then (at finish) the restart array */
	sst_buf last_key;	/* the last key added; kept by sst_bb_reset */
	uint32_t *restarts;
	size_t nrestarts, restarts_cap;
	int interval, counter;
	size_t entries;
} sst_block_builder;

void sst_bb_init(sst_block_builder *b, int interval);
/* REQUIRES: key > last key added (the caller checks order). */
int sst_bb_add(sst_block_builder *b, const uint8_t *key, size_t klen,
    const uint8_t *val, size_t vlen, int kind, sst_err *err);
/* Size of the block if finished now. */
static inline size_t
sst_bb_size(const sst_block_builder *b)
{
	return b->buf.len + 4 * (b->nrestarts + 1);
}
/* Appends the restart array; the block is then b->buf.p[0..b->buf.len). */
int sst_bb_finish(sst_block_builder *b, sst_err *err);
/* Empties the builder for the next block (keeps allocations). */
void sst_bb_reset(sst_block_builder *b);
void sst_bb_free(sst_block_builder *b);

/* A decoded block in memory (borrowed bytes). */
typedef struct sst_block {
	const uint8_t *data;
	size_t entries_end;	/* entries occupy [0, entries_end) */
	const uint8_t *restarts;
	uint32_t nrestarts;
} sst_block;

/* Checks the restart array: SST_OK, or SST_EDATA with *why set. */
int sst_block_init(sst_block *blk, const uint8_t *data, size_t len, const char **why);

typedef struct sst_block_iter {
	const sst_block *blk;
	size_t off;		/* offset of the current entry */
	size_t next;		/* offset of the entry after it */
	sst_buf key;		/* current key */
	const uint8_t *val;
	size_t vlen;
	int kind;
	int valid;
} sst_block_iter;

void sst_block_iter_init(sst_block_iter *it, const sst_block *blk);
void sst_block_iter_free(sst_block_iter *it);
/*
 * Each returns SST_OK (check it->valid), SST_EDATA for a malformed block,
 * or SST_ESYS when out of memory (not damage), with *why set on failure.
 */
int sst_block_iter_first(sst_block_iter *it, const char **why);
int sst_block_iter_next(sst_block_iter *it, const char **why);
/* Positions at the first entry with key >= target. */
int sst_block_iter_seek(sst_block_iter *it, const uint8_t *key, size_t klen, const char **why);

#endif
