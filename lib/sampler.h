/*
 * sampler.h - key samples and the split points chosen from them
 * (sst-sample(1), formats/split.md).
 *
 * Sampler: reservoir sampling (Vitter's algorithm R) of the keys of one
 * input stream in one pass, keeping at most `count` keys (memory: count
 * keys plus a fixed header each), with a seeded PRNG of its own
 * (splitmix64), so the same records and seed give the same sample on any
 * machine. It also sums the key and value bytes of every record offered
 * (T). When it is written, the k kept keys are sorted and the i-th
 * (0-based) stands for floor(T*(i+1)/k) - floor(T*i/k) bytes: each about
 * T/k, and the weights of one sample sum to exactly T, so samples of
 * inputs of any sizes combine by adding. Equal kept keys are written as
 * one line with the sum of their weights.
 *
 * Sample file: one line "KEY<TAB>BYTES" per key, KEY in the escaped form
 * of -e, BYTES decimal, keys strictly increasing.
 *
 * Sample set: the lines of any number of sample files; equal keys are
 * merged (weights added), and sst_sample_set_cuts picks at most N-1 of
 * the keys so that the weight before each cut is as close as it can get
 * to j/N of the total (j = 1..N-1). A key is a cut at most once and never
 * the smallest key (which would leave part 1 empty), so a set of few
 * distinct keys gives fewer cuts; one key never spans two parts.
 *
 * Thread-safety: one thread per object.
 */
#ifndef SST_SAMPLER_H
#define SST_SAMPLER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "splitfile.h"

#define SST_SAMPLE_DEFAULT_COUNT 10000

/* splitmix64: the sampler's PRNG (state advanced by the golden gamma). */
uint64_t sst_splitmix64(uint64_t *state);

typedef struct sst_sampler sst_sampler;

/* REQUIRES: count >= 1. */
int sst_sampler_new(sst_sampler **s, size_t count, uint64_t seed, sst_err *err);
/* Offers one record: its key, and its key and value bytes (klen + vlen). */
int sst_sampler_add(sst_sampler *s, const uint8_t *key, size_t klen, uint64_t bytes,
    sst_err *err);
uint64_t sst_sampler_seen(const sst_sampler *s);	/* records offered */
uint64_t sst_sampler_bytes(const sst_sampler *s);	/* T: bytes offered */
size_t sst_sampler_kept(const sst_sampler *s);	/* keys kept: <= count */
/* Sorts the kept keys and writes the sample file to f. */
int sst_sampler_write(sst_sampler *s, FILE *f, sst_err *err);
void sst_sampler_free(sst_sampler **s);

typedef struct sst_sample_set sst_sample_set;

int sst_sample_set_new(sst_sample_set **ss, sst_err *err);
int sst_sample_set_add(sst_sample_set *ss, const uint8_t *key, size_t klen, uint64_t bytes,
    sst_err *err);
/* Adds the lines of the sample file at path ("-": stdin; compressed inputs
 * are read as sst-build reads them). A malformed line is SST_EDATA naming
 * "PATH:LINE". */
int sst_sample_set_read(sst_sample_set *ss, const char *path, sst_err *err);
/* Chooses the cuts of nparts (>= 1) parts into *out (see above). */
int sst_sample_set_cuts(sst_sample_set *ss, size_t nparts, sst_splits *out, sst_err *err);
void sst_sample_set_free(sst_sample_set **ss);

#endif
