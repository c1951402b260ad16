/*
 * input.h - a byte stream over libarchive: every input data file of every
 * tool is read through here (sst-build(1) RECORD FORMATS and OPTIONS).
 *
 * The content decides, never the name: plain data, gzip, bzip2, xz, zstd,
 * lz4 or compress(1) streams (also nested), and tar, cpio or zip archives,
 * whose regular members are read one after the other in archive order
 * (directories, links and devices are skipped). A plain or compressed file
 * is one member named after the file itself; an empty file has no member.
 *
 * Layers. The file is read by one libarchive reader (a "node"); each member
 * of an archive is read by a node of its own over that member's bytes, so a
 * member is detected from its content like a file: a tar of *.gz logs or a
 * zip of .zst files gives the decompressed members, named ARCHIVE/MEMBER.
 * A member that is itself an archive (after decompression) is bad data,
 * "ARCHIVE/MEMBER: holds an archive (FORMAT): an archive inside an archive
 * is not read". A gzip stream that another compressor held (zstd of gzip)
 * gets a node too; at most 8 nodes deep.
 *
 * Integrity ("what decodes is what was written"). gzip (1f 8b 08) is
 * decoded by zlib inside the node's read callback, not by libarchive
 * (whose gzip reader checks neither CRC-32 nor length): every member's
 * CRC-32 and ISIZE are checked (inflate, windowBits 16 + MAX_WBITS); members
 * one after the other are one stream (inflateReset at each end); after the
 * last member only zero bytes may follow (tape padding, which gzip(1)
 * ignores too); any other trailing byte is bad data ("trailing garbage"),
 * where gzip(1) only warns. A stream that ends inside a member is bad data
 * ("truncated gzip data"). libarchive sees the decoded stream, so tar.gz
 * and gzip of zstd still work. bzip2's block and stream CRCs, xz's check
 * and zstd's and lz4's content checksums are libarchive's (through the
 * libraries), and each reports a stream cut short. Data that starts with
 * a whole magic number of zstd (28 b5 2f fd), xz (fd 37 7a 58 5a 00), lz4
 * (04 22 4d 18) or bzip2 ("BZh1".."BZh9" and a block or end magic) that
 * libarchive still reads as plain data (a header cut short) is bad data.
 * Not covered by any check, so not detectable: gzip's MTIME, XFL and OS
 * header bytes (4-9) and the FTEXT flag bit; a change to a magic number
 * itself (the data is then other data, read as it is); a cut exactly
 * between two gzip members, zstd frames, xz streams or bzip2 streams (what
 * remains is a whole stream).
 *
 * sstkit's own files are not records (bad data, naming the tool to use):
 * a regular file whose last 72 bytes are a table footer (magic and
 * checksum); any stream (a pipe, a decompressed stream, a member) that
 * starts with a table's first block (a zstd frame or raw bytes, then the
 * block trailer whose checksum, seeded with offset 0, holds: looked for in
 * the first 64 KiB) or with a WAL's HEADER fragment (with its checksum):
 * "is an sstkit table: use sst-merge or sst-ingest", "is an sstkit WAL: use
 * wal-replay"; a directory holding a regular file MANIFEST: "is an sstkit
 * store: use sst-merge or sst-dump" (another directory is EISDIR). Only
 * whole checked structures count, so text is never taken for one.
 *
 * Detection is limited to the formats of the contract, so plain text is not
 * taken for something else by a loose heuristic (libarchive's uudecode,
 * lzma, mtree, ar or warc bidders are not enabled). When the data only looks
 * like a tar, cpio or zip header at the start (the first header does not
 * parse, or names no member), the input is read again as plain data: from
 * the start for a regular file, from a copy of what was read (up to 8 MiB)
 * for a pipe or a member.
 *
 * Likewise data that starts like an archive with no member (a 512-byte zero
 * block: an empty tar; zip's end record "PK\5\6"; cpio's TRAILER!!!): it
 * is that empty archive only when nothing but zero bytes follows what the
 * empty archive is made of (an empty zip starts with its end record, which
 * libarchive also finds near the end of a file); otherwise it is plain
 * data, read whole.
 *
 * Reads are zero-copy for plain data: sst_input_read() hands out
 * libarchive's own blocks (about 1 MiB for a plain file); gzip comes in
 * 256 KiB blocks of zlib's output.
 *
 * Errors: a path that cannot be opened or read (missing, a directory,
 * permission, I/O) is SST_ESYS naming the path; data that cannot be decoded
 * (a damaged compressed stream, a damaged archive, a nested archive,
 * sstkit's own file) is SST_EDATA naming the path (or "ARCHIVE/MEMBER").
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
