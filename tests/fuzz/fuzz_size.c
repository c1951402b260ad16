/*
 * fuzz_size.c - libFuzzer target for the argument parsers: SIZE
 * (sst_parse_size), integers (sst_parse_int), and the word options
 * (sst_fmt_parse, sst_wal_sync_parse, sst_strategy_parse,
 * sst_store_knob_set). The input is the argument string; its first bytes
 * also pick the range [min, max] asked for.
 *
 * Invariants: no crash; an accepted value lies in [min, max]; it prints back
 * (decimal, and with the largest exact K/M/G suffix) to a string that
 * parses to the same value; an all-digit string parses as strtoull does;
 * a word option accepts only its documented words.
 */
#include <errno.h>
#include <inttypes.h>

#include "fuzz_common.h"
#include "records.h"
#include "store.h"
#include "util.h"
#include "wal.h"

static const uint64_t bounds[] = {
	0, 1, 256, 1024, 4096, 1u << 20, 16u << 20, 64u << 20, UINT32_MAX,
	(uint64_t)INT64_MAX, UINT64_MAX,
};
#define NB (sizeof(bounds) / sizeof(bounds[0]))

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static void
check_size(const char *s, uint64_t min, uint64_t max)
{
	static const char sfx[] = { 'K', 'M', 'G' };
	uint64_t v, w;
	char buf[64];
	int i;

	if (sst_parse_size(s, min, max, &v) != 0)
		return;
	FUZZ_CHECK(v >= min && v <= max);
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	FUZZ_CHECK(sst_parse_size(buf, min, max, &w) == 0 && w == v);
	for (i = 2; i >= 0; i--) {
		uint64_t unit = (uint64_t)1 << (10 * (i + 1));

		if (v != 0 && v % unit == 0) {
			snprintf(buf, sizeof(buf), "%" PRIu64 "%c", v / unit, sfx[i]);
			FUZZ_CHECK(sst_parse_size(buf, min, max, &w) == 0 && w == v);
			break;
		}
	}
	if (all_digits(s)) {
		errno = 0;
		FUZZ_CHECK(strtoull(s, NULL, 10) == v && errno == 0);
	}
}

static void
check_int(const char *s, long long min, long long max)
{
	long long v, w;
	char buf[64];

	if (sst_parse_int(s, min, max, &v) != 0)
		return;
	FUZZ_CHECK(v >= min && v <= max);
	snprintf(buf, sizeof(buf), "%lld", v);
	FUZZ_CHECK(sst_parse_int(buf, min, max, &w) == 0 && w == v);
	if (all_digits(s)) {
		errno = 0;
		FUZZ_CHECK(strtoll(s, NULL, 10) == v && errno == 0);
	}
}

static void
check_words(const char *s)
{
	sst_store_knobs k;
	sst_err err;
	char name[64];
	const char *eq;
	int x;

	if (sst_fmt_parse(s, &x) == 0)
		FUZZ_CHECK((strcmp(s, "tsv") == 0 && x == SST_FMT_TSV) ||
		    (strcmp(s, "cdb") == 0 && x == SST_FMT_CDB));
	if (sst_wal_sync_parse(s, &x) == 0)
		FUZZ_CHECK(strcmp(s, "always") == 0 || strcmp(s, "batch") == 0 || strcmp(s, "none") == 0);
	if (sst_strategy_parse(s, &x) == 0)
		FUZZ_CHECK(strcmp(sst_strategy_name(x), s) == 0);
	sst_store_knobs_default(&k);
	if ((eq = strchr(s, '=')) != NULL && (size_t)(eq - s) < sizeof(name)) {
		memcpy(name, s, (size_t)(eq - s));
		name[eq - s] = '\0';
		x = sst_store_knob_set(&k, name, eq + 1, &err);
		FUZZ_CHECK(x == SST_OK || x == SST_EUSAGE);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t min, max;
	char *s;

	if (size < 1 || size > 256)
		return 0;
	min = bounds[(data[0] & 0x0f) % NB];
	max = bounds[(data[0] >> 4) % NB];
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	check_size(s, min, max);
	check_size(s, 0, UINT64_MAX);
	check_int(s, min > (uint64_t)INT64_MAX ? 0 : (long long)min,
	    max > (uint64_t)INT64_MAX ? INT64_MAX : (long long)max);
	check_int(s, INT64_MIN, INT64_MAX);
	check_int(s, -1000, 1000);
	check_words(s);
	free(s);
	return 0;
}
