/*
 * fuzz_manifest.c - libFuzzer target for the store manifest parser
 * (sst_manifest_parse in lib/store.c).
 *
 * The first input byte picks the mode: odd, the rest is a manifest body
 * that gets a correct checksum line appended (so mutations reach the line
 * parser); even, the rest is parsed as it is.
 *
 * Invariants: the parser accepts or says SST_EDATA; an accepted manifest
 * obeys the documented rules (names NNNNNN.sst with a number below next,
 * levels 0..15, no name twice, version 2: ranges with smallest <= largest)
 * and formats (sst_manifest_format) into
 * bytes that parse back to the same manifest and format to the same bytes.
 */
#include <inttypes.h>

#include "fuzz_common.h"
#include "store.h"
#include "util.h"

static void
check_rules(const sst_manifest *m)
{
	size_t i, j;

	FUZZ_CHECK(m->next >= 1);
	FUZZ_CHECK(m->strategy == SST_STRATEGY_SIZE_TIERED || m->strategy == SST_STRATEGY_LEVELED);
	for (i = 0; i < m->n; i++) {
		const sst_store_entry *e = &m->t[i];

		FUZZ_CHECK(e->name != NULL && e->number < m->next);
		FUZZ_CHECK(e->level >= 0 && e->level <= SST_STORE_MAX_LEVEL);
		FUZZ_CHECK(strlen(e->name) >= 10 && strcmp(e->name + strlen(e->name) - 4, ".sst") == 0);
		if (m->version >= 2)
			FUZZ_CHECK(e->ranged && (e->records == 0 ? e->lo == NULL && e->hi == NULL :
			    e->lo != NULL && e->hi != NULL &&
			    sst_keycmp(e->lo, e->lolen, e->hi, e->hilen) <= 0));
		for (j = 0; j < i && m->n < 2000; j++)
			FUZZ_CHECK(strcmp(m->t[j].name, e->name) != 0);
	}
}

static void
same(const sst_manifest *a, const sst_manifest *b)
{
	size_t i;

	FUZZ_CHECK(a->next == b->next && a->strategy == b->strategy && a->n == b->n &&
	    a->version == b->version);
	FUZZ_CHECK(memcmp(&a->knobs, &b->knobs, sizeof(a->knobs)) == 0);
	for (i = 0; i < a->n; i++)
		FUZZ_CHECK(strcmp(a->t[i].name, b->t[i].name) == 0 &&
		    a->t[i].number == b->t[i].number && a->t[i].level == b->t[i].level &&
		    a->t[i].size == b->t[i].size && a->t[i].ranged == b->t[i].ranged &&
		    a->t[i].records == b->t[i].records && a->t[i].lolen == b->t[i].lolen &&
		    a->t[i].hilen == b->t[i].hilen &&
		    (a->t[i].lolen == 0 || memcmp(a->t[i].lo, b->t[i].lo, a->t[i].lolen) == 0) &&
		    (a->t[i].hilen == 0 || memcmp(a->t[i].hi, b->t[i].hi, a->t[i].hilen) == 0));
}

static void
check(const uint8_t *buf, size_t len)
{
	sst_manifest m, back;
	char *out = NULL, *out2 = NULL;
	size_t olen = 0, olen2 = 0;
	sst_err err;
	int rc;

	rc = sst_manifest_parse(buf, len, "MANIFEST", &m, &err);
	FUZZ_CHECK(rc == SST_OK || rc == SST_EDATA);
	if (rc != SST_OK)
		return;
	check_rules(&m);
	FUZZ_CHECK(sst_manifest_format(&m, &out, &olen, &err) == SST_OK);
	FUZZ_CHECK(sst_manifest_parse((const uint8_t *)out, olen, "formatted", &back, &err) == SST_OK);
	same(&m, &back);
	FUZZ_CHECK(sst_manifest_format(&back, &out2, &olen2, &err) == SST_OK);
	FUZZ_CHECK(olen == olen2 && memcmp(out, out2, olen) == 0);
	free(out);
	free(out2);
	sst_manifest_free(&m);
	sst_manifest_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	size_t n;

	if (size < 1)
		return 0;
	if (!(data[0] & 1)) {
		check(data + 1, size - 1);
		return 0;
	}
	n = size - 1;
	if ((buf = malloc(n + 19)) == NULL)
		return 0;
	memcpy(buf, data + 1, n);
	snprintf((char *)buf + n, 19, "checksum %08" PRIx32 "\n", sst_checksum(buf, n, 0));
	check(buf, n + 18);
	free(buf);
	return 0;
}
