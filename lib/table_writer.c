/*
 * table_writer.c - writes formats/sstable.md.
 *
 * The caller's thread builds data blocks. A full block waits until the next
 * key is known (its index separator lies between its last key and that
 * key); then it becomes a job: compress, write, add the index entry. With
 * threads > 1 a worker thread runs the jobs in order while the caller
 * builds the next blocks. Key hashes for the filter are buffered and, past
 * 1 MiB, spilled to an anonymous temporary file, so memory does not grow
 * with the number of keys. The index is partitioned: partitions of about
 * 4 KiB are kept in memory (one short entry a data block) and written at
 * finish, followed by the top-level index over them.
 *
 * With a dictionary (o.dict_size > 0), the first finished blocks are held
 * back, raw, in one buffer (up to o.dict_sample bytes) instead of being
 * queued; then the caller trains a dictionary on them, keeps it if it pays
 * on them (lib/dict.c), gives both
 * compression contexts the ZSTD_CDict, and queues the held blocks and all
 * later ones as usual. The dictionary block is written after the data.
 */
#include "table.h"

#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "block.h"
#include "dict.h"
#include "fileio.h"
#include "filter.h"
#include "format.h"
#include "table_int.h"
#include "util.h"

#define NJOBS		8
#define OBUF_SIZE	(256u << 10)
#define HASH_BUF	(128u << 10)	/* hashes buffered before a spill */
#define INDEX_PART	4096u		/* index partition size */

enum { JOB_QUEUED, JOB_BUSY, JOB_DONE };
enum { DICT_OFF, DICT_COLLECT, DICT_ON };

typedef struct job {
	sst_buf raw;		/* a finished data block */
	sst_buf sep;		/* its index separator */
	sst_buf cbuf;		/* its compressed form */
	const uint8_t *payload;	/* raw.p or cbuf.p, once compressed */
	size_t plen;
	int type;
	int state;		/* JOB_*: compressed by the worker or the caller */
} job;

struct sst_writer {
	sst_table_opts o;
	sst_out out;
	sst_err werr;		/* the worker's first error */
	int failed;

	/* caller's side */
	sst_block_builder data;	/* its last_key: the last key added to the table */
	sst_buf first_key;
	int pending;		/* data.buf holds a finished block awaiting its separator */
	uint64_t records, deletes, raw_key_bytes, raw_value_bytes;
	uint64_t *hashes;
	size_t nhashes;
	int hash_fd;
	uint64_t hashes_spilled;
	sst_buf sep;		/* the pending block's separator */

	/* the dictionary: trained by the caller before any block is queued */
	int dict_state;		/* DICT_* */
	sst_buf hold;		/* blocks held back (raw), concatenated */
	sst_buf hold_seps;	/* their separators: varint len, bytes */
	size_t *hold_sizes, nhold, hold_cap;
	uint64_t est_raw, est_disk;	/* every 16th held block compressed alone: for the size */
	sst_buf est;
	uint8_t *dict;
	size_t dict_len;
	ZSTD_CDict *cdict;

	/* job side (worker, or the caller when unthreaded) */
	ZSTD_CCtx *cctx;
	ZSTD_CCtx *helper_cctx;	/* the caller's, when it helps compress */
	sst_block_builder index;	/* the open index partition */
	sst_buf parts;			/* closed ones: varint seplen, sep, varint len, block */
	uint8_t *obuf;
	size_t olen;
	uint64_t data_blocks, raw_data_bytes, data_bytes;
	uint64_t written;	/* bytes handed to the output (buffered included) */

	/* the queue */
	int threaded;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	job jobs[NJOBS];
	unsigned head, tail;	/* jobs[head % NJOBS] .. jobs[tail % NJOBS] queued */
	int stop;
};

void
sst_table_opts_default(sst_table_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->block_size = 8192;
	o->compression = SST_COMP_ZSTD;
	o->level = 3;
	o->bloom_bits = 10;
	o->threads = 1;
	o->dict_size = SST_DICT_AUTO;
}

/* ---- output buffering (job side) ---- */

static int
oflush(sst_writer *w, sst_err *err)
{
	int rc = SST_OK;

	if (w->olen > 0)
		rc = sst_out_write(&w->out, w->obuf, w->olen, err);
	w->olen = 0;
	return rc;
}

static int
owrite(sst_writer *w, const void *p, size_t n, sst_err *err)
{
	int rc;

	__atomic_store_n(&w->written, w->written + n, __ATOMIC_RELAXED);
	if (w->olen + n > OBUF_SIZE) {
		if ((rc = oflush(w, err)) != SST_OK)
			return rc;
		if (n >= OBUF_SIZE / 2)
			return sst_out_write(&w->out, p, n, err);
	}
	memcpy(w->obuf + w->olen, p, n);
	w->olen += n;
	return SST_OK;
}

/* Compresses j's block when asked and when it pays; sets its payload. */
static int
compress_job(const sst_writer *w, ZSTD_CCtx *cctx, job *j, sst_err *err)
{
	size_t bound, c;
	int rc;

	j->payload = j->raw.p;
	j->plen = j->raw.len;
	j->type = SST_BLOCK_RAW;
	if (w->o.compression != SST_COMP_ZSTD)
		return SST_OK;
	bound = ZSTD_compressBound(j->raw.len);
	j->cbuf.len = 0;
	if ((rc = sst_buf_reserve(&j->cbuf, bound, err)) != SST_OK)
		return rc;
	if (w->cdict != NULL)	/* the context holds the dictionary and the level */
		c = ZSTD_compress2(cctx, j->cbuf.p, bound, j->raw.p, j->raw.len);
	else
		c = ZSTD_compressCCtx(cctx, j->cbuf.p, bound, j->raw.p, j->raw.len, w->o.level);
	if (ZSTD_isError(c))
		return sst_error(err, SST_ESYS, "%s: zstd: %s", w->out.path, ZSTD_getErrorName(c));
	if (c < j->raw.len - j->raw.len / 8) {
		j->payload = j->cbuf.p;
		j->plen = c;
		j->type = w->cdict != NULL ? SST_BLOCK_ZSTD_DICT : SST_BLOCK_ZSTD;
	}
	return SST_OK;
}

/*
 * Writes a block (payload + trailer) at the current end; sets *h. A block
 * that fits the output buffer is copied there with its trailer, so its
 * checksum is one-shot over the bytes in place (the streaming form costs
 * more a byte).
 */
static int
emit_block(sst_writer *w, const uint8_t *payload, size_t plen, int type, size_t rawlen,
    sst_handle *h, sst_err *err)
{
	uint8_t trailer[SST_TRAILER_SIZE], *t;
	size_t n = plen + SST_TRAILER_SIZE;
	int rc;

	h->off = w->written;
	h->len = plen;
	if (n < OBUF_SIZE / 2) {
		if (w->olen + n > OBUF_SIZE && (rc = oflush(w, err)) != SST_OK)
			return rc;
		t = w->obuf + w->olen;
		memcpy(t, payload, plen);
		t[plen] = (uint8_t)type;
		sst_put_le32(t + plen + 1, (uint32_t)rawlen);
		sst_put_le32(t + plen + 5, sst_checksum(t, plen + 5, h->off));
		w->olen += n;
		__atomic_store_n(&w->written, w->written + n, __ATOMIC_RELAXED);
		return SST_OK;
	}
	trailer[0] = (uint8_t)type;
	sst_put_le32(trailer + 1, (uint32_t)rawlen);
	sst_put_le32(trailer + 5, sst_checksum2(payload, plen, trailer, 5, h->off));
	if ((rc = owrite(w, payload, plen, err)) != SST_OK)
		return rc;
	return owrite(w, trailer, sizeof(trailer), err);
}

/* Writes an uncompressed block (filter, properties, index). */
static int
write_block(sst_writer *w, const uint8_t *raw, size_t rawlen, sst_handle *h, sst_err *err)
{
	return emit_block(w, raw, rawlen, SST_BLOCK_RAW, rawlen, h, err);
}

/* Closes the open index partition into w->parts. */
static int
close_part(sst_writer *w, sst_err *err)
{
	int rc;

	if ((rc = sst_bb_finish(&w->index, err)) != SST_OK ||
	    (rc = sst_buf_append_varint(&w->parts, w->index.last_key.len, err)) != SST_OK ||
	    (rc = sst_buf_append(&w->parts, w->index.last_key.p, w->index.last_key.len, err)) != SST_OK ||
	    (rc = sst_buf_append_varint(&w->parts, w->index.buf.len, err)) != SST_OK ||
	    (rc = sst_buf_append(&w->parts, w->index.buf.p, w->index.buf.len, err)) != SST_OK)
		return rc;
	sst_bb_reset(&w->index);
	return SST_OK;
}

/* Writes the index partitions, then the top-level index over them. */
static int
write_index(sst_writer *w, sst_footer *f, sst_err *err)
{
	const uint8_t *p, *end;
	sst_block_builder top;
	int rc = SST_OK;

	if (w->index.entries > 0 && (rc = close_part(w, err)) != SST_OK)
		return rc;
	p = w->parts.p;
	end = w->parts.p + w->parts.len;
	sst_bb_init(&top, SST_RESTART_INTERVAL);
	while (rc == SST_OK && p < end) {
		uint64_t seplen, len;
		const uint8_t *sep;
		uint8_t hv[20], *q = hv;
		sst_handle h;

		sst_get_varint(&p, end, &seplen);
		sep = p;
		p += seplen;
		sst_get_varint(&p, end, &len);
		rc = write_block(w, p, (size_t)len, &h, err);
		p += len;
		q += sst_put_varint(q, h.off);
		q += sst_put_varint(q, h.len);
		rc = rc ? rc : sst_bb_add(&top, sep, (size_t)seplen, hv, (size_t)(q - hv), SST_PUT, err);
	}
	rc = rc ? rc : sst_bb_finish(&top, err);
	rc = rc ? rc : write_block(w, top.buf.p, top.buf.len, &f->index, err);
	sst_bb_free(&top);
	return rc;
}

/* Writes a compressed job's block and adds its index entry. */
static int
write_job(sst_writer *w, job *j, sst_err *err)
{
	uint8_t hv[20], *p = hv;
	sst_handle h;
	int rc;

	if ((rc = emit_block(w, j->payload, j->plen, j->type, j->raw.len, &h, err)) != SST_OK)
		return rc;
	w->data_blocks++;
	__atomic_store_n(&w->raw_data_bytes, w->raw_data_bytes + j->raw.len, __ATOMIC_RELAXED);
	__atomic_store_n(&w->data_bytes, w->data_bytes + h.len + SST_TRAILER_SIZE, __ATOMIC_RELAXED);
	p += sst_put_varint(p, h.off);
	p += sst_put_varint(p, h.len);
	if ((rc = sst_bb_add(&w->index, j->sep.p, j->sep.len, hv, (size_t)(p - hv), SST_PUT, err)) != SST_OK)
		return rc;
	return sst_bb_size(&w->index) >= INDEX_PART ? close_part(w, err) : SST_OK;
}

/*
 * The worker takes jobs in order: compresses each (unless the caller is
 * already compressing it), then writes it.
 */
static void *
worker(void *arg)
{
	sst_writer *w = arg;
	int rc;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		job *j;

		while (w->head == w->tail && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->head == w->tail)
			break;
		j = &w->jobs[w->head % NJOBS];
		rc = SST_OK;
		if (j->state == JOB_QUEUED) {
			j->state = JOB_BUSY;
			pthread_mutex_unlock(&w->mu);
			rc = w->failed ? SST_OK : compress_job(w, w->cctx, j, &w->werr);
			pthread_mutex_lock(&w->mu);
			j->state = JOB_DONE;
		}
		while (j->state != JOB_DONE)
			pthread_cond_wait(&w->cv, &w->mu);
		if (rc == SST_OK && !w->failed) {
			pthread_mutex_unlock(&w->mu);
			rc = write_job(w, j, &w->werr);
			pthread_mutex_lock(&w->mu);
		}
		if (rc != SST_OK)
			w->failed = 1;
		w->head++;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/*
 * REQUIRES: w->mu held. While the queue is full, the caller compresses
 * queued jobs itself (newest first, the worker takes the oldest), so both
 * cores compress; returns once there is room or the worker failed.
 */
static void
wait_room(sst_writer *w)
{
	while (w->tail - w->head == NJOBS && !w->failed) {
		job *pick = NULL;
		unsigned i;

		for (i = w->tail; i-- > w->head + 1;) {
			if (w->jobs[i % NJOBS].state == JOB_QUEUED) {
				pick = &w->jobs[i % NJOBS];
				break;
			}
		}
		if (pick == NULL) {
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		pick->state = JOB_BUSY;
		pthread_mutex_unlock(&w->mu);
		{
			sst_err e;
			int rc = compress_job(w, w->helper_cctx, pick, &e);

			pthread_mutex_lock(&w->mu);
			if (rc != SST_OK && !w->failed) {
				w->werr = e;
				w->failed = 1;
			}
		}
		pick->state = JOB_DONE;
		pthread_cond_broadcast(&w->cv);
	}
}

/* Shortest S with a <= S < b (a < b), or a itself. */
static int
separator(const sst_buf *a, const uint8_t *b, size_t blen, sst_buf *out, sst_err *err)
{
	size_t i = 0, n = a->len < blen ? a->len : blen;

	out->len = 0;
	while (i < n && a->p[i] == b[i])
		i++;
	if (i < n && a->p[i] < 0xff && a->p[i] + 1 < b[i]) {
		int rc = sst_buf_append(out, a->p, i + 1, err);

		if (rc == SST_OK)
			out->p[i]++;
		return rc;
	}
	return sst_buf_append(out, a->p, a->len, err);
}

/*
 * Queues a finished block: raw (swapped into the job when swap is set,
 * else copied) with its separator; compresses and writes it at once when
 * unthreaded.
 */
static int
queue_block(sst_writer *w, sst_buf *swap, const uint8_t *raw, size_t rawlen,
    const uint8_t *sep, size_t seplen, sst_err *err)
{
	sst_buf tmp;
	job *j;
	int rc, failed;

	if (w->threaded) {
		pthread_mutex_lock(&w->mu);
		wait_room(w);
		failed = w->failed;
		pthread_mutex_unlock(&w->mu);
		if (failed) {
			*err = w->werr;
			return err->code;
		}
	}
	j = &w->jobs[w->tail % NJOBS];
	j->sep.len = 0;
	if ((rc = sst_buf_append(&j->sep, sep, seplen, err)) != SST_OK)
		return rc;
	if (swap != NULL) {
		tmp = j->raw;
		j->raw = *swap;
		*swap = tmp;
	} else {
		j->raw.len = 0;
		if ((rc = sst_buf_append(&j->raw, raw, rawlen, err)) != SST_OK)
			return rc;
	}
	if (!w->threaded) {
		if ((rc = compress_job(w, w->cctx, j, err)) != SST_OK)
			return rc;
		return write_job(w, j, err);
	}
	pthread_mutex_lock(&w->mu);
	j->state = JOB_QUEUED;
	w->tail++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return SST_OK;
}

/*
 * Ends the sample: trains the dictionary on the held blocks when there is
 * enough data (else the table has none), then queues the held blocks.
 */
static int
dict_start(sst_writer *w, sst_err *err)
{
	const uint8_t *p = w->hold.p, *sp = w->hold_seps.p, *send = w->hold_seps.p + w->hold_seps.len;
	size_t i;
	int rc = SST_OK;

	w->dict_state = DICT_OFF;
	if (w->hold.len >= 8 * w->o.dict_size && w->nhold >= 8) {
		size_t n;
		int pays = 0;

		if (sst_dict_train(w->hold.p, w->hold_sizes, w->nhold, w->o.dict_size, w->o.level,
		    &w->dict, &n) != SST_OK)
			return sst_nomem(err, w->out.path);
		if (n > 0 &&	/* else: no dictionary, not an error */
		    ((w->cdict = ZSTD_createCDict(w->dict, n, w->o.level)) == NULL ||
		    sst_dict_pays(w->hold.p, w->hold_sizes, w->nhold, w->cdict, n, w->o.level, &pays) != SST_OK))
			return sst_nomem(err, w->out.path);
		if (pays) {
			w->dict_len = n;
			if (ZSTD_isError(ZSTD_CCtx_refCDict(w->cctx, w->cdict)) ||
			    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_dictIDFlag, 0)) ||
			    (w->helper_cctx != NULL &&
			    (ZSTD_isError(ZSTD_CCtx_refCDict(w->helper_cctx, w->cdict)) ||
			    ZSTD_isError(ZSTD_CCtx_setParameter(w->helper_cctx, ZSTD_c_dictIDFlag, 0)))))
				return sst_error(err, SST_ESYS, "%s: zstd: cannot use the dictionary", w->out.path);
			w->dict_state = DICT_ON;
		} else {
			ZSTD_freeCDict(w->cdict);
			w->cdict = NULL;
			free(w->dict);
			w->dict = NULL;
		}
	}
	for (i = 0; i < w->nhold && rc == SST_OK; i++) {
		uint64_t seplen;

		sst_get_varint(&sp, send, &seplen);
		rc = queue_block(w, NULL, p, w->hold_sizes[i], sp, (size_t)seplen, err);
		sp += seplen;
		p += w->hold_sizes[i];
	}
	sst_buf_free(&w->hold);
	sst_buf_free(&w->hold_seps);
	sst_buf_free(&w->est);
	free(w->hold_sizes);
	w->hold_sizes = NULL;
	w->nhold = w->hold_cap = 0;
	return rc;
}

/* Holds the pending block back for the dictionary's sample. */
static int
hold_block(sst_writer *w, sst_err *err)
{
	int rc;

	if (w->nhold == w->hold_cap) {
		size_t cap = w->hold_cap ? 2 * w->hold_cap : 64;
		size_t *ns = realloc(w->hold_sizes, cap * sizeof(*ns));

		if (ns == NULL)
			return sst_nomem(err, w->out.path);
		w->hold_sizes = ns;
		w->hold_cap = cap;
	}
	if (w->hold.cap == 0 &&	/* the whole sample at once: no regrowth */
	    (rc = sst_buf_reserve(&w->hold, w->o.dict_sample + w->o.block_size, err)) != SST_OK)
		return rc;
	if ((rc = sst_buf_append(&w->hold, w->data.buf.p, w->data.buf.len, err)) != SST_OK ||
	    (rc = sst_buf_append_varint(&w->hold_seps, w->sep.len, err)) != SST_OK ||
	    (rc = sst_buf_append(&w->hold_seps, w->sep.p, w->sep.len, err)) != SST_OK)
		return rc;
	w->hold_sizes[w->nhold++] = w->data.buf.len;
	if ((w->nhold - 1) % 16 == 0) {	/* no job runs yet: the context is free */
		size_t n = w->data.buf.len, bound = ZSTD_compressBound(n), c;

		w->est.len = 0;
		if ((rc = sst_buf_reserve(&w->est, bound, err)) != SST_OK)
			return rc;
		c = ZSTD_compressCCtx(w->cctx, w->est.p, bound, w->data.buf.p, n, w->o.level);
		if (ZSTD_isError(c) || c >= n - n / 8)
			c = n;
		__atomic_store_n(&w->est_disk, w->est_disk + c + SST_TRAILER_SIZE, __ATOMIC_RELAXED);
		__atomic_store_n(&w->est_raw, w->est_raw + n, __ATOMIC_RELAXED);
	}
	return SST_OK;
}

/* Hands the pending block (in w->data.buf) over with separator from next key. */
static int
submit_pending(sst_writer *w, const uint8_t *next, size_t nlen, sst_err *err)
{
	int rc;

	if (next != NULL)
		rc = separator(&w->data.last_key, next, nlen, &w->sep, err);
	else {
		w->sep.len = 0;
		rc = sst_buf_append(&w->sep, w->data.last_key.p, w->data.last_key.len, err);
	}
	if (rc != SST_OK)
		return rc;
	if (w->dict_state == DICT_COLLECT) {
		rc = hold_block(w, err);
		sst_bb_reset(&w->data);
		w->pending = 0;
		if (rc == SST_OK && w->hold.len >= w->o.dict_sample)
			rc = dict_start(w, err);
		return rc;
	}
	rc = queue_block(w, &w->data.buf, NULL, 0, w->sep.p, w->sep.len, err);
	sst_bb_reset(&w->data);
	w->pending = 0;
	return rc;
}

static void
stop_worker(sst_writer *w)
{
	if (!w->threaded)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	w->threaded = 0;
}

int
sst_writer_open(sst_writer **wp, const char *path, const sst_table_opts *o, sst_err *err)
{
	sst_writer *w;
	char *copy;
	int rc;

	*wp = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return sst_nomem(err, path);
	w->hash_fd = -1;
	w->out.fd = -1;
	if (o != NULL)
		w->o = *o;
	else
		sst_table_opts_default(&w->o);
	if (w->o.block_size < SST_MIN_BLOCK_SIZE)
		w->o.block_size = SST_MIN_BLOCK_SIZE;
	if (w->o.block_size > SST_MAX_BLOCK_SIZE)
		w->o.block_size = SST_MAX_BLOCK_SIZE;
	if (w->o.bloom_bits < 0)
		w->o.bloom_bits = 0;
	if (w->o.bloom_bits > SST_MAX_BLOOM_BITS)
		w->o.bloom_bits = SST_MAX_BLOOM_BITS;
	/* A temporary table (table.h) gets no dictionary unless asked, no filter if scratch. */
	if (w->o.dict_size == SST_DICT_AUTO)
		w->o.dict_size = w->o.temporary != SST_TEMP_NONE ? 0 : SST_DICT_DEFAULT;
	if (w->o.temporary == SST_TEMP_SCRATCH) {
		w->o.dict_size = 0;
		w->o.bloom_bits = 0;
	}
	if (w->o.dict_size > SST_DICT_MAX)
		w->o.dict_size = SST_DICT_MAX;
	if (w->o.dict_size > 0 && w->o.dict_size < SST_DICT_MIN)
		w->o.dict_size = SST_DICT_MIN;
	w->dict_state = w->o.compression == SST_COMP_ZSTD && w->o.dict_size > 0 ?
	    DICT_COLLECT : DICT_OFF;
	if (w->o.dict_sample == 0 || w->o.dict_sample > SST_DICT_SAMPLE)
		w->o.dict_sample = SST_DICT_SAMPLE;
	if (w->o.dict_sample < 8 * w->o.dict_size)
		w->o.dict_sample = 8 * w->o.dict_size;
	sst_bb_init(&w->data, SST_RESTART_INTERVAL);
	sst_bb_init(&w->index, SST_RESTART_INTERVAL);
	w->obuf = malloc(OBUF_SIZE);
	w->hashes = w->o.bloom_bits > 0 ? malloc(HASH_BUF * sizeof(uint64_t)) : NULL;
	w->cctx = ZSTD_createCCtx();
	w->helper_cctx = w->o.threads > 1 ? ZSTD_createCCtx() : NULL;
	if (w->obuf == NULL || (w->o.bloom_bits > 0 && w->hashes == NULL) || w->cctx == NULL ||
	    (w->o.threads > 1 && w->helper_cctx == NULL)) {
		rc = sst_nomem(err, path);
		goto fail;
	}
	if ((rc = sst_out_open(&w->out, path, err)) != SST_OK)
		goto fail;
	if (w->o.bloom_bits > 0) {
		if ((copy = strdup(path)) == NULL) {
			rc = sst_nomem(err, path);
			goto fail;
		}
		w->hash_fd = sst_anon_tmpfile(dirname(copy), err);
		free(copy);
		if (w->hash_fd < 0) {
			rc = err->code;
			goto fail;
		}
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (w->o.threads > 1) {
		if (pthread_create(&w->thread, NULL, worker, w) == 0)
			w->threaded = 1;
	}
	*wp = w;
	return SST_OK;
fail:
	sst_out_abort(&w->out);
	if (w->hash_fd >= 0)
		close(w->hash_fd);
	sst_bb_free(&w->data);
	sst_bb_free(&w->index);
	free(w->obuf);
	free(w->hashes);
	ZSTD_freeCCtx(w->cctx);
	ZSTD_freeCCtx(w->helper_cctx);
	free(w);
	return rc;
}

static int
spill_hashes(sst_writer *w, sst_err *err)
{
	int rc = sst_write_full(w->hash_fd, w->hashes, w->nhashes * sizeof(uint64_t),
	    "filter temporary file", err);

	w->hashes_spilled += w->nhashes;
	w->nhashes = 0;
	return rc;
}

/* sst_keycmp by the key prefixes first: no memcmp unless they agree. */
static inline int
key_order(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint64_t pa = sst_key_pfx(a, alen), pb = sst_key_pfx(b, blen);

	if (pa != pb)
		return pa < pb ? -1 : 1;
	return sst_key_tail_cmp(a, alen, b, blen);
}

int
sst_writer_add(sst_writer *w, const sst_rec *r, sst_err *err)
{
	int rc;

	if (r->klen == 0 || r->klen > SST_MAX_KEY)
		return sst_error(err, SST_EDATA, "%s: key length %zu out of range 1..%u",
		    w->out.path, r->klen, SST_MAX_KEY);
	if (r->kind == SST_DEL ? r->vlen != 0 : r->vlen > SST_MAX_VALUE)
		return sst_error(err, SST_EDATA, "%s: value length %zu out of range", w->out.path, r->vlen);
	if (w->records > 0 && key_order(w->data.last_key.p, w->data.last_key.len, r->key, r->klen) >= 0)
		return sst_error(err, SST_EDATA, "%s: keys not strictly increasing", w->out.path);
	if (w->pending && (rc = submit_pending(w, r->key, r->klen, err)) != SST_OK)
		return rc;
	if ((rc = sst_bb_add(&w->data, r->key, r->klen, r->val, r->vlen, r->kind, err)) != SST_OK)
		return rc;
	if (w->records == 0 && (rc = sst_buf_append(&w->first_key, r->key, r->klen, err)) != SST_OK)
		return rc;
	w->records++;
	w->deletes += r->kind == SST_DEL;
	w->raw_key_bytes += r->klen;
	w->raw_value_bytes += r->vlen;
	if (w->hashes != NULL) {
		w->hashes[w->nhashes++] = sst_hash64(r->key, r->klen);
		if (w->nhashes == HASH_BUF && (rc = spill_hashes(w, err)) != SST_OK)
			return rc;
	}
	if (sst_bb_size(&w->data) >= w->o.block_size) {
		if ((rc = sst_bb_finish(&w->data, err)) != SST_OK)
			return rc;
		w->pending = 1;
	}
	return SST_OK;
}

uint64_t
sst_writer_size(const sst_writer *w)
{
	/*
	 * Approximate: data written or queued, plus the open block (and the
	 * blocks held back for the dictionary) at the ratio seen so far: of
	 * the blocks written, or before any, of every 16th held block.
	 */
	uint64_t open = sst_bb_size(&w->data) + w->hold.len;
	uint64_t raw = __atomic_load_n(&w->raw_data_bytes, __ATOMIC_RELAXED);
	uint64_t disk = __atomic_load_n(&w->data_bytes, __ATOMIC_RELAXED);

	if (raw == 0) {
		raw = __atomic_load_n(&w->est_raw, __ATOMIC_RELAXED);
		disk = __atomic_load_n(&w->est_disk, __ATOMIC_RELAXED);
	}

	if (raw > 0)
		open = open * disk / raw;
	return __atomic_load_n(&w->written, __ATOMIC_RELAXED) + open + w->records * (uint64_t)w->o.bloom_bits / 8;
}

uint64_t
sst_writer_count(const sst_writer *w)
{
	return w->records;
}

/* Sets, in the slice of lines [lo, lo + n), the bits of the hashes given. */
static void
slice_add(uint8_t *slice, uint64_t lo, uint64_t n, uint64_t lines, int k,
    const uint64_t *hv, size_t nh)
{
	size_t i;

	for (i = 0; i < nh; i++) {
		uint64_t l = sst_filter_line_of(hv[i], lines);

		if (l - lo < n)
			sst_filter_line_add(slice + (l - lo) * SST_FILTER_LINE, k, hv[i]);
	}
}

/*
 * Builds and writes the filter block; fills f->filter*. The bit array is
 * built in slices of at most filter_mem bytes (whole 4 KiB chunks), each
 * from one pass over the key hashes, so a huge filter never sits in memory
 * whole; the block checksum is carried across the slices.
 */
static int
write_filter(sst_writer *w, sst_footer *f, sst_err *err)
{
	uint64_t n = w->hashes_spilled + w->nhashes, lines, nchunks, lo, slice_lines;
	uint64_t hbuf[1024];
	uint8_t *slice = NULL, *sums = NULL, trailer[SST_TRAILER_SIZE];
	int k = sst_filter_k(w->o.bloom_bits), rc = SST_OK;
	size_t bytes, plen, mem;
	sst_checksum_state cs;
	sst_handle h;

	memset(&f->filter, 0, sizeof(f->filter));
	f->filter_lines = 0;
	f->filter_k = 0;
	lines = sst_filter_lines(n, w->o.bloom_bits);
	if (lines == 0)
		return SST_OK;
	if (lines > UINT32_MAX)
		return sst_error(err, SST_EDATA, "%s: too many keys for the filter", w->out.path);
	bytes = (size_t)lines * SST_FILTER_LINE;
	nchunks = (lines + SST_FILTER_CHUNK_LINES - 1) / SST_FILTER_CHUNK_LINES;
	plen = bytes + 4 * (size_t)nchunks;
	if (plen > UINT32_MAX)
		return sst_error(err, SST_EDATA, "%s: too many keys for the filter", w->out.path);
	mem = w->o.filter_mem ? w->o.filter_mem : SST_FILTER_MEM_DEFAULT;
	slice_lines = mem / SST_FILTER_CHUNK * SST_FILTER_CHUNK_LINES;
	if (slice_lines == 0)
		slice_lines = SST_FILTER_CHUNK_LINES;
	if (slice_lines > lines)
		slice_lines = lines;
	if ((slice = malloc((size_t)slice_lines * SST_FILTER_LINE)) == NULL ||
	    (sums = malloc(4 * (size_t)nchunks)) == NULL) {
		rc = sst_nomem(err, w->out.path);
		goto out;
	}
	h.off = w->written;
	h.len = plen;
	sst_checksum_begin(&cs, h.off);
	for (lo = 0; lo < lines && rc == SST_OK; lo += slice_lines) {
		uint64_t sn = lines - lo < slice_lines ? lines - lo : slice_lines;
		size_t sbytes = (size_t)sn * SST_FILTER_LINE, c, off = 0;
		uint64_t left = w->hashes_spilled * sizeof(uint64_t);

		memset(slice, 0, sbytes);
		while (left > 0 && rc == SST_OK) {
			size_t want = left < sizeof(hbuf) ? (size_t)left : sizeof(hbuf);

			rc = sst_pread_full(w->hash_fd, hbuf, want, off, "filter temporary file", err);
			if (rc == SST_OK)
				slice_add(slice, lo, sn, lines, k, hbuf, want / 8);
			off += want;
			left -= want;
		}
		if (rc != SST_OK)
			break;
		slice_add(slice, lo, sn, lines, k, w->hashes, w->nhashes);
		for (c = 0; c * SST_FILTER_CHUNK < sbytes; c++) {
			size_t coff = c * SST_FILTER_CHUNK;
			size_t clen = sbytes - coff < SST_FILTER_CHUNK ? sbytes - coff : SST_FILTER_CHUNK;
			uint64_t fo = lo * SST_FILTER_LINE + coff;	/* offset in the filter */

			sst_put_le32(sums + 4 * (fo / SST_FILTER_CHUNK),
			    sst_checksum(slice + coff, clen, h.off + fo));
		}
		sst_checksum_update(&cs, slice, sbytes);
		rc = owrite(w, slice, sbytes, err);
	}
	if (rc == SST_OK) {
		sst_checksum_update(&cs, sums, 4 * (size_t)nchunks);
		rc = owrite(w, sums, 4 * (size_t)nchunks, err);
	}
	if (rc == SST_OK) {
		trailer[0] = SST_BLOCK_RAW;
		sst_put_le32(trailer + 1, (uint32_t)plen);
		sst_checksum_update(&cs, trailer, 5);
		sst_put_le32(trailer + 5, sst_checksum_final(&cs));
		rc = owrite(w, trailer, sizeof(trailer), err);
	}
	f->filter = h;
	f->filter_lines = (uint32_t)lines;
	f->filter_k = (uint8_t)k;
out:
	free(slice);
	free(sums);
	return rc;
}

static int
prop_u64(sst_block_builder *b, const char *name, uint64_t v, sst_err *err)
{
	uint8_t le[8];

	sst_put_le64(le, v);
	return sst_bb_add(b, (const uint8_t *)name, strlen(name), le, 8, SST_PUT, err);
}

static int
write_props(sst_writer *w, sst_footer *f, sst_err *err)
{
	sst_block_builder b;
	int rc = SST_OK;

	sst_bb_init(&b, 1);
	/* In name order. */
	rc = rc ? rc : prop_u64(&b, "block_size", w->o.block_size, err);
	rc = rc ? rc : prop_u64(&b, "bloom_bits", (uint64_t)w->o.bloom_bits, err);
	rc = rc ? rc : prop_u64(&b, "compression", (uint64_t)w->o.compression, err);
	rc = rc ? rc : prop_u64(&b, "created", (uint64_t)time(NULL), err);
	rc = rc ? rc : prop_u64(&b, "data_blocks", w->data_blocks, err);
	rc = rc ? rc : prop_u64(&b, "data_bytes", w->data_bytes, err);
	rc = rc ? rc : prop_u64(&b, "deletes", w->deletes, err);
	if (rc == SST_OK && w->records > 0)
		rc = sst_bb_add(&b, (const uint8_t *)"largest_key", 11, w->data.last_key.p, w->data.last_key.len, SST_PUT, err);
	rc = rc ? rc : prop_u64(&b, "level", (uint64_t)(int64_t)w->o.level, err);
	rc = rc ? rc : prop_u64(&b, "raw_data_bytes", w->raw_data_bytes, err);
	rc = rc ? rc : prop_u64(&b, "raw_key_bytes", w->raw_key_bytes, err);
	rc = rc ? rc : prop_u64(&b, "raw_value_bytes", w->raw_value_bytes, err);
	rc = rc ? rc : prop_u64(&b, "records", w->records, err);
	if (rc == SST_OK && w->records > 0)
		rc = sst_bb_add(&b, (const uint8_t *)"smallest_key", 12, w->first_key.p, w->first_key.len, SST_PUT, err);
	rc = rc ? rc : sst_bb_finish(&b, err);
	rc = rc ? rc : write_block(w, b.buf.p, b.buf.len, &f->props, err);
	sst_bb_free(&b);
	return rc;
}

static void
writer_free(sst_writer *w)
{
	int i;

	stop_worker(w);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	if (w->hash_fd >= 0)
		close(w->hash_fd);
	sst_bb_free(&w->data);
	sst_bb_free(&w->index);
	sst_buf_free(&w->parts);
	sst_buf_free(&w->first_key);
	for (i = 0; i < NJOBS; i++) {
		sst_buf_free(&w->jobs[i].raw);
		sst_buf_free(&w->jobs[i].sep);
		sst_buf_free(&w->jobs[i].cbuf);
	}
	free(w->obuf);
	free(w->hashes);
	ZSTD_freeCCtx(w->cctx);
	ZSTD_freeCCtx(w->helper_cctx);
	ZSTD_freeCDict(w->cdict);
	free(w->dict);
	sst_buf_free(&w->hold);
	sst_buf_free(&w->hold_seps);
	free(w->hold_sizes);
	sst_buf_free(&w->sep);
	sst_buf_free(&w->est);
	free(w);
}

int
sst_writer_finish(sst_writer **wp, sst_err *err)
{
	sst_writer *w = *wp;
	uint8_t foot[SST_FOOTER_MAX];
	sst_footer f;
	size_t fn;
	int rc = SST_OK;

	*wp = NULL;
	if (w == NULL)
		return SST_OK;
	if (!w->pending && w->data.entries > 0)
		rc = sst_bb_finish(&w->data, err);
	if (rc == SST_OK && w->data.entries > 0)
		rc = submit_pending(w, NULL, 0, err);
	if (rc == SST_OK && w->dict_state == DICT_COLLECT)
		rc = dict_start(w, err);	/* the whole table was the sample */
	stop_worker(w);
	if (rc == SST_OK && w->failed) {
		*err = w->werr;
		rc = err->code;
	}
	memset(&f, 0, sizeof(f));
	if (rc == SST_OK && w->cdict != NULL)
		rc = write_block(w, w->dict, w->dict_len, &f.dict, err);
	rc = rc ? rc : write_filter(w, &f, err);
	rc = rc ? rc : write_props(w, &f, err);
	rc = rc ? rc : write_index(w, &f, err);
	if (rc == SST_OK) {
		fn = sst_footer_encode(&f, w->written, foot);
		rc = owrite(w, foot, fn, err);
	}
	rc = rc ? rc : oflush(w, err);
	if (rc == SST_OK)
		rc = sst_out_commit(&w->out, err);
	else
		sst_out_abort(&w->out);
	writer_free(w);
	return rc;
}

void
sst_writer_abort(sst_writer **wp)
{
	sst_writer *w = *wp;

	*wp = NULL;
	if (w == NULL)
		return;
	stop_worker(w);
	sst_out_abort(&w->out);
	writer_free(w);
}
