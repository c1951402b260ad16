/*
 * test_split.c - split files (lib/splitfile), the sampler and the choice
 * of cuts (lib/sampler), and the set of tables cut at keys (lib/splitw).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sampler.h"
#include "splitfile.h"
#include "splitw.h"
#include "table.h"
#include "unit.h"
#include "util.h"

static int
parse_str(sst_splits *s, const char *text, sst_err *e)
{
	return sst_splits_parse(s, (const uint8_t *)text, strlen(text), "sp", e);
}

static int
key_is(const sst_splits *s, size_t i, const void *want, size_t n)
{
	size_t kl;
	const uint8_t *k = sst_splits_key(s, i, &kl);

	return kl == n && memcmp(k, want, n) == 0;
}

static void
test_parse(void)
{
	sst_splits s;
	sst_err e;

	CHECK_RC(parse_str(&s, "", &e), SST_OK);
	CHECK(s.n == 0);
	sst_splits_free(&s);
	CHECK_RC(parse_str(&s, "b\nd\\x00\nd\\x01", &e), SST_OK);	/* no final LF */
	CHECK(s.n == 3);
	CHECK(key_is(&s, 0, "b", 1) && key_is(&s, 1, "d\0", 2) && key_is(&s, 2, "d\1", 2));
	CHECK(sst_splits_part(&s, (const uint8_t *)"a", 1) == 0);
	CHECK(sst_splits_part(&s, (const uint8_t *)"b", 1) == 1);
	CHECK(sst_splits_part(&s, (const uint8_t *)"d", 1) == 1);
	CHECK(sst_splits_part(&s, (const uint8_t *)"d\0", 2) == 2);
	CHECK(sst_splits_part(&s, (const uint8_t *)"z", 1) == 3);
	sst_splits_free(&s);
	CHECK_RC(parse_str(&s, "a\\tb\\n\\\\\r\n", &e), SST_OK);	/* a raw CR is a byte */
	CHECK(s.n == 1 && key_is(&s, 0, "a\tb\n\\\r", 6));
	sst_splits_free(&s);

	CHECK_RC(parse_str(&s, "a\nb\nb\n", &e), SST_EDATA);
	CHECK(strncmp(e.msg, "sp:3: ", 6) == 0 && strstr(e.msg, "strictly increase") != NULL);
	CHECK(s.keys == NULL && s.off == NULL);
	CHECK_RC(parse_str(&s, "b\na\n", &e), SST_EDATA);
	CHECK(strncmp(e.msg, "sp:2: ", 6) == 0);
	CHECK_RC(parse_str(&s, "a\n\nb\n", &e), SST_EDATA);
	CHECK(strncmp(e.msg, "sp:2: empty", 11) == 0);
	CHECK_RC(parse_str(&s, "a\nb\\q\n", &e), SST_EDATA);
	CHECK(strncmp(e.msg, "sp:2: ", 6) == 0 && strstr(e.msg, "escape") != NULL);
	CHECK_RC(parse_str(&s, "a\\x4\n", &e), SST_EDATA);
	CHECK(strncmp(e.msg, "sp:1: ", 6) == 0);
	CHECK_RC(parse_str(&s, "a\\", &e), SST_EDATA);
	CHECK_RC(parse_str(&s, "a\t12\n", &e), SST_EDATA);	/* a sample line */
	CHECK(strncmp(e.msg, "sp:1: ", 6) == 0 && strstr(e.msg, "TAB") != NULL);
	CHECK_RC(sst_splits_read(&s, "/nonexistent/sp", &e), SST_ESYS);
}

static int
cmp_key(const void *a, const void *b)
{
	const uint8_t *x = *(uint8_t *const *)a, *y = *(uint8_t *const *)b;

	return sst_keycmp(x + 1, x[0], y + 1, y[0]);
}

/* Random binary keys (every byte value) written and parsed back. */
static void
test_roundtrip(void)
{
	uint8_t *k[300];
	size_t n = 0, i, j, len;
	uint64_t st = 42;
	char *buf = NULL;
	size_t blen = 0;
	FILE *f;
	sst_splits s;
	sst_err e;

	for (i = 0; i < 300; i++) {
		k[i] = malloc(17);
		k[i][0] = (uint8_t)(1 + sst_splitmix64(&st) % 16);
		for (j = 1; j <= k[i][0]; j++)
			k[i][j] = (uint8_t)(i < 256 && j == 1 ? i : sst_splitmix64(&st));
	}
	qsort(k, 300, sizeof(k[0]), cmp_key);
	f = open_memstream(&buf, &blen);
	for (i = 0; i < 300; i++)
		if (n == 0 || cmp_key(&k[n - 1], &k[i]) != 0) {
			k[n++] = k[i];
			CHECK_RC(sst_splits_write_key(f, k[n - 1] + 1, k[n - 1][0], &e), SST_OK);
		} else {
			free(k[i]);
		}
	fclose(f);
	CHECK_RC(sst_splits_parse(&s, (uint8_t *)buf, blen, "rt", &e), SST_OK);
	CHECK(s.n == n);
	for (i = 0; i < n && i < s.n; i++) {
		len = k[i][0];
		CHECK(key_is(&s, i, k[i] + 1, len));
	}
	sst_splits_free(&s);
	for (i = 0; i < n; i++)
		free(k[i]);
	free(buf);
}

/* Writes a sampler's sample; returns its lines and the sum of BYTES. */
static char *
sample_text(sst_sampler *s, uint64_t *sum, size_t *lines)
{
	char *buf = NULL, *p, *tab;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	sst_err e;

	CHECK_RC(sst_sampler_write(s, f, &e), SST_OK);
	fclose(f);
	*sum = 0;
	*lines = 0;
	for (p = buf; *p; p = strchr(p, '\n') + 1) {
		tab = strchr(p, '\t');
		*sum += strtoull(tab + 1, NULL, 10);
		(*lines)++;
	}
	return buf;
}

static sst_sampler *
sample_range(size_t count, uint64_t seed, int nrec, int dups)
{
	sst_sampler *s;
	sst_err e;
	char k[32];
	int i, n;

	if (sst_sampler_new(&s, count, seed, &e) != SST_OK)
		abort();
	for (i = 0; i < nrec; i++) {
		n = snprintf(k, sizeof(k), "key%07d", dups ? i % 3 : i);
		if (sst_sampler_add(s, (uint8_t *)k, (size_t)n, (uint64_t)n + (uint64_t)(i % 7), &e) != SST_OK)
			CHECK(!"sst_sampler_add");
	}
	return s;
}

static void
test_sampler(void)
{
	sst_sampler *a, *b, *c;
	char *ta, *tb, *tc;
	uint64_t sum, total;
	size_t lines, i, first_half = 0;
	char *p;

	/* bounded: at most COUNT kept, all of them while fewer are seen */
	a = sample_range(100, 7, 50, 0);
	CHECK(sst_sampler_kept(a) == 50 && sst_sampler_seen(a) == 50);
	sst_sampler_free(&a);
	a = sample_range(100, 7, 100000, 0);
	CHECK(sst_sampler_kept(a) == 100 && sst_sampler_seen(a) == 100000);
	total = sst_sampler_bytes(a);
	/* deterministic for a seed, different for another */
	b = sample_range(100, 7, 100000, 0);
	c = sample_range(100, 8, 100000, 0);
	ta = sample_text(a, &sum, &lines);
	CHECK(sum == total && lines == 100);	/* weights sum to the input's bytes */
	tb = sample_text(b, &sum, &lines);
	tc = sample_text(c, &sum, &lines);
	CHECK(strcmp(ta, tb) == 0);
	CHECK(strcmp(ta, tc) != 0);
	CHECK(sum == total);
	/* about uniform: of 100 keys out of 0..99999, 30..70 below 50000 */
	for (p = ta, i = 0; *p; p = strchr(p, '\n') + 1, i++)
		if (strncmp(p, "key005", 6) < 0)
			first_half++;
	CHECK(first_half >= 30 && first_half <= 70);
	/* keys in order, strictly increasing */
	for (p = ta; strchr(p, '\n')[1]; p = strchr(p, '\n') + 1)
		CHECK(strncmp(p, strchr(p, '\n') + 1, 10) < 0);
	free(ta);
	free(tb);
	free(tc);
	sst_sampler_free(&a);
	sst_sampler_free(&b);
	sst_sampler_free(&c);
	/* equal keys are one line with their weights added */
	a = sample_range(10, 1, 1000, 1);
	ta = sample_text(a, &sum, &lines);
	CHECK(lines == 3 && sum == sst_sampler_bytes(a));
	free(ta);
	sst_sampler_free(&a);
	/* an empty input: no line */
	a = sample_range(10, 1, 0, 0);
	ta = sample_text(a, &sum, &lines);
	CHECK(lines == 0 && sum == 0);
	free(ta);
	sst_sampler_free(&a);
}

static sst_sample_set *
set_of(const char *const *keys, const uint64_t *w, size_t n)
{
	sst_sample_set *ss;
	sst_err e;
	size_t i;

	if (sst_sample_set_new(&ss, &e) != SST_OK)
		abort();
	for (i = 0; i < n; i++)
		CHECK_RC(sst_sample_set_add(ss, (const uint8_t *)keys[i], strlen(keys[i]), w[i], &e), SST_OK);
	return ss;
}

static void
test_cuts(void)
{
	static const char *const k10[] = { "j", "i", "h", "g", "f", "e", "d", "c", "b", "a" };
	static const uint64_t w1[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	static const uint64_t wskew[] = { 1, 1, 1, 1, 1, 45, 1, 1, 1, 1 };	/* "e": half */
	static const char *const dup[] = { "x", "x", "y", "x" };
	static const uint64_t wdup[] = { 5, 5, 5, 5 };
	sst_sample_set *ss;
	sst_splits c;
	sst_err e;
	size_t i;

	ss = set_of(k10, w1, 10);
	CHECK_RC(sst_sample_set_cuts(ss, 5, &c, &e), SST_OK);
	CHECK(c.n == 4 && key_is(&c, 0, "c", 1) && key_is(&c, 1, "e", 1) &&
	    key_is(&c, 2, "g", 1) && key_is(&c, 3, "i", 1));
	sst_splits_free(&c);
	CHECK_RC(sst_sample_set_cuts(ss, 1, &c, &e), SST_OK);
	CHECK(c.n == 0);
	sst_splits_free(&c);
	CHECK_RC(sst_sample_set_cuts(ss, 100, &c, &e), SST_OK);	/* too few keys: 9 cuts */
	CHECK(c.n == 9 && key_is(&c, 0, "b", 1) && key_is(&c, 8, "j", 1));
	sst_splits_free(&c);
	sst_sample_set_free(&ss);

	ss = set_of(k10, wskew, 10);
	CHECK_RC(sst_sample_set_cuts(ss, 4, &c, &e), SST_OK);
	CHECK(c.n >= 1 && c.n <= 3);
	for (i = 1; i < c.n; i++) {
		size_t al, bl;
		const uint8_t *a = sst_splits_key(&c, i - 1, &al), *b = sst_splits_key(&c, i, &bl);

		CHECK(sst_keycmp(a, al, b, bl) < 0);
	}
	CHECK(key_is(&c, 0, "e", 1) || key_is(&c, 1, "e", 1));	/* the heavy key starts a part */
	sst_splits_free(&c);
	sst_sample_set_free(&ss);

	ss = set_of(dup, wdup, 4);	/* x: 15, y: 5 - two distinct keys, one cut at most */
	CHECK_RC(sst_sample_set_cuts(ss, 8, &c, &e), SST_OK);
	CHECK(c.n == 1 && key_is(&c, 0, "y", 1));
	sst_splits_free(&c);
	sst_sample_set_free(&ss);
	ss = set_of(dup, wdup, 1);
	CHECK_RC(sst_sample_set_cuts(ss, 8, &c, &e), SST_OK);
	CHECK(c.n == 0);
	sst_splits_free(&c);
	sst_sample_set_free(&ss);
}

static uint64_t
table_records(const char *path)
{
	sst_table *t;
	sst_props p;
	sst_err e;
	uint64_t n = UINT64_MAX;

	if (sst_table_open(&t, path, &e) != SST_OK)
		return n;
	if (sst_table_props(t, &p, &e) == SST_OK)
		n = p.records;
	sst_table_close(&t);
	return n;
}

static void
test_splitw(void)
{
	char out[512], part[600];
	const char *dir = unit_tmpdir();
	sst_table_opts o;
	sst_splits s;
	sst_splitw *w;
	sst_rec r = { NULL, 1, (const uint8_t *)"v", 1, SST_PUT };
	sst_err e;
	struct stat st;
	char *name;
	static const char *const keys[] = { "a", "b", "c", "m", "n", "z" };
	static const uint64_t want[] = { 2, 1, 0, 1, 2 };	/* cut at c, d, m, n */
	size_t i;

	name = sst_part_name("x/day.sst", 0, 0, "");
	CHECK(strcmp(name, "x/day-0001.sst") == 0);
	free(name);
	name = sst_part_name("x.y/day", 12344, 1, ".part");
	CHECK(strcmp(name, "x.y/.day-12345.part") == 0);
	free(name);

	sst_table_opts_default(&o);
	CHECK_RC(parse_str(&s, "c\nd\nm\nn\n", &e), SST_OK);
	snprintf(out, sizeof(out), "%s/t.sst", dir);
	CHECK_RC(sst_splitw_open(&w, out, &s, &o, &e), SST_OK);
	CHECK(sst_splitw_parts(w) == 5);
	for (i = 0; i < 6; i++) {
		r.key = (const uint8_t *)keys[i];
		CHECK_RC(sst_splitw_add(w, &r, &e), SST_OK);
	}
	CHECK_RC(sst_splitw_finish(&w, &e), SST_OK);
	CHECK(w == NULL);
	for (i = 0; i < 5; i++) {
		snprintf(part, sizeof(part), "%s/t-%04zu.sst", dir, i + 1);
		CHECK(table_records(part) == want[i]);
		unlink(part);
	}
	/* a failure (key out of order) after parts were done leaves none */
	CHECK_RC(sst_splitw_open(&w, out, &s, &o, &e), SST_OK);
	r.key = (const uint8_t *)"n";
	CHECK_RC(sst_splitw_add(w, &r, &e), SST_OK);
	r.key = (const uint8_t *)"a";
	CHECK(sst_splitw_add(w, &r, &e) == SST_EDATA);
	sst_splitw_abort(&w);
	for (i = 0; i < 5; i++) {
		snprintf(part, sizeof(part), "%s/t-%04zu.sst", dir, i + 1);
		CHECK(stat(part, &st) != 0);
		snprintf(part, sizeof(part), "%s/.t-%04zu.sst.part", dir, i + 1);
		CHECK(stat(part, &st) != 0);
	}
	sst_splits_free(&s);

	/* cut by size: a part ends at the size; no record: one empty part */
	o.compression = SST_COMP_NONE;
	o.bloom_bits = 0;
	CHECK_RC(sst_splitw_open_size(&w, out, 1, &o, &e), SST_OK);
	CHECK(sst_splitw_parts(w) == 0);
	for (i = 0; i < 3; i++) {
		r.key = (const uint8_t *)keys[i];
		CHECK_RC(sst_splitw_add(w, &r, &e), SST_OK);
	}
	CHECK(sst_splitw_parts(w) == 3);
	CHECK_RC(sst_splitw_finish(&w, &e), SST_OK);
	for (i = 0; i < 3; i++) {
		snprintf(part, sizeof(part), "%s/t-%04zu.sst", dir, i + 1);
		CHECK(table_records(part) == 1);
		unlink(part);
	}
	snprintf(part, sizeof(part), "%s/t-0004.sst", dir);
	CHECK(stat(part, &st) != 0);
	CHECK_RC(sst_splitw_open_size(&w, out, 1u << 20, &o, &e), SST_OK);
	CHECK_RC(sst_splitw_finish(&w, &e), SST_OK);
	snprintf(part, sizeof(part), "%s/t-0001.sst", dir);
	CHECK(table_records(part) == 0);
	unlink(part);
	/* a failure after a finished part leaves none */
	CHECK_RC(sst_splitw_open_size(&w, out, 1, &o, &e), SST_OK);
	r.key = (const uint8_t *)"n";
	CHECK_RC(sst_splitw_add(w, &r, &e), SST_OK);
	r.key = (const uint8_t *)"z";
	CHECK_RC(sst_splitw_add(w, &r, &e), SST_OK);
	sst_splitw_abort(&w);
	CHECK(w == NULL);
	for (i = 0; i < 3; i++) {
		snprintf(part, sizeof(part), "%s/t-%04zu.sst", dir, i + 1);
		CHECK(stat(part, &st) != 0);
	}
	rmdir(dir);
}

int
main(void)
{
	test_parse();
	test_roundtrip();
	test_sampler();
	test_cuts();
	test_splitw();
	UNIT_DONE();
}
