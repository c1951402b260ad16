/*
 * merge_iter.h - k-way merge of ordered iterators, later source wins.
 *
 * Children are given oldest first. For each key the merged iterator yields
 * the record of the newest child holding the key; with SST_MERGE_HIDE_DELETES
 * a key whose newest record is a tombstone is skipped entirely.
 * A binary heap orders the children by (key, newest first).
 *
 * Thread-safety: one thread.
 */
#ifndef SST_MERGE_ITER_H
#define SST_MERGE_ITER_H

#include "iter.h"

#define SST_MERGE_HIDE_DELETES	1
/* For sst_sources_iter: the tables are read with sst_table_iter_ahead (the merge ignores it). */
#define SST_MERGE_READAHEAD	2

/* Takes ownership of the n children (and of the array's contents, not the array). */
int sst_merge_iter_new(sst_iter **out, sst_iter **children, size_t n, int flags, sst_err *err);

#endif
