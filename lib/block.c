#include "block.h"

#include <stdlib.h>

#include "iter.h"

void
sst_bb_init(sst_block_builder *b, int interval)
{
	memset(b, 0, sizeof(*b));
	b->interval = interval < 1 ? 1 : interval;
}

/* The length of the common prefix of a and b (n bytes at most), 8 bytes a step. */
static size_t
common_prefix(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			break;
	}
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/*
 * The entry header is written in place (room for three varints reserved
 * with the entry), and the last key keeps its shared prefix: only the
 * unshared bytes are copied to it.
 */
int
sst_bb_add(sst_block_builder *b, const uint8_t *key, size_t klen,
    const uint8_t *val, size_t vlen, int kind, sst_err *err)
{
	size_t shared = 0, unshared;
	uint8_t *d;
	int rc;

	if (b->counter >= b->interval || b->entries == 0) {
		if (b->nrestarts == b->restarts_cap) {
			size_t cap = b->restarts_cap ? b->restarts_cap * 2 : 64;
			uint32_t *r = realloc(b->restarts, cap * sizeof(*r));

			if (r == NULL)
				return sst_nomem(err, "block builder");
			b->restarts = r;
			b->restarts_cap = cap;
		}
		b->restarts[b->nrestarts++] = (uint32_t)b->buf.len;
		b->counter = 0;
	} else {
		shared = common_prefix(b->last_key.p, key,
		    b->last_key.len < klen ? b->last_key.len : klen);
	}
	unshared = klen - shared;
	if ((rc = sst_buf_reserve(&b->buf, 30 + unshared + vlen, err)) != SST_OK)
		return rc;
	b->last_key.len = shared;	/* the shared prefix is there already */
	if ((rc = sst_buf_reserve(&b->last_key, unshared, err)) != SST_OK)
		return rc;
	d = b->buf.p + b->buf.len;
	d += sst_put_varint(d, shared);
	d += sst_put_varint(d, unshared);
	d += sst_put_varint(d, ((uint64_t)vlen << 1) | (kind == SST_DEL));
	memcpy(d, key + shared, unshared);
	d += unshared;
	if (vlen) {
		memcpy(d, val, vlen);
		d += vlen;
	}
	b->buf.len = (size_t)(d - b->buf.p);
	if (unshared > 0)
		memcpy(b->last_key.p + shared, key + shared, unshared);
	b->last_key.len = klen;
	b->counter++;
	b->entries++;
	return SST_OK;
}

int
sst_bb_finish(sst_block_builder *b, sst_err *err)
{
	size_t i;
	int rc;

	if ((rc = sst_buf_reserve(&b->buf, 4 * (b->nrestarts + 1), err)) != SST_OK)
		return rc;
	for (i = 0; i < b->nrestarts; i++) {
		sst_put_le32(b->buf.p + b->buf.len, b->restarts[i]);
		b->buf.len += 4;
	}
	sst_put_le32(b->buf.p + b->buf.len, (uint32_t)b->nrestarts);
	b->buf.len += 4;
	return SST_OK;
}

void
sst_bb_reset(sst_block_builder *b)
{
	b->buf.len = 0;
	b->nrestarts = 0;
	b->counter = 0;
	b->entries = 0;
}

void
sst_bb_free(sst_block_builder *b)
{
	sst_buf_free(&b->buf);
	sst_buf_free(&b->last_key);
	free(b->restarts);
	memset(b, 0, sizeof(*b));
}

/*
 * A decoder's failure: *why = what, returns code (SST_EDATA or SST_ESYS).
 * Out of line and cold, so that the decoders' fast paths stay as short as
 * they are.
 */
static int __attribute__((noinline, cold))
fail(const char **why, const char *what, int code)
{
	*why = what;
	return code;
}

int
sst_block_init(sst_block *blk, const uint8_t *data, size_t len, const char **why)
{
	uint32_t n, i, prev = 0;

	memset(blk, 0, sizeof(*blk));
	if (len < 4)
		return fail(why, "block too short", SST_EDATA);
	n = sst_get_le32(data + len - 4);
	if (n > (len - 4) / 4)
		return fail(why, "bad restart count", SST_EDATA);
	blk->data = data;
	blk->nrestarts = n;
	blk->restarts = data + len - 4 - 4 * (size_t)n;
	blk->entries_end = len - 4 - 4 * (size_t)n;
	if (n == 0 && blk->entries_end != 0)
		return fail(why, "entries without restart points", SST_EDATA);
	for (i = 0; i < n; i++) {
		uint32_t r = sst_get_le32(blk->restarts + 4 * i);

		if (r >= blk->entries_end || (i == 0 && r != 0) || (i > 0 && r <= prev))
			return fail(why, "bad restart offset", SST_EDATA);
		prev = r;
	}
	return SST_OK;
}

void
sst_block_iter_init(sst_block_iter *it, const sst_block *blk)
{
	memset(it, 0, sizeof(*it));
	it->blk = blk;
}

void
sst_block_iter_free(sst_block_iter *it)
{
	sst_buf_free(&it->key);
}

/* Decodes the entry at it->next into the iterator. */
static int
decode_at(sst_block_iter *it, size_t off, const char **why)
{
	const sst_block *b = it->blk;
	const uint8_t *p = b->data + off, *end = b->data + b->entries_end;
	uint64_t shared, unshared, tag, vlen;

	if (off >= b->entries_end) {
		it->valid = 0;
		return SST_OK;
	}
	if (sst_get_varint(&p, end, &shared) != SST_OK || sst_get_varint(&p, end, &unshared) != SST_OK ||
	    sst_get_varint(&p, end, &tag) != SST_OK)
		return fail(why, "truncated entry header", SST_EDATA);
	vlen = tag >> 1;
	if (shared > it->key.len || unshared > SST_MAX_KEY ||
	    shared + unshared == 0 || shared + unshared > SST_MAX_KEY)
		return fail(why, "bad key length", SST_EDATA);
	if (vlen > SST_MAX_VALUE || ((tag & 1) && vlen != 0))
		return fail(why, "bad value length", SST_EDATA);
	if ((uint64_t)(end - p) < unshared + vlen)
		return fail(why, "entry overruns block", SST_EDATA);
	it->key.len = (size_t)shared;
	if (sst_buf_append(&it->key, p, (size_t)unshared, NULL) != SST_OK)
		return fail(why, "out of memory", SST_ESYS);
	p += unshared;
	it->val = p;
	it->vlen = (size_t)vlen;
	it->kind = (tag & 1) ? 1 : 0;
	it->off = off;
	it->next = (size_t)(p + vlen - b->data);
	it->valid = 1;
	return SST_OK;
}

int
sst_block_iter_first(sst_block_iter *it, const char **why)
{
	it->key.len = 0;
	return decode_at(it, 0, why);
}

int
sst_block_iter_next(sst_block_iter *it, const char **why)
{
	return decode_at(it, it->next, why);
}

int
sst_block_iter_seek(sst_block_iter *it, const uint8_t *key, size_t klen, const char **why)
{
	const sst_block *b = it->blk;
	uint32_t lo = 0, hi = b->nrestarts;
	int rc;

	if (b->nrestarts == 0) {
		it->valid = 0;
		return SST_OK;
	}
	/* Find the last restart whose key is < target. */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		it->key.len = 0;
		if ((rc = decode_at(it, sst_get_le32(b->restarts + 4 * mid), why)) != SST_OK)
			return rc;
		if (!it->valid)
			return fail(why, "bad restart offset", SST_EDATA);
		if (sst_keycmp(it->key.p, it->key.len, key, klen) < 0)
			lo = mid;
		else
			hi = mid;
	}
	it->key.len = 0;
	if ((rc = decode_at(it, sst_get_le32(b->restarts + 4 * lo), why)) != SST_OK)
		return rc;
	while (it->valid && sst_keycmp(it->key.p, it->key.len, key, klen) < 0)
		if ((rc = decode_at(it, it->next, why)) != SST_OK)
			return rc;
	return SST_OK;
}
