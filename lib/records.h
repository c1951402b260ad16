/*
 * records.h - the record formats of sst-build(1) and sst-dump(1): tsv (with
 * optional backslash escapes) and cdb (cdbmake's +KLEN,VLEN:KEY->VALUE\n, plus
 * -KLEN:KEY\n for a delete), read from any input through input.h
 * (libarchive: plain, compressed, or each regular member of an archive).
 *
 * tsv: one record a line, KEY<TAB>VALUE<LF>. VALUE is the rest of the line
 * after the first TAB (it may hold TABs); a line without TAB is a key with
 * an empty value; the last line may lack its LF. Bytes are taken as they
 * are (a CR before the LF is part of the value). An empty key, including an
 * empty line, is bad input. With escape, "\\ \t \n \r \0 \xHH" are
 * decoded in keys and values; any other backslash sequence, or one cut
 * short, is bad input. Lines are numbered from 1 in each member.
 *
 * cdb: "+KLEN,VLEN:KEY->VALUE\n" per put, "-KLEN:KEY\n" per delete, lengths
 * in decimal (at most 10 digits). A line holding only LF ends the member's
 * records, as in cdbmake: whatever follows it in that member is ignored.
 * The end of the member without that line is fine too; a record cut short
 * is bad input. Offsets are byte offsets of the record in the member.
 *
 * Limits (util.h): keys 1..SST_MAX_KEY bytes, values 0..SST_MAX_VALUE,
 * checked before anything is allocated for them; a tsv line longer than any
 * legal record could be is rejected while it is read.
 *
 * Each member of an archive is parsed on its own: a record never spans two
 * members, and locations read "ARCHIVE/MEMBER:LINE" or "ARCHIVE/MEMBER@OFF".
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

/* Parses "tsv" or "cdb": SST_OK, or SST_EDATA for another word. */
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

/*
 * A hint for the user, or NULL: set when the first line of a member read as
 * tsv is a whole cdb record ("+KLEN,VLEN:KEY->VALUE" or "-KLEN:KEY", the
 * lengths matching the line): "PATH: looks like cdb input (...); did you
 * mean -f cdb?". The records are read as tsv all the same; the tool may
 * print it once (the library prints nothing). Valid until close.
 */
const char *sst_reader_hint(const sst_reader *r);

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
 * Writes one record to f in the format of o (f is written with the
 * _unlocked stdio calls: give it a big buffer). A delete is written only in
 * cdb form (-KLEN:KEY\n); asking for tsv output of a delete is SST_EUSAGE.
 * Plain tsv that cannot carry the record (a key with TAB or LF, a value
 * with LF) is SST_EDATA, nothing written, with a message naming -e and
 * -f cdb. With escape, backslash, TAB, LF, CR and NUL are written as
 * \\ \t \n \r \0 (other bytes as they are), so reading the output back
 * with escape gives the same bytes. cdb output never ends with the empty
 * line (callers may add it). A write error (ferror(f)) is SST_ESYS,
 * "stdout: write: ..." (sst_err_write).
 */
int sst_rec_write(FILE *f, const sst_rec_opts *o, const sst_rec *r, sst_err *err);

/*
 * Decodes the tsv escapes of [s, s+n) into out (cleared first).
 * SST_EDATA on a bad escape (message without location: the caller adds it).
 */
struct sst_buf;
int sst_unescape(const uint8_t *s, size_t n, struct sst_buf *out, sst_err *err);
/* Writes [s, s+n) to f in the escaped form of -e (backslash, TAB, LF, CR
 * and NUL as \\ \t \n \r \0; other bytes as they are). */
void sst_put_escaped(FILE *f, const uint8_t *s, size_t n);

#endif
