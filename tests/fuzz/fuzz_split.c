/*
 * fuzz_split.c - libFuzzer target for the split-file parser
 * (sst_splits_parse) and for the sample-file reader and cut choice
 * (sst_sample_set_read, sst_sample_set_cuts). The first input byte picks
 * the number of parts asked of the cut choice (1..256); the rest is parsed
 * both as a split file and as a sample file (the latter through the input
 * layer, like any input).
 *
 * Invariants: a parse error is SST_EDATA naming "NAME:LINE" and leaves
 * nothing allocated; a parsed split file has keys of 1..SST_MAX_KEY bytes,
 * strictly increasing; written back with sst_splits_write_key it parses to
 * the same keys; sst_splits_part puts each split key at the start of its
 * part. A sample file that reads gives at most parts-1 strictly increasing
 * cuts, each a key of the sample, which form a valid split file.
 */
#include "fuzz_common.h"
#include "sampler.h"
#include "splitfile.h"
#include "util.h"

static void
check_splits(const sst_splits *s)
{
	size_t i, kl, pl = 0;
	const uint8_t *k, *p = NULL;

	for (i = 0; i < s->n; i++) {
		k = sst_splits_key(s, i, &kl);
		FUZZ_CHECK(kl >= 1 && kl <= SST_MAX_KEY);
		FUZZ_CHECK(p == NULL || sst_keycmp(p, pl, k, kl) < 0);
		FUZZ_CHECK(sst_splits_part(s, k, kl) == i + 1);
		p = k;
		pl = kl;
	}
}

/* Written back and parsed again: the same keys. */
static void
check_roundtrip(const sst_splits *s)
{
	char *buf = NULL;
	size_t blen = 0, i, al, bl;
	FILE *f = open_memstream(&buf, &blen);
	sst_splits t;
	sst_err err;
	const uint8_t *a, *b;

	FUZZ_CHECK(f != NULL);
	for (i = 0; i < s->n; i++) {
		a = sst_splits_key(s, i, &al);
		FUZZ_CHECK(sst_splits_write_key(f, a, al, &err) == SST_OK);
	}
	FUZZ_CHECK(fclose(f) == 0);
	FUZZ_CHECK(sst_splits_parse(&t, (const uint8_t *)buf, blen, "rt", &err) == SST_OK);
	FUZZ_CHECK(t.n == s->n);
	for (i = 0; i < s->n; i++) {
		a = sst_splits_key(s, i, &al);
		b = sst_splits_key(&t, i, &bl);
		FUZZ_CHECK(al == bl && memcmp(a, b, al) == 0);
	}
	sst_splits_free(&t);
	free(buf);
}

static void
check_samples(const uint8_t *data, size_t size, size_t nparts)
{
	sst_sample_set *ss;
	sst_splits cuts;
	sst_err err;
	char path[64];
	int fd, rc;

	if ((fd = fuzz_memfile(data, size, path, sizeof(path))) < 0)
		return;
	FUZZ_CHECK(sst_sample_set_new(&ss, &err) == SST_OK);
	rc = sst_sample_set_read(ss, path, &err);
	FUZZ_CHECK(rc == SST_OK || rc == SST_EDATA || rc == SST_ESYS);
	if (rc == SST_EDATA)
		FUZZ_CHECK(strncmp(err.msg, path, strlen(path)) == 0);
	if (rc == SST_OK) {
		FUZZ_CHECK(sst_sample_set_cuts(ss, nparts, &cuts, &err) == SST_OK);
		FUZZ_CHECK(cuts.n <= nparts - 1);
		check_splits(&cuts);
		check_roundtrip(&cuts);
		sst_splits_free(&cuts);
	}
	sst_sample_set_free(&ss);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sst_splits s;
	sst_err err;
	size_t nparts;
	int rc;

	if (size < 1)
		return 0;
	nparts = (size_t)data[0] + 1;
	data++;
	size--;
	rc = sst_splits_parse(&s, data, size, "fuzz", &err);
	FUZZ_CHECK(rc == SST_OK || rc == SST_EDATA);
	if (rc == SST_EDATA) {
		FUZZ_CHECK(strncmp(err.msg, "fuzz:", 5) == 0 && err.msg[5] >= '1' && err.msg[5] <= '9');
		FUZZ_CHECK(s.keys == NULL && s.off == NULL && s.n == 0);
	} else {
		check_splits(&s);
		check_roundtrip(&s);
		sst_splits_free(&s);
	}
	check_samples(data, size, nparts);
	return 0;
}
