/*
 * input.h - a byte stream over libarchive: every input data file of every
 * tool is read through here (CONTRACT.md, "Common conventions").
 *
 * The content decides, never the name: plain data, gzip, bzip2, xz, zstd,
 * lz4 or compress(1) streams (also nested), and tar, cpio or zip archives,
 * whose regular members are read one after the other in archive order
 * (directories, links and devices are skipped). A plain or compressed file
 * is one member named after the file itself; an empty file has no member.
 *
 * Detection is limited to the formats of the contract, so plain text is not
 * taken for something else by a loose heuristic (libarchive's uudecode,
 * lzma, mtree, ar or warc bidders are not enabled). When the data only looks
 * like a tar, cpio or zip header at the start (the first header does not
 * parse, or names no member), the input is read again as plain data: from
 * the start for a regular file, from a copy of what was read (up to 8 MiB)
 * for a pipe.
 *
 * Likewise data that starts like an archive with no member (a 512-byte zero
 * block: an empty tar; zip's end record "PK\5\6"; cpio's TRAILER!!!): it
 * is that empty archive only when nothing but zero bytes follows what the
 * empty archive is made of (an empty zip starts with its end record, which
 * libarchive also finds near the end of a file); otherwise it is plain
 * data, read whole.
 *
 * The other way round, data that starts with a compressor's magic number
 * (gzip's 1f 8b 08, zstd's 28 b5 2f fd, ...) is taken for compressed, and
 * bad data if it does not decompress.
 *
 * Reads are zero-copy: sst_input_read() hands out libarchive's own blocks
 * (about 1 MiB for plain data).
 *
 * Errors: a path that cannot be opened or read (missing, a directory,
 * permission, I/O) is SST_ESYS naming the path; data that libarchive cannot
 * decode (a damaged compressed stream, a damaged archive) is SST_EDATA
 * naming the path (or "ARCHIVE/MEMBER").
 *
 * Thread-safety: an input belongs to one thread.
 */
#ifndef SST_INPUT_H
#define SST_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct sst_input sst_input;

/* Opens path ("-" or NULL: standard input, named "-"). */
int sst_input_open(sst_input **in, const char *path, sst_err *err);

/*
 * Moves to the next member: SST_OK with *eof = 0 and a member to read, or
 * with *eof = 1 when there is none left (then again on every later call).
 * The rest of the current member, if any, is skipped.
 */
int sst_input_next_member(sst_input *in, int *eof, sst_err *err);

/*
 * Reads the next block of the current member: *p and *n (> 0) valid until
 * the next call on in; *n == 0 at the member's end.
 * REQUIRES: sst_input_next_member() gave a member.
 */
int sst_input_read(sst_input *in, const uint8_t **p, size_t *n, sst_err *err);

/* The current member's name for messages: "PATH" or "ARCHIVE/MEMBER". */
const char *sst_input_name(const sst_input *in);

/* The path as given ("-" for standard input). */
const char *sst_input_path(const sst_input *in);

/* Bytes read from the file so far (compressed), and its size when it is a
 * regular file (0 when unknown): for progress. */
uint64_t sst_input_bytes_in(const sst_input *in);
uint64_t sst_input_total(const sst_input *in);

/*
 * Whether the n bytes at p start one of sstkit's own files: "is an sstkit
 * WAL: use wal-replay", "is an sstkit table: use sst-merge or sst-ingest",
 * or NULL. Only whole checked structures count (see above).
 */
const char *sst_input_own_file(const uint8_t *p, size_t n);

/* Closes *in (if not NULL) and sets *in to NULL. */
void sst_input_close(sst_input **in);

#endif
