/*
 * test_batch.c - the streaming batch (batch.h) against a model: two tables
 * (puts, deletes, overwrites, values larger than the arena), keys with
 * repeats, absent keys and CR endings, over chunk sizes from one key up,
 * tiny arenas (values spilled to a temporary file, or looked up again), bad
 * lines, and the flush when the input has nothing ready (a pipe written to
 * from the flush callback).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "sources.h"
#include "table.h"
#include "unit.h"
#include "util.h"

#define NIDS 500
#define NASK 4000
#define BIG (70u << 10)

/* Model: -1 absent, -2 deleted, else the table (0 or 1) holding the value. */
static int model[NIDS];

static size_t
value_of(int id, int ver, uint8_t *v)
{
	size_t n = id % 50 == 3 ? BIG : (size_t)(id % 17) * 3;

	memset(v, 'a' + id % 26, n);
	if (n > 0)
		v[0] = (uint8_t)('0' + ver);
	return n;
}

static void
write_tables(void)
{
	static uint8_t v[BIG];
	int ver, id;

	for (id = 0; id < NIDS; id++)
		model[id] = -1;
	for (ver = 0; ver < 2; ver++) {
		sst_table_opts o;
		sst_writer *w;
		sst_err e;

		sst_table_opts_default(&o);
		o.block_size = 512;
		CHECK_RC(sst_writer_open(&w, unit_path(ver ? "new.sst" : "old.sst"), &o, &e), SST_OK);
		for (id = 0; id < NIDS; id++) {
			char k[16];
			sst_rec r;
			int del = ver == 1 && id % 5 == 0, put = ver == 0 ? id % 2 == 0 : id % 7 == 0;

			if (!del && !put)
				continue;
			snprintf(k, sizeof(k), "k%04d", id);
			r.key = (const uint8_t *)k;
			r.klen = strlen(k);
			r.val = v;
			r.vlen = del ? 0 : value_of(id, ver, v);
			r.kind = del ? SST_DEL : SST_PUT;
			CHECK_RC(sst_writer_add(w, &r, &e), SST_OK);
			model[id] = del ? -2 : ver;
		}
		CHECK_RC(sst_writer_finish(&w, &e), SST_OK);
	}
}

/* The keys asked: ids with repeats, absent names, some lines ending in CR. */
static void
write_keys(const char *path, size_t *crs)
{
	FILE *f = fopen(path, "w");
	unsigned s = 12345;
	int i;

	*crs = 0;
	for (i = 0; i < NASK; i++) {
		s = s * 1103515245u + 12345u;
		switch ((s >> 16) % 10) {
		case 0: fprintf(f, "nokey%u\n", (s >> 8) % 100); break;
		case 1: fprintf(f, "k%04u\r\n", (s >> 8) % NIDS); (*crs)++; break;
		case 2: fprintf(f, "k0042\n"); break;	/* a repeat, found */
		default: fprintf(f, "k%04u\n", (s >> 8) % NIDS); break;
		}
	}
	fclose(f);
}

/* The answers expected for the keys file, in the form of collect(). */
static sst_buf
expected(const char *path, uint64_t *missing, uint64_t *cr_missing)
{
	static uint8_t v[BIG];
	sst_buf out = SST_BUF_INIT;
	char line[64];
	sst_err e;
	FILE *f = fopen(path, "r");

	*missing = *cr_missing = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line) - 1;
		int id = -1;

		line[n] = '\0';
		if (n == 5 && line[0] == 'k')
			id = (int)strtol(line + 1, NULL, 10);
		sst_buf_append(&out, line, n, &e);
		if (id < 0 || model[id] < 0) {
			sst_buf_append(&out, "\t-\n", 3, &e);
			(*missing)++;
			*cr_missing += n > 0 && line[n - 1] == '\r';
			continue;
		}
		n = value_of(id, model[id], v);
		sst_buf_append(&out, "\t=", 2, &e);
		sst_buf_append(&out, v, n, &e);
		sst_buf_append(&out, "\n", 1, &e);
	}
	fclose(f);
	return out;
}

typedef struct got {
	sst_buf out;
	size_t answers, flushes;
	int wfd;		/* the pipe test: the write end */
} got;

static int
collect(void *clos, const uint8_t *key, size_t klen, const sst_rec *r, sst_err *err)
{
	got *g = clos;

	g->answers++;
	if (sst_buf_append(&g->out, key, klen, err) != SST_OK)
		return SST_ESYS;
	if (r == NULL)
		return sst_buf_append(&g->out, "\t-\n", 3, err);
	if (r->key != key || r->klen != klen || r->kind != SST_PUT)
		return sst_error(err, SST_EDATA, "bad record");
	if (sst_buf_append(&g->out, "\t=", 2, err) != SST_OK ||
	    sst_buf_append(&g->out, r->val, r->vlen, err) != SST_OK)
		return SST_ESYS;
	return sst_buf_append(&g->out, "\n", 1, err);
}

static void
open_sources(sst_sources *src)
{
	char *paths[2];
	sst_err e;

	paths[0] = (char *)unit_path("old.sst");
	paths[1] = (char *)unit_path("new.sst");
	CHECK_RC(sst_sources_open(src, paths, 2, &e), SST_OK);
}

/*
 * The batch with options o over keys.txt: answers as the model says, or
 * (want_rc not SST_OK) that error, its message starting with want_msg.
 */
static void
test_opts(const sst_batch_opts *o, const sst_buf *want, uint64_t want_missing, uint64_t want_cr,
    int want_rc, const char *want_msg)
{
	size_t max_keys = o->max_keys, max_key_bytes = o->max_key_bytes, arena = o->arena_bytes;
	sst_sources src = { NULL, 0 };
	sst_batch *b;
	got g = { SST_BUF_INIT, 0, 0, -1 };
	uint64_t asked, missing, cr;
	sst_err e;
	int fd = open(unit_path("keys.txt"), O_RDONLY);

	open_sources(&src);
	CHECK_RC(sst_batch_new(&b, &src, o, collect, NULL, &g, &e), SST_OK);
	if (want_rc != SST_OK) {
		int rc = sst_batch_read(b, fd, "keys.txt", &e);

		if (rc == SST_OK)
			rc = sst_batch_finish(b, &e);
		CHECK_RC(rc, want_rc);
		CHECK(strncmp(e.msg, want_msg, strlen(want_msg)) == 0);
		if (strncmp(e.msg, want_msg, strlen(want_msg)) != 0)
			fprintf(stderr, "  got '%s', want '%s...'\n", e.msg, want_msg);
		goto out;
	}
	CHECK_RC(sst_batch_read(b, fd, "keys.txt", &e), SST_OK);
	CHECK_RC(sst_batch_finish(b, &e), SST_OK);
	sst_batch_stats(b, &asked, &missing, &cr);
	CHECK(asked == NASK && g.answers == NASK);
	CHECK(missing == want_missing);
	CHECK(cr == want_cr);
	CHECK(g.out.len == want->len && (want->len == 0 || memcmp(g.out.p, want->p, want->len) == 0));
	if (g.out.len != want->len || (want->len > 0 && memcmp(g.out.p, want->p, want->len) != 0))
	{
		FILE *f = fopen(unit_path("got.txt"), "w"), *w = fopen(unit_path("want.txt"), "w");

		fprintf(stderr, "  max_keys %zu, key bytes %zu, arena %zu, spill buffers %zu: %s\n",
		    max_keys, max_key_bytes, arena, o->spill_buf, unit_path("got.txt"));
		fwrite(g.out.p, 1, g.out.len, f);
		fwrite(want->p, 1, want->len, w);
		fclose(f);
		fclose(w);
	}
out:
	sst_batch_free(&b);
	sst_sources_close(&src);
	sst_buf_free(&g.out);
	close(fd);
}

static void
test_model(size_t max_keys, size_t max_key_bytes, size_t arena, const sst_buf *want,
    uint64_t want_missing, uint64_t want_cr)
{
	sst_batch_opts o = { 0, max_keys, max_key_bytes, arena, 0, NULL };

	test_opts(&o, want, want_missing, want_cr, SST_OK, NULL);
}

/*
 * The spill: chunks whose values outgrow small arenas go to buckets of a
 * temporary file (small spill buffers: values span segments), with
 * repeated keys across buckets, deletes, absent keys, values larger than
 * the arena and buckets that overflow (both looked up again); answers in
 * input order whatever the chunk size. A temp dir that cannot be written
 * is SST_ESYS naming it, and only when a chunk spills.
 */
static void
test_spill(const sst_buf *want, uint64_t missing, uint64_t cr)
{
	static const size_t arenas[] = { 40, 700, 2000, 9000, 30000 };
	static const size_t chunks[] = { 0, 1000, 333 };
	static const size_t bufs[] = { 0, 64, 256, 5000 };
	char nodir[512], file[512];
	sst_batch_opts o = { 0, 0, 0, 0, 0, NULL };
	size_t a, c, w;
	FILE *f;

	for (a = 0; a < sizeof(arenas) / sizeof(arenas[0]); a++)
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
			for (w = 0; w < sizeof(bufs) / sizeof(bufs[0]); w++) {
				o.arena_bytes = arenas[a];
				o.max_keys = chunks[c];
				o.spill_buf = bufs[w];
				test_opts(&o, want, missing, cr, SST_OK, NULL);
			}

	snprintf(nodir, sizeof(nodir), "%s", unit_path("no/such/dir"));
	snprintf(file, sizeof(file), "%s", unit_path("afile"));
	f = fopen(file, "w");
	fclose(f);
	/* the values fit the arena: no file is needed */
	o.arena_bytes = 0;
	o.max_keys = 0;
	o.spill_buf = 0;
	o.tmpdir = nodir;
	test_opts(&o, want, missing, cr, SST_OK, NULL);
	/* they do not: the error names the directory */
	o.arena_bytes = 2000;
	test_opts(&o, want, missing, cr, SST_ESYS, nodir);
	o.tmpdir = file;
	test_opts(&o, want, missing, cr, SST_ESYS, file);
}

/* Bad lines: SST_EDATA naming the line. */
static void
test_bad(const char *input, int escape, const char *want)
{
	sst_batch_opts o = { escape, 0, 0, 0, 0, NULL };
	sst_sources src = { NULL, 0 };
	sst_batch *b;
	got g = { SST_BUF_INIT, 0, 0, -1 };
	sst_err e;
	FILE *f = fopen(unit_path("bad.txt"), "w");
	int fd;

	fputs(input, f);
	fclose(f);
	fd = open(unit_path("bad.txt"), O_RDONLY);
	open_sources(&src);
	CHECK_RC(sst_batch_new(&b, &src, &o, collect, NULL, &g, &e), SST_OK);
	CHECK_RC(sst_batch_read(b, fd, "-", &e), SST_EDATA);
	CHECK(strncmp(e.msg, want, strlen(want)) == 0);
	if (strncmp(e.msg, want, strlen(want)) != 0)
		fprintf(stderr, "  got '%s', want '%s'\n", e.msg, want);
	sst_batch_free(&b);
	sst_sources_close(&src);
	sst_buf_free(&g.out);
	close(fd);
}

/* The pipe test: after each flush, the answers so far are all there. */
static int
on_flush(void *clos, sst_err *err)
{
	got *g = clos;

	(void)err;
	g->flushes++;
	if (g->flushes == 1) {
		CHECK(g->answers == 2);
		if (write(g->wfd, "k0042\n", 6) != 6)
			return SST_ESYS;
	} else if (g->flushes == 2) {
		CHECK(g->answers == 3);
		close(g->wfd);
		g->wfd = -1;
	}
	return SST_OK;
}

static void
test_flush(void)
{
	sst_sources src = { NULL, 0 };
	sst_batch *b;
	got g = { SST_BUF_INIT, 0, 0, -1 };
	sst_err e;
	int p[2];

	CHECK(pipe(p) == 0);
	g.wfd = p[1];
	CHECK(write(p[1], "k0000\nk0001\n", 12) == 12);
	open_sources(&src);
	CHECK_RC(sst_batch_new(&b, &src, NULL, collect, on_flush, &g, &e), SST_OK);
	CHECK_RC(sst_batch_read(b, p[0], "-", &e), SST_OK);
	CHECK_RC(sst_batch_finish(b, &e), SST_OK);
	CHECK(g.flushes == 2 && g.answers == 3);
	sst_batch_free(&b);
	sst_sources_close(&src);
	sst_buf_free(&g.out);
	close(p[0]);
}

int
main(void)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 65, 1000, NASK - 1, NASK, 0 };
	static const size_t arenas[] = { 0, 1, 100, BIG - 1, BIG + 200 };
	uint64_t missing, cr;
	size_t crs, i;
	sst_buf want;

	write_tables();
	write_keys(unit_path("keys.txt"), &crs);
	want = expected(unit_path("keys.txt"), &missing, &cr);
	CHECK(crs > 0 && cr == crs);	/* no key ends in CR in the tables */
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
		test_model(chunks[i], 0, 0, &want, missing, cr);
	for (i = 0; i < sizeof(arenas) / sizeof(arenas[0]); i++) {
		test_model(0, 0, arenas[i], &want, missing, cr);
		test_model(100, 0, arenas[i], &want, missing, cr);
	}
	/* chunks ended by key bytes: 1 to a few keys of 5-9 bytes */
	test_model(0, 1, 0, &want, missing, cr);
	test_model(0, 12, 0, &want, missing, cr);
	test_model(0, 200, 0, &want, missing, cr);
	test_spill(&want, missing, cr);
	sst_buf_free(&want);

	test_bad("k0001\n\nk0002\n", 0, "-:2: empty key");
	test_bad("k0001\nk0002\nk\\q\n", 1, "-:3: ");
	{
		char *big = malloc(4 * SST_MAX_KEY + 100);

		memset(big, 'x', 4 * SST_MAX_KEY + 99);
		big[4 * SST_MAX_KEY + 99] = '\0';
		test_bad(big, 0, "-:1: key longer than 65536 bytes");
		big[SST_MAX_KEY + 1] = '\n';
		test_bad(big, 0, "-:1: key longer than 65536 bytes");
		free(big);
	}
	test_flush();
	UNIT_DONE();
}
