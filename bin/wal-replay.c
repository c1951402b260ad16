/*
 * wal-replay: replay write-ahead logs into a table (-o) or a store (--into).
 *
 * The logs are read in order into a memtable. When it outgrows the memtable
 * size it is handed to a flusher thread, which writes it as a table while
 * replay goes on into a fresh memtable; at most one memtable is being
 * flushed at a time, so memory stays under two memtables plus a constant.
 * With --into the flushed tables are added to the store, oldest first, in
 * one manifest switch at the end (nothing is published when replay fails).
 * With -o they are temporary tables in $TMPDIR, merged (later wins,
 * tombstones kept) into OUT at the end; a replay that needs one flush only
 * writes OUT directly.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "memtable.h"
#include "merge_iter.h"
#include "progress.h"
#include "store.h"
#include "table.h"
#include "util.h"
#include "wal.h"

enum { OPT_MEMTABLE = SST_OPT_FIRST_TOOL, OPT_SKIP, OPT_REMOVE, OPT_INTO, OPT_WAIT };

#define DEFAULT_MEMTABLE	(4u << 20)

static const char usage_text[] =
"Usage: wal-replay [--memtable-size SIZE] [--skip-corrupt] [--remove] (-o OUT.sst | --into STORE) WAL...\n"
"Replay write-ahead logs, in order (later records win), into one table or a store.\n"
"\n"
"  -o, --output FILE        write one table holding the result to FILE (atomically)\n"
"      --into STORE         add each memtable flush to STORE as its newest table\n"
"      --wait               with --into: wait for the store's lock instead of exit 75\n"
"      --memtable-size SIZE flush the memtable once it holds SIZE bytes (default 4M)\n"
"      --skip-corrupt       skip damaged records (reporting the bytes dropped)\n"
"      --remove             delete the WALs once their records are durable\n"
"  -b, --block-size SIZE    data block size before compression (default 8K)\n"
"  -c, --compression ALG    zstd (default) or none\n"
"  -l, --level N            zstd level (default 3)\n"
"      --bloom-bits N       bloom filter bits per key, 0 for none (default 10)\n"
"      --dict-size SIZE     zstd dictionary size, 0 for none (default 32K)\n"
"  -q, --quiet              no progress\n"
"      --progress           progress on stderr even when it is not a terminal\n"
"  -h, --help               this help\n"
"      --version            print the version\n";

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "into", required_argument, NULL, OPT_INTO },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "memtable-size", required_argument, NULL, OPT_MEMTABLE },
	{ "skip-corrupt", no_argument, NULL, OPT_SKIP },
	{ "remove", no_argument, NULL, OPT_REMOVE },
	{ "block-size", required_argument, NULL, 'b' },
	{ "compression", required_argument, NULL, 'c' },
	{ "level", required_argument, NULL, 'l' },
	{ "bloom-bits", required_argument, NULL, SST_OPT_BLOOM_BITS },
	{ "dict-size", required_argument, NULL, SST_OPT_DICT_SIZE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "progress", no_argument, NULL, SST_OPT_PROGRESS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, SST_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

typedef struct replay {
	sst_table_opts topts;
	uint64_t memsize;
	const char *out;
	sst_store *store;
	sst_memtable *active;
	/* flusher: one job at a time */
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	sst_memtable *job;
	char *job_path;
	int quit, frc;
	sst_err ferr;
	/* tables written (or being written), oldest first */
	char **paths;
	size_t npaths;
	int added;		/* --into: the tables are live in the store */
	uint64_t tmpseq;
	sst_tmpgroup group;	/* -o: the flushed tables, in $TMPDIR */
	sst_progress prog;
	uint64_t records, bytes_done, bytes_total;
} replay;

static void
report(void *arg, const sst_wal_event *ev)
{
	(void)arg;
	fprintf(stderr, "%s: %s@%llu: %s, %llu bytes dropped (%s)\n", sst_prog, ev->path,
	    (unsigned long long)ev->offset,
	    ev->torn ? "torn final record ignored" : "damaged record skipped",
	    (unsigned long long)ev->dropped, ev->why);
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

static void *
flusher(void *arg)
{
	replay *rp = arg;

	pthread_mutex_lock(&rp->mu);
	for (;;) {
		sst_memtable *m;
		char *path;
		sst_err e = { 0, "" };
		int rc, skipjob;

		while (rp->job == NULL && !rp->quit)
			pthread_cond_wait(&rp->cv, &rp->mu);
		if (rp->job == NULL)
			break;
		m = rp->job;
		path = rp->job_path;
		skipjob = rp->frc != SST_OK;
		pthread_mutex_unlock(&rp->mu);
		rc = skipjob ? SST_OK : write_table(&rp->topts, m, path, &e);
		sst_memtable_free(&m);
		pthread_mutex_lock(&rp->mu);
		if (rc != SST_OK && rp->frc == SST_OK) {
			rp->frc = rc;
			rp->ferr = e;
		}
		rp->job = NULL;
		pthread_cond_broadcast(&rp->cv);
	}
	pthread_mutex_unlock(&rp->mu);
	return NULL;
}

/* Waits until the flusher is idle; returns its first error. */
static int
flush_wait(replay *rp, sst_err *err)
{
	int rc;

	pthread_mutex_lock(&rp->mu);
	while (rp->job != NULL)
		pthread_cond_wait(&rp->cv, &rp->mu);
	rc = rp->frc;
	if (rc != SST_OK)
		*err = rp->ferr;
	pthread_mutex_unlock(&rp->mu);
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
			return sst_nomem(err, "wal-replay");
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

	if ((rc = flush_wait(rp, err)) != SST_OK)
		return rc;
	if ((rc = next_path(rp, &path, err)) != SST_OK)
		return rc;
	if (!rp->started) {
		if (pthread_create(&rp->thread, NULL, flusher, rp) != 0)
			return sst_error(err, SST_ESYS, "cannot start the flusher thread");
		rp->started = 1;
	}
	pthread_mutex_lock(&rp->mu);
	rp->job = rp->active;
	rp->job_path = path;
	rp->active = NULL;
	pthread_cond_broadcast(&rp->cv);
	pthread_mutex_unlock(&rp->mu);
	return sst_memtable_new(&rp->active, err);
}

static int
replay_wal(replay *rp, const char *path, int skip, sst_err *err)
{
	sst_wal_reader_opts o = { skip, report, NULL };
	sst_wal_reader *r;
	sst_rec rec;
	int rc, eof = 0;

	if ((rc = sst_wal_reader_open(&r, path, &o, err)) != SST_OK)
		return rc;
	while ((rc = sst_wal_reader_next(r, &rec, &eof, err)) == SST_OK && !eof) {
		if ((rc = sst_memtable_put(rp->active, &rec, err)) != SST_OK)
			break;
		if (sst_memtable_bytes(rp->active) >= rp->memsize &&
		    (rc = flush_active(rp, err)) != SST_OK)
			break;
		rp->records++;
		sst_progress_update(&rp->prog, "replaying", rp->records,
		    rp->bytes_done + sst_wal_reader_pos(r), rp->bytes_total);
	}
	rp->bytes_done += sst_wal_reader_size(r);
	sst_wal_reader_close(&r);
	return rc;
}

#define MERGE_FANIN	64

/* Merges tables paths[0..n) (oldest first) into a table at out. */
static int
merge_tables(replay *rp, char **paths, size_t n, const char *out, sst_err *err)
{
	sst_table **t;
	sst_iter **its;
	sst_iter *m = NULL;
	sst_writer *w = NULL;
	size_t i, nt = 0;
	int rc;

	t = sst_calloc(n, sizeof(*t), err);
	its = sst_calloc(n, sizeof(*its), err);
	if (t == NULL || its == NULL) {
		rc = SST_ESYS;
		goto done;
	}
	for (nt = 0; nt < n; nt++) {
		if ((rc = sst_table_open(&t[nt], paths[nt], err)) != SST_OK)
			goto done;
		if ((rc = sst_table_iter(t[nt], &its[nt], err)) != SST_OK) {
			nt++;
			goto done;
		}
	}
	rc = sst_merge_iter_new(&m, its, nt, 0, err);
	memset(its, 0, nt * sizeof(*its));
	if (rc != SST_OK)
		goto done;
	if ((rc = sst_writer_open(&w, out, &rp->topts, err)) != SST_OK)
		goto done;
	for (rc = sst_iter_first(m, err); rc == SST_OK && m->valid; rc = sst_iter_next(m, err)) {
		if ((rc = sst_writer_add(w, &m->rec, err)) != SST_OK)
			break;
		sst_progress_update(&rp->prog, "merging", sst_writer_count(w), 0, 0);
	}
	if (rc == SST_OK)
		rc = sst_writer_finish(&w, err);
done:
	sst_writer_abort(&w);
	sst_iter_destroy(&m);
	for (i = 0; i < nt; i++) {
		if (its != NULL)
			sst_iter_destroy(&its[i]);
		if (t != NULL)
			sst_table_close(&t[i]);
	}
	free(its);
	free(t);
	return rc;
}

/*
 * -o with several flushes: merges the temporary tables into OUT, in passes
 * of at most MERGE_FANIN consecutive tables (order kept) when there are more.
 */
static int
merge_out(replay *rp, sst_err *err)
{
	while (rp->npaths > MERGE_FANIN) {
		size_t g, ng = (rp->npaths + MERGE_FANIN - 1) / MERGE_FANIN, i;
		char **old = rp->paths;
		size_t nold = rp->npaths;
		int rc = SST_OK;

		rp->paths = NULL;
		rp->npaths = 0;
		for (g = 0; g < ng && rc == SST_OK; g++) {
			size_t lo = g * MERGE_FANIN, n = nold - lo < MERGE_FANIN ? nold - lo : MERGE_FANIN;
			char *p;

			if ((rc = next_path(rp, &p, err)) == SST_OK)
				rc = merge_tables(rp, old + lo, n, p, err);
		}
		for (i = 0; i < nold; i++) {
			unlink(old[i]);
			sst_cleanup_unregister(old[i]);
			free(old[i]);
		}
		free(old);
		if (rc != SST_OK)
			return rc;
	}
	return merge_tables(rp, rp->paths, rp->npaths, rp->out, err);
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

static int
finish(replay *rp, sst_err *err)
{
	int rc;

	if (rp->npaths == 0 && rp->store == NULL)	/* everything fits: write OUT at once */
		return write_table(&rp->topts, rp->active, rp->out, err);
	if (sst_memtable_count(rp->active) > 0 && (rc = flush_active(rp, err)) != SST_OK)
		return rc;
	if ((rc = flush_wait(rp, err)) != SST_OK)
		return rc;
	if (rp->store != NULL) {
		if (rp->npaths && (rc = sst_store_add(rp->store, rp->paths, rp->npaths, err)) != SST_OK)
			return rc;
		rp->added = 1;
		return SST_OK;
	}
	return merge_out(rp, err);
}

static int
remove_wals(char **wals, int n, sst_err *err)
{
	int i, rc;

	for (i = 0; i < n; i++)
		if (unlink(wals[i]) != 0 && errno != ENOENT)
			return sst_syserr(err, "%s: remove", wals[i]);
	for (i = 0; i < n; i++)
		if ((rc = sst_fsync_dir(wals[i], err)) != SST_OK)
			return rc;
	return SST_OK;
}

int
main(int argc, char **argv)
{
	const char *into = NULL;
	int c, i, rc, skip = 0, remove = 0, wait = 0, progress = SST_PROGRESS_AUTO;
	replay rp;
	sst_err err = { 0, "" };
	size_t k;

	sst_cli_init(argv[0]);
	memset(&rp, 0, sizeof(rp));
	sst_table_opts_default(&rp.topts);
	rp.memsize = DEFAULT_MEMTABLE;
	while ((c = getopt_long(argc, argv, "o:b:c:l:qh", longopts, NULL)) != -1) {
		if (sst_cli_table_opt(c, optarg, &rp.topts))
			continue;
		switch (c) {
		case 'o': rp.out = optarg; break;
		case OPT_INTO: into = optarg; break;
		case OPT_WAIT: wait = 1; break;
		case OPT_MEMTABLE:
			rp.memsize = sst_cli_size("--memtable-size", optarg, 64u << 10, (uint64_t)1 << 40);
			break;
		case OPT_SKIP: skip = 1; break;
		case OPT_REMOVE: remove = 1; break;
		case 'q': progress = SST_PROGRESS_QUIET; break;
		case SST_OPT_PROGRESS: progress = SST_PROGRESS_FORCE; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case SST_OPT_VERSION: sst_cli_version();
		default: sst_cli_bad_option();
		}
	}
	if ((rp.out == NULL) == (into == NULL))
		sst_cli_usage_error("give exactly one of -o OUT.sst and --into STORE");
	if (wait && into == NULL)
		sst_cli_usage_error("--wait goes with --into");
	if (optind >= argc)
		sst_cli_usage_error("missing WAL operand");
	pthread_mutex_init(&rp.mu, NULL);
	pthread_cond_init(&rp.cv, NULL);
	sst_progress_init(&rp.prog, sst_prog, progress);
	/* Before any input is read; stale flushed tables of killed runs go. */
	if (rp.out != NULL && ((rc = sst_out_check(rp.out, &err)) != SST_OK ||
	    (rc = sst_tmpgroup_open(&rp.group, sst_tmpdir(NULL), "wal-replay", &err)) != SST_OK))
		goto done;
	for (i = optind; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");

		if (f != NULL && fseeko(f, 0, SEEK_END) == 0)
			rp.bytes_total += (uint64_t)ftello(f);
		if (f != NULL)
			fclose(f);
	}
	if (into != NULL && (rc = sst_store_open_writer(&rp.store, into, 1, wait, &err)) != SST_OK)
		goto done;
	if ((rc = sst_memtable_new(&rp.active, &err)) != SST_OK)
		goto done;
	for (i = optind; i < argc; i++)
		if ((rc = replay_wal(&rp, argv[i], skip, &err)) != SST_OK)
			goto done;
	if ((rc = finish(&rp, &err)) != SST_OK)
		goto done;
	if (remove)
		rc = remove_wals(argv + optind, argc - optind, &err);
done:
	sst_progress_done(&rp.prog);
	if (rp.started) {
		pthread_mutex_lock(&rp.mu);
		rp.quit = 1;
		if (rc != SST_OK && rp.frc == SST_OK)
			rp.frc = rc;	/* skip queued work */
		pthread_cond_broadcast(&rp.cv);
		pthread_mutex_unlock(&rp.mu);
		pthread_join(rp.thread, NULL);
	}
	if (!rp.added)
		drop_tables(&rp);
	sst_tmpgroup_close(&rp.group);
	if (rc != SST_OK)
		sst_store_discard(&rp.store);	/* a store this run created goes */
	sst_store_close(&rp.store);
	sst_memtable_free(&rp.active);
	for (k = 0; k < rp.npaths; k++)
		free(rp.paths[k]);
	free(rp.paths);
	if (rc != SST_OK)
		return sst_cli_fail(&err);
	return 0;
}
