/*
 * replay.c - WAL replay into a table or a store (replay.h): memtable,
 * flusher thread, and the final merge of the flushed tables.
 */
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compact.h"
#include "fileio.h"
#include "memtable.h"
#include "sources.h"
#include "util.h"
#include "worker.h"

#define DEFAULT_MEMTABLE	(4u << 20)

typedef struct replay {
	const sst_replay_opts *o;
	const char *out;
	sst_store *store;
	sst_memtable *active;
	/* the flusher: one memtable at a time, written as job_path */
	sst_worker flusher;
	char *job_path;
	/* tables written (or being written), oldest first */
	char **paths;
	size_t npaths;
	int added;		/* into a store: the tables are live in it */
	uint64_t tmpseq;
	sst_tmpgroup group;	/* into a table: the flushed tables, in o->tmpdir */
	sst_table_opts flush;	/* the flushed tables' options: temporary
				 * (table.h), scratch into a table, merged
				 * later into a store */
	uint64_t records, bytes_done, bytes_total;
} replay;

void
sst_replay_opts_default(sst_replay_opts *o)
{
	memset(o, 0, sizeof(*o));
	sst_table_opts_default(&o->table);
	o->memtable_size = DEFAULT_MEMTABLE;
	o->tmp_prefix = "wal-replay";
}

/* Writes m as a table at path. */
static int
write_table(const sst_table_opts *o, sst_memtable *m, const char *path, sst_err *err)
{
	sst_writer *w;
	sst_iter *it;
	int rc;

	if ((rc = sst_writer_open(&w, path, o, err)) != SST_OK)
		return rc;
	if ((rc = sst_memtable_iter(m, &it, err)) != SST_OK) {
		sst_writer_abort(&w);
		return rc;
	}
	for (rc = sst_iter_first(it, err); rc == SST_OK && it->valid; rc = sst_iter_next(it, err))
		if ((rc = sst_writer_add(w, &it->rec, err)) != SST_OK)
			break;
	sst_iter_destroy(&it);
	if (rc != SST_OK) {
		sst_writer_abort(&w);
		return rc;
	}
	return sst_writer_finish(&w, err);
}

/* The flusher's job (worker.h): writes the memtable handed over, frees it. */
static int
flush_job(void *arg, void *job, int skip, sst_err *err)
{
	replay *rp = arg;
	sst_memtable *m = job;
	int rc;

	rc = skip ? SST_OK : write_table(&rp->flush, m, rp->job_path, err);
	sst_memtable_free(&m);
	return rc;
}

/* A path for the next flushed table. */
static int
next_path(replay *rp, char **path, sst_err *err)
{
	char **np;
	int rc;

	if ((np = sst_realloc(rp->paths, (rp->npaths + 1) * sizeof(*np), err)) == NULL)
		return SST_ESYS;
	rp->paths = np;
	if (rp->store != NULL) {
		if ((rc = sst_store_new_table(rp->store, path, err)) != SST_OK)
			return rc;
	} else {
		char sfx[32];

		snprintf(sfx, sizeof(sfx), "%llu.sst", (unsigned long long)++rp->tmpseq);
		if ((*path = sst_tmpgroup_path(&rp->group, sfx)) == NULL)
			return sst_nomem(err, rp->o->tmp_prefix);
		sst_cleanup_register(*path);
	}
	rp->paths[rp->npaths++] = *path;
	return SST_OK;
}

/* Hands the active memtable to the flusher and starts a fresh one. */
static int
flush_active(replay *rp, sst_err *err)
{
	char *path;
	int rc;

	if ((rc = sst_worker_wait(&rp->flusher, err)) != SST_OK)
		return rc;
	if ((rc = next_path(rp, &path, err)) != SST_OK)
		return rc;
	rp->job_path = path;	/* the flusher is idle: its job's fields are free */
	if ((rc = sst_worker_submit(&rp->flusher, rp->active, err)) != SST_OK)
		return rc;
	rp->active = NULL;
	return sst_memtable_new(&rp->active, err);
}

static int
replay_wal(replay *rp, const char *path, sst_err *err)
{
	sst_wal_reader_opts o = { rp->o->skip_corrupt, rp->o->report, rp->o->report_arg };
	sst_wal_reader *r;
	sst_rec rec;
	int rc, eof = 0;

	if ((rc = sst_wal_reader_open(&r, path, &o, err)) != SST_OK)
		return rc;
	while ((rc = sst_wal_reader_next(r, &rec, &eof, err)) == SST_OK && !eof) {
		if ((rc = sst_memtable_put(rp->active, &rec, err)) != SST_OK)
			break;
		if (sst_memtable_bytes(rp->active) >= rp->o->memtable_size &&
		    (rc = flush_active(rp, err)) != SST_OK)
			break;
		rp->records++;
		if (rp->o->progress != NULL)
			rp->o->progress(rp->o->progress_arg, "replaying", rp->records,
			    rp->bytes_done + sst_wal_reader_pos(r), rp->bytes_total);
	}
	rp->bytes_done += sst_wal_reader_size(r);
	sst_wal_reader_close(&r);
	return rc;
}

/*
 * Into a table with several flushes: merges the temporary tables, oldest
 * first, into the output (in passes when there are more than may be open).
 */
static int
merge_out(replay *rp, sst_err *err)
{
	sst_merge_opts mo;
	sst_sources src;
	char **outs = NULL;
	size_t nouts = 0;
	int rc;

	memset(&mo, 0, sizeof(mo));
	mo.table = rp->o->table;
	mo.keep_empty = 1;
	mo.progress = rp->o->progress;
	mo.progress_arg = rp->o->progress_arg;
	mo.tmpdir = rp->o->tmpdir;
	if ((rc = sst_sources_open(&src, rp->paths, rp->npaths, err)) != SST_OK)
		return rc;
	rc = sst_merge_sources(&src, &mo, sst_merge_out_path, (void *)rp->out, &outs, &nouts,
	    NULL, err);
	sst_sources_close(&src);
	sst_merge_outs_free(outs, nouts);
	return rc;
}

static int
finish(replay *rp, sst_err *err)
{
	int rc;

	if (rp->npaths == 0 && rp->store == NULL)	/* everything fits: write the output at once */
		return write_table(&rp->o->table, rp->active, rp->out, err);
	if (sst_memtable_count(rp->active) > 0 && (rc = flush_active(rp, err)) != SST_OK)
		return rc;
	if ((rc = sst_worker_wait(&rp->flusher, err)) != SST_OK)
		return rc;
	if (rp->store != NULL) {
		if (rp->npaths && (rc = sst_store_add(rp->store, rp->paths, rp->npaths, err)) != SST_OK)
			return rc;
		rp->added = 1;
		return SST_OK;
	}
	return merge_out(rp, err);
}

/* Removes the tables of the replay that are not (to be) kept. */
static void
drop_tables(replay *rp)
{
	size_t i;

	for (i = 0; i < rp->npaths; i++) {
		if (rp->store != NULL && sst_store_lists(rp->store, rp->paths[i]))
			continue;	/* live after all: see sst_store_commit */
		unlink(rp->paths[i]);
		if (rp->store == NULL)
			sst_cleanup_unregister(rp->paths[i]);
	}
}

/* Sums the sizes of the logs, for the progress estimate. */
static uint64_t
wal_bytes(char *const *wals, size_t n)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		FILE *f = fopen(wals[i], "rb");

		if (f != NULL && fseeko(f, 0, SEEK_END) == 0)
			total += (uint64_t)ftello(f);
		if (f != NULL)
			fclose(f);
	}
	return total;
}

int
sst_replay(const char *out, sst_store *store, char *const *wals, size_t n,
    const sst_replay_opts *o, sst_err *err)
{
	replay rp;
	size_t i;
	int rc;

	memset(&rp, 0, sizeof(rp));
	rp.o = o;
	rp.out = out;
	rp.store = store;
	rp.flush = o->table;
	rp.flush.temporary = out != NULL ? SST_TEMP_SCRATCH : SST_TEMP_MERGED;
	sst_worker_init(&rp.flusher, flush_job, &rp,
	    out != NULL ? out : store != NULL ? sst_store_dir(store) : o->tmp_prefix);
	/* Before any input is read; stale flushed tables of killed runs go. */
	if (out != NULL && (rc = sst_tmpgroup_open(&rp.group, sst_tmpdir(o->tmpdir), o->tmp_prefix,
	    err)) != SST_OK)
		goto done;
	rp.bytes_total = wal_bytes(wals, n);
	if ((rc = sst_memtable_new(&rp.active, err)) != SST_OK)
		goto done;
	for (i = 0; i < n; i++)
		if ((rc = replay_wal(&rp, wals[i], err)) != SST_OK)
			goto done;
	rc = finish(&rp, err);
done:
	sst_worker_stop(&rp.flusher, rc != SST_OK);	/* on failure queued work is skipped */
	if (!rp.added)
		drop_tables(&rp);
	sst_tmpgroup_close(&rp.group);
	sst_memtable_free(&rp.active);
	for (i = 0; i < rp.npaths; i++)
		free(rp.paths[i]);
	free(rp.paths);
	sst_worker_destroy(&rp.flusher);
	return rc;
}
