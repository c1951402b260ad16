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

typedef struct fuzz_recs {
	fuzz_rec *r;
	size_t n, cap;
	size_t bytes;
} fuzz_recs;

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
	r->key = malloc(klen + 1);
	r->val = malloc(vlen + 1);
	FUZZ_CHECK(r->key != NULL && r->val != NULL);
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
	size_t i;

	for (i = 0; i < rs->n; i++) {
		free(rs->r[i].key);
		free(rs->r[i].val);
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
