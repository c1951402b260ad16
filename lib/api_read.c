/* api_read.c - the public API's readers and iterators (sstkit/read.h),
 * over sources.h (several tables and stores, later wins). */
#include "api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "info.h"
#include "merge_iter.h"
#include "sources.h"
#include "store.h"
#include "util.h"

struct sstkit_reader {
	sst_sources src;
	char **paths;
	size_t npaths;
};

struct sstkit_iter {
	sst_iter *it;
	sst_buf start, stop, prefix;
	int has_start, has_stop, has_prefix;
	int fresh;	/* positioned on a record not yet returned */
	int done;
};

int
sstkit_reader_open(sstkit_reader **r, const char *const *paths, size_t npaths, sstkit_error *err)
{
	sstkit_reader *rd;
	sst_err ie = { 0, "" };
	size_t i;
	int rc;

	if (r == NULL)
		return sstkit_misuse(err, "sstkit_reader_open", "NULL reader pointer");
	*r = NULL;
	if (paths == NULL || npaths == 0)
		return sstkit_misuse(err, "sstkit_reader_open", "no path given");
	for (i = 0; i < npaths; i++)
		if (paths[i] == NULL || paths[i][0] == '\0')
			return sstkit_misuse(err, "sstkit_reader_open", "empty path");
	if ((rd = calloc(1, sizeof(*rd))) == NULL ||
	    (rd->paths = calloc(npaths, sizeof(*rd->paths))) == NULL) {
		free(rd);
		return sstkit_fail(err, sst_nomem(&ie, "sstkit_reader_open"), &ie);
	}
	rd->npaths = npaths;
	for (i = 0; i < npaths; i++)
		if ((rd->paths[i] = strdup(paths[i])) == NULL) {
			sstkit_reader_close(&rd);
			return sstkit_fail(err, sst_nomem(&ie, "sstkit_reader_open"), &ie);
		}
	if ((rc = sst_sources_open(&rd->src, rd->paths, npaths, &ie)) != SST_OK) {
		sstkit_reader_close(&rd);
		return sstkit_fail(err, rc, &ie);
	}
	*r = rd;
	sstkit_ok(err);
	return SSTKIT_OK;
}

void
sstkit_reader_close(sstkit_reader **r)
{
	size_t i;

	if (r == NULL || *r == NULL)
		return;
	if ((*r)->src.p != NULL)
		sst_sources_close(&(*r)->src);
	for (i = 0; i < (*r)->npaths && (*r)->paths != NULL; i++)
		free((*r)->paths[i]);
	free((*r)->paths);
	free(*r);
	*r = NULL;
}

int
sstkit_reader_get(sstkit_reader *r, const void *key, size_t klen, const void **val,
    size_t *vlen, sstkit_error *err)
{
	sst_err ie = { 0, "" };
	sst_rec rec;
	int rc, found = 0;

	if (r == NULL || (key == NULL && klen > 0))
		return sstkit_misuse(err, "sstkit_reader_get", "NULL reader or key");
	sstkit_ok(err);
	if (klen == 0 || klen > SST_MAX_KEY)	/* no such key can be held */
		return SSTKIT_NOTFOUND;
	if ((rc = sst_sources_get(&r->src, key, klen, &rec, &found, &ie)) != SST_OK)
		return sstkit_fail(err, rc, &ie);
	if (!found || rec.kind != SST_PUT)
		return SSTKIT_NOTFOUND;
	if (val != NULL)
		*val = rec.vlen > 0 ? rec.val : (const void *)"";
	if (vlen != NULL)
		*vlen = rec.vlen;
	return SSTKIT_OK;
}

/* ---- batches ---- */

typedef struct batch_key {
	const uint8_t *k;
	size_t n;
	size_t i;	/* the caller's index */
} batch_key;

static int
cmp_batch_key(const void *a, const void *b)
{
	const batch_key *x = a, *y = b;
	int c = sst_keycmp(x->k, x->n, y->k, y->n);

	return c != 0 ? c : x->i < y->i ? -1 : x->i > y->i;
}

typedef struct batch_ctx {
	const batch_key *order;
	sstkit_found_fn fn;
	void *clos;
	int user_rc;
} batch_ctx;

static int
on_found(void *clos, size_t i, const sst_rec *r, sst_err *err)
{
	batch_ctx *c = clos;

	if (r->kind != SST_PUT)
		return SST_OK;
	c->user_rc = c->fn(c->clos, c->order[i].i, r->vlen > 0 ? r->val : (const void *)"", r->vlen);
	if (c->user_rc != 0)
		return sst_error(err, SST_EUSAGE, "stopped by the caller");
	return SST_OK;
}

int
sstkit_reader_get_many(sstkit_reader *r, const void *const *keys, const size_t *klens,
    size_t n, sstkit_found_fn found, void *clos, sstkit_error *err)
{
	sst_err ie = { 0, "" };
	batch_key *order = NULL;
	const uint8_t **ks = NULL;
	size_t *kls = NULL, i, m = 0;
	int *state = NULL, rc = SST_OK;
	batch_ctx c;

	if (r == NULL || found == NULL || (n > 0 && (keys == NULL || klens == NULL)))
		return sstkit_misuse(err, "sstkit_reader_get_many", "NULL argument");
	sstkit_ok(err);
	if (n == 0)
		return SSTKIT_OK;
	order = malloc(n * sizeof(*order));
	ks = malloc(n * sizeof(*ks));
	kls = malloc(n * sizeof(*kls));
	state = calloc(n, sizeof(*state));
	if (order == NULL || ks == NULL || kls == NULL || state == NULL)
		rc = sst_nomem(&ie, "sstkit_reader_get_many");
	for (i = 0; i < n && rc == SST_OK; i++) {
		if (keys[i] == NULL && klens[i] > 0) {
			rc = SST_EUSAGE;
			sst_error(&ie, rc, "sstkit_reader_get_many: NULL key");
		} else if (klens[i] > 0 && klens[i] <= SST_MAX_KEY)	/* others: absent */
			order[m++] = (batch_key){ keys[i], klens[i], i };
	}
	if (rc == SST_OK && m > 1)
		qsort(order, m, sizeof(*order), cmp_batch_key);
	for (i = 0; i < m && rc == SST_OK; i++) {
		ks[i] = order[i].k;
		kls[i] = order[i].n;
	}
	c = (batch_ctx){ order, found, clos, 0 };
	if (rc == SST_OK && m > 0)
		rc = sst_sources_get_sorted(&r->src, ks, kls, m, state, on_found, &c, &ie);
	free(order);
	free(ks);
	free(kls);
	free(state);
	if (c.user_rc != 0)
		return c.user_rc;
	return rc != SST_OK ? sstkit_fail(err, rc, &ie) : SSTKIT_OK;
}

/* ---- properties ---- */

int
sstkit_reader_info(sstkit_reader *r, char **json, size_t *len, sstkit_error *err)
{
	sst_err ie = { 0, "" };
	char *buf = NULL;
	size_t n = 0, i;
	FILE *f;
	int rc = SST_OK;

	if (r == NULL || json == NULL)
		return sstkit_misuse(err, "sstkit_reader_info", "NULL argument");
	*json = NULL;
	if ((f = open_memstream(&buf, &n)) == NULL)
		return sstkit_fail(err, sst_syserr(&ie, "sstkit_reader_info"), &ie);
	if (r->npaths > 1)
		fputc('[', f);
	for (i = 0; i < r->npaths && rc == SST_OK; i++) {
		if (i > 0)
			fputs(",\n", f);
		rc = sst_info_json(f, r->paths[i], &ie);
	}
	if (r->npaths > 1)
		fputc(']', f);
	if (fclose(f) != 0 && rc == SST_OK)
		rc = sst_syserr(&ie, "sstkit_reader_info");
	if (rc != SST_OK) {
		free(buf);
		return sstkit_fail(err, rc, &ie);
	}
	/* a store's object ends with a newline (info.h); a table's does not */
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	*json = buf;
	if (len != NULL)
		*len = n;
	sstkit_ok(err);
	return SSTKIT_OK;
}

/* ---- iterators ---- */

static int
copy_bound(sst_buf *b, int *has, const void *p, size_t n, sst_err *ie)
{
	*has = p != NULL;
	return p != NULL && n > 0 ? sst_buf_append(b, p, n, ie) : SST_OK;
}

int
sstkit_iter_open(sstkit_iter **it, sstkit_reader *r, const void *start, size_t startlen,
    const void *stop, size_t stoplen, const void *prefix, size_t prefixlen, sstkit_error *err)
{
	sst_err ie = { 0, "" };
	sstkit_iter *x;
	int rc;

	if (it == NULL || r == NULL)
		return sstkit_misuse(err, "sstkit_iter_open", "NULL argument");
	*it = NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return sstkit_fail(err, sst_nomem(&ie, "sstkit_iter_open"), &ie);
	if ((rc = copy_bound(&x->start, &x->has_start, start, startlen, &ie)) != SST_OK ||
	    (rc = copy_bound(&x->stop, &x->has_stop, stop, stoplen, &ie)) != SST_OK ||
	    (rc = copy_bound(&x->prefix, &x->has_prefix, prefix, prefixlen, &ie)) != SST_OK ||
	    (rc = sst_sources_iter(&r->src, SST_MERGE_HIDE_DELETES, &x->it, &ie)) != SST_OK) {
		sstkit_iter_close(&x);
		return sstkit_fail(err, rc, &ie);
	}
	*it = x;
	sstkit_ok(err);
	return SSTKIT_OK;
}

/* Positions at the first record >= key (NULL: the lower bound). */
static int
position(sstkit_iter *x, const uint8_t *key, size_t klen, sst_err *ie)
{
	const uint8_t *lo = key;
	size_t lolen = klen;

	if (x->has_start && (lo == NULL || sst_keycmp(x->start.p, x->start.len, lo, lolen) > 0)) {
		lo = x->start.p;
		lolen = x->start.len;
	}
	if (x->has_prefix && (lo == NULL || sst_keycmp(x->prefix.p, x->prefix.len, lo, lolen) > 0)) {
		lo = x->prefix.p;
		lolen = x->prefix.len;
	}
	x->fresh = 1;
	x->done = 0;
	if (lo != NULL && lolen > 0)
		return sst_iter_seek(x->it, lo, lolen, ie);
	return sst_iter_first(x->it, ie);
}

int
sstkit_iter_seek(sstkit_iter *it, const void *key, size_t klen, sstkit_error *err)
{
	sst_err ie = { 0, "" };
	int rc;

	if (it == NULL || (key == NULL && klen > 0))
		return sstkit_misuse(err, "sstkit_iter_seek", "NULL argument");
	if (klen > SST_MAX_KEY)
		return sstkit_misuse(err, "sstkit_iter_seek", "key longer than 65536 bytes");
	if ((rc = position(it, key != NULL ? key : (const void *)"", klen, &ie)) != SST_OK) {
		it->done = 1;
		return sstkit_fail(err, rc, &ie);
	}
	sstkit_ok(err);
	return SSTKIT_OK;
}

int
sstkit_iter_next(sstkit_iter *it, const void **key, size_t *klen, const void **val,
    size_t *vlen, sstkit_error *err)
{
	sst_err ie = { 0, "" };
	const sst_rec *rec;
	int rc = SST_OK;

	if (it == NULL)
		return sstkit_misuse(err, "sstkit_iter_next", "NULL iterator");
	sstkit_ok(err);
	if (it->done)
		return SSTKIT_NOTFOUND;
	if (!it->fresh && it->it->valid)
		rc = sst_iter_next(it->it, &ie);
	else if (!it->fresh)
		rc = position(it, NULL, 0, &ie);
	it->fresh = 0;
	if (rc != SST_OK) {
		it->done = 1;
		return sstkit_fail(err, rc, &ie);
	}
	rec = &it->it->rec;
	if (!it->it->valid ||
	    (it->has_prefix && (rec->klen < it->prefix.len ||
	    memcmp(rec->key, it->prefix.p, it->prefix.len) != 0)) ||
	    (it->has_stop && sst_keycmp(rec->key, rec->klen, it->stop.p, it->stop.len) >= 0)) {
		it->done = 1;
		return SSTKIT_NOTFOUND;
	}
	if (key != NULL)
		*key = rec->key;
	if (klen != NULL)
		*klen = rec->klen;
	if (val != NULL)
		*val = rec->vlen > 0 ? rec->val : (const void *)"";
	if (vlen != NULL)
		*vlen = rec->vlen;
	return SSTKIT_OK;
}

void
sstkit_iter_close(sstkit_iter **it)
{
	if (it == NULL || *it == NULL)
		return;
	sst_iter_destroy(&(*it)->it);
	sst_buf_free(&(*it)->start);
	sst_buf_free(&(*it)->stop);
	sst_buf_free(&(*it)->prefix);
	free(*it);
	*it = NULL;
}
