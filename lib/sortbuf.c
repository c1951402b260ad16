/*
 * sortbuf.c - the sorter's in-memory sort buffer (sortbuf.h): an in-place
 * MSD radix sort (American flag sort) of the entries by the bytes of their
 * key prefix, down to ranges of at most RADIX_MIN entries or of one prefix,
 * which an introsort (median of three, heapsort past a depth limit,
 * insertion sort of short ranges) finishes by the whole order (prefix, key,
 * input order); then latest-wins dedup; of the whole entry array, or of its
 * newer and older halves separately (split sort). The order is total, so
 * the result does not depend on how the sort gets there.
 */
#include "sortbuf.h"

#include <sys/mman.h>
#include <unistd.h>

int
sst_sortbuf_alloc(sst_sortbuf *b, size_t cap, const char *name, sst_err *err)
{
	void *p;

	if (b->base != NULL)
		return SST_OK;
	p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return sst_syserr(err, "%s: sort buffer of %zu bytes", name, cap);
	b->base = p;
	b->cap = cap;
	b->alen = b->n = b->nsorted = b->nolder = 0;
	b->sorted = b->older = NULL;
	return SST_OK;
}

void
sst_sortbuf_release(sst_sortbuf *b)
{
	if (b->base != NULL)
		munmap(b->base, b->cap);
	memset(b, 0, sizeof(*b));
}

void
sst_sortbuf_reset(sst_sortbuf *b)
{
	b->alen = b->n = b->nsorted = b->nolder = 0;
	b->sorted = b->older = NULL;
}

void
sst_sortbuf_trim(sst_sortbuf *b)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)(b->base + b->alen);
	uintptr_t hi = (uintptr_t)sst_sortbuf_ents(b);

	if (b->base == NULL || page == 0 || page == (uintptr_t)-1)
		return;
	lo = (lo + page - 1) / page * page;
	hi = hi / page * page;
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

static inline int
ent_lt(const sst_sortent *a, const sst_sortent *b, const uint8_t *base)
{
	int c;

	if (a->pfx != b->pfx)
		return a->pfx < b->pfx;
	c = sst_key_tail_cmp(base + a->off, a->klen, base + b->off, b->klen);
	if (c != 0)
		return c < 0;
	return a->off < b->off;
}

static inline void
ent_swap(sst_sortent *a, sst_sortent *b)
{
	sst_sortent t = *a;

	*a = *b;
	*b = t;
}

static void
ent_isort(sst_sortent *e, size_t n, const uint8_t *base)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		sst_sortent t = e[i];

		for (j = i; j > 0 && ent_lt(&t, &e[j - 1], base); j--)
			e[j] = e[j - 1];
		e[j] = t;
	}
}

static void
ent_sift(sst_sortent *e, size_t i, size_t n, const uint8_t *base)
{
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			return;
		if (c + 1 < n && ent_lt(&e[c], &e[c + 1], base))
			c++;
		if (!ent_lt(&e[i], &e[c], base))
			return;
		ent_swap(&e[i], &e[c]);
		i = c;
	}
}

static void
ent_heapsort(sst_sortent *e, size_t n, const uint8_t *base)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		ent_sift(e, i, n, base);
	for (i = n; i-- > 1;) {
		ent_swap(&e[0], &e[i]);
		ent_sift(e, 0, i, base);
	}
}

/* Introsort: quicksort, median of three, heapsort past a depth limit. */
static void
ent_sort(sst_sortent *e, size_t n, const uint8_t *base, int depth)
{
	while (n > 16) {
		size_t m = n / 2, i, j;

		if (depth-- == 0) {
			ent_heapsort(e, n, base);
			return;
		}
		if (ent_lt(&e[m], &e[0], base))
			ent_swap(&e[m], &e[0]);
		if (ent_lt(&e[n - 1], &e[0], base))
			ent_swap(&e[n - 1], &e[0]);
		if (ent_lt(&e[n - 1], &e[m], base))
			ent_swap(&e[n - 1], &e[m]);
		ent_swap(&e[m], &e[n - 2]);
		i = 0;
		j = n - 2;
		for (;;) {
			while (ent_lt(&e[++i], &e[n - 2], base))
				;
			while (ent_lt(&e[n - 2], &e[--j], base))
				;
			if (i >= j)
				break;
			ent_swap(&e[i], &e[j]);
		}
		ent_swap(&e[i], &e[n - 2]);
		if (i < n - i) {
			ent_sort(e, i, base, depth);
			e += i + 1;
			n -= i + 1;
		} else {
			ent_sort(e + i + 1, n - i - 1, base, depth);
			n = i;
		}
	}
	ent_isort(e, n, base);
}

static int
ent_depth(size_t n)
{
	int depth = 0;

	for (; n > 0; n >>= 1)
		depth += 2;
	return depth;
}

#define RADIX_MIN	32

/*
 * Sorts e[0..n), whose prefixes agree in their bytes above byte (0 is the
 * most significant): by byte, in place, then each bucket by the next byte.
 * A byte that all entries share costs one counting pass.
 */
static void
ent_radix(sst_sortent *e, size_t n, const uint8_t *base, int byte)
{
	size_t cnt[256], head[256], end[256], i;
	unsigned shift, b, lo, hi;

	for (; byte < 8 && n > RADIX_MIN; byte++) {
		shift = 56 - 8 * (unsigned)byte;
		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < n; i++)
			cnt[(e[i].pfx >> shift) & 0xff]++;
		if (cnt[(e[0].pfx >> shift) & 0xff] == n)
			continue;
		for (lo = 0; cnt[lo] == 0; lo++)
			;
		for (hi = 255; cnt[hi] == 0; hi--)
			;
		for (b = lo, i = 0; b <= hi; b++) {
			head[b] = i;
			i += cnt[b];
			end[b] = i;
		}
		/* American flag sort: each entry swaps straight into its bucket */
		for (b = lo; b < hi; b++) {
			while (head[b] < end[b]) {
				sst_sortent x = e[head[b]];
				unsigned d = (unsigned)(x.pfx >> shift) & 0xff;

				while (d != b) {
					sst_sortent t = e[head[d]];

					e[head[d]++] = x;
					x = t;
					d = (unsigned)(x.pfx >> shift) & 0xff;
				}
				e[head[b]++] = x;
			}
		}
		for (b = lo, i = 0; b <= hi; i += cnt[b], b++)
			if (cnt[b] > 1)
				ent_radix(e + i, cnt[b], base, byte + 1);
		return;
	}
	if (n > 1)
		ent_sort(e, n, base, ent_depth(n));
}

static inline int
ent_key_eq(const sst_sortent *a, const sst_sortent *b, const uint8_t *base)
{
	return a->pfx == b->pfx && a->klen == b->klen &&
	    sst_key_tail_cmp(base + a->off, a->klen, base + b->off, b->klen) == 0;
}

/* Sorts e[0..n) and keeps the latest entry of each key; returns their count. */
static size_t
sort_range(sst_sortent *e, size_t n, const uint8_t *base)
{
	size_t i, u = 0;

	if (n == 0)
		return 0;
	ent_radix(e, n, base, 0);
	for (i = 0; i < n; i++) {
		if (i + 1 < n && ent_key_eq(&e[i], &e[i + 1], base))
			continue;
		e[u++] = e[i];
	}
	return u;
}

/* Sorts the buffer and keeps the latest entry of each key. */
void
sst_sortbuf_sort(sst_sortbuf *b)
{
	b->older = NULL;
	b->nolder = 0;
	if (b->base == NULL || b->n == 0) {
		b->sorted = NULL;
		b->nsorted = 0;
		return;
	}
	b->sorted = sst_sortbuf_ents(b);
	b->nsorted = sort_range(b->sorted, b->n, b->base);
}

/* Entries grow down: the newer half is the first n/2 of the array. */
void
sst_sortbuf_sort_newer(sst_sortbuf *b)
{
	if (b->base == NULL) {
		b->sorted = NULL;
		b->nsorted = 0;
		return;
	}
	b->sorted = sst_sortbuf_ents(b);
	b->nsorted = sort_range(b->sorted, b->n / 2, b->base);
}

void
sst_sortbuf_sort_older(sst_sortbuf *b)
{
	if (b->base == NULL) {
		b->older = NULL;
		b->nolder = 0;
		return;
	}
	b->older = sst_sortbuf_ents(b) + b->n / 2;
	b->nolder = sort_range(b->older, b->n - b->n / 2, b->base);
}
