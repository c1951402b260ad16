/*
 * util.h - small helpers shared by every module: little-endian fixed-width
 * integers, LEB128 varints, the checksum/hash function, a growable byte
 * buffer, and range-checked parsing of numbers and SIZE arguments.
 *
 * Thread-safety: all functions are reentrant; an sst_buf belongs to one thread.
 */
#ifndef SST_UTIL_H
#define SST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

/* Limits of the data model (sst-build(1) RECORD FORMATS, formats/sstable.md). */
#define SST_MAX_KEY	65536u			/* bytes */
#define SST_MAX_VALUE	(64u << 20)		/* bytes: 64 MiB */

static inline void
sst_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t
sst_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void
sst_put_le64(uint8_t *p, uint64_t v)
{
	sst_put_le32(p, (uint32_t)v);
	sst_put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t
sst_get_le64(const uint8_t *p)
{
	return (uint64_t)sst_get_le32(p) | (uint64_t)sst_get_le32(p + 4) << 32;
}

/* The out-of-line forms of sst_put_varint and sst_get_varint (any length). */
size_t sst_put_varint_any(uint8_t *p, uint64_t v);
int sst_get_varint_any(const uint8_t **p, const uint8_t *end, uint64_t *v);

/*
 * Writes v as an unsigned LEB128 varint (at most 10 bytes); returns bytes
 * written. Inline for one or two bytes (most lengths in a table or a run).
 */
static inline size_t
sst_put_varint(uint8_t *p, uint64_t v)
{
	if (v < 0x80) {
		p[0] = (uint8_t)v;
		return 1;
	}
	if (v < 0x4000) {
		p[0] = (uint8_t)(v | 0x80);
		p[1] = (uint8_t)(v >> 7);
		return 2;
	}
	return sst_put_varint_any(p, v);
}

/*
 * Decodes a varint from [*p, end). On success advances *p and returns SST_OK;
 * returns SST_EDATA on truncation or a varint longer than 10 bytes (garbage).
 * Inline for one or two bytes.
 */
static inline int
sst_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;

	if (q < end && q[0] < 0x80) {
		*v = q[0];
		*p = q + 1;
		return SST_OK;
	}
	if (end - q >= 2 && q[1] < 0x80) {
		*v = (uint64_t)(q[0] & 0x7f) | (uint64_t)q[1] << 7;
		*p = q + 2;
		return SST_OK;
	}
	return sst_get_varint_any(p, end, v);
}

/* Number of bytes sst_put_varint would write. */
size_t sst_varint_len(uint64_t v);

/*
 * The checksum of every on-disk structure: the low 32 bits of
 * XXH3_64bits_withSeed(data, len, seed), where seed is the structure's
 * file offset (so a block copied to another place fails its check).
 */
uint32_t sst_checksum(const void *data, size_t len, uint64_t seed);

/* sst_checksum of the concatenation a || b (no copy). */
uint32_t sst_checksum2(const void *a, size_t alen, const void *b, size_t blen, uint64_t seed);

/* sst_checksum of the concatenation of iov[0..n) (no copy). */
struct iovec;
uint32_t sst_checksumv(const struct iovec *iov, int n, uint64_t seed);

/*
 * sst_checksum of data given piece by piece, for data never in memory
 * whole (the filter block, built and written in slices): begin with the
 * seed, update with each piece in order, final. The state lives in the
 * caller (it is XXH3_state_t; util.c checks that it fits).
 */
typedef struct sst_checksum_state {
	_Alignas(64) unsigned char st[640];
} sst_checksum_state;
void sst_checksum_begin(sst_checksum_state *cs, uint64_t seed);
void sst_checksum_update(sst_checksum_state *cs, const void *data, size_t len);
uint32_t sst_checksum_final(sst_checksum_state *cs);

/* XXH3_64bits(data, len): the key hash used by the bloom filter. */
uint64_t sst_hash64(const void *data, size_t len);

/* Growable byte buffer. Zero-initialise (SST_BUF_INIT) before use. */
typedef struct sst_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
} sst_buf;
#define SST_BUF_INIT { NULL, 0, 0 }

/* Grows b to hold `extra` more bytes (sst_buf_reserve's slow path). */
int sst_buf_grow(sst_buf *b, size_t extra, sst_err *err);

/* Ensures room for `extra` more bytes (inline when there is room). */
static inline int
sst_buf_reserve(sst_buf *b, size_t extra, sst_err *err)
{
	if (extra <= b->cap - b->len)
		return SST_OK;
	return sst_buf_grow(b, extra, err);
}
int sst_buf_append(sst_buf *b, const void *data, size_t n, sst_err *err);
int sst_buf_append_varint(sst_buf *b, uint64_t v, sst_err *err);
static inline void sst_buf_clear(sst_buf *b) { b->len = 0; }
void sst_buf_free(sst_buf *b);

/*
 * Parses a SIZE argument: decimal digits with an optional K, M or G suffix
 * (powers of 1024; lower case accepted, an optional trailing B or iB too).
 * Returns SST_OK and sets *out, or SST_EDATA for garbage, overflow, or a value
 * outside [min, max] (the caller says what: err.h, "Parsers").
 */
int sst_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Parses a decimal integer in [min, max] (strtonum-like): SST_OK or SST_EDATA. */
int sst_parse_int(const char *s, long long min, long long max, long long *out);

/* The value of a lower-case hex digit '0'-'9', 'a'-'f'; -1 for any other byte. */
static inline int
sst_hexval(unsigned c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	return -1;
}

/* Unsigned bytewise key order: memcmp, a prefix sorts first. */
static inline int
sst_keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0;

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/*
 * The first 8 key bytes, big-endian, zero-padded. A key of 8 bytes or more
 * is one unaligned load (byte-swapped on a little-endian host): the byte
 * loop cost every record about 25 instructions in the sorter.
 */
static inline uint64_t
sst_key_pfx(const uint8_t *k, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (n >= 8) {
		memcpy(&v, k, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		return __builtin_bswap64(v);
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		return v;
#else
		v = 0;
		for (i = 0; i < 8; i++)
			v = v << 8 | k[i];
		return v;
#endif
	}
	for (i = 0; i < 8; i++)
		v = v << 8 | (i < n ? k[i] : 0);
	return v;
}

/*
 * Order of (pfx, key, len) when the prefixes are equal: the first
 * min(8, len) bytes agree, so only bytes past 8 need a memcmp, and
 * otherwise the shorter key (a prefix of the longer) comes first.
 */
static inline int
sst_key_tail_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen > 8 && blen > 8) {
		size_t n = (alen < blen ? alen : blen) - 8;
		int c = memcmp(a + 8, b + 8, n);

		if (c != 0)
			return c;
	}
	return alen < blen ? -1 : alen > blen;
}

/* Monotonic clock in seconds. */
double sst_now(void);

/*
 * A short, printable, one-line form of bytes from a file (a key, a member
 * name) for messages: bytes below 0x20, 0x7f and backslash as \xHH, bytes
 * from 0x80 as \xHH too unless keep_high (UTF-8 names stay readable), cut
 * with "..." to fit size (>= 16) with its NUL.
 */
void sst_show_bytes(char *out, size_t size, const uint8_t *p, size_t n, int keep_high);

/*
 * Length (1 to 4) of the well-formed UTF-8 character at p[0..n), or 0 when
 * the bytes there are none (a stray continuation byte, an overlong form, a
 * surrogate, a code point over U+10FFFF, a cut sequence).
 */
size_t sst_utf8_len(const uint8_t *p, size_t n);

/*
 * Writes bytes (a key, a path) to f as a JSON string that is valid UTF-8:
 * well-formed UTF-8 as its characters (so "caf\xc3\xa9" reads back as
 * "café"), with " \\ and the control characters U+0000-U+001F and U+007F
 * escaped (\", \\, \uXXXX); each byte that is not part of a well-formed
 * character as U+FFFD (\ufffd), so the string is exact only for UTF-8
 * keys: the *_hex field written with sst_json_hex is exact for every key.
 */
void sst_json_str(FILE *f, const uint8_t *s, size_t n);
/* Writes bytes as a JSON string of lowercase hex digits, two per byte. */
void sst_json_hex(FILE *f, const uint8_t *s, size_t n);

#endif
