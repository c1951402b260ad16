#include "batch.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "records.h"
#include "util.h"

/* flags[i]: the answer (low two bits) and the CR mark. */
enum { A_NONE = 0, A_PUT = 1, A_DEL = 2, A_REFETCH = 3, A_MASK = 3, A_CR = 4 };

/*
 * A key of the chunk in sort order: its first 8 bytes big-endian (hi, lo),
 * its index. Twelve bytes: the radix sort's scratch is the voff, vlen and
 * state arrays, which are not in use yet when the chunk is sorted.
 */
typedef struct ent {
	uint32_t hi, lo;
	uint32_t idx;
} ent;

/* voff, vlen and state of a key: room for an ent (the sort's scratch). */
#define VMETA (2 * sizeof(uint32_t) + sizeof(int))
_Static_assert(sizeof(ent) == 12 && sizeof(ent) <= VMETA, "ent packs into the scratch");
_Static_assert(sizeof(ent) + VMETA + sizeof(uint32_t) + 1 <= SST_BATCH_KEY_META,
    "SST_BATCH_KEY_META counts every array of a key");
/* The segments of a spill at most: every bucket full, in the smallest segments. */
#define SEG_MAX ((uint64_t)SST_BATCH_BUCKETS * \
    (SST_BATCH_ARENA / (SST_BATCH_SPILL_BUF / SST_BATCH_BUCKETS) + 1))
_Static_assert((uint64_t)SST_BATCH_KEYS * SST_BATCH_KEY_META + sizeof(uint32_t) +
    SST_BATCH_KEY_BYTES + SST_BATCH_ARENA + SST_BATCH_SPILL_BUF + SEG_MAX * 8 +
    SST_BATCH_INBUF + 4 * (uint64_t)SST_MAX_KEY + 2 + 8 * 256 * sizeof(size_t) + 4096
    <= SST_BATCH_MEM, "SST_BATCH_MEM holds every buffer of a batch");

struct sst_batch {
	sst_sources *src;
	sst_batch_answer_fn answer;
	sst_batch_flush_fn flush;
	void *clos;
	int escape;
	size_t max_keys, max_key_bytes, arena_cap;

	/*
	 * The chunk, in input order. Every buffer grows as it is used, up to
	 * its bound (max_keys keys, max_key_bytes key bytes, arena_cap bytes):
	 * a batch of a few keys allocates a few bytes, not SST_BATCH_MEM.
	 */
	size_t n, cap;		/* keys; room for keys in the arrays below */
	uint8_t *keys;		/* key bytes, key i at koff[i] .. koff[i + 1] */
	size_t kused, kcap;
	uint32_t *koff;		/* cap + 1 */
	uint8_t *vmeta;		/* voff, vlen, state: VMETA bytes a key */
	uint32_t *voff, *vlen;	/* A_PUT: the value in the arena (or its bucket) */
	uint8_t *flags;
	int *state;		/* sources.h's, in sort order */
	ent *ents;
	uint8_t *arena;
	size_t aused, acap;

	/*
	 * The spill of a chunk whose values outgrow the arena (nb > 0): bucket
	 * j holds the values of the keys at input positions i with
	 * i * nb / n == j, at voff[i] in it; each bucket is at most arena_cap
	 * bytes, written in segments of bsz bytes (its buffer in wbuf) to the
	 * file fd at seg[] (offset | bucket << 56), its last bfill[j] bytes
	 * still in the buffer.
	 */
	const char *tmpdir;
	size_t wbuf_cap;	/* spill buffers' bytes */
	int fd;			/* the anonymous spill file, -1 until needed */
	unsigned nb;		/* buckets of this chunk (0: no spill) */
	size_t bsz;
	uint8_t *wbuf;
	uint32_t blen[SST_BATCH_BUCKETS], bfill[SST_BATCH_BUCKETS];
	uint64_t *seg, foff;
	size_t nseg, segcap;

	/* input (allocated by sst_batch_read) */
	uint8_t *in;
	size_t inlen;
	uint64_t lineno;
	sst_buf dec;
	int unflushed;		/* answers given since the last flush */

	uint64_t asked, missing, cr_missing;
};

int
sst_batch_new(sst_batch **bp, sst_sources *src, const sst_batch_opts *o,
    sst_batch_answer_fn answer, sst_batch_flush_fn flush, void *clos, sst_err *err)
{
	sst_batch *b = calloc(1, sizeof(*b));

	*bp = NULL;
	if (b == NULL)
		return sst_nomem(err, "batch");
	b->src = src;
	b->answer = answer;
	b->flush = flush;
	b->clos = clos;
	b->escape = o != NULL && o->escape;
	b->max_keys = o != NULL && o->max_keys ? o->max_keys : SST_BATCH_KEYS;
	b->max_key_bytes = o != NULL && o->max_key_bytes ? o->max_key_bytes : SST_BATCH_KEY_BYTES;
	b->arena_cap = o != NULL && o->arena_bytes ? o->arena_bytes : SST_BATCH_ARENA;
	if (b->max_keys > SST_BATCH_KEYS)
		b->max_keys = SST_BATCH_KEYS;
	if (b->max_key_bytes > SST_BATCH_KEY_BYTES)
		b->max_key_bytes = SST_BATCH_KEY_BYTES;
	if (b->arena_cap > SST_BATCH_ARENA)
		b->arena_cap = SST_BATCH_ARENA;
	b->wbuf_cap = o != NULL && o->spill_buf ? o->spill_buf : SST_BATCH_SPILL_BUF;
	if (b->wbuf_cap > SST_BATCH_SPILL_BUF)
		b->wbuf_cap = SST_BATCH_SPILL_BUF;
	if (b->wbuf_cap < SST_BATCH_BUCKETS)
		b->wbuf_cap = SST_BATCH_BUCKETS;
	b->tmpdir = sst_tmpdir(o != NULL ? o->tmpdir : NULL);
	b->fd = -1;
	*bp = b;
	return SST_OK;
}

/* Grows array f of the batch to c elements (realloc keeps what it holds). */
#define GROW(f, c) do {							\
	void *np_ = realloc((f), (c) * sizeof(*(f)));			\
									\
	if (np_ == NULL)						\
		return sst_nomem(err, "batch");				\
	(f) = np_;							\
} while (0)
/* The same for an array only sst_batch_finish fills: nothing to keep. */
#define RENEW(f, c) do {						\
	free(f);							\
	if (((f) = malloc((c) * sizeof(*(f)))) == NULL)			\
		return sst_nomem(err, "batch");				\
} while (0)

/* Makes room for one more key of klen bytes (n < max_keys, and it fits). */
static int
reserve_key(sst_batch *b, size_t klen, sst_err *err)
{
	if (b->n == b->cap) {
		size_t c = b->cap ? 2 * b->cap : 16;

		if (c > b->max_keys)
			c = b->max_keys;
		GROW(b->koff, c + 1);
		GROW(b->flags, c);
		RENEW(b->vmeta, c * VMETA);
		RENEW(b->ents, c);
		b->voff = (uint32_t *)(void *)b->vmeta;
		b->vlen = b->voff + c;
		b->state = (int *)(void *)(b->vlen + c);
		b->koff[0] = 0;
		b->cap = c;
	}
	if (b->kused + klen > b->kcap) {
		/* one key always fits, whatever max_key_bytes */
		size_t most = b->max_key_bytes > SST_MAX_KEY ? b->max_key_bytes : SST_MAX_KEY;
		size_t c = b->kcap ? 2 * b->kcap : 1024;

		if (c < b->kused + klen)
			c = b->kused + klen;
		if (c > most)
			c = most;
		GROW(b->keys, c);
		b->kcap = c;
	}
	return SST_OK;
}

/*
 * 1 when the arena holds need bytes, grown if it must be (within
 * arena_cap); 0 when it cannot (over the cap, or no memory).
 */
static int
arena_holds(sst_batch *b, size_t need)
{
	size_t c;
	void *np;

	if (need <= b->acap && b->arena != NULL)
		return 1;
	if (need > b->arena_cap)
		return 0;
	c = b->acap ? 2 * b->acap : 64u << 10;
	if (c < need)
		c = need;
	if (c > b->arena_cap)
		c = b->arena_cap;
	if ((np = realloc(b->arena, c)) == NULL)
		return 0;
	b->arena = np;
	b->acap = c;
	return 1;
}

void
sst_batch_free(sst_batch **bp)
{
	sst_batch *b = *bp;

	if (b == NULL)
		return;
	free(b->keys);
	free(b->koff);
	free(b->vmeta);
	free(b->flags);
	free(b->ents);
	free(b->arena);
	free(b->wbuf);
	free(b->seg);
	if (b->fd >= 0)
		close(b->fd);
	free(b->in);
	sst_buf_free(&b->dec);
	free(b);
	*bp = NULL;
}

void
sst_batch_stats(const sst_batch *b, uint64_t *asked, uint64_t *missing, uint64_t *cr_missing)
{
	*asked = b->asked;
	*missing = b->missing;
	*cr_missing = b->cr_missing;
}

static const uint8_t *
key_at(const sst_batch *b, size_t i, size_t *klen)
{
	*klen = b->koff[i + 1] - b->koff[i];
	return b->keys + b->koff[i];
}

static const uint8_t *
sorted_key(void *clos, size_t i, size_t *klen)
{
	const sst_batch *b = clos;

	return key_at(b, b->ents[i].idx, klen);
}

static uint64_t
prefix_of(const ent *e)
{
	return (uint64_t)e->hi << 32 | e->lo;
}

static int
cmp_ent(const void *x, const void *y, void *clos)
{
	const ent *a = x, *c = y;
	uint64_t pa = prefix_of(a), pc = prefix_of(c);
	const uint8_t *ka, *kc;
	size_t la, lc;

	if (pa != pc)
		return pa < pc ? -1 : 1;
	ka = key_at(clos, a->idx, &la);
	kc = key_at(clos, c->idx, &lc);
	return sst_key_tail_cmp(ka, la, kc, lc);
}

/*
 * Sorts the chunk's entries: a radix sort on the prefixes (the voff, vlen
 * and state arrays, unused yet, are the scratch space), then each run of
 * equal prefixes by whole key.
 */
static void
sort_ents(sst_batch *b, size_t n)
{
	size_t (*cnt)[256], i, j;
	ent *a = b->ents, *tmp;
	int d;

	if ((cnt = calloc(8, sizeof(*cnt))) == NULL) {
		qsort_r(b->ents, n, sizeof(*b->ents), cmp_ent, b);
		return;
	}
	tmp = (ent *)(void *)b->vmeta;
	for (i = 0; i < n; i++) {
		uint64_t p = prefix_of(&a[i]);

		for (d = 0; d < 8; d++)
			cnt[d][(p >> (8 * d)) & 255]++;
	}
	for (d = 0; d < 8; d++) {
		size_t sum = 0, c, *at = cnt[d];
		int sh = 8 * (d & 3);
		ent *sw;

		if (at[(prefix_of(&a[0]) >> (8 * d)) & 255] == n)
			continue;	/* every key has this byte */
		for (j = 0; j < 256; j++) {
			c = at[j];
			at[j] = sum;
			sum += c;
		}
		if (d < 4)
			for (i = 0; i < n; i++)
				tmp[at[(a[i].lo >> sh) & 255]++] = a[i];
		else
			for (i = 0; i < n; i++)
				tmp[at[(a[i].hi >> sh) & 255]++] = a[i];
		sw = a;
		a = tmp;
		tmp = sw;
	}
	if (a != b->ents)
		memcpy(b->ents, a, n * sizeof(*a));
	free(cnt);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && b->ents[j].hi == b->ents[i].hi &&
		    b->ents[j].lo == b->ents[i].lo; j++)
			;
		if (j - i > 1)
			qsort_r(b->ents + i, j - i, sizeof(*b->ents), cmp_ent, b);
	}
}

/* ---- the spill: buckets of values by input position ---- */

static unsigned
bucket_of(const sst_batch *b, size_t idx)
{
	/* n > 0 whenever a value is found; the test keeps the analyzer sure */
	return b->n > 0 ? (unsigned)((uint64_t)idx * b->nb / b->n) : 0;
}

static int
spill_err(const sst_batch *b, sst_err *err, const char *what)
{
	return sst_syserr(err, "%s: %s temporary file", b->tmpdir, what);
}

/* Writes (wr) or reads len bytes at p at offset off of the spill file. */
static int
spill_io(sst_batch *b, int wr, uint8_t *p, size_t len, uint64_t off, sst_err *err)
{
	while (len > 0) {
		ssize_t n = wr ? pwrite(b->fd, p, len, (off_t)off) : pread(b->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = wr ? ENOSPC : EIO;
			return spill_err(b, err, wr ? "cannot write the batch's" :
			    "cannot read the batch's");
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return SST_OK;
}

/* Writes the full buffer of bucket j as a segment at the file's end. */
static int
spill_segment(sst_batch *b, unsigned j, sst_err *err)
{
	int rc;

	if (b->nseg == b->segcap) {
		/* at most nb * (arena_cap / bsz + 1): every bucket full */
		size_t c = b->segcap ? 2 * b->segcap : 64, most = b->nb * (b->arena_cap / b->bsz + 1);

		if (c > most)
			c = most;
		GROW(b->seg, c);
		b->segcap = c;
	}
	if ((rc = spill_io(b, 1, b->wbuf + (size_t)j * b->bsz, b->bsz, b->foff, err)) != SST_OK)
		return rc;
	b->seg[b->nseg++] = b->foff | (uint64_t)j << 56;
	b->foff += b->bsz;
	b->bfill[j] = 0;
	return SST_OK;
}

/*
 * Appends the value of input position idx to its bucket: A_PUT with voff
 * in the bucket, or A_REFETCH when the bucket has no room for it.
 */
static int
spill_value(sst_batch *b, size_t idx, const uint8_t *v, size_t vlen, sst_err *err)
{
	unsigned j = bucket_of(b, idx);
	uint8_t *f = &b->flags[idx];
	int rc;

	if (vlen > b->arena_cap - b->blen[j]) {
		*f = (uint8_t)((*f & A_CR) | A_REFETCH);
		return SST_OK;
	}
	b->voff[idx] = b->blen[j];
	b->vlen[idx] = (uint32_t)vlen;
	b->blen[j] += (uint32_t)vlen;
	*f = (uint8_t)((*f & A_CR) | A_PUT);
	while (vlen > 0) {
		size_t c = b->bsz - b->bfill[j];

		if (c > vlen)
			c = vlen;
		memcpy(b->wbuf + (size_t)j * b->bsz + b->bfill[j], v, c);
		b->bfill[j] += (uint32_t)c;
		v += c;
		vlen -= c;
		if (b->bfill[j] == b->bsz && (rc = spill_segment(b, j, err)) != SST_OK)
			return rc;
	}
	return SST_OK;
}

/*
 * The arena is full at sort position i: from now on values go to buckets,
 * as many as the values of the whole chunk, guessed from those so far,
 * need (with a quarter to spare), and those in the arena go there first.
 */
static int
spill_start(sst_batch *b, size_t i, sst_err *err)
{
	uint64_t guess = (uint64_t)b->aused * b->n / (i + 1), nb;
	size_t idx;
	int rc;

	if (b->fd < 0 && (b->fd = sst_anon_tmpfile(b->tmpdir, err)) < 0)
		return SST_ESYS;
	if (b->wbuf == NULL && (b->wbuf = malloc(b->wbuf_cap)) == NULL)
		return sst_nomem(err, "batch");
	nb = (guess + guess / 4) / b->arena_cap + 1;
	if (nb < 2)
		nb = 2;
	if (nb > SST_BATCH_BUCKETS)
		nb = SST_BATCH_BUCKETS;
	if (nb > b->n)
		nb = b->n;
	b->nb = (unsigned)nb;
	b->bsz = b->wbuf_cap / nb;
	memset(b->blen, 0, sizeof(b->blen));
	memset(b->bfill, 0, sizeof(b->bfill));
	b->nseg = 0;
	b->foff = 0;
	for (idx = 0; idx < b->n; idx++)
		if ((b->flags[idx] & A_MASK) == A_PUT &&
		    (rc = spill_value(b, idx, b->arena + b->voff[idx], b->vlen[idx], err)) != SST_OK)
			return rc;
	b->aused = 0;
	return SST_OK;
}

/* Reads bucket j into the arena (its values at their voff). */
static int
spill_load(sst_batch *b, unsigned j, sst_err *err)
{
	size_t s, pos = 0;
	int rc;

	if (!arena_holds(b, b->blen[j]))
		return sst_nomem(err, "batch");
	for (s = 0; s < b->nseg; s++) {
		if (b->seg[s] >> 56 != j)
			continue;
		if ((rc = spill_io(b, 0, b->arena + pos, b->bsz,
		    b->seg[s] & ((UINT64_C(1) << 56) - 1), err)) != SST_OK)
			return rc;
		pos += b->bsz;
	}
	memcpy(b->arena + pos, b->wbuf + (size_t)j * b->bsz, b->bfill[j]);
	return SST_OK;
}

/* The chunk is answered: the spill file is emptied for the next. */
static int
spill_end(sst_batch *b, sst_err *err)
{
	b->nb = 0;
	if (b->foff > 0 && ftruncate(b->fd, 0) != 0)
		return spill_err(b, err, "cannot truncate the batch's");
	b->foff = 0;
	return SST_OK;
}

/*
 * A found record, i in sort order: keep the value in the arena if it fits,
 * else spill it (the arena is full) or look it up again when answered
 * (larger than the arena, or no memory to grow it).
 */
static int
on_found(void *clos, size_t i, const sst_rec *r, sst_err *err)
{
	sst_batch *b = clos;
	uint32_t idx = b->ents[i].idx;
	uint8_t *f = &b->flags[idx];
	int rc;

	if (r->kind == SST_DEL) {
		*f = (uint8_t)((*f & A_CR) | A_DEL);
		return SST_OK;
	}
	if (i > 0 && b->state[i - 1] == 1) {
		/* a repeated key: the same record as the one just before */
		uint32_t pidx = b->ents[i - 1].idx;
		size_t la, lc;
		const uint8_t *ka = key_at(b, pidx, &la), *kc = key_at(b, idx, &lc);

		if (la == lc && memcmp(ka, kc, la) == 0 &&
		    (b->nb == 0 || bucket_of(b, pidx) == bucket_of(b, idx))) {
			*f = (uint8_t)((*f & A_CR) | (b->flags[pidx] & A_MASK));
			b->voff[idx] = b->voff[pidx];
			b->vlen[idx] = b->vlen[pidx];
			return SST_OK;
		}
	}
	if (r->vlen > b->arena_cap) {
		/* larger than the arena: looked up again when answered */
		*f = (uint8_t)((*f & A_CR) | A_REFETCH);
		return SST_OK;
	}
	if (b->nb == 0 && r->vlen > b->arena_cap - b->aused &&
	    (rc = spill_start(b, i, err)) != SST_OK)
		return rc;
	if (b->nb > 0)
		return spill_value(b, idx, r->val, r->vlen, err);
	if ((r->vlen > b->acap - b->aused || b->arena == NULL) &&
	    !arena_holds(b, b->aused + r->vlen)) {
		/* no memory to grow it: looked up again when answered */
		*f = (uint8_t)((*f & A_CR) | A_REFETCH);
		return SST_OK;
	}
	if (r->vlen > 0)
		memcpy(b->arena + b->aused, r->val, r->vlen);
	b->voff[idx] = (uint32_t)b->aused;
	b->vlen[idx] = (uint32_t)r->vlen;
	b->aused += r->vlen;
	*f = (uint8_t)((*f & A_CR) | A_PUT);
	return SST_OK;
}

int
sst_batch_finish(sst_batch *b, sst_err *err)
{
	size_t i, n = b->n;
	unsigned cur = UINT_MAX;
	int rc = SST_OK;

	if (n == 0)
		return SST_OK;
	for (i = 0; i < n; i++) {
		size_t kl;
		const uint8_t *k = key_at(b, i, &kl);
		uint64_t p = sst_key_pfx(k, kl);
		b->ents[i].hi = (uint32_t)(p >> 32);
		b->ents[i].lo = (uint32_t)p;
		b->ents[i].idx = (uint32_t)i;
	}
	if (n > 1)
		sort_ents(b, n);
	memset(b->state, 0, n * sizeof(*b->state));
	b->aused = 0;
	b->nb = 0;
	rc = sst_sources_get_sorted_by(b->src, n, sorted_key, b, b->state, on_found, b, err);
	for (i = 0; i < n && rc == SST_OK; i++) {
		size_t kl;
		const uint8_t *k = key_at(b, i, &kl);
		sst_rec r = { k, kl, NULL, 0, SST_PUT };
		int found = 0;

		if (b->nb > 0 && bucket_of(b, i) != cur &&
		    (rc = spill_load(b, cur = bucket_of(b, i), err)) != SST_OK)
			break;
		switch (b->flags[i] & A_MASK) {
		case A_PUT:
			r.val = b->arena + b->voff[i];
			r.vlen = b->vlen[i];
			rc = b->answer(b->clos, k, kl, &r, err);
			continue;
		case A_REFETCH:
			/* did not fit in the arena: one value at a time */
			if ((rc = sst_sources_get(b->src, k, kl, &r, &found, err)) != SST_OK)
				break;
			if (found && r.kind == SST_PUT) {
				r.key = k;
				r.klen = kl;
				rc = b->answer(b->clos, k, kl, &r, err);
				continue;
			}
			break;
		default:
			break;
		}
		if (rc != SST_OK)
			break;
		b->missing++;
		b->cr_missing += (b->flags[i] & A_CR) != 0;
		rc = b->answer(b->clos, k, kl, NULL, err);
	}
	if (b->nb > 0 && rc == SST_OK)
		rc = spill_end(b, err);
	b->nb = 0;
	b->asked += n;
	b->n = 0;
	b->kused = 0;
	b->aused = 0;
	b->unflushed = 1;
	return rc;
}

int
sst_batch_add(sst_batch *b, const uint8_t *key, size_t klen, int cr, sst_err *err)
{
	int rc;

	if (b->n == b->max_keys || (b->n > 0 && b->kused + klen > b->max_key_bytes))
		if ((rc = sst_batch_finish(b, err)) != SST_OK)
			return rc;
	if ((b->n == b->cap || b->kused + klen > b->kcap) &&
	    (rc = reserve_key(b, klen, err)) != SST_OK)
		return rc;
	memcpy(b->keys + b->kused, key, klen);
	b->kused += klen;
	b->flags[b->n] = cr ? A_CR : 0;
	b->koff[++b->n] = (uint32_t)b->kused;
	return SST_OK;
}

/* One line of input (without its LF). */
static int
add_line(sst_batch *b, const uint8_t *k, size_t n, const char *name, sst_err *err)
{
	char where[64];
	const char *bad;
	int cr = n > 0 && k[n - 1] == '\r';

	b->lineno++;
	if (b->escape) {
		if (sst_unescape(k, n, &b->dec, err) != SST_OK) {
			bad = err->msg;
			goto bad;
		}
		k = b->dec.p;
		n = b->dec.len;
	}
	if (n == 0 || n > SST_MAX_KEY) {
		bad = n ? "key longer than 65536 bytes" : "empty key";
		goto bad;
	}
	return sst_batch_add(b, k, n, cr, err);
bad:
	snprintf(where, sizeof(where), "%s:%llu", name, (unsigned long long)b->lineno);
	return sst_err_data(err, where, bad);
}

/* Whether fd has input (or its end) ready now. */
static int
ready(int fd)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int r;

	while ((r = poll(&pfd, 1, 0)) < 0 && errno == EINTR)
		;
	return r != 0;		/* an error: read and see */
}

/* Answers what is pending and flushes, when the input has nothing ready. */
static int
idle(sst_batch *b, int fd, sst_err *err)
{
	int rc;

	if ((b->n == 0 && !b->unflushed) || ready(fd))
		return SST_OK;
	if ((rc = sst_batch_finish(b, err)) != SST_OK)
		return rc;
	b->unflushed = 0;
	return b->flush != NULL ? b->flush(b->clos, err) : SST_OK;
}

int
sst_batch_read(sst_batch *b, int fd, const char *name, sst_err *err)
{
	/* A line longer than this holds a key over SST_MAX_KEY, escaped or not. */
	const size_t line_max = 4 * (size_t)SST_MAX_KEY + 2;
	size_t start;
	ssize_t got;
	int rc;

	if (b->in == NULL && (b->in = malloc(SST_BATCH_INBUF)) == NULL)
		return sst_nomem(err, "batch");
	b->inlen = 0;
	for (;;) {
		const uint8_t *nl;

		start = 0;
		while ((nl = memchr(b->in + start, '\n', b->inlen - start)) != NULL) {
			size_t len = (size_t)(nl - (b->in + start));

			if ((rc = add_line(b, b->in + start, len, name, err)) != SST_OK)
				return rc;
			start += len + 1;
		}
		memmove(b->in, b->in + start, b->inlen - start);
		b->inlen -= start;
		if (b->inlen > line_max) {
			char where[64];

			snprintf(where, sizeof(where), "%s:%llu", name,
			    (unsigned long long)b->lineno + 1);
			return sst_err_data(err, where, "key longer than 65536 bytes");
		}
		if ((rc = idle(b, fd, err)) != SST_OK)
			return rc;
		got = read(fd, b->in + b->inlen, SST_BATCH_INBUF - b->inlen);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return sst_err_path(err, name);
		if (got == 0)
			break;
		b->inlen += (size_t)got;
	}
	if (b->inlen > 0 && (rc = add_line(b, b->in, b->inlen, name, err)) != SST_OK)
		return rc;
	b->inlen = 0;
	return SST_OK;
}
