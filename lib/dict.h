/*
 * dict.h - the zstd dictionary of a table (formats/sstable.md,
 * "Dictionary"): trained on the writer's sample of its first data blocks,
 * kept only if it pays on them. Internal to lib/.
 */
#ifndef SST_DICT_H
#define SST_DICT_H

#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

#include "err.h"

/*
 * Trains a zstd dictionary of at most cap bytes on the n samples (sizes[i]
 * bytes each, concatenated) for compression level level: one
 * ZDICT_trainFromBuffer_fastCover with k 75, d 8, f 18, accel 4, split
 * point 1 (about 2.5 MiB for a moment). *dict (malloc'd, the caller frees
 * it) and *len are NULL and 0 when zstd cannot train on the samples.
 * Returns SST_OK, or SST_ESYS when out of memory (err.h: the caller, who
 * knows the table's path, writes the message).
 */
int sst_dict_train(const uint8_t *samples, const size_t *sizes, size_t n, size_t cap, int level,
    uint8_t **dict, size_t *len);

/*
 * Whether the dictionary (cd, len bytes) pays on the n samples: up to 16
 * of them, evenly spaced, are compressed with and without it (each counted
 * as the writer stores it: raw unless 1/8 smaller); *pays = 1 when the
 * saving, scaled to all n, exceeds len (a conservative test: a table that
 * goes on past its sample saves more). Returns SST_OK, or SST_ESYS when
 * zstd fails (out of memory).
 */
int sst_dict_pays(const uint8_t *samples, const size_t *sizes, size_t n, const ZSTD_CDict *cd,
    size_t len, int level, int *pays);

#endif
