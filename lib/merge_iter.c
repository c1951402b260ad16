#include "merge_iter.h"

#include <stdlib.h>

#include "util.h"

typedef struct miter {
	sst_iter base;
	sst_iter **kids;	/* oldest first */
	size_t n;
	size_t *heap;		/* indexes into kids, smallest key (newest on ties) on top */
	size_t nheap;
	size_t cur;		/* child holding the current record (SIZE_MAX: none) */
	int flags;
} miter;

/* 1 if child a should come before child b. */
static int
before(const miter *m, size_t a, size_t b)
{
	const sst_rec *ra = &m->kids[a]->rec, *rb = &m->kids[b]->rec;
	int c = sst_keycmp(ra->key, ra->klen, rb->key, rb->klen);

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

static size_t
pop(miter *m)
{
	size_t top = m->heap[0];

	m->heap[0] = m->heap[--m->nheap];
	if (m->nheap > 0)
		sift_down(m, 0);
	return top;
}

/* Advances child k and puts it back in the heap if it still has records. */
static int
advance(miter *m, size_t k, sst_err *err)
{
	int rc = sst_iter_next(m->kids[k], err);

	if (rc != SST_OK)
		return rc;
	if (m->kids[k]->valid)
		push(m, k);
	return SST_OK;
}

/* Picks the next record to show from the heap. */
static int
produce(miter *m, sst_err *err)
{
	int rc;

	for (;;) {
		size_t w;
		const sst_rec *r;

		m->cur = SIZE_MAX;
		if (m->nheap == 0) {
			m->base.valid = 0;
			return SST_OK;
		}
		w = pop(m);
		r = &m->kids[w]->rec;
		/* Older records of the same key are shadowed by w. */
		while (m->nheap > 0) {
			const sst_rec *o = &m->kids[m->heap[0]]->rec;

			if (sst_keycmp(o->key, o->klen, r->key, r->klen) != 0)
				break;
			if ((rc = advance(m, pop(m), err)) != SST_OK)
				return rc;
		}
		if (r->kind == SST_DEL && (m->flags & SST_MERGE_HIDE_DELETES)) {
			if ((rc = advance(m, w, err)) != SST_OK)
				return rc;
			continue;
		}
		m->cur = w;
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
	for (i = 0; i < m->n; i++)
		if (m->kids[i]->valid)
			push(m, i);
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

	if (m->cur != SIZE_MAX && (rc = advance(m, m->cur, err)) != SST_OK)
		return rc;
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
	    (m->heap = calloc(n ? n : 1, sizeof(*m->heap))) == NULL) {
		if (m != NULL) {
			free(m->kids);
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
	m->cur = SIZE_MAX;
	m->base.ops = &merge_ops;
	*out = &m->base;
	return SST_OK;
}
