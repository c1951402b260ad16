/*
 * unit.h - a minimal unit-test harness: CHECK() records a failure and goes
 * on; each test binary ends with UNIT_DONE(), printing its counts and
 * returning non-zero on any failure.
 */
#ifndef SST_UNIT_H
#define SST_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_pass, unit_fail;

#define CHECK(cond) do { \
	if (cond) unit_pass++; \
	else { unit_fail++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_RC(expr, want) do { \
	int rc_ = (expr); \
	if (rc_ == (want)) unit_pass++; \
	else { unit_fail++; fprintf(stderr, "%s:%d: %s returned %d, want %d\n", __FILE__, __LINE__, #expr, rc_, (want)); } \
} while (0)

#define UNIT_DONE() do { \
	printf("%s: %d passed, %d failed\n", __FILE__, unit_pass, unit_fail); \
	return unit_fail ? 1 : 0; \
} while (0)

/* A private scratch directory for the test; removed by the runner. */
static inline const char *
unit_tmpdir(void)
{
	static char dir[256];

	if (dir[0] == '\0') {
		const char *t = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/sstunit-XXXXXX", t ? t : "/tmp");
		if (mkdtemp(dir) == NULL) {
			perror("mkdtemp");
			exit(2);
		}
	}
	return dir;
}

/* unit_tmpdir()/NAME, in one of 8 rotating buffers (one call may name several). */
static inline const char *
unit_path(const char *name)
{
	static char p[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof(p[i]), "%s/%s", unit_tmpdir(), name);
	return p[i];
}

/* Writes n bytes to path (created or truncated); exits 2 on failure. */
static inline void
unit_put_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

#endif
