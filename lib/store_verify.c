/*
 * store_verify.c - sst_store_verify (store.h): the manifest, every listed
 * table (sst_table_verify) and its manifest line, and the level rules of
 * formats/store.md. Any fault is SST_EDAMAGE naming the file and the fault.
 */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"
#include "util.h"

static int
key_lt(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return sst_keycmp(a, an, b, bn) < 0;
}

/* Level rules over ranged entries (empty tables are ignored). */
static int
check_levels(const char *dir, const sst_manifest *m, sst_err *err)
{
	size_t i, prev = SIZE_MAX;
	int lastlev = SST_STORE_MAX_LEVEL + 1;

	for (i = 0; i < m->n; i++) {
		const sst_store_entry *e = &m->t[i];

		if (e->level > lastlev)
			return sst_error(err, SST_EDAMAGE, "%s/MANIFEST: %s: level %d listed "
			    "after level %d (deeper levels must come first)", dir, e->name,
			    e->level, lastlev);
		if (e->level != lastlev)
			prev = SIZE_MAX;
		lastlev = e->level;
		if (e->level == 0 || e->records == 0)
			continue;
		if (prev != SIZE_MAX && !key_lt(m->t[prev].hi, m->t[prev].hilen, e->lo, e->lolen))
			return sst_error(err, SST_EDAMAGE, "%s/MANIFEST: level %d: %s overlaps "
			    "or is out of order with %s", dir, e->level, e->name,
			    m->t[prev].name);
		prev = i;
	}
	return SST_OK;
}

static int
same_key(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* Verifies table e of the store and that it agrees with its manifest line. */
static int
verify_entry(const char *dir, sst_store_entry *e, sst_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	sst_table *t;
	sst_props p;
	int rc;

	if ((rc = sst_store_path_join(path, sizeof(path), dir, e->name, err)) != SST_OK)
		return rc;
	if (stat(path, &st) != 0)
		return errno == ENOENT ? sst_error(err, SST_EDAMAGE, "%s: table listed in the "
		    "manifest is missing", path) : sst_syserr(err, "%s", path);
	if ((uint64_t)st.st_size != e->size)
		return sst_error(err, SST_EDAMAGE, "%s: size %llu, but the manifest says %"
		    PRIu64, path, (unsigned long long)st.st_size, e->size);
	if ((rc = sst_table_verify(path, &p, err)) != SST_OK)
		return rc;
	if ((rc = sst_table_open(&t, path, err)) == SST_OK)
		rc = sst_table_props(t, &p, err);
	if (rc == SST_OK && e->ranged && (e->records != p.records ||
	    (p.records > 0 && (!same_key(e->lo, e->lolen, p.smallest, p.smallest_len) ||
	    !same_key(e->hi, e->hilen, p.largest, p.largest_len)))))
		rc = sst_error(err, SST_EDAMAGE, "%s: records or key range differ from the "
		    "manifest's", path);
	if (rc == SST_OK && !e->ranged)
		rc = sst_store_entry_set_range(e, &p, err);
	sst_table_close(&t);
	return rc;
}

int
sst_store_verify(const char *dir, sst_err *err)
{
	sst_manifest m;
	size_t i;
	int fd, rc;

	sst_manifest_init(&m);
	if ((rc = sst_store_pin_manifest(dir, &fd, &m, err)) != SST_OK)
		return rc == SST_EDATA ? SST_EDAMAGE : rc;
	for (i = 0; i < m.n && rc == SST_OK; i++)
		rc = verify_entry(dir, &m.t[i], err);
	if (rc == SST_OK)
		rc = check_levels(dir, &m, err);
	sst_manifest_free(&m);
	close(fd);
	return rc == SST_EDATA ? SST_EDAMAGE : rc;
}
