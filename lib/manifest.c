/*
 * manifest.c - a store's manifest as data: its knobs and strategy, its
 * table list, and its text form (parse and format, formats/store.md).
 * Reading it from and writing it to the store directory is store.c's.
 */
#include "store.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

#define TABLES_MAX	1000000u
#define MAGIC_V1	"sstkit-store 1"
#define MAGIC_V2	"sstkit-store 2"

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
		return SST_EDATA;
	return SST_OK;
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
	if (sst_parse_size(value, d->min, d->max, &v) != SST_OK ||
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

/* Parses a table name "NNNNNN.sst" (at least 6 digits): SST_OK or SST_EDATA. */
int
sst_store_table_number(const char *name, size_t len, uint64_t *num)
{
	size_t d = 0;
	uint64_t v = 0;

	while (d < len && name[d] >= '0' && name[d] <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return SST_EDATA;
		v = v * 10 + (uint64_t)(name[d] - '0');
		d++;
	}
	if (d < 6 || d > 20 || len != d + 4 || memcmp(name + d, ".sst", 4) != 0)
		return SST_EDATA;
	*num = v;
	return SST_OK;
}

/* Parses plain decimal [p, p+n) into *v: SST_OK or SST_EDATA. */
static int
parse_dec(const char *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && p[0] == '0'))
		return SST_EDATA;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' || x > (UINT64_MAX - 9) / 10)
			return SST_EDATA;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	*v = x;
	return SST_OK;
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
	if (parse_dec(f[2], fl[2], &v) != SST_OK || v < knob_defs[i].min || v > knob_defs[i].max)
		return bad(err, path, line, "option value out of range");
	*knob_ptr(&m->knobs, (size_t)i) = v;
	m->knobs_set |= UINT64_C(1) << i;
	return SST_OK;
}

/*
 * Decodes a key in lower-case hex (1 .. SST_MAX_KEY bytes): SST_OK, SST_EDATA
 * for anything else, SST_ESYS when out of memory.
 */
static int
parse_hex_key(const char *p, size_t n, uint8_t **out, size_t *len)
{
	size_t i;
	uint8_t *k;

	if (n == 0 || n % 2 != 0 || n / 2 > SST_MAX_KEY)
		return SST_EDATA;
	for (i = 0; i < n; i++)
		if (sst_hexval((unsigned char)p[i]) < 0)
			return SST_EDATA;
	if ((k = malloc(n / 2)) == NULL)
		return SST_ESYS;
	for (i = 0; i < n; i += 2)
		k[i / 2] = (uint8_t)(sst_hexval((unsigned char)p[i]) << 4 | sst_hexval((unsigned char)p[i + 1]));
	*out = k;
	*len = n / 2;
	return SST_OK;
}

/* The range fields of a version-2 table line: RECORDS SMALLEST LARGEST. */
static int
parse_range(sst_store_entry *e, const char **f, const size_t *fl, const char *path,
    uint64_t line, sst_err *err)
{
	int rc;

	if (parse_dec(f[4], fl[4], &e->records) != SST_OK)
		return bad(err, path, line, "bad record count");
	e->ranged = 1;
	if (e->records == 0) {
		if (!field_is(f[5], fl[5], "-") || !field_is(f[6], fl[6], "-"))
			return bad(err, path, line, "an empty table has no keys ('- -')");
		return SST_OK;
	}
	if ((rc = parse_hex_key(f[5], fl[5], &e->lo, &e->lolen)) == SST_OK)
		rc = parse_hex_key(f[6], fl[6], &e->hi, &e->hilen);
	if (rc == SST_ESYS)
		return sst_nomem(err, path);
	if (rc != SST_OK)
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

	if (sst_store_table_number(f[1], fl[1], &num) != SST_OK)
		return bad(err, path, line, "bad table name");
	if (num >= m->next)
		return bad(err, path, line, "table number not below next");
	if (parse_dec(f[2], fl[2], &level) != SST_OK || level > SST_STORE_MAX_LEVEL)
		return bad(err, path, line, "bad level");
	if (parse_dec(f[3], fl[3], &size) != SST_OK)
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
		    parse_dec(f[1], fl[1], &m->next) != SST_OK || m->next == 0)
			return bad(err, path, line, "want 'next N'");
		*state = 2;
	} else if (*state == 2) {
		char s[16];

		if (nf != 2 || !field_is(f[0], fl[0], "strategy") || fl[1] >= sizeof(s))
			return bad(err, path, line, "want 'strategy S'");
		memcpy(s, f[1], fl[1]);
		s[fl[1]] = '\0';
		if (sst_strategy_parse(s, &m->strategy) != SST_OK)
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

int
sst_cmp_u64(const void *a, const void *b)
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
	qsort(v, m->n, sizeof(*v), sst_cmp_u64);
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
