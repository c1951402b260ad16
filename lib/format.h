/*
 * format.h - constants and codecs of the table format (formats/sstable.md)
 * shared by the table writer, reader and verifier. Internal to lib/.
 */
#ifndef SST_FORMAT_H
#define SST_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define SST_FORMAT_VERSION	1u	/* a table without a dictionary */
#define SST_FORMAT_VERSION_DICT	2u	/* a table with a dictionary block */
#define SST_FOOTER_SIZE		72u	/* version 1 */
#define SST_FOOTER_SIZE_DICT	88u	/* version 2: the dictionary handle first */
#define SST_FOOTER_MAX		88u
#define SST_TRAILER_SIZE	9u	/* type u8, raw_len u32, check u32 */
#define SST_BLOCK_RAW		0
#define SST_BLOCK_ZSTD		1
#define SST_BLOCK_ZSTD_DICT	2	/* zstd frame made with the table's dictionary */
#define SST_MAX_DICT		(1u << 20)	/* dictionary block bytes, at most */

extern const uint8_t sst_magic[8];

typedef struct sst_handle {
	uint64_t off;
	uint64_t len;		/* payload bytes, trailer excluded */
} sst_handle;

typedef struct sst_footer {
	sst_handle dict;	/* len 0: no dictionary (version 1) */
	sst_handle filter, props, index;
	uint32_t filter_lines;
	uint8_t filter_k;
	uint32_t version;
} sst_footer;

/*
 * Encodes f into out: version 1 (72 bytes) when f->dict.len is 0, else
 * version 2 (88 bytes). The checksum is seeded with the footer's offset.
 * Returns the footer's size.
 */
size_t sst_footer_encode(const sst_footer *f, uint64_t footer_off, uint8_t out[SST_FOOTER_MAX]);

/*
 * The size of the footer ending a file whose last bytes are tail[0..n)
 * (n >= 16): 72 or 88 after the version at tail[n-16], 0 when that version
 * is neither 1 nor 2 (sst_footer_decode then says why).
 */
size_t sst_footer_size(const uint8_t *tail, size_t n);

/*
 * Decodes and checks a footer of size sst_footer_size() (magic, version,
 * checksum, a dictionary of 1..SST_MAX_DICT bytes in version 2). Returns
 * SST_OK, or SST_EDATA with *why: "not an sstkit table", "unsupported format
 * version", "footer checksum mismatch", ... (the caller names the file and
 * the footer's offset: err.h, "Decoders of bytes").
 */
int sst_footer_decode(const uint8_t *in, size_t n, uint64_t footer_off, sst_footer *f,
    const char **why);

#endif
