/*
 * recwrite.c - the record format pieces that need no input: format names,
 * tsv escapes, and writing records. Kept apart from records.c so that a
 * tool that only writes records (sst-get, sst-dump) does not pull in the
 * libarchive-backed reader and its libraries.
 */
#include "records.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

int
sst_fmt_parse(const char *s, int *fmt)
{
	if (strcmp(s, "tsv") == 0)
		*fmt = SST_FMT_TSV;
	else if (strcmp(s, "cdb") == 0)
		*fmt = SST_FMT_CDB;
	else
		return SST_EDATA;
	return SST_OK;
}

/* A hex digit of an escape: either case. */
static int
hexval(uint8_t c)
{
	return sst_hexval(c >= 'A' && c <= 'F' ? c + ('a' - 'A') : c);
}

int
sst_unescape(const uint8_t *s, size_t n, struct sst_buf *out, sst_err *err)
{
	const uint8_t *end = s + n, *bs;
	uint8_t *o;
	int hi, lo, rc;

	sst_buf_clear(out);
	if ((rc = sst_buf_reserve(out, n, err)) != SST_OK)
		return rc;
	o = out->p;
	while (s < end) {
		if ((bs = memchr(s, '\\', (size_t)(end - s))) == NULL)
			bs = end;
		memcpy(o, s, (size_t)(bs - s));
		o += bs - s;
		if (bs == end)
			break;
		if (bs + 1 == end)
			return sst_error(err, SST_EDATA,
			    "truncated escape: a lone '\\' at the end");
		switch (bs[1]) {
		case '\\': *o++ = '\\'; break;
		case 't': *o++ = '\t'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case '0': *o++ = '\0'; break;
		case 'x':
			if (bs + 4 > end || (hi = hexval(bs[2])) < 0 ||
			    (lo = hexval(bs[3])) < 0)
				return sst_error(err, SST_EDATA,
				    "bad escape: '\\x' needs two hex digits");
			*o++ = (uint8_t)(hi << 4 | lo);
			s = bs + 4;
			continue;
		default:
			if (bs[1] >= 0x21 && bs[1] < 0x7f)
				return sst_error(err, SST_EDATA, "unknown "
				    "escape '\\%c' (known: \\\\ \\t \\n \\r "
				    "\\0 \\xHH)", bs[1]);
			return sst_error(err, SST_EDATA, "unknown escape: "
			    "'\\' followed by byte 0x%02x", bs[1]);
		}
		s = bs + 2;
	}
	out->len = (size_t)(o - out->p);
	return SST_OK;
}

/* Output. */

static const uint8_t esc_of[256] = {
	['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r', ['\0'] = '0',
};

void
sst_put_escaped(FILE *f, const uint8_t *s, size_t n)
{
	const uint8_t *end = s + n, *run = s;
	char e[2] = { '\\', 0 };

	for (; s < end; s++) {
		if (esc_of[*s] == 0)
			continue;
		if (s > run)
			fwrite_unlocked(run, 1, (size_t)(s - run), f);
		e[1] = (char)esc_of[*s];
		fwrite_unlocked(e, 1, 2, f);
		run = s + 1;
	}
	if (s > run)
		fwrite_unlocked(run, 1, (size_t)(s - run), f);
}

static size_t
fmt_u64(char *p, uint64_t v)
{
	char t[24];
	size_t n = 0, i;

	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (i = 0; i < n; i++)
		p[i] = t[n - 1 - i];
	return n;
}

static int
write_tsv(FILE *f, const sst_rec_opts *o, const sst_rec *r, sst_err *err)
{
	const char *why = NULL;
	char shown[160];

	if (r->kind == SST_DEL)
		return sst_error(err, SST_EUSAGE, "a delete cannot be written "
		    "as tsv: use -f cdb");
	if (o->escape) {
		sst_put_escaped(f, r->key, r->klen);
		putc_unlocked('\t', f);
		sst_put_escaped(f, r->val, r->vlen);
		putc_unlocked('\n', f);
		return SST_OK;
	}
	if (memchr(r->key, '\t', r->klen) != NULL)
		why = "its key holds a TAB";
	else if (memchr(r->key, '\n', r->klen) != NULL)
		why = "its key holds a LF";
	else if (r->vlen > 0 && memchr(r->val, '\n', r->vlen) != NULL)
		why = "its value holds a LF";
	if (why != NULL) {
		sst_show_bytes(shown, sizeof(shown), r->key, r->klen, 0);
		return sst_error(err, SST_EDATA, "record \"%s\": %s, which plain "
		    "tsv cannot carry: use -e (escapes) or -f cdb", shown, why);
	}
	fwrite_unlocked(r->key, 1, r->klen, f);
	putc_unlocked('\t', f);
	if (r->vlen > 0)
		fwrite_unlocked(r->val, 1, r->vlen, f);
	putc_unlocked('\n', f);
	return SST_OK;
}

static void
write_cdb(FILE *f, const sst_rec *r)
{
	char h[48];
	size_t n = 0;

	h[n++] = r->kind == SST_DEL ? '-' : '+';
	n += fmt_u64(h + n, r->klen);
	if (r->kind != SST_DEL) {
		h[n++] = ',';
		n += fmt_u64(h + n, r->vlen);
	}
	h[n++] = ':';
	fwrite_unlocked(h, 1, n, f);
	fwrite_unlocked(r->key, 1, r->klen, f);
	if (r->kind != SST_DEL) {
		fwrite_unlocked("->", 1, 2, f);
		if (r->vlen > 0)
			fwrite_unlocked(r->val, 1, r->vlen, f);
	}
	putc_unlocked('\n', f);
}

int
sst_rec_write(FILE *f, const sst_rec_opts *o, const sst_rec *r, sst_err *err)
{
	int rc;

	if (o->fmt == SST_FMT_CDB)
		write_cdb(f, r);
	else if ((rc = write_tsv(f, o, r, err)) != SST_OK)
		return rc;
	if (ferror_unlocked(f))
		return sst_err_write(err, f == stdout ? "stdout" : "output");
	return SST_OK;
}
