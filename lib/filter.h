/*
 * filter.h - the cache-line-blocked bloom filter (formats/sstable.md,
 * "Filter block"): L lines of 512 bits, k probes inside the one line a key
 * hashes to, so a lookup touches one cache line (and one 4 KiB chunk).
 *
 * Thread-safety: pure functions over caller-owned memory.
 */
#ifndef SST_FILTER_H
#define SST_FILTER_H

#include <stddef.h>
#include <stdint.h>

#define SST_FILTER_LINE		64u			/* bytes */
#define SST_FILTER_CHUNK_LINES	64u			/* lines per checked chunk */
#define SST_FILTER_CHUNK	(SST_FILTER_LINE * SST_FILTER_CHUNK_LINES)

/* Probes per key for bits_per_key: clamp(round(b * 0.69), 1, 30). */
int sst_filter_k(int bits_per_key);
/* Lines for n keys: max(1, ceil(n * b / 512)); 0 when n == 0 or b == 0. */
uint64_t sst_filter_lines(uint64_t nkeys, int bits_per_key);

/* The line a key hash falls in. */
static inline uint64_t
sst_filter_line_of(uint64_t h, uint64_t nlines)
{
	return ((h >> 32) * nlines) >> 32;
}

/* Sets the k bits of hash h in its line; bits is L * 64 bytes. */
void sst_filter_add(uint8_t *bits, uint64_t nlines, int k, uint64_t h);
/* Sets the k bits of hash h in line (64 bytes): the line of h's choosing. */
void sst_filter_line_add(uint8_t *line, int k, uint64_t h);
/* 1 if every bit of h is set in `line` (64 bytes), else 0. */
int sst_filter_line_match(const uint8_t *line, int k, uint64_t h);

/* The expected false-positive rate of a blocked filter with b bits/key and k probes. */
double sst_filter_fpr(double bits_per_key, int k);

#endif
