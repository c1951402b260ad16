/*
 * ingest.c - sst-ingest: finished tables into a store in one commit.
 */
#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "store.h"
#include "table.h"
#include "util.h"

/* One table to ingest: its checked properties. */
typedef struct itab {
	sst_store_entry e;	/* name set at link time; range and records */
	uint64_t size;
} itab;

static void
itabs_free(itab *t, size_t n)
{
	size_t i;

	for (i = 0; t != NULL && i < n; i++) {
		free(t[i].e.lo);
		free(t[i].e.hi);
	}
	free(t);
}

/* Checks path fully and takes its range. */
static int
check_table(const char *path, itab *it, sst_err *err)
{
	sst_table *t;
	sst_props p;
	struct stat st;
	int rc, store;

	if ((rc = sst_store_check_path(path, &store, err)) != SST_OK)
		return rc;
	if (store)
		return sst_error(err, SST_EDATA, "%s: a store, not a table (sst-merge -o makes "
		    "one table of it)", path);
	if (stat(path, &st) != 0)
		return sst_syserr(err, "%s", path);
	if (!S_ISREG(st.st_mode))
		return sst_error(err, SST_EDATA, "%s: not a table (not a regular file)", path);
	rc = sst_table_verify(path, NULL, err);
	if (rc == SST_EDAMAGE)
		rc = err->code = SST_EDATA;	/* damage: bad data here */
	if (rc != SST_OK)
		return rc;
	if ((rc = sst_table_open(&t, path, err)) != SST_OK)
		return rc;
	if ((rc = sst_table_props(t, &p, err)) == SST_OK)
		rc = sst_store_entry_set_range(&it->e, &p, err);
	sst_table_close(&t);
	it->size = (uint64_t)st.st_size;
	it->e.size = it->size;
	return rc;
}

static int
overlap(const sst_store_entry *a, const sst_store_entry *b)
{
	if (a->records == 0 || b->records == 0)
		return 0;
	return sst_keycmp(a->lo, a->lolen, b->hi, b->hilen) <= 0 &&
	    sst_keycmp(b->lo, b->lolen, a->hi, a->hilen) <= 0;
}

static int
cmp_by_lo(const void *a, const void *b)
{
	const sst_store_entry *x = *(sst_store_entry *const *)a, *y = *(sst_store_entry *const *)b;

	if (x->records == 0 || y->records == 0)
		return (x->records != 0) - (y->records != 0);
	return sst_keycmp(x->lo, x->lolen, y->lo, y->lolen);
}

/* Whether the non-empty tables are pairwise disjoint. */
static int
pairwise_disjoint(const itab *t, size_t n, sst_err *err, int *disjoint)
{
	const sst_store_entry **v;
	size_t i, k = 0;

	*disjoint = 1;
	if ((v = sst_calloc(n + 1, sizeof(*v), err)) == NULL)
		return SST_ESYS;
	for (i = 0; i < n; i++)
		if (t[i].e.records > 0)
			v[k++] = &t[i].e;
	qsort(v, k, sizeof(*v), cmp_by_lo);
	for (i = 1; i < k && *disjoint; i++)
		if (sst_keycmp(v[i - 1]->hi, v[i - 1]->hilen, v[i]->lo, v[i]->lolen) >= 0)
			*disjoint = 0;
	free(v);
	return SST_OK;
}

/* RocksDB's rule (see ingest.h): the level the tables go to. */
static int
place(const sst_manifest *m, const itab *t, size_t n, sst_err *err, int *level)
{
	int lev, disjoint, rc;
	size_t i, j;

	*level = 0;
	if (m->strategy != SST_STRATEGY_LEVELED)
		return SST_OK;
	if ((rc = pairwise_disjoint(t, n, err, &disjoint)) != SST_OK || !disjoint)
		return rc;
	for (lev = 0; lev < (int)m->knobs.max_levels; lev++) {
		for (i = 0; i < m->n; i++) {
			if (m->t[i].level != lev)
				continue;
			for (j = 0; j < n; j++)
				if (overlap(&m->t[i], &t[j].e))
					return SST_OK;
		}
		*level = lev;
	}
	return SST_OK;
}

/* An fsynced copy of src at dst (atomically, through a temporary). */
static int
copy_file(const char *src, const char *dst, sst_err *err)
{
	char buf[1 << 16];
	sst_out o;
	ssize_t r;
	int fd, rc;

	if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return sst_syserr(err, "%s", src);
	if ((rc = sst_out_open(&o, dst, err)) != SST_OK) {
		close(fd);
		return rc;
	}
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = sst_syserr(err, "%s: read", src);
			break;
		}
		if ((rc = sst_out_write(&o, buf, (size_t)r, err)) != SST_OK)
			break;
	}
	close(fd);
	if (rc != SST_OK) {
		sst_out_abort(&o);
		return rc;
	}
	return sst_out_commit(&o, err);
}

/* The store's own name for src: a hard link (fsynced), else a copy. */
static int
link_or_copy(const char *src, const char *dst, size_t *copied, sst_err *err)
{
	int fd, rc = SST_OK;

	if (link(src, dst) != 0) {
		if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP)
			return sst_syserr(err, "%s: link to %s", src, dst);
		(*copied)++;
		return copy_file(src, dst, err);
	}
	/* The source may never have been synced: make its bytes durable. */
	if ((fd = open(dst, O_RDONLY | O_CLOEXEC)) < 0)
		return sst_syserr(err, "%s", dst);
	if (fsync(fd) != 0)
		rc = sst_syserr(err, "%s: fsync", dst);
	close(fd);
	return rc;
}

/* Links, places and commits (the store is locked). */
static int
ingest_locked(sst_store *s, char *const *paths, itab *t, size_t n, sst_ingest_result *res,
    char **newp, sst_err *err)
{
	const sst_manifest *cur = sst_store_manifest(s);
	sst_manifest m;
	size_t i;
	int rc, level;

	if ((rc = place(cur, t, n, err, &level)) != SST_OK)
		return rc;
	res->level = level;
	for (i = 0; i < n && rc == SST_OK; i++) {
		const char *slash;

		if ((rc = sst_store_new_table(s, &newp[i], err)) != SST_OK)
			break;
		rc = link_or_copy(paths[i], newp[i], &res->copied, err);
		slash = strrchr(newp[i], '/');
		t[i].e.name = (char *)(slash ? slash + 1 : newp[i]);
		t[i].e.number = strtoull(t[i].e.name, NULL, 10);
		t[i].e.level = level;
	}
	if (rc == SST_OK && n > 0)
		rc = sst_fsync_dir(newp[0], err);
	if (rc != SST_OK)
		return rc;
	if ((rc = sst_manifest_copy(&m, cur, err)) != SST_OK)
		return rc;
	for (i = 0; i < n && rc == SST_OK; i++)
		rc = sst_manifest_push_entry(&m, &t[i].e, err);
	if (rc == SST_OK)
		rc = sst_manifest_sort(&m, err);	/* level 0: appended, newest last */
	if (rc == SST_OK)
		rc = sst_store_commit(s, &m, err);
	sst_manifest_free(&m);
	return rc;
}

int
sst_ingest(const char *dir, char *const *paths, size_t n, const sst_ingest_opts *o,
    sst_ingest_result *res, sst_err *err)
{
	sst_store *s = NULL;
	char **newp = NULL;
	itab *t;
	size_t i;
	int rc = SST_OK;

	memset(res, 0, sizeof(*res));
	if ((t = sst_calloc(n + 1, sizeof(*t), err)) == NULL)
		return SST_ESYS;
	/* Every table checked before the store is touched. */
	for (i = 0; i < n && rc == SST_OK; i++) {
		rc = check_table(paths[i], &t[i], err);
		res->records += t[i].e.records;
		res->bytes += t[i].size;
	}
	res->tables = n;
	if (rc == SST_OK && (newp = sst_calloc(n + 1, sizeof(*newp), err)) == NULL)
		rc = SST_ESYS;
	if (rc == SST_OK)
		rc = sst_store_open_writer(&s, dir, 1, o->wait, err);
	if (rc == SST_OK)
		rc = ingest_locked(s, paths, t, n, res, newp, err);
	if (rc != SST_OK) {
		for (i = 0; newp != NULL && i < n; i++)
			if (newp[i] != NULL && (s == NULL || !sst_store_lists(s, newp[i])))
				unlink(newp[i]);
		sst_store_discard(&s);
	} else {
		sst_store_close(&s);
		for (i = 0; o->move && i < n; i++)
			if (unlink(paths[i]) != 0 && errno != ENOENT)
				rc = sst_syserr(err, "%s: remove (after the commit; the table is "
				    "in the store)", paths[i]);
	}
	for (i = 0; newp != NULL && i < n; i++)
		free(newp[i]);
	free(newp);
	itabs_free(t, n);
	return rc;
}
