/*
 * test_err.c - the exit-status table of err.h, the codes of the decoders and
 * parsers that keep err.h's convention without an sst_err, and the JSON key
 * writer of util.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "err.h"
#include "format.h"
#include "records.h"
#include "store.h"
#include "store_int.h"
#include "table_int.h"
#include "unit.h"
#include "util.h"
#include "wal.h"

static void
test_table(void)
{
	sst_err e;

	errno = ENOENT;
	CHECK_RC(sst_err_path(&e, "x.sst"), SST_ESYS);
	CHECK(e.code == SST_ESYS && strcmp(e.msg, "x.sst: No such file or directory") == 0);
	errno = EISDIR;
	CHECK_RC(sst_err_path(&e, "d"), SST_ESYS);
	CHECK(strcmp(e.msg, "d: Is a directory") == 0);
	CHECK_RC(sst_err_notwhat(&e, "d", "a store (no MANIFEST)"), SST_EDATA);
	CHECK(e.code == SST_EDATA && strcmp(e.msg, "d: not a store (no MANIFEST)") == 0);
	CHECK_RC(sst_err_arg(&e, "-k", "empty key"), SST_EUSAGE);
	CHECK(e.code == SST_EUSAGE && strcmp(e.msg, "-k: empty key") == 0);
	CHECK_RC(sst_err_data(&e, SST_STDIN_NAME ":2", "empty key"), SST_EDATA);
	CHECK(strcmp(e.msg, "-:2: empty key") == 0);
	/* what may be the message already in err */
	sst_error(&e, SST_EDATA, "unknown escape '\\q'");
	CHECK_RC(sst_err_data(&e, "-:7", e.msg), SST_EDATA);
	CHECK(strcmp(e.msg, "-:7: unknown escape '\\q'") == 0);
	sst_error(&e, SST_EDATA, "bad escape");
	CHECK_RC(sst_err_arg(&e, "--prefix", e.msg), SST_EUSAGE);
	CHECK(strcmp(e.msg, "--prefix: bad escape") == 0);
	errno = EPIPE;
	CHECK_RC(sst_err_write(&e, "stdout"), SST_ESYS);
	CHECK(strcmp(e.msg, "stdout: write: Broken pipe") == 0);
	CHECK_RC(sst_err_path(NULL, "x"), SST_ESYS);
	CHECK_RC(sst_err_notwhat(NULL, "x", "y"), SST_EDATA);
}

/* Decoders: SST_OK, or SST_EDATA with a detail string (never -1). */
static void
test_decoder_codes(void)
{
	static const uint8_t cut[] = { 0x80 }, one[] = { 0x05 }, handle[] = { 0x07, 0x80 };
	static const uint8_t bad_entry[] = { 0x00, 0x05, 0x00, 'a', 0, 0, 0, 0, 1, 0, 0, 0 };
	uint8_t foot[SST_FOOTER_SIZE] = { 0 };
	const uint8_t *p;
	const char *why = NULL;
	uint64_t v;
	sst_footer f;
	sst_handle h;
	sst_block blk;
	sst_block_iter it;

	p = one;
	CHECK_RC(sst_get_varint(&p, one + 1, &v), SST_OK);
	CHECK(v == 5 && p == one + 1);
	p = cut;
	CHECK_RC(sst_get_varint(&p, cut + 1, &v), SST_EDATA);
	CHECK_RC(sst_decode_handle(handle, sizeof(handle), &h), SST_EDATA);
	CHECK_RC(sst_block_init(&blk, bad_entry, 2, &why), SST_EDATA);
	CHECK(why != NULL && strcmp(why, "block too short") == 0);
	/* one restart at 0, an entry whose key runs past the block */
	CHECK_RC(sst_block_init(&blk, bad_entry, sizeof(bad_entry), &why), SST_OK);
	sst_block_iter_init(&it, &blk);
	why = NULL;
	CHECK_RC(sst_block_iter_first(&it, &why), SST_EDATA);
	CHECK(why != NULL && strcmp(why, "entry overruns block") == 0);
	why = NULL;
	CHECK_RC(sst_block_iter_seek(&it, (const uint8_t *)"b", 1, &why), SST_EDATA);
	CHECK(why != NULL);
	sst_block_iter_free(&it);
	why = NULL;
	CHECK_RC(sst_footer_decode(foot, sizeof(foot), 0, &f, &why), SST_EDATA);
	CHECK(why != NULL && strstr(why, "bad magic") != NULL);
}

/*
 * Varints: the inline one- and two-byte forms and the out-of-line rest
 * agree, round trip at every length boundary, and a varint cut short at
 * any byte is SST_EDATA.
 */
static void
test_varint(void)
{
	static const uint64_t vs[] = { 0, 1, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x3fff, 0x4000,
	    0x4001, 0x1fffff, 0x200000, 0xffffffffu, (uint64_t)1 << 63, UINT64_MAX };
	uint8_t b[12], c[12];
	const uint8_t *p;
	uint64_t v;
	size_t i, n, k;

	for (i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		n = sst_put_varint(b, vs[i]);
		CHECK(n == sst_varint_len(vs[i]));
		CHECK(sst_put_varint_any(c, vs[i]) == n && memcmp(b, c, n) == 0);
		p = b;
		CHECK_RC(sst_get_varint(&p, b + n, &v), SST_OK);
		CHECK(v == vs[i] && p == b + n);
		p = b;
		CHECK_RC(sst_get_varint_any(&p, b + n, &v), SST_OK);
		CHECK(v == vs[i] && p == b + n);
		for (k = 0; k < n; k++) {
			p = b;
			CHECK_RC(sst_get_varint(&p, b + k, &v), SST_EDATA);
			CHECK(p == b);
		}
	}
	/* two bytes, the second one 0: not the shortest form, read as 0 as before */
	b[0] = 0x80;
	b[1] = 0x00;
	p = b;
	CHECK_RC(sst_get_varint(&p, b + 2, &v), SST_OK);
	CHECK(v == 0 && p == b + 2);
}

/* Parsers of one word or number: SST_OK or SST_EDATA (the caller says what). */
static void
test_parser_codes(void)
{
	uint64_t u;
	long long ll;
	int x;

	CHECK_RC(sst_parse_size("4K", 0, UINT64_MAX, &u), SST_OK);
	CHECK(u == 4096);
	CHECK_RC(sst_parse_size("4Q", 0, UINT64_MAX, &u), SST_EDATA);
	CHECK_RC(sst_parse_size("9", 10, 20, &u), SST_EDATA);
	CHECK_RC(sst_parse_int("-3", -5, 5, &ll), SST_OK);
	CHECK_RC(sst_parse_int("", -5, 5, &ll), SST_EDATA);
	CHECK_RC(sst_fmt_parse("csv", &x), SST_EDATA);
	CHECK_RC(sst_wal_sync_parse("sometimes", &x), SST_EDATA);
	CHECK_RC(sst_wal_sync_parse("none", &x), SST_OK);
	CHECK_RC(sst_strategy_parse("tiered", &x), SST_EDATA);
	CHECK_RC(sst_strategy_parse("leveled", &x), SST_OK);
	CHECK_RC(sst_store_table_number("000012.sst", 10, &u), SST_OK);
	CHECK(u == 12);
	CHECK_RC(sst_store_table_number("12.sst", 6, &u), SST_EDATA);
}

static void
test_utf8(void)
{
	static const struct { const char *s; size_t n, want; } c[] = {
		{ "a", 1, 1 }, { "\xc3\xa9", 2, 2 }, { "\xe6\x97\xa5", 3, 3 },
		{ "\xf0\x9f\x98\x80", 4, 4 }, { "\xf4\x8f\xbf\xbf", 4, 4 },
		{ "\xc3", 1, 0 },		/* cut */
		{ "\x80", 1, 0 },		/* stray continuation */
		{ "\xc0\xaf", 2, 0 },		/* overlong '/' */
		{ "\xe0\x80\xaf", 3, 0 },	/* overlong */
		{ "\xf0\x80\x80\xaf", 4, 0 },	/* overlong */
		{ "\xed\xa0\x80", 3, 0 },	/* surrogate */
		{ "\xf4\x90\x80\x80", 4, 0 },	/* over U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, 0 },
		{ "\xc3\x28", 2, 0 },
		{ "", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		CHECK(sst_utf8_len((const uint8_t *)c[i].s, c[i].n) == c[i].want);
}

static void
json(char *out, size_t size, const char *s, size_t n, int hex)
{
	FILE *f = fmemopen(out, size, "w");

	if (f == NULL)
		abort();
	if (hex)
		sst_json_hex(f, (const uint8_t *)s, n);
	else
		sst_json_str(f, (const uint8_t *)s, n);
	fclose(f);
}

static void
test_json(void)
{
	char out[256];

	json(out, sizeof(out), "caf\xc3\xa9", 5, 0);
	CHECK(strcmp(out, "\"caf\xc3\xa9\"") == 0);
	json(out, sizeof(out), "a\"b\\c\td\x7f", 8, 0);
	CHECK(strcmp(out, "\"a\\\"b\\\\c\\u0009d\\u007f\"") == 0);
	json(out, sizeof(out), "\0x", 2, 0);
	CHECK(strcmp(out, "\"\\u0000x\"") == 0);
	/* ill-formed bytes: one U+FFFD each, the rest kept */
	json(out, sizeof(out), "a\xff\xc3" "b\xed\xa0\x80\xe6\x97\xa5", 10, 0);
	CHECK(strcmp(out, "\"a\\ufffd\\ufffdb\\ufffd\\ufffd\\ufffd\xe6\x97\xa5\"") == 0);
	json(out, sizeof(out), "\x00\xff" "a", 3, 1);
	CHECK(strcmp(out, "\"00ff61\"") == 0);
}

int
main(void)
{
	test_table();
	test_decoder_codes();
	test_varint();
	test_parser_codes();
	test_utf8();
	test_json();
	UNIT_DONE();
}
