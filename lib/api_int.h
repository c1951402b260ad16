/*
 * api_int.h - what the public API's files (api_*.c) share: the error
 * object, the options object, and the translation of the library's
 * internal errors (err.h) into the public ones (include/sstkit/error.h).
 * Internal to lib/.
 */
#ifndef SST_API_INT_H
#define SST_API_INT_H

#define SSTKIT_BUILD 1
#include "../include/sstkit/sstkit.h"

#include "err.h"
#include "sorter.h"
#include "table.h"

struct sstkit_error {
	int code;
	int sys_errno;
	char msg[sizeof(((sst_err *)0)->msg)];
};

struct sstkit_options {
	sst_table_opts table;
	sst_sorter_opts sort;
	char *tmpdir;		/* owned copy behind sort.tmpdir */
	int drop_deletes, wait, move, once, skip_corrupt;
	int strategy;		/* -1: the store's */
	int sync;
};

/* Fills o with the defaults (for a NULL options pointer). */
void sstkit_options_defaults(struct sstkit_options *o);
/* *o, or the defaults in *tmp when o is NULL. */
const struct sstkit_options *sstkit_options_or_default(const sstkit_options *o,
    struct sstkit_options *tmp);

/* Copies a failure of an internal call into e (if not NULL); returns rc. */
int sstkit_fail(sstkit_error *e, int rc, const sst_err *ie);
/* Misuse: SSTKIT_EUSAGE "fn: what". */
int sstkit_misuse(sstkit_error *e, const char *fn, const char *what);
/* Resets e (if not NULL) for a call that succeeds or answers NOTFOUND. */
void sstkit_ok(sstkit_error *e);
/* SSTKIT_EUSAGE unless klen in 1..SST_MAX_KEY and vlen <= SST_MAX_VALUE. */
int sstkit_check_rec(sstkit_error *e, const char *fn, const void *key, size_t klen,
    const void *val, size_t vlen);

#endif
