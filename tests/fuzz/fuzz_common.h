/*
 * fuzz_common.h - helpers shared by the libFuzzer harnesses (fuzzer-only
 * code: a broken invariant traps, so libFuzzer saves the input).
 */
#ifndef SST_FUZZ_COMMON_H
#define SST_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * The input layer's read size in the fuzz build (lib/input.c,
 * SST_FUZZ_READ_SIZE): 61 bytes unless a target picks another per input,
 * so records cross read blocks.
 */
size_t sst_fuzz_read_size = 61;

/* A broken invariant: say which, then trap (libFuzzer records a crash). */
#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
		__builtin_trap(); \
	} \
} while (0)

/*
 * Puts data into an anonymous in-memory file and names it by
 * /proc/self/fd/N in path, so the library opens it like any file.
 * Returns the fd (the caller closes it) or -1.
 */
static inline int
fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t pathsz)
{
	size_t done = 0;
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	snprintf(path, pathsz, "/proc/self/fd/%d", fd);
	return fd;
}

/* Replaces the contents of memfd fd by data. */
static inline int
fuzz_memfile_set(int fd, const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0)
		return -1;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* An owned copy of a record (records' bytes are borrowed from iterators). */
typedef struct fuzz_rec {
	uint8_t *key;
	size_t klen;
	uint8_t *val;
	size_t vlen;
	int kind;
} fuzz_rec;

/*
 * The copies live in chunks of at least FUZZ_CHUNK bytes (one malloc per
 * chunk, not two per record: allocation was a fifth of fuzz_records' time).
 */
#define FUZZ_CHUNK	65536

typedef struct fuzz_chunk {
	struct fuzz_chunk *next;
	size_t size, used;
	uint8_t data[];
} fuzz_chunk;

typedef struct fuzz_recs {
	fuzz_rec *r;
	size_t n, cap;
	size_t bytes;
	fuzz_chunk *chunks;
} fuzz_recs;

/* n bytes of rs's chunk space. */
static inline uint8_t *
fuzz_recs_alloc(fuzz_recs *rs, size_t n)
{
	fuzz_chunk *c = rs->chunks;
	uint8_t *p;

	if (c == NULL || c->size - c->used < n) {
		size_t size = n > FUZZ_CHUNK ? n : FUZZ_CHUNK;

		c = malloc(sizeof(*c) + size);
		FUZZ_CHECK(c != NULL);
		c->next = rs->chunks;
		c->size = size;
		c->used = 0;
		rs->chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

static inline void
fuzz_recs_push(fuzz_recs *rs, const uint8_t *key, size_t klen, const uint8_t *val,
    size_t vlen, int kind)
{
	fuzz_rec *r;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 64;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
		FUZZ_CHECK(rs->r != NULL);
	}
	r = &rs->r[rs->n++];
	r->key = fuzz_recs_alloc(rs, klen + vlen + 2);
	r->val = r->key + klen + 1;
	if (klen)
		memcpy(r->key, key, klen);
	if (vlen)
		memcpy(r->val, val, vlen);
	r->klen = klen;
	r->vlen = vlen;
	r->kind = kind;
	rs->bytes += klen + vlen;
}

static inline void
fuzz_recs_free(fuzz_recs *rs)
{
	fuzz_chunk *c, *next;

	for (c = rs->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

static inline int
fuzz_rec_eq(const fuzz_rec *a, const fuzz_rec *b)
{
	return a->kind == b->kind && a->klen == b->klen && a->vlen == b->vlen &&
	    (a->klen == 0 || memcmp(a->key, b->key, a->klen) == 0) &&
	    (a->vlen == 0 || memcmp(a->val, b->val, a->vlen) == 0);
}

static inline int
fuzz_recs_eq(const fuzz_recs *a, const fuzz_recs *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (!fuzz_rec_eq(&a->r[i], &b->r[i]))
			return 0;
	return 1;
}

#endif
