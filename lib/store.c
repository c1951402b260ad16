/*
 * store.c - the store directory, its manifest and its writer lock. The byte
 * format and the commit protocol are in formats/store.md.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

#define MANIFEST_MAX	(64u << 20)
#define TABLES_MAX	1000000u
#define MAGIC_LINE	"sstkit-store 1"

struct sst_store {
	char *dir;
	int lockfd;
	sst_manifest m;
	uint64_t next;		/* numbers handed out; >= m.next */
	int made_dir;		/* this writer created the directory */
	int made_store;		/* this writer wrote the first MANIFEST */
	int contended;		/* another writer holds the lock */
};

static const struct knob_def {
	const char *name;
	size_t off;
	uint64_t min, max, def;
	int is_size;
} knob_defs[] = {
	{ "min-threshold", offsetof(sst_store_knobs, min_threshold), 2, 1000, 4, 0 },
	{ "max-threshold", offsetof(sst_store_knobs, max_threshold), 2, 1000, 32, 0 },
	{ "bucket-low", offsetof(sst_store_knobs, bucket_low), 1, 100, 50, 0 },
	{ "bucket-high", offsetof(sst_store_knobs, bucket_high), 100, 10000, 150, 0 },
	{ "min-size", offsetof(sst_store_knobs, min_size), 0, UINT64_C(1) << 50, 50u << 20, 1 },
	{ "l0-trigger", offsetof(sst_store_knobs, l0_trigger), 1, 1000, 4, 0 },
	{ "level1-size", offsetof(sst_store_knobs, level1_size), 1024, UINT64_C(1) << 50, 10u << 20, 1 },
	{ "level-growth", offsetof(sst_store_knobs, level_growth), 2, 1000, 10, 0 },
	{ "file-size", offsetof(sst_store_knobs, file_size), 1024, UINT64_C(1) << 40, 2u << 20, 1 },
	{ "max-levels", offsetof(sst_store_knobs, max_levels), 2, SST_STORE_MAX_LEVEL + 1, 7, 0 },
};
#define NKNOBS (sizeof(knob_defs) / sizeof(knob_defs[0]))

static uint64_t *
knob_ptr(sst_store_knobs *k, size_t i)
{
	return (uint64_t *)((char *)k + knob_defs[i].off);
}

void
sst_store_knobs_default(sst_store_knobs *k)
{
	size_t i;

	for (i = 0; i < NKNOBS; i++)
		*knob_ptr(k, i) = knob_defs[i].def;
}

int
sst_strategy_parse(const char *s, int *strategy)
{
	if (strcmp(s, "size-tiered") == 0)
		*strategy = SST_STRATEGY_SIZE_TIERED;
	else if (strcmp(s, "leveled") == 0)
		*strategy = SST_STRATEGY_LEVELED;
	else
		return -1;
	return 0;
}

const char *
sst_strategy_name(int strategy)
{
	return strategy == SST_STRATEGY_LEVELED ? "leveled" : "size-tiered";
}

static int
knob_index(const char *name)
{
	size_t i;

	for (i = 0; i < NKNOBS; i++)
		if (strcmp(knob_defs[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
sst_store_knob_set(sst_store_knobs *k, const char *name, const char *value, sst_err *err)
{
	int i = knob_index(name);
	const struct knob_def *d;
	uint64_t v;

	if (i < 0)
		return sst_error(err, SST_EUSAGE, "unknown store option '%s'", name);
	d = &knob_defs[i];
	if (sst_parse_size(value, d->min, d->max, &v) != 0 ||
	    (!d->is_size && strspn(value, "0123456789") != strlen(value)))
		return sst_error(err, SST_EUSAGE, "option %s: invalid value '%s' (want %" PRIu64
		    " to %" PRIu64 ")", name, value, d->min, d->max);
	*knob_ptr(k, (size_t)i) = v;
	return SST_OK;
}

/* ---- manifest ---- */

void
sst_manifest_free(sst_manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->t[i].name);
	free(m->t);
	m->t = NULL;
	m->n = 0;
}

static void
manifest_init(sst_manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->next = 1;
	m->strategy = SST_STRATEGY_SIZE_TIERED;
	sst_store_knobs_default(&m->knobs);
}

int
sst_manifest_push(sst_manifest *m, const char *name, uint64_t number, int level,
    uint64_t size, sst_err *err)
{
	sst_store_entry *t;
	char *copy;

	if ((copy = strdup(name)) == NULL)
		return sst_nomem(err, "manifest");
	t = sst_realloc(m->t, (m->n + 1) * sizeof(*t), err);
	if (t == NULL) {
		free(copy);
		return SST_ESYS;
	}
	m->t = t;
	t[m->n].name = copy;
	t[m->n].number = number;
	t[m->n].level = level;
	t[m->n].size = size;
	m->n++;
	return SST_OK;
}

int
sst_manifest_copy(sst_manifest *dst, const sst_manifest *src, sst_err *err)
{
	size_t i;
	int rc;

	*dst = *src;
	dst->t = NULL;
	dst->n = 0;
	for (i = 0; i < src->n; i++) {
		rc = sst_manifest_push(dst, src->t[i].name, src->t[i].number,
		    src->t[i].level, src->t[i].size, err);
		if (rc != SST_OK) {
			sst_manifest_free(dst);
			return rc;
		}
	}
	return SST_OK;
}

/* Parses a table name "NNNNNN.sst" (at least 6 digits); 0 or -1. */
static int
table_name_number(const char *name, size_t len, uint64_t *num)
{
	size_t d = 0;
	uint64_t v = 0;

	while (d < len && name[d] >= '0' && name[d] <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(name[d] - '0');
		d++;
	}
	if (d < 6 || d > 20 || len != d + 4 || memcmp(name + d, ".sst", 4) != 0)
		return -1;
	*num = v;
	return 0;
}

/* Parses plain decimal [p, p+n) into *v; 0 or -1. */
static int
parse_dec(const char *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && p[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' || x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	*v = x;
	return 0;
}

/* Splits line [p, p+n) into at most 4 space-separated fields. */
static size_t
split_fields(const char *p, size_t n, const char *f[4], size_t fl[4])
{
	size_t nf = 0, i = 0;

	while (i <= n && nf < 5) {
		size_t s = i;

		while (i < n && p[i] != ' ')
			i++;
		if (nf == 4)
			return 5;
		f[nf] = p + s;
		fl[nf] = i - s;
		nf++;
		i++;
	}
	return nf;
}

static int
field_is(const char *f, size_t fl, const char *word)
{
	return fl == strlen(word) && memcmp(f, word, fl) == 0;
}

static int
bad(sst_err *err, const char *path, uint64_t line, const char *what)
{
	return sst_error(err, SST_EDATA, "%s:%" PRIu64 ": damaged manifest: %s", path, line, what);
}

static int
parse_option(sst_manifest *m, const char *f[4], size_t fl[4], const char *path,
    uint64_t line, sst_err *err)
{
	char name[32];
	uint64_t v;
	int i;

	if (fl[1] >= sizeof(name))
		return bad(err, path, line, "unknown option");
	memcpy(name, f[1], fl[1]);
	name[fl[1]] = '\0';
	if ((i = knob_index(name)) < 0)
		return bad(err, path, line, "unknown option");
	if (parse_dec(f[2], fl[2], &v) != 0 || v < knob_defs[i].min || v > knob_defs[i].max)
		return bad(err, path, line, "option value out of range");
	*knob_ptr(&m->knobs, (size_t)i) = v;
	m->knobs_set |= UINT64_C(1) << i;
	return SST_OK;
}

static int
parse_table(sst_manifest *m, const char *f[4], size_t fl[4], const char *path,
    uint64_t line, sst_err *err)
{
	uint64_t num, level, size;
	char name[32];
	size_t i;

	if (table_name_number(f[1], fl[1], &num) != 0)
		return bad(err, path, line, "bad table name");
	if (num >= m->next)
		return bad(err, path, line, "table number not below next");
	if (parse_dec(f[2], fl[2], &level) != 0 || level > SST_STORE_MAX_LEVEL)
		return bad(err, path, line, "bad level");
	if (parse_dec(f[3], fl[3], &size) != 0)
		return bad(err, path, line, "bad size");
	if (m->n >= TABLES_MAX)
		return bad(err, path, line, "too many tables");
	for (i = 0; i < m->n; i++)
		if (m->t[i].number == num)
			return bad(err, path, line, "table listed twice");
	memcpy(name, f[1], fl[1]);
	name[fl[1]] = '\0';
	return sst_manifest_push(m, name, num, (int)level, size, err);
}

/* Parses one line (no LF); *state: 0 magic, 1 next, 2 strategy, 3 body. */
static int
parse_line(sst_manifest *m, const char *p, size_t n, int *state, const char *path,
    uint64_t line, sst_err *err)
{
	const char *f[4];
	size_t fl[4], nf;

	if (*state == 0) {
		if (n != strlen(MAGIC_LINE) || memcmp(p, MAGIC_LINE, n) != 0)
			return sst_error(err, SST_EDATA, "%s: not an sstkit store manifest "
			    "(or an unsupported version)", path);
		*state = 1;
		return SST_OK;
	}
	nf = split_fields(p, n, f, fl);
	if (*state == 1) {
		if (nf != 2 || !field_is(f[0], fl[0], "next") ||
		    parse_dec(f[1], fl[1], &m->next) != 0 || m->next == 0)
			return bad(err, path, line, "want 'next N'");
		*state = 2;
	} else if (*state == 2) {
		char s[16];

		if (nf != 2 || !field_is(f[0], fl[0], "strategy") || fl[1] >= sizeof(s))
			return bad(err, path, line, "want 'strategy S'");
		memcpy(s, f[1], fl[1]);
		s[fl[1]] = '\0';
		if (sst_strategy_parse(s, &m->strategy) != 0)
			return bad(err, path, line, "unknown strategy");
		*state = 3;
	} else if (nf == 3 && field_is(f[0], fl[0], "option")) {
		if (m->n > 0)
			return bad(err, path, line, "option after table");
		return parse_option(m, f, fl, path, line, err);
	} else if (nf == 4 && field_is(f[0], fl[0], "table")) {
		return parse_table(m, f, fl, path, line, err);
	} else {
		return bad(err, path, line, "unknown line");
	}
	return SST_OK;
}

int
sst_manifest_parse(const uint8_t *buf, size_t len, const char *path,
    sst_manifest *m, sst_err *err)
{
	const char *s = (const char *)buf;
	const char *ck;
	size_t body, i, start;
	uint64_t line = 1;
	char want[32];
	int state = 0, rc;

	manifest_init(m);
	if (len == 0)
		return sst_error(err, SST_EDATA, "%s: empty manifest", path);
	if (len > MANIFEST_MAX)
		return sst_error(err, SST_EDATA, "%s: manifest too large", path);
	/* The last line is "checksum XXXXXXXX\n" (18 bytes). */
	if (len < 18 || s[len - 1] != '\n' || memcmp(s + len - 18, "checksum ", 9) != 0 ||
	    (len > 18 && s[len - 19] != '\n'))
		return sst_error(err, SST_EDATA, "%s: damaged manifest: no checksum line "
		    "(torn or truncated)", path);
	body = len - 18;
	ck = s + body + 9;
	snprintf(want, sizeof(want), "%08" PRIx32, sst_checksum(buf, body, 0));
	if (memcmp(ck, want, 8) != 0)
		return sst_error(err, SST_EDATA, "%s: damaged manifest: checksum mismatch", path);
	for (start = 0, i = 0; i < body; i++) {
		if (s[i] != '\n')
			continue;
		rc = parse_line(m, s + start, i - start, &state, path, line, err);
		if (rc != SST_OK) {
			sst_manifest_free(m);
			return rc;
		}
		line++;
		start = i + 1;
	}
	if (state != 3) {
		sst_manifest_free(m);
		return bad(err, path, line, "missing header lines");
	}
	return SST_OK;
}

static int
path_join(char *out, size_t cap, const char *dir, const char *name, sst_err *err)
{
	if ((size_t)snprintf(out, cap, "%s/%s", dir, name) >= cap)
		return sst_error(err, SST_ESYS, "%s/%s: path too long", dir, name);
	return SST_OK;
}

/* Reads DIR/MANIFEST into a malloc'd buffer. */
static int
read_manifest_bytes(const char *dir, uint8_t **buf, size_t *len, sst_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	uint8_t *b;
	int fd, rc;

	*buf = NULL;
	*len = 0;
	if ((rc = path_join(path, sizeof(path), dir, "MANIFEST", err)) != SST_OK)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return sst_error(err, SST_EDATA, "%s: not a store (no MANIFEST)", dir);
		return sst_syserr(err, "%s", path);
	}
	if (fstat(fd, &st) != 0) {
		rc = sst_syserr(err, "%s: stat", path);
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MANIFEST_MAX) {
		close(fd);
		return sst_error(err, SST_EDATA, "%s: not a manifest file (or too large)", path);
	}
	if ((b = sst_malloc((size_t)st.st_size + 1, err)) == NULL) {
		close(fd);
		return SST_ESYS;
	}
	rc = sst_pread_full(fd, b, (size_t)st.st_size, 0, path, err);
	close(fd);
	if (rc != SST_OK) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = (size_t)st.st_size;
	return SST_OK;
}

int
sst_manifest_read(const char *dir, sst_manifest *m, sst_err *err)
{
	char path[PATH_MAX];
	uint8_t *buf;
	size_t len;
	int rc;

	manifest_init(m);
	if ((rc = read_manifest_bytes(dir, &buf, &len, err)) != SST_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	rc = sst_manifest_parse(buf, len, path, m, err);
	free(buf);
	return rc;
}

int
sst_manifest_format(const sst_manifest *m, char **out, size_t *len, sst_err *err)
{
	sst_buf b = SST_BUF_INIT;
	char line[128];
	size_t i;
	int n, rc = SST_OK;

#define EMIT(...) do { \
	n = snprintf(line, sizeof(line), __VA_ARGS__); \
	if ((rc = sst_buf_append(&b, line, (size_t)n, err)) != SST_OK) goto fail; \
} while (0)
	EMIT("%s\nnext %" PRIu64 "\nstrategy %s\n", MAGIC_LINE, m->next,
	    sst_strategy_name(m->strategy));
	for (i = 0; i < NKNOBS; i++) {
		uint64_t v = *knob_ptr((sst_store_knobs *)&m->knobs, i);

		if ((m->knobs_set & (UINT64_C(1) << i)) || v != knob_defs[i].def)
			EMIT("option %s %" PRIu64 "\n", knob_defs[i].name, v);
	}
	for (i = 0; i < m->n; i++)
		EMIT("table %s %d %" PRIu64 "\n", m->t[i].name, m->t[i].level, m->t[i].size);
	EMIT("checksum %08" PRIx32 "\n", sst_checksum(b.p, b.len, 0));
#undef EMIT
	*out = (char *)b.p;
	*len = b.len;
	return SST_OK;
fail:
	sst_buf_free(&b);
	return rc;
}

/* *published: the new MANIFEST is in place, even if rc is an error. */
static int
manifest_write(const char *dir, const sst_manifest *m, int *published, sst_err *err)
{
	char path[PATH_MAX];
	sst_out o;
	char *buf;
	size_t len;
	int rc;

	*published = 0;
	if ((rc = path_join(path, sizeof(path), dir, "MANIFEST", err)) != SST_OK)
		return rc;
	if ((rc = sst_manifest_format(m, &buf, &len, err)) != SST_OK)
		return rc;
	rc = sst_out_open(&o, path, err);
	if (rc == SST_OK) {
		rc = sst_out_write(&o, buf, len, err);
		if (rc == SST_OK) {
			rc = sst_out_commit(&o, err);
			*published = o.published;
		} else
			sst_out_abort(&o);
	}
	free(buf);
	return rc;
}

/* ---- readers ---- */

int
sst_store_is(const char *path)
{
	char p[PATH_MAX];
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	if ((size_t)snprintf(p, sizeof(p), "%s/MANIFEST", path) >= sizeof(p))
		return 0;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void
sst_store_tables_free(sst_table **tables, size_t n)
{
	size_t i;

	if (tables == NULL)
		return;
	for (i = 0; i < n; i++)
		sst_table_close(&tables[i]);
	free(tables);
}

static int
same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Opens every table of m; -1 (err set) when a listed table is missing. */
static int
open_manifest_tables(const char *dir, const sst_manifest *m, sst_table ***tables,
    size_t *n, sst_err *err)
{
	char path[PATH_MAX];
	sst_table **t;
	size_t i;
	int rc = SST_OK;

	if ((t = sst_calloc(m->n ? m->n : 1, sizeof(*t), err)) == NULL)
		return SST_ESYS;
	for (i = 0; i < m->n; i++) {
		struct stat st;

		if ((rc = path_join(path, sizeof(path), dir, m->t[i].name, err)) != SST_OK)
			break;
		rc = sst_table_open(&t[i], path, err);
		if (rc != SST_OK) {
			if (stat(path, &st) != 0 && errno == ENOENT) {
				rc = -1;
				sst_error(err, SST_EDATA, "%s: table listed in the manifest "
				    "is missing", path);
			}
			break;
		}
	}
	if (rc != SST_OK) {
		sst_store_tables_free(t, i);
		return rc;
	}
	*tables = t;
	*n = i;
	return SST_OK;
}

/* One attempt over the manifest bytes in buf (see open_manifest_tables). */
static int
open_attempt(const char *dir, const uint8_t *buf, size_t len, sst_table ***tables,
    size_t *n, sst_err *err)
{
	char mpath[PATH_MAX];
	sst_manifest m;
	int rc;

	snprintf(mpath, sizeof(mpath), "%s/MANIFEST", dir);
	if ((rc = sst_manifest_parse(buf, len, mpath, &m, err)) != SST_OK)
		return rc;
	rc = open_manifest_tables(dir, &m, tables, n, err);
	sst_manifest_free(&m);
	return rc;
}

int
sst_store_open_tables(const char *dir, sst_table ***tables, size_t *n, sst_err *err)
{
	uint8_t *buf = NULL, *prev = NULL;
	size_t len = 0, plen = 0;
	int tries, rc = SST_EDATA;

	*tables = NULL;
	*n = 0;
	for (tries = 0; tries < 1000; tries++) {
		if ((rc = read_manifest_bytes(dir, &buf, &len, err)) != SST_OK)
			break;
		if (prev != NULL && same_bytes(prev, plen, buf, len)) {
			/* Unchanged manifest, table still missing: damage. */
			rc = open_attempt(dir, buf, len, tables, n, err);
			if (rc == -1)
				rc = SST_EDATA;
			break;
		}
		rc = open_attempt(dir, buf, len, tables, n, err);
		if (rc != -1)
			break;
		free(prev);
		prev = buf;
		plen = len;
		buf = NULL;
	}
	free(buf);
	free(prev);
	if (rc == -1)
		rc = SST_EDATA;
	return rc;
}

/* ---- the writer ---- */

static int
is_leftover_tmp(const char *name)
{
	uint64_t num;
	const char *t;

	if (name[0] != '.')
		return 0;
	if (strncmp(name, ".MANIFEST.tmp-", 14) == 0)
		return 1;
	t = strstr(name, ".sst.tmp-");
	return t != NULL && table_name_number(name + 1, (size_t)(t + 4 - (name + 1)), &num) == 0;
}

static int
listed(const sst_manifest *m, uint64_t num)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->t[i].number == num)
			return 1;
	return 0;
}

static int
remove_leftovers(sst_store *s, sst_err *err)
{
	char path[PATH_MAX];
	struct dirent *de;
	uint64_t num;
	DIR *d;
	int removed = 0;

	if ((d = opendir(s->dir)) == NULL)
		return sst_syserr(err, "%s: open directory", s->dir);
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		int tab = table_name_number(nm, strlen(nm), &num) == 0;

		if (!is_leftover_tmp(nm) && !(tab && !listed(&s->m, num)))
			continue;
		if (path_join(path, sizeof(path), s->dir, nm, err) != SST_OK)
			continue;
		if (unlink(path) == 0)
			removed++;
		if (tab && num >= s->next)
			s->next = num + 1;
	}
	closedir(d);
	if (removed)
		return sst_fsync_dir(s->dir, err);
	return SST_OK;
}

/* An existing directory may become a store only if it holds nothing but
 * leftovers of an interrupted creation. */
static int
dir_is_fresh(const char *dir, sst_err *err)
{
	struct dirent *de;
	DIR *d;
	int ok = 1;

	if ((d = opendir(dir)) == NULL)
		return sst_syserr(err, "%s: open directory", dir);
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;

		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0 || strcmp(nm, "LOCK") == 0 ||
		    strncmp(nm, ".MANIFEST.tmp-", 14) == 0)
			continue;
		ok = 0;
		break;
	}
	closedir(d);
	if (!ok)
		return sst_error(err, SST_EDATA, "%s: not a store (no MANIFEST) and not empty: "
		    "refusing to make it one", dir);
	return SST_OK;
}

static int
lock_store(sst_store *s, int create, int wait, sst_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	int rc;

	if (stat(s->dir, &st) != 0) {
		if (errno != ENOENT || !create)
			return errno == ENOENT ? sst_error(err, SST_EDATA, "%s: no such store", s->dir) :
			    sst_syserr(err, "%s", s->dir);
		if (mkdir(s->dir, 0777) == 0)
			s->made_dir = 1;
		else if (errno != EEXIST)
			return sst_syserr(err, "%s: cannot create store directory", s->dir);
		if ((rc = sst_fsync_dir(s->dir, err)) != SST_OK ||
		    (rc = path_join(path, sizeof(path), s->dir, "..", err)) != SST_OK ||
		    (rc = sst_fsync_dir(path, err)) != SST_OK)
			return rc;
	} else if (!S_ISDIR(st.st_mode)) {
		return sst_error(err, SST_EDATA, "%s: not a store (not a directory)", s->dir);
	}
	if (!create && !sst_store_is(s->dir))
		return sst_error(err, SST_EDATA, "%s: not a store (no MANIFEST)", s->dir);
	if ((rc = path_join(path, sizeof(path), s->dir, "LOCK", err)) != SST_OK)
		return rc;
	s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (s->lockfd < 0)
		return sst_syserr(err, "%s", path);
	while (flock(s->lockfd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			s->contended = 1;
			return sst_error(err, SST_ELOCKED, "%s: store is locked by another writer "
			    "(try again later, or --wait)", s->dir);
		}
		return sst_syserr(err, "%s: flock", path);
	}
	return SST_OK;
}

int
sst_store_open_writer(sst_store **sp, const char *dir, int create, int wait, sst_err *err)
{
	sst_store *s;
	int rc;

	*sp = NULL;
	if ((s = sst_calloc(1, sizeof(*s), err)) == NULL)
		return SST_ESYS;
	s->lockfd = -1;
	manifest_init(&s->m);
	if ((s->dir = strdup(dir)) == NULL) {
		free(s);
		return sst_nomem(err, dir);
	}
	rc = lock_store(s, create, wait, err);
	if (rc == SST_OK && !sst_store_is(dir)) {
		int published;

		if ((rc = dir_is_fresh(dir, err)) == SST_OK) {
			s->made_store = 1;
			rc = manifest_write(dir, &s->m, &published, err);
		}
	}
	if (rc == SST_OK) {
		sst_manifest_free(&s->m);
		rc = sst_manifest_read(dir, &s->m, err);
	}
	if (rc == SST_OK) {
		s->next = s->m.next;
		rc = remove_leftovers(s, err);
	}
	/* Skip past the numbers of removed leftovers too. */
	if (rc == SST_OK && s->next > s->m.next) {
		sst_manifest m;

		if ((rc = sst_manifest_copy(&m, &s->m, err)) == SST_OK) {
			rc = sst_store_commit(s, &m, err);
			sst_manifest_free(&m);
		}
	}
	if (rc != SST_OK) {
		sst_store_discard(&s);
		return rc;
	}
	*sp = s;
	return SST_OK;
}

/* A name a store writer makes: MANIFEST, LOCK, a table, a temporary file. */
static int
is_store_file(const char *name)
{
	uint64_t num;

	return strcmp(name, "MANIFEST") == 0 || strcmp(name, "LOCK") == 0 ||
	    is_leftover_tmp(name) || table_name_number(name, strlen(name), &num) == 0;
}

/*
 * Undoes the creation of a store that lists no table: removes its files
 * (only if the directory holds nothing else), and the directory if this
 * writer made it. Best effort: what cannot be removed stays, a valid
 * empty store or a directory the next creation accepts.
 */
static void
remove_created(sst_store *s)
{
	char path[PATH_MAX];
	struct dirent *de;
	sst_err e;
	DIR *d;
	int foreign = 0, pass;

	if ((d = opendir(s->dir)) == NULL)
		return;
	for (pass = 0; pass < 2 && !foreign; pass++) {
		rewinddir(d);
		while ((de = readdir(d)) != NULL) {
			const char *nm = de->d_name;

			if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
				continue;
			if (!is_store_file(nm)) {
				foreign = 1;
				break;
			}
			/* pass 1 removes; MANIFEST last but one, LOCK last */
			if (pass == 1 && strcmp(nm, "MANIFEST") != 0 && strcmp(nm, "LOCK") != 0 &&
			    path_join(path, sizeof(path), s->dir, nm, &e) == SST_OK)
				unlink(path);
		}
	}
	closedir(d);
	if (foreign)
		return;
	if (path_join(path, sizeof(path), s->dir, "MANIFEST", &e) != SST_OK ||
	    (unlink(path) != 0 && errno != ENOENT))
		return;
	if (path_join(path, sizeof(path), s->dir, "LOCK", &e) == SST_OK)
		unlink(path);
	if (s->made_dir && rmdir(s->dir) == 0 &&
	    path_join(path, sizeof(path), s->dir, "..", &e) == SST_OK)
		sst_fsync_dir(path, &e);
	else
		sst_fsync_dir(s->dir, &e);
}

void
sst_store_discard(sst_store **sp)
{
	sst_store *s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	if (s->made_store && s->m.n == 0 && s->lockfd >= 0)
		remove_created(s);
	else if (s->made_dir && !s->contended) {
		/* made here, and its lock failed: LOCK is ours too */
		char path[PATH_MAX];
		sst_err e;

		if (path_join(path, sizeof(path), s->dir, "LOCK", &e) == SST_OK)
			unlink(path);
		rmdir(s->dir);	/* only if empty */
	}
	sst_store_close(sp);
}

int
sst_store_new_table(sst_store *s, char **path, sst_err *err)
{
	char name[32], p[PATH_MAX];
	int rc;

	snprintf(name, sizeof(name), "%06" PRIu64 ".sst", s->next);
	if ((rc = path_join(p, sizeof(p), s->dir, name, err)) != SST_OK)
		return rc;
	if ((*path = strdup(p)) == NULL)
		return sst_nomem(err, p);
	s->next++;
	return SST_OK;
}

const sst_manifest *
sst_store_manifest(const sst_store *s)
{
	return &s->m;
}

const char *
sst_store_dir(const sst_store *s)
{
	return s->dir;
}

int
sst_store_commit(sst_store *s, const sst_manifest *m, sst_err *err)
{
	char path[PATH_MAX];
	sst_manifest nm;
	size_t i;
	int rc, published;

	if ((rc = sst_manifest_copy(&nm, m, err)) != SST_OK)
		return rc;
	if (nm.next < s->next)
		nm.next = s->next;
	if ((rc = manifest_write(s->dir, &nm, &published, err)) != SST_OK) {
		/*
		 * Renamed but not made durable: readers see nm now, so it is
		 * the store's state; the old tables stay, as a crash may yet
		 * bring the old manifest back (the next writer removes them).
		 */
		if (published) {
			sst_manifest_free(&s->m);
			s->m = nm;
		} else
			sst_manifest_free(&nm);
		return rc;
	}
	for (i = 0; i < s->m.n; i++) {
		if (listed(&nm, s->m.t[i].number))
			continue;
		if (path_join(path, sizeof(path), s->dir, s->m.t[i].name, err) == SST_OK)
			unlink(path);
	}
	sst_manifest_free(&s->m);
	s->m = nm;
	return SST_OK;
}

int
sst_store_lists(const sst_store *s, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *nm = slash ? slash + 1 : path;
	uint64_t num;

	return table_name_number(nm, strlen(nm), &num) == 0 && listed(&s->m, num);
}

/* The file name part of path, which must be directly inside the store. */
static int
entry_of_path(sst_store *s, const char *path, const char **name, uint64_t *num,
    uint64_t *size, sst_err *err)
{
	const char *slash = strrchr(path, '/');
	const char *nm = slash ? slash + 1 : path;
	struct stat st;

	if (table_name_number(nm, strlen(nm), num) != 0 || *num >= s->next || listed(&s->m, *num))
		return sst_error(err, SST_EUSAGE, "%s: not a new table of store %s", path, s->dir);
	if (stat(path, &st) != 0)
		return sst_syserr(err, "%s", path);
	*name = nm;
	*size = (uint64_t)st.st_size;
	return SST_OK;
}

int
sst_store_add(sst_store *s, char *const *paths, size_t n, sst_err *err)
{
	sst_manifest m;
	size_t i;
	int rc;

	if ((rc = sst_manifest_copy(&m, &s->m, err)) != SST_OK)
		return rc;
	for (i = 0; i < n && rc == SST_OK; i++) {
		const char *name = NULL;
		uint64_t num = 0, size = 0;

		rc = entry_of_path(s, paths[i], &name, &num, &size, err);
		if (rc == SST_OK)
			rc = sst_manifest_push(&m, name, num, 0, size, err);
	}
	if (rc == SST_OK)
		rc = sst_store_commit(s, &m, err);
	sst_manifest_free(&m);
	return rc;
}

void
sst_store_close(sst_store **sp)
{
	sst_store *s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	if (s->lockfd >= 0)
		close(s->lockfd);
	sst_manifest_free(&s->m);
	free(s->dir);
	free(s);
	*sp = NULL;
}

/* ---- verify and info ---- */

typedef struct tinfo {
	sst_props p;
	sst_table *t;
	int have;
} tinfo;

static int
key_lt(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return sst_keycmp(a, an, b, bn) < 0;
}

/* Level rules over entries with their props (empty tables are ignored). */
static int
check_levels(const char *dir, const sst_manifest *m, const tinfo *ti, sst_err *err)
{
	size_t i, prev = SIZE_MAX;
	int lastlev = SST_STORE_MAX_LEVEL + 1;

	for (i = 0; i < m->n; i++) {
		const sst_store_entry *e = &m->t[i];

		if (e->level > lastlev)
			return sst_error(err, SST_NOTFOUND, "%s/MANIFEST: %s: level %d listed "
			    "after level %d (deeper levels must come first)", dir, e->name,
			    e->level, lastlev);
		if (e->level != lastlev)
			prev = SIZE_MAX;
		lastlev = e->level;
		if (e->level == 0 || ti[i].p.records == 0)
			continue;
		if (prev != SIZE_MAX && !key_lt(ti[prev].p.largest, ti[prev].p.largest_len,
		    ti[i].p.smallest, ti[i].p.smallest_len))
			return sst_error(err, SST_NOTFOUND, "%s/MANIFEST: level %d: %s overlaps "
			    "or is out of order with %s", dir, e->level, e->name,
			    m->t[prev].name);
		prev = i;
	}
	return SST_OK;
}

static void
tinfo_free(tinfo *ti, size_t n)
{
	size_t i;

	if (ti == NULL)
		return;
	for (i = 0; i < n; i++)
		sst_table_close(&ti[i].t);
	free(ti);
}

/* One pass of verify; -1 when a table vanished and the manifest changed. */
static int
verify_once(const char *dir, const uint8_t *buf, size_t len, sst_err *err)
{
	char mpath[PATH_MAX], path[PATH_MAX];
	sst_manifest m;
	tinfo *ti;
	size_t i;
	int rc;

	snprintf(mpath, sizeof(mpath), "%s/MANIFEST", dir);
	if ((rc = sst_manifest_parse(buf, len, mpath, &m, err)) != SST_OK)
		return rc == SST_EDATA ? SST_NOTFOUND : rc;
	if ((ti = sst_calloc(m.n ? m.n : 1, sizeof(*ti), err)) == NULL) {
		sst_manifest_free(&m);
		return SST_ESYS;
	}
	for (i = 0; i < m.n && rc == SST_OK; i++) {
		struct stat st;

		if ((rc = path_join(path, sizeof(path), dir, m.t[i].name, err)) != SST_OK)
			break;
		if (stat(path, &st) != 0) {
			rc = errno == ENOENT ? -1 : sst_syserr(err, "%s", path);
			if (rc == -1)
				sst_error(err, SST_NOTFOUND, "%s: table listed in the manifest is "
				    "missing", path);
			break;
		}
		if ((uint64_t)st.st_size != m.t[i].size) {
			rc = sst_error(err, SST_NOTFOUND, "%s: size %llu, but the manifest says "
			    "%" PRIu64, path, (unsigned long long)st.st_size, m.t[i].size);
			break;
		}
		rc = sst_table_verify(path, &ti[i].p, err);
		if (rc == SST_EDATA)
			rc = SST_NOTFOUND;
		if (rc == SST_OK)
			rc = sst_table_open(&ti[i].t, path, err);
		if (rc == SST_OK)
			rc = sst_table_props(ti[i].t, &ti[i].p, err);
		if (rc == SST_EDATA)
			rc = SST_NOTFOUND;
	}
	if (rc == SST_OK)
		rc = check_levels(dir, &m, ti, err);
	tinfo_free(ti, m.n);
	sst_manifest_free(&m);
	return rc;
}

int
sst_store_verify(const char *dir, sst_err *err)
{
	uint8_t *buf = NULL, *prev = NULL;
	size_t len = 0, plen = 0;
	int tries, rc = SST_OK;

	for (tries = 0; tries < 1000; tries++) {
		if ((rc = read_manifest_bytes(dir, &buf, &len, err)) != SST_OK)
			break;
		rc = verify_once(dir, buf, len, err);
		if (rc != -1 || (prev != NULL && same_bytes(prev, plen, buf, len)))
			break;
		free(prev);
		prev = buf;
		plen = len;
		buf = NULL;
	}
	free(buf);
	free(prev);
	if (rc == -1 || rc == SST_EDATA)
		rc = SST_NOTFOUND;
	return rc;
}

/* Key bytes for text: printable ASCII as is, others (and backslash) as \xHH. */
static void
print_key_text(FILE *out, const uint8_t *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (k[i] >= 0x21 && k[i] < 0x7f && k[i] != '\\')
			fputc(k[i], out);
		else
			fprintf(out, "\\x%02x", k[i]);
	}
}

/* JSON string: bytes >= 0x80 are taken as Latin-1 (\u00HH). */
static void
print_json_str(FILE *out, const uint8_t *k, size_t n)
{
	size_t i;

	fputc('"', out);
	for (i = 0; i < n; i++) {
		if (k[i] == '"' || k[i] == '\\')
			fprintf(out, "\\%c", k[i]);
		else if (k[i] < 0x20 || k[i] >= 0x7f)
			fprintf(out, "\\u%04x", k[i]);
		else
			fputc(k[i], out);
	}
	fputc('"', out);
}

static void
print_info_text(FILE *out, const char *dir, const sst_manifest *m, const tinfo *ti)
{
	uint64_t bytes = 0, recs = 0;
	size_t i;
	int lev;

	for (i = 0; i < m->n; i++) {
		bytes += m->t[i].size;
		recs += ti[i].p.records;
	}
	fprintf(out, "store: %s\nstrategy: %s\n", dir, sst_strategy_name(m->strategy));
	fprintf(out, "options:");
	for (i = 0; i < NKNOBS; i++)
		fprintf(out, " %s=%" PRIu64, knob_defs[i].name,
		    *knob_ptr((sst_store_knobs *)&m->knobs, i));
	fprintf(out, "\nnext table: %06" PRIu64 ".sst\ntables: %zu\nrecords: %" PRIu64
	    "\nbytes: %" PRIu64 "\n", m->next, m->n, recs, bytes);
	for (lev = 0; lev <= SST_STORE_MAX_LEVEL; lev++) {
		uint64_t lb = 0;
		size_t ln = 0;

		for (i = 0; i < m->n; i++)
			if (m->t[i].level == lev) {
				ln++;
				lb += m->t[i].size;
			}
		if (ln)
			fprintf(out, "level %d: %zu tables, %" PRIu64 " bytes\n", lev, ln, lb);
	}
	for (i = 0; i < m->n; i++) {
		fprintf(out, "table %s level %d size %" PRIu64 " records %" PRIu64
		    " deletes %" PRIu64 " keys ", m->t[i].name, m->t[i].level, m->t[i].size,
		    ti[i].p.records, ti[i].p.deletes);
		print_key_text(out, ti[i].p.smallest, ti[i].p.smallest_len);
		fprintf(out, " .. ");
		print_key_text(out, ti[i].p.largest, ti[i].p.largest_len);
		fputc('\n', out);
	}
}

static void
print_info_json(FILE *out, const char *dir, const sst_manifest *m, const tinfo *ti)
{
	size_t i;

	fprintf(out, "{\"store\":");
	print_json_str(out, (const uint8_t *)dir, strlen(dir));
	fprintf(out, ",\"format_version\":1,\"strategy\":\"%s\",\"next\":%" PRIu64
	    ",\"options\":{", sst_strategy_name(m->strategy), m->next);
	for (i = 0; i < NKNOBS; i++)
		fprintf(out, "%s\"%s\":%" PRIu64, i ? "," : "", knob_defs[i].name,
		    *knob_ptr((sst_store_knobs *)&m->knobs, i));
	fprintf(out, "},\"tables\":[");
	for (i = 0; i < m->n; i++) {
		fprintf(out, "%s{\"name\":\"%s\",\"level\":%d,\"size\":%" PRIu64 ",\"records\":%"
		    PRIu64 ",\"deletes\":%" PRIu64 ",\"smallest\":", i ? "," : "",
		    m->t[i].name, m->t[i].level, m->t[i].size, ti[i].p.records,
		    ti[i].p.deletes);
		print_json_str(out, ti[i].p.smallest, ti[i].p.smallest_len);
		fprintf(out, ",\"largest\":");
		print_json_str(out, ti[i].p.largest, ti[i].p.largest_len);
		fputc('}', out);
	}
	fprintf(out, "]}\n");
}

int
sst_store_info(const char *dir, FILE *out, int json, sst_err *err)
{
	char mpath[PATH_MAX];
	sst_manifest m;
	sst_table **t;
	tinfo *ti;
	size_t n, i;
	uint8_t *buf;
	size_t len;
	int tries, rc;

	/* Open the tables first (consistent view), then the manifest they came
	 * from may have moved on: re-read until both agree. */
	for (tries = 0;; tries++) {
		if ((rc = read_manifest_bytes(dir, &buf, &len, err)) != SST_OK)
			return rc;
		snprintf(mpath, sizeof(mpath), "%s/MANIFEST", dir);
		rc = sst_manifest_parse(buf, len, mpath, &m, err);
		free(buf);
		if (rc != SST_OK)
			return rc;
		rc = open_manifest_tables(dir, &m, &t, &n, err);
		if (rc != -1 || tries >= 1000)
			break;
		sst_manifest_free(&m);
	}
	if (rc != SST_OK) {
		sst_manifest_free(&m);
		return rc == -1 ? SST_EDATA : rc;
	}
	if ((ti = sst_calloc(n ? n : 1, sizeof(*ti), err)) == NULL) {
		sst_store_tables_free(t, n);
		sst_manifest_free(&m);
		return SST_ESYS;
	}
	for (i = 0; i < n && rc == SST_OK; i++)
		rc = sst_table_props(t[i], &ti[i].p, err);
	if (rc == SST_OK) {
		if (json)
			print_info_json(out, dir, &m, ti);
		else
			print_info_text(out, dir, &m, ti);
		if (fflush(out) != 0 || ferror(out))
			rc = sst_syserr(err, "write");
	}
	free(ti);
	sst_store_tables_free(t, n);
	sst_manifest_free(&m);
	return rc;
}
