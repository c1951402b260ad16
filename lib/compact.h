/*
 * compact.h - the streaming k-way merge of tables into new tables (one, or
 * several of about a given size with non-overlapping key ranges), and the
 * compaction of a store by its strategy (size-tiered or leveled; see
 * formats/store.md for the knobs).
 *
 * Memory: one iterator per input (a block or two each) and one table writer:
 * O(inputs x block size), independent of the tables' sizes.
 *
 * Thread-safety: one thread (the table writer may use a worker).
 */
#ifndef SST_COMPACT_H
#define SST_COMPACT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "progress.h"
#include "table.h"

typedef struct sst_merge_opts {
	sst_table_opts table;
	int drop_deletes;	/* leave out keys whose newest record is a delete */
	uint64_t split_size;	/* > 0: start a new output once one reaches this size */
	int keep_empty;		/* write one (empty) output when no record survives */
	sst_progress_fn progress;	/* each merged record (progress.h); NULL: none */
	void *progress_arg;
	const char *tmpdir;	/* pass tables (sst_merge_sources); NULL: $TMPDIR, else /tmp */
	struct sst_splitw *split_at;	/* not NULL: every record goes to it (splitw.h:
					 * cut at keys or by size), no output of
					 * out_fn; the caller finishes it */
} sst_merge_opts;

typedef struct sst_merge_stats {
	size_t inputs;
	size_t outputs;
	uint64_t bytes_in;	/* input file sizes */
	uint64_t bytes_out;	/* output file sizes */
	uint64_t records_in;	/* input records, tombstones included */
	uint64_t records_out;
	double seconds;
} sst_merge_stats;

/* Supplies the path of output number i (0-based), malloc'd, owned by the caller. */
typedef int (*sst_merge_out_fn)(void *clos, size_t i, char **path, sst_err *err);
/* An sst_merge_out_fn for one output: clos is its path (a second output,
 * which only split_size asks for, is SST_EUSAGE). */
int sst_merge_out_path(void *clos, size_t i, char **path, sst_err *err);

/*
 * Merges the n tables (oldest first: for a key held by several, the last
 * wins) into outputs at the paths out_fn gives, each published atomically
 * by the table writer. On success *outs is a malloc'd array of the *nouts
 * output paths (free with sst_merge_outs_free). On failure every output
 * already published is removed. st (may be NULL) receives the figures.
 * With o->table.threads > 1 each input is read ahead by a thread of its
 * own (sst_table_iter_ahead), as sst_merge_sources does.
 */
int sst_merge_tables(sst_table **in, size_t n, const sst_merge_opts *o,
    sst_merge_out_fn out_fn, void *clos, char ***outs, size_t *nouts,
    sst_merge_stats *st, sst_err *err);
void sst_merge_outs_free(char **outs, size_t n);

/*
 * The same over sources (sources.h): any number of tables, at most a
 * bounded number open at once; with more runs (tables, levels) than that,
 * in passes through temporary tables in o->tmpdir (sst_tmpdir; named
 * sst-merge-pass-PID-N.sst; removed once read, on a signal, and when a
 * killed process left them, by the next merge in passes). Input figures
 * come from the manifests (records) and file sizes.
 */
struct sst_sources;
int sst_merge_sources(struct sst_sources *src, const sst_merge_opts *o,
    sst_merge_out_fn out_fn, void *clos, char ***outs, size_t *nouts,
    sst_merge_stats *st, sst_err *err);

/* What one compaction did (given to sst_compact_opts.on_compaction). */
typedef struct sst_compaction {
	int strategy;			/* SST_STRATEGY_* */
	int from_level;			/* the level compacted: the shallowest input's */
	int out_level;
	int move;			/* a trivial move: the inputs are not rewritten */
	const char *moved;		/* a move of one table: its name in the store */
	uint64_t moved_bytes;		/* a move: the tables' sizes */
	int drop;			/* deletes dropped */
	sst_merge_stats st;		/* a rewrite: the merge's figures (st.inputs: tables) */
} sst_compaction;

typedef void (*sst_compaction_fn)(void *arg, const sst_compaction *c);

typedef struct sst_compact_opts {
	int strategy;			/* -1: the store's */
	char *const *set;		/* "NAME=VALUE" knob overrides, recorded in the store */
	size_t nset;
	int wait;			/* wait for the writer lock instead of SST_ELOCKED */
	int once;			/* at most one compaction */
	sst_table_opts table;		/* options of the tables written */
	sst_progress_fn progress;	/* each merge's progress (progress.h); NULL: none */
	void *progress_arg;
	sst_compaction_fn on_compaction;	/* each compaction before its commit; NULL: none */
	void *arg;
} sst_compact_opts;

void sst_compact_opts_default(sst_compact_opts *o);

/*
 * Compacts the store at dir: takes the writer lock, records the strategy and
 * knob overrides, then runs the compactions its strategy finds due (until
 * none is, or one with `once`), each committed by a new manifest before its
 * inputs are removed. *ncompactions (may be NULL) counts them.
 * SST_ELOCKED when another writer holds the store and !wait.
 */
int sst_compact(const char *dir, const sst_compact_opts *o, size_t *ncompactions, sst_err *err);

#endif
