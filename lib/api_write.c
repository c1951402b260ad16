/* api_write.c - the public API's writers (sstkit/write.h): sorted and
 * unsorted tables, merge, store ingest and compaction, the WAL. */
#include "api_int.h"

#include <stdlib.h>
#include <string.h>

#include "compact.h"
#include "fileio.h"
#include "ingest.h"
#include "progress.h"
#include "replay.h"
#include "sources.h"
#include "wal.h"

/* The table options of o, sized to the sort's memory as sst-build does. */
static sst_table_opts
table_opts(const struct sstkit_options *o)
{
	sst_table_opts t = o->table;
	uint64_t mem = o->sort.memory;

	t.filter_mem = mem / 2 > (1u << 20) ? (size_t)(mem / 2) : 1u << 20;
	t.dict_sample = mem / 4 < (1u << 20) ? 1u << 20 :
	    mem / 4 > SST_DICT_SAMPLE ? SST_DICT_SAMPLE : (size_t)(mem / 4);
	return t;
}

/*
 * The records of writers, builders and WALs: checked here (misuse), then
 * added to the internal object h of kind `to`.
 */
enum { TO_WRITER, TO_SORTER, TO_WAL };

static int
add_rec(void *h, int to, const char *fn, const void *key, size_t klen, const void *val,
    size_t vlen, int kind, sstkit_error *err)
{
	sst_err ie = { 0, "" };
	sst_rec r = { key, klen, val, vlen, kind };
	int rc;

	if (h == NULL)
		return sstkit_misuse(err, fn, "NULL handle");
	if ((rc = sstkit_check_rec(err, fn, key, klen, val, vlen)) != SSTKIT_OK)
		return rc;
	rc = to == TO_WRITER ? sst_writer_add(h, &r, &ie) :
	    to == TO_SORTER ? sst_sorter_add(h, &r, &ie) : sst_wal_writer_add(h, &r, &ie);
	if (rc != SST_OK)
		return sstkit_fail(err, rc, &ie);
	sstkit_ok(err);
	return SSTKIT_OK;
}

/* ---- sorted writer: an sstkit_writer is an sst_writer ---- */

int
sstkit_writer_open(sstkit_writer **w, const char *path, const sstkit_options *o,
    sstkit_error *err)
{
	struct sstkit_options tmp;
	sst_table_opts t;
	sst_writer *x = NULL;
	sst_err ie = { 0, "" };
	int rc;

	if (w == NULL || path == NULL || *path == '\0')
		return sstkit_misuse(err, "sstkit_writer_open", "NULL writer pointer or empty path");
	t = sstkit_options_or_default(o, &tmp)->table;
	rc = sst_writer_open(&x, path, &t, &ie);
	*w = (sstkit_writer *)x;
	if (rc != SST_OK)
		return sstkit_fail(err, rc, &ie);
	sstkit_ok(err);
	return SSTKIT_OK;
}

int
sstkit_writer_put(sstkit_writer *w, const void *key, size_t klen, const void *val,
    size_t vlen, sstkit_error *err)
{
	return add_rec(w, TO_WRITER, "sstkit_writer_put", key, klen, val, vlen, SST_PUT, err);
}

int
sstkit_writer_delete(sstkit_writer *w, const void *key, size_t klen, sstkit_error *err)
{
	return add_rec(w, TO_WRITER, "sstkit_writer_delete", key, klen, NULL, 0, SST_DEL, err);
}

int
sstkit_writer_finish(sstkit_writer **w, sstkit_error *err)
{
	sst_writer *x;
	sst_err ie = { 0, "" };
	int rc;

	if (w == NULL || *w == NULL)
		return sstkit_misuse(err, "sstkit_writer_finish", "NULL writer");
	x = (sst_writer *)*w;
	*w = NULL;
	rc = sst_writer_finish(&x, &ie);
	sst_writer_abort(&x);
	if (rc != SST_OK)
		return sstkit_fail(err, rc, &ie);
	sstkit_ok(err);
	return SSTKIT_OK;
}

void
sstkit_writer_abort(sstkit_writer **w)
{
	sst_writer *x;

	if (w == NULL || *w == NULL)
		return;
	x = (sst_writer *)*w;
	*w = NULL;
	sst_writer_abort(&x);
}

/* ---- unsorted: the sorter, then a writer ---- */

struct sstkit_builder {
	sst_sorter *s;
	sst_writer *w;
};

int
sstkit_builder_open(sstkit_builder **b, const char *path, const sstkit_options *o,
    sstkit_error *err)
{
	struct sstkit_options tmp;
	const struct sstkit_options *op;
	sst_table_opts t;
	sst_err ie = { 0, "" };
	int rc;

	if (b == NULL || path == NULL || *path == '\0')
		return sstkit_misuse(err, "sstkit_builder_open", "NULL builder pointer or empty path");
	*b = NULL;
	op = sstkit_options_or_default(o, &tmp);
	t = table_opts(op);
	if ((*b = calloc(1, sizeof(**b))) == NULL)
		return sstkit_fail(err, sst_nomem(&ie, "sstkit_builder_open"), &ie);
	/* the writer first: a bad output path fails before any input is read */
	if ((rc = sst_writer_open(&(*b)->w, path, &t, &ie)) != SST_OK ||
	    (rc = sst_sorter_new(&(*b)->s, &op->sort, &ie)) != SST_OK) {
		sstkit_builder_abort(b);
		return sstkit_fail(err, rc, &ie);
	}
	sstkit_ok(err);
	return SSTKIT_OK;
}

int
sstkit_builder_put(sstkit_builder *b, const void *key, size_t klen, const void *val,
    size_t vlen, sstkit_error *err)
{
	return add_rec(b != NULL ? b->s : NULL, TO_SORTER, "sstkit_builder_put", key, klen, val,
	    vlen, SST_PUT, err);
}

int
sstkit_builder_delete(sstkit_builder *b, const void *key, size_t klen, sstkit_error *err)
{
	return add_rec(b != NULL ? b->s : NULL, TO_SORTER, "sstkit_builder_delete", key, klen,
	    NULL, 0, SST_DEL, err);
}

int
sstkit_builder_finish(sstkit_builder **b, sstkit_error *err)
{
	sst_err ie = { 0, "" };
	sst_iter *it = NULL;
	int rc;

	if (b == NULL || *b == NULL)
		return sstkit_misuse(err, "sstkit_builder_finish", "NULL builder");
	if ((rc = sst_sorter_finish((*b)->s, &it, &ie)) == SST_OK) {
		for (rc = sst_iter_first(it, &ie); rc == SST_OK && it->valid;
		    rc = sst_iter_next(it, &ie))
			if ((rc = sst_writer_add((*b)->w, &it->rec, &ie)) != SST_OK)
				break;
	}
	sst_iter_destroy(&it);
	sst_sorter_free(&(*b)->s);	/* its memory is the filter's now */
	if (rc == SST_OK)
		rc = sst_writer_finish(&(*b)->w, &ie);
	sstkit_builder_abort(b);
	if (rc != SST_OK)
		return sstkit_fail(err, rc, &ie);
	sstkit_ok(err);
	return SSTKIT_OK;
}

void
sstkit_builder_abort(sstkit_builder **b)
{
	if (b == NULL || *b == NULL)
		return;
	sst_sorter_free(&(*b)->s);
	sst_writer_abort(&(*b)->w);
	free(*b);
	*b = NULL;
}

/* ---- merge, stores ---- */

static int
paths_ok(const char *const *p, size_t n)
{
	size_t i;

	if (p == NULL || n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] == NULL || p[i][0] == '\0')
			return 0;
	return 1;
}

int
sstkit_merge(const char *out, const char *const *inputs, size_t n, const sstkit_options *o,
    sstkit_error *err)
{
	struct sstkit_options tmp;
	const struct sstkit_options *op;
	sst_merge_opts mo;
	sst_sources src = { NULL, 0 };
	sst_err ie = { 0, "" };
	char **outs = NULL;
	size_t nouts = 0;
	int rc;

	if (out == NULL || *out == '\0' || !paths_ok(inputs, n))
		return sstkit_misuse(err, "sstkit_merge", "no output or no input");
	op = sstkit_options_or_default(o, &tmp);
	memset(&mo, 0, sizeof(mo));
	mo.table = op->table;
	mo.drop_deletes = op->drop_deletes;
	mo.keep_empty = 1;
	mo.tmpdir = op->sort.tmpdir;
	if ((rc = sst_sources_open(&src, (char *const *)inputs, n, &ie)) == SST_OK)
		rc = sst_merge_sources(&src, &mo, sst_merge_out_path, (void *)out, &outs, &nouts,
		    NULL, &ie);
	if (src.p != NULL)
		sst_sources_close(&src);
	if (outs != NULL)
		sst_merge_outs_free(outs, nouts);
	if (rc != SST_OK)
		return sstkit_fail(err, rc, &ie);
	sstkit_ok(err);
	return SSTKIT_OK;
}

int
sstkit_store_ingest(const char *dir, const char *const *paths, size_t n,
    const sstkit_options *o, sstkit_error *err)
{
	struct sstkit_options tmp;
	const struct sstkit_options *op;
	sst_ingest_opts io;
	sst_ingest_result res;
	sst_err ie = { 0, "" };
	int rc;

	if (dir == NULL || *dir == '\0' || !paths_ok(paths, n))
		return sstkit_misuse(err, "sstkit_store_ingest", "no store or no table");
	op = sstkit_options_or_default(o, &tmp);
	io.wait = op->wait;
	io.move = op->move;
	if ((rc = sst_ingest(dir, (char *const *)paths, n, &io, &res, &ie)) != SST_OK)
		return sstkit_fail(err, rc, &ie);
	sstkit_ok(err);
	return SSTKIT_OK;
}

int
sstkit_store_compact(const char *dir, const sstkit_options *o, size_t *ncompactions,
    sstkit_error *err)
{
	struct sstkit_options tmp;
	const struct sstkit_options *op;
	sst_compact_opts co;
	sst_err ie = { 0, "" };
	size_t nc = 0;
	int rc;

	if (dir == NULL || *dir == '\0')
		return sstkit_misuse(err, "sstkit_store_compact", "no store");
	op = sstkit_options_or_default(o, &tmp);
	sst_compact_opts_default(&co);
	co.strategy = op->strategy;
	co.wait = op->wait;
	co.once = op->once;
	co.table = op->table;
	if ((rc = sst_compact(dir, &co, &nc, &ie)) != SST_OK)
		return sstkit_fail(err, rc, &ie);
	if (ncompactions != NULL)
		*ncompactions = nc;
	sstkit_ok(err);
	return SSTKIT_OK;
}

/* ---- WAL: an sstkit_wal is an sst_wal_writer ---- */

int
sstkit_wal_open(sstkit_wal **w, const char *path, const sstkit_options *o, sstkit_error *err)
{
	struct sstkit_options tmp;
	sst_wal_writer_opts wo;
	sst_wal_writer *x = NULL;
	sst_err ie = { 0, "" };
	int rc;

	if (w == NULL || path == NULL || *path == '\0')
		return sstkit_misuse(err, "sstkit_wal_open", "NULL WAL pointer or empty path");
	sst_wal_writer_opts_default(&wo);
	wo.sync = sstkit_options_or_default(o, &tmp)->sync;
	rc = sst_wal_writer_open(&x, path, &wo, &ie);
	*w = (sstkit_wal *)x;
	if (rc != SST_OK)
		return sstkit_fail(err, rc, &ie);
	sstkit_ok(err);
	return SSTKIT_OK;
}

int
sstkit_wal_put(sstkit_wal *w, const void *key, size_t klen, const void *val, size_t vlen,
    sstkit_error *err)
{
	return add_rec(w, TO_WAL, "sstkit_wal_put", key, klen, val, vlen, SST_PUT, err);
}

int
sstkit_wal_delete(sstkit_wal *w, const void *key, size_t klen, sstkit_error *err)
{
	return add_rec(w, TO_WAL, "sstkit_wal_delete", key, klen, NULL, 0, SST_DEL, err);
}

int
sstkit_wal_sync(sstkit_wal *w, sstkit_error *err)
{
	sst_err ie = { 0, "" };
	int rc;

	if (w == NULL)
		return sstkit_misuse(err, "sstkit_wal_sync", "NULL WAL");
	if ((rc = sst_wal_writer_sync((sst_wal_writer *)w, &ie)) != SST_OK)
		return sstkit_fail(err, rc, &ie);
	sstkit_ok(err);
	return SSTKIT_OK;
}

int
sstkit_wal_close(sstkit_wal **w, sstkit_error *err)
{
	sst_wal_writer *x;
	sst_err ie = { 0, "" };
	int rc;

	if (w == NULL || *w == NULL)
		return sstkit_misuse(err, "sstkit_wal_close", "NULL WAL");
	x = (sst_wal_writer *)*w;
	*w = NULL;
	if ((rc = sst_wal_writer_close(&x, &ie)) != SST_OK)
		return sstkit_fail(err, rc, &ie);
	sstkit_ok(err);
	return SSTKIT_OK;
}

void
sstkit_wal_abort(sstkit_wal **w)
{
	sst_wal_writer *x;

	if (w == NULL || *w == NULL)
		return;
	x = (sst_wal_writer *)*w;
	*w = NULL;
	sst_wal_writer_abort(&x);
}

int
sstkit_wal_replay(const char *out, const char *const *wals, size_t n, const sstkit_options *o,
    sstkit_error *err)
{
	struct sstkit_options tmp;
	const struct sstkit_options *op;
	sst_replay_opts ro;
	sst_err ie = { 0, "" };
	uint64_t half;
	int rc;

	if (out == NULL || *out == '\0' || !paths_ok(wals, n))
		return sstkit_misuse(err, "sstkit_wal_replay", "no output or no WAL");
	op = sstkit_options_or_default(o, &tmp);
	/* wal-replay -o's pipeline; its two memtables stay within the memory cap */
	sst_replay_opts_default(&ro);
	ro.table = table_opts(op);
	ro.skip_corrupt = op->skip_corrupt;
	ro.tmpdir = op->sort.tmpdir;
	half = op->sort.memory / 2;
	if (ro.memtable_size > half)
		ro.memtable_size = half;
	/* a bad output path fails before any input is read */
	if ((rc = sst_out_check(out, &ie)) == SST_OK)
		rc = sst_replay(out, NULL, (char *const *)wals, n, &ro, &ie);
	if (rc != SST_OK)
		return sstkit_fail(err, rc, &ie);
	sstkit_ok(err);
	return SSTKIT_OK;
}
