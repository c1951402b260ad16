#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/uio.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

size_t
sst_put_varint_any(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

int
sst_get_varint_any(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t r = 0;
	unsigned shift;

	for (shift = 0; shift < 64 && p < end; shift += 7) {
		uint8_t b = *p++;

		if (shift == 63 && b > 1)
			return SST_EDATA;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			*v = r;
			return SST_OK;
		}
	}
	return SST_EDATA;
}

size_t
sst_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

uint32_t
sst_checksum(const void *data, size_t len, uint64_t seed)
{
	return (uint32_t)XXH3_64bits_withSeed(data, len, seed);
}

_Static_assert(sizeof(XXH3_state_t) <= sizeof(((sst_checksum_state *)0)->st) &&
    _Alignof(XXH3_state_t) <= _Alignof(sst_checksum_state), "sst_checksum_state too small");

void
sst_checksum_begin(sst_checksum_state *cs, uint64_t seed)
{
	XXH3_state_t *st = (XXH3_state_t *)(void *)cs->st;

	memset(st, 0, sizeof(*st));	/* the state's padding is read, not used */
	XXH3_64bits_reset_withSeed(st, seed);
}

void
sst_checksum_update(sst_checksum_state *cs, const void *data, size_t len)
{
	XXH3_64bits_update((XXH3_state_t *)(void *)cs->st, data, len);
}

uint32_t
sst_checksum_final(sst_checksum_state *cs)
{
	return (uint32_t)XXH3_64bits_digest((XXH3_state_t *)(void *)cs->st);
}

uint32_t
sst_checksum2(const void *a, size_t alen, const void *b, size_t blen, uint64_t seed)
{
	sst_checksum_state cs;

	sst_checksum_begin(&cs, seed);
	sst_checksum_update(&cs, a, alen);
	sst_checksum_update(&cs, b, blen);
	return sst_checksum_final(&cs);
}

uint32_t
sst_checksumv(const struct iovec *iov, int n, uint64_t seed)
{
	sst_checksum_state cs;
	int i;

	sst_checksum_begin(&cs, seed);
	for (i = 0; i < n; i++)
		sst_checksum_update(&cs, iov[i].iov_base, iov[i].iov_len);
	return sst_checksum_final(&cs);
}

uint64_t
sst_hash64(const void *data, size_t len)
{
	return XXH3_64bits(data, len);
}

int
sst_buf_grow(sst_buf *b, size_t extra, sst_err *err)
{
	size_t need, cap;
	uint8_t *p;

	if (extra > SIZE_MAX - b->len)
		return sst_nomem(err, "buffer");
	need = b->len + extra;
	if (need <= b->cap)
		return SST_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->p, cap);
	if (p == NULL)
		return sst_nomem(err, "buffer");
	b->p = p;
	b->cap = cap;
	return SST_OK;
}

int
sst_buf_append(sst_buf *b, const void *data, size_t n, sst_err *err)
{
	int rc;

	if (n == 0)
		return SST_OK;
	if ((rc = sst_buf_reserve(b, n, err)) != SST_OK)
		return rc;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return SST_OK;
}

int
sst_buf_append_varint(sst_buf *b, uint64_t v, sst_err *err)
{
	int rc;

	if ((rc = sst_buf_reserve(b, 10, err)) != SST_OK)
		return rc;
	b->len += sst_put_varint(b->p + b->len, v);
	return SST_OK;
}

void
sst_buf_free(sst_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
sst_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (s == NULL || !isdigit((unsigned char)*p))
		return SST_EDATA;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return SST_EDATA;
		v = v * 10 + d;
	}
	switch (*p) {
	case 'k': case 'K': mul = 1024ull; p++; break;
	case 'm': case 'M': mul = 1024ull * 1024; p++; break;
	case 'g': case 'G': mul = 1024ull * 1024 * 1024; p++; break;
	default: break;
	}
	if (mul > 1 && *p == 'i' && p[1] == 'B')
		p += 2;
	else if (*p == 'B' || *p == 'b')
		p++;
	if (*p != '\0')
		return SST_EDATA;
	if (v > UINT64_MAX / mul)
		return SST_EDATA;
	v *= mul;
	if (v < min || v > max)
		return SST_EDATA;
	*out = v;
	return SST_OK;
}

int
sst_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return SST_EDATA;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return SST_EDATA;
	*out = v;
	return SST_OK;
}

double
sst_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
sst_show_bytes(char *out, size_t size, const uint8_t *p, size_t n, int keep_high)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 8 < size; i++) {
		if (p[i] >= 0x20 && p[i] != 0x7f && p[i] != '\\' && (p[i] < 0x80 || keep_high))
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", p[i]);
	}
	if (i < n)
		o += (size_t)snprintf(out + o, size - o, "...");
	out[o] = '\0';
}

size_t
sst_utf8_len(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t len, i;
	uint32_t cp;

	if (n == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;	/* a continuation byte, 0xc0/0xc1 (overlong), over 0xf4 */
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

void
sst_json_str(FILE *f, const uint8_t *s, size_t n)
{
	size_t i = 0, len;

	putc('"', f);
	while (i < n) {
		uint8_t c = s[i];

		if (c == '"' || c == '\\') {
			putc('\\', f);
			putc(c, f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			putc(c, f);
			i++;
		} else if ((len = sst_utf8_len(s + i, n - i)) > 0) {
			fwrite(s + i, 1, len, f);
			i += len;
		} else {
			fputs("\\ufffd", f);
			i++;
		}
	}
	putc('"', f);
}

void
sst_json_hex(FILE *f, const uint8_t *s, size_t n)
{
	size_t i;

	putc('"', f);
	for (i = 0; i < n; i++)
		fprintf(f, "%02x", s[i]);
	putc('"', f);
}
