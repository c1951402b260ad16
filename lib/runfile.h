/*
 * runfile.h - the sorter's run codec (internal to lib/sorter): writing
 * sorted runs to anonymous temporary files and reading them back.
 *
 * Run files: a sequence of blocks of whole records, each
 *	le32 checksum | le32 stored_len | le32 raw_len | stored bytes
 * where the checksum is sst_checksum() of the 8 length bytes and the stored
 * bytes, seeded with the block's file offset; stored bytes are a zstd frame
 * (windowLog 17) when stored_len < raw_len, else the raw bytes. Raw bytes
 * are records: varint klen, varint (vlen << 1 | kind), key, value. Blocks
 * hold about SST_RUN_BLOCK bytes; a larger record is a raw block of its
 * own. A reader checks every length against bounds the writer recorded in
 * its sst_run (kept in memory), so a damaged temporary file is SST_EDATA
 * "TMPDIR@OFFSET: temporary run damaged: what", never garbage.
 *
 * Thread-safety: a writer, a reader and an sst_run_io belong to one thread
 * at a time; a temporary file's reference count is not locked (the sorter
 * takes and drops references from one thread at a time).
 */
#ifndef SST_RUNFILE_H
#define SST_RUNFILE_H

#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#include "err.h"
#include "util.h"

#define SST_RUN_BLOCK		(128u << 10)	/* raw bytes of a run block */
#define SST_RUN_BLOCK_HDR	12
#define SST_RUN_MALLOC_SLACK	64

/* An anonymous temporary file holding runs; closed (so gone) at refs 0. */
typedef struct sst_tfile {
	int fd;
	int refs;
	uint64_t size;
} sst_tfile;

/* A run: where it is, and the bounds its reader checks against. */
typedef struct sst_run {
	sst_tfile *f;
	uint64_t off, len;
	uint64_t nrec;
	size_t max_raw;		/* largest raw block of at most SST_RUN_BLOCK */
	size_t max_stored;	/* largest compressed block (stored bytes) */
	int has_big;		/* holds blocks of one record > SST_RUN_BLOCK */
} sst_run;

/* Creates an anonymous temporary file in tmpdir (refs 1). SST_ESYS. */
int sst_tfile_new(const char *tmpdir, sst_tfile **out, sst_err *err);

/* Drops a reference; the last one closes the file. NULL-safe. */
void sst_tfile_unref(sst_tfile *f);

/* Frees the disk space of a run that was merged away; drops its reference. */
void sst_run_discard(sst_run *r);

/* ---- writing ---- */

typedef struct sst_run_writer {
	const char *tmpdir;	/* named in messages; borrowed */
	ZSTD_CCtx *cctx;	/* NULL: blocks are stored raw */
	uint8_t *raw;
	size_t rawlen;
	uint8_t *out;
	size_t outcap;
	sst_run run;		/* the run being written */
} sst_run_writer;

/* The memory of a writer at zstd level (0: raw). */
size_t sst_run_writer_cost(int level);

/* Allocates w's buffers (and a compressor unless level is 0). */
int sst_run_writer_open(sst_run_writer *w, const char *tmpdir, int level, sst_err *err);

/* Frees w's buffers and zeroes it. */
void sst_run_writer_free(sst_run_writer *w);

/* Starts a run at the end of f (the writer does not take a reference). */
void sst_run_writer_begin(sst_run_writer *w, sst_tfile *f);

/* Appends a record (records in key order; the caller keeps that order). */
int sst_run_writer_add(sst_run_writer *w, const uint8_t *key, size_t klen,
    const uint8_t *val, size_t vlen, int kind, sst_err *err);

/* Writes the open block; then w->run is the whole run. */
int sst_run_writer_flush(sst_run_writer *w, sst_err *err);

/* ---- reading ---- */

/* What a merge of runs shares: one decompressor, one oversize value. */
typedef struct sst_run_io {
	const char *tmpdir;	/* named in messages; borrowed */
	ZSTD_DCtx *dctx;
	uint8_t *big;		/* the value of the oversize record output last */
} sst_run_io;

/* The memory of the decompressor of an sst_run_io. */
size_t sst_run_dctx_cost(void);

/* The current record of a reader (key and val point into reader memory). */
typedef struct sst_runrec {
	const uint8_t *key;
	size_t klen;
	const uint8_t *val;	/* NULL until sst_run_reader_value, for an
				   oversize record */
	size_t vlen;
	int kind;
	int valid;
	uint64_t pfx;		/* sst_key_pfx of key */
} sst_runrec;

typedef struct sst_run_reader {
	const sst_run *run;
	uint64_t pos, end, left;
	uint8_t *in, *out;
	const uint8_t *p, *pend;
	uint8_t *kbuf;		/* header and key of an oversize record */
	int lazy;		/* value not loaded yet: it is at boff */
	uint64_t boff;
	uint32_t bsum;
	size_t bhl;
} sst_run_reader;

/* The memory a reader of r takes. */
size_t sst_run_reader_cost(const sst_run *r);

/* Sets x up to read r (which must outlive x); allocates its buffers. */
int sst_run_reader_open(sst_run_reader *x, const sst_run *r, sst_err *err);

/* Frees x's buffers. */
void sst_run_reader_close(sst_run_reader *x);

/*
 * Moves cur to x's next record, or sets cur->valid = 0 at the run's end.
 * The value of a record larger than a block is not read (cur->val NULL)
 * until sst_run_reader_value. A damaged run is SST_EDATA, I/O SST_ESYS.
 */
int sst_run_reader_next(sst_run_io *io, sst_run_reader *x, sst_runrec *cur, sst_err *err);

/*
 * Makes cur->val valid: for an oversize record, reads its value into
 * io->big (freeing the one before) and checks the block's checksum.
 */
int sst_run_reader_value(sst_run_io *io, sst_run_reader *x, sst_runrec *cur, sst_err *err);

#endif
