/*
 * sorter.c - the sorter's orchestration (sorter.h): fills sort buffers
 * (sortbuf.h), sorts the newer half of each full one and hands it to the
 * worker that sorts the older half and spills both, merged, as a run
 * (runfile.h), plans the merge passes within the memory budget, and merges
 * the runs and the last buffer into the output iterator.
 */
#include "sorter.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <zstd.h>

#include "fileio.h"
#include "runfile.h"
#include "sortbuf.h"
#include "util.h"
#include "worker.h"

#define MIN_BUF		(16u << 10)
#define NOFILE_RESERVE	32
#define PREFETCH	8		/* records ahead, when spilling */

/* A merge source: a run being read, or the sorted in-memory buffer. */
struct src {
	sst_runrec r;		/* the current record */
	int idx;		/* higher is newer */
	sst_sortbuf *mem;
	size_t mi;
	sst_run_reader rd;
};

/*
 * A loser tree over the sources: tree[0] is the source holding the least
 * record (key order, then the newer source), tree[1..n) the loser of each
 * match, with source i the leaf at node n + i under node (n + i) / 2. A
 * source at its end loses every match. Replaying the winner after it moves
 * costs one compare per level (a binary heap's pop and push took about
 * three). pfx[i] is source i's key prefix (UINT64_MAX at its end), beside
 * the tree so most matches read no source.
 */
struct merge {
	struct src *srcs;
	int n;
	int *tree;
	uint64_t *pfx;
	int win;		/* the source of the record returned last, or -1 */
	uint8_t *kbuf;		/* a copy of that record's key, when needed */
	size_t kcap;
};

struct sst_sorter {
	sst_sorter_opts o;
	char *tmpdir;
	int nbuf;
	size_t bufcap;
	size_t wcost;		/* memory of a writer */
	size_t dcost;		/* memory of the decompressor */
	int fanin;		/* cap by count (open files, max_fanin) */
	sst_sortbuf bufs[2];
	sst_sortbuf *cur;
	sst_run_writer w;
	int w_open;
	sst_tfile *spillf;
	sst_run *runs;
	size_t nruns, runcap;
	sst_run_io io;		/* the merge's decompressor and oversize value */
	sst_sorter_stats st;
	int failed;
	sst_err ferr;
	int finished;
	int iter_live;

	pthread_mutex_t mu;	/* runs and st, shared with the worker */
	sst_worker wk;		/* sorts and spills full buffers */
};

struct siter {
	sst_iter it;
	sst_sorter *s;
	struct merge m;
	int started;
	int rc;
	sst_err err;
};

void
sst_sorter_opts_default(sst_sorter_opts *o)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	memset(o, 0, sizeof(*o));
	o->memory = 256u << 20;
	o->tmpdir = NULL;
	o->threads = n > 0 ? (int)n : 1;
	o->compress_runs = 0;
	o->max_fanin = 0;
}

/* ---- errors ---- */

static int
fail(sst_sorter *s, int rc, const sst_err *err)
{
	if (!s->failed && rc != SST_OK) {
		s->failed = rc;
		if (err != NULL)
			s->ferr = *err;
		else
			sst_error(&s->ferr, rc, "%s: sorter failed", s->tmpdir);
	}
	return rc;
}

static int
failed(const sst_sorter *s, sst_err *err)
{
	if (err != NULL)
		*err = s->ferr;
	return s->failed;
}

/* ---- spilling ---- */

static int
writer_open(sst_sorter *s, sst_err *err)
{
	int rc;

	if (s->w_open)
		return SST_OK;
	if ((rc = sst_run_writer_open(&s->w, s->tmpdir, s->o.compress_runs, err)) != SST_OK)
		return rc;
	s->w_open = 1;
	return SST_OK;
}

static int
runs_push(sst_sorter *s, const sst_run *r, sst_err *err)
{
	if (s->nruns == s->runcap) {
		size_t nc = s->runcap ? 2 * s->runcap : 16;
		sst_run *p = sst_realloc(s->runs, nc * sizeof(*p), err);

		if (p == NULL)
			return SST_ESYS;
		s->runs = p;
		s->runcap = nc;
	}
	s->runs[s->nruns++] = *r;
	return SST_OK;
}

static int
spill_file(sst_sorter *s, sst_err *err)
{
	if (s->spillf != NULL)
		return SST_OK;
	return sst_tfile_new(s->tmpdir, &s->spillf, err);
}

/*
 * Prefetches the record of e[k] if k < n. A macro, not a function: GCC
 * left a static helper holding only prefetches out of line, found it free
 * of side effects and deleted its calls (no prefetch in the spill loop).
 */
#define PREFETCH_REC(b, e, k, n) do {					\
	if ((k) < (n)) {						\
		const sst_sortent *f_ = &(e)[k];			\
									\
		__builtin_prefetch((b)->base + f_->off);		\
		__builtin_prefetch((b)->base + f_->off + f_->klen +	\
		    (f_->vk >> 1) - 1);					\
	}								\
} while (0)

/*
 * Writes the sorted buffer b (sortbuf.h: whole, or both halves of a split
 * sort, merged here) as a run into *r, holding a reference to the spill
 * file, and empties b. Runs in the worker, or in the caller.
 */
static int
write_run(sst_sorter *s, sst_sortbuf *b, sst_run *r, sst_err *err)
{
	sst_run_writer *w = &s->w;
	const sst_sortent *e;
	size_t i = 0, j = 0;
	int rc;

	if ((rc = writer_open(s, err)) != SST_OK || (rc = spill_file(s, err)) != SST_OK)
		return rc;
	sst_run_writer_begin(w, s->spillf);
	while ((e = sst_sortbuf_next(b, &i, &j)) != NULL) {
		const uint8_t *k = b->base + e->off;

		PREFETCH_REC(b, b->sorted, i + PREFETCH, b->nsorted);
		PREFETCH_REC(b, b->older, j + PREFETCH, b->nolder);
		rc = sst_run_writer_add(w, k, e->klen, k + e->klen, e->vk >> 1, (int)(e->vk & 1), err);
		if (rc != SST_OK)
			return rc;
	}
	if ((rc = sst_run_writer_flush(w, err)) != SST_OK)
		return rc;
	*r = w->run;
	s->spillf->refs++;
	sst_sortbuf_reset(b);
	return SST_OK;
}

/* Adds a spilled run to the sorter's runs; on failure drops it. */
static int
commit_run(sst_sorter *s, const sst_run *r, sst_err *err)
{
	int rc;

	pthread_mutex_lock(&s->mu);
	rc = runs_push(s, r, err);
	if (rc == SST_OK) {
		s->st.runs++;
		s->st.bytes_spilled += r->len;
	}
	pthread_mutex_unlock(&s->mu);
	if (rc != SST_OK)
		sst_tfile_unref(r->f);
	return rc;
}

/* Writes the sorted buffer b as a run and commits it. */
static int
spill_sorted(sst_sorter *s, sst_sortbuf *b, sst_err *err)
{
	sst_run r;
	int rc;

	if ((rc = write_run(s, b, &r, err)) != SST_OK)
		return rc;
	return commit_run(s, &r, err);
}

/*
 * The worker's job: a full buffer whose newer half the caller sorted
 * (flush_cur); sorts the older half and spills both, merged (worker.h).
 */
static int
spill_job(void *arg, void *job, int skip, sst_err *err)
{
	if (skip)
		return SST_OK;
	sst_sortbuf_sort_older(job);
	return spill_sorted(arg, job, err);
}

/* Sorts and spills the current buffer inline, committing the run. */
static int
spill_inline(sst_sorter *s, sst_sortbuf *b, sst_err *err)
{
	sst_sortbuf_sort(b);
	return spill_sorted(s, b, err);
}

/*
 * The current buffer is full: spill it. With a worker, the caller sorts
 * the newer half and the worker the older half while it spills, so both
 * threads sort (parsing alone left the caller waiting for the worker).
 */
static int
flush_cur(sst_sorter *s, sst_err *err)
{
	sst_sortbuf *b = s->cur;
	int rc;

	if (b->n == 0)
		return SST_OK;
	if (s->nbuf == 1)
		return spill_inline(s, b, err);
	if (sst_worker_start(&s->wk, NULL) != SST_OK) {
		s->nbuf = 1;
		return spill_inline(s, b, err);
	}
	sst_sortbuf_sort_newer(b);
	if ((rc = sst_worker_submit(&s->wk, b, err)) != SST_OK)
		return rc;
	s->cur = b == &s->bufs[0] ? &s->bufs[1] : &s->bufs[0];
	sst_sortbuf_reset(s->cur);
	return sst_sortbuf_alloc(s->cur, s->bufcap, s->tmpdir, err);
}

/* A record larger than a buffer: spill it from the caller's memory. */
static int
spill_big(sst_sorter *s, const sst_rec *r, sst_err *err)
{
	sst_run_writer *w = &s->w;
	sst_run run;
	int rc;

	if ((rc = flush_cur(s, err)) != SST_OK || (rc = sst_worker_wait(&s->wk, err)) != SST_OK)
		return rc;
	if ((rc = writer_open(s, err)) != SST_OK || (rc = spill_file(s, err)) != SST_OK)
		return rc;
	sst_run_writer_begin(w, s->spillf);
	rc = sst_run_writer_add(w, r->key, r->klen, r->val, r->vlen, r->kind, err);
	if (rc == SST_OK)
		rc = sst_run_writer_flush(w, err);
	if (rc != SST_OK)
		return rc;
	run = w->run;
	s->spillf->refs++;
	return commit_run(s, &run, err);
}

/* ---- the sorter ---- */

int
sst_sorter_new(sst_sorter **sp, const sst_sorter_opts *o, sst_err *err)
{
	sst_sorter *s;
	struct rlimit rl;
	uint64_t avail;
	long page = sysconf(_SC_PAGESIZE);

	*sp = NULL;
	if ((s = sst_calloc(1, sizeof(*s), err)) == NULL)
		return SST_ESYS;
	s->o = *o;
	if (s->o.memory == 0)
		s->o.memory = 1;
	if ((s->tmpdir = strdup(sst_tmpdir(o->tmpdir))) == NULL) {
		free(s);
		return sst_error(err, SST_ESYS, "%s: sorter: out of memory", sst_tmpdir(o->tmpdir));
	}
	s->io.tmpdir = s->tmpdir;
	s->nbuf = o->threads > 1 ? 2 : 1;
	s->wcost = sst_run_writer_cost(o->compress_runs);
	s->dcost = sst_run_dctx_cost();
	avail = s->o.memory > s->wcost ? s->o.memory - s->wcost : 0;
	avail /= (uint64_t)s->nbuf;
	if (page <= 0)
		page = 4096;
	avail -= avail % (uint64_t)page;
	if (avail < MIN_BUF)
		avail = MIN_BUF;
	if (avail > SIZE_MAX / 2)
		avail = SIZE_MAX / 2;
	s->bufcap = (size_t)avail;
	s->fanin = 1 << 20;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)s->fanin + NOFILE_RESERVE)
		s->fanin = (int)rl.rlim_cur - NOFILE_RESERVE;
	if (o->max_fanin > 0 && o->max_fanin < s->fanin)
		s->fanin = o->max_fanin;
	if (s->fanin < 2)
		s->fanin = 2;
	pthread_mutex_init(&s->mu, NULL);
	sst_worker_init(&s->wk, spill_job, s, s->tmpdir);
	s->cur = &s->bufs[0];
	*sp = s;
	return SST_OK;
}

int
sst_sorter_add(sst_sorter *s, const sst_rec *r, sst_err *err)
{
	sst_sortbuf *b = s->cur;
	size_t need;
	int rc;

	if (s->failed)
		return failed(s, err);
	if (s->finished)
		return sst_error(err, SST_EDATA, "%s: sorter: add after finish", s->tmpdir);
	if (r->klen == 0 || r->klen > SST_MAX_KEY || r->vlen > SST_MAX_VALUE ||
	    (r->kind != SST_PUT && r->kind != SST_DEL))
		return sst_error(err, SST_EDATA, "%s: sorter: record out of bounds (key %zu bytes, value %zu bytes)",
		    s->tmpdir, r->klen, r->vlen);
	s->st.records_in++;
	need = sst_sortbuf_need(r);
	if (need > s->bufcap) {
		if ((rc = spill_big(s, r, err)) != SST_OK)
			return fail(s, rc, err);
		return SST_OK;
	}
	if (b->base == NULL && (rc = sst_sortbuf_alloc(b, s->bufcap, s->tmpdir, err)) != SST_OK)
		return fail(s, rc, err);
	if (sst_sortbuf_used(b) + need > b->cap) {
		if ((rc = flush_cur(s, err)) != SST_OK)
			return fail(s, rc, err);
		b = s->cur;
	}
	sst_sortbuf_add(b, r);
	return SST_OK;
}

void
sst_sorter_stats_get(const sst_sorter *s, sst_sorter_stats *st)
{
	pthread_mutex_lock((pthread_mutex_t *)&s->mu);
	*st = s->st;
	pthread_mutex_unlock((pthread_mutex_t *)&s->mu);
}


/* ---- the merge ---- */

/* The memory of a merge source reading r. */
static size_t
run_cost(const sst_run *r)
{
	return sizeof(struct src) + sizeof(int) + sizeof(uint64_t) + sst_run_reader_cost(r);
}

/* Advances x to its next record (or sets valid = 0 at its end). */
static int
src_next(sst_sorter *s, struct src *x, sst_err *err)
{
	const sst_sortent *e;

	if (x->mem == NULL)
		return sst_run_reader_next(&s->io, &x->rd, &x->r, err);
	if (x->mi >= x->mem->nsorted) {
		x->r.valid = 0;
		return SST_OK;
	}
	e = &x->mem->sorted[x->mi++];
	x->r.key = x->mem->base + e->off;
	x->r.klen = e->klen;
	x->r.val = x->r.key + e->klen;
	x->r.vlen = e->vk >> 1;
	x->r.kind = (int)(e->vk & 1);
	x->r.pfx = e->pfx;
	x->r.valid = 1;
	return SST_OK;
}

/* Key order, then the newer source first. */
static inline int
src_lt(const struct src *a, const struct src *b)
{
	int c;

	if (a->r.pfx != b->r.pfx)
		return a->r.pfx < b->r.pfx;
	c = sst_key_tail_cmp(a->r.key, a->r.klen, b->r.key, b->r.klen);
	if (c != 0)
		return c < 0;
	return a->idx > b->idx;
}

/* src_before when the prefixes of a and b agree. */
static int
src_tie_before(const struct merge *m, int a, int b)
{
	const struct src *x, *y;

	x = &m->srcs[a];
	y = &m->srcs[b];
	if (!x->r.valid)
		return 0;
	if (!y->r.valid)
		return 1;
	return src_lt(x, y);
}

/* src_lt, where a source at its end sorts after every record. */
static inline int
src_before(const struct merge *m, int a, int b)
{
	if (m->pfx[a] != m->pfx[b])
		return m->pfx[a] < m->pfx[b];
	return src_tie_before(m, a, b);
}

static inline void
tree_set_pfx(struct merge *m, int i)
{
	const struct src *x = &m->srcs[i];

	m->pfx[i] = x->r.valid ? x->r.pfx : UINT64_MAX;
}

/* Source i moved: plays its matches up to the root. */
static inline void
tree_replay(struct merge *m, int i)
{
	const uint64_t *pf = m->pfx;
	int *t = m->tree, x = i, j;
	uint64_t xp;

	tree_set_pfx(m, i);
	xp = pf[x];
	for (j = (m->n + i) / 2; j > 0; j /= 2) {
		int y = t[j];
		uint64_t yp = pf[y];

		if (yp < xp || (yp == xp && src_tie_before(m, y, x))) {
			t[j] = x;
			x = y;
			xp = yp;
		}
	}
	t[0] = x;
}

/*
 * Builds the tree from the sources' first records: each source climbs
 * until a node is empty (it waits there for the other side) or the root;
 * the second arrival at a node plays the match, the loser stays.
 */
static void
tree_build(struct merge *m)
{
	int *t = m->tree, i, j;

	for (i = 0; i < m->n; i++) {
		t[i] = -1;
		tree_set_pfx(m, i);
	}
	for (i = 0; i < m->n; i++) {
		int x = i;

		for (j = (m->n + i) / 2; j > 0; j /= 2) {
			if (t[j] < 0) {
				t[j] = x;
				x = -1;
				break;
			}
			if (src_before(m, t[j], x)) {
				int l = x;

				x = t[j];
				t[j] = l;
			}
		}
		if (x >= 0)
			t[0] = x;
	}
}

static void
merge_free(struct merge *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		sst_run_reader_close(&m->srcs[i].rd);
	free(m->srcs);
	free(m->tree);
	free(m->pfx);
	free(m->kbuf);
	memset(m, 0, sizeof(*m));
}

/* Sets up a merge of runs[0..nr) and, newest, the sorted buffer mem. */
static int
merge_init(struct merge *m, const sst_run *runs, size_t nr, sst_sortbuf *mem, sst_err *err)
{
	size_t n = nr + (mem != NULL), i;
	int rc;

	memset(m, 0, sizeof(*m));
	m->win = -1;
	if ((m->srcs = sst_calloc(n, sizeof(*m->srcs), err)) == NULL ||
	    (m->tree = sst_calloc(n, sizeof(*m->tree), err)) == NULL ||
	    (m->pfx = sst_calloc(n, sizeof(*m->pfx), err)) == NULL) {
		free(m->srcs);
		free(m->tree);
		return SST_ESYS;
	}
	m->n = (int)n;
	for (i = 0; i < nr; i++) {
		m->srcs[i].idx = (int)i;
		if ((rc = sst_run_reader_open(&m->srcs[i].rd, &runs[i], err)) != SST_OK) {
			merge_free(m);
			return rc;
		}
	}
	if (mem != NULL) {
		m->srcs[nr].idx = (int)nr;
		m->srcs[nr].mem = mem;
	}
	return SST_OK;
}

static int
merge_start(sst_sorter *s, struct merge *m, sst_err *err)
{
	int i, rc;

	for (i = 0; i < m->n; i++)
		if ((rc = src_next(s, &m->srcs[i], err)) != SST_OK)
			return rc;
	if (m->n > 0)
		tree_build(m);
	return SST_OK;
}

/*
 * The key of the record returned last, kept valid while its source moves
 * on: a run reader's next record in the same block leaves the block (and
 * so the key) in place; loading the next block overwrites it, so then the
 * key is copied first (once a block). The in-memory buffer never moves.
 */
static int
keep_key(struct merge *m, const struct src *w, sst_runrec *k, sst_err *err)
{
	*k = w->r;
	if (w->mem != NULL || w->rd.p != w->rd.pend)
		return SST_OK;
	if (m->kcap < k->klen) {
		uint8_t *p = sst_realloc(m->kbuf, k->klen, err);

		if (p == NULL)
			return SST_ESYS;
		m->kbuf = p;
		m->kcap = k->klen;
	}
	memcpy(m->kbuf, k->key, k->klen);
	k->key = m->kbuf;
	return SST_OK;
}

static inline int
rec_key_eq(const sst_runrec *a, const sst_runrec *b)
{
	return a->pfx == b->pfx && a->klen == b->klen &&
	    sst_key_tail_cmp(a->key, a->klen, b->key, b->klen) == 0;
}

/*
 * Moves past the record returned last (and its older duplicates) and
 * returns in *out the next source to yield, or NULL at the end.
 */
static int
merge_step(sst_sorter *s, struct merge *m, struct src **out, sst_err *err)
{
	struct src *x;
	int rc;

	*out = NULL;
	if (s->io.big != NULL) {
		free(s->io.big);
		s->io.big = NULL;
	}
	if (m->win >= 0) {
		sst_runrec last;

		if ((rc = keep_key(m, &m->srcs[m->win], &last, err)) != SST_OK ||
		    (rc = src_next(s, &m->srcs[m->win], err)) != SST_OK)
			return rc;
		tree_replay(m, m->win);
		m->win = -1;
		for (;;) {
			x = &m->srcs[m->tree[0]];
			if (!x->r.valid || !rec_key_eq(&x->r, &last))
				break;
			if ((rc = src_next(s, x, err)) != SST_OK)
				return rc;
			tree_replay(m, m->tree[0]);
		}
	}
	if (m->n == 0 || !m->srcs[m->tree[0]].r.valid)
		return SST_OK;
	m->win = m->tree[0];
	x = &m->srcs[m->win];
	if (x->mem == NULL && x->rd.lazy &&
	    (rc = sst_run_reader_value(&s->io, &x->rd, &x->r, err)) != SST_OK)
		return rc;
	*out = x;
	return SST_OK;
}

/* ---- merge planning ---- */

static int64_t
runs_cost(const sst_run *r, size_t n)
{
	int64_t c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		c += (int64_t)run_cost(&r[i]);
	return c;
}

/* The budget of a merge: the documented floor applies. */
static int64_t
merge_memory(const sst_sorter *s)
{
	uint64_t m = s->o.memory < SST_SORTER_MIN_MEMORY ? SST_SORTER_MIN_MEMORY : s->o.memory;

	return m > INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)m;
}

/* Can a single final merge read a ++ b (plus a buffer of mem bytes)? */
static int
final_fits(const sst_sorter *s, const sst_run *a, size_t na,
    const sst_run *b, size_t nb, size_t mem)
{
	int64_t avail = merge_memory(s) - (int64_t)s->dcost - (int64_t)mem;

	if (na + nb + (mem > 0) <= 1)
		return 1;
	if (na + nb + (mem > 0) > (size_t)s->fanin)
		return 0;
	return runs_cost(a, na) + runs_cost(b, nb) <= avail;
}

/* Merges runs[0..n) into one new run *out in file f. */
static int
merge_group(sst_sorter *s, const sst_run *runs, size_t n, sst_tfile *f,
    sst_run *out, sst_err *err)
{
	sst_run_writer *w = &s->w;
	struct merge m;
	struct src *x;
	int rc;

	if ((rc = merge_init(&m, runs, n, NULL, err)) != SST_OK)
		return rc;
	sst_run_writer_begin(w, f);
	rc = merge_start(s, &m, err);
	while (rc == SST_OK) {
		if ((rc = merge_step(s, &m, &x, err)) != SST_OK || x == NULL)
			break;
		rc = sst_run_writer_add(w, x->r.key, x->r.klen, x->r.val, x->r.vlen, x->r.kind, err);
	}
	if (rc == SST_OK)
		rc = sst_run_writer_flush(w, err);
	merge_free(&m);
	if (rc != SST_OK)
		return rc;
	*out = w->run;
	f->refs++;
	pthread_mutex_lock(&s->mu);
	s->st.bytes_spilled += out->len;
	pthread_mutex_unlock(&s->mu);
	return SST_OK;
}

/* One pass: merges groups of consecutive runs, oldest first, until the rest fits. */
static int
merge_pass(sst_sorter *s, sst_err *err)
{
	int64_t avail = merge_memory(s) - (int64_t)s->dcost - (int64_t)s->wcost;
	sst_run *nr;
	sst_tfile *f = NULL;
	size_t n = s->nruns, i = 0, k = 0, j;
	int rc = SST_OK;

	if ((nr = sst_calloc(n, sizeof(*nr), err)) == NULL)
		return SST_ESYS;
	if ((rc = sst_tfile_new(s->tmpdir, &f, err)) != SST_OK) {
		free(nr);
		return rc;
	}
	while (i < n) {
		int64_t c = 0;

		if (final_fits(s, nr, k, s->runs + i, n - i, 0))
			break;
		for (j = i; j < n && j - i < (size_t)s->fanin; j++) {
			int64_t rc1 = (int64_t)run_cost(&s->runs[j]);

			if (j - i >= 2 && c + rc1 > avail)
				break;
			c += rc1;
		}
		if (j - i < 2) {
			nr[k++] = s->runs[i++];
			continue;
		}
		if ((rc = merge_group(s, s->runs + i, j - i, f, &nr[k], err)) != SST_OK)
			break;
		k++;
		for (; i < j; i++)
			sst_run_discard(&s->runs[i]);
	}
	for (; i < n; i++)
		nr[k++] = s->runs[i];
	sst_tfile_unref(f);
	free(s->runs);
	s->runs = nr;
	s->nruns = k;
	s->runcap = n;
	pthread_mutex_lock(&s->mu);
	s->st.merge_passes++;
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* ---- the iterator ---- */

static int
it_set(struct siter *si, struct src *x)
{
	si->it.valid = x != NULL;
	if (x != NULL) {
		si->it.rec.key = x->r.key;
		si->it.rec.klen = x->r.klen;
		si->it.rec.val = x->r.val;
		si->it.rec.vlen = x->r.vlen;
		si->it.rec.kind = x->r.kind;
	} else {
		memset(&si->it.rec, 0, sizeof(si->it.rec));
	}
	return SST_OK;
}

static int
it_fail(struct siter *si, int rc, sst_err *err)
{
	if (err != NULL && err != &si->err)
		si->err = *err;
	si->rc = rc;
	si->it.valid = 0;
	return rc;
}

static int
it_next(sst_iter *it, sst_err *err)
{
	struct siter *si = (struct siter *)it;
	struct src *x;
	int rc;

	if (si->rc != SST_OK) {
		if (err != NULL)
			*err = si->err;
		return si->rc;
	}
	if (!si->started)
		return sst_error(err, SST_EDATA, "%s: sorter iterator: next before first", si->s->tmpdir);
	if ((rc = merge_step(si->s, &si->m, &x, err)) != SST_OK)
		return it_fail(si, rc, err);
	return it_set(si, x);
}

static int
it_first(sst_iter *it, sst_err *err)
{
	struct siter *si = (struct siter *)it;
	int rc;

	if (si->rc != SST_OK) {
		if (err != NULL)
			*err = si->err;
		return si->rc;
	}
	if (si->started)
		return sst_error(err, SST_EDATA, "%s: sorter iterator: cannot rewind", si->s->tmpdir);
	si->started = 1;
	if ((rc = merge_start(si->s, &si->m, err)) != SST_OK)
		return it_fail(si, rc, err);
	return it_next(it, err);
}

/* A forward scan: the sorter's output cannot go back. */
static int
it_seek(sst_iter *it, const uint8_t *key, size_t klen, sst_err *err)
{
	struct siter *si = (struct siter *)it;
	int rc;

	if (!si->started) {
		if ((rc = it_first(it, err)) != SST_OK)
			return rc;
	} else if (si->rc == SST_OK && (!it->valid ||
	    sst_keycmp(it->rec.key, it->rec.klen, key, klen) > 0)) {
		return sst_error(err, SST_EDATA, "%s: sorter iterator: cannot seek backwards",
		    si->s->tmpdir);
	}
	while (it->valid && sst_keycmp(it->rec.key, it->rec.klen, key, klen) < 0)
		if ((rc = it_next(it, err)) != SST_OK)
			return rc;
	return SST_OK;
}

static void
it_destroy(sst_iter *it)
{
	struct siter *si = (struct siter *)it;

	merge_free(&si->m);
	si->s->iter_live = 0;
	free(si);
}

static const struct sst_iter_ops sorter_iter_ops = {
	it_first, it_seek, it_next, it_destroy
};

int
sst_sorter_finish(sst_sorter *s, sst_iter **itp, sst_err *err)
{
	sst_sortbuf *b = s->cur, *mem = NULL;
	struct siter *si;
	size_t used, i;
	int rc;

	*itp = NULL;
	if (s->failed)
		return failed(s, err);
	if (s->finished)
		return sst_error(err, SST_EDATA, "%s: sorter: finish called twice", s->tmpdir);
	s->finished = 1;
	rc = sst_worker_wait(&s->wk, err);
	sst_worker_stop(&s->wk, 0);
	if (rc != SST_OK)
		return fail(s, rc, err);
	used = sst_sortbuf_used(b);
	sst_sortbuf_trim(b);
	sst_sortbuf_sort(b);
	if (s->io.dctx == NULL && (s->io.dctx = ZSTD_createDCtx()) == NULL)
		return fail(s, sst_error(err, SST_ESYS, "%s: sorter decompressor: out of memory",
		    s->tmpdir), err);
	if (s->nruns > 0) {
		sst_sortbuf_release(b == &s->bufs[0] ? &s->bufs[1] : &s->bufs[0]);
		if (b->nsorted > 0 && !final_fits(s, s->runs, s->nruns, NULL, 0, used)) {
			if ((rc = spill_sorted(s, b, err)) != SST_OK)
				return fail(s, rc, err);
			sst_sortbuf_release(b);
		}
		while (s->nruns > 1 && !final_fits(s, s->runs, s->nruns, NULL, 0,
		    b->nsorted > 0 ? used : 0))
			if ((rc = merge_pass(s, err)) != SST_OK)
				return fail(s, rc, err);
	}
	if (s->w_open) {
		sst_run_writer_free(&s->w);
		s->w_open = 0;
	}
	sst_tfile_unref(s->spillf);
	s->spillf = NULL;
	if (b->nsorted > 0)
		mem = b;
	if ((si = sst_calloc(1, sizeof(*si), err)) == NULL)
		return fail(s, SST_ESYS, err);
	if ((rc = merge_init(&si->m, s->runs, s->nruns, mem, err)) != SST_OK) {
		free(si);
		return fail(s, rc, err);
	}
	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nruns; i++)
		s->st.keys_bound += s->runs[i].nrec;
	if (mem != NULL)
		s->st.keys_bound += mem->nsorted;
	pthread_mutex_unlock(&s->mu);
	si->it.ops = &sorter_iter_ops;
	si->s = s;
	s->iter_live = 1;
	*itp = &si->it;
	return SST_OK;
}

void
sst_sorter_free(sst_sorter **sp)
{
	sst_sorter *s;
	size_t i;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	(void)sst_worker_wait(&s->wk, NULL);
	sst_worker_destroy(&s->wk);
	for (i = 0; i < s->nruns; i++)
		sst_tfile_unref(s->runs[i].f);
	free(s->runs);
	sst_tfile_unref(s->spillf);
	if (s->w_open)
		sst_run_writer_free(&s->w);
	sst_sortbuf_release(&s->bufs[0]);
	sst_sortbuf_release(&s->bufs[1]);
	ZSTD_freeDCtx(s->io.dctx);
	free(s->io.big);
	pthread_mutex_destroy(&s->mu);
	free(s->tmpdir);
	free(s);
	*sp = NULL;
}
