/*
 * sampler.c - reservoir sampling of keys, sample files, and the choice of
 * split keys from samples (see sampler.h).
 */
#include "sampler.h"

#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "util.h"

uint64_t
sst_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n >= 1 (Lemire's multiply-shift, with rejection). */
static uint64_t
below(uint64_t *state, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)sst_splitmix64(state) * n;
	uint64_t lo = (uint64_t)m, t;

	if (lo < n) {
		t = -n % n;
		while (lo < t) {
			m = (unsigned __int128)sst_splitmix64(state) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

typedef struct slot {
	uint8_t *k;
	size_t len, cap;
} slot;

struct sst_sampler {
	slot *s;
	size_t n, cap, count;
	uint64_t seen, bytes, rng;
};

int
sst_sampler_new(sst_sampler **sp, size_t count, uint64_t seed, sst_err *err)
{
	sst_sampler *s;

	if ((s = sst_calloc(1, sizeof(*s), err)) == NULL)
		return SST_ESYS;
	s->count = count ? count : 1;
	s->rng = seed;
	*sp = s;
	return SST_OK;
}

static int
slot_set(slot *sl, const uint8_t *key, size_t klen, sst_err *err)
{
	uint8_t *k;

	if (klen > sl->cap) {
		if ((k = sst_realloc(sl->k, klen, err)) == NULL)
			return SST_ESYS;
		sl->k = k;
		sl->cap = klen;
	}
	memcpy(sl->k, key, klen);
	sl->len = klen;
	return SST_OK;
}

int
sst_sampler_add(sst_sampler *s, const uint8_t *key, size_t klen, uint64_t bytes, sst_err *err)
{
	uint64_t j;
	slot *g;
	size_t cap;

	s->seen++;
	s->bytes += bytes;
	if (s->n < s->count) {
		if (s->n == s->cap) {
			cap = s->cap ? s->cap * 2 : 64;
			if (cap > s->count)
				cap = s->count;
			if ((g = sst_realloc(s->s, cap * sizeof(*g), err)) == NULL)
				return SST_ESYS;
			memset(g + s->cap, 0, (cap - s->cap) * sizeof(*g));
			s->s = g;
			s->cap = cap;
		}
		return slot_set(&s->s[s->n++], key, klen, err);
	}
	/* algorithm R: the seen-th record replaces a kept one with p = count/seen */
	if ((j = below(&s->rng, s->seen)) < s->count)
		return slot_set(&s->s[j], key, klen, err);
	return SST_OK;
}

uint64_t sst_sampler_seen(const sst_sampler *s) { return s->seen; }
uint64_t sst_sampler_bytes(const sst_sampler *s) { return s->bytes; }
size_t sst_sampler_kept(const sst_sampler *s) { return s->n; }

static int
slot_cmp(const void *a, const void *b)
{
	const slot *x = a, *y = b;

	return sst_keycmp(x->k, x->len, y->k, y->len);
}

static void
put_line(FILE *f, const uint8_t *k, size_t klen, uint64_t w)
{
	sst_put_escaped(f, k, klen);
	fprintf(f, "\t%llu\n", (unsigned long long)w);
}

/* The weight of sample i of k standing for t bytes in all. */
static uint64_t
share(uint64_t t, size_t i, size_t k)
{
	return (uint64_t)((unsigned __int128)t * (i + 1) / k - (unsigned __int128)t * i / k);
}

int
sst_sampler_write(sst_sampler *s, FILE *f, sst_err *err)
{
	size_t i;
	uint64_t w = 0;

	if (s->n > 1)
		qsort(s->s, s->n, sizeof(*s->s), slot_cmp);
	for (i = 0; i < s->n; i++) {
		w += share(s->bytes, i, s->n);
		if (i + 1 < s->n && slot_cmp(&s->s[i], &s->s[i + 1]) == 0)
			continue;
		put_line(f, s->s[i].k, s->s[i].len, w);
		w = 0;
	}
	if (ferror(f))
		return sst_syserr(err, "write error");
	return SST_OK;
}

void
sst_sampler_free(sst_sampler **sp)
{
	sst_sampler *s = *sp;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->cap; i++)
		free(s->s[i].k);
	free(s->s);
	free(s);
	*sp = NULL;
}

/* ---- sample sets ---- */

typedef struct entry {
	size_t off, len;
	uint64_t w;
} entry;

struct sst_sample_set {
	sst_buf keys;
	entry *e;
	size_t n, cap;
	uint64_t total;
};

int
sst_sample_set_new(sst_sample_set **ss, sst_err *err)
{
	if ((*ss = sst_calloc(1, sizeof(**ss), err)) == NULL)
		return SST_ESYS;
	return SST_OK;
}

int
sst_sample_set_add(sst_sample_set *ss, const uint8_t *key, size_t klen, uint64_t bytes,
    sst_err *err)
{
	entry *g;
	size_t cap;
	int rc;

	if (bytes > UINT64_MAX - ss->total)
		return sst_error(err, SST_EDATA, "the sampled bytes add up to more than 2^64-1");
	if (ss->n == ss->cap) {
		cap = ss->cap ? ss->cap * 2 : 1024;
		if ((g = sst_realloc(ss->e, cap * sizeof(*g), err)) == NULL)
			return SST_ESYS;
		ss->e = g;
		ss->cap = cap;
	}
	if ((rc = sst_buf_append(&ss->keys, key, klen, err)) != SST_OK)
		return rc;
	ss->e[ss->n].off = ss->keys.len - klen;
	ss->e[ss->n].len = klen;
	ss->e[ss->n].w = bytes;
	ss->n++;
	ss->total += bytes;
	return SST_OK;
}

/* BYTES: decimal digits only, no overflow. */
static int
parse_u64(const uint8_t *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return SST_EDATA;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return SST_EDATA;
		if (v > (UINT64_MAX - (uint64_t)(p[i] - '0')) / 10)
			return SST_EDATA;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return SST_OK;
}

int
sst_sample_set_read(sst_sample_set *ss, const char *path, sst_err *err)
{
	sst_rec_opts ro = { SST_FMT_TSV, 1, 0 };
	sst_reader *rd;
	sst_rec r;
	uint64_t w;
	int eof = 0, rc;
	char shown[64];

	if ((rc = sst_reader_open(&rd, path, &ro, err)) != SST_OK)
		return rc;
	for (;;) {
		if ((rc = sst_reader_next(rd, &r, &eof, err)) != SST_OK || eof)
			break;
		if (parse_u64(r.val, r.vlen, &w) != SST_OK) {
			sst_show_bytes(shown, sizeof(shown), r.val, r.vlen, 0);
			rc = sst_error(err, SST_EDATA, "%s: want KEY<TAB>BYTES (a sample line of "
			    "sst-sample), BYTES a decimal number, not \"%s\"",
			    sst_reader_where(rd), shown);
			break;
		}
		if ((rc = sst_sample_set_add(ss, r.key, r.klen, w, err)) != SST_OK) {
			if (rc == SST_EDATA) {
				char m[sizeof(err->msg)];

				snprintf(m, sizeof(m), "%s", err->msg);
				sst_error(err, rc, "%s: %s", sst_reader_where(rd), m);
			}
			break;
		}
	}
	sst_reader_close(&rd);
	return rc;
}

static int
entry_cmp(const void *a, const void *b, void *base)
{
	const entry *x = a, *y = b;
	const uint8_t *k = base;

	return sst_keycmp(k + x->off, x->len, k + y->off, y->len);
}

int
sst_sample_set_cuts(sst_sample_set *ss, size_t nparts, sst_splits *out, sst_err *err)
{
	size_t m = 0, i, j, c, last = 0;
	unsigned __int128 t, below_c, next_c;
	uint64_t *cum = NULL;
	size_t *pick = NULL;
	int rc = SST_OK;

	memset(out, 0, sizeof(*out));
	/* sort, then merge equal keys (adding their weights) */
	if (ss->n > 1)
		qsort_r(ss->e, ss->n, sizeof(*ss->e), entry_cmp, ss->keys.p);
	for (i = 0; i < ss->n; i++) {
		if (m > 0 && entry_cmp(&ss->e[m - 1], &ss->e[i], ss->keys.p) == 0)
			ss->e[m - 1].w += ss->e[i].w;
		else
			ss->e[m++] = ss->e[i];
	}
	ss->n = m;
	if ((cum = sst_calloc(m + 1, sizeof(*cum), err)) == NULL ||
	    (pick = sst_calloc(nparts, sizeof(*pick), err)) == NULL ||
	    (out->off = sst_calloc(nparts + 1, sizeof(*out->off), err)) == NULL) {
		rc = SST_ESYS;
		goto done;
	}
	for (i = 0; i < m; i++)		/* cum[i]: the weight of the keys before key i */
		cum[i + 1] = cum[i] + ss->e[i].w;
	/* cut j at the key i >= 1 whose cum[i] is closest to total*j/nparts */
	for (j = 1, i = 1; j < nparts && m > 1; j++) {
		t = (unsigned __int128)ss->total * j;
		while (i + 1 < m && (unsigned __int128)cum[i + 1] * nparts <= t)
			i++;
		c = i;
		below_c = (unsigned __int128)cum[i] * nparts;
		if (i + 1 < m && below_c < t) {
			next_c = (unsigned __int128)cum[i + 1] * nparts;
			if (t - below_c > next_c - t)
				c = i + 1;
		}
		if (c > last)
			pick[out->n++] = last = c;
	}
	{
		size_t bytes = 0;

		for (j = 0; j < out->n; j++)
			bytes += ss->e[pick[j]].len;
		if ((out->keys = sst_malloc(bytes ? bytes : 1, err)) == NULL) {
			rc = SST_ESYS;
			goto done;
		}
		for (j = 0; j < out->n; j++) {
			memcpy(out->keys + out->off[j], ss->keys.p + ss->e[pick[j]].off,
			    ss->e[pick[j]].len);
			out->off[j + 1] = out->off[j] + ss->e[pick[j]].len;
		}
	}
done:
	free(cum);
	free(pick);
	if (rc != SST_OK)
		sst_splits_free(out);
	return rc;
}

void
sst_sample_set_free(sst_sample_set **ssp)
{
	sst_sample_set *ss = *ssp;

	if (ss == NULL)
		return;
	sst_buf_free(&ss->keys);
	free(ss->e);
	free(ss);
	*ssp = NULL;
}
