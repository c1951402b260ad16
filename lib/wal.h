/*
 * wal.h - the write-ahead log (formats/wal.md): 32 KiB blocks of
 * checksummed, typed fragments; puts and deletes; torn-tail recovery and
 * resynchronisation after damage.
 *
 * Writer: opens (creating if absent) a WAL for appending under an exclusive
 * flock(2), first cutting a torn tail back to the last complete record.
 * Records are buffered and written in large writes; with SST_WAL_SYNC_BATCH
 * one fdatasync covers each write buffer, with SST_WAL_SYNC_ALWAYS every
 * record is synced before add() returns. close() writes and syncs what is
 * left (except with SST_WAL_SYNC_NONE). abort() truncates the file back to
 * its size at open, so a failed append adds nothing.
 *
 * Reader: yields the records in file order. A torn tail is reported through
 * the callback and ends the log normally; damage before the tail is
 * SST_EDATA naming "PATH@OFFSET", unless skip_corrupt, in which case the
 * callback is told the offset and the bytes dropped and reading goes on at
 * the next record start.
 *
 * Thread-safety: a writer or reader belongs to one thread.
 */
#ifndef SST_WAL_H
#define SST_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "iter.h"

#define SST_WAL_BLOCK		32768u
#define SST_WAL_FRAG_HEADER	7u
#define SST_WAL_FILE_HEADER	21u	/* the HEADER fragment at offset 0 */
/* kind + klen varint + key + value */
#define SST_WAL_MAX_RECORD	(1u + 3u + 65536u + (64u << 20))

enum sst_wal_sync { SST_WAL_SYNC_NONE = 0, SST_WAL_SYNC_BATCH = 1, SST_WAL_SYNC_ALWAYS = 2 };

/* Parses "always", "batch" or "none": SST_OK, or SST_EDATA for another word. */
int sst_wal_sync_parse(const char *s, int *sync);

/*
 * What a reader (or the writer's tail check) met: torn = 1 for a torn tail
 * (offset = where the torn record starts, dropped = bytes from there to the
 * end of the file), torn = 0 for damage skipped with skip_corrupt (dropped =
 * bytes up to the next record start). why names the fault.
 */
typedef struct sst_wal_event {
	const char *path;
	uint64_t offset;
	uint64_t dropped;
	int torn;
	const char *why;
} sst_wal_event;

typedef void (*sst_wal_report)(void *arg, const sst_wal_event *ev);

/* ---- writer ---- */

typedef struct sst_wal_writer sst_wal_writer;

typedef struct sst_wal_writer_opts {
	int sync;			/* enum sst_wal_sync; default batch */
	size_t buffer;			/* write buffer bytes; default 4 MiB */
	sst_wal_report report;		/* torn tail cut, damage seen; may be NULL */
	void *report_arg;
} sst_wal_writer_opts;

void sst_wal_writer_opts_default(sst_wal_writer_opts *o);

/*
 * Opens path for appending, creating it (mode 0666 & ~umask, header
 * written and synced, directory fsynced) when absent. Blocks until it holds
 * an exclusive flock on the file. Then reads the log: a torn tail is cut
 * off (ftruncate + fsync) and reported with torn = 1; damage before the
 * tail is left alone and reported with torn = 0. A file that is not a WAL
 * is SST_EDATA.
 */
int sst_wal_writer_open(sst_wal_writer **w, const char *path,
    const sst_wal_writer_opts *o, sst_err *err);

/*
 * Appends one record. REQUIRES: klen in [1, SST_MAX_KEY], vlen <=
 * SST_MAX_VALUE, vlen == 0 for a delete (violations are SST_EDATA).
 */
int sst_wal_writer_add(sst_wal_writer *w, const sst_rec *r, sst_err *err);

/* Writes the buffer out and (unless sync is none) fdatasyncs. */
int sst_wal_writer_sync(sst_wal_writer *w, sst_err *err);

/* File offset after the last record added (buffered bytes included). */
uint64_t sst_wal_writer_offset(const sst_wal_writer *w);

/* sync(), unlock, close; frees *w. On error the records may be partly on disk. */
int sst_wal_writer_close(sst_wal_writer **w, sst_err *err);

/* Truncates back to the size after open (synced), unlocks, closes; frees *w. NULL-safe. */
void sst_wal_writer_abort(sst_wal_writer **w);

/* ---- reader ---- */

typedef struct sst_wal_reader sst_wal_reader;

typedef struct sst_wal_reader_opts {
	int skip_corrupt;
	sst_wal_report report;
	void *report_arg;
} sst_wal_reader_opts;

/* Opens path and checks the file header (SST_EDATA: not an sstkit WAL). */
int sst_wal_reader_open(sst_wal_reader **r, const char *path,
    const sst_wal_reader_opts *o, sst_err *err);

/*
 * Reads the next record: SST_OK with *eof = 0 and rec filled (bytes valid
 * until the next call), or SST_OK with *eof = 1 at the end (after a torn
 * tail too). Damage: SST_EDATA "PATH@OFFSET: what" (unless skip_corrupt).
 */
int sst_wal_reader_next(sst_wal_reader *r, sst_rec *rec, int *eof, sst_err *err);

/* Offset where the last record returned starts; bytes of log read so far. */
uint64_t sst_wal_reader_offset(const sst_wal_reader *r);
uint64_t sst_wal_reader_pos(const sst_wal_reader *r);
/* The file size at open. */
uint64_t sst_wal_reader_size(const sst_wal_reader *r);

/*
 * Offset after the last complete record (the end of a clean log, or the
 * start of its torn tail); valid once next() has returned *eof = 1.
 */
uint64_t sst_wal_reader_end(const sst_wal_reader *r);

void sst_wal_reader_close(sst_wal_reader **r);

#endif
