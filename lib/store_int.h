/*
 * store_int.h - shared by lib/store*.c only (internal to the store): the
 * helpers the store's files have in common.
 */
#ifndef SST_STORE_INT_H
#define SST_STORE_INT_H

#include <stddef.h>

#include <stdint.h>

#include "err.h"
#include "store.h"

#define MANIFEST_MAX	(256u << 20)	/* bytes */

/* An empty manifest: current version, next table 1, size-tiered, default knobs. */
void sst_manifest_init(sst_manifest *m);
/* out = "DIR/NAME"; SST_ESYS when it does not fit in cap. */
int sst_store_path_join(char *out, size_t cap, const char *dir, const char *name, sst_err *err);
/*
 * Pins dir's current manifest: *fdp is its descriptor, locked shared
 * (flock), and m its parsed content (see store.c).
 */
int sst_store_pin_manifest(const char *dir, int *fdp, sst_manifest *m, sst_err *err);

/* The number of a table name "NNNNNN.sst" of len bytes: SST_OK, or SST_EDATA if it is none. */
int sst_store_table_number(const char *name, size_t len, uint64_t *num);
/* qsort comparison of uint64_t. */
int sst_cmp_u64(const void *a, const void *b);

#endif
