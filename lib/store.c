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
#include "store_int.h"
#include "util.h"

#define MANIFEST_MAX	(256u << 20)
#define TABLES_MAX	1000000u
#define MAGIC_V1	"sstkit-store 1"
#define MAGIC_V2	"sstkit-store 2"
#define SNAP_PREFIX	".MANIFEST.snap-"

struct sst_store {
	char *dir;
	int lockfd;
	int made_dir;		/* this writer made the directory */
	int made_store;		/* ... or wrote the first manifest */
	sst_manifest m;
	uint64_t next;		/* numbers handed out; >= m.next */
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

const char *
sst_store_knob_name(size_t i)
{
	return i < NKNOBS ? knob_defs[i].name : NULL;
}

uint64_t
sst_store_knob_get(const sst_store_knobs *k, size_t i)
{
	return i < NKNOBS ? *knob_ptr((sst_store_knobs *)k, i) : 0;
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

	for (i = 0; i < m->n; i++) {
		free(m->t[i].name);
		free(m->t[i].lo);
		free(m->t[i].hi);
	}
	free(m->t);
	m->t = NULL;
	m->n = 0;
}

void
sst_manifest_init(sst_manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->version = SST_STORE_VERSION;
	m->next = 1;
	m->strategy = SST_STRATEGY_SIZE_TIERED;
	sst_store_knobs_default(&m->knobs);
}

static int
dup_key(uint8_t **dst, const uint8_t *k, size_t n, sst_err *err)
{
	*dst = NULL;
	if (k == NULL)
		return SST_OK;
	if ((*dst = sst_malloc(n ? n : 1, err)) == NULL)
		return SST_ESYS;
	memcpy(*dst, k, n);
	return SST_OK;
}

int
sst_manifest_push_entry(sst_manifest *m, const sst_store_entry *e, sst_err *err)
{
	sst_store_entry *t, c;

	memset(&c, 0, sizeof(c));
	c = *e;
	c.name = NULL;
	c.lo = c.hi = NULL;
	if ((c.name = strdup(e->name)) == NULL)
		return sst_nomem(err, "manifest");
	if (dup_key(&c.lo, e->lo, e->lolen, err) != SST_OK ||
	    dup_key(&c.hi, e->hi, e->hilen, err) != SST_OK ||
	    (t = sst_realloc(m->t, (m->n + 1) * sizeof(*t), err)) == NULL) {
		free(c.name);
		free(c.lo);
		free(c.hi);
		return SST_ESYS;
	}
	m->t = t;
	t[m->n++] = c;
	return SST_OK;
}

int
sst_manifest_push(sst_manifest *m, const char *name, uint64_t number, int level,
    uint64_t size, sst_err *err)
{
	sst_store_entry e;

	memset(&e, 0, sizeof(e));
	e.name = (char *)name;
	e.number = number;
	e.level = level;
	e.size = size;
	return sst_manifest_push_entry(m, &e, err);
}

int
sst_store_entry_set_range(sst_store_entry *e, const sst_props *p, sst_err *err)
{
	uint8_t *lo = NULL, *hi = NULL;

	if (p->records > 0 && (dup_key(&lo, p->smallest, p->smallest_len, err) != SST_OK ||
	    dup_key(&hi, p->largest, p->largest_len, err) != SST_OK)) {
		free(lo);
		return SST_ESYS;
	}
	free(e->lo);
	free(e->hi);
	e->lo = lo;
	e->hi = hi;
	e->lolen = lo ? p->smallest_len : 0;
	e->hilen = hi ? p->largest_len : 0;
	e->records = p->records;
	e->ranged = 1;
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
		if ((rc = sst_manifest_push_entry(dst, &src->t[i], err)) != SST_OK) {
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

#define MAXF 7

/* Splits line [p, p+n) into at most MAXF space-separated fields (MAXF + 1: more). */
static size_t
split_fields(const char *p, size_t n, const char *f[MAXF], size_t fl[MAXF])
{
	size_t nf = 0, i = 0;

	while (i <= n) {
		size_t s = i;

		while (i < n && p[i] != ' ')
			i++;
		if (nf == MAXF)
			return MAXF + 1;
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
parse_option(sst_manifest *m, const char **f, const size_t *fl, const char *path,
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
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes a key in lower-case hex (1 .. SST_MAX_KEY bytes); 0 or -1. */
static int
parse_hex_key(const char *p, size_t n, uint8_t **out, size_t *len)
{
	size_t i;
	uint8_t *k;

	if (n == 0 || n % 2 != 0 || n / 2 > SST_MAX_KEY)
		return -1;
	if ((k = malloc(n / 2)) == NULL)
		return -1;
	for (i = 0; i < n; i += 2) {
		int h = hexval(p[i]), l = hexval(p[i + 1]);

		if (h < 0 || l < 0) {
			free(k);
			return -1;
		}
		k[i / 2] = (uint8_t)(h << 4 | l);
	}
	*out = k;
	*len = n / 2;
	return 0;
}

/* The range fields of a version-2 table line: RECORDS SMALLEST LARGEST. */
static int
parse_range(sst_store_entry *e, const char **f, const size_t *fl, const char *path,
    uint64_t line, sst_err *err)
{
	if (parse_dec(f[4], fl[4], &e->records) != 0)
		return bad(err, path, line, "bad record count");
	e->ranged = 1;
	if (e->records == 0) {
		if (!field_is(f[5], fl[5], "-") || !field_is(f[6], fl[6], "-"))
			return bad(err, path, line, "an empty table has no keys ('- -')");
		return SST_OK;
	}
	if (parse_hex_key(f[5], fl[5], &e->lo, &e->lolen) != 0 ||
	    parse_hex_key(f[6], fl[6], &e->hi, &e->hilen) != 0)
		return bad(err, path, line, "bad key (want 2 to 131072 lower-case hex digits)");
	if (sst_keycmp(e->lo, e->lolen, e->hi, e->hilen) > 0 ||
	    (e->records == 1 && sst_keycmp(e->lo, e->lolen, e->hi, e->hilen) != 0))
		return bad(err, path, line, "smallest key above largest");
	return SST_OK;
}

static int
parse_table(sst_manifest *m, const char **f, const size_t *fl, const char *path,
    uint64_t line, sst_err *err)
{
	uint64_t num, level, size;
	sst_store_entry e;
	char name[32];
	int rc;

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
	memcpy(name, f[1], fl[1]);
	name[fl[1]] = '\0';
	memset(&e, 0, sizeof(e));
	e.name = name;
	e.number = num;
	e.level = (int)level;
	e.size = size;
	rc = m->version >= 2 ? parse_range(&e, f, fl, path, line, err) : SST_OK;
	if (rc == SST_OK)
		rc = sst_manifest_push_entry(m, &e, err);
	free(e.lo);
	free(e.hi);
	return rc;
}

/* Parses one line (no LF); *state: 0 magic, 1 next, 2 strategy, 3 body. */
static int
parse_line(sst_manifest *m, const char *p, size_t n, int *state, const char *path,
    uint64_t line, sst_err *err)
{
	const char *f[MAXF];
	size_t fl[MAXF], nf;

	if (*state == 0) {
		if (n == strlen(MAGIC_V1) && memcmp(p, MAGIC_V1, n) == 0)
			m->version = 1;
		else if (n == strlen(MAGIC_V2) && memcmp(p, MAGIC_V2, n) == 0)
			m->version = 2;
		else
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
	} else if (nf == (m->version >= 2 ? 7u : 4u) && field_is(f[0], fl[0], "table")) {
		return parse_table(m, f, fl, path, line, err);
	} else {
		return bad(err, path, line, "unknown line");
	}
	return SST_OK;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* No table listed twice (sorted numbers: n log n for any number of tables). */
static int
no_twice(const sst_manifest *m, const char *path, sst_err *err)
{
	uint64_t *v;
	size_t i;
	int rc = SST_OK;

	if (m->n < 2)
		return SST_OK;
	if ((v = sst_malloc(m->n * sizeof(*v), err)) == NULL)
		return SST_ESYS;
	for (i = 0; i < m->n; i++)
		v[i] = m->t[i].number;
	qsort(v, m->n, sizeof(*v), cmp_u64);
	for (i = 1; i < m->n && rc == SST_OK; i++)
		if (v[i] == v[i - 1])
			rc = sst_error(err, SST_EDATA, "%s: damaged manifest: table %06" PRIu64
			    ".sst listed twice", path, v[i]);
	free(v);
	return rc;
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

	sst_manifest_init(m);
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
	if ((rc = no_twice(m, path, err)) != SST_OK)
		sst_manifest_free(m);
	return rc;
}

int
sst_store_path_join(char *out, size_t cap, const char *dir, const char *name, sst_err *err)
{
	if ((size_t)snprintf(out, cap, "%s/%s", dir, name) >= cap)
		return sst_error(err, SST_ESYS, "%s/%s: path too long", dir, name);
	return SST_OK;
}

/* Reads the whole manifest file open at fd (path for messages). */
static int
read_fd_bytes(int fd, const char *path, uint8_t **buf, size_t *len, sst_err *err)
{
	struct stat st;
	uint8_t *b;
	int rc;

	*buf = NULL;
	*len = 0;
	if (fstat(fd, &st) != 0)
		return sst_syserr(err, "%s: stat", path);
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MANIFEST_MAX)
		return sst_error(err, SST_EDATA, "%s: not a manifest file (or too large)", path);
	if ((b = sst_malloc((size_t)st.st_size + 1, err)) == NULL)
		return SST_ESYS;
	if ((rc = sst_pread_full(fd, b, (size_t)st.st_size, 0, path, err)) != SST_OK) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = (size_t)st.st_size;
	return SST_OK;
}

/* Reads DIR/MANIFEST into a malloc'd buffer. */
static int
read_manifest_bytes(const char *dir, uint8_t **buf, size_t *len, sst_err *err)
{
	char path[PATH_MAX];
	int fd, rc;

	*buf = NULL;
	*len = 0;
	if ((rc = sst_store_path_join(path, sizeof(path), dir, "MANIFEST", err)) != SST_OK)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return sst_error(err, SST_EDATA, "%s: not a store (no MANIFEST)", dir);
		return sst_syserr(err, "%s", path);
	}
	rc = read_fd_bytes(fd, path, buf, len, err);
	close(fd);
	return rc;
}

int
sst_manifest_read(const char *dir, sst_manifest *m, sst_err *err)
{
	char path[PATH_MAX];
	uint8_t *buf;
	size_t len;
	int rc;

	sst_manifest_init(m);
	if ((rc = read_manifest_bytes(dir, &buf, &len, err)) != SST_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	rc = sst_manifest_parse(buf, len, path, m, err);
	free(buf);
	return rc;
}

static int
append_hex(sst_buf *b, const uint8_t *k, size_t n, sst_err *err)
{
	static const char hx[] = "0123456789abcdef";
	char chunk[256];
	size_t i, c = 0;
	int rc;

	for (i = 0; i < n; i++) {
		chunk[c++] = hx[k[i] >> 4];
		chunk[c++] = hx[k[i] & 15];
		if (c == sizeof(chunk) && (rc = sst_buf_append(b, chunk, c, err)) != SST_OK)
			return rc;
		if (c == sizeof(chunk))
			c = 0;
	}
	return c ? sst_buf_append(b, chunk, c, err) : SST_OK;
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
	EMIT("%s\nnext %" PRIu64 "\nstrategy %s\n", m->version >= 2 ? MAGIC_V2 : MAGIC_V1,
	    m->next, sst_strategy_name(m->strategy));
	for (i = 0; i < NKNOBS; i++) {
		uint64_t v = *knob_ptr((sst_store_knobs *)&m->knobs, i);

		if ((m->knobs_set & (UINT64_C(1) << i)) || v != knob_defs[i].def)
			EMIT("option %s %" PRIu64 "\n", knob_defs[i].name, v);
	}
	for (i = 0; i < m->n; i++) {
		const sst_store_entry *e = &m->t[i];

		if (m->version < 2) {
			EMIT("table %s %d %" PRIu64 "\n", e->name, e->level, e->size);
			continue;
		}
		if (!e->ranged) {
			rc = sst_error(err, SST_ESYS, "%s: no key range for the manifest", e->name);
			goto fail;
		}
		EMIT("table %s %d %" PRIu64 " %" PRIu64 " ", e->name, e->level, e->size,
		    e->records);
		if (e->records == 0 || e->lo == NULL) {
			EMIT("- -\n");
			continue;
		}
		if ((rc = append_hex(&b, e->lo, e->lolen, err)) != SST_OK)
			goto fail;
		EMIT(" ");
		if ((rc = append_hex(&b, e->hi, e->hilen, err)) != SST_OK)
			goto fail;
		EMIT("\n");
	}
	if (b.len > MANIFEST_MAX - 32) {
		rc = sst_error(err, SST_EDATA, "manifest would exceed %u bytes", MANIFEST_MAX);
		goto fail;
	}
	EMIT("checksum %08" PRIx32 "\n", sst_checksum(b.p, b.len, 0));
#undef EMIT
	*out = (char *)b.p;
	*len = b.len;
	return SST_OK;
fail:
	sst_buf_free(&b);
	return rc;
}

/*
 * Before MANIFEST is replaced, the old one gets a second name,
 * .MANIFEST.snap-INODE, so that the next writers can find the readers that
 * still hold it (formats/store.md, "Reading the store").
 */
static int
keep_old_manifest(const char *dir, const char *mpath, sst_err *err)
{
	char snap[PATH_MAX], name[64];
	struct stat st;

	if (stat(mpath, &st) != 0)
		return errno == ENOENT ? SST_OK : sst_syserr(err, "%s", mpath);
	snprintf(name, sizeof(name), SNAP_PREFIX "%llu", (unsigned long long)st.st_ino);
	if (sst_store_path_join(snap, sizeof(snap), dir, name, err) != SST_OK)
		return SST_ESYS;
	if (link(mpath, snap) != 0 && errno != EEXIST)
		return sst_syserr(err, "%s: link", snap);
	return SST_OK;
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
	if ((rc = sst_store_path_join(path, sizeof(path), dir, "MANIFEST", err)) != SST_OK)
		return rc;
	if ((rc = sst_manifest_format(m, &buf, &len, err)) != SST_OK)
		return rc;
	if ((rc = keep_old_manifest(dir, path, err)) != SST_OK) {
		free(buf);
		return rc;
	}
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

int
sst_store_check_path(const char *path, int *is_store, sst_err *err)
{
	struct stat st;

	*is_store = 0;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return SST_OK;
	if (!sst_store_is(path))
		return sst_error(err, SST_EDATA, "%s: not a store (no MANIFEST)", path);
	*is_store = 1;
	return SST_OK;
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

/* Opens DIR/NAME checking that it is there with the listed size. */
static int
open_listed(const char *dir, const sst_store_entry *e, sst_table **t, sst_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, rc;

	*t = NULL;
	if ((rc = sst_store_path_join(path, sizeof(path), dir, e->name, err)) != SST_OK)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return sst_error(err, SST_EDATA, "%s: table listed in the manifest is "
			    "missing", path);
		return sst_syserr(err, "%s", path);
	}
	if (fstat(fd, &st) != 0) {
		rc = sst_syserr(err, "%s", path);
		close(fd);
		return rc;
	}
	if ((uint64_t)st.st_size != e->size) {
		close(fd);
		return sst_error(err, SST_EDATA, "%s: size %llu, but the manifest says %" PRIu64,
		    path, (unsigned long long)st.st_size, e->size);
	}
	return sst_table_open_fd(t, fd, path, err);
}

/* Every table m lists is there with its listed size (stat only: no descriptor). */
static int
stat_listed(const char *dir, const sst_manifest *m, sst_err *err)
{
	char path[PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; i < m->n; i++) {
		struct stat st;

		if ((rc = sst_store_path_join(path, sizeof(path), dir, m->t[i].name, err)) != SST_OK)
			return rc;
		if (stat(path, &st) != 0)
			return errno == ENOENT ? sst_error(err, SST_EDATA, "%s: table listed in the "
			    "manifest is missing", path) : sst_syserr(err, "%s", path);
		if ((uint64_t)st.st_size != m->t[i].size)
			return sst_error(err, SST_EDATA, "%s: size %llu, but the manifest says %"
			    PRIu64, path, (unsigned long long)st.st_size, m->t[i].size);
	}
	return SST_OK;
}

/* Fills the key ranges of a version-1 manifest's entries from their tables. */
static int
fill_ranges(const char *dir, sst_manifest *m, sst_err *err)
{
	size_t i;
	int rc = SST_OK;

	for (i = 0; i < m->n && rc == SST_OK; i++) {
		sst_table *t;
		sst_props p;

		if (m->t[i].ranged)
			continue;
		if ((rc = open_listed(dir, &m->t[i], &t, err)) != SST_OK)
			break;
		rc = sst_table_props(t, &p, err);
		if (rc == SST_OK)
			rc = sst_store_entry_set_range(&m->t[i], &p, err);
		sst_table_close(&t);
	}
	return rc;
}

/*
 * Pins the current manifest: opens MANIFEST, takes flock(LOCK_SH|LOCK_NB)
 * on it and checks that the file still has a name (a writer that found it
 * unlocked may have dropped it: formats/store.md). Retries, bounded, when a
 * writer got in between; each retry means a writer committed. On success
 * *fd is the locked descriptor and the manifest's bytes are parsed into m.
 */
int
sst_store_pin_manifest(const char *dir, int *fdp, sst_manifest *m, sst_err *err)
{
	char path[PATH_MAX];
	int tries, fd = -1, rc;

	*fdp = -1;
	if ((rc = sst_store_path_join(path, sizeof(path), dir, "MANIFEST", err)) != SST_OK)
		return rc;
	for (tries = 0;; tries++) {
		struct stat st;
		uint8_t *b;
		size_t len;

		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				return sst_error(err, SST_EDATA, "%s: not a store (no MANIFEST)", dir);
			return sst_syserr(err, "%s", path);
		}
		if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
			if (errno != EWOULDBLOCK && errno != EINTR) {
				rc = sst_syserr(err, "%s: flock", path);
				close(fd);
				return rc;
			}
			st.st_nlink = 0;	/* a writer is dropping it: retry */
		} else if (fstat(fd, &st) != 0) {
			rc = sst_syserr(err, "%s: stat", path);
			close(fd);
			return rc;
		}
		if (st.st_nlink == 0) {
			close(fd);
			if (tries >= 100000)
				return sst_error(err, SST_ESYS, "%s: the manifest keeps changing",
				    path);
			continue;
		}
		rc = read_fd_bytes(fd, path, &b, &len, err);
		if (rc == SST_OK)
			rc = sst_manifest_parse(b, len, path, m, err);
		free(b);
		if (rc != SST_OK) {
			close(fd);
			return rc;
		}
		*fdp = fd;
		return SST_OK;
	}
}

int
sst_store_snap_open(sst_store_snap *s, const char *dir, sst_err *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	sst_manifest_init(&s->m);
	if ((s->dir = strdup(dir)) == NULL)
		return sst_nomem(err, dir);
	rc = sst_store_pin_manifest(dir, &s->fd, &s->m, err);
	if (rc == SST_OK)
		rc = stat_listed(dir, &s->m, err);
	if (rc == SST_OK)
		rc = fill_ranges(dir, &s->m, err);
	if (rc != SST_OK)
		sst_store_snap_close(s);
	return rc;
}

void
sst_store_snap_close(sst_store_snap *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	sst_manifest_free(&s->m);
	free(s->dir);
	s->dir = NULL;
}

int
sst_store_open_entry(const char *dir, const sst_store_entry *e, sst_table **t, sst_err *err)
{
	return open_listed(dir, e, t, err);
}

int
sst_store_snap_table(const sst_store_snap *s, size_t i, sst_table **t, sst_err *err)
{
	return open_listed(s->dir, &s->m.t[i], t, err);
}

int
sst_store_open_tables(const char *dir, sst_table ***tables, size_t *n, sst_err *err)
{
	sst_store_snap sn;
	sst_table **t;
	size_t i;
	int rc;

	*tables = NULL;
	*n = 0;
	if ((rc = sst_store_snap_open(&sn, dir, err)) != SST_OK)
		return rc;
	if ((t = sst_calloc(sn.m.n ? sn.m.n : 1, sizeof(*t), err)) == NULL) {
		sst_store_snap_close(&sn);
		return SST_ESYS;
	}
	for (i = 0; i < sn.m.n; i++)
		if ((rc = sst_store_snap_table(&sn, i, &t[i], err)) != SST_OK)
			break;
	if (rc != SST_OK)
		sst_store_tables_free(t, i);
	else {
		*tables = t;
		*n = i;
	}
	sst_store_snap_close(&sn);
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

/* Table numbers that readers still hold (sorted), or all of them. */
typedef struct numset {
	uint64_t *v;
	size_t n;
	int all;
} numset;

static int
numset_has(const numset *h, uint64_t num)
{
	return h->all || (h->n > 0 && bsearch(&num, h->v, h->n, sizeof(*h->v), cmp_u64) != NULL);
}

/* Adds the tables of a held snapshot (its bytes at fd) to h. */
static int
hold_snapshot(int fd, const char *path, numset *h, sst_err *err)
{
	sst_manifest m;
	uint64_t *v;
	uint8_t *b;
	size_t i, len;
	int rc;

	rc = read_fd_bytes(fd, path, &b, &len, err);
	if (rc == SST_OK)
		rc = sst_manifest_parse(b, len, path, &m, err);
	free(b);
	if (rc != SST_OK) {
		h->all = 1;	/* cannot tell which tables it holds: keep every one */
		return SST_OK;
	}
	if ((v = sst_realloc(h->v, (h->n + m.n + 1) * sizeof(*v), err)) == NULL) {
		sst_manifest_free(&m);
		return SST_ESYS;
	}
	h->v = v;
	for (i = 0; i < m.n; i++)
		v[h->n++] = m.t[i].number;
	sst_manifest_free(&m);
	return SST_OK;
}

/*
 * Visits the old manifests (.MANIFEST.snap-*): one that no reader holds
 * (flock(LOCK_EX|LOCK_NB) succeeds) is removed; the tables of those still
 * held go to h, with those of live. Never waits.
 */
static int
release_snapshots(sst_store *s, const sst_manifest *live, numset *h, sst_err *err)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t i;
	DIR *d;
	int rc = SST_OK;

	memset(h, 0, sizeof(*h));
	/* The live tables are kept too: h is the set of all tables to keep. */
	if ((h->v = sst_malloc((live->n + 1) * sizeof(*h->v), err)) == NULL)
		return SST_ESYS;
	for (i = 0; i < live->n; i++)
		h->v[h->n++] = live->t[i].number;
	if ((d = opendir(s->dir)) == NULL) {
		free(h->v);
		h->v = NULL;
		return sst_syserr(err, "%s: open directory", s->dir);
	}
	while (rc == SST_OK && (de = readdir(d)) != NULL) {
		int fd;

		if (strncmp(de->d_name, SNAP_PREFIX, strlen(SNAP_PREFIX)) != 0 ||
		    sst_store_path_join(path, sizeof(path), s->dir, de->d_name, err) != SST_OK)
			continue;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			unlink(path);	/* no reader: it goes (readers retry on nlink 0) */
		else
			rc = hold_snapshot(fd, path, h, err);
		close(fd);
	}
	closedir(d);
	if (rc == SST_OK && h->n > 1)
		qsort(h->v, h->n, sizeof(*h->v), cmp_u64);
	if (rc != SST_OK) {
		free(h->v);
		h->v = NULL;
	}
	return rc;
}

static int
remove_leftovers(sst_store *s, sst_err *err)
{
	char path[PATH_MAX];
	struct dirent *de;
	uint64_t num;
	numset held;
	DIR *d;
	int removed = 0, rc;

	if ((rc = release_snapshots(s, &s->m, &held, err)) != SST_OK)
		return rc;
	if ((d = opendir(s->dir)) == NULL) {
		free(held.v);
		return sst_syserr(err, "%s: open directory", s->dir);
	}
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		int tab = table_name_number(nm, strlen(nm), &num) == 0;

		if (tab && num >= s->next)
			s->next = num + 1;
		if (!is_leftover_tmp(nm) && !(tab && !numset_has(&held, num)))
			continue;
		if (sst_store_path_join(path, sizeof(path), s->dir, nm, err) != SST_OK)
			continue;
		if (unlink(path) == 0)
			removed++;
	}
	closedir(d);
	free(held.v);
	if (removed)
		return sst_fsync_dir(s->dir, err);
	return SST_OK;
}

/*
 * The writer's check of the manifest it read: every listed table is there
 * with its listed size (else damage); a version-1 manifest gets its key
 * ranges from the tables (the upgrade commits them).
 */
static int
check_listed(sst_store *s, sst_err *err)
{
	int rc = stat_listed(s->dir, &s->m, err);

	return rc == SST_OK ? fill_ranges(s->dir, &s->m, err) : rc;
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
			return sst_syserr(err, "%s", s->dir);
		if (mkdir(s->dir, 0777) != 0 && errno != EEXIST)
			return sst_syserr(err, "%s: cannot create store directory", s->dir);
		s->made_dir = 1;
		if ((rc = sst_fsync_dir(s->dir, err)) != SST_OK ||
		    (rc = sst_store_path_join(path, sizeof(path), s->dir, "..", err)) != SST_OK ||
		    (rc = sst_fsync_dir(path, err)) != SST_OK)
			return rc;
	} else if (!S_ISDIR(st.st_mode)) {
		return sst_error(err, SST_EDATA, "%s: not a store (not a directory)", s->dir);
	}
	if (!sst_store_is(s->dir)) {
		if (!create)
			return sst_error(err, SST_EDATA, "%s: not a store (no MANIFEST)", s->dir);
		if ((rc = dir_is_fresh(s->dir, err)) != SST_OK)
			return rc;
	}
	if ((rc = sst_store_path_join(path, sizeof(path), s->dir, "LOCK", err)) != SST_OK)
		return rc;
	s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (s->lockfd < 0)
		return sst_syserr(err, "%s", path);
	while (flock(s->lockfd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return sst_error(err, SST_ELOCKED, "%s: store is locked by another writer "
			    "(try again later, or --wait)", s->dir);
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
	sst_manifest_init(&s->m);
	if ((s->dir = strdup(dir)) == NULL) {
		free(s);
		return sst_nomem(err, dir);
	}
	rc = lock_store(s, create, wait, err);
	if (rc == SST_OK && !sst_store_is(dir)) {
		int published;

		s->made_store = 1;	/* its LOCK is ours: discarded on failure */
		if ((rc = dir_is_fresh(dir, err)) == SST_OK)
			rc = manifest_write(dir, &s->m, &published, err);
	}
	if (rc == SST_OK) {
		sst_manifest_free(&s->m);
		rc = sst_manifest_read(dir, &s->m, err);
	}
	if (rc == SST_OK)
		rc = check_listed(s, err);
	if (rc == SST_OK) {
		s->next = s->m.next;
		rc = remove_leftovers(s, err);
	}
	/* Skip past the numbers of removed leftovers too; upgrade version 1. */
	if (rc == SST_OK && (s->next > s->m.next || s->m.version < SST_STORE_VERSION)) {
		sst_manifest m;

		if ((rc = sst_manifest_copy(&m, &s->m, err)) == SST_OK) {
			m.version = SST_STORE_VERSION;
			rc = sst_store_commit(s, &m, err);
			sst_manifest_free(&m);
		}
	}
	if (rc != SST_OK) {
		sst_store_discard(&s);	/* a store made here goes again */
		return rc;
	}
	*sp = s;
	return SST_OK;
}

int
sst_store_new_table(sst_store *s, char **path, sst_err *err)
{
	char name[32], p[PATH_MAX];
	int rc;

	snprintf(name, sizeof(name), "%06" PRIu64 ".sst", s->next);
	if ((rc = sst_store_path_join(p, sizeof(p), s->dir, name, err)) != SST_OK)
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
	numset held;
	size_t i;
	int rc, published;

	if ((rc = sst_manifest_copy(&nm, m, err)) != SST_OK)
		return rc;
	nm.version = SST_STORE_VERSION;
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
	/* The old tables go, but for those that readers still hold (a later
	 * writer removes them as leftovers once they are released). */
	if (release_snapshots(s, &nm, &held, err) != SST_OK)
		held.all = 1;
	for (i = 0; i < s->m.n; i++) {
		if (numset_has(&held, s->m.t[i].number))
			continue;
		if (sst_store_path_join(path, sizeof(path), s->dir, s->m.t[i].name, err) == SST_OK)
			unlink(path);
	}
	free(held.v);
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
		if (rc == SST_OK)
			rc = fill_ranges(s->dir, &m, err);
	}
	if (rc == SST_OK)
		rc = sst_store_commit(s, &m, err);
	sst_manifest_free(&m);
	return rc;
}

void
sst_store_discard(sst_store **sp)
{
	char path[PATH_MAX];
	struct dirent *de;
	sst_store *s;
	sst_err e;
	DIR *d;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	if ((s->made_dir || s->made_store) && (d = opendir(s->dir)) != NULL) {
		/* Only what a store holds: tables, its files and temporaries. */
		while ((de = readdir(d)) != NULL) {
			uint64_t num;
			const char *nm = de->d_name;

			if ((strcmp(nm, "MANIFEST") == 0 || strcmp(nm, "LOCK") == 0 ||
			    is_leftover_tmp(nm) || strncmp(nm, SNAP_PREFIX, strlen(SNAP_PREFIX)) == 0 ||
			    table_name_number(nm, strlen(nm), &num) == 0) &&
			    sst_store_path_join(path, sizeof(path), s->dir, nm, &e) == SST_OK)
				unlink(path);
		}
		closedir(d);
		if (s->made_dir && rmdir(s->dir) == 0 &&
		    sst_store_path_join(path, sizeof(path), s->dir, "..", &e) == SST_OK)
			(void)sst_fsync_dir(path, &e);
	}
	sst_store_close(sp);
}

/* Read order: deeper levels first; in a level >= 1 by smallest key; level 0
 * (and ties) in the order given. */
typedef struct sort_ent {
	sst_store_entry e;
	size_t order;
} sort_ent;

static int
sort_ent_cmp(const void *a, const void *b)
{
	const sort_ent *x = a, *y = b;
	int c;

	if (x->e.level != y->e.level)
		return x->e.level > y->e.level ? -1 : 1;
	if (x->e.level > 0 && x->e.records > 0 && y->e.records > 0 &&
	    (c = sst_keycmp(x->e.lo, x->e.lolen, y->e.lo, y->e.lolen)) != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

int
sst_manifest_sort(sst_manifest *m, sst_err *err)
{
	sort_ent *v;
	size_t i;

	if ((v = sst_calloc(m->n + 1, sizeof(*v), err)) == NULL)
		return SST_ESYS;
	for (i = 0; i < m->n; i++) {
		v[i].e = m->t[i];
		v[i].order = i;
	}
	qsort(v, m->n, sizeof(*v), sort_ent_cmp);
	for (i = 0; i < m->n; i++)
		m->t[i] = v[i].e;
	free(v);
	return SST_OK;
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
