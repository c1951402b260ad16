/*
 * dedup.h - a stage for a stream of records in key order: for equal keys
 * only the last goes on (later wins), a key below the one before is refused.
 * Each record is held back until the next key differs, then passed to the
 * sink; sst_dedup_finish passes the last one. Used by `sst-build --sorted`.
 *
 * Memory: one record (its key and value copied).
 * Thread-safety: one thread.
 */
#ifndef SST_DEDUP_H
#define SST_DEDUP_H

#include "err.h"
#include "iter.h"
#include "util.h"

/* Receives each record that goes on. */
typedef int (*sst_rec_sink)(void *arg, const sst_rec *r, sst_err *err);

typedef struct sst_dedup {
	sst_rec_sink sink;
	void *arg;
	sst_buf key, val;	/* the record held back */
	int kind, holding;
	int disorder;		/* set when sst_dedup_add refused a key out of order */
} sst_dedup;

void sst_dedup_init(sst_dedup *d, sst_rec_sink sink, void *arg);
/*
 * Adds r (copied). SST_EDATA with d->disorder set when r's key is below
 * the one before (err->msg "key out of order"; the caller names the place);
 * otherwise the sink's code.
 */
int sst_dedup_add(sst_dedup *d, const sst_rec *r, sst_err *err);
/* Passes the record held back, if any. */
int sst_dedup_finish(sst_dedup *d, sst_err *err);
void sst_dedup_free(sst_dedup *d);

#endif
