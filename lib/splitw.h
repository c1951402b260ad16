/*
 * splitw.h - a set of tables cut at the keys of a split file (splitfile.h):
 * `sst-build --split-at` and `sst-merge --split-at`; or cut by size:
 * `sst-merge --split SIZE`.
 *
 * The parts of an output path OUT are named by sst_part_name: "dir/day.sst"
 * -> "dir/day-0001.sst" ... "dir/day-N.sst", 4 or more digits. Cut at keys,
 * a split file of N-1 keys gives exactly N tables, part j holding the keys k
 * with split[j-1] <= k < split[j]; a part that receives no record is an
 * empty table. Cut by size, a part ends once the table writer's size
 * reaches SIZE (the next record starts the next part): as many parts as
 * that makes, at least one (empty when no record came). The output rules
 * of fileio.h hold for every part name, checked when the writer opens
 * (before any input is read) and, cut by size, for each part's name when
 * the part starts: its directory and the type of an existing name (no
 * device, FIFO or directory replaced), a link followed to the file it
 * names, stale temporary parts of killed runs removed. Each part is written
 * by the table writer to a temporary name beside its file
 * (".day-0001.sst.tmp-partPID", kept locked so that no other run removes
 * it) and all are renamed to their final names only when every part is
 * complete, then the directory is fsynced: on failure none of them is left.
 * One table writer is open at a time.
 *
 * Thread-safety: one thread.
 */
#ifndef SST_SPLITW_H
#define SST_SPLITW_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "iter.h"
#include "splitfile.h"
#include "table.h"

/*
 * Part i (0-based) of the output `out`, malloc'd (NULL: out of memory):
 * OUT with "-NNNN" (i+1, at least 4 digits) before the extension of its
 * last component, or at its end when it has none; with `hidden`, a '.'
 * before the file name, and `suffix` appended.
 */
char *sst_part_name(const char *out, size_t i, int hidden, const char *suffix);

typedef struct sst_splitw sst_splitw;

/* Starts the parts of out cut at the keys of s. s must outlive the writer. */
int sst_splitw_open(sst_splitw **sw, const char *out, const sst_splits *s,
    const sst_table_opts *o, sst_err *err);
/* Starts the parts of out cut by size (bytes, > 0). Writes nothing yet. */
int sst_splitw_open_size(sst_splitw **sw, const char *out, uint64_t size,
    const sst_table_opts *o, sst_err *err);
/* REQUIRES: keys strictly increasing across calls (else SST_EDATA from the
 * table writer). Moves to the record's part, finishing the parts before it. */
int sst_splitw_add(sst_splitw *sw, const sst_rec *r, sst_err *err);
/* Finishes every part (empty ones too) and publishes all; frees *sw. On
 * failure nothing is left under the final names that this call created. */
int sst_splitw_finish(sst_splitw **sw, sst_err *err);
/* Removes every part written so far; frees *sw. NULL-safe. */
void sst_splitw_abort(sst_splitw **sw);
/* Number of parts: split keys + 1; cut by size, those started so far. */
size_t sst_splitw_parts(const sst_splitw *sw);

#endif
