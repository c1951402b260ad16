/*
 * splitfile.h - split files (formats/split.md, sst-sample(1)):
 * the keys that cut a key space into parts, one key a line in the escaped
 * form of -e (records.h: \\ \t \n \r \0 \xHH), strictly increasing.
 *
 * Line j (1-based) is the first key of part j+1: a file of N-1 keys cuts
 * the key space into N parts, part j (1-based) holding the keys k with
 * key[j-1] <= k < key[j] (no lower bound for part 1, no upper for part N).
 * The last line may lack its LF. An empty line (an empty key), a raw TAB
 * (a split file holds keys only), a bad escape, a key over SST_MAX_KEY or
 * a key not greater than the line before is bad data: SST_EDATA naming
 * "NAME:LINE". An empty file is a valid split file of one part.
 *
 * Thread-safety: a parsed sst_splits is read-only and may be shared.
 */
#ifndef SST_SPLITFILE_H
#define SST_SPLITFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

typedef struct sst_splits {
	uint8_t *keys;		/* the decoded keys, back to back */
	size_t *off;		/* key i is keys[off[i] .. off[i+1]) */
	size_t n;		/* number of keys: n+1 parts */
} sst_splits;

/* Parses data[0..len) (named `name` in messages) into *s (zeroed first). */
int sst_splits_parse(sst_splits *s, const uint8_t *data, size_t len, const char *name,
    sst_err *err);

/* Reads and parses the file at path ("-": standard input), read as every
 * record input is (compressed, in an archive: see input.h). SST_ESYS when it
 * cannot be read, SST_EDATA when it is not a valid split file. */
int sst_splits_read(sst_splits *s, const char *path, sst_err *err);

void sst_splits_free(sst_splits *s);

static inline const uint8_t *
sst_splits_key(const sst_splits *s, size_t i, size_t *len)
{
	*len = s->off[i + 1] - s->off[i];
	return s->keys + s->off[i];
}

/* The 0-based part that holds key: the number of split keys <= key. */
size_t sst_splits_part(const sst_splits *s, const uint8_t *key, size_t klen);

/* Writes one split-file line: key escaped, then LF. SST_ESYS on a write error. */
int sst_splits_write_key(FILE *f, const uint8_t *key, size_t klen, sst_err *err);

#endif
