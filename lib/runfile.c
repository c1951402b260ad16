/*
 * runfile.c - the sorter's run codec (runfile.h): temporary files, the
 * run writer and the run reader.
 */
#include "runfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_estimate*: exported by libzstd */
#include <zstd.h>

#include "fileio.h"
#include "sortbuf.h"

#define BLOCK_TARGET	SST_RUN_BLOCK
#define BLOCK_HDR	SST_RUN_BLOCK_HDR
#define MALLOC_SLACK	SST_RUN_MALLOC_SLACK
#define RUN_WLOG	17
#define REC_HDR_MAX	20		/* two varints */
#define KEYBUF		(REC_HDR_MAX + SST_MAX_KEY)

static int
run_damaged(const sst_run_io *io, uint64_t off, const char *what, sst_err *err)
{
	return sst_error(err, SST_EDATA, "%s@%llu: temporary run damaged: %s",
	    io->tmpdir, (unsigned long long)off, what);
}

/* ---- temporary files ---- */

int
sst_tfile_new(const char *tmpdir, sst_tfile **out, sst_err *err)
{
	sst_tfile *f;

	if ((f = sst_calloc(1, sizeof(*f), err)) == NULL)
		return SST_ESYS;
	f->fd = sst_anon_tmpfile(tmpdir, err);
	if (f->fd < 0) {
		free(f);
		return SST_ESYS;
	}
	f->refs = 1;
	*out = f;
	return SST_OK;
}

void
sst_tfile_unref(sst_tfile *f)
{
	if (f != NULL && --f->refs == 0) {
		close(f->fd);
		free(f);
	}
}

void
sst_run_discard(sst_run *r)
{
#ifdef FALLOC_FL_PUNCH_HOLE
	if (r->len > 0)
		(void)fallocate(r->f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		    (off_t)r->off, (off_t)r->len);
#endif
	sst_tfile_unref(r->f);
	r->f = NULL;
}

/* ---- run writer ---- */

size_t
sst_run_writer_cost(int level)
{
	size_t n = BLOCK_TARGET + REC_HDR_MAX + BLOCK_HDR + 3 * MALLOC_SLACK;

	if (level != 0) {
		ZSTD_compressionParameters cp = ZSTD_getCParams(level, BLOCK_TARGET, 0);

		n += ZSTD_compressBound(BLOCK_TARGET);
		n += ZSTD_estimateCCtxSize_usingCParams(cp);
	}
	return n;
}

void
sst_run_writer_free(sst_run_writer *w)
{
	ZSTD_freeCCtx(w->cctx);
	free(w->raw);
	free(w->out);
	memset(w, 0, sizeof(*w));
}

int
sst_run_writer_open(sst_run_writer *w, const char *tmpdir, int level, sst_err *err)
{
	size_t zr;

	memset(w, 0, sizeof(*w));
	w->tmpdir = tmpdir;
	if ((w->raw = sst_malloc(BLOCK_TARGET + REC_HDR_MAX, err)) == NULL)
		goto fail;
	if (level != 0) {
		w->outcap = ZSTD_compressBound(BLOCK_TARGET);
		if ((w->out = sst_malloc(w->outcap, err)) == NULL)
			goto fail;
		if ((w->cctx = ZSTD_createCCtx()) == NULL) {
			sst_error(err, SST_ESYS, "%s: sorter compressor: out of memory", tmpdir);
			goto fail;
		}
		zr = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level);
		if (!ZSTD_isError(zr))
			zr = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_windowLog, RUN_WLOG);
		if (ZSTD_isError(zr)) {
			sst_error(err, SST_ESYS, "%s: sorter compressor: %s", tmpdir,
			    ZSTD_getErrorName(zr));
			goto fail;
		}
	}
	return SST_OK;
fail:
	sst_run_writer_free(w);
	return SST_ESYS;
}

void
sst_run_writer_begin(sst_run_writer *w, sst_tfile *f)
{
	memset(&w->run, 0, sizeof(w->run));
	w->run.f = f;
	w->run.off = f->size;
	w->rawlen = 0;
}

/*
 * Writes one block: its header, then data[0..ndata) (ndata <= 3), the
 * stored bytes. The header and the iovec array it is written from are
 * local: nothing of this frame is left in the caller's memory.
 */
static int
emit_block(sst_run_writer *w, const struct iovec *data, int ndata,
    size_t stored, size_t raw, sst_err *err)
{
	sst_tfile *f = w->run.f;
	uint8_t hdr[BLOCK_HDR];
	struct iovec vec[4], *iov = vec;
	uint64_t off = f->size;
	size_t total = BLOCK_HDR + stored;
	int i, n = ndata + 1;

	sst_put_le32(hdr + 4, (uint32_t)stored);
	sst_put_le32(hdr + 8, (uint32_t)raw);
	vec[0].iov_base = hdr + 4;	/* the checksum covers the lengths and the data */
	vec[0].iov_len = 8;
	for (i = 0; i < ndata; i++)
		vec[i + 1] = data[i];
	sst_put_le32(hdr, sst_checksumv(vec, n, off));
	vec[0].iov_base = hdr;
	vec[0].iov_len = BLOCK_HDR;
	while (total > 0) {
		ssize_t r = pwritev(f->fd, iov, n, (off_t)off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return sst_syserr(err, "%s: writing a temporary run", w->tmpdir);
		}
		if (r == 0) {
			errno = EIO;
			return sst_syserr(err, "%s: writing a temporary run", w->tmpdir);
		}
		off += (uint64_t)r;
		total -= (size_t)r;
		while (n > 0 && (size_t)r >= iov[0].iov_len) {
			r -= (ssize_t)iov[0].iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov[0].iov_base = (uint8_t *)iov[0].iov_base + r;
			iov[0].iov_len -= (size_t)r;
		}
	}
	f->size += BLOCK_HDR + stored;
	w->run.len += BLOCK_HDR + stored;
	if (raw > BLOCK_TARGET)
		w->run.has_big = 1;
	else if (raw > w->run.max_raw)
		w->run.max_raw = raw;
	if (stored < raw && stored > w->run.max_stored)
		w->run.max_stored = stored;
	return SST_OK;
}

int
sst_run_writer_flush(sst_run_writer *w, sst_err *err)
{
	struct iovec iov[1];
	size_t raw = w->rawlen, c;
	int rc;

	if (raw == 0)
		return SST_OK;
	iov[0].iov_base = w->raw;
	iov[0].iov_len = raw;
	if (w->cctx != NULL) {
		c = ZSTD_compress2(w->cctx, w->out, w->outcap, w->raw, raw);
		if (ZSTD_isError(c))
			return sst_error(err, SST_ESYS, "%s: compressing a temporary run: %s",
			    w->tmpdir, ZSTD_getErrorName(c));
		if (c < raw) {
			iov[0].iov_base = w->out;
			iov[0].iov_len = c;
		}
	}
	rc = emit_block(w, iov, 1, iov[0].iov_len, raw, err);
	w->rawlen = 0;
	return rc;
}

/*
 * The record header is written in place after the open block (the raw
 * buffer has REC_HDR_MAX bytes past BLOCK_TARGET for it), then moved to the
 * start if the record opens the next block.
 */
int
sst_run_writer_add(sst_run_writer *w, const uint8_t *key, size_t klen,
    const uint8_t *val, size_t vlen, int kind, sst_err *err)
{
	uint8_t *h = w->raw + w->rawlen;
	size_t hl, rl;
	int rc;

	hl = sst_put_varint(h, klen);
	hl += sst_put_varint(h + hl, (uint64_t)vlen << 1 | (uint64_t)kind);
	rl = hl + klen + vlen;
	if (w->rawlen + rl > BLOCK_TARGET) {
		uint8_t hb[REC_HDR_MAX];

		memcpy(hb, h, hl);
		if ((rc = sst_run_writer_flush(w, err)) != SST_OK)
			return rc;
		w->run.nrec++;
		if (rl > BLOCK_TARGET) {
			struct iovec iov[3];

			iov[0].iov_base = hb;
			iov[0].iov_len = hl;
			iov[1].iov_base = (void *)(uintptr_t)key;
			iov[1].iov_len = klen;
			iov[2].iov_base = (void *)(uintptr_t)val;
			iov[2].iov_len = vlen;
			return emit_block(w, iov, vlen > 0 ? 3 : 2, rl, rl, err);
		}
		h = w->raw;
		memcpy(h, hb, hl);
	} else {
		w->run.nrec++;
	}
	memcpy(h + hl, key, klen);
	if (vlen > 0)
		memcpy(h + hl + klen, val, vlen);
	w->rawlen += rl;
	return SST_OK;
}

/* ---- run reader ---- */

size_t
sst_run_dctx_cost(void)
{
	return ZSTD_estimateDCtxSize() + MALLOC_SLACK;
}

size_t
sst_run_reader_cost(const sst_run *r)
{
	return r->max_raw + r->max_stored +
	    (r->has_big ? KEYBUF : 0) + 3 * MALLOC_SLACK;
}

int
sst_run_reader_open(sst_run_reader *x, const sst_run *r, sst_err *err)
{
	memset(x, 0, sizeof(*x));
	x->run = r;
	x->pos = r->off;
	x->end = r->off + r->len;
	x->left = r->nrec;
	if (r->max_stored > 0 && (x->in = sst_malloc(r->max_stored, err)) == NULL)
		return SST_ESYS;
	if ((x->out = sst_malloc(r->max_raw, err)) == NULL)
		return SST_ESYS;
	return SST_OK;
}

void
sst_run_reader_close(sst_run_reader *x)
{
	free(x->in);
	free(x->out);
	free(x->kbuf);
	x->in = x->out = x->kbuf = NULL;
}

/*
 * A block of one record larger than BLOCK_TARGET: read only its key now;
 * the value is read (and the block checked) by sst_run_reader_value if it
 * is output.
 */
static int
load_big(sst_run_io *io, sst_run_reader *x, sst_runrec *cur, const uint8_t *hdr, sst_err *err)
{
	uint32_t stored = sst_get_le32(hdr + 4), raw = sst_get_le32(hdr + 8);
	const uint8_t *q;
	uint64_t kl, vk;
	size_t n = raw < KEYBUF ? raw : KEYBUF;
	int rc;

	if (!x->run->has_big || stored != raw)
		return run_damaged(io, x->pos, "bad block length", err);
	if (x->kbuf == NULL && (x->kbuf = sst_malloc(KEYBUF, err)) == NULL)
		return SST_ESYS;
	if ((rc = sst_pread_full(x->run->f->fd, x->kbuf, n, x->pos + BLOCK_HDR, io->tmpdir, err)) != SST_OK)
		return rc;
	q = x->kbuf;
	if (sst_get_varint(&q, x->kbuf + n, &kl) != 0 || sst_get_varint(&q, x->kbuf + n, &vk) != 0 ||
	    kl == 0 || kl > SST_MAX_KEY || (vk >> 1) > SST_MAX_VALUE ||
	    kl > (uint64_t)(x->kbuf + n - q) || (uint64_t)(q - x->kbuf) + kl + (vk >> 1) != raw ||
	    x->left == 0)
		return run_damaged(io, x->pos, "bad record", err);
	x->left--;
	x->bhl = (size_t)(q - x->kbuf);
	cur->key = q;
	cur->klen = (size_t)kl;
	cur->val = NULL;
	cur->vlen = (size_t)(vk >> 1);
	cur->kind = (int)(vk & 1);
	cur->pfx = sst_key_pfx(cur->key, cur->klen);
	x->lazy = 1;
	x->boff = x->pos;
	x->bsum = sst_get_le32(hdr);
	x->p = x->pend = NULL;
	x->pos += BLOCK_HDR + stored;
	cur->valid = 1;
	return SST_OK;
}

int
sst_run_reader_value(sst_run_io *io, sst_run_reader *x, sst_runrec *cur, sst_err *err)
{
	uint8_t lens[8];
	struct iovec iov[3];
	size_t raw = x->bhl + cur->klen + cur->vlen;
	int rc;

	if (!x->lazy)
		return SST_OK;
	free(io->big);
	if ((io->big = sst_malloc(cur->vlen, err)) == NULL)
		return SST_ESYS;
	rc = sst_pread_full(x->run->f->fd, io->big, cur->vlen,
	    x->boff + BLOCK_HDR + x->bhl + cur->klen, io->tmpdir, err);
	if (rc != SST_OK)
		return rc;
	sst_put_le32(lens, (uint32_t)raw);
	sst_put_le32(lens + 4, (uint32_t)raw);
	iov[0].iov_base = lens;
	iov[0].iov_len = 8;
	iov[1].iov_base = x->kbuf;
	iov[1].iov_len = x->bhl + cur->klen;
	iov[2].iov_base = io->big;
	iov[2].iov_len = cur->vlen;
	if (sst_checksumv(iov, 3, x->boff) != x->bsum)
		return run_damaged(io, x->boff, "checksum mismatch", err);
	cur->val = io->big;
	x->lazy = 0;
	return SST_OK;
}

static int
load(sst_run_io *io, sst_run_reader *x, sst_runrec *cur, sst_err *err)
{
	const sst_run *r = x->run;
	uint8_t hdr[BLOCK_HDR];
	uint32_t stored, raw;
	uint64_t boff = x->pos;
	uint8_t *dst;
	int rc;

	if (x->end - x->pos < BLOCK_HDR)
		return run_damaged(io, boff, "truncated block", err);
	if ((rc = sst_pread_full(r->f->fd, hdr, BLOCK_HDR, boff, io->tmpdir, err)) != SST_OK)
		return rc;
	stored = sst_get_le32(hdr + 4);
	raw = sst_get_le32(hdr + 8);
	if (stored > x->end - x->pos - BLOCK_HDR)
		return run_damaged(io, boff, "bad block length", err);
	if (raw > BLOCK_TARGET)
		return load_big(io, x, cur, hdr, err);
	if (raw == 0 || raw > r->max_raw)
		return run_damaged(io, boff, "bad block length", err);
	if (stored < raw) {
		if (stored > r->max_stored)
			return run_damaged(io, boff, "bad block length", err);
		dst = x->in;
	} else if (stored == raw) {
		dst = x->out;
	} else {
		return run_damaged(io, boff, "bad block length", err);
	}
	if ((rc = sst_pread_full(r->f->fd, dst, stored, boff + BLOCK_HDR, io->tmpdir, err)) != SST_OK)
		return rc;
	if (sst_checksum2(hdr + 4, 8, dst, stored, boff) != sst_get_le32(hdr))
		return run_damaged(io, boff, "checksum mismatch", err);
	if (stored < raw) {
		size_t n = ZSTD_decompressDCtx(io->dctx, x->out, raw, x->in, stored);

		if (ZSTD_isError(n) || n != raw)
			return run_damaged(io, boff, "block does not decompress", err);
	}
	x->p = x->out;
	x->pend = x->out + raw;
	x->pos += BLOCK_HDR + stored;
	return SST_OK;
}

int
sst_run_reader_next(sst_run_io *io, sst_run_reader *x, sst_runrec *cur, sst_err *err)
{
	const uint8_t *q;
	uint64_t kl, vk;
	int rc;

	if (x->p == x->pend) {
		if (x->pos == x->end) {
			cur->valid = 0;
			if (x->left != 0)
				return run_damaged(io, x->pos, "records missing", err);
			return SST_OK;
		}
		x->lazy = 0;
		if ((rc = load(io, x, cur, err)) != SST_OK)
			return rc;
		if (x->lazy)
			return SST_OK;
	}
	q = x->p;
	if (sst_get_varint(&q, x->pend, &kl) != 0 || sst_get_varint(&q, x->pend, &vk) != 0 ||
	    kl == 0 || kl > SST_MAX_KEY || (vk >> 1) > SST_MAX_VALUE ||
	    kl + (vk >> 1) > (uint64_t)(x->pend - q) || x->left == 0)
		return run_damaged(io, x->pos, "bad record", err);
	x->left--;
	cur->key = q;
	cur->klen = (size_t)kl;
	cur->val = q + kl;
	cur->vlen = (size_t)(vk >> 1);
	cur->kind = (int)(vk & 1);
	cur->pfx = sst_key_pfx(cur->key, cur->klen);
	x->p = cur->val + cur->vlen;
	cur->valid = 1;
	return SST_OK;
}

