/*
 * test_records.c - the tsv and cdb record formats: parsing rules, escapes,
 * limits, error locations, the writer, and random round trips.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_progress.h"
#include "records.h"
#include "unit.h"
#include "util.h"

struct r1 {
	int kind;
	uint8_t *k, *v;
	size_t kl, vl;
};

struct recs {
	struct r1 *a;
	size_t n, cap;
};

static void
recs_free(struct recs *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->a[i].k);
		free(rs->a[i].v);
	}
	free(rs->a);
	memset(rs, 0, sizeof(*rs));
}

static uint8_t *
dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	if (q == NULL)
		abort();
	if (n)
		memcpy(q, p, n);
	return q;
}

static void
recs_add(struct recs *rs, int kind, const void *k, size_t kl, const void *v, size_t vl)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 16;
		rs->a = realloc(rs->a, rs->cap * sizeof(*rs->a));
		if (rs->a == NULL)
			abort();
	}
	rs->a[rs->n].kind = kind;
	rs->a[rs->n].k = dup_bytes(k, kl);
	rs->a[rs->n].kl = kl;
	rs->a[rs->n].v = dup_bytes(v, vl);
	rs->a[rs->n].vl = vl;
	rs->n++;
}

static int
recs_eq(const struct recs *a, const struct recs *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct r1 *x = &a->a[i], *y = &b->a[i];

		if (x->kind != y->kind || x->kl != y->kl || x->vl != y->vl ||
		    memcmp(x->k, y->k, x->kl) != 0 ||
		    (x->vl && memcmp(x->v, y->v, x->vl) != 0))
			return 0;
	}
	return 1;
}

static int
read_all(const char *path, int fmt, int esc, int del, struct recs *out, sst_err *err)
{
	sst_rec_opts o = { fmt, esc, del };
	sst_reader *r;
	sst_rec rec;
	int eof, rc;

	memset(out, 0, sizeof(*out));
	if ((rc = sst_reader_open(&r, path, &o, err)) != SST_OK)
		return rc;
	for (;;) {
		if ((rc = sst_reader_next(r, &rec, &eof, err)) != SST_OK || eof)
			break;
		if (rec.klen == 0 || (rec.vlen > 0 && rec.val == NULL))
			abort();
		recs_add(out, rec.kind, rec.key, rec.klen, rec.val, rec.vlen);
	}
	sst_reader_close(&r);
	return rc;
}

/* Parses a string as file content; returns the code. */
static int
parse(const char *content, size_t n, int fmt, int esc, int del, struct recs *out, sst_err *err)
{
	const char *p = unit_path("in");

	unit_put_file(p, content, n);
	return read_all(p, fmt, esc, del, out, err);
}

#define PARSE(s, fmt, esc, del, out, err) parse((s), sizeof(s) - 1, fmt, esc, del, out, err)

static int
has(const struct recs *rs, size_t i, int kind, const char *k, size_t kl, const char *v, size_t vl)
{
	const struct r1 *x;

	if (i >= rs->n)
		return 0;
	x = &rs->a[i];
	return x->kind == kind && x->kl == kl && x->vl == vl &&
	    memcmp(x->k, k, kl) == 0 && (vl == 0 || memcmp(x->v, v, vl) == 0);
}

#define HAS(rs, i, kind, k, v) has(rs, i, kind, k, sizeof(k) - 1, v, sizeof(v) - 1)

static void
test_tsv_basic(void)
{
	struct recs rs;
	sst_err e;

	CHECK_RC(PARSE("a\tb\nc\n", SST_FMT_TSV, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 2 && HAS(&rs, 0, SST_PUT, "a", "b") && HAS(&rs, 1, SST_PUT, "c", ""));
	recs_free(&rs);

	CHECK_RC(PARSE("k\tv1\tv2\t\n", SST_FMT_TSV, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 1 && HAS(&rs, 0, SST_PUT, "k", "v1\tv2\t"));
	recs_free(&rs);

	CHECK_RC(PARSE("a\tb\nlast\tno lf", SST_FMT_TSV, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 2 && HAS(&rs, 1, SST_PUT, "last", "no lf"));
	recs_free(&rs);

	CHECK_RC(PARSE("k\t\n", SST_FMT_TSV, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 1 && HAS(&rs, 0, SST_PUT, "k", ""));
	recs_free(&rs);

	/* CR is data */
	CHECK_RC(PARSE("a\r\tb\r\nc\r\n", SST_FMT_TSV, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 2 && HAS(&rs, 0, SST_PUT, "a\r", "b\r") && HAS(&rs, 1, SST_PUT, "c\r", ""));
	recs_free(&rs);

	/* one byte, no LF */
	CHECK_RC(PARSE("x", SST_FMT_TSV, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 1 && HAS(&rs, 0, SST_PUT, "x", ""));
	recs_free(&rs);

	/* empty file */
	CHECK_RC(parse("", 0, SST_FMT_TSV, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 0);
	recs_free(&rs);
	CHECK_RC(parse("", 0, SST_FMT_CDB, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 0);
	recs_free(&rs);

	/* binary bytes, NUL included, as they are */
	CHECK_RC(PARSE("\x00\xff\t\x01\\n\n", SST_FMT_TSV, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 1 && HAS(&rs, 0, SST_PUT, "\x00\xff", "\x01\\n"));
	recs_free(&rs);

	/* empty keys */
	CHECK_RC(PARSE("a\tb\n\nc\td\n", SST_FMT_TSV, 0, 0, &rs, &e), SST_EDATA);
	CHECK(strstr(e.msg, "/in:2: empty key") != NULL);
	recs_free(&rs);
	CHECK_RC(PARSE("a\n\tv\n", SST_FMT_TSV, 0, 0, &rs, &e), SST_EDATA);
	CHECK(strstr(e.msg, ":2: empty key") != NULL);
	recs_free(&rs);
	CHECK_RC(PARSE("a\tb\n\n", SST_FMT_TSV, 0, 0, &rs, &e), SST_EDATA);
	CHECK(strstr(e.msg, ":2:") != NULL);
	recs_free(&rs);
	CHECK_RC(PARSE("\n", SST_FMT_TSV, 0, 0, &rs, &e), SST_EDATA);
	CHECK(strstr(e.msg, ":1: empty key") != NULL);
	recs_free(&rs);
	CHECK_RC(PARSE("\\x\t\n", SST_FMT_TSV, 1, 0, &rs, &e), SST_EDATA);
	recs_free(&rs);

	/* --delete */
	CHECK_RC(PARSE("a\tb\nc\n", SST_FMT_TSV, 0, 1, &rs, &e), SST_OK);
	CHECK(rs.n == 2 && HAS(&rs, 0, SST_DEL, "a", "") && HAS(&rs, 1, SST_DEL, "c", ""));
	recs_free(&rs);
	CHECK_RC(PARSE("a\\t\tb\\q\n", SST_FMT_TSV, 1, 1, &rs, &e), SST_OK);
	CHECK(rs.n == 1 && HAS(&rs, 0, SST_DEL, "a\t", ""));
	recs_free(&rs);
}

static void
test_where(void)
{
	sst_rec_opts o = { SST_FMT_TSV, 0, 0 };
	sst_reader *r;
	sst_rec rec;
	sst_err e;
	int eof;
	char want[600];

	unit_put_file(unit_path("w"), "a\tb\nc\td\n", 8);
	CHECK_RC(sst_reader_open(&r, unit_path("w"), &o, &e), SST_OK);
	CHECK_RC(sst_reader_next(r, &rec, &eof, &e), SST_OK);
	CHECK_RC(sst_reader_next(r, &rec, &eof, &e), SST_OK);
	snprintf(want, sizeof(want), "%s:2", unit_path("w"));
	CHECK(strcmp(sst_reader_where(r), want) == 0);
	CHECK(sst_reader_line(r) == 2);
	CHECK(sst_reader_total(r) == 8);
	CHECK_RC(sst_reader_next(r, &rec, &eof, &e), SST_OK);
	CHECK(eof == 1);
	CHECK_RC(sst_reader_next(r, &rec, &eof, &e), SST_OK);
	CHECK(eof == 1);
	if (sst_reader_bytes_in(r) != 8) fprintf(stderr, "bytes_in %llu\n", (unsigned long long)sst_reader_bytes_in(r));
	CHECK(sst_reader_bytes_in(r) == 8);
	sst_reader_close(&r);
	CHECK(r == NULL);
	sst_reader_close(&r);

	o.fmt = SST_FMT_CDB;
	unit_put_file(unit_path("w"), "+1,1:a->b\n-1:c\n", 15);
	CHECK_RC(sst_reader_open(&r, unit_path("w"), &o, &e), SST_OK);
	CHECK_RC(sst_reader_next(r, &rec, &eof, &e), SST_OK);
	CHECK_RC(sst_reader_next(r, &rec, &eof, &e), SST_OK);
	snprintf(want, sizeof(want), "%s@10", unit_path("w"));
	CHECK(strcmp(sst_reader_where(r), want) == 0);
	CHECK(rec.kind == SST_DEL && rec.klen == 1 && rec.key[0] == 'c');
	sst_reader_close(&r);

	CHECK(sst_reader_open(&r, unit_path("no-such-file"), &o, &e) == SST_ESYS);
	CHECK(r == NULL && strstr(e.msg, "no-such-file") != NULL);
	CHECK(sst_reader_open(&r, unit_tmpdir(), &o, &e) == SST_ESYS);
	CHECK(r == NULL && strstr(e.msg, unit_tmpdir()) != NULL);
}

static void
test_escapes(void)
{
	struct recs rs;
	sst_err e;
	sst_buf b = SST_BUF_INIT;

	CHECK_RC(PARSE("a\\tb\\\\\t\\n\\r\\0\\\\\\x41\\xfF\\x00z\tq\n", SST_FMT_TSV, 1, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 1 && HAS(&rs, 0, SST_PUT, "a\tb\\", "\n\r\0\\A\xff\0z\tq"));
	recs_free(&rs);

	/* without -e the backslashes are bytes */
	CHECK_RC(PARSE("a\\tb\t\\n\n", SST_FMT_TSV, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 1 && HAS(&rs, 0, SST_PUT, "a\\tb", "\\n"));
	recs_free(&rs);

	/* an escaped TAB is not the separator; \0 alone is a key */
	CHECK_RC(PARSE("\\0\n", SST_FMT_TSV, 1, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 1 && HAS(&rs, 0, SST_PUT, "\0", ""));
	recs_free(&rs);

	static const char *bad[] = {
		"a\tb\nk\\q\tv\n", "a\tb\nk\tv\\\n", "a\tb\nk\\x4\tv\n", "a\tb\nk\\xg0\n",
		"a\tb\nk\t\\x\n", "a\tb\nk\\\n", "a\tb\nk\\ \n", "a\tb\nk\\\x01\n",
		"a\tb\nk\\N\n", "a\tb\nk\\T\n", "a\tb\nk\\x4",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = '\0';
		CHECK_RC(parse(bad[i], strlen(bad[i]), SST_FMT_TSV, 1, 0, &rs, &e), SST_EDATA);
		CHECK(strstr(e.msg, "/in:2: ") != NULL);
		CHECK(rs.n == 1);
		recs_free(&rs);
	}

	/* an empty key after decoding? "\\" decodes to one byte: not empty. */
	CHECK_RC(sst_unescape((const uint8_t *)"x\\\\y", 4, &b, &e), SST_OK);
	CHECK(b.len == 3 && memcmp(b.p, "x\\y", 3) == 0);
	CHECK_RC(sst_unescape((const uint8_t *)"", 0, &b, &e), SST_OK);
	CHECK(b.len == 0);
	CHECK_RC(sst_unescape((const uint8_t *)"\\", 1, &b, &e), SST_EDATA);
	CHECK_RC(sst_unescape((const uint8_t *)"\\x1", 3, &b, &e), SST_EDATA);
	CHECK_RC(sst_unescape((const uint8_t *)"\\xZZ", 4, &b, &e), SST_EDATA);
	CHECK_RC(sst_unescape((const uint8_t *)"\\a", 2, &b, &e), SST_EDATA);
	sst_buf_free(&b);
}

static void
test_cdb(void)
{
	struct recs rs;
	sst_err e;

	CHECK_RC(PARSE("+1,1:a->b\n-2:cd\n+3,0:xyz->\n+2,3:\n\t->\0-\n\n", SST_FMT_CDB, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 4 && HAS(&rs, 0, SST_PUT, "a", "b") && HAS(&rs, 1, SST_DEL, "cd", "") &&
	    HAS(&rs, 2, SST_PUT, "xyz", "") && HAS(&rs, 3, SST_PUT, "\n\t", "\0-\n"));
	recs_free(&rs);

	/* no end marker; the end marker ends the input */
	CHECK_RC(PARSE("+1,1:a->b\n", SST_FMT_CDB, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 1);
	recs_free(&rs);
	CHECK_RC(PARSE("+1,1:a->b\n\n+1,1:c->d\ngarbage", SST_FMT_CDB, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 1 && HAS(&rs, 0, SST_PUT, "a", "b"));
	recs_free(&rs);
	CHECK_RC(PARSE("\n", SST_FMT_CDB, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 0);
	recs_free(&rs);

	/* --delete */
	CHECK_RC(PARSE("+1,1:a->b\n-1:c\n", SST_FMT_CDB, 0, 1, &rs, &e), SST_OK);
	CHECK(rs.n == 2 && HAS(&rs, 0, SST_DEL, "a", "") && HAS(&rs, 1, SST_DEL, "c", ""));
	recs_free(&rs);

	/* -e has no effect on cdb */
	CHECK_RC(PARSE("+2,2:\\t->\\n\n", SST_FMT_CDB, 1, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 1 && HAS(&rs, 0, SST_PUT, "\\t", "\\n"));
	recs_free(&rs);

	static const char *bad[] = {
		"+1,1:a-b\n", "+1,1:a->bX", "+1,1:a->b", "+x,1:a->b\n", "*1,1:a->b\n",
		"+1,1:a->", "+0,1:->b\n", "-0:\n", "+1:a->b\n", "-1,1:a\n", "+1,1;a->b\n",
		"+1,1:a->bc\n", "+2,1:a->b\n", "+1", "+", "-", "-1:a", "-1:ab\n",
		"+,1:a->b\n", "+1,:a->\n", "+-1,1:a->b\n", "+ 1,1:a->b\n",
		"+65537,0:", "+1,67108865:a->", "+99999999999,0:", "+1,99999999999:a",
		"+00000000001,1:a->b\n", "a\n", "\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "+1,1:k->v\n%s", bad[i]);
		e.msg[0] = '\0';
		CHECK_RC(parse(buf, strlen(buf), SST_FMT_CDB, 0, 0, &rs, &e), SST_EDATA);
		if (strstr(e.msg, "/in@10: ") == NULL)
			fprintf(stderr, "case %zu: %s\n", i, e.msg);
		CHECK(strstr(e.msg, "/in@10: ") != NULL);
		CHECK(rs.n == 1);
		recs_free(&rs);
	}
	CHECK_RC(PARSE("+65537,0:", SST_FMT_CDB, 0, 0, &rs, &e), SST_EDATA);
	CHECK(strstr(e.msg, "65537") != NULL);
	recs_free(&rs);
}

static void
test_limits(void)
{
	size_t big = SST_MAX_VALUE, kmax = SST_MAX_KEY;
	uint8_t *buf = malloc(big + kmax + 64);
	struct recs rs;
	sst_err e;
	size_t n;

	if (buf == NULL)
		abort();
	/* a 65536-byte key and a 64 MiB value, tsv */
	memset(buf, 'k', kmax);
	buf[kmax] = '\t';
	for (size_t i = 0; i < 23; i++)
		buf[kmax + 1 + i] = (uint8_t)('a' + i);
	for (size_t n23 = 23; n23 < big; n23 *= 2)
		memcpy(buf + kmax + 1 + n23, buf + kmax + 1, n23 * 2 > big ? big - n23 : n23);
	buf[kmax + 1 + big] = '\n';
	CHECK_RC(parse((char *)buf, kmax + big + 2, SST_FMT_TSV, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 1 && rs.a[0].kl == kmax && rs.a[0].vl == big &&
	    memcmp(rs.a[0].v, buf + kmax + 1, big) == 0);
	recs_free(&rs);
	/* one byte more in the value, and in the key */
	buf[kmax + 1 + big] = 'x';
	buf[kmax + 2 + big] = '\n';
	CHECK_RC(parse((char *)buf, kmax + big + 3, SST_FMT_TSV, 0, 0, &rs, &e), SST_EDATA);
	CHECK(strstr(e.msg, ":1: ") != NULL);
	recs_free(&rs);
	memset(buf, 'k', kmax + 1);
	buf[kmax + 1] = '\t';
	buf[kmax + 2] = 'v';
	CHECK_RC(parse((char *)buf, kmax + 3, SST_FMT_TSV, 0, 0, &rs, &e), SST_EDATA);
	CHECK(strstr(e.msg, ":1: key of 65537 bytes") != NULL);
	recs_free(&rs);
	/* a key line of 3 MiB without a TAB: not a crash, an error */
	memset(buf, 'k', 3 << 20);
	CHECK_RC(parse((char *)buf, 3 << 20, SST_FMT_TSV, 0, 0, &rs, &e), SST_EDATA);
	recs_free(&rs);
	/* a line longer than any record can be is refused while it is read */
	memset(buf, 'v', big + kmax + 64);
	buf[0] = 'k';
	buf[1] = '\t';
	CHECK_RC(parse((char *)buf, big + kmax + 64, SST_FMT_TSV, 0, 0, &rs, &e), SST_EDATA);
	CHECK(strstr(e.msg, ":1: line too long") != NULL);
	recs_free(&rs);

	/* the same limits in cdb */
	n = (size_t)sprintf((char *)buf, "+%zu,%zu:", kmax, big);
	memset(buf + n, 'K', kmax);
	n += kmax;
	memcpy(buf + n, "->", 2);
	n += 2;
	memset(buf + n, 'V', big);
	n += big;
	buf[n++] = '\n';
	CHECK_RC(parse((char *)buf, n, SST_FMT_CDB, 0, 0, &rs, &e), SST_OK);
	CHECK(rs.n == 1 && rs.a[0].kl == kmax && rs.a[0].vl == big && rs.a[0].v[big - 1] == 'V');
	recs_free(&rs);
	n = (size_t)sprintf((char *)buf, "+%zu,1:", kmax + 1);
	memset(buf + n, 'K', kmax + 1);
	n += kmax + 1;
	memcpy(buf + n, "->v\n", 4);
	n += 4;
	CHECK_RC(parse((char *)buf, n, SST_FMT_CDB, 0, 0, &rs, &e), SST_EDATA);
	CHECK(strstr(e.msg, "@0: ") != NULL);
	recs_free(&rs);
	free(buf);
}

static void
test_write(void)
{
	sst_rec_opts tsv = { SST_FMT_TSV, 0, 0 }, etsv = { SST_FMT_TSV, 1, 0 },
	    cdb = { SST_FMT_CDB, 0, 0 };
	sst_rec r = { (const uint8_t *)"a\tb", 3, (const uint8_t *)"v", 1, SST_PUT };
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	sst_err e;

	CHECK_RC(sst_rec_write(f, &tsv, &r, &e), SST_EDATA);
	CHECK(strstr(e.msg, "-e") != NULL && strstr(e.msg, "-f cdb") != NULL);
	r.key = (const uint8_t *)"a\nb";
	CHECK_RC(sst_rec_write(f, &tsv, &r, &e), SST_EDATA);
	r.key = (const uint8_t *)"ab\r";
	r.val = (const uint8_t *)"x\ny";
	r.vlen = 3;
	CHECK_RC(sst_rec_write(f, &tsv, &r, &e), SST_EDATA);
	CHECK(strstr(e.msg, "-e") != NULL && strstr(e.msg, "-f cdb") != NULL);
	fflush(f);
	CHECK(len == 0);
	r.val = (const uint8_t *)"x\ty\r";
	r.vlen = 4;
	CHECK_RC(sst_rec_write(f, &tsv, &r, &e), SST_OK);
	r.val = NULL;
	r.vlen = 0;
	CHECK_RC(sst_rec_write(f, &tsv, &r, &e), SST_OK);
	r.kind = SST_DEL;
	CHECK_RC(sst_rec_write(f, &tsv, &r, &e), SST_EUSAGE);
	CHECK_RC(sst_rec_write(f, &etsv, &r, &e), SST_EUSAGE);
	CHECK_RC(sst_rec_write(f, &cdb, &r, &e), SST_OK);
	r.kind = SST_PUT;
	r.key = (const uint8_t *)"\\\t\n\r\0z";
	r.klen = 6;
	r.val = (const uint8_t *)"\0\\x";
	r.vlen = 3;
	CHECK_RC(sst_rec_write(f, &etsv, &r, &e), SST_OK);
	CHECK_RC(sst_rec_write(f, &cdb, &r, &e), SST_OK);
	fclose(f);
	static const char want[] = "ab\r\tx\ty\r\nab\r\t\n-3:ab\r\n"
	    "\\\\\\t\\n\\r\\0z\t\\0\\\\x\n+6,3:\\\t\n\r\0z->\0\\x\n";
	CHECK(len == sizeof(want) - 1 && memcmp(mem, want, len) == 0);
	free(mem);

	/* a write error is SST_ESYS */
	f = fopen("/dev/full", "w");
	if (f != NULL) {
		setvbuf(f, NULL, _IONBF, 0);
		r.key = (const uint8_t *)"k";
		r.klen = 1;
		CHECK_RC(sst_rec_write(f, &cdb, &r, &e), SST_ESYS);
		fclose(f);
	}

	int fmt = -1;
	CHECK(sst_fmt_parse("tsv", &fmt) == SST_OK && fmt == SST_FMT_TSV);
	CHECK(sst_fmt_parse("cdb", &fmt) == SST_OK && fmt == SST_FMT_CDB);
	CHECK(sst_fmt_parse("csv", &fmt) == SST_EDATA);
	CHECK(sst_fmt_parse("", &fmt) == SST_EDATA);
}

static uint64_t rng = 88172645463325252ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
rand_bytes(uint8_t *p, size_t n, int alphabet)
{
	static const char special[] = "\\\t\n\r\0x0a";

	for (size_t i = 0; i < n; i++) {
		uint64_t x = rnd();

		p[i] = alphabet == 0 ? (uint8_t)x :
		    (uint8_t)special[x % (sizeof(special) - 1)];
	}
}

/* Random records written as -e tsv and as cdb read back the same. */
static void
test_roundtrip(void)
{
	sst_rec_opts etsv = { SST_FMT_TSV, 1, 0 }, cdb = { SST_FMT_CDB, 0, 0 };
	struct recs wput = { 0 }, wcdb = { 0 }, got;
	uint8_t *k = malloc(SST_MAX_KEY), *v = malloc(400000);
	char cmd[2048], path[1024];
	FILE *ft, *fc;
	sst_err e;
	sst_rec r;

	ft = fopen(unit_path("rt.tsv"), "wb");
	fc = fopen(unit_path("rt.cdb"), "wb");
	if (k == NULL || v == NULL || ft == NULL || fc == NULL)
		abort();
	for (int i = 0; i < 20000; i++) {
		size_t kl = 1 + rnd() % (i % 100 == 0 ? 3000 : 24);
		size_t vl = i % 2000 == 0 ? rnd() % 400000 : rnd() % 64;
		int alpha = (int)(rnd() % 3 == 0);

		rand_bytes(k, kl, alpha);
		rand_bytes(v, vl, alpha);
		r = (sst_rec){ k, kl, v, vl, SST_PUT };
		recs_add(&wput, SST_PUT, k, kl, v, vl);
		CHECK_RC(sst_rec_write(ft, &etsv, &r, &e), SST_OK);
		if (rnd() % 7 == 0)
			r.kind = SST_DEL;
		recs_add(&wcdb, r.kind, k, kl, v, r.kind == SST_DEL ? 0 : vl);
		CHECK_RC(sst_rec_write(fc, &cdb, &r, &e), SST_OK);
	}
	fclose(ft);
	fclose(fc);
	CHECK_RC(read_all(unit_path("rt.cdb"), SST_FMT_CDB, 0, 0, &got, &e), SST_OK);
	CHECK(recs_eq(&wcdb, &got));
	recs_free(&got);
	CHECK_RC(read_all(unit_path("rt.tsv"), SST_FMT_TSV, 1, 0, &got, &e), SST_OK);
	CHECK(recs_eq(&wput, &got));
	recs_free(&got);

	/* compressed: other block boundaries */
	snprintf(cmd, sizeof(cmd), "gzip -c '%s' > '%s.gz' && zstd -q -c '%s' > '%s.zst'",
	    unit_path("rt.cdb"), unit_path("rt.cdb"), unit_path("rt.cdb"), unit_path("rt.cdb"));
	if (system(cmd) == 0) {
		snprintf(path, sizeof(path), "%s.gz", unit_path("rt.cdb"));
		CHECK_RC(read_all(path, SST_FMT_CDB, 0, 0, &got, &e), SST_OK);
		CHECK(recs_eq(&wcdb, &got));
		recs_free(&got);
		snprintf(path, sizeof(path), "%s.zst", unit_path("rt.cdb"));
		CHECK_RC(read_all(path, SST_FMT_CDB, 0, 0, &got, &e), SST_OK);
		CHECK(recs_eq(&wcdb, &got));
		recs_free(&got);
	}
	snprintf(cmd, sizeof(cmd), "xz -0 -c '%s' > '%s.xz'", unit_path("rt.tsv"), unit_path("rt.tsv"));
	if (system(cmd) == 0) {
		snprintf(path, sizeof(path), "%s.xz", unit_path("rt.tsv"));
		CHECK_RC(read_all(path, SST_FMT_TSV, 1, 0, &got, &e), SST_OK);
		CHECK(recs_eq(&wput, &got));
		recs_free(&got);
	}
	recs_free(&wput);
	recs_free(&wcdb);
	free(k);
	free(v);
}

/* Many tiny cdb records, so that records straddle every block boundary. */
static void
test_cdb_small(void)
{
	sst_rec_opts cdb = { SST_FMT_CDB, 0, 0 };
	struct recs want = { 0 }, got;
	FILE *f = fopen(unit_path("small.cdb"), "wb");
	uint8_t k[8], v[40];
	sst_err e;
	sst_rec r;

	if (f == NULL)
		abort();
	for (int i = 0; i < 300000; i++) {
		size_t kl = 1 + rnd() % 8, vl = rnd() % 40;

		rand_bytes(k, kl, 0);
		rand_bytes(v, vl, 0);
		r = (sst_rec){ k, kl, v, vl, rnd() % 5 == 0 ? SST_DEL : SST_PUT };
		if (r.kind == SST_DEL)
			vl = 0;
		recs_add(&want, r.kind, k, kl, v, vl);
		CHECK_RC(sst_rec_write(f, &cdb, &r, &e), SST_OK);
	}
	fclose(f);
	CHECK_RC(read_all(unit_path("small.cdb"), SST_FMT_CDB, 0, 0, &got, &e), SST_OK);
	CHECK(recs_eq(&want, &got));
	recs_free(&got);
	recs_free(&want);
}

static size_t
count_char(const char *s, size_t n, char c)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += s[i] == c;
	return k;
}

/*
 * Calls sst_progress_update until stderr (the file fd) holds `want` and at
 * least `min_s` seconds have passed. Draws are paced by the clock, so a
 * starved process may need longer than min_s to see one: the loop waits
 * for the output, up to 60 s, and never asserts a duration.
 */
static int
progress_until(sst_progress *p, const char *phase, uint64_t base, int fd,
    uint64_t total, double min_s, const char *want)
{
	static char buf[1 << 16];
	double t0 = sst_now();
	off_t seen = lseek(fd, 0, SEEK_CUR);
	int found = 0;

	for (uint64_t i = 0; !found || sst_now() - t0 < min_s; i++) {
		off_t at;

		sst_progress_update(p, phase, base + i, total > 0 ? i * 100 : 0, total);
		if (found || i % 1024 != 0)
			continue;
		at = lseek(fd, 0, SEEK_CUR);
		if (at != seen) {
			ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

			seen = at;
			buf[n > 0 ? n : 0] = '\0';
			found = strstr(buf, want) != NULL;
		}
		if (!found && sst_now() - t0 > 60)
			return 0;
	}
	return 1;
}

/* Progress lines: forced, quiet, automatic (stderr is a file here). */
static void
test_progress(void)
{
	int saved = dup(2);
	FILE *f = fopen(unit_path("progress"), "w+");
	static char buf[1 << 16];
	sst_progress p;
	size_t n;
	double t1 = sst_now();
	int reading, sorting;

	if (f == NULL || saved < 0)
		abort();
	fflush(stderr);
	dup2(fileno(f), 2);

	sst_progress_init(&p, "tool", SST_PROGRESS_QUIET);
	sst_progress_update(&p, "reading", 1, 1, 0);
	sst_progress_done(&p);
	sst_progress_init(&p, "tool", SST_PROGRESS_AUTO);
	sst_progress_update(&p, "reading", 1, 1, 0);
	sst_progress_done(&p);
	fflush(stderr);
	CHECK(ftell(f) == 0 && lseek(2, 0, SEEK_CUR) == 0);

	sst_progress_init(&p, "tool", SST_PROGRESS_FORCE);
	CHECK(p.lines == 1);	/* stderr is a file here: log lines */
	p.lines = 0;		/* draw as on a terminal */
	reading = progress_until(&p, "reading", 0, fileno(f), UINT64_C(1) << 40,
	    0.3, "% ETA ");
	sst_progress_update(&p, "sorting", 5, 0, 0);
	sorting = progress_until(&p, "sorting", 5, fileno(f), 0, 0.6, "rec/s");
	sst_progress_done(&p);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	CHECK(reading);
	CHECK(sorting);
	n = (size_t)pread(fileno(f), buf, sizeof(buf) - 1, 0);
	buf[n] = '\0';
	fclose(f);
	CHECK(strstr(buf, "\rtool: reading  0 records\r") != NULL);
	CHECK(strstr(buf, "% ETA ") != NULL && strstr(buf, "iB/s  ") != NULL);
	CHECK(strstr(buf, "\rtool: sorting  ") != NULL);
	CHECK(strstr(buf, "rec/s") != NULL);
	/* at most ~6 draws a second, plus one per phase and the erasing */
	CHECK(count_char(buf, n, '\r') >= 3);
	CHECK(count_char(buf, n, '\r') <= 3 + 6 * (size_t)(sst_now() - t1 + 1));
	CHECK(strchr(buf, '\n') == NULL);
	/* erased at the end: \r, spaces, \r */
	CHECK(n > 2 && buf[n - 1] == '\r' && buf[n - 2] == ' ');
}

/*
 * Progress into a file (a cron log): whole lines ending in LF, never a CR,
 * paced by p.every (set to 0 here so that every clock check draws), and a
 * final line at the end with the last counts.
 */
static void
test_progress_lines(void)
{
	int saved = dup(2);
	FILE *f = fopen(unit_path("progress-lines"), "w+");
	static char buf[1 << 16];
	sst_progress p;
	size_t n, i, lines = 0;

	if (f == NULL || saved < 0)
		abort();
	fflush(stderr);
	dup2(fileno(f), 2);
	sst_progress_init(&p, "tool", SST_PROGRESS_FORCE);
	CHECK(p.lines == 1 && p.every >= 1);
	/* at the default pace a quick run writes only its final line */
	for (i = 0; i < 10000; i++)
		sst_progress_update(&p, "reading", i, i * 10, 0);
	sst_progress_update(&p, "writing", 7, 0, 0);
	sst_progress_done(&p);
	fflush(stderr);
	n = (size_t)pread(fileno(f), buf, sizeof(buf) - 1, 0);
	buf[n] = '\0';
	CHECK(n > 0 && buf[n - 1] == '\n');
	CHECK(strchr(buf, '\r') == NULL);
	CHECK(strstr(buf, "tool: writing  7 records\n") != NULL);

	/* every check draws: several lines, each whole */
	if (ftruncate(fileno(f), 0) != 0 || lseek(2, 0, SEEK_SET) != 0)
		abort();
	sst_progress_init(&p, "tool", SST_PROGRESS_FORCE);
	p.every = 0;
	for (i = 0; i < 5 * 4096; i++)
		sst_progress_update(&p, "reading", i, i * 100, 10u << 20);
	sst_progress_done(&p);
	sst_progress_done(&p);	/* a second done adds nothing */
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = (size_t)pread(fileno(f), buf, sizeof(buf) - 1, 0);
	buf[n] = '\0';
	fclose(f);
	CHECK(strchr(buf, '\r') == NULL);
	CHECK(n > 0 && buf[n - 1] == '\n');
	for (i = 0; i < n; i++)
		lines += buf[i] == '\n';
	CHECK(lines >= 5 && lines <= 7);
	/* each line a whole update */
	for (char *l = buf; *l; l = strchr(l, '\n') + 1)
		CHECK(strncmp(l, "tool: reading  ", 15) == 0);
	CHECK(strstr(buf, "tool: reading  20.5K records") != NULL);
}

int
main(void)
{
	test_progress();
	test_progress_lines();
	test_tsv_basic();
	test_where();
	test_escapes();
	test_cdb();
	test_limits();
	test_write();
	test_roundtrip();
	test_cdb_small();
	UNIT_DONE();
}
