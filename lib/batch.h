/*
 * batch.h - a stream of point lookups answered in input order in bounded
 * memory (sst-get's batch, man/sst-get.1 "BATCHES").
 *
 * Keys are gathered into a chunk (at most SST_BATCH_KEYS keys and
 * SST_BATCH_KEY_BYTES key bytes); a chunk is resolved in sorted key order
 * through sst_sources_get_sorted_by (filters first, each data block read
 * once per chunk, tables opened once for the whole stream), and answered in
 * input order. Found values are kept in an arena of SST_BATCH_ARENA bytes.
 * When a chunk's values outgrow it, they spill: each goes to one of at most
 * SST_BATCH_BUCKETS buckets of an anonymous temporary file in the temp
 * directory (sst_tmpdir: $TMPDIR, else /tmp; nothing is left behind, even
 * after kill -9), bucket j holding the values of the j-th of equal ranges
 * of input positions, written through SST_BATCH_SPILL_BUF bytes of
 * buffers; the answers then read one bucket at a time into the arena.
 * A chunk whose values fit the arena touches no file. A value larger than
 * the arena, or one that would overflow its bucket, is looked up again, one
 * at a time, when its turn to be answered comes. So the batch's own memory
 * is bounded by SST_BATCH_MEM plus the largest value answered, whatever the
 * number of keys; the open tables add their index, filter and one data
 * block each. Its buffers grow as keys and values come, up to those bounds:
 * a batch of one key (sst-get -k) allocates a few KiB.
 *
 * Reading a descriptor (sst_batch_read), a chunk is also resolved whenever
 * the descriptor has no more input ready (poll), and then flush is called:
 * a coprocess that writes one key gets its answer before it writes the next.
 *
 * Thread-safety: one thread.
 */
#ifndef SST_BATCH_H
#define SST_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sources.h"

#define SST_BATCH_KEYS		(1u << 20)	/* keys in a chunk */
#define SST_BATCH_KEY_BYTES	(20u << 20)	/* key bytes in a chunk */
#define SST_BATCH_KEY_META	29u		/* bookkeeping bytes a key */
#define SST_BATCH_ARENA		(6u << 20)	/* found values held at once */
#define SST_BATCH_INBUF		(4u * 65536u + (64u << 10))	/* read buffer */
#define SST_BATCH_SPILL_BUF	(1u << 20)	/* write buffers of the buckets */
#define SST_BATCH_BUCKETS	64u		/* buckets of a chunk's spill */
/*
 * Every buffer of a batch together: the keys' bookkeeping (29 MiB), key
 * bytes (20), arena (6), spill buffers (1), read buffer (0.31), the spill's
 * segment list (at most 64 buckets of 6 MiB in 16 KiB segments, 8 bytes
 * each: 0.19), a line being decoded (-e: 0.25) and small change.
 */
#define SST_BATCH_MEM		(57u << 20)

typedef struct sst_batch_opts {
	int escape;		/* lines of sst_batch_read are tsv-escaped */
	size_t max_keys;	/* 0: SST_BATCH_KEYS (smaller: tests) */
	size_t max_key_bytes;	/* 0: SST_BATCH_KEY_BYTES */
	size_t arena_bytes;	/* 0: SST_BATCH_ARENA */
	size_t spill_buf;	/* 0: SST_BATCH_SPILL_BUF */
	const char *tmpdir;	/* the spill's directory; NULL: sst_tmpdir(NULL) */
} sst_batch_opts;

/*
 * One answer, in input order: key as asked; r is the record found (kind
 * PUT, r->key the asked key, bytes valid during the call) or NULL when the
 * key is absent or deleted. A non-OK return stops the batch with it.
 */
typedef int (*sst_batch_answer_fn)(void *clos, const uint8_t *key, size_t klen,
    const sst_rec *r, sst_err *err);
/* Called after the answers so far when the input has nothing more ready. */
typedef int (*sst_batch_flush_fn)(void *clos, sst_err *err);

typedef struct sst_batch sst_batch;

/* A batch over src (which must outlive it); flush may be NULL. */
int sst_batch_new(sst_batch **b, sst_sources *src, const sst_batch_opts *o,
    sst_batch_answer_fn answer, sst_batch_flush_fn flush, void *clos, sst_err *err);
void sst_batch_free(sst_batch **b);

/*
 * Adds one key (raw bytes). REQUIRES: klen in [1, SST_MAX_KEY]. Resolves
 * and answers the chunk first when the key would not fit in it. cr marks a
 * key read from a line that ended in CR (counted in sst_batch_stats).
 */
int sst_batch_add(sst_batch *b, const uint8_t *key, size_t klen, int cr, sst_err *err);

/*
 * Reads keys from fd, one a line (LF; the last line may lack it), until
 * its end, resolving as above. An empty or too long key, or a bad escape,
 * is SST_EDATA "NAME:LINE: what" (keys read since the last answers are
 * left unanswered); a read error SST_ESYS naming name.
 */
int sst_batch_read(sst_batch *b, int fd, const char *name, sst_err *err);

/*
 * Resolves and answers the keys added and not yet answered. A spill that
 * cannot be created, written or read is SST_ESYS "TMPDIR: what" (so is
 * it from sst_batch_add and sst_batch_read, which resolve full chunks).
 */
int sst_batch_finish(sst_batch *b, sst_err *err);

/* Keys answered; of them not found; of those, read from lines ending in CR. */
void sst_batch_stats(const sst_batch *b, uint64_t *asked, uint64_t *missing,
    uint64_t *cr_missing);

#endif
