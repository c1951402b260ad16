/*
 * records.h - the record formats of CONTRACT.md: tsv (with optional
 * backslash escapes) and cdb (cdbmake's +KLEN,VLEN:KEY->VALUE\n, plus
 * -KLEN:KEY\n for a delete), read from any input through input.h
 * (libarchive: plain, compressed, or each regular member of an archive).
 *
 * Thread-safety: a reader belongs to one thread.
 */
#ifndef SST_RECORDS_H
#define SST_RECORDS_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "iter.h"

enum sst_fmt { SST_FMT_TSV = 0, SST_FMT_CDB = 1 };

typedef struct sst_rec_opts {
	int fmt;		/* enum sst_fmt */
	int escape;		/* tsv: decode/encode \\ \t \n \r \0 \xHH */
	int all_delete;		/* input: every record is a delete of its key */
} sst_rec_opts;

/* Parses "tsv" or "cdb"; 0 or -1. */
int sst_fmt_parse(const char *s, int *fmt);

typedef struct sst_reader sst_reader;

/*
 * Opens path ("-" or NULL: standard input) for reading records.
 * Errors: SST_ESYS (cannot open), SST_EDATA (not readable as an archive).
 */
int sst_reader_open(sst_reader **r, const char *path, const sst_rec_opts *o, sst_err *err);

/*
 * Reads the next record. Returns SST_OK with *eof = 0 and rec filled (bytes
 * valid until the next call), or SST_OK with *eof = 1 at the end of all
 * members. Bad input (empty key, key over SST_MAX_KEY, value over
 * SST_MAX_VALUE, malformed cdb, bad escape) is SST_EDATA with err naming
 * "PATH:LINE" (tsv) or "PATH@OFFSET" (cdb); for an archive member PATH is
 * "ARCHIVE/MEMBER".
 */
int sst_reader_next(sst_reader *r, sst_rec *rec, int *eof, sst_err *err);

/* Where the last record came from: "PATH:LINE" or "PATH@OFFSET". */
const char *sst_reader_where(sst_reader *r);
/* 1-based line number of the last record (tsv), or byte offset (cdb). */
uint64_t sst_reader_line(const sst_reader *r);
/* Compressed input bytes consumed so far, and the input's total size when
 * it is a regular file (0 when unknown): for progress. */
uint64_t sst_reader_bytes_in(const sst_reader *r);
uint64_t sst_reader_total(const sst_reader *r);

void sst_reader_close(sst_reader **r);

/*
 * Writes one record to f in the format of o. A delete is written only in
 * cdb form (-KLEN:KEY\n); asking for tsv output of a delete is SST_EUSAGE.
 * Plain tsv that cannot carry the record (key with TAB or LF, value with
 * LF, or key/value with CR at the end?) is SST_EDATA with a message naming
 * -e and -f cdb. Write errors are SST_ESYS.
 */
int sst_rec_write(FILE *f, const sst_rec_opts *o, const sst_rec *r, sst_err *err);

/*
 * Decodes the tsv escapes of [s, s+n) into out (cleared first).
 * SST_EDATA on a bad escape (message without location: the caller adds it).
 */
struct sst_buf;
int sst_unescape(const uint8_t *s, size_t n, struct sst_buf *out, sst_err *err);

#endif
