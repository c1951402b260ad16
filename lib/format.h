/*
 * format.h - constants and codecs of the table format (formats/sstable.md)
 * shared by the table writer, reader and verifier. Internal to lib/.
 */
#ifndef SST_FORMAT_H
#define SST_FORMAT_H

#include <stdint.h>

#define SST_FORMAT_VERSION	1u
#define SST_FOOTER_SIZE		72u
#define SST_TRAILER_SIZE	9u	/* type u8, raw_len u32, check u32 */
#define SST_BLOCK_RAW		0
#define SST_BLOCK_ZSTD		1

extern const uint8_t sst_magic[8];

typedef struct sst_handle {
	uint64_t off;
	uint64_t len;		/* payload bytes, trailer excluded */
} sst_handle;

typedef struct sst_footer {
	sst_handle filter, props, index;
	uint32_t filter_lines;
	uint8_t filter_k;
	uint32_t version;
} sst_footer;

/* Encodes f into 72 bytes, the checksum seeded with the footer's offset. */
void sst_footer_encode(const sst_footer *f, uint64_t footer_off, uint8_t out[SST_FOOTER_SIZE]);

/*
 * Decodes and checks a footer (magic, version, checksum). Returns 0, or -1
 * with *why: "not an sstkit table", "unsupported format version", "footer
 * checksum mismatch".
 */
int sst_footer_decode(const uint8_t in[SST_FOOTER_SIZE], uint64_t footer_off, sst_footer *f,
    const char **why);

#endif
