/* test_dedup.c - sst_dedup: the last of equal keys goes on, disorder refused. */
#include "dedup.h"
#include "unit.h"

typedef struct seen {
	char keys[8][8], vals[8][8];
	int kinds[8];
	int n, fail_at;
} seen;

static int
sink(void *arg, const sst_rec *r, sst_err *err)
{
	seen *s = arg;

	if (s->n == s->fail_at)
		return sst_error(err, SST_ESYS, "sink: full");
	snprintf(s->keys[s->n], sizeof(s->keys[0]), "%.*s", (int)r->klen, (const char *)r->key);
	snprintf(s->vals[s->n], sizeof(s->vals[0]), "%.*s", (int)r->vlen, (const char *)r->val);
	s->kinds[s->n++] = r->kind;
	return SST_OK;
}

static int
add(sst_dedup *d, const char *k, const char *v, int kind, sst_err *err)
{
	sst_rec r = { (const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v), kind };

	return sst_dedup_add(d, &r, err);
}

int
main(void)
{
	sst_dedup d;
	sst_err err = { 0, "" };
	seen s;

	/* equal keys: the last wins, its kind too; order kept */
	memset(&s, 0, sizeof(s));
	s.fail_at = -1;
	sst_dedup_init(&d, sink, &s);
	CHECK_RC(sst_dedup_finish(&d, &err), SST_OK);	/* nothing held */
	CHECK(s.n == 0);
	CHECK_RC(add(&d, "a", "1", SST_PUT, &err), SST_OK);
	CHECK_RC(add(&d, "a", "2", SST_PUT, &err), SST_OK);
	CHECK(s.n == 0);
	CHECK_RC(add(&d, "b", "3", SST_PUT, &err), SST_OK);
	CHECK_RC(add(&d, "b", "", SST_DEL, &err), SST_OK);
	CHECK_RC(add(&d, "c", "4", SST_PUT, &err), SST_OK);
	CHECK_RC(sst_dedup_finish(&d, &err), SST_OK);
	CHECK(s.n == 3);
	CHECK(strcmp(s.keys[0], "a") == 0 && strcmp(s.vals[0], "2") == 0);
	CHECK(strcmp(s.keys[1], "b") == 0 && s.kinds[1] == SST_DEL);
	CHECK(strcmp(s.keys[2], "c") == 0 && strcmp(s.vals[2], "4") == 0);
	CHECK(!d.disorder);
	sst_dedup_free(&d);

	/* a key below the one before: SST_EDATA, disorder set */
	memset(&s, 0, sizeof(s));
	s.fail_at = -1;
	sst_dedup_init(&d, sink, &s);
	CHECK_RC(add(&d, "b", "1", SST_PUT, &err), SST_OK);
	CHECK_RC(add(&d, "a", "1", SST_PUT, &err), SST_EDATA);
	CHECK(d.disorder);
	CHECK(strcmp(err.msg, "key out of order") == 0);
	sst_dedup_free(&d);

	/* the sink's error comes back as it is, not as disorder */
	memset(&s, 0, sizeof(s));
	s.fail_at = 0;
	sst_dedup_init(&d, sink, &s);
	CHECK_RC(add(&d, "a", "1", SST_PUT, &err), SST_OK);
	CHECK_RC(add(&d, "b", "1", SST_PUT, &err), SST_ESYS);
	CHECK(!d.disorder);
	sst_dedup_free(&d);
	UNIT_DONE();
}
