/*
 * splitfile.c - parsing and writing split files (see splitfile.h).
 */
#include "splitfile.h"

#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "records.h"
#include "util.h"

void
sst_splits_free(sst_splits *s)
{
	free(s->keys);
	free(s->off);
	memset(s, 0, sizeof(*s));
}

int
sst_splits_parse(sst_splits *s, const uint8_t *data, size_t len, const char *name,
    sst_err *err)
{
	const uint8_t *p = data, *end = data + len, *nl;
	sst_buf keys = SST_BUF_INIT, k = SST_BUF_INIT;
	size_t *off, *o, cap = 1, n = 0, plen = 0;
	uint64_t line = 0;
	const char *why = NULL;
	char msg[sizeof(err->msg)];
	int rc = SST_OK;

	memset(s, 0, sizeof(*s));
	if ((off = sst_malloc(cap * sizeof(*off), err)) == NULL)
		return SST_ESYS;
	off[0] = 0;
	for (; p < end && rc == SST_OK && why == NULL; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl == p) {
			why = "empty line (a split key is never empty)";
			break;
		}
		if (memchr(p, '\t', (size_t)(nl - p)) != NULL) {
			why = "a TAB in a split key (a split file holds one escaped key a "
			    "line, as sst-sample --splits writes it)";
			break;
		}
		if ((rc = sst_unescape(p, (size_t)(nl - p), &k, err)) != SST_OK) {
			if (rc == SST_EDATA) {
				snprintf(msg, sizeof(msg), "%s", err->msg);
				why = msg;
			}
			break;
		}
		if (k.len > SST_MAX_KEY)
			why = "key longer than 65536 bytes";
		else if (n > 0 && sst_keycmp(k.p, k.len, keys.p + off[n - 1], plen) <= 0)
			why = "key not greater than the line before (split keys must strictly increase)";
		if (why != NULL)
			break;
		if (n + 2 > cap) {
			cap = cap * 2 + 2;
			if ((o = sst_realloc(off, cap * sizeof(*o), err)) == NULL) {
				rc = SST_ESYS;
				break;
			}
			off = o;
		}
		if ((rc = sst_buf_append(&keys, k.p, k.len, err)) != SST_OK)
			break;
		plen = k.len;
		off[++n] = keys.len;
		if (nl == end)
			break;
	}
	sst_buf_free(&k);
	if (why != NULL)
		rc = sst_error(err, SST_EDATA, "%s:%llu: %s", name, (unsigned long long)line, why);
	if (rc != SST_OK) {
		sst_buf_free(&keys);
		free(off);
		return rc;
	}
	s->keys = keys.p;
	s->off = off;
	s->n = n;
	return SST_OK;
}

int
sst_splits_read(sst_splits *s, const char *path, sst_err *err)
{
	sst_buf b = SST_BUF_INIT;
	sst_input *in = NULL;
	const uint8_t *p;
	size_t n;
	int rc, eof = 0;

	/* read as every input is: compressed, in an archive, checked */
	memset(s, 0, sizeof(*s));
	rc = sst_input_open(&in, path, err);
	while (rc == SST_OK && (rc = sst_input_next_member(in, &eof, err)) == SST_OK && !eof)
		while ((rc = sst_input_read(in, &p, &n, err)) == SST_OK && n > 0)
			if ((rc = sst_buf_append(&b, p, n, err)) != SST_OK)
				break;
	sst_input_close(&in);
	if (rc == SST_OK)
		rc = sst_splits_parse(s, b.p, b.len, path, err);
	sst_buf_free(&b);
	return rc;
}

size_t
sst_splits_part(const sst_splits *s, const uint8_t *key, size_t klen)
{
	size_t lo = 0, hi = s->n, mid, kl;
	const uint8_t *k;

	while (lo < hi) {	/* the first split key > key */
		mid = lo + (hi - lo) / 2;
		k = sst_splits_key(s, mid, &kl);
		if (sst_keycmp(k, kl, key, klen) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
sst_splits_write_key(FILE *f, const uint8_t *key, size_t klen, sst_err *err)
{
	sst_put_escaped(f, key, klen);
	putc_unlocked('\n', f);
	if (ferror_unlocked(f))
		return sst_syserr(err, "write error");
	return SST_OK;
}
