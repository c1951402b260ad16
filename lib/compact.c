/*
 * compact.c - k-way merge into tables, and store compaction.
 *
 * Size-tiered keeps every table at level 0, in age order. A bucket is a run
 * of tables adjacent in that order whose sizes are within bucket-low% ..
 * bucket-high% of the bucket's average (or all under min-size); only
 * adjacent tables are merged, so the output can take the run's place in the
 * order and "later wins" still holds without sequence numbers.
 *
 * Leveled follows LevelDB: level 0 is compacted (all of it, with the level 1
 * tables it overlaps) once it holds l0-trigger tables; level n >= 1 once its
 * bytes exceed level1-size * level-growth^(n-1), by picking the table with
 * the least overlap into level n+1 (bytes of overlap / its size), merging it
 * with the tables of n+1 it overlaps; a table with no overlap is moved down
 * without rewriting, and so are level-0 tables that overlap neither each
 * other nor level 1 (a trivial move). Outputs are split at file-size.
 *
 * Merges read their inputs through sources.h (tables opened as reached);
 * with more inputs than may be open at once they go in passes through
 * temporary tables (merge_passes).
 */
#include "compact.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "merge_iter.h"
#include "sources.h"
#include "splitw.h"
#include "store.h"
#include "util.h"

void
sst_merge_outs_free(char **outs, size_t n)
{
	size_t i;

	if (outs == NULL)
		return;
	for (i = 0; i < n; i++)
		free(outs[i]);
	free(outs);
}

int
sst_merge_out_path(void *clos, size_t i, char **path, sst_err *err)
{
	if (i > 0)
		return sst_error(err, SST_EUSAGE, "%s: a second output of a merge into one table",
		    (const char *)clos);
	if ((*path = strdup(clos)) == NULL)
		return sst_nomem(err, clos);
	return SST_OK;
}

/* Removes new tables, except those a store (if any) now lists. */
static void
remove_outs(const sst_store *s, char **outs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s == NULL || !sst_store_lists(s, outs[i]))
			unlink(outs[i]);
}

typedef struct merge_run {
	const sst_merge_opts *o;
	sst_merge_out_fn out_fn;
	void *clos;
	sst_writer *w;
	char *wpath;
	char **outs;
	size_t nouts;
	uint64_t total_raw, done_raw;
} merge_run;

static int
start_output(merge_run *r, sst_err *err)
{
	int rc;

	if ((rc = r->out_fn(r->clos, r->nouts, &r->wpath, err)) != SST_OK)
		return rc;
	if ((rc = sst_writer_open(&r->w, r->wpath, &r->o->table, err)) != SST_OK) {
		free(r->wpath);
		r->wpath = NULL;
	}
	return rc;
}

static int
finish_output(merge_run *r, sst_err *err)
{
	char **o;
	int rc;

	if ((o = sst_realloc(r->outs, (r->nouts + 1) * sizeof(*o), err)) == NULL) {
		sst_writer_abort(&r->w);
		return SST_ESYS;
	}
	r->outs = o;
	if ((rc = sst_writer_finish(&r->w, err)) != SST_OK) {
		free(r->wpath);
		r->wpath = NULL;
		return rc;
	}
	r->outs[r->nouts++] = r->wpath;
	r->wpath = NULL;
	return SST_OK;
}

static int
merge_loop(merge_run *r, sst_iter *it, uint64_t *nrec, sst_err *err)
{
	int rc;

	for (rc = sst_iter_first(it, err); rc == SST_OK && it->valid;
	    rc = sst_iter_next(it, err)) {
		if (r->o->split_at != NULL) {
			rc = sst_splitw_add(r->o->split_at, &it->rec, err);
		} else {
			if (r->w == NULL && (rc = start_output(r, err)) != SST_OK)
				return rc;
			rc = sst_writer_add(r->w, &it->rec, err);
		}
		if (rc != SST_OK)
			return rc;
		(*nrec)++;
		r->done_raw += it->rec.klen + it->rec.vlen;
		if (r->o->progress != NULL)
			r->o->progress(r->o->progress_arg, "merge", *nrec, r->done_raw,
			    r->total_raw);
		if (r->o->split_size > 0 && r->w != NULL && sst_writer_size(r->w) >= r->o->split_size &&
		    (rc = finish_output(r, err)) != SST_OK)
			return rc;
	}
	if (rc != SST_OK || r->o->split_at != NULL)
		return rc;
	if (r->w == NULL && r->nouts == 0 && r->o->keep_empty &&
	    (rc = start_output(r, err)) != SST_OK)
		return rc;
	if (r->w != NULL)
		rc = finish_output(r, err);
	return rc;
}

static uint64_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The start of a merge: zeroed state, no outputs yet, the clock started. */
static void
merge_start(merge_run *r, sst_merge_stats *s, const sst_merge_opts *o, sst_merge_out_fn out_fn,
    void *clos, char ***outs, size_t *nouts)
{
	memset(r, 0, sizeof(*r));
	memset(s, 0, sizeof(*s));
	r->o = o;
	r->out_fn = out_fn;
	r->clos = clos;
	*outs = NULL;
	*nouts = 0;
	s->seconds = sst_now();
}

/* The end of a merge: outputs removed on failure, else handed out. */
static int
merge_done(merge_run *r, sst_merge_stats *s, int rc, char ***outs, size_t *nouts,
    sst_merge_stats *st)
{
	size_t i;

	if (rc != SST_OK) {
		sst_writer_abort(&r->w);
		free(r->wpath);
		remove_outs(NULL, r->outs, r->nouts);
		sst_merge_outs_free(r->outs, r->nouts);
		return rc;
	}
	for (i = 0; i < r->nouts; i++)
		s->bytes_out += file_size(r->outs[i]);
	s->outputs = r->nouts;
	s->seconds = sst_now() - s->seconds;
	if (st != NULL)
		*st = *s;
	*outs = r->outs;
	*nouts = r->nouts;
	return SST_OK;
}

int
sst_merge_tables(sst_table **in, size_t n, const sst_merge_opts *o,
    sst_merge_out_fn out_fn, void *clos, char ***outs, size_t *nouts,
    sst_merge_stats *st, sst_err *err)
{
	merge_run r;
	sst_merge_stats s;
	sst_iter **kids, *it = NULL;
	size_t i, nk = 0;
	int rc = SST_OK;

	merge_start(&r, &s, o, out_fn, clos, outs, nouts);
	s.inputs = n;
	if ((kids = sst_calloc(n ? n : 1, sizeof(*kids), err)) == NULL)
		return SST_ESYS;
	for (i = 0; i < n && rc == SST_OK; i++) {
		sst_props p;

		if ((rc = sst_table_props(in[i], &p, err)) != SST_OK)
			break;
		s.records_in += p.records;
		s.bytes_in += p.file_size;
		r.total_raw += p.raw_key_bytes + p.raw_value_bytes;
		if ((rc = (o->table.threads > 1 ? sst_table_iter_ahead : sst_table_iter)(in[i], &kids[i],
		    err)) == SST_OK)
			nk++;
	}
	if (rc == SST_OK) {
		rc = sst_merge_iter_new(&it, kids, nk, o->drop_deletes ? SST_MERGE_HIDE_DELETES : 0, err);
		nk = 0;
	}
	for (i = 0; i < nk; i++)
		sst_iter_destroy(&kids[i]);
	free(kids);
	if (rc == SST_OK)
		rc = merge_loop(&r, it, &s.records_out, err);
	sst_iter_destroy(&it);
	return merge_done(&r, &s, rc, outs, nouts, st);
}

/* ---- merging in passes ---- */

/*
 * With more than one thread, each input is read ahead (decompressed) by a
 * thread of its own beside the merge (sst_table_iter_ahead), unless there
 * are more runs than READAHEAD_RUNS (threads and slots grow with them).
 */
#define READAHEAD_RUNS	64

static int
scan_flags(const sst_merge_opts *o, size_t nruns, int drop)
{
	int f = drop ? SST_MERGE_HIDE_DELETES : 0;

	if (o->table.threads > 1 && nruns <= READAHEAD_RUNS)
		f |= SST_MERGE_READAHEAD;
	return f;
}

#define PASS_PREFIX	"sst-merge-pass-"

/*
 * Removes pass tables (and their writers' temporaries) that killed merges
 * left in dir: names PASS_PREFIX PID "-" of a process that is gone.
 */
static void
remove_dead_passes(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *p = strstr(de->d_name, PASS_PREFIX);
		long pid;
		char *end;

		if (p == NULL || (p != de->d_name && p != de->d_name + 1))
			continue;
		pid = strtol(p + strlen(PASS_PREFIX), &end, 10);
		if (pid <= 0 || *end != '-' || pid == (long)getpid() ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < sizeof(path))
			unlink(path);
	}
	closedir(d);
}

/*
 * One pass table: runs [first, first+n) of src merged (tombstones kept) into
 * a new table in the temporary directory; *path is NULL when no record
 * came out. The table is registered for removal on a signal.
 */
static int
pass_table(sst_sources *src, size_t first, size_t n, const sst_merge_opts *o,
    char **path, sst_err *err)
{
	const char *dir = sst_tmpdir(o->tmpdir);
	static unsigned long seq;
	sst_table_opts topts = o->table;
	char p[PATH_MAX];
	sst_writer *w = NULL;
	sst_iter *it = NULL;
	int rc;

	*path = NULL;
	topts.temporary = SST_TEMP_SCRATCH;	/* read once by the next pass */
	if ((size_t)snprintf(p, sizeof(p), "%s/" PASS_PREFIX "%ld-%lu.sst",
	    dir, (long)getpid(), seq++) >= sizeof(p))
		return sst_error(err, SST_ESYS, "%s: temporary path too long", dir);
	if ((rc = sst_sources_iter_runs(src, first, n, scan_flags(o, n, 0), &it, err)) != SST_OK)
		return rc;
	for (rc = sst_iter_first(it, err); rc == SST_OK && it->valid; rc = sst_iter_next(it, err))
		if ((w == NULL && (rc = sst_writer_open(&w, p, &topts, err)) != SST_OK) ||
		    (rc = sst_writer_add(w, &it->rec, err)) != SST_OK)
			break;
	sst_iter_destroy(&it);
	if (rc != SST_OK || w == NULL) {
		sst_writer_abort(&w);
		return rc;
	}
	if ((*path = strdup(p)) == NULL) {
		sst_writer_abort(&w);
		return sst_nomem(err, p);
	}
	sst_cleanup_register(*path);
	if ((rc = sst_writer_finish(&w, err)) != SST_OK) {
		sst_cleanup_unregister(*path);
		free(*path);
		*path = NULL;
	}
	return rc;
}

/* Removes the pass tables paths[0..n) and frees them. */
static void
drop_passes(char **paths, size_t n)
{
	size_t i;

	for (i = 0; paths != NULL && i < n; i++) {
		unlink(paths[i]);
		sst_cleanup_unregister(paths[i]);
		free(paths[i]);
	}
	free(paths);
}

/*
 * While src has more runs than may be open at once, merges groups of
 * adjacent runs (so later wins still holds: a group's table takes its
 * place in the order) into pass tables, then the pass tables the same way.
 * *out is the sources to merge last: src itself when no pass was needed
 * (*owned = 0), else the last pass's tables, whose paths the caller removes
 * with drop_passes(*tmp, *ntmp) after that merge.
 */
static int
merge_passes(sst_sources *src, const sst_merge_opts *o, sst_sources *out, int *owned,
    char ***tmp, size_t *ntmp, sst_err *err)
{
	size_t fan = sst_sources_max_open(src), nr, i, np = 0;
	sst_sources cur = *src, next;
	char **paths = NULL;
	int rc = SST_OK, mine = 0;

	*tmp = NULL;
	*ntmp = 0;
	fan = fan > 3 ? fan - 2 : 2;	/* room for the pass's output */
	if (sst_sources_nruns(src) > fan)
		remove_dead_passes(sst_tmpdir(o->tmpdir));
	while (rc == SST_OK && (nr = sst_sources_nruns(&cur)) > fan) {
		char **np_paths = sst_calloc(nr / fan + 2, sizeof(*np_paths), err);
		size_t nn = 0;

		if (np_paths == NULL) {
			rc = SST_ESYS;
			break;
		}
		for (i = 0; i < nr && rc == SST_OK; i += fan) {
			rc = pass_table(&cur, i, nr - i < fan ? nr - i : fan, o, &np_paths[nn], err);
			if (rc == SST_OK && np_paths[nn] != NULL)
				nn++;
		}
		if (rc == SST_OK)
			rc = sst_sources_open(&next, np_paths, nn, err);
		if (mine)
			sst_sources_close(&cur);
		drop_passes(paths, np);		/* the previous pass's tables are merged */
		paths = np_paths;
		np = nn;
		if (rc != SST_OK) {
			mine = 0;
			break;
		}
		cur = next;
		mine = 1;
	}
	if (rc != SST_OK) {
		drop_passes(paths, np);
		return rc;
	}
	*out = cur;
	*owned = mine;
	*tmp = paths;
	*ntmp = np;
	return SST_OK;
}

int
sst_merge_sources(sst_sources *src, const sst_merge_opts *o, sst_merge_out_fn out_fn,
    void *clos, char ***outs, size_t *nouts, sst_merge_stats *st, sst_err *err)
{
	merge_run r;
	sst_merge_stats s;
	sst_sources last;
	sst_iter *it = NULL;
	char **tmp = NULL;
	size_t ntmp = 0;
	int rc, owned = 0;

	merge_start(&r, &s, o, out_fn, clos, outs, nouts);
	s.inputs = src->n;
	/* File bytes stand for the raw bytes in the progress estimate. */
	sst_sources_totals(src, &s.bytes_in, &s.records_in);
	r.total_raw = s.bytes_in;
	/* More inputs than may be open at once: passes through temporary tables. */
	rc = merge_passes(src, o, &last, &owned, &tmp, &ntmp, err);
	if (rc == SST_OK)
		rc = sst_sources_iter(&last, scan_flags(o, sst_sources_nruns(&last), o->drop_deletes),
		    &it, err);
	if (rc == SST_OK)
		rc = merge_loop(&r, it, &s.records_out, err);
	sst_iter_destroy(&it);
	if (owned)
		sst_sources_close(&last);
	drop_passes(tmp, ntmp);
	return merge_done(&r, &s, rc, outs, nouts, st);
}

/* ---- compaction ---- */

void
sst_compact_opts_default(sst_compact_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->strategy = -1;
	sst_table_opts_default(&o->table);
}

/* A table of the store during planning. */
typedef struct ctab {
	sst_table *t;
	sst_props p;
	const sst_store_entry *e;
} ctab;

typedef struct plan {
	size_t *in;		/* indices into the manifest, in read order */
	size_t nin;
	int out_level;
	int drop;
	int move;		/* move in[0] to out_level without rewriting */
	uint64_t split;
} plan;

static int
ctab_empty(const ctab *c)
{
	return c->p.records == 0;
}

/* Does table c overlap [lo, hi]? Empty tables overlap nothing. */
static int
overlaps(const ctab *c, const uint8_t *lo, size_t lolen, const uint8_t *hi, size_t hilen)
{
	if (ctab_empty(c))
		return 0;
	return sst_keycmp(c->p.smallest, c->p.smallest_len, hi, hilen) <= 0 &&
	    sst_keycmp(c->p.largest, c->p.largest_len, lo, lolen) >= 0;
}

typedef struct krange {
	const uint8_t *lo, *hi;
	size_t lolen, hilen;
	int set;
} krange;

static void
range_add(krange *r, const ctab *c)
{
	if (ctab_empty(c))
		return;
	if (!r->set || sst_keycmp(c->p.smallest, c->p.smallest_len, r->lo, r->lolen) < 0) {
		r->lo = c->p.smallest;
		r->lolen = c->p.smallest_len;
	}
	if (!r->set || sst_keycmp(c->p.largest, c->p.largest_len, r->hi, r->hilen) > 0) {
		r->hi = c->p.largest;
		r->hilen = c->p.largest_len;
	}
	r->set = 1;
}

static int
plan_add(plan *pl, size_t i, sst_err *err)
{
	size_t *in = sst_realloc(pl->in, (pl->nin + 1) * sizeof(*in), err);

	if (in == NULL)
		return SST_ESYS;
	pl->in = in;
	in[pl->nin++] = i;
	return SST_OK;
}

/* Size-tiered: the due bucket with the smallest average size, if any. */
static int
pick_size_tiered(const sst_manifest *m, const ctab *c, plan *pl, sst_err *err)
{
	const sst_store_knobs *k = &m->knobs;
	size_t i = 0, best = 0, bestn = 0;
	double bestavg = 0;
	krange r = { 0 };
	int rc;

	while (i < m->n) {
		size_t j = i + 1;
		double sum = (double)m->t[i].size;
		int small = m->t[i].size < k->min_size;

		for (; j < m->n; j++) {
			double avg = sum / (double)(j - i), sz = (double)m->t[j].size;

			if (small ? sz >= (double)k->min_size :
			    (sz < avg * (double)k->bucket_low / 100 ||
			    sz > avg * (double)k->bucket_high / 100 || sz < (double)k->min_size))
				break;
			sum += sz;
		}
		if (j - i >= k->min_threshold && (bestn == 0 || sum / (double)(j - i) < bestavg)) {
			best = i;
			bestn = j - i;
			bestavg = sum / (double)(j - i);
		}
		i = j;
	}
	if (bestn == 0)
		return SST_OK;
	if (bestn > k->max_threshold)
		bestn = k->max_threshold;
	for (i = best; i < best + bestn; i++) {
		if ((rc = plan_add(pl, i, err)) != SST_OK)
			return rc;
		range_add(&r, &c[i]);
	}
	pl->out_level = 0;
	pl->drop = 1;
	for (i = 0; i < best && r.set; i++)
		if (overlaps(&c[i], r.lo, r.lolen, r.hi, r.hilen))
			pl->drop = 0;
	return SST_OK;
}

static uint64_t
level_target(const sst_store_knobs *k, int lev)
{
	uint64_t t = k->level1_size;

	while (--lev > 0)
		t = t > UINT64_MAX / k->level_growth ? UINT64_MAX : t * k->level_growth;
	return t;
}

/* Bytes of level lev overlapping c. */
static uint64_t
overlap_bytes(const sst_manifest *m, const ctab *c, const ctab *x, int lev)
{
	uint64_t b = 0;
	size_t i;

	if (ctab_empty(x))
		return 0;
	for (i = 0; i < m->n; i++)
		if (m->t[i].level == lev && overlaps(&c[i], x->p.smallest, x->p.smallest_len,
		    x->p.largest, x->p.largest_len))
			b += m->t[i].size;
	return b;
}

/* Adds the tables of level lev overlapping r (read order kept by the caller). */
static int
add_overlapping(const sst_manifest *m, const ctab *c, plan *pl, int lev, const krange *r,
    sst_err *err)
{
	size_t i;
	int rc;

	if (!r->set)
		return SST_OK;
	for (i = 0; i < m->n; i++)
		if (m->t[i].level == lev && overlaps(&c[i], r->lo, r->lolen, r->hi, r->hilen) &&
		    (rc = plan_add(pl, i, err)) != SST_OK)
			return rc;
	return SST_OK;
}

static int
cmp_size_t(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether every table of the plan is at level 0 and they are pairwise disjoint. */
static int
l0_disjoint(const sst_manifest *m, const ctab *c, const plan *pl)
{
	size_t i, j;

	for (i = 0; i < pl->nin; i++) {
		if (m->t[pl->in[i]].level != 0)
			return 0;
		for (j = 0; j < i; j++)
			if (!ctab_empty(&c[pl->in[j]]) && overlaps(&c[pl->in[i]],
			    c[pl->in[j]].p.smallest, c[pl->in[j]].p.smallest_len,
			    c[pl->in[j]].p.largest, c[pl->in[j]].p.largest_len))
				return 0;
	}
	return 1;
}

static int
pick_leveled(const sst_manifest *m, const ctab *c, plan *pl, sst_err *err)
{
	const sst_store_knobs *k = &m->knobs;
	int maxlev = (int)k->max_levels, lev, best = -1;
	double score, bestscore = 0;
	uint64_t bytes[SST_STORE_MAX_LEVEL + 1] = { 0 };
	size_t cnt[SST_STORE_MAX_LEVEL + 1] = { 0 }, i, f = SIZE_MAX;
	krange r = { 0 };
	int rc;

	for (i = 0; i < m->n; i++) {
		bytes[m->t[i].level] += m->t[i].size;
		cnt[m->t[i].level]++;
	}
	for (lev = 0; lev < maxlev - 1; lev++) {
		score = lev == 0 ? (double)cnt[0] / (double)k->l0_trigger :
		    (double)bytes[lev] / (double)level_target(k, lev);
		if (score >= 1.0 && score > bestscore) {
			best = lev;
			bestscore = score;
		}
	}
	if (best < 0)
		return SST_OK;
	pl->out_level = best + 1;
	pl->split = k->file_size;
	if (best == 0) {
		for (i = 0; i < m->n; i++)
			if (m->t[i].level == 0) {
				if ((rc = plan_add(pl, i, err)) != SST_OK)
					return rc;
				range_add(&r, &c[i]);
			}
	} else {
		double bestratio = 0;

		for (i = 0; i < m->n; i++) {
			double ratio;

			if (m->t[i].level != best)
				continue;
			ratio = (double)overlap_bytes(m, c, &c[i], best + 1) /
			    (double)(m->t[i].size ? m->t[i].size : 1);
			if (f == SIZE_MAX || ratio < bestratio) {
				f = i;
				bestratio = ratio;
			}
		}
		if ((rc = plan_add(pl, f, err)) != SST_OK)
			return rc;
		range_add(&r, &c[f]);
	}
	if ((rc = add_overlapping(m, c, pl, best + 1, &r, err)) != SST_OK)
		return rc;
	if (pl->nin > 1)
		qsort(pl->in, pl->nin, sizeof(*pl->in), cmp_size_t);
	if (best > 0 && pl->nin == 1)
		pl->move = 1;
	/* Level 0 tables that are pairwise disjoint and overlap nothing in
	 * level 1 (as after an ingest) move down without rewriting. */
	if (best == 0 && l0_disjoint(m, c, pl))
		pl->move = 1;
	/*
	 * Deletes go only when no deeper level holds older data in the range
	 * of the whole output: every input's range, the tables taken from the
	 * output level included (they may reach beyond what picked them).
	 */
	for (i = 0; i < pl->nin; i++)
		range_add(&r, &c[pl->in[i]]);
	pl->drop = 1;
	for (i = 0; i < m->n && r.set; i++)
		if (m->t[i].level > pl->out_level && overlaps(&c[i], r.lo, r.lolen, r.hi, r.hilen))
			pl->drop = 0;
	return SST_OK;
}

/* ---- building the new manifest ---- */

static int
in_plan(const plan *pl, size_t i)
{
	size_t j;

	for (j = 0; j < pl->nin; j++)
		if (pl->in[j] == i)
			return 1;
	return 0;
}

/*
 * The manifest after the plan: inputs replaced by the outputs (at the place
 * of the first input for level 0), then sorted into read order.
 */
static int
build_manifest(const sst_manifest *m, const plan *pl, const sst_store_entry *oe,
    size_t nouts, sst_manifest *nm, sst_err *err)
{
	size_t i, j;
	int rc = SST_OK;

	*nm = *m;
	nm->t = NULL;
	nm->n = 0;
	for (i = 0; i < m->n && rc == SST_OK; i++) {
		sst_store_entry e = m->t[i];

		if (pl->move && in_plan(pl, i))
			e.level = pl->out_level;
		if (!pl->move && i == pl->in[0])
			for (j = 0; j < nouts && rc == SST_OK; j++)
				rc = sst_manifest_push_entry(nm, &oe[j], err);
		if (rc != SST_OK || (!pl->move && in_plan(pl, i)))
			continue;
		rc = sst_manifest_push_entry(nm, &e, err);
	}
	if (rc == SST_OK)
		rc = sst_manifest_sort(nm, err);
	if (rc != SST_OK)
		sst_manifest_free(nm);
	return rc;
}

/* ---- the compaction loop ---- */

static void
ctabs_free(ctab *c, size_t n)
{
	(void)n;
	free(c);
}

/* The tables as planning sees them: the manifest's ranges (none opened). */
static int
ctabs_open(sst_store *s, ctab **cp, sst_err *err)
{
	const sst_manifest *m = sst_store_manifest(s);
	ctab *c;
	size_t i;

	if ((c = sst_calloc(m->n ? m->n : 1, sizeof(*c), err)) == NULL)
		return SST_ESYS;
	for (i = 0; i < m->n; i++) {
		const sst_store_entry *e = &m->t[i];

		c[i].e = e;
		c[i].p.records = e->records;
		c[i].p.smallest = e->lo;
		c[i].p.smallest_len = e->lolen;
		c[i].p.largest = e->hi;
		c[i].p.largest_len = e->hilen;
	}
	*cp = c;
	return SST_OK;
}

static int
store_out(void *clos, size_t i, char **path, sst_err *err)
{
	(void)i;
	return sst_store_new_table(clos, path, err);
}

/* Tells o->on_compaction what plan pl of manifest m did. */
static void
report_compaction(const sst_compact_opts *o, const sst_manifest *m, const plan *pl,
    const sst_merge_stats *st)
{
	sst_compaction c;
	size_t k;

	if (o->on_compaction == NULL)
		return;
	memset(&c, 0, sizeof(c));
	c.strategy = m->strategy;
	c.from_level = m->t[pl->in[0]].level;
	for (k = 1; k < pl->nin; k++)	/* the level compacted: the shallowest input's */
		if (m->t[pl->in[k]].level < c.from_level)
			c.from_level = m->t[pl->in[k]].level;
	c.out_level = pl->out_level;
	c.move = pl->move;
	c.drop = pl->drop;
	c.st = *st;
	if (pl->move) {
		for (k = 0; k < pl->nin; k++)
			c.moved_bytes += m->t[pl->in[k]].size;
		c.moved = pl->nin == 1 ? m->t[pl->in[0]].name : NULL;
		c.st.inputs = pl->nin;
	}
	o->on_compaction(o->arg, &c);
}

/* The manifest entry of new table path (its range read from the table). */
static int
out_entry(const char *path, int level, sst_store_entry *x, sst_err *err)
{
	const char *slash = strrchr(path, '/');
	sst_table *t;
	sst_props p;
	int rc;

	memset(x, 0, sizeof(*x));
	x->name = (char *)(slash ? slash + 1 : path);
	x->number = strtoull(x->name, NULL, 10);
	x->size = file_size(path);
	x->level = level;
	if ((rc = sst_table_open(&t, path, err)) != SST_OK)
		return rc;
	if ((rc = sst_table_props(t, &p, err)) == SST_OK)
		rc = sst_store_entry_set_range(x, &p, err);
	sst_table_close(&t);
	return rc;
}

static int
run_plan(sst_store *s, const sst_compact_opts *o, const plan *pl, sst_err *err)
{
	const sst_manifest *m = sst_store_manifest(s);
	sst_merge_opts mo;
	sst_merge_stats st;
	sst_sources src = { NULL, 0 };
	sst_store_entry *oe = NULL;
	sst_manifest nm;
	char **outs = NULL;
	size_t nouts = 0, i;
	int rc = SST_OK;

	memset(&st, 0, sizeof(st));
	if (!pl->move) {
		if ((rc = sst_sources_open_entries(&src, sst_store_dir(s), m, pl->in, pl->nin,
		    err)) != SST_OK)
			return rc;
		memset(&mo, 0, sizeof(mo));
		mo.table = o->table;
		mo.drop_deletes = pl->drop;
		mo.split_size = pl->split;
		mo.progress = o->progress;
		mo.progress_arg = o->progress_arg;
		rc = sst_merge_sources(&src, &mo, store_out, s, &outs, &nouts, &st, err);
		sst_sources_close(&src);
		st.inputs = pl->nin;
		if (rc != SST_OK)
			return rc;
		if ((oe = sst_calloc(nouts + 1, sizeof(*oe), err)) == NULL)
			rc = SST_ESYS;
	}
	/* Outputs' ranges, one table open at a time. */
	for (i = 0; i < nouts && rc == SST_OK; i++)
		rc = out_entry(outs[i], pl->out_level, &oe[i], err);
	if (rc == SST_OK)
		rc = build_manifest(m, pl, oe, nouts, &nm, err);
	if (rc == SST_OK) {
		report_compaction(o, m, pl, &st);	/* m is replaced by the commit */
		rc = sst_store_commit(s, &nm, err);
		sst_manifest_free(&nm);
	}
	if (rc != SST_OK)
		remove_outs(s, outs, nouts);
	for (i = 0; i < nouts && oe != NULL; i++) {
		free(oe[i].lo);
		free(oe[i].hi);
	}
	free(oe);
	sst_merge_outs_free(outs, nouts);
	return rc;
}

/* Applies the strategy and knob overrides; size-tiered keeps all at level 0. */
static int
apply_settings(sst_store *s, const sst_compact_opts *o, sst_err *err)
{
	const sst_manifest *cur = sst_store_manifest(s);
	char *fmt_a = NULL, *fmt_b = NULL;
	size_t la = 0, lb = 0, i;
	sst_manifest m;
	int rc;

	if ((rc = sst_manifest_copy(&m, cur, err)) != SST_OK)
		return rc;
	if (o->strategy >= 0)
		m.strategy = o->strategy;
	for (i = 0; i < o->nset && rc == SST_OK; i++) {
		char name[64];
		const char *eq = strchr(o->set[i], '=');
		size_t nl = eq ? (size_t)(eq - o->set[i]) : 0;

		if (eq == NULL || nl >= sizeof(name)) {
			rc = sst_error(err, SST_EUSAGE, "knob override: want NAME=VALUE, not '%s'", o->set[i]);
			break;
		}
		memcpy(name, o->set[i], nl);
		name[nl] = '\0';
		rc = sst_store_knob_set(&m.knobs, name, eq + 1, err);
	}
	if (rc == SST_OK && m.knobs.max_threshold < m.knobs.min_threshold)
		rc = sst_error(err, SST_EUSAGE, "max-threshold is below min-threshold");
	if (rc == SST_OK && m.strategy == SST_STRATEGY_SIZE_TIERED)
		for (i = 0; i < m.n; i++)
			m.t[i].level = 0;
	if (rc == SST_OK)
		rc = sst_manifest_format(cur, &fmt_a, &la, err);
	if (rc == SST_OK)
		rc = sst_manifest_format(&m, &fmt_b, &lb, err);
	if (rc == SST_OK && (la != lb || memcmp(fmt_a, fmt_b, la) != 0))
		rc = sst_store_commit(s, &m, err);
	free(fmt_a);
	free(fmt_b);
	sst_manifest_free(&m);
	return rc;
}

int
sst_compact(const char *dir, const sst_compact_opts *o, size_t *ncompactions, sst_err *err)
{
	sst_store *s;
	size_t done = 0;
	int rc;

	if (ncompactions != NULL)
		*ncompactions = 0;
	if ((rc = sst_store_open_writer(&s, dir, 0, o->wait, err)) != SST_OK)
		return rc;
	rc = apply_settings(s, o, err);
	while (rc == SST_OK) {
		const sst_manifest *m = sst_store_manifest(s);
		size_t n = m->n;
		plan pl;
		ctab *c;

		memset(&pl, 0, sizeof(pl));
		if ((rc = ctabs_open(s, &c, err)) != SST_OK)
			break;
		if (m->strategy == SST_STRATEGY_LEVELED)
			rc = pick_leveled(m, c, &pl, err);
		else
			rc = pick_size_tiered(m, c, &pl, err);
		if (rc == SST_OK && pl.nin > 0) {
			rc = run_plan(s, o, &pl, err);
			done++;
		}
		ctabs_free(c, n);
		free(pl.in);
		if (pl.nin == 0 || o->once)
			break;
	}
	sst_store_close(&s);
	if (ncompactions != NULL)
		*ncompactions = done;
	return rc;
}
