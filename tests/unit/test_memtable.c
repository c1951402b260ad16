/* test_memtable: the skip list against a simple model (sorted unique keys, later wins). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memtable.h"
#include "unit.h"
#include "util.h"

#define NKEYS 2000

struct mrec {
	uint8_t key[8];
	size_t klen;
	uint8_t val[64];
	size_t vlen;
	int kind;
	int used;
};

static struct mrec model[NKEYS];
static uint64_t seed = 88172645463325252ull;

static uint64_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* Key i: decimal i/2, with a NUL byte appended for odd i (prefixes occur). */
static void
make_key(int i, uint8_t *k, size_t *klen)
{
	int n = snprintf((char *)k, 8, "%d", i / 2);

	if (i % 2)
		k[n++] = 0;
	*klen = (size_t)n;
}

static int
mcmp(const void *a, const void *b)
{
	const struct mrec *x = *(const struct mrec *const *)a, *y = *(const struct mrec *const *)b;

	return sst_keycmp(x->key, x->klen, y->key, y->klen);
}

static void
test_model(void)
{
	sst_memtable *m;
	sst_iter *it;
	sst_err e;
	struct mrec *sorted[NKEYS];
	size_t n = 0, i;
	int j, found, ok = 1;
	sst_rec r, g;

	/* keys must be distinct for the model: index by key bytes */
	CHECK_RC(sst_memtable_new(&m, &e), SST_OK);
	for (j = 0; j < 20000; j++) {
		int id = (int)(rnd() % 500);
		struct mrec *x = &model[id];

		make_key(id, x->key, &x->klen);
		x->kind = rnd() % 5 == 0 ? SST_DEL : SST_PUT;
		x->vlen = x->kind == SST_DEL ? 0 : rnd() % 64;
		for (i = 0; i < x->vlen; i++)
			x->val[i] = (uint8_t)rnd();
		x->used = 1;
		r.key = x->key;
		r.klen = x->klen;
		r.val = x->val;
		r.vlen = x->vlen;
		r.kind = x->kind;
		if (sst_memtable_put(m, &r, &e) != SST_OK)
			ok = 0;
	}
	CHECK(ok);
	for (j = 0; j < 500; j++)
		if (model[j].used)
			sorted[n++] = &model[j];
	qsort(sorted, n, sizeof(sorted[0]), mcmp);
	CHECK(sst_memtable_count(m) == n);
	CHECK(sst_memtable_bytes(m) > 0);
	CHECK_RC(sst_memtable_iter(m, &it, &e), SST_OK);
	CHECK_RC(sst_iter_first(it, &e), SST_OK);
	ok = 1;
	for (i = 0; i < n; i++) {
		struct mrec *x = sorted[i];

		if (!it->valid || sst_keycmp(it->rec.key, it->rec.klen, x->key, x->klen) != 0 ||
		    it->rec.kind != x->kind || it->rec.vlen != x->vlen ||
		    (x->vlen && memcmp(it->rec.val, x->val, x->vlen) != 0)) {
			ok = 0;
			break;
		}
		sst_iter_next(it, &e);
	}
	CHECK(ok);
	CHECK(!it->valid);
	/* seek to each key and between keys */
	ok = 1;
	for (i = 0; i < n; i++) {
		sst_iter_seek(it, sorted[i]->key, sorted[i]->klen, &e);
		if (!it->valid || sst_keycmp(it->rec.key, it->rec.klen, sorted[i]->key, sorted[i]->klen) != 0)
			ok = 0;
		sst_memtable_get(m, sorted[i]->key, sorted[i]->klen, &g, &found);
		if (!found || g.kind != sorted[i]->kind || g.vlen != sorted[i]->vlen)
			ok = 0;
	}
	CHECK(ok);
	sst_iter_seek(it, (const uint8_t *)"\xff\xff\xff\xff", 4, &e);
	CHECK(!it->valid);
	sst_memtable_get(m, (const uint8_t *)"\xff\xff\xff\xff", 4, &g, &found);
	CHECK(!found);
	sst_iter_destroy(&it);
	CHECK(it == NULL);
	sst_memtable_free(&m);
	CHECK(m == NULL);
}

static void
test_bounds_and_big(void)
{
	sst_memtable *m;
	sst_err e;
	sst_rec r = { (const uint8_t *)"", 0, NULL, 0, SST_PUT }, g;
	uint8_t *big = calloc(1, 1 << 20);
	int found;

	CHECK_RC(sst_memtable_new(&m, &e), SST_OK);
	CHECK_RC(sst_memtable_put(m, &r, &e), SST_EDATA);
	r.key = (const uint8_t *)"k";
	r.klen = 1;
	r.val = big;
	r.vlen = 1 << 20;
	CHECK_RC(sst_memtable_put(m, &r, &e), SST_OK);
	CHECK(sst_memtable_bytes(m) > (1u << 20));
	r.vlen = 3;
	r.val = (const uint8_t *)"abc";
	CHECK_RC(sst_memtable_put(m, &r, &e), SST_OK);
	r.kind = SST_DEL;
	r.vlen = 0;
	CHECK_RC(sst_memtable_put(m, &r, &e), SST_OK);
	sst_memtable_get(m, (const uint8_t *)"k", 1, &g, &found);
	CHECK(found && g.kind == SST_DEL && g.vlen == 0);
	r.kind = SST_PUT;
	r.val = (const uint8_t *)"xyz1";
	r.vlen = 4;
	CHECK_RC(sst_memtable_put(m, &r, &e), SST_OK);
	sst_memtable_get(m, (const uint8_t *)"k", 1, &g, &found);
	CHECK(found && g.kind == SST_PUT && g.vlen == 4 && memcmp(g.val, "xyz1", 4) == 0);
	CHECK(sst_memtable_count(m) == 1);
	sst_memtable_free(&m);
	free(big);
}

int
main(void)
{
	test_model();
	test_bounds_and_big();
	UNIT_DONE();
}
