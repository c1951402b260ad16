/* test_err.c - the exit-status table of err.h and the JSON key writer of util.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "unit.h"
#include "util.h"

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
	test_utf8();
	test_json();
	UNIT_DONE();
}
