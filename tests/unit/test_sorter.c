#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>

#include "sorter.h"
#include "sortbuf.h"
#include "unit.h"
#include "util.h"

struct mrec {
	uint8_t *key;
	size_t klen;
	uint8_t *val;
	size_t vlen;
	int kind;
	size_t seq;
};

static uint64_t rng = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int
mrec_cmp(const void *a, const void *b)
{
	const struct mrec *x = a, *y = b;
	int c = sst_keycmp(x->key, x->klen, y->key, y->klen);

	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
opts_for(sst_sorter_opts *o, uint64_t mem, int threads, int fanin, int level)
{
	sst_sorter_opts_default(o);
	o->memory = mem;
	o->threads = threads;
	o->max_fanin = fanin;
	o->compress_runs = level;
	o->tmpdir = unit_tmpdir();
}

/*
 * Feeds recs[0..n) to a sorter and checks its output against the model
 * (sorted by key then sequence, the last of each key wins). Returns the
 * number of mismatches.
 */
static int
run_model(struct mrec *recs, size_t n, const sst_sorter_opts *o, sst_sorter_stats *st)
{
	sst_sorter *s = NULL;
	sst_iter *it = NULL;
	sst_err err;
	struct mrec *m;
	size_t i, j;
	int bad = 0, rc;

	if (st != NULL)
		memset(st, 0, sizeof(*st));	/* the caller checks it after a failure too */
	if (sst_sorter_new(&s, o, &err) != SST_OK)
		return 1;
	for (i = 0; i < n; i++) {
		sst_rec r = { recs[i].key, recs[i].klen, recs[i].val, recs[i].vlen, recs[i].kind };

		if ((rc = sst_sorter_add(s, &r, &err)) != SST_OK) {
			fprintf(stderr, "add: %s\n", err.msg);
			sst_sorter_free(&s);
			return 1;
		}
	}
	if ((rc = sst_sorter_finish(s, &it, &err)) != SST_OK) {
		fprintf(stderr, "finish: %s\n", err.msg);
		sst_sorter_free(&s);
		return 1;
	}
	m = malloc((n ? n : 1) * sizeof(*m));
	if (n > 0)
		memcpy(m, recs, n * sizeof(*m));
	qsort(m, n, sizeof(*m), mrec_cmp);
	rc = sst_iter_first(it, &err);
	for (i = 0; i < n && rc == SST_OK; i = j) {
		for (j = i + 1; j < n && sst_keycmp(m[i].key, m[i].klen, m[j].key, m[j].klen) == 0; j++)
			;
		if (!it->valid) {
			bad++;
			break;
		}
		if (sst_keycmp(it->rec.key, it->rec.klen, m[j - 1].key, m[j - 1].klen) != 0 ||
		    it->rec.kind != m[j - 1].kind || it->rec.vlen != m[j - 1].vlen ||
		    (it->rec.vlen > 0 && memcmp(it->rec.val, m[j - 1].val, it->rec.vlen) != 0))
			bad++;
		rc = sst_iter_next(it, &err);
	}
	if (rc != SST_OK) {
		fprintf(stderr, "iterate: %s\n", err.msg);
		bad++;
	} else if (it->valid) {
		bad++;
	}
	if (st != NULL)
		sst_sorter_stats_get(s, st);
	sst_iter_destroy(&it);
	sst_sorter_free(&s);
	free(m);
	return bad;
}

static void
mrec_set(struct mrec *r, const void *k, size_t klen, const void *v, size_t vlen, int kind, size_t seq)
{
	r->key = malloc(klen);
	memcpy(r->key, k, klen);
	r->klen = klen;
	r->val = vlen ? malloc(vlen) : NULL;
	if (vlen)
		memcpy(r->val, v, vlen);
	r->vlen = vlen;
	r->kind = kind;
	r->seq = seq;
}

static void
mrecs_free(struct mrec *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(r[i].key);
		free(r[i].val);
	}
	free(r);
}

/* Random keys over a tiny alphabet, so that prefixes and duplicates abound. */
static struct mrec *
gen_random(size_t n, size_t maxv)
{
	static const uint8_t alpha[] = { 0x00, 0x01, 'a', 0x7f, 0x80, 0xff };
	struct mrec *r = calloc(n, sizeof(*r));
	uint8_t k[24], v[4096];
	size_t i, j;

	for (i = 0; i < n; i++) {
		size_t kl = 1 + rnd() % 12, vl = rnd() % (maxv + 1);

		for (j = 0; j < kl; j++)
			k[j] = alpha[rnd() % sizeof(alpha)];
		if (rnd() % 4 == 0)	/* a long shared prefix */
			memset(k, 0xff, kl > 9 ? 9 : kl);
		for (j = 0; j < vl; j++)
			v[j] = (uint8_t)rnd();
		mrec_set(&r[i], k, kl, v, vl, rnd() % 5 == 0 ? SST_DEL : SST_PUT, i);
	}
	return r;
}

static void
test_empty(int threads)
{
	sst_sorter_opts o;
	sst_sorter_stats st;

	opts_for(&o, 1 << 20, threads, 0, 1);
	CHECK(run_model(NULL, 0, &o, &st) == 0);
	CHECK(st.records_in == 0 && st.runs == 0);
}

static void
test_one(int threads)
{
	struct mrec *r = calloc(1, sizeof(*r));
	sst_sorter_opts o;
	sst_sorter_stats st;

	mrec_set(&r[0], "k", 1, "v", 1, SST_PUT, 0);
	opts_for(&o, 1 << 20, threads, 0, 1);
	CHECK(run_model(r, 1, &o, &st) == 0);
	CHECK(st.records_in == 1 && st.runs == 0 && st.keys_bound == 1);
	mrecs_free(r, 1);
}

/* Latest wins, within a run and across runs; deletes and puts after deletes. */
static void
test_latest_wins(int threads, uint64_t mem)
{
	size_t n = 6000, i;
	struct mrec *r = calloc(n, sizeof(*r));
	sst_sorter_opts o;
	sst_sorter_stats st;
	char k[32], v[64];

	for (i = 0; i < n; i++) {
		int kind = SST_PUT;
		size_t kl, vl;

		if (i % 3 == 0)		/* hot keys repeated through all runs */
			kl = (size_t)snprintf(k, sizeof(k), "hot%zu", i % 7);
		else
			kl = (size_t)snprintf(k, sizeof(k), "key%06zu", (i * 7919) % 2000);
		vl = (size_t)snprintf(v, sizeof(v), "value-%zu-padding-padding", i);
		if (i % 11 == 0)
			kind = SST_DEL;
		mrec_set(&r[i], k, kl, v, kind == SST_DEL ? 0 : vl, kind, i);
	}
	/* A delete last for one hot key, a put after a delete for another. */
	free(r[n - 2].key);
	free(r[n - 2].val);
	mrec_set(&r[n - 2], "hot1", 4, NULL, 0, SST_DEL, n - 2);
	free(r[n - 1].key);
	free(r[n - 1].val);
	mrec_set(&r[n - 1], "hot2", 4, "back", 4, SST_PUT, n - 1);
	opts_for(&o, mem, threads, 0, 1);
	CHECK(run_model(r, n, &o, &st) == 0);
	if (mem < (1 << 20))
		CHECK(st.runs > 5);
	else
		CHECK(st.runs == 0);
	mrecs_free(r, n);
}

/* Many runs, forced multi-pass merges, compared with the model. */
static void
test_random(int threads, int fanin, int level, size_t n, size_t maxv)
{
	struct mrec *r = gen_random(n, maxv);
	sst_sorter_opts o;
	sst_sorter_stats st;

	opts_for(&o, 64 << 10, threads, fanin, level);
	CHECK(run_model(r, n, &o, &st) == 0);
	CHECK(st.runs >= 12);
	if (fanin > 0)
		CHECK(st.merge_passes >= 2);
	CHECK(st.records_in == n);
	CHECK(st.bytes_spilled > 0);
	mrecs_free(r, n);
}

/*
 * Runs of many blocks holding the same keys: the merge skips the older
 * copies of the key it returned last after its run moved on, also when
 * that run has just loaded its next block over the key (the merge keeps a
 * copy of it then). Keys longer than 8 bytes differ only past the prefix.
 */
static void
test_merge_block_edges(int threads, int level)
{
	size_t nk = 12000, passes = 6, n = nk * passes, i;
	struct mrec *r = calloc(n, sizeof(*r));
	sst_sorter_opts o;
	sst_sorter_stats st;
	char k[32], v[160];

	for (i = 0; i < n; i++) {
		size_t kl, vl;

		kl = (size_t)snprintf(k, sizeof(k), "samepfx-%06zu", (i * 7919) % nk);
		vl = (size_t)snprintf(v, sizeof(v), "%zu-%0100zu", i / nk, i);
		mrec_set(&r[i], k, kl, v, vl, SST_PUT, i);
	}
	opts_for(&o, 3 << 20, threads, 0, level);
	CHECK(run_model(r, n, &o, &st) == 0);
	/* runs of several blocks: about 1000 records of 130 bytes a block */
	CHECK(st.runs >= 3 && n / st.runs > 2000);
	mrecs_free(r, n);
}

/* Records larger than the buffers and than the whole budget. */
static void
test_big(int threads)
{
	size_t n = 40, i, big = 300 << 10;
	struct mrec *r = calloc(n, sizeof(*r));
	uint8_t *v = malloc(big), k[8];
	sst_sorter_opts o;
	sst_sorter_stats st;

	for (i = 0; i < big; i++)
		v[i] = (uint8_t)(i * 31 + (i >> 9));
	for (i = 0; i < n; i++) {
		size_t vl = i % 4 == 0 ? big - i : (i % 4 == 1 ? 20000 + i : 10 + i);

		k[0] = 'b';
		k[1] = (uint8_t)('a' + i % 9);
		v[0] = (uint8_t)i;
		mrec_set(&r[i], k, 2, v, vl, SST_PUT, i);
	}
	opts_for(&o, 64 << 10, threads, 0, 1);
	CHECK(run_model(r, n, &o, &st) == 0);
	CHECK(st.runs >= 10);
	opts_for(&o, 64 << 10, threads, 2, 0);
	CHECK(run_model(r, n, &o, &st) == 0);
	CHECK(st.merge_passes >= 2);
	mrecs_free(r, n);
	free(v);
}

static void
test_max_key(void)
{
	size_t n = 6, i;
	struct mrec *r = calloc(n, sizeof(*r));
	uint8_t *k = malloc(SST_MAX_KEY);
	sst_sorter_opts o;

	memset(k, 'x', SST_MAX_KEY);
	for (i = 0; i < n; i++) {
		k[SST_MAX_KEY - 1] = (uint8_t)('a' + i % 3);
		mrec_set(&r[i], k, SST_MAX_KEY - (i % 2), "v", 1, SST_PUT, i);
	}
	opts_for(&o, 64 << 10, 2, 2, 1);
	CHECK(run_model(r, n, &o, NULL) == 0);
	mrecs_free(r, n);
	free(k);
}

static void
test_bad_input(void)
{
	sst_sorter_opts o;
	sst_sorter *s = NULL;
	sst_err err;
	sst_rec r = { (const uint8_t *)"", 0, NULL, 0, SST_PUT };

	opts_for(&o, 1 << 20, 1, 0, 1);
	CHECK_RC(sst_sorter_new(&s, &o, &err), SST_OK);
	CHECK_RC(sst_sorter_add(s, &r, &err), SST_EDATA);
	r.key = (const uint8_t *)"k";
	r.klen = 1;
	r.vlen = SST_MAX_VALUE + 1;
	r.val = (const uint8_t *)"v";
	CHECK_RC(sst_sorter_add(s, &r, &err), SST_EDATA);
	sst_sorter_free(&s);
	CHECK(s == NULL);
	sst_sorter_free(&s);
}

/* An unusable temporary directory is SST_ESYS naming it. */
static void
test_bad_tmpdir(int threads)
{
	sst_sorter_opts o;
	sst_sorter *s = NULL;
	sst_iter *it = NULL;
	sst_err err;
	char k[16];
	size_t i;
	int rc = SST_OK;

	opts_for(&o, 64 << 10, threads, 0, 1);
	o.tmpdir = "/nonexistent/sstkit-tmp";
	CHECK_RC(sst_sorter_new(&s, &o, &err), SST_OK);
	for (i = 0; i < 5000 && rc == SST_OK; i++) {
		sst_rec r = { (const uint8_t *)k, (size_t)snprintf(k, sizeof(k), "k%zu", i),
		    (const uint8_t *)"value", 5, SST_PUT };

		rc = sst_sorter_add(s, &r, &err);
	}
	if (rc == SST_OK)
		rc = sst_sorter_finish(s, &it, &err);
	CHECK_RC(rc, SST_ESYS);
	CHECK(strstr(err.msg, "/nonexistent/sstkit-tmp") != NULL);
	CHECK(it == NULL);
	sst_sorter_free(&s);
}

/* Finds the sorter's temporary files among our fds (they live in tmpdir). */
static int
tmp_fds(int *fds, int max)
{
	char dir[PATH_MAX], link[64], target[PATH_MAX];
	const char *t = unit_tmpdir();
	int n = 0, fd;

	if (realpath(t, dir) == NULL)
		return 0;
	for (fd = 3; fd < 256 && n < max; fd++) {
		ssize_t l;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if ((l = readlink(link, target, sizeof(target) - 1)) < 0)
			continue;
		target[l] = '\0';
		if (strncmp(target, dir, strlen(dir)) == 0)
			fds[n++] = fd;
	}
	return n;
}

/* A damaged temporary run is SST_EDATA, never garbage. */
static void
test_damage(void)
{
	sst_sorter_opts o;
	sst_sorter *s = NULL;
	sst_iter *it = NULL;
	sst_err err;
	char k[16];
	size_t i;
	int fds[8], nfd, rc;

	opts_for(&o, 64 << 10, 1, 0, 1);
	CHECK_RC(sst_sorter_new(&s, &o, &err), SST_OK);
	for (i = 0; i < 3000; i++) {
		sst_rec r = { (const uint8_t *)k, (size_t)snprintf(k, sizeof(k), "k%zu", (i * 37) % 3000),
		    (const uint8_t *)"some value bytes", 16, SST_PUT };

		CHECK_RC(sst_sorter_add(s, &r, &err), SST_OK);
	}
	nfd = tmp_fds(fds, 8);
	CHECK(nfd == 1);
	if (nfd >= 1) {
		off_t end = lseek(fds[0], 0, SEEK_END);

		CHECK(end > 1000);
		CHECK(pwrite(fds[0], "\x55\xaa", 2, end / 2) == 2);
	}
	rc = sst_sorter_finish(s, &it, &err);
	if (rc == SST_OK) {
		rc = sst_iter_first(it, &err);
		while (rc == SST_OK && it->valid)
			rc = sst_iter_next(it, &err);
		/* the error sticks */
		CHECK_RC(sst_iter_next(it, &err), SST_EDATA);
	}
	CHECK_RC(rc, SST_EDATA);
	CHECK(strstr(err.msg, "damaged") != NULL);
	sst_iter_destroy(&it);
	sst_sorter_free(&s);
	CHECK(tmp_fds(fds, 8) == 0);
}

/* Damage inside an oversize record, read only when it is output. */
static void
test_damage_big(void)
{
	sst_sorter_opts o;
	sst_sorter *s = NULL;
	sst_iter *it = NULL;
	sst_err err;
	size_t big = 400 << 10;
	uint8_t *v = calloc(1, big);
	sst_rec r = { (const uint8_t *)"a", 1, (const uint8_t *)"x", 1, SST_PUT };
	int fds[8], nfd, rc;

	opts_for(&o, 64 << 10, 1, 0, 0);
	CHECK_RC(sst_sorter_new(&s, &o, &err), SST_OK);
	CHECK_RC(sst_sorter_add(s, &r, &err), SST_OK);
	r.key = (const uint8_t *)"b";
	r.val = v;
	r.vlen = big;
	CHECK_RC(sst_sorter_add(s, &r, &err), SST_OK);
	nfd = tmp_fds(fds, 8);
	CHECK(nfd == 1);
	if (nfd >= 1)	/* else fds[0] is unset: never write to a stray fd */
		CHECK(pwrite(fds[0], "\x55", 1, 200 << 10) == 1);
	rc = sst_sorter_finish(s, &it, &err);
	CHECK_RC(rc, SST_OK);
	if (rc == SST_OK) {
		CHECK_RC(sst_iter_first(it, &err), SST_OK);
		CHECK(it->valid && it->rec.key[0] == 'a');
		CHECK_RC(sst_iter_next(it, &err), SST_EDATA);
		CHECK(strstr(err.msg, "checksum") != NULL);
	}
	sst_iter_destroy(&it);
	sst_sorter_free(&s);
	free(v);
}

/* seek() is a forward scan. */
static void
test_seek(void)
{
	sst_sorter_opts o;
	sst_sorter *s = NULL;
	sst_iter *it = NULL, *it2 = NULL;
	sst_err err;
	char k[16];
	size_t i;

	opts_for(&o, 64 << 10, 2, 0, 1);
	CHECK_RC(sst_sorter_new(&s, &o, &err), SST_OK);
	for (i = 0; i < 2000; i++) {
		sst_rec r = { (const uint8_t *)k, (size_t)snprintf(k, sizeof(k), "k%05zu", 1999 - i),
		    (const uint8_t *)"v", 1, SST_PUT };

		CHECK_RC(sst_sorter_add(s, &r, &err), SST_OK);
	}
	CHECK_RC(sst_sorter_finish(s, &it, &err), SST_OK);
	CHECK_RC(sst_sorter_finish(s, &it2, &err), SST_EDATA);
	CHECK(it2 == NULL);
	CHECK_RC(sst_iter_seek(it, (const uint8_t *)"k00100x", 7, &err), SST_OK);
	CHECK(it->valid && it->rec.klen == 6 && memcmp(it->rec.key, "k00101", 6) == 0);
	CHECK_RC(sst_iter_seek(it, (const uint8_t *)"k00101", 6, &err), SST_OK);
	CHECK(it->valid && memcmp(it->rec.key, "k00101", 6) == 0);
	CHECK_RC(sst_iter_seek(it, (const uint8_t *)"k00050", 6, &err), SST_EDATA);
	CHECK_RC(sst_iter_first(it, &err), SST_EDATA);
	sst_iter_destroy(&it);
	sst_sorter_free(&s);
}

/*
 * A sort buffer holding recs[0..n), sorted whole (how 0), or split with
 * the newer half sorted first (1) or the older half first (2); walked with
 * sst_sortbuf_next and compared with the model. Returns the mismatches.
 */
static int
sortbuf_model(struct mrec *recs, size_t n, int how)
{
	sst_sortbuf b;
	const sst_sortent *e;
	struct mrec *m = malloc((n ? n : 1) * sizeof(*m));
	sst_err err;
	size_t i, j, x = 0, y = 0;
	int bad = 0;

	memset(&b, 0, sizeof(b));
	if (m == NULL || sst_sortbuf_alloc(&b, 1 << 20, "t", &err) != SST_OK) {
		free(m);
		return 1;
	}
	for (i = 0; i < n; i++) {
		sst_rec r = { recs[i].key, recs[i].klen, recs[i].val, recs[i].vlen, recs[i].kind };

		sst_sortbuf_add(&b, &r);
	}
	if (how == 0) {
		sst_sortbuf_sort(&b);
	} else if (how == 1) {
		sst_sortbuf_sort_newer(&b);
		sst_sortbuf_sort_older(&b);
	} else {
		sst_sortbuf_sort_older(&b);
		sst_sortbuf_sort_newer(&b);
	}
	if (n > 0)
		memcpy(m, recs, n * sizeof(*m));
	qsort(m, n, sizeof(*m), mrec_cmp);
	for (i = 0; i < n; i = j) {
		const struct mrec *w;

		for (j = i + 1; j < n && sst_keycmp(m[i].key, m[i].klen, m[j].key, m[j].klen) == 0; j++)
			;
		w = &m[j - 1];
		if ((e = sst_sortbuf_next(&b, &x, &y)) == NULL) {
			bad++;
			break;
		}
		if (sst_keycmp(b.base + e->off, e->klen, w->key, w->klen) != 0 ||
		    (int)(e->vk & 1) != w->kind || e->vk >> 1 != w->vlen ||
		    (w->vlen > 0 && memcmp(b.base + e->off + e->klen, w->val, w->vlen) != 0))
			bad++;
	}
	if (sst_sortbuf_next(&b, &x, &y) != NULL)
		bad++;
	sst_sortbuf_release(&b);
	free(m);
	return bad;
}

/*
 * The split sort (the caller sorts the newer half of a full buffer, the
 * worker the older half and merges both as it spills): odd and even
 * counts, duplicates within and across the halves, the newer winning.
 */
static void
test_split_sort(void)
{
	static const size_t ns[] = { 0, 1, 2, 3, 4, 5, 16, 17, 33, 1000, 1001, 4097 };
	struct mrec *r;
	size_t k, i;
	int how;

	for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		r = gen_random(ns[k], 40);
		for (how = 0; how < 3; how++)
			CHECK(sortbuf_model(r, ns[k], how) == 0);
		mrecs_free(r, ns[k]);
	}
	/* One key throughout: a delete in the older half, the newest put wins. */
	r = calloc(9, sizeof(*r));
	for (i = 0; i < 9; i++)
		mrec_set(&r[i], "same-key-longer-than-8", 22, "v", i == 0 ? 0 : 1,
		    i == 0 ? SST_DEL : SST_PUT, i);
	r[8].val[0] = 'w';
	for (how = 0; how < 3; how++)
		CHECK(sortbuf_model(r, 9, how) == 0);
	/* and the newest a delete: it wins over the older half's puts. */
	free(r[8].val);
	r[8].val = NULL;
	r[8].vlen = 0;
	r[8].kind = SST_DEL;
	for (how = 0; how < 3; how++)
		CHECK(sortbuf_model(r, 9, how) == 0);
	mrecs_free(r, 9);
}

/*
 * The radix sort of the buffer's entries by key prefix, past its cutoff to
 * the comparison sort: keys of full random bytes after a few shared
 * prefixes (of 0 to 11 bytes, so prefixes tie whole and in part), drawn
 * from a pool so that duplicates (the latest wins) fall in different
 * buckets' ranges; empty values; compared with qsort.
 */
static void
test_radix_sort(void)
{
	static const char *pre[] = { "", "k", "abcdefg", "abcdefgh", "abcdefghijk" };
	static const size_t ns[] = { 31, 32, 33, 65, 300, 5000, 15000 };
	uint8_t k[32], pool[4000][32];
	size_t plen[4000], i, j, q;
	struct mrec *r;
	int how;

	for (i = 0; i < 4000; i++) {
		const char *p = pre[rnd() % 5];
		size_t pl = strlen(p), kl = pl + rnd() % 10;

		if (kl == 0)
			kl = 1;
		memcpy(pool[i], p, pl);
		for (j = pl; j < kl; j++)
			pool[i][j] = (uint8_t)(rnd() % 4 == 0 ? 0 : rnd());
		plen[i] = kl;
	}
	for (q = 0; q < sizeof(ns) / sizeof(ns[0]); q++) {
		size_t n = ns[q];

		r = calloc(n, sizeof(*r));
		for (i = 0; i < n; i++) {
			size_t x = rnd() % (n / 3 + 1 < 4000 ? n / 3 + 1 : 4000);

			memcpy(k, pool[x], plen[x]);
			mrec_set(&r[i], k, plen[x], "v", rnd() % 2, rnd() % 7 == 0 ? SST_DEL : SST_PUT, i);
			if (r[i].kind == SST_DEL)
				r[i].vlen = 0;
		}
		for (how = 0; how < 3; how++)
			CHECK(sortbuf_model(r, n, how) == 0);
		mrecs_free(r, n);
	}
}

int
main(void)
{
	int t;

	for (t = 1; t <= 2; t++) {
		test_empty(t);
		test_one(t);
		test_latest_wins(t, 64 << 10);
		test_latest_wins(t, 8 << 20);
		test_random(t, 0, 1, 20000, 100);
		test_random(t, 2, 1, 20000, 100);
		test_random(t, 3, -1, 15000, 300);
		test_random(t, 3, 0, 15000, 300);
		test_merge_block_edges(t, 0);
		test_merge_block_edges(t, 1);
		test_big(t);
		test_bad_tmpdir(t);
	}
	test_max_key();
	test_bad_input();
	test_damage();
	test_damage_big();
	test_seek();
	test_split_sort();
	test_radix_sort();
	UNIT_DONE();
}
