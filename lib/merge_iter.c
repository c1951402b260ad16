#include "merge_iter.h"

#include <stdlib.h>

#include "util.h"

typedef struct miter {
	sst_iter base;
	sst_iter **kids;	/* oldest first */
	size_t n;
	uint64_t *pfx;		/* pfx[k]: the first 8 bytes of kid k's key, big-endian */
	size_t *heap;		/* indexes into kids, smallest key (newest on ties) on top */
	size_t nheap;
	int cur;		/* the current record is the top's (heap[0]) */
	int flags;
} miter;

/* 1 if child a should come before child b. */
static int
before(const miter *m, size_t a, size_t b)
{
	const sst_rec *ra, *rb;
	int c;

	/* the cached prefixes (sst_key_pfx) decide most comparisons */
	if (m->pfx[a] != m->pfx[b])
		return m->pfx[a] < m->pfx[b];
	ra = &m->kids[a]->rec;
	rb = &m->kids[b]->rec;
	c = sst_key_tail_cmp(ra->key, ra->klen, rb->key, rb->klen);
	return c < 0 || (c == 0 && a > b);
}

static void
sift_down(miter *m, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, s = i, t;

		if (l < m->nheap && before(m, m->heap[l], m->heap[s]))
			s = l;
		if (r < m->nheap && before(m, m->heap[r], m->heap[s]))
			s = r;
		if (s == i)
			return;
		t = m->heap[i];
		m->heap[i] = m->heap[s];
		m->heap[s] = t;
		i = s;
	}
}

static void
sift_up(miter *m, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2, t;

		if (!before(m, m->heap[i], m->heap[p]))
			return;
		t = m->heap[i];
		m->heap[i] = m->heap[p];
		m->heap[p] = t;
		i = p;
	}
}

static void
push(miter *m, size_t k)
{
	m->heap[m->nheap++] = k;
	sift_up(m, m->nheap - 1);
}

/*
 * Advances the child at heap position i, whose key only grows: it sinks
 * to its place, or leaves the heap when it has no more records.
 */
static int
advance_at(miter *m, size_t i, sst_err *err)
{
	size_t k = m->heap[i];
	sst_iter *it = m->kids[k];
	int rc = sst_iter_next(it, err);

	if (rc != SST_OK)
		return rc;
	if (it->valid) {
		m->pfx[k] = sst_key_pfx(it->rec.key, it->rec.klen);
		sift_down(m, i);
	} else {
		m->heap[i] = m->heap[--m->nheap];
		if (i < m->nheap) {
			sift_down(m, i);
			sift_up(m, i);
		}
	}
	return SST_OK;
}

/* 1 if the child at heap position i holds the key of r. */
static int
same_key(const miter *m, size_t i, const sst_rec *r, uint64_t pfx)
{
	const sst_rec *o;

	if (i >= m->nheap || m->pfx[m->heap[i]] != pfx)
		return 0;
	o = &m->kids[m->heap[i]]->rec;
	return sst_keycmp(o->key, o->klen, r->key, r->klen) == 0;
}

/*
 * Shows the top's record. The top stays in the heap while current; older
 * records of its key can only sit right below it (heap positions 1 and 2:
 * a subtree's root is its smallest), and are skipped there.
 */
static int
produce(miter *m, sst_err *err)
{
	int rc;

	for (;;) {
		size_t w;
		const sst_rec *r;
		uint64_t pfx;

		m->cur = 0;
		if (m->nheap == 0) {
			m->base.valid = 0;
			return SST_OK;
		}
		w = m->heap[0];
		r = &m->kids[w]->rec;
		pfx = m->pfx[w];
		/* Older records of the same key are shadowed by w. */
		while (same_key(m, 1, r, pfx) || same_key(m, 2, r, pfx))
			if ((rc = advance_at(m, same_key(m, 1, r, pfx) ? 1 : 2, err)) != SST_OK)
				return rc;
		if (r->kind == SST_DEL && (m->flags & SST_MERGE_HIDE_DELETES)) {
			if ((rc = advance_at(m, 0, err)) != SST_OK)
				return rc;
			continue;
		}
		m->cur = 1;
		m->base.valid = 1;
		m->base.rec = *r;
		return SST_OK;
	}
}

static int
rebuild(miter *m, sst_err *err)
{
	size_t i;

	m->nheap = 0;
	m->cur = 0;
	for (i = 0; i < m->n; i++)
		if (m->kids[i]->valid) {
			m->pfx[i] = sst_key_pfx(m->kids[i]->rec.key, m->kids[i]->rec.klen);
			push(m, i);
		}
	return produce(m, err);
}

static int
m_first(sst_iter *base, sst_err *err)
{
	miter *m = (miter *)base;
	size_t i;
	int rc;

	for (i = 0; i < m->n; i++)
		if ((rc = sst_iter_first(m->kids[i], err)) != SST_OK)
			return rc;
	return rebuild(m, err);
}

static int
m_seek(sst_iter *base, const uint8_t *key, size_t klen, sst_err *err)
{
	miter *m = (miter *)base;
	size_t i;
	int rc;

	for (i = 0; i < m->n; i++)
		if ((rc = sst_iter_seek(m->kids[i], key, klen, err)) != SST_OK)
			return rc;
	return rebuild(m, err);
}

static int
m_next(sst_iter *base, sst_err *err)
{
	miter *m = (miter *)base;
	int rc;

	if (m->cur) {
		m->cur = 0;
		if ((rc = advance_at(m, 0, err)) != SST_OK)
			return rc;
	}
	return produce(m, err);
}

static void
m_destroy(sst_iter *base)
{
	miter *m = (miter *)base;
	size_t i;

	for (i = 0; i < m->n; i++)
		sst_iter_destroy(&m->kids[i]);
	free(m->kids);
	free(m->pfx);
	free(m->heap);
	free(m);
}

static const struct sst_iter_ops merge_ops = { m_first, m_seek, m_next, m_destroy };

int
sst_merge_iter_new(sst_iter **out, sst_iter **children, size_t n, int flags, sst_err *err)
{
	miter *m = calloc(1, sizeof(*m));
	size_t i;

	*out = NULL;
	if (m == NULL || (m->kids = calloc(n ? n : 1, sizeof(*m->kids))) == NULL ||
	    (m->pfx = calloc(n ? n : 1, sizeof(*m->pfx))) == NULL ||
	    (m->heap = calloc(n ? n : 1, sizeof(*m->heap))) == NULL) {
		if (m != NULL) {
			free(m->kids);
			free(m->pfx);
			free(m);
		}
		for (i = 0; i < n; i++)
			sst_iter_destroy(&children[i]);
		return sst_nomem(err, "merge");
	}
	for (i = 0; i < n; i++) {
		m->kids[i] = children[i];
		children[i] = NULL;
	}
	m->n = n;
	m->flags = flags;
	m->cur = 0;
	m->base.ops = &merge_ops;
	*out = &m->base;
	return SST_OK;
}
