/* dedup.c - keep the last of equal keys, refuse disorder (dedup.h). */
#include "dedup.h"

#include <string.h>

void
sst_dedup_init(sst_dedup *d, sst_rec_sink sink, void *arg)
{
	memset(d, 0, sizeof(*d));
	d->sink = sink;
	d->arg = arg;
}

static int
release_held(sst_dedup *d, sst_err *err)
{
	sst_rec r = { d->key.p, d->key.len, d->val.p, d->val.len, d->kind };

	d->holding = 0;
	return d->sink(d->arg, &r, err);
}

int
sst_dedup_add(sst_dedup *d, const sst_rec *r, sst_err *err)
{
	int rc, c;

	if (d->holding) {
		c = sst_keycmp(d->key.p, d->key.len, r->key, r->klen);
		if (c > 0) {
			d->disorder = 1;
			return sst_error(err, SST_EDATA, "key out of order");
		}
		if (c < 0 && (rc = release_held(d, err)) != SST_OK)
			return rc;
	}
	d->key.len = d->val.len = 0;
	if ((rc = sst_buf_append(&d->key, r->key, r->klen, err)) != SST_OK ||
	    (rc = sst_buf_append(&d->val, r->val, r->vlen, err)) != SST_OK)
		return rc;
	d->kind = r->kind;
	d->holding = 1;
	return SST_OK;
}

int
sst_dedup_finish(sst_dedup *d, sst_err *err)
{
	return d->holding ? release_held(d, err) : SST_OK;
}

void
sst_dedup_free(sst_dedup *d)
{
	sst_buf_free(&d->key);
	sst_buf_free(&d->val);
	d->holding = 0;
}
