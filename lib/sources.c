#include "sources.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "merge_iter.h"
#include "util.h"

/* An open table on the LRU list (most recently used first). */
typedef struct handle {
	struct handle *prev, *next;
	struct sst_sources_impl *p;
	sst_table *t;
	void (*evict)(struct handle *h);	/* closes t (an iterator saves its place) */
} handle;

/* One table of the sources: where it is and (store tables) its key range. */
typedef struct slot {
	handle h;		/* the lookup handle */
	char *path;
	const sst_store_entry *e;	/* NULL: a plain table (range unknown) */
	int filter;		/* whole filter loaded */
} slot;

/* A run is searched as a unit: a table, or a level >= 1 (sorted, disjoint). */
typedef struct run {
	size_t first, n;
	int sorted;
} run;

struct sst_sources_impl {
	slot *slots;
	size_t nslots;
	run *runs;		/* oldest first */
	size_t nruns;
	sst_store_snap *snaps;
	size_t nsnaps;
	sst_manifest wm;	/* sst_sources_open_entries: a copy of the entries */
	char *wdir;		/* ... and their store */
	handle lru;		/* sentinel */
	size_t nopen, maxopen;	/* maxopen 0: default_max_open(), asked when needed */
};

static size_t
default_max_open(void)
{
	struct rlimit rl;
	rlim_t n;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 1000;
	n = rl.rlim_cur;
	/* Leave room for stdio, pinned manifests, outputs and temp files. */
	n = n > 64 ? n - 32 : n / 2;
	if (n < 4)
		n = 4;
	return n > 1000 ? 1000 : (size_t)n;
}

/* ---- the LRU of open tables ---- */

static void
lru_unlink(handle *h)
{
	h->prev->next = h->next;
	h->next->prev = h->prev;
	h->prev = h->next = NULL;
}

static void
lru_front(struct sst_sources_impl *p, handle *h)
{
	if (h->prev != NULL)
		lru_unlink(h);
	h->next = p->lru.next;
	h->prev = &p->lru;
	p->lru.next->prev = h;
	p->lru.next = h;
}

/* Closes h's table (no-op when closed). */
static void
handle_close(struct sst_sources_impl *p, handle *h)
{
	if (h->t == NULL)
		return;
	lru_unlink(h);
	sst_table_close(&h->t);
	p->nopen--;
}

/* Makes room for one more open table. */
static void
lru_make_room(struct sst_sources_impl *p)
{
	if (p->maxopen == 0) {
		if (p->nopen < 4)
			return;		/* below any default: no getrlimit yet */
		p->maxopen = default_max_open();
	}
	while (p->nopen >= p->maxopen && p->lru.prev != &p->lru) {
		handle *v = p->lru.prev;

		v->evict(v);	/* calls handle_close */
		if (v->t != NULL)
			break;	/* could not save its place (no memory): go over the limit */
	}
}

/* Opens slot sl's table into h (when not open) and marks it used. */
static int
handle_open(struct sst_sources_impl *p, handle *h, slot *sl, sst_err *err)
{
	int rc;

	if (h->t != NULL) {
		lru_front(p, h);
		return SST_OK;
	}
	if (h != &sl->h && sl->h.t != NULL) {
		/* A scan takes over the table open for lookups (sst_sources_open's). */
		h->t = sl->h.t;
		h->p = p;
		sl->h.t = NULL;
		sl->filter = 0;
		lru_unlink(&sl->h);
		lru_front(p, h);
		return SST_OK;
	}
	lru_make_room(p);
	if (sl->e != NULL) {
		size_t i;

		/* A store table: checked against its manifest line. */
		for (i = 0; i < p->nsnaps; i++)
			if (sl->e >= p->snaps[i].m.t && sl->e < p->snaps[i].m.t + p->snaps[i].m.n)
				break;
		if (i < p->nsnaps)
			rc = sst_store_snap_table(&p->snaps[i], (size_t)(sl->e - p->snaps[i].m.t),
			    &h->t, err);
		else
			rc = sst_store_open_entry(p->wdir, sl->e, &h->t, err);
	} else {
		rc = sst_table_open(&h->t, sl->path, err);
	}
	if (rc != SST_OK)
		return rc;
	h->p = p;
	p->nopen++;
	lru_front(p, h);
	return SST_OK;
}

static void
slot_evict(handle *h)
{
	slot *sl = (slot *)h;

	sl->filter = 0;
	handle_close(h->p, h);
}

/* ---- building ---- */

static int
add_slot(struct sst_sources_impl *p, const char *path, const sst_store_entry *e, sst_err *err)
{
	slot *ns;
	size_t i;

	if (p->nslots % 64 == 0) {
		/*
		 * The array moves: its open tables (plain tables opened while
		 * building, nothing else is open yet) leave the LRU list and come
		 * back in slot order, the order they were opened in.
		 */
		for (i = 0; i < p->nslots; i++)
			if (p->slots[i].h.t != NULL)
				lru_unlink(&p->slots[i].h);
		ns = sst_realloc(p->slots, (p->nslots + 64) * sizeof(*ns), err);
		if (ns != NULL)
			p->slots = ns;
		for (i = 0; i < p->nslots; i++)
			if (p->slots[i].h.t != NULL)
				lru_front(p, &p->slots[i].h);
		if (ns == NULL)
			return SST_ESYS;
	}
	ns = &p->slots[p->nslots];
	memset(ns, 0, sizeof(*ns));
	ns->h.evict = slot_evict;
	if ((ns->path = strdup(path)) == NULL)
		return sst_nomem(err, path);
	ns->e = e;
	p->nslots++;
	return SST_OK;
}

static int
add_run(struct sst_sources_impl *p, size_t first, size_t n, int sorted, sst_err *err)
{
	run *nr;

	if ((nr = sst_realloc(p->runs, (p->nruns + 1) * sizeof(*nr), err)) == NULL)
		return SST_ESYS;
	p->runs = nr;
	nr[p->nruns++] = (run){ first, n, sorted };
	return SST_OK;
}

static int
impl_new(sst_sources *s, sst_err *err)
{
	struct sst_sources_impl *p;

	s->n = 0;
	if ((s->p = p = sst_calloc(1, sizeof(*p), err)) == NULL)
		return SST_ESYS;
	p->lru.next = p->lru.prev = &p->lru;
	return SST_OK;
}

/* Adds the slot of entry f of the store at dir. */
static int
add_entry_slot(struct sst_sources_impl *p, const char *dir, const sst_store_entry *f, sst_err *err)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, f->name) >= sizeof(path))
		return sst_error(err, SST_ESYS, "%s/%s: path too long", dir, f->name);
	return add_slot(p, path, f, err);
}

/*
 * Level 0 from entry i on: the longest group of consecutive level-0 tables
 * (in age order) that are pairwise disjoint holds each key at most once, so
 * its age order does not matter and it is one sorted run (ordered by key),
 * searched by binary search and scanned table by table: ingested parts or
 * flushes of disjoint ranges cost one run, not one per table. A table that
 * overlaps the group starts the next one. Sets *next to the first entry
 * after the group.
 */
static int
add_level0_group(struct sst_sources_impl *p, const char *dir, const sst_manifest *m,
    const size_t *idx, size_t i, size_t n, size_t *next, sst_err *err)
{
	const sst_store_entry **g = NULL, **ng;
	size_t gn = 0, gcap = 0, j, lo, hi, first = p->nslots;
	int rc = SST_OK;

	for (j = i; j < n; j++) {
		const sst_store_entry *f = &m->t[idx ? idx[j] : j];

		if (f->level != 0)
			break;
		if (f->records == 0)
			continue;	/* holds nothing: never opened */
		/* where f goes among the group, ordered by smallest key */
		for (lo = 0, hi = gn; lo < hi;) {
			size_t mid = lo + (hi - lo) / 2;

			if (sst_keycmp(g[mid]->lo, g[mid]->lolen, f->lo, f->lolen) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if ((lo > 0 && sst_keycmp(g[lo - 1]->hi, g[lo - 1]->hilen, f->lo, f->lolen) >= 0) ||
		    (lo < gn && sst_keycmp(f->hi, f->hilen, g[lo]->lo, g[lo]->lolen) >= 0))
			break;	/* overlaps the group */
		if (gn == gcap) {
			gcap = gcap ? 2 * gcap : 16;
			if ((ng = sst_realloc(g, gcap * sizeof(*g), err)) == NULL) {
				free(g);
				return SST_ESYS;
			}
			g = ng;
		}
		memmove(g + lo + 1, g + lo, (gn - lo) * sizeof(*g));
		g[lo] = f;
		gn++;
	}
	for (lo = 0; lo < gn && rc == SST_OK; lo++)
		rc = add_entry_slot(p, dir, g[lo], err);
	free(g);
	if (rc == SST_OK && gn > 0)
		rc = add_run(p, first, gn, gn > 1, err);
	*next = j;
	return rc;
}

/*
 * Adds entries idx[0..n) of m (in read order) as slots and runs: tables of
 * one level >= 1 listed together form a sorted run (checked: a level whose
 * ranges are out of order or overlap is damage); level-0 tables form runs
 * of pairwise disjoint neighbours (add_level0_group).
 */
static int
add_entries(sst_sources *s, const char *dir, const sst_manifest *m, const size_t *idx,
    size_t n, sst_err *err)
{
	struct sst_sources_impl *p = s->p;
	size_t i = 0, j;
	int rc;

	while (i < n) {
		const sst_store_entry *e = &m->t[idx ? idx[i] : i];
		size_t first = p->nslots;

		if (e->level == 0) {
			if ((rc = add_level0_group(p, dir, m, idx, i, n, &i, err)) != SST_OK)
				return rc;
			continue;
		}
		for (j = i; j < n; j++) {
			const sst_store_entry *f = &m->t[idx ? idx[j] : j];

			if (j > i && f->level != e->level)
				break;
			if (f->records == 0)
				continue;	/* holds nothing: never opened */
			if (j > i && f->records > 0) {
				const sst_store_entry *g = &m->t[idx ? idx[j - 1] : j - 1];

				if (g->records > 0 && sst_keycmp(g->hi, g->hilen, f->lo, f->lolen) >= 0)
					return sst_error(err, SST_EDATA, "%s/MANIFEST: level %d: %s "
					    "overlaps or is out of order with %s", dir, f->level,
					    f->name, g->name);
			}
			if ((rc = add_entry_slot(p, dir, f, err)) != SST_OK)
				return rc;
		}
		if (p->nslots > first &&
		    (rc = add_run(p, first, p->nslots - first, 1, err)) != SST_OK)
			return rc;
		i = j;
	}
	s->n = p->nslots;
	return SST_OK;
}

/* Adds plain table t, opened at path, as a slot and run of its own; it stays open. */
static int
add_plain(struct sst_sources_impl *p, const char *path, sst_table *t, sst_err *err)
{
	slot *sl;
	int rc;

	if ((rc = add_slot(p, path, NULL, err)) == SST_OK)
		rc = add_run(p, p->nslots - 1, 1, 0, err);
	if (rc != SST_OK) {
		sst_table_close(&t);
		return rc;
	}
	/* Kept open for the lookups and scans to come (an LRU entry like any). */
	sl = &p->slots[p->nslots - 1];
	lru_make_room(p);
	sl->h.t = t;
	sl->h.p = p;
	p->nopen++;
	lru_front(p, &sl->h);
	return SST_OK;
}

int
sst_sources_open(sst_sources *s, char *const *paths, size_t npaths, sst_err *err)
{
	struct sst_sources_impl *p;
	size_t i;
	int rc;

	if ((rc = impl_new(s, err)) != SST_OK)
		return rc;
	p = s->p;
	/* Snapshots first, so that their entries do not move afterwards. */
	if ((p->snaps = sst_calloc(npaths + 1, sizeof(*p->snaps), err)) == NULL) {
		rc = SST_ESYS;
		goto fail;
	}
	for (i = 0; i < npaths; i++) {
		struct stat st;
		sst_table *t;
		int store, fd = open(paths[i], O_RDONLY | O_CLOEXEC);

		if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) {
			/* Not a store: a table (or bad data its open names), opened once. */
			if ((rc = sst_table_open_stat(&t, fd, paths[i], &st, err)) != SST_OK ||
			    (rc = add_plain(p, paths[i], t, err)) != SST_OK)
				goto fail;
			continue;
		}
		if (fd >= 0)
			close(fd);
		/* A directory, or a path that does not open (the table open says why). */
		if ((rc = sst_store_check_path(paths[i], &store, err)) != SST_OK)
			goto fail;
		if (store) {
			sst_store_snap *sn = &p->snaps[p->nsnaps];

			if ((rc = sst_store_snap_open(sn, paths[i], err)) != SST_OK)
				goto fail;
			p->nsnaps++;
			rc = add_entries(s, paths[i], &sn->m, NULL, sn->m.n, err);
		} else {
			/* Opened now, so that a bad argument fails at once. */
			if ((rc = sst_table_open(&t, paths[i], err)) != SST_OK)
				goto fail;
			rc = add_plain(p, paths[i], t, err);
		}
		if (rc != SST_OK)
			goto fail;
	}
	s->n = p->nslots;
	return SST_OK;
fail:
	sst_sources_close(s);
	return rc;
}

int
sst_sources_open_entries(sst_sources *s, const char *dir, const sst_manifest *m,
    const size_t *idx, size_t n, sst_err *err)
{
	int rc;

	if ((rc = impl_new(s, err)) != SST_OK)
		return rc;
	if ((s->p->wdir = strdup(dir)) == NULL)
		rc = sst_nomem(err, dir);
	if (rc == SST_OK && (rc = sst_manifest_copy(&s->p->wm, m, err)) == SST_OK)
		rc = add_entries(s, dir, &s->p->wm, idx, n, err);
	if (rc != SST_OK)
		sst_sources_close(s);
	return rc;
}

size_t
sst_sources_nruns(const sst_sources *s)
{
	return s->p ? s->p->nruns : 0;
}

size_t
sst_sources_max_open(const sst_sources *s)
{
	if (s->p != NULL && s->p->maxopen == 0)
		s->p->maxopen = default_max_open();
	return s->p ? s->p->maxopen : 0;
}

void
sst_sources_close(sst_sources *s)
{
	struct sst_sources_impl *p = s->p;
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nslots; i++) {
		handle_close(p, &p->slots[i].h);
		free(p->slots[i].path);
	}
	for (i = 0; i < p->nsnaps; i++)
		sst_store_snap_close(&p->snaps[i]);
	sst_manifest_free(&p->wm);
	free(p->wdir);
	free(p->snaps);
	free(p->slots);
	free(p->runs);
	free(p);
	s->p = NULL;
	s->n = 0;
}

void
sst_sources_set_max_open(sst_sources *s, size_t max)
{
	s->p->maxopen = max < 1 ? 1 : max;
}

void
sst_sources_totals(const sst_sources *s, uint64_t *bytes, uint64_t *records)
{
	size_t i;

	*bytes = *records = 0;
	for (i = 0; s->p != NULL && i < s->p->nslots; i++) {
		const slot *sl = &s->p->slots[i];
		struct stat st;

		if (sl->e != NULL) {
			*bytes += sl->e->size;
			*records += sl->e->records;
		} else if (stat(sl->path, &st) == 0)
			*bytes += (uint64_t)st.st_size;
	}
}

/* ---- lookups ---- */

/* -1, 0, 1: key below, inside or above slot sl's range (0 when unknown). */
static int
in_range(const slot *sl, const uint8_t *key, size_t klen)
{
	if (sl->e == NULL)
		return 0;
	if (sl->e->records == 0)
		return 1;	/* holds nothing */
	if (sst_keycmp(key, klen, sl->e->lo, sl->e->lolen) < 0)
		return -1;
	return sst_keycmp(key, klen, sl->e->hi, sl->e->hilen) > 0 ? 1 : 0;
}

/* In a sorted run: the first table whose largest key is >= key (or r->n). */
static size_t
run_find(const struct sst_sources_impl *p, const run *r, const uint8_t *key, size_t klen)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const sst_store_entry *e = p->slots[r->first + mid].e;

		if (e->records > 0 && sst_keycmp(e->hi, e->hilen, key, klen) >= 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int
slot_get(struct sst_sources_impl *p, slot *sl, const uint8_t *key, size_t klen, int batch,
    sst_rec *out, int *found, sst_err *err)
{
	int rc;

	*found = 0;
	if (in_range(sl, key, klen) != 0)
		return SST_OK;
	if ((rc = handle_open(p, &sl->h, sl, err)) != SST_OK)
		return rc;
	if (batch && !sl->filter) {
		if ((rc = sst_table_load_filter(sl->h.t, err)) != SST_OK)
			return rc;
		sl->filter = 1;
	}
	return sst_table_get(sl->h.t, key, klen, out, found, err);
}

int
sst_sources_get(sst_sources *s, const uint8_t *key, size_t klen, sst_rec *out,
    int *found, sst_err *err)
{
	struct sst_sources_impl *p = s->p;
	size_t i;
	int rc;

	*found = 0;
	for (i = p->nruns; i-- > 0;) {
		const run *r = &p->runs[i];
		size_t k = r->sorted ? run_find(p, r, key, klen) : 0;

		if (k >= r->n)
			continue;
		if ((rc = slot_get(p, &p->slots[r->first + k], key, klen, 0, out, found, err)) != SST_OK)
			return rc;
		if (*found)
			return SST_OK;
	}
	return SST_OK;
}

int
sst_sources_get_sorted_by(sst_sources *s, size_t n, sst_sources_key_fn key, void *kclos,
    int *state, sst_sources_found_fn fn, void *clos, sst_err *err)
{
	struct sst_sources_impl *p = s->p;
	size_t i, q;
	int rc;

	for (i = p->nruns; i-- > 0;) {
		const run *r = &p->runs[i];
		size_t k = 0, prev = SIZE_MAX;

		for (q = 0; q < n; q++) {
			const uint8_t *kp;
			size_t kl;
			sst_rec rec;
			int found;

			if (state[q] != 0)
				continue;
			kp = key(kclos, q, &kl);
			if (r->sorted) {
				/* Keys ascend: move on through the level's tables. */
				while (k < r->n && in_range(&p->slots[r->first + k], kp, kl) > 0)
					k++;
				if (k >= r->n)
					break;
			}
			if (r->sorted && k != prev && prev != SIZE_MAX)
				handle_close(p, &p->slots[r->first + prev].h);
			prev = k;
			rc = slot_get(p, &p->slots[r->first + k], kp, kl, n > 64, &rec, &found, err);
			if (rc != SST_OK)
				return rc;
			if (!found)
				continue;
			state[q] = rec.kind == SST_DEL ? 2 : 1;
			if ((rc = fn(clos, q, &rec, err)) != SST_OK)
				return rc;
		}
		/*
		 * With a few runs, the last table used in each stays open: a
		 * stream of small batches opens it once, not once per batch.
		 * With many, memory comes first: one table at a time.
		 */
		if (p->nruns <= SST_SOURCES_KEEP_RUNS)
			continue;
		if (r->sorted && prev != SIZE_MAX)
			handle_close(p, &p->slots[r->first + prev].h);
		if (!r->sorted)
			handle_close(p, &p->slots[r->first].h);
	}
	return SST_OK;
}

typedef struct key_arrays {
	const uint8_t *const *keys;
	const size_t *klens;
} key_arrays;

static const uint8_t *
key_of_arrays(void *clos, size_t i, size_t *klen)
{
	const key_arrays *a = clos;

	*klen = a->klens[i];
	return a->keys[i];
}

int
sst_sources_get_sorted(sst_sources *s, const uint8_t *const *keys, const size_t *klens,
    size_t n, int *state, sst_sources_found_fn fn, void *clos, sst_err *err)
{
	key_arrays a = { keys, klens };

	return sst_sources_get_sorted_by(s, n, key_of_arrays, &a, state, fn, clos, err);
}

/* ---- scans: one iterator per run, tables opened as it reaches them ---- */

typedef struct run_iter {
	sst_iter base;
	handle h;		/* first member of nothing: see ri_of */
	struct sst_sources_impl *p;
	const run *r;
	size_t cur;		/* table of the run it is in (r->n: done) */
	sst_iter *in;		/* over h.t; NULL when closed */
	int parked;		/* closed while positioned: rec is in saved */
	int ahead;		/* SST_MERGE_READAHEAD given */
	sst_buf saved;
} run_iter;

static run_iter *
ri_of(handle *h)
{
	return (run_iter *)((char *)h - offsetof(run_iter, h));
}

/* Closes the table, keeping a copy of the current record to go on from. */
static void
ri_evict(handle *h)
{
	run_iter *ri = ri_of(h);
	sst_err e;

	if (ri->in != NULL && ri->base.valid) {
		sst_rec *r = &ri->base.rec;

		ri->saved.len = 0;
		if (sst_buf_append(&ri->saved, r->key, r->klen, &e) == SST_OK &&
		    sst_buf_append(&ri->saved, r->val, r->vlen, &e) == SST_OK) {
			r->key = ri->saved.p;
			r->val = ri->saved.p + r->klen;
			ri->parked = 1;
		} else {
			return;	/* out of memory: keep it open (over the limit) */
		}
	}
	sst_iter_destroy(&ri->in);
	handle_close(ri->p, h);
}

static void
ri_close(run_iter *ri)
{
	sst_iter_destroy(&ri->in);
	handle_close(ri->p, &ri->h);
	ri->parked = 0;
}

/* Opens table ri->cur and its iterator. */
static int
ri_open(run_iter *ri, sst_err *err)
{
	int rc;

	if (ri->in != NULL) {
		lru_front(ri->p, &ri->h);
		return SST_OK;
	}
	if ((rc = handle_open(ri->p, &ri->h, &ri->p->slots[ri->r->first + ri->cur], err)) != SST_OK)
		return rc;
	if ((rc = (ri->ahead ? sst_table_iter_ahead : sst_table_iter)(ri->h.t, &ri->in, err)) != SST_OK)
		handle_close(ri->p, &ri->h);
	return rc;
}

/*
 * Just after a table of the run was opened and positioned at its first
 * record or at the first >= sought (NULL: the first): a store's table holds
 * that record in its manifest range, or, at its end, nothing at or after
 * sought was listed. A run trusts the ranges for its order, so a table
 * swapped for another of the same size is refused, not read out of order.
 */
static int
ri_check_range(const run_iter *ri, const uint8_t *sought, size_t soughtlen, sst_err *err)
{
	const slot *sl = &ri->p->slots[ri->r->first + ri->cur];
	const sst_store_entry *e = sl->e;
	const sst_rec *r = &ri->in->rec;
	int ok;

	if (e == NULL || !e->ranged)
		return SST_OK;
	if (ri->in->valid)
		ok = e->records > 0 && in_range(sl, r->key, r->klen) == 0;
	else	/* at its end: right only if nothing listed is at or after the key sought */
		ok = e->records == 0 || (sought != NULL &&
		    sst_keycmp(sought, soughtlen, e->hi, e->hilen) > 0);
	return ok ? SST_OK : sst_error(err, SST_EDATA, "%s: records or key range differ from "
	    "the manifest's", sl->path);
}

/* From the inner iterator's position, or on to the next tables' first. */
static int
ri_settle(run_iter *ri, sst_err *err)
{
	int rc;

	for (;;) {
		if (ri->in->valid) {
			ri->base.valid = 1;
			ri->base.rec = ri->in->rec;
			return SST_OK;
		}
		ri_close(ri);
		if (++ri->cur >= ri->r->n) {
			ri->base.valid = 0;
			return SST_OK;
		}
		if ((rc = ri_open(ri, err)) != SST_OK || (rc = sst_iter_first(ri->in, err)) != SST_OK ||
		    (rc = ri_check_range(ri, NULL, 0, err)) != SST_OK)
			return rc;
	}
}

static int
ri_first(sst_iter *base, sst_err *err)
{
	run_iter *ri = (run_iter *)base;
	int rc;

	ri_close(ri);
	ri->cur = 0;
	ri->base.valid = 0;
	if (ri->r->n == 0)
		return SST_OK;
	if ((rc = ri_open(ri, err)) != SST_OK || (rc = sst_iter_first(ri->in, err)) != SST_OK ||
	    (rc = ri_check_range(ri, NULL, 0, err)) != SST_OK)
		return rc;
	return ri_settle(ri, err);
}

static int
ri_seek(sst_iter *base, const uint8_t *key, size_t klen, sst_err *err)
{
	run_iter *ri = (run_iter *)base;
	int rc;

	ri_close(ri);
	ri->base.valid = 0;
	ri->cur = ri->r->sorted ? run_find(ri->p, ri->r, key, klen) : 0;
	if (ri->cur >= ri->r->n)
		return SST_OK;
	if ((rc = ri_open(ri, err)) != SST_OK ||
	    (rc = sst_iter_seek(ri->in, key, klen, err)) != SST_OK ||
	    (rc = ri_check_range(ri, key, klen, err)) != SST_OK)
		return rc;
	return ri_settle(ri, err);
}

static int
ri_next(sst_iter *base, sst_err *err)
{
	run_iter *ri = (run_iter *)base;
	int rc;

	if (ri->parked) {
		/* Reopened: back to the saved key, which the table holds. */
		const uint8_t *k = ri->saved.p;
		size_t kl = ri->base.rec.klen;

		ri->parked = 0;
		if ((rc = ri_open(ri, err)) != SST_OK || (rc = sst_iter_seek(ri->in, k, kl, err)) != SST_OK)
			return rc;
		if (!ri->in->valid || sst_keycmp(ri->in->rec.key, ri->in->rec.klen, k, kl) != 0)
			return sst_error(err, SST_EDATA, "%s: changed while being read",
			    ri->p->slots[ri->r->first + ri->cur].path);
	} else {
		lru_front(ri->p, &ri->h);
	}
	if ((rc = sst_iter_next(ri->in, err)) != SST_OK)
		return rc;
	return ri_settle(ri, err);
}

static void
ri_destroy(sst_iter *base)
{
	run_iter *ri = (run_iter *)base;

	ri_close(ri);
	sst_buf_free(&ri->saved);
	free(ri);
}

static const struct sst_iter_ops run_ops = { ri_first, ri_seek, ri_next, ri_destroy };

int
sst_sources_iter(sst_sources *s, int flags, sst_iter **it, sst_err *err)
{
	return sst_sources_iter_runs(s, 0, sst_sources_nruns(s), flags, it, err);
}

int
sst_sources_iter_runs(sst_sources *s, size_t first, size_t n, int flags, sst_iter **it,
    sst_err *err)
{
	struct sst_sources_impl *p = s->p;
	sst_iter **kids;
	size_t i;
	int rc;

	*it = NULL;
	if ((kids = sst_calloc(n ? n : 1, sizeof(*kids), err)) == NULL)
		return SST_ESYS;
	for (i = 0; i < n; i++) {
		run_iter *ri = sst_calloc(1, sizeof(*ri), err);

		if (ri == NULL) {
			while (i-- > 0)
				sst_iter_destroy(&kids[i]);
			free(kids);
			return SST_ESYS;
		}
		ri->base.ops = &run_ops;
		ri->h.evict = ri_evict;
		ri->p = p;
		ri->r = &p->runs[first + i];
		ri->ahead = (flags & SST_MERGE_READAHEAD) != 0;
		kids[i] = &ri->base;
	}
	rc = sst_merge_iter_new(it, kids, n, flags, err);
	free(kids);
	return rc;
}
