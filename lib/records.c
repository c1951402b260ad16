#include "records.h"

#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "util.h"

/* Longest cdb header: "+" 10 digits "," 10 digits ":". */
#define CDB_HDR_MAX	23
#define MAX_DIGITS	10

struct sst_reader {
	sst_input *in;
	sst_rec_opts o;
	int done;
	int in_member;
	int member_end;		/* no more blocks in this member */

	/* The unread data is carry[cpos..) followed by blk[bpos..blen). */
	const uint8_t *blk;
	size_t blen, bpos;
	sst_buf carry;
	size_t cpos;
	size_t from_blk;	/* carry's last bytes copied from blk */
	size_t maxline;

	sst_buf kbuf, vbuf;
	uint64_t line;		/* tsv: lines read in this member */
	uint64_t pos;		/* cdb: member offset of the read position */
	uint64_t off;		/* cdb: member offset of the last record */
	char where[1024];
	char hint[1024];	/* "" or what sst_reader_hint() gives */
};

int
sst_reader_open(sst_reader **rp, const char *path, const sst_rec_opts *o, sst_err *err)
{
	sst_reader *r;
	int rc;

	*rp = NULL;
	if ((r = sst_calloc(1, sizeof(*r), err)) == NULL)
		return SST_ESYS;
	if (o != NULL)
		r->o = *o;
	r->maxline = r->o.escape ? 4 * (size_t)SST_MAX_KEY + 1 + 4 * (size_t)SST_MAX_VALUE :
	    (size_t)SST_MAX_KEY + 1 + (size_t)SST_MAX_VALUE;
	if ((rc = sst_input_open(&r->in, path, err)) != SST_OK) {
		free(r);
		return rc;
	}
	*rp = r;
	return SST_OK;
}

static const char *
rname(const sst_reader *r)
{
	return sst_input_name(r->in);
}

/* Gets the member's next block; *end = 1 when there is none. */
static int
fetch(sst_reader *r, int *end, sst_err *err)
{
	int rc;

	*end = 0;
	if (r->member_end) {
		*end = 1;
		return SST_OK;
	}
	rc = sst_input_read(r->in, &r->blk, &r->blen, err);
	r->bpos = 0;
	r->from_blk = 0;
	if (rc != SST_OK) {
		r->blen = 0;
		return rc;
	}
	if (r->blen == 0) {
		r->member_end = 1;
		*end = 1;
	}
	return SST_OK;
}

static int cdb_num(const uint8_t *p, size_t have, size_t *i, uint64_t *v);

static int
carry_add(sst_reader *r, const uint8_t *p, size_t n, sst_err *err)
{
	return sst_buf_append(&r->carry, p, n, err);
}

/*
 * tsv: the next line without its LF, or *eof at the member's end. The line
 * lies in the block when it can (no copy) and in carry when it spans blocks.
 */
static int
tsv_line(sst_reader *r, const uint8_t **line, size_t *len, int *eof, sst_err *err)
{
	const uint8_t *s, *lf;
	size_t n, k;
	int end, rc;

	*eof = 0;
	r->carry.len = 0;
	for (;;) {
		if (r->bpos < r->blen) {
			s = r->blk + r->bpos;
			n = r->blen - r->bpos;
			if ((lf = memchr(s, '\n', n)) != NULL) {
				k = (size_t)(lf - s);
				r->bpos += k + 1;
				r->line++;
				if (r->carry.len == 0) {
					*line = s;
					*len = k;
					return SST_OK;
				}
				if (r->carry.len + k > r->maxline)
					goto toolong;
				if ((rc = carry_add(r, s, k, err)) != SST_OK)
					return rc;
				*line = r->carry.p;
				*len = r->carry.len;
				return SST_OK;
			}
			if (r->carry.len + n > r->maxline) {
				r->line++;
				goto toolong;
			}
			if ((rc = carry_add(r, s, n, err)) != SST_OK)
				return rc;
			r->bpos = r->blen;
		}
		if ((rc = fetch(r, &end, err)) != SST_OK)
			return rc;
		if (end) {
			if (r->carry.len == 0) {
				*eof = 1;
				return SST_OK;
			}
			r->line++;
			*line = r->carry.p;
			*len = r->carry.len;
			return SST_OK;
		}
	}
toolong:
	return sst_error(err, SST_EDATA, "%s:%llu: line too long "
	    "(keys are at most %u bytes, values %u)", rname(r),
	    (unsigned long long)r->line, SST_MAX_KEY, SST_MAX_VALUE);
}

static int
decode(sst_reader *r, const char *what, const uint8_t *s, size_t n, sst_buf *out,
    const uint8_t **res, size_t *rlen, sst_err *err)
{
	sst_err e;

	if (memchr(s, '\\', n) == NULL) {
		*res = s;
		*rlen = n;
		return SST_OK;
	}
	if (sst_unescape(s, n, out, &e) != SST_OK)
		return sst_error(err, e.code, "%s:%llu: %s: %s", rname(r),
		    (unsigned long long)r->line, what, e.msg);
	*res = out->p;
	*rlen = out->len;
	return SST_OK;
}

/* Parses "DIGITS" then the byte stop at s[*i..n): SST_OK, or SST_EDATA if not so. */
static int
hint_num(const uint8_t *s, size_t n, size_t *i, uint8_t stop, uint64_t *v)
{
	return cdb_num(s, n, i, v) == SST_OK && s[(*i)++] == stop ? SST_OK : SST_EDATA;
}

/*
 * A tsv line that is a whole cdb record, "+KLEN,VLEN:KEY->VALUE" or
 * "-KLEN:KEY" with the lengths matching the line exactly.
 */
static int
looks_cdb(const uint8_t *s, size_t n)
{
	uint64_t klen, vlen;
	size_t i = 1;

	if (n < 4 || (s[0] != '+' && s[0] != '-'))
		return 0;
	if (s[0] == '-')
		return hint_num(s, n, &i, ':', &klen) == SST_OK && klen > 0 && n - i == klen;
	if (hint_num(s, n, &i, ',', &klen) != SST_OK || hint_num(s, n, &i, ':', &vlen) != SST_OK)
		return 0;
	return klen > 0 && n - i >= 2 && klen <= n - i - 2 && vlen == n - i - 2 - klen &&
	    s[i + klen] == '-' && s[i + klen + 1] == '>';
}

static int
tsv_next(sst_reader *r, sst_rec *rec, int *eof, sst_err *err)
{
	const uint8_t *line = NULL, *tab, *k, *v;
	size_t len = 0, klen, vlen;
	int rc;

	if ((rc = tsv_line(r, &line, &len, eof, err)) != SST_OK || *eof)
		return rc;
	if (r->line == 1 && r->hint[0] == '\0' && looks_cdb(line, len))
		snprintf(r->hint, sizeof(r->hint), "%s: looks like cdb input "
		    "(+KLEN,VLEN:KEY->VALUE); did you mean -f cdb?", rname(r));
	tab = memchr(line, '\t', len);
	k = line;
	klen = tab != NULL ? (size_t)(tab - line) : len;
	v = tab != NULL ? tab + 1 : line + len;
	vlen = tab != NULL ? len - klen - 1 : 0;
	if (r->o.all_delete)
		vlen = 0;
	if (r->o.escape) {
		if ((rc = decode(r, "key", k, klen, &r->kbuf, &k, &klen, err)) != SST_OK)
			return rc;
		if (!r->o.all_delete &&
		    (rc = decode(r, "value", v, vlen, &r->vbuf, &v, &vlen, err)) != SST_OK)
			return rc;
	}
	if (klen == 0)
		return sst_error(err, SST_EDATA, "%s:%llu: empty key", rname(r),
		    (unsigned long long)r->line);
	if (klen > SST_MAX_KEY)
		return sst_error(err, SST_EDATA, "%s:%llu: key of %zu bytes "
		    "(at most %u)", rname(r), (unsigned long long)r->line,
		    klen, SST_MAX_KEY);
	if (vlen > SST_MAX_VALUE)
		return sst_error(err, SST_EDATA, "%s:%llu: value of %zu bytes "
		    "(at most %u)", rname(r), (unsigned long long)r->line,
		    vlen, SST_MAX_VALUE);
	rec->key = k;
	rec->klen = klen;
	if (r->o.all_delete) {
		rec->kind = SST_DEL;
		rec->val = NULL;
		rec->vlen = 0;
	} else {
		rec->kind = SST_PUT;
		rec->val = v;
		rec->vlen = vlen;
	}
	return SST_OK;
}

static void
consume(sst_reader *r, size_t n)
{
	size_t rem;

	r->pos += n;
	if (r->carry.len == r->cpos) {
		r->bpos += n;
		return;
	}
	r->cpos += n;
	rem = r->carry.len - r->cpos;
	if (rem <= r->from_blk) {
		/* What is left of carry is still in the block: read it there. */
		r->bpos -= rem;
		r->carry.len = r->cpos = r->from_blk = 0;
	}
}

/*
 * Makes up to n bytes at the read position contiguous: *p and *have
 * (< n only at the member's end). Consume with consume().
 */
static int
ensure(sst_reader *r, size_t n, const uint8_t **p, size_t *have, sst_err *err)
{
	size_t rem, take;
	int end, rc;

	if (r->carry.len == r->cpos) {
		r->carry.len = r->cpos = 0;
		while (r->bpos == r->blen) {
			if ((rc = fetch(r, &end, err)) != SST_OK)
				return rc;
			if (end) {
				*p = NULL;
				*have = 0;
				return SST_OK;
			}
		}
		if (r->blen - r->bpos >= n) {
			*p = r->blk + r->bpos;
			*have = n;
			return SST_OK;
		}
	} else if (r->cpos > 0) {
		rem = r->carry.len - r->cpos;
		memmove(r->carry.p, r->carry.p + r->cpos, rem);
		r->carry.len = rem;
		r->cpos = 0;
	}
	if (r->carry.len < n &&
	    (rc = sst_buf_reserve(&r->carry, n - r->carry.len, err)) != SST_OK)
		return rc;
	while (r->carry.len < n) {
		if (r->bpos == r->blen) {
			if ((rc = fetch(r, &end, err)) != SST_OK)
				return rc;
			if (end)
				break;
		}
		take = n - r->carry.len;
		if (take > r->blen - r->bpos)
			take = r->blen - r->bpos;
		memcpy(r->carry.p + r->carry.len, r->blk + r->bpos, take);
		r->carry.len += take;
		r->bpos += take;
		r->from_blk += take;
	}
	*p = r->carry.p;
	*have = r->carry.len < n ? r->carry.len : n;
	return SST_OK;
}

static int
cdb_bad(sst_reader *r, sst_err *err, const char *what)
{
	return sst_error(err, SST_EDATA, "%s@%llu: malformed cdb record: %s",
	    rname(r), (unsigned long long)r->off, what);
}

/* Parses decimal digits at p[*i..have) up to a byte other than a digit. */
static int
cdb_num(const uint8_t *p, size_t have, size_t *i, uint64_t *v)
{
	size_t start = *i;

	*v = 0;
	while (*i < have && p[*i] >= '0' && p[*i] <= '9') {
		if (*i - start >= MAX_DIGITS)
			return SST_EDATA;
		*v = *v * 10 + (uint64_t)(p[*i] - '0');
		(*i)++;
	}
	return *i > start && *i < have ? SST_OK : SST_EDATA;
}

static int
cdb_next(sst_reader *r, sst_rec *rec, int *eof, sst_err *err)
{
	const uint8_t *p;
	size_t have, i = 1, total;
	uint64_t klen, vlen = 0;
	int put, rc;
	char msg[128];

	*eof = 0;
	if ((rc = ensure(r, CDB_HDR_MAX, &p, &have, err)) != SST_OK)
		return rc;
	r->off = r->pos;
	if (have == 0 || p[0] == '\n') {
		/* The end, or the end marker: the rest of the member is ignored. */
		r->member_end = 1;
		r->carry.len = r->cpos = 0;
		r->bpos = r->blen;
		*eof = 1;
		return SST_OK;
	}
	if (p[0] != '+' && p[0] != '-')
		return cdb_bad(r, err, "expected '+', '-' or an empty line");
	put = p[0] == '+';
	if (cdb_num(p, have, &i, &klen) != SST_OK)
		return cdb_bad(r, err, i == have && have < CDB_HDR_MAX ?
		    "truncated record" : "bad key length");
	if (put) {
		if (p[i++] != ',')
			return cdb_bad(r, err, "expected ',' after the key length");
		if (cdb_num(p, have, &i, &vlen) != SST_OK)
			return cdb_bad(r, err, i == have && have < CDB_HDR_MAX ?
			    "truncated record" : "bad value length");
	}
	if (p[i++] != ':')
		return cdb_bad(r, err, "expected ':' after the lengths");
	if (klen == 0)
		return cdb_bad(r, err, "empty key");
	if (klen > SST_MAX_KEY) {
		snprintf(msg, sizeof(msg), "key of %llu bytes (at most %u)",
		    (unsigned long long)klen, SST_MAX_KEY);
		return cdb_bad(r, err, msg);
	}
	if (vlen > SST_MAX_VALUE) {
		snprintf(msg, sizeof(msg), "value of %llu bytes (at most %u)",
		    (unsigned long long)vlen, SST_MAX_VALUE);
		return cdb_bad(r, err, msg);
	}
	total = i + (size_t)klen + (put ? 2 + (size_t)vlen : 0) + 1;
	if ((rc = ensure(r, total, &p, &have, err)) != SST_OK)
		return rc;
	if (p == NULL || have < total)	/* p is NULL at the member's end */
		return cdb_bad(r, err, "truncated record");
	if (put && (p[i + klen] != '-' || p[i + klen + 1] != '>'))
		return cdb_bad(r, err, "expected '->' after the key");
	if (p[total - 1] != '\n')
		return cdb_bad(r, err, put ? "expected LF after the value" :
		    "expected LF after the key");
	rec->key = p + i;
	rec->klen = (size_t)klen;
	if (put && !r->o.all_delete) {
		rec->kind = SST_PUT;
		rec->val = p + i + klen + 2;
		rec->vlen = (size_t)vlen;
	} else {
		rec->kind = SST_DEL;
		rec->val = NULL;
		rec->vlen = 0;
	}
	consume(r, total);
	return SST_OK;
}

int
sst_reader_next(sst_reader *r, sst_rec *rec, int *eof, sst_err *err)
{
	int end, rc;

	*eof = 0;
	for (;;) {
		if (r->done) {
			*eof = 1;
			return SST_OK;
		}
		if (!r->in_member) {
			if ((rc = sst_input_next_member(r->in, &end, err)) != SST_OK)
				return rc;
			if (end) {
				r->done = 1;
				continue;
			}
			r->in_member = 1;
			r->member_end = 0;
			r->blk = NULL;
			r->blen = r->bpos = 0;
			r->carry.len = r->cpos = r->from_blk = 0;
			r->line = r->pos = r->off = 0;
		}
		if (r->o.fmt == SST_FMT_CDB)
			rc = cdb_next(r, rec, &end, err);
		else
			rc = tsv_next(r, rec, &end, err);
		if (rc != SST_OK || !end)
			return rc;
		r->in_member = 0;
	}
}

const char *
sst_reader_hint(const sst_reader *r)
{
	return r->hint[0] != '\0' ? r->hint : NULL;
}

const char *
sst_reader_where(sst_reader *r)
{
	if (r->o.fmt == SST_FMT_CDB)
		snprintf(r->where, sizeof(r->where), "%s@%llu", rname(r),
		    (unsigned long long)r->off);
	else
		snprintf(r->where, sizeof(r->where), "%s:%llu", rname(r),
		    (unsigned long long)r->line);
	return r->where;
}

uint64_t
sst_reader_line(const sst_reader *r)
{
	return r->o.fmt == SST_FMT_CDB ? r->off : r->line;
}

uint64_t
sst_reader_bytes_in(const sst_reader *r)
{
	return sst_input_bytes_in(r->in);
}

uint64_t
sst_reader_total(const sst_reader *r)
{
	return sst_input_total(r->in);
}

void
sst_reader_close(sst_reader **rp)
{
	sst_reader *r;

	if (rp == NULL || (r = *rp) == NULL)
		return;
	sst_input_close(&r->in);
	sst_buf_free(&r->carry);
	sst_buf_free(&r->kbuf);
	sst_buf_free(&r->vbuf);
	free(r);
	*rp = NULL;
}
