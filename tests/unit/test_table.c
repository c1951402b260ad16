/* Unit tests of the table writer, reader, verifier and merging iterator. */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block.h"
#include "filter.h"
#include "merge_iter.h"
#include "table.h"
#include "table_int.h"
#include "unit.h"
#include "util.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Key i as a fixed-width decimal (sorted order = numeric order). */
static size_t
mkkey(uint8_t *buf, uint64_t i)
{
	return (size_t)sprintf((char *)buf, "key%010llu", (unsigned long long)i);
}

static int
build_seq(const char *path, uint64_t n, uint64_t step, const sst_table_opts *o)
{
	sst_writer *w;
	sst_err e = { 0, "" };
	uint8_t k[32], v[64];
	uint64_t i;

	if (sst_writer_open(&w, path, o, &e) != SST_OK)
		return -1;
	for (i = 0; i < n; i++) {
		sst_rec r = { k, mkkey(k, i * step), v, 0, (i % 7 == 3) ? SST_DEL : SST_PUT };

		if (r.kind == SST_PUT)
			r.vlen = (size_t)sprintf((char *)v, "value-%llu-%llu", (unsigned long long)i,
			    (unsigned long long)(i * 2654435761u % 1000));
		if (sst_writer_add(w, &r, &e) != SST_OK) {
			fprintf(stderr, "add: %s\n", e.msg);
			sst_writer_abort(&w);
			return -1;
		}
	}
	if (sst_writer_finish(&w, &e) != SST_OK) {
		fprintf(stderr, "finish: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static void
test_empty(void)
{
	sst_table_opts o;
	sst_table *t;
	sst_iter *it;
	sst_props p;
	sst_rec r;
	sst_err e = { 0, "" };
	int found;

	sst_table_opts_default(&o);
	CHECK(build_seq(unit_path("empty.sst"), 0, 1, &o) == 0);
	CHECK_RC(sst_table_open(&t, unit_path("empty.sst"), &e), SST_OK);
	CHECK_RC(sst_table_iter(t, &it, &e), SST_OK);
	CHECK_RC(sst_iter_first(it, &e), SST_OK);
	CHECK(!it->valid);
	sst_iter_destroy(&it);
	CHECK_RC(sst_table_get(t, (const uint8_t *)"a", 1, &r, &found, &e), SST_OK);
	CHECK(!found);
	CHECK_RC(sst_table_props(t, &p, &e), SST_OK);
	CHECK(p.records == 0 && p.data_blocks == 0 && p.smallest == NULL);
	sst_table_close(&t);
	CHECK_RC(sst_table_verify(unit_path("empty.sst"), NULL, &e), SST_OK);
}

static void
test_seq(uint64_t n, size_t block, int threads, int comp)
{
	sst_table_opts o;
	sst_table *t;
	sst_iter *it;
	sst_props p;
	sst_rec r;
	sst_err e = { 0, "" };
	uint8_t k[32];
	uint64_t i, absent_hits = 0;
	int found, rc;

	sst_table_opts_default(&o);
	o.block_size = block;
	o.threads = threads;
	o.compression = comp;
	CHECK(build_seq(unit_path("seq.sst"), n, 2, &o) == 0);
	CHECK_RC(sst_table_verify(unit_path("seq.sst"), &p, &e), SST_OK);
	if (e.code && e.msg[0])
		fprintf(stderr, "verify: %s\n", e.msg);
	CHECK_RC(sst_table_open(&t, unit_path("seq.sst"), &e), SST_OK);
	CHECK_RC(sst_table_props(t, &p, &e), SST_OK);
	CHECK(p.records == n);
	/* Every present key found with its kind; odd keys absent. */
	for (i = 0; i < 2 * n; i += n > 100000 ? 97 : 1) {
		size_t kl = mkkey(k, i);

		rc = sst_table_get(t, k, kl, &r, &found, &e);
		if (rc != SST_OK) {
			CHECK(0);
			break;
		}
		if (i % 2 == 0) {
			if (!found || r.kind != (((i / 2) % 7 == 3) ? SST_DEL : SST_PUT)) {
				CHECK(0);
				break;
			}
		} else if (found) {
			CHECK(0);
			break;
		}
	}
	/* Full scan in order. */
	CHECK_RC(sst_table_iter(t, &it, &e), SST_OK);
	i = 0;
	for (rc = sst_iter_first(it, &e); rc == SST_OK && it->valid; rc = sst_iter_next(it, &e)) {
		size_t kl = mkkey(k, 2 * i);

		if (it->rec.klen != kl || memcmp(it->rec.key, k, kl) != 0)
			break;
		i++;
	}
	CHECK(rc == SST_OK && i == n);
	/* Seeks to present and absent keys. */
	for (i = 0; i < 200 && n > 0; i++) {
		uint64_t target = rnd() % (2 * n + 2);
		size_t kl = mkkey(k, target);
		uint64_t want = (target + 1) / 2 * 2;

		CHECK_RC(sst_iter_seek(it, k, kl, &e), SST_OK);
		if (want >= 2 * n)
			CHECK(!it->valid);
		else {
			kl = mkkey(k, want);
			CHECK(it->valid && it->rec.klen == kl && memcmp(it->rec.key, k, kl) == 0);
		}
	}
	sst_iter_destroy(&it);
	/* The filter keeps most absent keys away. */
	CHECK_RC(sst_table_load_filter(t, &e), SST_OK);
	for (i = 0; i < n && i < 100000; i++) {
		size_t kl = (size_t)sprintf((char *)k, "absent%llu", (unsigned long long)i);

		CHECK_RC(sst_table_get(t, k, kl, &r, &found, &e), SST_OK);
		absent_hits += found;
	}
	CHECK(absent_hits == 0);
	sst_table_close(&t);
}

static void
test_fpr(void)
{
	/* Measure the filter's false-positive rate at 10 bits per key. */
	uint64_t n = 200000, lines = sst_filter_lines(n, 10), i, fp = 0, trials = 200000;
	int k = sst_filter_k(10);
	uint8_t *bits = calloc(lines, SST_FILTER_LINE);
	double rate, expect = sst_filter_fpr(10, k);

	for (i = 0; i < n; i++)
		sst_filter_add(bits, lines, k, sst_hash64(&i, sizeof(i)));
	for (i = n; i < n + trials; i++) {
		uint64_t h = sst_hash64(&i, sizeof(i));

		fp += sst_filter_line_match(bits + sst_filter_line_of(h, lines) * SST_FILTER_LINE, k, h);
	}
	rate = (double)fp / (double)trials;
	printf("filter: 10 bits/key, k=%d: measured fp rate %.4f, model %.4f\n", k, rate, expect);
	CHECK(rate < 0.013 && rate > 0.005);
	CHECK(expect < 0.013 && expect > 0.005);
	free(bits);
}

/*
 * The writer's key order check: keys that agree in their first 8 bytes
 * (or are shorter, zero-padded there) are ordered by the rest and by
 * length; an equal or smaller key is SST_EDATA and leaves the table good.
 */
static void
test_key_order(void)
{
	static const struct { const char *k; size_t n; int rc; } ks[] = {
		{ "abcdefgh2", 9, SST_OK },
		{ "abcdefgh1", 9, SST_EDATA },		/* same prefix, smaller tail */
		{ "abcdefgh2", 9, SST_EDATA },		/* equal */
		{ "abcdefgh", 8, SST_EDATA },		/* a prefix of the last key */
		{ "abcdefg", 7, SST_EDATA },		/* shorter than a prefix */
		{ "abcdefg\0", 8, SST_EDATA },
		{ "abcdefgh2\0", 10, SST_OK },		/* longer */
		{ "abcdefgh3", 9, SST_OK },
		{ "b", 1, SST_OK },
		{ "b\0", 2, SST_OK },			/* padded prefixes agree */
		{ "b", 1, SST_EDATA },
		{ "b\0\0", 3, SST_OK },
	};
	sst_table_opts o;
	sst_writer *w;
	sst_err e = { 0, "" };
	size_t i;

	sst_table_opts_default(&o);
	CHECK_RC(sst_writer_open(&w, unit_path("order.sst"), &o, &e), SST_OK);
	for (i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		sst_rec r = { (const uint8_t *)ks[i].k, ks[i].n, (const uint8_t *)"v", 1, SST_PUT };

		CHECK_RC(sst_writer_add(w, &r, &e), ks[i].rc);
	}
	CHECK_RC(sst_writer_finish(&w, &e), SST_OK);
	CHECK_RC(sst_table_verify(unit_path("order.sst"), NULL, &e), SST_OK);
}

static void
test_big_records(void)
{
	sst_table_opts o;
	sst_writer *w;
	sst_table *t;
	sst_rec r, got;
	sst_err e = { 0, "" };
	uint8_t *big = malloc(SST_MAX_VALUE), *bigkey = malloc(SST_MAX_KEY + 1);
	int found;
	size_t i;

	for (i = 0; i < SST_MAX_VALUE; i++)
		big[i] = (uint8_t)(rnd() >> 56);
	memset(bigkey, 'z', SST_MAX_KEY + 1);
	sst_table_opts_default(&o);
	CHECK_RC(sst_writer_open(&w, unit_path("big.sst"), &o, &e), SST_OK);
	r = (sst_rec){ (const uint8_t *)"a", 1, NULL, 0, SST_PUT };
	CHECK_RC(sst_writer_add(w, &r, &e), SST_OK);
	r = (sst_rec){ (const uint8_t *)"b", 1, big, SST_MAX_VALUE, SST_PUT };
	CHECK_RC(sst_writer_add(w, &r, &e), SST_OK);
	r = (sst_rec){ bigkey, SST_MAX_KEY, (const uint8_t *)"v", 1, SST_PUT };
	CHECK_RC(sst_writer_add(w, &r, &e), SST_OK);
	r = (sst_rec){ bigkey, SST_MAX_KEY + 1, (const uint8_t *)"v", 1, SST_PUT };
	CHECK_RC(sst_writer_add(w, &r, &e), SST_EDATA);
	r = (sst_rec){ (const uint8_t *)"c", 1, big, SST_MAX_VALUE + 1, SST_PUT };
	CHECK_RC(sst_writer_add(w, &r, &e), SST_EDATA);
	r = (sst_rec){ (const uint8_t *)"b", 1, NULL, 0, SST_PUT };
	CHECK_RC(sst_writer_add(w, &r, &e), SST_EDATA);	/* out of order */
	CHECK_RC(sst_writer_finish(&w, &e), SST_OK);
	CHECK_RC(sst_table_verify(unit_path("big.sst"), NULL, &e), SST_OK);
	CHECK_RC(sst_table_open(&t, unit_path("big.sst"), &e), SST_OK);
	CHECK_RC(sst_table_get(t, (const uint8_t *)"b", 1, &got, &found, &e), SST_OK);
	CHECK(found && got.vlen == SST_MAX_VALUE && memcmp(got.val, big, SST_MAX_VALUE) == 0);
	CHECK_RC(sst_table_get(t, (const uint8_t *)"a", 1, &got, &found, &e), SST_OK);
	CHECK(found && got.vlen == 0);
	CHECK_RC(sst_table_get(t, bigkey, SST_MAX_KEY, &got, &found, &e), SST_OK);
	CHECK(found && got.vlen == 1 && got.klen == SST_MAX_KEY);
	sst_table_close(&t);
	free(big);
	free(bigkey);
}

static void
write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		if (write(fd, p, n) != (ssize_t)n)
			perror("write");
		close(fd);
	}
}

static size_t
read_file(const char *path, uint8_t **out)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	size_t n = 0;

	if (fd >= 0 && fstat(fd, &st) == 0) {
		n = (size_t)st.st_size;
		*out = malloc(n);
		if (read(fd, *out, n) != (ssize_t)n)
			n = 0;
	}
	if (fd >= 0)
		close(fd);
	return n;
}

static void
test_damage(void)
{
	sst_table_opts o;
	sst_table *t;
	sst_err e = { 0, "" };
	uint8_t *img = NULL, zeros[4096] = { 0 };
	size_t n, off, detected = 0, tried = 0;

	sst_table_opts_default(&o);
	o.block_size = 512;
	CHECK(build_seq(unit_path("dmg.sst"), 300, 1, &o) == 0);
	n = read_file(unit_path("dmg.sst"), &img);
	CHECK(n > 1000);
	/* Truncations and zeros are not tables. */
	write_file(unit_path("trunc.sst"), img, n - 1);
	CHECK_RC(sst_table_open(&t, unit_path("trunc.sst"), &e), SST_EDATA);
	CHECK_RC(sst_table_verify(unit_path("trunc.sst"), NULL, &e), SST_EDAMAGE);
	write_file(unit_path("zeros.sst"), zeros, sizeof(zeros));
	CHECK_RC(sst_table_open(&t, unit_path("zeros.sst"), &e), SST_EDATA);
	CHECK(strstr(e.msg, "not an sstkit table") != NULL);
	write_file(unit_path("tiny.sst"), "x", 1);
	CHECK_RC(sst_table_open(&t, unit_path("tiny.sst"), &e), SST_EDATA);
	/* Every single-byte flip is detected by verify. */
	for (off = 0; off < n; off += 1 + off / 512) {
		img[off] ^= 0x20;
		write_file(unit_path("flip.sst"), img, n);
		img[off] ^= 0x20;
		tried++;
		if (sst_table_verify(unit_path("flip.sst"), NULL, &e) == SST_EDAMAGE)
			detected++;
		else
			fprintf(stderr, "flip at %zu not detected\n", off);
	}
	printf("damage: %zu of %zu flips detected\n", detected, tried);
	CHECK(detected == tried);
	free(img);
}

static void
test_merge(void)
{
	sst_table_opts o;
	sst_table *t[3];
	sst_iter *kids[3], *m;
	sst_err e = { 0, "" };
	uint8_t k[32];
	uint64_t count = 0;
	int i, rc;

	sst_table_opts_default(&o);
	CHECK(build_seq(unit_path("m0.sst"), 1000, 1, &o) == 0);	/* 0..999 */
	CHECK(build_seq(unit_path("m1.sst"), 500, 2, &o) == 0);	/* even 0..998 */
	CHECK(build_seq(unit_path("m2.sst"), 100, 3, &o) == 0);	/* 0,3,..,297 */
	for (i = 0; i < 3; i++) {
		char name[32];

		snprintf(name, sizeof(name), "m%d.sst", i);
		CHECK_RC(sst_table_open(&t[i], unit_path(name), &e), SST_OK);
		CHECK_RC(sst_table_iter(t[i], &kids[i], &e), SST_OK);
	}
	CHECK_RC(sst_merge_iter_new(&m, kids, 3, 0, &e), SST_OK);
	for (rc = sst_iter_first(m, &e); rc == SST_OK && m->valid; rc = sst_iter_next(m, &e)) {
		size_t kl = mkkey(k, count);

		CHECK(m->rec.klen == kl && memcmp(m->rec.key, k, kl) == 0);
		/* Newest source holding the key wins: its value names its index. */
		if (m->rec.kind == SST_PUT) {
			uint64_t idx = count % 3 == 0 && count / 3 < 100 ? count / 3 :
			    count % 2 == 0 ? count / 2 : count;
			char want[32];

			snprintf(want, sizeof(want), "value-%llu-", (unsigned long long)idx);
			CHECK(m->rec.vlen > strlen(want) && memcmp(m->rec.val, want, strlen(want)) == 0);
		}
		count++;
	}
	CHECK(rc == SST_OK && count == 1000);
	sst_iter_destroy(&m);
	for (i = 0; i < 3; i++)
		sst_table_close(&t[i]);
}

/* The filter block of path (payload and trailer), malloc'd. */
static uint8_t *
filter_bytes(const char *path, size_t *len)
{
	sst_err e = { 0, "" };
	sst_table *t = NULL;
	uint8_t *b = NULL;
	int fd;

	*len = 0;
	if (sst_table_open(&t, path, &e) != SST_OK)
		return NULL;
	*len = (size_t)t->f.filter.len + SST_TRAILER_SIZE;
	if ((fd = open(path, O_RDONLY)) >= 0 && (b = malloc(*len)) != NULL &&
	    pread(fd, b, *len, (off_t)t->f.filter.off) != (ssize_t)*len) {
		free(b);
		b = NULL;
	}
	if (fd >= 0)
		close(fd);
	sst_table_close(&t);
	return b;
}

/*
 * A filter built in slices (filter_mem of one 4 KiB chunk, and an odd
 * size) is byte for byte the filter built whole, and verifies.
 */
static void
test_filter_slices(void)
{
	static const size_t mems[] = { 1, 4096, 3 * 4096 + 100 };
	sst_table_opts o;
	sst_err e = { 0, "" };
	uint8_t *whole, *sliced;
	size_t wl, sl, i;

	sst_table_opts_default(&o);
	o.filter_mem = 64u << 20;
	CHECK(build_seq(unit_path("fw.sst"), 200000, 3, &o) == 0);
	whole = filter_bytes(unit_path("fw.sst"), &wl);
	CHECK(whole != NULL && wl > 3 * 4096 + 100);
	for (i = 0; i < sizeof(mems) / sizeof(mems[0]); i++) {
		o.filter_mem = mems[i];
		CHECK(build_seq(unit_path("fs.sst"), 200000, 3, &o) == 0);
		CHECK_RC(sst_table_verify(unit_path("fs.sst"), NULL, &e), SST_OK);
		sliced = filter_bytes(unit_path("fs.sst"), &sl);
		CHECK(sliced != NULL && whole != NULL && sl == wl && memcmp(sliced, whole, wl) == 0);
		free(sliced);
	}
	free(whole);
}

/* Scans t with both iterators side by side: same records, same end or error. */
static void
scan_both(sst_table *t, const char *what)
{
	sst_iter *a = NULL, *b = NULL;
	sst_err ea = { 0, "" }, eb = { 0, "" };
	sst_rec r;
	uint8_t k[32];
	uint64_t n = 0;
	int ra, rb, found;

	CHECK_RC(sst_table_iter(t, &a, &ea), SST_OK);
	CHECK_RC(sst_table_iter_ahead(t, &b, &eb), SST_OK);
	if (a == NULL || b == NULL) {
		sst_iter_destroy(&a);
		sst_iter_destroy(&b);
		return;
	}
	ra = sst_iter_first(a, &ea);
	rb = sst_iter_first(b, &eb);
	while (ra == SST_OK && rb == SST_OK && a->valid && b->valid) {
		if (a->rec.klen != b->rec.klen || memcmp(a->rec.key, b->rec.key, a->rec.klen) != 0 ||
		    a->rec.vlen != b->rec.vlen || memcmp(a->rec.val, b->rec.val, a->rec.vlen) != 0 ||
		    a->rec.kind != b->rec.kind)
			break;
		n++;
		if (n % 997 == 0) {	/* lookups on t while its blocks are read ahead */
			size_t kl = mkkey(k, n);

			if (sst_table_get(t, k, kl, &r, &found, &ea) != SST_OK)
				break;
		}
		ra = sst_iter_next(a, &ea);
		rb = sst_iter_next(b, &eb);
	}
	if (ra != rb || (ra == SST_OK && a->valid != b->valid) || strcmp(ea.msg, eb.msg) != 0)
		fprintf(stderr, "%s: after %llu records: rc %d/%d valid %d/%d: '%s' / '%s'\n", what,
		    (unsigned long long)n, ra, rb, a->valid, b->valid, ea.msg, eb.msg);
	CHECK(ra == rb && strcmp(ea.msg, eb.msg) == 0);
	CHECK(ra != SST_OK || (!a->valid && !b->valid));
	sst_iter_destroy(&a);
	sst_iter_destroy(&b);
}

/* Appends a raw block (payload and trailer) to img at *n; its handle in h. */
static void
put_raw_block(uint8_t *img, size_t *n, const sst_buf *b, sst_handle *h)
{
	h->off = *n;
	h->len = b->len;
	memcpy(img + *n, b->p, b->len);
	img[*n + b->len] = SST_BLOCK_RAW;
	sst_put_le32(img + *n + b->len + 1, (uint32_t)b->len);
	sst_put_le32(img + *n + b->len + 5, sst_checksum(img + *n, b->len + 5, h->off));
	*n += b->len + SST_TRAILER_SIZE;
}

/*
 * Copies table src to dst with a new index naming only the data blocks i
 * with keep(i), so blocks are no longer adjacent, and with swap set, each
 * pair of kept handles exchanged (a block before the one just read). The
 * file keeps all the old bytes; one partition and the top level follow.
 * Returns the number of blocks named, 0 on failure.
 */
static size_t
reindex(const char *src, const char *dst, int (*keep)(size_t), int swap)
{
	sst_table *t = NULL;
	sst_icursor c;
	sst_block_builder part, top;
	sst_err e = { 0, "" };
	sst_buf seps = { 0 };
	sst_handle *hs, ph, th;
	sst_props p;
	size_t *sl, nb = 0, kept = 0, i, n, fsize;
	uint8_t *img = NULL, *out, hv[20], foot[SST_FOOTER_MAX];
	sst_footer f;

	if (sst_table_open(&t, src, &e) != SST_OK)
		return 0;
	CHECK_RC(sst_table_props(t, &p, &e), SST_OK);
	hs = calloc((size_t)p.data_blocks + 1, sizeof(*hs));
	sl = calloc((size_t)p.data_blocks + 1, sizeof(*sl));
	if (hs == NULL || sl == NULL) {
		CHECK(0);
		free(hs);
		free(sl);
		sst_table_close(&t);
		return 0;
	}
	f = t->f;
	n = (size_t)t->footer_off;
	sst_ic_init(&c, t);
	CHECK_RC(sst_ic_first(&c, &e), SST_OK);
	while (c.pit.valid && kept < p.data_blocks) {
		sst_handle h;

		CHECK(sst_decode_handle(c.pit.val, c.pit.vlen, &h) == SST_OK);
		if (keep(nb++)) {
			hs[kept] = h;
			sl[kept++] = seps.len;
			CHECK_RC(sst_buf_append(&seps, c.pit.key.p, c.pit.key.len, &e), SST_OK);
		}
		if (sst_ic_next(&c, &e) != SST_OK)
			break;
	}
	sst_ic_free(&c);
	sst_table_close(&t);
	for (i = 0; swap && i + 1 < kept; i += 2) {
		sst_handle x = hs[i];

		hs[i] = hs[i + 1];
		hs[i + 1] = x;
	}
	sst_bb_init(&part, SST_RESTART_INTERVAL);
	sst_bb_init(&top, SST_RESTART_INTERVAL);
	for (i = 0; i < kept; i++) {
		size_t hl = sst_put_varint(hv, hs[i].off);

		hl += sst_put_varint(hv + hl, hs[i].len);
		CHECK_RC(sst_bb_add(&part, seps.p + sl[i], (i + 1 < kept ? sl[i + 1] : seps.len) - sl[i],
		    hv, hl, SST_PUT, &e), SST_OK);
	}
	CHECK_RC(sst_bb_finish(&part, &e), SST_OK);
	fsize = read_file(src, &img);
	out = fsize > n ? malloc(fsize + part.buf.len + 4096) : NULL;
	CHECK(out != NULL);
	if (out != NULL) {
		memcpy(out, img, n);
		put_raw_block(out, &n, &part.buf, &ph);
		i = sst_put_varint(hv, ph.off);
		i += sst_put_varint(hv + i, ph.len);
		CHECK_RC(sst_bb_add(&top, part.last_key.p, part.last_key.len, hv, i, SST_PUT, &e), SST_OK);
		CHECK_RC(sst_bb_finish(&top, &e), SST_OK);
		put_raw_block(out, &n, &top.buf, &th);
		f.index = th;
		i = sst_footer_encode(&f, n, foot);
		memcpy(out + n, foot, i);
		write_file(dst, out, n + i);
	} else {
		kept = 0;
	}
	free(out);
	sst_bb_free(&part);
	sst_bb_free(&top);
	sst_buf_free(&seps);
	free(hs);
	free(sl);
	free(img);
	return kept;
}

static int keep_some(size_t i) { return i % 7 != 3 && (i / 40) % 2 == 0; }
static int keep_all(size_t i) { (void)i; return 1; }
static int keep_odd(size_t i) { return i % 2 == 1; }

/* The readahead iterator gives what the plain one gives: records, seeks, damage. */
static void
test_ahead(void)
{
	sst_table_opts o;
	sst_table *t;
	sst_iter *a = NULL, *b = NULL;
	sst_err e = { 0, "" };
	uint8_t k[32], *img = NULL;
	size_t n, off, i, j;
	int comp;

	for (comp = 0; comp < 2; comp++) {
		sst_table_opts_default(&o);
		o.block_size = 512;
		o.compression = comp ? SST_COMP_ZSTD : SST_COMP_NONE;
		CHECK(build_seq(unit_path("ahead.sst"), 20000, 1, &o) == 0);
		CHECK_RC(sst_table_open(&t, unit_path("ahead.sst"), &e), SST_OK);
		scan_both(t, "whole");
		/* Seeks, each followed by a stretch of records over several blocks. */
		CHECK_RC(sst_table_iter(t, &a, &e), SST_OK);
		CHECK_RC(sst_table_iter_ahead(t, &b, &e), SST_OK);
		CHECK_RC(sst_iter_first(b, &e), SST_OK);
		for (i = 0; i < 50 && a != NULL && b != NULL; i++) {
			size_t kl = mkkey(k, rnd() % 20500);

			CHECK_RC(sst_iter_seek(a, k, kl, &e), SST_OK);
			CHECK_RC(sst_iter_seek(b, k, kl, &e), SST_OK);
			for (j = 0; j < 300 && a->valid && b->valid; j++) {
				if (a->rec.klen != b->rec.klen || memcmp(a->rec.key, b->rec.key, a->rec.klen) != 0)
					break;
				CHECK_RC(sst_iter_next(a, &e), SST_OK);
				CHECK_RC(sst_iter_next(b, &e), SST_OK);
			}
			CHECK(a->valid == b->valid && (j == 300 || !a->valid));
		}
		sst_iter_destroy(&a);
		sst_iter_destroy(&b);
		sst_table_close(&t);
		/* Damage in the data blocks: the same error after the same records. */
		n = read_file(unit_path("ahead.sst"), &img);
		CHECK(n > 10000);
		for (off = 0; off < n / 2; off += n / 40) {
			img[off] ^= 0x20;
			write_file(unit_path("ahead-flip.sst"), img, n);
			img[off] ^= 0x20;
			if (sst_table_open(&t, unit_path("ahead-flip.sst"), &e) != SST_OK)
				continue;
			scan_both(t, "damaged");
			sst_table_close(&t);
		}
		free(img);
		img = NULL;
	}
	/* Blocks of very different sizes (big values): the ring's byte limit. */
	{
		static uint8_t big[150000];
		sst_writer *w;
		uint64_t r;

		memset(big, 'v', sizeof(big));
		sst_table_opts_default(&o);
		o.block_size = 4096;
		CHECK_RC(sst_writer_open(&w, unit_path("ahead-big.sst"), &o, &e), SST_OK);
		for (r = 0; r < 400 && w != NULL; r++) {
			sst_rec rec = { k, mkkey(k, r), big, (size_t)(rnd() % 4 == 0 ? rnd() % sizeof(big) : rnd() % 100),
			    SST_PUT };

			big[0] = (uint8_t)r;
			CHECK_RC(sst_writer_add(w, &rec, &e), SST_OK);
		}
		CHECK_RC(sst_writer_finish(&w, &e), SST_OK);
		CHECK_RC(sst_table_open(&t, unit_path("ahead-big.sst"), &e), SST_OK);
		scan_both(t, "big");
		sst_table_close(&t);
	}
}

/* The handle of data block i of the table at path. */
static sst_handle
block_handle(const char *path, size_t i)
{
	sst_table *t = NULL;
	sst_icursor c;
	sst_err e = { 0, "" };
	sst_handle h = { 0, 0 };

	CHECK_RC(sst_table_open(&t, path, &e), SST_OK);
	if (t == NULL)
		return h;
	sst_ic_init(&c, t);
	CHECK_RC(sst_ic_first(&c, &e), SST_OK);
	for (; c.pit.valid && i > 0; i--)
		CHECK_RC(sst_ic_next(&c, &e), SST_OK);
	CHECK(c.pit.valid && sst_decode_handle(c.pit.val, c.pit.vlen, &h) == SST_OK);
	sst_ic_free(&c);
	sst_table_close(&t);
	return h;
}

/*
 * Readahead reads many blocks with one read: blocks that are not adjacent
 * (gaps inside and beyond one read, handles going back), and damage in a
 * block in the middle of one read, give what block-by-block reads give.
 */
static void
test_ahead_window(void)
{
	static const struct { int (*keep)(size_t); int swap; const char *what; } re[] = {
		{ keep_all, 0, "reindexed" }, { keep_some, 0, "gaps" }, { keep_odd, 1, "gaps, swapped" },
	};
	sst_table_opts o;
	sst_table *t;
	sst_iter *it = NULL;
	sst_err e = { 0, "" };
	char want[1024];
	uint8_t *img = NULL;
	sst_handle h;
	size_t n, i, nrec;
	int comp, rc;

	for (comp = 0; comp < 2; comp++) {
		sst_table_opts_default(&o);
		o.block_size = 4096;
		o.compression = comp ? SST_COMP_ZSTD : SST_COMP_NONE;
		CHECK(build_seq(unit_path("win.sst"), 40000, 1, &o) == 0);
		for (i = 0; i < sizeof(re) / sizeof(re[0]); i++) {
			char src[512];

			snprintf(src, sizeof(src), "%s", unit_path("win.sst"));	/* unit_path's buffer is reused */
			CHECK(reindex(src, unit_path("win-re.sst"), re[i].keep, re[i].swap) > 20);
			CHECK_RC(sst_table_open(&t, unit_path("win-re.sst"), &e), SST_OK);
			if (t == NULL)
				continue;
			scan_both(t, re[i].what);
			if (i == 0) {	/* the helper keeps the table as it was */
				CHECK_RC(sst_table_iter_ahead(t, &it, &e), SST_OK);
				for (nrec = 0, rc = sst_iter_first(it, &e); rc == SST_OK && it->valid;
				    rc = sst_iter_next(it, &e))
					nrec++;
				CHECK(rc == SST_OK && nrec == 40000);
				sst_iter_destroy(&it);
			}
			sst_table_close(&t);
		}
		/* A flipped byte in a block in the middle of a read. */
		h = block_handle(unit_path("win.sst"), 20);
		n = read_file(unit_path("win.sst"), &img);
		CHECK(n > 4 * 64 * 1024 || comp);	/* stored raw: several windows */
		img[h.off + h.len / 2] ^= 0x01;
		write_file(unit_path("win-flip.sst"), img, n);
		free(img);
		img = NULL;
		snprintf(want, sizeof(want), "%s@%llu: data block: checksum mismatch", unit_path("win-flip.sst"),
		    (unsigned long long)h.off);
		CHECK_RC(sst_table_open(&t, unit_path("win-flip.sst"), &e), SST_OK);
		if (t == NULL)
			continue;
		scan_both(t, "flip in a read");
		CHECK_RC(sst_table_iter_ahead(t, &it, &e), SST_OK);
		for (nrec = 0, rc = sst_iter_first(it, &e); rc == SST_OK && it->valid; rc = sst_iter_next(it, &e))
			nrec++;
		CHECK(rc == SST_EDATA && strcmp(e.msg, want) == 0 && nrec > 0);
		if (strcmp(e.msg, want) != 0)
			fprintf(stderr, "want '%s', got '%s'\n", want, e.msg);
		sst_iter_destroy(&it);
		sst_table_close(&t);
	}
}

int
main(void)
{
	test_empty();
	test_key_order();
	test_seq(1, 8192, 1, SST_COMP_ZSTD);
	test_seq(15, 256, 1, SST_COMP_ZSTD);
	test_seq(16, 256, 1, SST_COMP_NONE);
	test_seq(17, 256, 2, SST_COMP_ZSTD);
	test_seq(33, 8192, 1, SST_COMP_ZSTD);
	test_seq(20000, 4096, 2, SST_COMP_ZSTD);
	test_seq(1000000, 8192, 2, SST_COMP_ZSTD);
	test_fpr();
	test_filter_slices();
	test_big_records();
	test_damage();
	test_merge();
	test_ahead();
	test_ahead_window();
	UNIT_DONE();
}
