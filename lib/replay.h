/*
 * replay.h - replay write-ahead logs (wal.h), in order (later records win),
 * into one table or into a store: the pipeline behind wal-replay(1).
 *
 * The logs are read in order into a memtable. When it outgrows the memtable
 * size it is handed to a flusher thread, which writes it as a table while
 * replay goes on into a fresh memtable; at most one memtable is being
 * flushed at a time, so memory stays under two memtables plus a constant.
 * Into a store, the flushed tables are added to it, oldest first, in one
 * manifest switch at the end (nothing is published when replay fails).
 * Into a table, they are temporary tables in the temporary directory (one
 * locked group, fileio.h sst_tmpgroup, so a killed run's are removed by the
 * next), merged (later wins, tombstones kept) into the output at the end by
 * sst_merge_sources (compact.h); a replay that needs one flush only writes
 * the output directly. The flushes are temporary tables (table.h): into a
 * store SST_TEMP_MERGED (no dictionary unless table.dict_size is set), into
 * a table SST_TEMP_SCRATCH (neither dictionary nor filter).
 *
 * Thread-safety: one thread (the flusher is internal).
 */
#ifndef SST_REPLAY_H
#define SST_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "progress.h"
#include "store.h"
#include "table.h"
#include "wal.h"

typedef struct sst_replay_opts {
	sst_table_opts table;		/* options of the tables written */
	uint64_t memtable_size;		/* flush once the memtable holds this many bytes */
	int skip_corrupt;		/* skip damaged records (see wal.h) */
	sst_wal_report report;		/* damage and torn tails; may be NULL */
	void *report_arg;
	sst_progress_fn progress;	/* each record replayed, then the merge (progress.h); NULL: none */
	void *progress_arg;
	const char *tmp_prefix;		/* name of the temporary group ("wal-replay") */
	const char *tmpdir;		/* into a table: where the flushes go; NULL:
					 * $TMPDIR, else /tmp (sst_tmpdir) */
} sst_replay_opts;

void sst_replay_opts_default(sst_replay_opts *o);

/*
 * Replays wals[0..n) into the table at out (store NULL; the caller checked
 * out with sst_out_check) or into store, an open writer (out NULL). On
 * failure every table written is removed and nothing is published.
 */
int sst_replay(const char *out, sst_store *store, char *const *wals, size_t n,
    const sst_replay_opts *o, sst_err *err);

#endif
