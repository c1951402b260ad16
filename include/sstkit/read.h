/*
 * sstkit/read.h - reading tables and stores: point lookups, batches,
 * ordered iteration with seek, ranges and prefixes, and properties.
 *
 * A reader opens one or more sources, each a table file or a store
 * directory; later sources are newer: for a key held by several, the
 * record of the last one wins, as on the tools' command lines. A store is
 * read through one pinned manifest for the reader's lifetime, whatever
 * compactions commit meanwhile. Deleted keys are absent from every answer.
 * Tables are opened when needed and checked as read: a damaged file is
 * SSTKIT_EDATA, never a crash or a wrong answer.
 *
 * Keys and values are byte strings: a pointer and a length. Keys are 1 ..
 * 65536 bytes, compared as unsigned bytes.
 *
 * Thread safety: a reader and its iterators belong to one thread at a
 * time; open one reader per thread to read in parallel.
 */
#ifndef SSTKIT_READ_H
#define SSTKIT_READ_H

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sstkit_reader sstkit_reader;
typedef struct sstkit_iter sstkit_iter;

/*
 * Opens paths[0..npaths) (npaths >= 1), oldest first. A missing path is
 * SSTKIT_ESYS (errno ENOENT); a file that is not a table, or a directory
 * that is not a store, SSTKIT_EDATA. On success *r is a new reader that
 * the caller frees with sstkit_reader_close; on failure *r is NULL.
 * The paths are copied.
 */
SST_API SSTKIT_WUR int sstkit_reader_open(sstkit_reader **r, const char *const *paths,
    size_t npaths, sstkit_error *err);

/* Closes *r and sets *r to NULL; NULL-safe. REQUIRES: its iterators closed. */
SST_API void sstkit_reader_close(sstkit_reader **r);

/*
 * Looks key up. SSTKIT_OK: *val and *vlen give the value, owned by the
 * reader and valid until the next call on r (copy it to keep it);
 * SSTKIT_NOTFOUND when the key is absent or its newest record a delete.
 */
SST_API SSTKIT_WUR int sstkit_reader_get(sstkit_reader *r, const void *key, size_t klen,
    const void **val, size_t *vlen, sstkit_error *err);

/*
 * Called by sstkit_reader_get_many for each key found: i is its index in
 * the caller's arrays, the value is valid during the call only. A non-zero
 * return stops the batch, which then returns that value.
 */
typedef int (*sstkit_found_fn)(void *clos, size_t i, const void *val, size_t vlen);

/*
 * A batch of lookups: keys[i] of length klens[i], i in 0..n, in any order,
 * repeats allowed. Calls found(clos, i, ...) once for each key present
 * (in key order, not index order); keys absent or deleted get no call.
 * The batch is answered as sst-get answers one: the keys sorted, each
 * table opened at most once, a table's filter read whole when many keys
 * meet it. SSTKIT_OK when all were looked up.
 */
SST_API SSTKIT_WUR int sstkit_reader_get_many(sstkit_reader *r, const void *const *keys,
    const size_t *klens, size_t n, sstkit_found_fn found, void *clos, sstkit_error *err);

/*
 * The properties of each source as `sst-info --json` prints them: for one
 * source one JSON object, for several a JSON array of them. *json is a
 * NUL-terminated string of *len bytes, malloc'd: the caller frees it with
 * free(). len may be NULL.
 */
SST_API SSTKIT_WUR int sstkit_reader_info(sstkit_reader *r, char **json, size_t *len,
    sstkit_error *err);

/*
 * An iterator over the live records in key order (the view of sst-dump),
 * bounded by start (inclusive), stop (exclusive) and prefix; a NULL bound
 * is no bound (startlen etc. then ignored). The bounds are copied. The
 * iterator streams: it holds a block or two per table, whatever the size
 * of the range. *it is freed with sstkit_iter_close, before the reader.
 */
SST_API SSTKIT_WUR int sstkit_iter_open(sstkit_iter **it, sstkit_reader *r,
    const void *start, size_t startlen, const void *stop, size_t stoplen,
    const void *prefix, size_t prefixlen, sstkit_error *err);

/*
 * The next record: SSTKIT_OK with the key and value (owned by the
 * iterator, valid until its next call), or SSTKIT_NOTFOUND at the end
 * (and again on every later call, until a seek). After an error the
 * iterator is at its end. key, klen, val and vlen may be NULL.
 */
SST_API SSTKIT_WUR int sstkit_iter_next(sstkit_iter *it, const void **key, size_t *klen,
    const void **val, size_t *vlen, sstkit_error *err);

/*
 * Repositions so that the next record is the first whose key is >= key
 * (and within the iterator's bounds). Backwards too.
 */
SST_API SSTKIT_WUR int sstkit_iter_seek(sstkit_iter *it, const void *key, size_t klen,
    sstkit_error *err);

/* Closes *it and sets *it to NULL; NULL-safe. */
SST_API void sstkit_iter_close(sstkit_iter **it);

#ifdef __cplusplus
}
#endif

#endif
