#include "sorter.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_estimate*: exported by libzstd */
#include <zstd.h>

#include "fileio.h"
#include "util.h"

#define BLOCK_TARGET	(128u << 10)	/* raw bytes of a run block */
#define BLOCK_HDR	12
#define RUN_WLOG	17
#define MIN_BUF		(16u << 10)
#define NOFILE_RESERVE	32
#define REC_HDR_MAX	20		/* two varints */
#define KEYBUF		(REC_HDR_MAX + SST_MAX_KEY)
#define MALLOC_SLACK	64
#define PREFETCH	8		/* records ahead, when spilling */

/*
 * A record in a buffer: its bytes (key then value) at base + off, and the
 * first 8 key bytes big-endian, zero-padded, so most comparisons are one
 * integer compare. off grows with input order, so it is the tie-breaker
 * that keeps equal keys in input order.
 */
struct ent {
	uint64_t pfx;
	uint64_t off;
	uint32_t klen;
	uint32_t vk;		/* vlen << 1 | kind */
};

/* Record bytes grow up from base, entries grow down from base + cap. */
struct buf {
	uint8_t *base;
	size_t cap;
	size_t alen;
	size_t n;
	struct ent *sorted;	/* after sort_dedup: unique entries */
	size_t nsorted;
};

struct tfile {
	int fd;
	int refs;
	uint64_t size;
};

struct run {
	struct tfile *f;
	uint64_t off, len;
	uint64_t nrec;
	size_t max_raw;		/* largest raw block of at most BLOCK_TARGET */
	size_t max_stored;	/* largest compressed block (stored bytes) */
	int has_big;		/* holds blocks of one record > BLOCK_TARGET */
};

struct writer {
	ZSTD_CCtx *cctx;
	uint8_t *raw;
	size_t rawlen;
	uint8_t *out;
	size_t outcap;
	struct run run;
};

/* A merge source: a run being read, or the sorted in-memory buffer. */
struct src {
	const uint8_t *key;
	size_t klen;
	const uint8_t *val;
	size_t vlen;
	int kind;
	int valid;
	uint64_t pfx;
	int idx;		/* higher is newer */
	struct buf *mem;
	size_t mi;
	const struct run *run;
	uint64_t pos, end, left;
	uint8_t *in, *out;
	const uint8_t *p, *pend;
	uint8_t *kbuf;		/* header and key of an oversize record */
	int lazy;		/* val not loaded yet: it is at boff */
	uint64_t boff;
	uint32_t bsum;
	size_t bhl;
};

struct merge {
	struct src *srcs;
	int n;
	int *heap;
	int nh;
	int win;
};

struct sst_sorter {
	sst_sorter_opts o;
	char *tmpdir;
	int nbuf;
	size_t bufcap;
	size_t wcost;		/* memory of a writer */
	size_t dcost;		/* memory of the decompressor */
	int fanin;		/* cap by count (open files, max_fanin) */
	struct buf bufs[2];
	struct buf *cur;
	struct writer w;
	int w_open;
	struct tfile *spillf;
	struct run *runs;
	size_t nruns, runcap;
	ZSTD_DCtx *dctx;
	uint8_t *big;		/* the value of an oversize record */
	sst_sorter_stats st;
	int failed;
	sst_err ferr;
	int finished;
	int iter_live;

	int th_started;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct buf *job;
	int quit;
	int wrc;
	sst_err werr;
};

struct siter {
	sst_iter it;
	sst_sorter *s;
	struct merge m;
	int started;
	int rc;
	sst_err err;
};

void
sst_sorter_opts_default(sst_sorter_opts *o)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->memory = 256u << 20;
	o->tmpdir = NULL;
	o->threads = n > 0 ? (int)n : 1;
	o->compress_runs = 0;
	o->max_fanin = 0;
}

/* ---- errors ---- */

static int
fail(sst_sorter *s, int rc, const sst_err *err)
{
	if (!s->failed && rc != SST_OK) {
		s->failed = rc;
		if (err != NULL)
			s->ferr = *err;
		else
			sst_error(&s->ferr, rc, "%s: sorter failed", s->tmpdir);
	}
	return rc;
}

static int
failed(const sst_sorter *s, sst_err *err)
{
	if (err != NULL)
		*err = s->ferr;
	return s->failed;
}

static int
run_damaged(sst_sorter *s, uint64_t off, const char *what, sst_err *err)
{
	return sst_error(err, SST_EDATA, "%s@%llu: temporary run damaged: %s",
	    s->tmpdir, (unsigned long long)off, what);
}

/* ---- buffers and keys ---- */

static int
buf_alloc(sst_sorter *s, struct buf *b, sst_err *err)
{
	void *p;

	if (b->base != NULL)
		return SST_OK;
	p = mmap(NULL, s->bufcap, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return sst_syserr(err, "sort buffer of %zu bytes", s->bufcap);
	b->base = p;
	b->cap = s->bufcap;
	b->alen = b->n = b->nsorted = 0;
	b->sorted = NULL;
	return SST_OK;
}

static void
buf_release(struct buf *b)
{
	if (b->base != NULL)
		munmap(b->base, b->cap);
	memset(b, 0, sizeof(*b));
}

static inline struct ent *
buf_ents(struct buf *b)
{
	return (struct ent *)(void *)(b->base + b->cap) - b->n;
}

/* Returns the pages between the record bytes and the entries to the system. */
static void
buf_trim(struct buf *b)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)(b->base + b->alen);
	uintptr_t hi = (uintptr_t)buf_ents(b);

	if (b->base == NULL || page == 0 || page == (uintptr_t)-1)
		return;
	lo = (lo + page - 1) / page * page;
	hi = hi / page * page;
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

static inline uint64_t
key_pfx(const uint8_t *k, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (n >= 8) {
		for (i = 0; i < 8; i++)
			v = v << 8 | k[i];
		return v;
	}
	for (i = 0; i < 8; i++)
		v = v << 8 | (i < n ? k[i] : 0);
	return v;
}

/*
 * Order of (pfx, key, len) when the prefixes are equal: the first
 * min(8, len) bytes agree, so only bytes past 8 need a memcmp, and
 * otherwise the shorter key (a prefix of the longer) comes first.
 */
static inline int
tail_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen > 8 && blen > 8) {
		size_t n = (alen < blen ? alen : blen) - 8;
		int c = memcmp(a + 8, b + 8, n);

		if (c != 0)
			return c;
	}
	return alen < blen ? -1 : alen > blen;
}

static inline int
ent_lt(const struct ent *a, const struct ent *b, const uint8_t *base)
{
	int c;

	if (a->pfx != b->pfx)
		return a->pfx < b->pfx;
	c = tail_cmp(base + a->off, a->klen, base + b->off, b->klen);
	if (c != 0)
		return c < 0;
	return a->off < b->off;
}

static inline void
ent_swap(struct ent *a, struct ent *b)
{
	struct ent t = *a;

	*a = *b;
	*b = t;
}

static void
ent_isort(struct ent *e, size_t n, const uint8_t *base)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		struct ent t = e[i];

		for (j = i; j > 0 && ent_lt(&t, &e[j - 1], base); j--)
			e[j] = e[j - 1];
		e[j] = t;
	}
}

static void
ent_sift(struct ent *e, size_t i, size_t n, const uint8_t *base)
{
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			return;
		if (c + 1 < n && ent_lt(&e[c], &e[c + 1], base))
			c++;
		if (!ent_lt(&e[i], &e[c], base))
			return;
		ent_swap(&e[i], &e[c]);
		i = c;
	}
}

static void
ent_heapsort(struct ent *e, size_t n, const uint8_t *base)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		ent_sift(e, i, n, base);
	for (i = n; i-- > 1;) {
		ent_swap(&e[0], &e[i]);
		ent_sift(e, 0, i, base);
	}
}

/* Introsort: quicksort, median of three, heapsort past a depth limit. */
static void
ent_sort(struct ent *e, size_t n, const uint8_t *base, int depth)
{
	while (n > 16) {
		size_t m = n / 2, i, j;

		if (depth-- == 0) {
			ent_heapsort(e, n, base);
			return;
		}
		if (ent_lt(&e[m], &e[0], base))
			ent_swap(&e[m], &e[0]);
		if (ent_lt(&e[n - 1], &e[0], base))
			ent_swap(&e[n - 1], &e[0]);
		if (ent_lt(&e[n - 1], &e[m], base))
			ent_swap(&e[n - 1], &e[m]);
		ent_swap(&e[m], &e[n - 2]);
		i = 0;
		j = n - 2;
		for (;;) {
			while (ent_lt(&e[++i], &e[n - 2], base))
				;
			while (ent_lt(&e[n - 2], &e[--j], base))
				;
			if (i >= j)
				break;
			ent_swap(&e[i], &e[j]);
		}
		ent_swap(&e[i], &e[n - 2]);
		if (i < n - i) {
			ent_sort(e, i, base, depth);
			e += i + 1;
			n -= i + 1;
		} else {
			ent_sort(e + i + 1, n - i - 1, base, depth);
			n = i;
		}
	}
	ent_isort(e, n, base);
}

static inline int
ent_key_eq(const struct ent *a, const struct ent *b, const uint8_t *base)
{
	return a->pfx == b->pfx && a->klen == b->klen &&
	    tail_cmp(base + a->off, a->klen, base + b->off, b->klen) == 0;
}

/* Sorts the buffer and keeps the latest entry of each key. */
static void
sort_dedup(struct buf *b)
{
	struct ent *e;
	size_t i, u = 0, n = b->n;
	int depth = 0;

	if (b->base == NULL || n == 0) {
		b->sorted = NULL;
		b->nsorted = 0;
		return;
	}
	e = buf_ents(b);
	for (i = n; i > 0; i >>= 1)
		depth += 2;
	ent_sort(e, n, b->base, depth);
	for (i = 0; i < n; i++) {
		if (i + 1 < n && ent_key_eq(&e[i], &e[i + 1], b->base))
			continue;
		e[u++] = e[i];
	}
	b->sorted = e;
	b->nsorted = u;
}

/* ---- temporary files ---- */

static int
tfile_new(sst_sorter *s, struct tfile **out, sst_err *err)
{
	struct tfile *f;

	if ((f = sst_calloc(1, sizeof(*f), err)) == NULL)
		return SST_ESYS;
	f->fd = sst_anon_tmpfile(s->tmpdir, err);
	if (f->fd < 0) {
		free(f);
		return SST_ESYS;
	}
	f->refs = 1;
	*out = f;
	return SST_OK;
}

static void
tfile_unref(struct tfile *f)
{
	if (f != NULL && --f->refs == 0) {
		close(f->fd);
		free(f);
	}
}

/* Frees the disk space of a run that was merged away. */
static void
run_discard(struct run *r)
{
#ifdef FALLOC_FL_PUNCH_HOLE
	if (r->len > 0)
		(void)fallocate(r->f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		    (off_t)r->off, (off_t)r->len);
#endif
	tfile_unref(r->f);
	r->f = NULL;
}

/* ---- run writer ---- */

static size_t
writer_cost(int level)
{
	size_t n = BLOCK_TARGET + BLOCK_HDR + 3 * MALLOC_SLACK;

	if (level != 0) {
		ZSTD_compressionParameters cp = ZSTD_getCParams(level, BLOCK_TARGET, 0);

		n += ZSTD_compressBound(BLOCK_TARGET);
		n += ZSTD_estimateCCtxSize_usingCParams(cp);
	}
	return n;
}

static void
writer_free(struct writer *w)
{
	ZSTD_freeCCtx(w->cctx);
	free(w->raw);
	free(w->out);
	memset(w, 0, sizeof(*w));
}

static int
writer_open(sst_sorter *s, sst_err *err)
{
	struct writer *w = &s->w;
	size_t zr;

	if (s->w_open)
		return SST_OK;
	memset(w, 0, sizeof(*w));
	if ((w->raw = sst_malloc(BLOCK_TARGET, err)) == NULL)
		goto fail;
	if (s->o.compress_runs != 0) {
		w->outcap = ZSTD_compressBound(BLOCK_TARGET);
		if ((w->out = sst_malloc(w->outcap, err)) == NULL)
			goto fail;
		if ((w->cctx = ZSTD_createCCtx()) == NULL) {
			sst_nomem(err, "sorter compressor");
			goto fail;
		}
		zr = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, s->o.compress_runs);
		if (!ZSTD_isError(zr))
			zr = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_windowLog, RUN_WLOG);
		if (ZSTD_isError(zr)) {
			sst_error(err, SST_ESYS, "sorter compressor: %s", ZSTD_getErrorName(zr));
			goto fail;
		}
	}
	s->w_open = 1;
	return SST_OK;
fail:
	writer_free(w);
	return SST_ESYS;
}

static void
writer_begin(struct writer *w, struct tfile *f)
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
emit_block(sst_sorter *s, struct writer *w, const struct iovec *data, int ndata,
    size_t stored, size_t raw, sst_err *err)
{
	struct tfile *f = w->run.f;
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
			return sst_syserr(err, "%s: writing a temporary run", s->tmpdir);
		}
		if (r == 0) {
			errno = EIO;
			return sst_syserr(err, "%s: writing a temporary run", s->tmpdir);
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

static int
writer_flush(sst_sorter *s, struct writer *w, sst_err *err)
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
			    s->tmpdir, ZSTD_getErrorName(c));
		if (c < raw) {
			iov[0].iov_base = w->out;
			iov[0].iov_len = c;
		}
	}
	rc = emit_block(s, w, iov, 1, iov[0].iov_len, raw, err);
	w->rawlen = 0;
	return rc;
}

static int
writer_add(sst_sorter *s, struct writer *w, const uint8_t *key, size_t klen,
    const uint8_t *val, size_t vlen, int kind, sst_err *err)
{
	uint8_t h[REC_HDR_MAX];
	size_t hl, rl;
	int rc;

	hl = sst_put_varint(h, klen);
	hl += sst_put_varint(h + hl, (uint64_t)vlen << 1 | (uint64_t)kind);
	rl = hl + klen + vlen;
	if (w->rawlen + rl > BLOCK_TARGET && (rc = writer_flush(s, w, err)) != SST_OK)
		return rc;
	w->run.nrec++;
	if (rl > BLOCK_TARGET) {
		struct iovec iov[3];

		iov[0].iov_base = h;
		iov[0].iov_len = hl;
		iov[1].iov_base = (void *)(uintptr_t)key;
		iov[1].iov_len = klen;
		iov[2].iov_base = (void *)(uintptr_t)val;
		iov[2].iov_len = vlen;
		return emit_block(s, w, iov, vlen > 0 ? 3 : 2, rl, rl, err);
	}
	memcpy(w->raw + w->rawlen, h, hl);
	memcpy(w->raw + w->rawlen + hl, key, klen);
	if (vlen > 0)
		memcpy(w->raw + w->rawlen + hl + klen, val, vlen);
	w->rawlen += rl;
	return SST_OK;
}

static int
runs_push(sst_sorter *s, const struct run *r, sst_err *err)
{
	if (s->nruns == s->runcap) {
		size_t nc = s->runcap ? 2 * s->runcap : 16;
		struct run *p = sst_realloc(s->runs, nc * sizeof(*p), err);

		if (p == NULL)
			return SST_ESYS;
		s->runs = p;
		s->runcap = nc;
	}
	s->runs[s->nruns++] = *r;
	return SST_OK;
}

static int
spill_file(sst_sorter *s, sst_err *err)
{
	if (s->spillf != NULL)
		return SST_OK;
	return tfile_new(s, &s->spillf, err);
}

/*
 * Sorts b and writes it as a run (into *r, holding a reference to the
 * spill file). Runs in the worker, or in the caller when the worker is idle.
 */
static int
spill_buf(sst_sorter *s, struct buf *b, struct run *r, sst_err *err)
{
	struct writer *w = &s->w;
	size_t i;
	int rc;

	sort_dedup(b);
	if ((rc = writer_open(s, err)) != SST_OK || (rc = spill_file(s, err)) != SST_OK)
		return rc;
	writer_begin(w, s->spillf);
	for (i = 0; i < b->nsorted; i++) {
		const struct ent *e = &b->sorted[i];
		const uint8_t *k = b->base + e->off;

		if (i + PREFETCH < b->nsorted) {
			const struct ent *f = &b->sorted[i + PREFETCH];

			__builtin_prefetch(b->base + f->off);
			__builtin_prefetch(b->base + f->off + f->klen + (f->vk >> 1) - 1);
		}

		rc = writer_add(s, w, k, e->klen, k + e->klen, e->vk >> 1, (int)(e->vk & 1), err);
		if (rc != SST_OK)
			return rc;
	}
	if ((rc = writer_flush(s, w, err)) != SST_OK)
		return rc;
	*r = w->run;
	s->spillf->refs++;
	b->alen = b->n = b->nsorted = 0;
	b->sorted = NULL;
	return SST_OK;
}

/* ---- the worker ---- */

static void *
worker_main(void *arg)
{
	sst_sorter *s = arg;
	struct run r;
	sst_err e;
	int rc, failed;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct buf *b;

		while (s->job == NULL && !s->quit)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->job == NULL)
			break;
		b = s->job;
		failed = s->wrc != SST_OK;	/* then the job is dropped */
		pthread_mutex_unlock(&s->mu);
		rc = failed ? SST_OK : spill_buf(s, b, &r, &e);
		pthread_mutex_lock(&s->mu);
		if (!failed && rc == SST_OK) {
			rc = runs_push(s, &r, &e);
			if (rc == SST_OK) {
				s->st.runs++;
				s->st.bytes_spilled += r.len;
			}
			else
				tfile_unref(r.f);
		}
		if (!failed && rc != SST_OK) {
			s->wrc = rc;
			s->werr = e;
		}
		s->job = NULL;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Waits until the worker has no job; returns its error, if any. */
static int
wait_idle(sst_sorter *s, sst_err *err)
{
	int rc;

	if (!s->th_started)
		return SST_OK;
	pthread_mutex_lock(&s->mu);
	while (s->job != NULL)
		pthread_cond_wait(&s->cv, &s->mu);
	rc = s->wrc;
	if (rc != SST_OK && err != NULL)
		*err = s->werr;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static void
stop_worker(sst_sorter *s)
{
	if (!s->th_started)
		return;
	pthread_mutex_lock(&s->mu);
	s->quit = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->th, NULL);
	s->th_started = 0;
}

/* Sorts and spills the current buffer inline, committing the run. */
static int
spill_inline(sst_sorter *s, struct buf *b, sst_err *err)
{
	struct run r;
	int rc;

	if ((rc = spill_buf(s, b, &r, err)) != SST_OK)
		return rc;
	pthread_mutex_lock(&s->mu);
	rc = runs_push(s, &r, err);
	if (rc == SST_OK) {
		s->st.runs++;
		s->st.bytes_spilled += r.len;
	}
	pthread_mutex_unlock(&s->mu);
	if (rc != SST_OK)
		tfile_unref(r.f);
	return rc;
}

/* The current buffer is full: spill it (in the worker when there is one). */
static int
flush_cur(sst_sorter *s, sst_err *err)
{
	struct buf *b = s->cur;
	int rc;

	if (b->n == 0)
		return SST_OK;
	if (s->nbuf == 1)
		return spill_inline(s, b, err);
	if ((rc = wait_idle(s, err)) != SST_OK)
		return rc;
	if (!s->th_started) {
		if (pthread_create(&s->th, NULL, worker_main, s) != 0) {
			s->nbuf = 1;
			return spill_inline(s, b, err);
		}
		s->th_started = 1;
	}
	pthread_mutex_lock(&s->mu);
	s->job = b;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	s->cur = b == &s->bufs[0] ? &s->bufs[1] : &s->bufs[0];
	s->cur->alen = s->cur->n = s->cur->nsorted = 0;
	return buf_alloc(s, s->cur, err);
}

/* A record larger than a buffer: spill it from the caller's memory. */
static int
spill_big(sst_sorter *s, const sst_rec *r, sst_err *err)
{
	struct writer *w = &s->w;
	struct run run;
	int rc;

	if ((rc = flush_cur(s, err)) != SST_OK || (rc = wait_idle(s, err)) != SST_OK)
		return rc;
	if ((rc = writer_open(s, err)) != SST_OK || (rc = spill_file(s, err)) != SST_OK)
		return rc;
	writer_begin(w, s->spillf);
	rc = writer_add(s, w, r->key, r->klen, r->val, r->vlen, r->kind, err);
	if (rc == SST_OK)
		rc = writer_flush(s, w, err);
	if (rc != SST_OK)
		return rc;
	run = w->run;
	s->spillf->refs++;
	pthread_mutex_lock(&s->mu);
	rc = runs_push(s, &run, err);
	if (rc == SST_OK) {
		s->st.runs++;
		s->st.bytes_spilled += run.len;
	}
	pthread_mutex_unlock(&s->mu);
	if (rc != SST_OK)
		tfile_unref(run.f);
	return rc;
}

/* ---- the sorter ---- */

int
sst_sorter_new(sst_sorter **sp, const sst_sorter_opts *o, sst_err *err)
{
	sst_sorter *s;
	struct rlimit rl;
	uint64_t avail;
	long page = sysconf(_SC_PAGESIZE);

	*sp = NULL;
	if ((s = sst_calloc(1, sizeof(*s), err)) == NULL)
		return SST_ESYS;
	s->o = *o;
	if (s->o.memory == 0)
		s->o.memory = 1;
	if ((s->tmpdir = strdup(sst_tmpdir(o->tmpdir))) == NULL) {
		free(s);
		return sst_nomem(err, "sorter");
	}
	s->nbuf = o->threads > 1 ? 2 : 1;
	s->wcost = writer_cost(o->compress_runs);
	s->dcost = ZSTD_estimateDCtxSize() + MALLOC_SLACK;
	avail = s->o.memory > s->wcost ? s->o.memory - s->wcost : 0;
	avail /= (uint64_t)s->nbuf;
	if (page <= 0)
		page = 4096;
	avail -= avail % (uint64_t)page;
	if (avail < MIN_BUF)
		avail = MIN_BUF;
	if (avail > SIZE_MAX / 2)
		avail = SIZE_MAX / 2;
	s->bufcap = (size_t)avail;
	s->fanin = 1 << 20;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)s->fanin + NOFILE_RESERVE)
		s->fanin = (int)rl.rlim_cur - NOFILE_RESERVE;
	if (o->max_fanin > 0 && o->max_fanin < s->fanin)
		s->fanin = o->max_fanin;
	if (s->fanin < 2)
		s->fanin = 2;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->cur = &s->bufs[0];
	*sp = s;
	return SST_OK;
}

int
sst_sorter_add(sst_sorter *s, const sst_rec *r, sst_err *err)
{
	struct buf *b = s->cur;
	struct ent *e;
	size_t need;
	int rc;

	if (s->failed)
		return failed(s, err);
	if (s->finished)
		return sst_error(err, SST_EDATA, "%s: sorter: add after finish", s->tmpdir);
	if (r->klen == 0 || r->klen > SST_MAX_KEY || r->vlen > SST_MAX_VALUE ||
	    (r->kind != SST_PUT && r->kind != SST_DEL))
		return sst_error(err, SST_EDATA, "sorter: record out of bounds (key %zu bytes, value %zu bytes)",
		    r->klen, r->vlen);
	s->st.records_in++;
	need = r->klen + r->vlen + sizeof(struct ent);
	if (need > s->bufcap) {
		if ((rc = spill_big(s, r, err)) != SST_OK)
			return fail(s, rc, err);
		return SST_OK;
	}
	if (b->base == NULL && (rc = buf_alloc(s, b, err)) != SST_OK)
		return fail(s, rc, err);
	if (b->alen + need + b->n * sizeof(struct ent) > b->cap) {
		if ((rc = flush_cur(s, err)) != SST_OK)
			return fail(s, rc, err);
		b = s->cur;
	}
	e = buf_ents(b) - 1;
	e->pfx = key_pfx(r->key, r->klen);
	e->off = b->alen;
	e->klen = (uint32_t)r->klen;
	e->vk = (uint32_t)r->vlen << 1 | (uint32_t)r->kind;
	memcpy(b->base + b->alen, r->key, r->klen);
	if (r->vlen > 0)
		memcpy(b->base + b->alen + r->klen, r->val, r->vlen);
	b->alen += r->klen + r->vlen;
	b->n++;
	return SST_OK;
}

void
sst_sorter_stats_get(const sst_sorter *s, sst_sorter_stats *st)
{
	pthread_mutex_lock((pthread_mutex_t *)&s->mu);
	*st = s->st;
	pthread_mutex_unlock((pthread_mutex_t *)&s->mu);
}

/* ---- run reader and merge ---- */

static size_t
run_cost(const struct run *r)
{
	return sizeof(struct src) + sizeof(int) + r->max_raw + r->max_stored +
	    (r->has_big ? KEYBUF : 0) + 3 * MALLOC_SLACK;
}

static int
src_open_run(struct src *x, const struct run *r, int idx, sst_err *err)
{
	memset(x, 0, sizeof(*x));
	x->idx = idx;
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

static void
src_close(struct src *x)
{
	free(x->in);
	free(x->out);
	free(x->kbuf);
	x->in = x->out = x->kbuf = NULL;
}

/*
 * A block of one record larger than BLOCK_TARGET: read only its key now;
 * the value is read (and the block checked) by src_value if it is output.
 */
static int
src_load_big(sst_sorter *s, struct src *x, const uint8_t *hdr, sst_err *err)
{
	uint32_t stored = sst_get_le32(hdr + 4), raw = sst_get_le32(hdr + 8);
	const uint8_t *q;
	uint64_t kl, vk;
	size_t n = raw < KEYBUF ? raw : KEYBUF;
	int rc;

	if (!x->run->has_big || stored != raw)
		return run_damaged(s, x->pos, "bad block length", err);
	if (x->kbuf == NULL && (x->kbuf = sst_malloc(KEYBUF, err)) == NULL)
		return SST_ESYS;
	if ((rc = sst_pread_full(x->run->f->fd, x->kbuf, n, x->pos + BLOCK_HDR, s->tmpdir, err)) != SST_OK)
		return rc;
	q = x->kbuf;
	if (sst_get_varint(&q, x->kbuf + n, &kl) != 0 || sst_get_varint(&q, x->kbuf + n, &vk) != 0 ||
	    kl == 0 || kl > SST_MAX_KEY || (vk >> 1) > SST_MAX_VALUE ||
	    kl > (uint64_t)(x->kbuf + n - q) || (uint64_t)(q - x->kbuf) + kl + (vk >> 1) != raw ||
	    x->left == 0)
		return run_damaged(s, x->pos, "bad record", err);
	x->left--;
	x->bhl = (size_t)(q - x->kbuf);
	x->key = q;
	x->klen = (size_t)kl;
	x->val = NULL;
	x->vlen = (size_t)(vk >> 1);
	x->kind = (int)(vk & 1);
	x->pfx = key_pfx(x->key, x->klen);
	x->lazy = 1;
	x->boff = x->pos;
	x->bsum = sst_get_le32(hdr);
	x->p = x->pend = NULL;
	x->pos += BLOCK_HDR + stored;
	x->valid = 1;
	return SST_OK;
}

/* Reads the value of an oversize record that is being output. */
static int
src_value(sst_sorter *s, struct src *x, sst_err *err)
{
	uint8_t lens[8];
	struct iovec iov[3];
	size_t raw = x->bhl + x->klen + x->vlen;
	int rc;

	if (!x->lazy)
		return SST_OK;
	free(s->big);
	if ((s->big = sst_malloc(x->vlen, err)) == NULL)
		return SST_ESYS;
	rc = sst_pread_full(x->run->f->fd, s->big, x->vlen,
	    x->boff + BLOCK_HDR + x->bhl + x->klen, s->tmpdir, err);
	if (rc != SST_OK)
		return rc;
	sst_put_le32(lens, (uint32_t)raw);
	sst_put_le32(lens + 4, (uint32_t)raw);
	iov[0].iov_base = lens;
	iov[0].iov_len = 8;
	iov[1].iov_base = x->kbuf;
	iov[1].iov_len = x->bhl + x->klen;
	iov[2].iov_base = s->big;
	iov[2].iov_len = x->vlen;
	if (sst_checksumv(iov, 3, x->boff) != x->bsum)
		return run_damaged(s, x->boff, "checksum mismatch", err);
	x->val = s->big;
	x->lazy = 0;
	return SST_OK;
}

static int
src_load(sst_sorter *s, struct src *x, sst_err *err)
{
	const struct run *r = x->run;
	uint8_t hdr[BLOCK_HDR];
	uint32_t stored, raw;
	uint64_t boff = x->pos;
	uint8_t *dst;
	int rc;

	if (x->end - x->pos < BLOCK_HDR)
		return run_damaged(s, boff, "truncated block", err);
	if ((rc = sst_pread_full(r->f->fd, hdr, BLOCK_HDR, boff, s->tmpdir, err)) != SST_OK)
		return rc;
	stored = sst_get_le32(hdr + 4);
	raw = sst_get_le32(hdr + 8);
	if (stored > x->end - x->pos - BLOCK_HDR)
		return run_damaged(s, boff, "bad block length", err);
	if (raw > BLOCK_TARGET)
		return src_load_big(s, x, hdr, err);
	if (raw == 0 || raw > r->max_raw)
		return run_damaged(s, boff, "bad block length", err);
	if (stored < raw) {
		if (stored > r->max_stored)
			return run_damaged(s, boff, "bad block length", err);
		dst = x->in;
	} else if (stored == raw) {
		dst = x->out;
	} else {
		return run_damaged(s, boff, "bad block length", err);
	}
	if ((rc = sst_pread_full(r->f->fd, dst, stored, boff + BLOCK_HDR, s->tmpdir, err)) != SST_OK)
		return rc;
	if (sst_checksum2(hdr + 4, 8, dst, stored, boff) != sst_get_le32(hdr))
		return run_damaged(s, boff, "checksum mismatch", err);
	if (stored < raw) {
		size_t n = ZSTD_decompressDCtx(s->dctx, x->out, raw, x->in, stored);

		if (ZSTD_isError(n) || n != raw)
			return run_damaged(s, boff, "block does not decompress", err);
	}
	x->p = x->out;
	x->pend = x->out + raw;
	x->pos += BLOCK_HDR + stored;
	return SST_OK;
}

/* Advances x to its next record (or sets valid = 0 at its end). */
static int
src_next(sst_sorter *s, struct src *x, sst_err *err)
{
	const uint8_t *q;
	uint64_t kl, vk;
	int rc;

	if (x->mem != NULL) {
		const struct ent *e;

		if (x->mi >= x->mem->nsorted) {
			x->valid = 0;
			return SST_OK;
		}
		e = &x->mem->sorted[x->mi++];
		x->key = x->mem->base + e->off;
		x->klen = e->klen;
		x->val = x->key + e->klen;
		x->vlen = e->vk >> 1;
		x->kind = (int)(e->vk & 1);
		x->pfx = e->pfx;
		x->valid = 1;
		return SST_OK;
	}
	if (x->p == x->pend) {
		if (x->pos == x->end) {
			x->valid = 0;
			if (x->left != 0)
				return run_damaged(s, x->pos, "records missing", err);
			return SST_OK;
		}
		x->lazy = 0;
		if ((rc = src_load(s, x, err)) != SST_OK)
			return rc;
		if (x->lazy)
			return SST_OK;
	}
	q = x->p;
	if (sst_get_varint(&q, x->pend, &kl) != 0 || sst_get_varint(&q, x->pend, &vk) != 0 ||
	    kl == 0 || kl > SST_MAX_KEY || (vk >> 1) > SST_MAX_VALUE ||
	    kl + (vk >> 1) > (uint64_t)(x->pend - q) || x->left == 0)
		return run_damaged(s, x->pos, "bad record", err);
	x->left--;
	x->key = q;
	x->klen = (size_t)kl;
	x->val = q + kl;
	x->vlen = (size_t)(vk >> 1);
	x->kind = (int)(vk & 1);
	x->pfx = key_pfx(x->key, x->klen);
	x->p = x->val + x->vlen;
	x->valid = 1;
	return SST_OK;
}

/* Key order, then the newer source first. */
static inline int
src_lt(const struct src *a, const struct src *b)
{
	int c;

	if (a->pfx != b->pfx)
		return a->pfx < b->pfx;
	c = tail_cmp(a->key, a->klen, b->key, b->klen);
	if (c != 0)
		return c < 0;
	return a->idx > b->idx;
}

static inline int
src_key_eq(const struct src *a, const struct src *b)
{
	return a->pfx == b->pfx && a->klen == b->klen &&
	    tail_cmp(a->key, a->klen, b->key, b->klen) == 0;
}

static void
heap_down(struct merge *m, int i)
{
	int *h = m->heap;

	for (;;) {
		int c = 2 * i + 1, t;

		if (c >= m->nh)
			return;
		if (c + 1 < m->nh && src_lt(&m->srcs[h[c + 1]], &m->srcs[h[c]]))
			c++;
		if (!src_lt(&m->srcs[h[c]], &m->srcs[h[i]]))
			return;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
		i = c;
	}
}

static void
heap_push(struct merge *m, int x)
{
	int i = m->nh++;

	m->heap[i] = x;
	while (i > 0) {
		int p = (i - 1) / 2, t;

		if (!src_lt(&m->srcs[m->heap[i]], &m->srcs[m->heap[p]]))
			break;
		t = m->heap[i];
		m->heap[i] = m->heap[p];
		m->heap[p] = t;
		i = p;
	}
}

static void
heap_pop(struct merge *m)
{
	m->heap[0] = m->heap[--m->nh];
	heap_down(m, 0);
}

static void
merge_free(struct merge *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		src_close(&m->srcs[i]);
	free(m->srcs);
	free(m->heap);
	memset(m, 0, sizeof(*m));
}

/* Sets up a merge of runs[0..nr) and, newest, the sorted buffer mem. */
static int
merge_init(struct merge *m, const struct run *runs, size_t nr, struct buf *mem, sst_err *err)
{
	size_t n = nr + (mem != NULL), i;
	int rc;

	memset(m, 0, sizeof(*m));
	m->win = -1;
	if ((m->srcs = sst_calloc(n, sizeof(*m->srcs), err)) == NULL ||
	    (m->heap = sst_calloc(n, sizeof(*m->heap), err)) == NULL) {
		free(m->srcs);
		return SST_ESYS;
	}
	m->n = (int)n;
	for (i = 0; i < nr; i++) {
		if ((rc = src_open_run(&m->srcs[i], &runs[i], (int)i, err)) != SST_OK) {
			merge_free(m);
			return rc;
		}
	}
	if (mem != NULL) {
		m->srcs[nr].idx = (int)nr;
		m->srcs[nr].mem = mem;
	}
	return SST_OK;
}

static int
merge_start(sst_sorter *s, struct merge *m, sst_err *err)
{
	int i, rc;

	for (i = 0; i < m->n; i++) {
		if ((rc = src_next(s, &m->srcs[i], err)) != SST_OK)
			return rc;
		if (m->srcs[i].valid)
			heap_push(m, i);
	}
	return SST_OK;
}

/*
 * Moves past the record returned last (and its older duplicates) and
 * returns in *out the next source to yield, or NULL at the end.
 */
static int
merge_step(sst_sorter *s, struct merge *m, struct src **out, sst_err *err)
{
	int rc;

	*out = NULL;
	free(s->big);
	s->big = NULL;
	if (m->win >= 0) {
		struct src *w = &m->srcs[m->win];

		while (m->nh > 0 && src_key_eq(&m->srcs[m->heap[0]], w)) {
			struct src *t = &m->srcs[m->heap[0]];

			if ((rc = src_next(s, t, err)) != SST_OK)
				return rc;
			if (t->valid)
				heap_down(m, 0);
			else
				heap_pop(m);
		}
		if ((rc = src_next(s, w, err)) != SST_OK)
			return rc;
		if (w->valid)
			heap_push(m, m->win);
		m->win = -1;
	}
	if (m->nh == 0)
		return SST_OK;
	m->win = m->heap[0];
	heap_pop(m);
	if ((rc = src_value(s, &m->srcs[m->win], err)) != SST_OK)
		return rc;
	*out = &m->srcs[m->win];
	return SST_OK;
}

/* ---- merge planning ---- */

static int64_t
runs_cost(const struct run *r, size_t n)
{
	int64_t c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		c += (int64_t)run_cost(&r[i]);
	return c;
}

/* The budget of a merge: the documented floor applies. */
static int64_t
merge_memory(const sst_sorter *s)
{
	uint64_t m = s->o.memory < SST_SORTER_MIN_MEMORY ? SST_SORTER_MIN_MEMORY : s->o.memory;

	return m > INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)m;
}

/* Can a single final merge read a ++ b (plus a buffer of mem bytes)? */
static int
final_fits(const sst_sorter *s, const struct run *a, size_t na,
    const struct run *b, size_t nb, size_t mem)
{
	int64_t avail = merge_memory(s) - (int64_t)s->dcost - (int64_t)mem;

	if (na + nb + (mem > 0) <= 1)
		return 1;
	if (na + nb + (mem > 0) > (size_t)s->fanin)
		return 0;
	return runs_cost(a, na) + runs_cost(b, nb) <= avail;
}

/* Merges runs[0..n) into one new run *out in file f. */
static int
merge_group(sst_sorter *s, const struct run *runs, size_t n, struct tfile *f,
    struct run *out, sst_err *err)
{
	struct writer *w = &s->w;
	struct merge m;
	struct src *x;
	int rc;

	if ((rc = merge_init(&m, runs, n, NULL, err)) != SST_OK)
		return rc;
	writer_begin(w, f);
	rc = merge_start(s, &m, err);
	while (rc == SST_OK) {
		if ((rc = merge_step(s, &m, &x, err)) != SST_OK || x == NULL)
			break;
		rc = writer_add(s, w, x->key, x->klen, x->val, x->vlen, x->kind, err);
	}
	if (rc == SST_OK)
		rc = writer_flush(s, w, err);
	merge_free(&m);
	if (rc != SST_OK)
		return rc;
	*out = w->run;
	f->refs++;
	pthread_mutex_lock(&s->mu);
	s->st.bytes_spilled += out->len;
	pthread_mutex_unlock(&s->mu);
	return SST_OK;
}

/* One pass: merges groups of consecutive runs, oldest first, until the rest fits. */
static int
merge_pass(sst_sorter *s, sst_err *err)
{
	int64_t avail = merge_memory(s) - (int64_t)s->dcost - (int64_t)s->wcost;
	struct run *nr;
	struct tfile *f = NULL;
	size_t n = s->nruns, i = 0, k = 0, j;
	int rc = SST_OK;

	if ((nr = sst_calloc(n, sizeof(*nr), err)) == NULL)
		return SST_ESYS;
	if ((rc = tfile_new(s, &f, err)) != SST_OK) {
		free(nr);
		return rc;
	}
	while (i < n) {
		int64_t c = 0;

		if (final_fits(s, nr, k, s->runs + i, n - i, 0))
			break;
		for (j = i; j < n && j - i < (size_t)s->fanin; j++) {
			int64_t rc1 = (int64_t)run_cost(&s->runs[j]);

			if (j - i >= 2 && c + rc1 > avail)
				break;
			c += rc1;
		}
		if (j - i < 2) {
			nr[k++] = s->runs[i++];
			continue;
		}
		if ((rc = merge_group(s, s->runs + i, j - i, f, &nr[k], err)) != SST_OK)
			break;
		k++;
		for (; i < j; i++)
			run_discard(&s->runs[i]);
	}
	for (; i < n; i++)
		nr[k++] = s->runs[i];
	tfile_unref(f);
	free(s->runs);
	s->runs = nr;
	s->nruns = k;
	s->runcap = n;
	pthread_mutex_lock(&s->mu);
	s->st.merge_passes++;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* ---- the iterator ---- */

static int
it_set(struct siter *si, struct src *x)
{
	si->it.valid = x != NULL;
	if (x != NULL) {
		si->it.rec.key = x->key;
		si->it.rec.klen = x->klen;
		si->it.rec.val = x->val;
		si->it.rec.vlen = x->vlen;
		si->it.rec.kind = x->kind;
	} else {
		memset(&si->it.rec, 0, sizeof(si->it.rec));
	}
	return SST_OK;
}

static int
it_fail(struct siter *si, int rc, sst_err *err)
{
	if (err != NULL && err != &si->err)
		si->err = *err;
	si->rc = rc;
	si->it.valid = 0;
	return rc;
}

static int
it_next(sst_iter *it, sst_err *err)
{
	struct siter *si = (struct siter *)it;
	struct src *x;
	int rc;

	if (si->rc != SST_OK) {
		if (err != NULL)
			*err = si->err;
		return si->rc;
	}
	if (!si->started)
		return sst_error(err, SST_EDATA, "%s: sorter iterator: next before first", si->s->tmpdir);
	if ((rc = merge_step(si->s, &si->m, &x, err)) != SST_OK)
		return it_fail(si, rc, err);
	return it_set(si, x);
}

static int
it_first(sst_iter *it, sst_err *err)
{
	struct siter *si = (struct siter *)it;
	int rc;

	if (si->rc != SST_OK) {
		if (err != NULL)
			*err = si->err;
		return si->rc;
	}
	if (si->started)
		return sst_error(err, SST_EDATA, "%s: sorter iterator: cannot rewind", si->s->tmpdir);
	si->started = 1;
	if ((rc = merge_start(si->s, &si->m, err)) != SST_OK)
		return it_fail(si, rc, err);
	return it_next(it, err);
}

/* A forward scan: the sorter's output cannot go back. */
static int
it_seek(sst_iter *it, const uint8_t *key, size_t klen, sst_err *err)
{
	struct siter *si = (struct siter *)it;
	int rc;

	if (!si->started) {
		if ((rc = it_first(it, err)) != SST_OK)
			return rc;
	} else if (si->rc == SST_OK && (!it->valid ||
	    sst_keycmp(it->rec.key, it->rec.klen, key, klen) > 0)) {
		return sst_error(err, SST_EDATA, "%s: sorter iterator: cannot seek backwards",
		    si->s->tmpdir);
	}
	while (it->valid && sst_keycmp(it->rec.key, it->rec.klen, key, klen) < 0)
		if ((rc = it_next(it, err)) != SST_OK)
			return rc;
	return SST_OK;
}

static void
it_destroy(sst_iter *it)
{
	struct siter *si = (struct siter *)it;

	merge_free(&si->m);
	si->s->iter_live = 0;
	free(si);
}

static const struct sst_iter_ops sorter_iter_ops = {
	it_first, it_seek, it_next, it_destroy
};

int
sst_sorter_finish(sst_sorter *s, sst_iter **itp, sst_err *err)
{
	struct buf *b = s->cur, *mem = NULL;
	struct siter *si;
	size_t used, i;
	int rc;

	*itp = NULL;
	if (s->failed)
		return failed(s, err);
	if (s->finished)
		return sst_error(err, SST_EDATA, "%s: sorter: finish called twice", s->tmpdir);
	s->finished = 1;
	rc = wait_idle(s, err);
	stop_worker(s);
	if (rc != SST_OK)
		return fail(s, rc, err);
	used = b->alen + b->n * sizeof(struct ent);
	buf_trim(b);
	sort_dedup(b);
	if (s->dctx == NULL && (s->dctx = ZSTD_createDCtx()) == NULL)
		return fail(s, sst_nomem(err, "sorter decompressor"), err);
	if (s->nruns > 0) {
		buf_release(b == &s->bufs[0] ? &s->bufs[1] : &s->bufs[0]);
		if (b->nsorted > 0 && !final_fits(s, s->runs, s->nruns, NULL, 0, used)) {
			if ((rc = spill_inline(s, b, err)) != SST_OK)
				return fail(s, rc, err);
			buf_release(b);
		}
		while (s->nruns > 1 && !final_fits(s, s->runs, s->nruns, NULL, 0,
		    b->nsorted > 0 ? used : 0))
			if ((rc = merge_pass(s, err)) != SST_OK)
				return fail(s, rc, err);
	}
	if (s->w_open) {
		writer_free(&s->w);
		s->w_open = 0;
	}
	tfile_unref(s->spillf);
	s->spillf = NULL;
	if (b->nsorted > 0)
		mem = b;
	if ((si = sst_calloc(1, sizeof(*si), err)) == NULL)
		return fail(s, SST_ESYS, err);
	if ((rc = merge_init(&si->m, s->runs, s->nruns, mem, err)) != SST_OK) {
		free(si);
		return fail(s, rc, err);
	}
	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nruns; i++)
		s->st.keys_bound += s->runs[i].nrec;
	if (mem != NULL)
		s->st.keys_bound += mem->nsorted;
	pthread_mutex_unlock(&s->mu);
	si->it.ops = &sorter_iter_ops;
	si->s = s;
	s->iter_live = 1;
	*itp = &si->it;
	return SST_OK;
}

void
sst_sorter_free(sst_sorter **sp)
{
	sst_sorter *s;
	size_t i;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	if (s->th_started) {
		sst_err e;

		(void)wait_idle(s, &e);
		stop_worker(s);
	}
	for (i = 0; i < s->nruns; i++)
		tfile_unref(s->runs[i].f);
	free(s->runs);
	tfile_unref(s->spillf);
	if (s->w_open)
		writer_free(&s->w);
	buf_release(&s->bufs[0]);
	buf_release(&s->bufs[1]);
	ZSTD_freeDCtx(s->dctx);
	free(s->big);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->tmpdir);
	free(s);
	*sp = NULL;
}
