/*
 * A skip list (Pugh 1990, as in LevelDB's memtable): MAX_HEIGHT levels,
 * each node promoted with probability 1/4. A node is
 *   node header | next[height] | key bytes
 * in an arena; values are separate arena allocations, reused in place when
 * a later record of the key fits in the old value's space.
 */
#include "memtable.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define MAX_HEIGHT	12
#define CHUNK		(64u << 10)
#define BIG		(CHUNK / 4)	/* larger allocations get a chunk of their own */

struct chunk {
	struct chunk *next;
	size_t size;
	max_align_t data[];
};

struct node {
	uint8_t *val;
	uint32_t vlen, vcap;
	uint32_t klen;
	uint8_t kind, height;
	struct node *next[];
};

struct sst_memtable {
	struct chunk *chunks;	/* the current one first */
	uint8_t *ptr;		/* free space in the current chunk */
	size_t left;
	size_t bytes;
	uint64_t count;
	uint64_t rnd;
	int height;
	struct node *head;
};

static uint8_t *
node_key(const struct node *n)
{
	return (uint8_t *)&n->next[n->height];
}

static void *
arena_alloc(sst_memtable *m, size_t n, sst_err *err)
{
	struct chunk *c;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (n <= m->left) {
		p = m->ptr;
		m->ptr += n;
		m->left -= n;
		return p;
	}
	if (n > BIG) {
		if ((c = sst_malloc(sizeof(*c) + n, err)) == NULL)
			return NULL;
		c->size = sizeof(*c) + n;
		m->bytes += c->size;
		/* keep the current chunk first: it still has room */
		if (m->chunks != NULL) {
			c->next = m->chunks->next;
			m->chunks->next = c;
		} else {
			c->next = NULL;
			m->chunks = c;
		}
		return c->data;
	}
	if ((c = sst_malloc(sizeof(*c) + CHUNK, err)) == NULL)
		return NULL;
	c->size = sizeof(*c) + CHUNK;
	c->next = m->chunks;
	m->chunks = c;
	m->bytes += c->size;
	m->ptr = (uint8_t *)c->data + n;
	m->left = CHUNK - n;
	return c->data;
}

int
sst_memtable_new(sst_memtable **mp, sst_err *err)
{
	sst_memtable *m;

	*mp = NULL;
	if ((m = sst_calloc(1, sizeof(*m), err)) == NULL)
		return SST_ESYS;
	m->bytes = sizeof(*m);
	m->rnd = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)m;
	m->height = 1;
	m->head = arena_alloc(m, sizeof(struct node) + MAX_HEIGHT * sizeof(struct node *), err);
	if (m->head == NULL) {
		sst_memtable_free(&m);
		return SST_ESYS;
	}
	memset(m->head, 0, sizeof(struct node) + MAX_HEIGHT * sizeof(struct node *));
	m->head->height = MAX_HEIGHT;
	*mp = m;
	return SST_OK;
}

static int
random_height(sst_memtable *m)
{
	int h = 1;

	/* xorshift64 */
	m->rnd ^= m->rnd << 13;
	m->rnd ^= m->rnd >> 7;
	m->rnd ^= m->rnd << 17;
	while (h < MAX_HEIGHT && ((m->rnd >> (2 * h)) & 3) == 0)
		h++;
	return h;
}

static int
node_cmp(const struct node *n, const uint8_t *key, size_t klen)
{
	return sst_keycmp(node_key(n), n->klen, key, klen);
}

/* The first node with key >= key; fills prev[] when not NULL. */
static struct node *
find_ge(const sst_memtable *m, const uint8_t *key, size_t klen, struct node **prev)
{
	struct node *x = m->head;
	int lvl = m->height - 1;

	for (;;) {
		struct node *nx = x->next[lvl];

		if (nx != NULL && node_cmp(nx, key, klen) < 0) {
			x = nx;
			continue;
		}
		if (prev != NULL)
			prev[lvl] = x;
		if (lvl == 0)
			return nx;
		lvl--;
	}
}

static int
set_value(sst_memtable *m, struct node *n, const sst_rec *r, sst_err *err)
{
	size_t vlen = r->kind == SST_DEL ? 0 : r->vlen;

	if (vlen > n->vcap) {
		if ((n->val = arena_alloc(m, vlen, err)) == NULL)
			return SST_ESYS;
		n->vcap = (uint32_t)vlen;
	}
	if (vlen > 0)
		memcpy(n->val, r->val, vlen);
	n->vlen = (uint32_t)vlen;
	n->kind = (uint8_t)r->kind;
	return SST_OK;
}

int
sst_memtable_put(sst_memtable *m, const sst_rec *r, sst_err *err)
{
	struct node *prev[MAX_HEIGHT], *n;
	int h, i;

	if (r->klen < 1 || r->klen > SST_MAX_KEY || r->vlen > SST_MAX_VALUE ||
	    (r->kind != SST_PUT && r->kind != SST_DEL))
		return sst_error(err, SST_EDATA, "memtable: record out of bounds (key %zu bytes, value %zu bytes)",
		    r->klen, r->vlen);
	n = find_ge(m, r->key, r->klen, prev);
	if (n != NULL && node_cmp(n, r->key, r->klen) == 0)
		return set_value(m, n, r, err);
	h = random_height(m);
	n = arena_alloc(m, sizeof(*n) + (size_t)h * sizeof(n->next[0]) + r->klen, err);
	if (n == NULL)
		return SST_ESYS;
	n->val = NULL;
	n->vlen = n->vcap = 0;
	n->klen = (uint32_t)r->klen;
	n->height = (uint8_t)h;
	memcpy(node_key(n), r->key, r->klen);
	if (set_value(m, n, r, err) != SST_OK)
		return SST_ESYS;
	for (i = m->height; i < h; i++)
		prev[i] = m->head;
	if (h > m->height)
		m->height = h;
	for (i = 0; i < h; i++) {
		n->next[i] = prev[i]->next[i];
		prev[i]->next[i] = n;
	}
	m->count++;
	return SST_OK;
}

static void
fill_rec(const struct node *n, sst_rec *out)
{
	out->key = node_key(n);
	out->klen = n->klen;
	out->val = n->vlen ? n->val : NULL;
	out->vlen = n->vlen;
	out->kind = n->kind;
}

void
sst_memtable_get(const sst_memtable *m, const uint8_t *key, size_t klen,
    sst_rec *out, int *found)
{
	struct node *n = find_ge(m, key, klen, NULL);

	*found = n != NULL && node_cmp(n, key, klen) == 0;
	if (*found)
		fill_rec(n, out);
}

size_t sst_memtable_bytes(const sst_memtable *m) { return m->bytes - m->left; }
uint64_t sst_memtable_count(const sst_memtable *m) { return m->count; }

void
sst_memtable_free(sst_memtable **mp)
{
	sst_memtable *m = *mp;
	struct chunk *c, *next;

	if (m == NULL)
		return;
	for (c = m->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(m);
	*mp = NULL;
}

/* ---- iterator ---- */

struct mt_iter {
	sst_iter it;
	sst_memtable *m;
	struct node *cur;
};

static void
mt_set(struct mt_iter *i, struct node *n)
{
	i->cur = n;
	i->it.valid = n != NULL;
	if (n != NULL)
		fill_rec(n, &i->it.rec);
}

static int
mt_first(sst_iter *it, sst_err *err)
{
	struct mt_iter *i = (struct mt_iter *)it;

	(void)err;
	mt_set(i, i->m->head->next[0]);
	return SST_OK;
}

static int
mt_seek(sst_iter *it, const uint8_t *key, size_t klen, sst_err *err)
{
	struct mt_iter *i = (struct mt_iter *)it;

	(void)err;
	mt_set(i, find_ge(i->m, key, klen, NULL));
	return SST_OK;
}

static int
mt_next(sst_iter *it, sst_err *err)
{
	struct mt_iter *i = (struct mt_iter *)it;

	(void)err;
	if (i->cur != NULL)
		mt_set(i, i->cur->next[0]);
	return SST_OK;
}

static void
mt_destroy(sst_iter *it)
{
	free(it);
}

static const struct sst_iter_ops mt_ops = { mt_first, mt_seek, mt_next, mt_destroy };

int
sst_memtable_iter(sst_memtable *m, sst_iter **out, sst_err *err)
{
	struct mt_iter *i;

	*out = NULL;
	if ((i = sst_calloc(1, sizeof(*i), err)) == NULL)
		return SST_ESYS;
	i->it.ops = &mt_ops;
	i->m = m;
	*out = &i->it;
	return SST_OK;
}
