/*
 * fuzz_table.c - libFuzzer target for the table reader (lib/table_*.c):
 * open, verify, iterate, point lookups, seeks, properties.
 *
 * Each input is tried as it is, then again with every checksum the footer
 * and index lead to recomputed, so that mutations get past the checksums
 * into the block, index, filter and properties decoders.
 *
 * Invariants: verify answers clean or damaged (never crashes); a table that
 * verifies clean opens, iterates in strictly increasing key order, every
 * iterated record is found by sst_table_get and by a seek with the same
 * kind and value, the key right after each key (key || 0x00) is found only
 * if it is the next key, and the counts and key range agree with the
 * properties. A damaged table may give errors but never a crash.
 */
#include <fcntl.h>

#include "fuzz_common.h"
#include "block.h"
#include "format.h"
#include "table.h"
#include "table_int.h"
#include "util.h"

#define MAX_COLLECT	(32u << 20)

static void
fix_trailer(uint8_t *d, uint64_t foot, uint64_t off, uint64_t len)
{
	if (off > foot || len > foot - off || SST_TRAILER_SIZE > foot - off - len)
		return;
	sst_put_le32(d + off + len + 5, sst_checksum(d + off, (size_t)len + 5, off));
}

/* Recomputes the checksums of the data blocks the (raw) index names. */
static void
fix_data_blocks(uint8_t *d, uint64_t foot, uint64_t ioff, uint64_t ilen)
{
	sst_block blk;
	sst_block_iter it;
	const char *why;
	sst_handle h;
	int n = 0;

	if (ioff > foot || ilen > foot - ioff || SST_TRAILER_SIZE > foot - ioff - ilen)
		return;
	if (d[ioff + ilen] != SST_BLOCK_RAW)
		return;
	if (sst_block_init(&blk, d + ioff, (size_t)ilen, &why) != 0)
		return;
	sst_block_iter_init(&it, &blk);
	if (sst_block_iter_first(&it, &why) == 0)
		while (it.valid && n++ < 100000) {
			if (sst_decode_handle(it.val, it.vlen, &h) == 0)
				fix_trailer(d, foot, h.off, h.len);
			if (sst_block_iter_next(&it, &why) != 0)
				break;
		}
	sst_block_iter_free(&it);
}

static void
fix_filter_chunks(uint8_t *d, uint64_t foot, uint64_t off, uint64_t len, uint32_t lines)
{
	uint64_t bytes = (uint64_t)lines * 64, c, nchunks = ((uint64_t)lines + 63) / 64;

	if (lines == 0 || off > foot || len > foot - off || bytes + 4 * nchunks > len)
		return;
	for (c = 0; c < nchunks; c++) {
		uint64_t coff = c * 4096;
		uint64_t clen = bytes - coff < 4096 ? bytes - coff : 4096;

		sst_put_le32(d + off + bytes + 4 * c, sst_checksum(d + off + coff, (size_t)clen, off + coff));
	}
}

/* Recomputes every checksum reachable from the footer. 0 if nothing changed. */
static int
fixup(uint8_t *d, size_t size, const uint8_t *orig)
{
	uint64_t foot;
	uint8_t *f;
	size_t fsz;

	if (size < SST_FOOTER_SIZE)
		return 0;
	fsz = sst_footer_size(d + size - (size < SST_FOOTER_MAX ? size : SST_FOOTER_MAX),
	    size < SST_FOOTER_MAX ? size : SST_FOOTER_MAX);
	if (fsz == 0 || fsz > size)
		fsz = SST_FOOTER_SIZE;
	foot = size - fsz;
	if (fsz == SST_FOOTER_SIZE_DICT)	/* version 2: the dictionary block */
		fix_trailer(d, foot, sst_get_le64(d + foot), sst_get_le64(d + foot + 8));
	f = d + size - SST_FOOTER_SIZE;	/* the version 1 fields */
	fix_data_blocks(d, foot, sst_get_le64(f + 32), sst_get_le64(f + 40));
	fix_filter_chunks(d, foot, sst_get_le64(f + 0), sst_get_le64(f + 8), sst_get_le32(f + 48));
	fix_trailer(d, foot, sst_get_le64(f + 0), sst_get_le64(f + 8));
	fix_trailer(d, foot, sst_get_le64(f + 16), sst_get_le64(f + 24));
	fix_trailer(d, foot, sst_get_le64(f + 32), sst_get_le64(f + 40));
	sst_put_le32(f + 60, sst_checksum(d + foot, fsz - 12, foot));
	return memcmp(d, orig, size) != 0;
}

/* Reads whatever a damaged table yields: errors are fine, crashes are not. */
static void
poke_damaged(sst_table *t, const uint8_t *data, size_t size)
{
	fuzz_recs rs = { 0 };
	sst_iter *it = NULL;
	sst_props p;
	sst_rec rec;
	sst_err err;
	size_t i;
	int found;

	(void)sst_table_props(t, &p, &err);
	if (sst_table_iter(t, &it, &err) == SST_OK) {
		if (sst_iter_first(it, &err) == SST_OK)
			while (it->valid && rs.bytes < MAX_COLLECT) {
				fuzz_recs_push(&rs, it->rec.key, it->rec.klen, it->rec.val,
				    it->rec.vlen, it->rec.kind);
				if (sst_iter_next(it, &err) != SST_OK)
					break;
			}
		if (size > 0)
			(void)sst_iter_seek(it, data, size < 64 ? size : 64, &err);
		sst_iter_destroy(&it);
	}
	for (i = 0; i < rs.n && i < 64; i++)
		(void)sst_table_get(t, rs.r[i].key, rs.r[i].klen, &rec, &found, &err);
	if (size > 0)
		(void)sst_table_get(t, data, size < 32 ? size : 32, &rec, &found, &err);
	(void)sst_table_load_filter(t, &err);
	if (size > 0)
		(void)sst_table_get(t, data + size / 2, size - size / 2 < 16 ? size - size / 2 : 16,
		    &rec, &found, &err);
	fuzz_recs_free(&rs);
}

static void
check_clean(sst_table *t, const sst_props *vp)
{
	fuzz_recs rs = { 0 };
	sst_iter *it = NULL;
	uint64_t dels = 0, kbytes = 0, vbytes = 0, nrec = 0;
	sst_props p;
	sst_rec rec;
	sst_err err;
	size_t i;
	int found, pass;

	FUZZ_CHECK(sst_table_props(t, &p, &err) == SST_OK);
	FUZZ_CHECK(p.records == vp->records && p.deletes == vp->deletes);
	FUZZ_CHECK(sst_table_iter(t, &it, &err) == SST_OK);
	FUZZ_CHECK(sst_iter_first(it, &err) == SST_OK);
	while (it->valid) {
		FUZZ_CHECK(it->rec.klen >= 1 && it->rec.klen <= SST_MAX_KEY);
		FUZZ_CHECK(it->rec.kind == SST_PUT || (it->rec.kind == SST_DEL && it->rec.vlen == 0));
		if (rs.n > 0) {
			const fuzz_rec *pr = &rs.r[rs.n - 1];

			FUZZ_CHECK(sst_keycmp(pr->key, pr->klen, it->rec.key, it->rec.klen) < 0);
		}
		nrec++;
		dels += it->rec.kind == SST_DEL;
		kbytes += it->rec.klen;
		vbytes += it->rec.vlen;
		if (rs.bytes < MAX_COLLECT || rs.n == 0)
			fuzz_recs_push(&rs, it->rec.key, it->rec.klen, it->rec.val, it->rec.vlen, it->rec.kind);
		else	/* keep only the last one for the order check */
			fuzz_recs_push(&rs, it->rec.key, it->rec.klen, NULL, 0, it->rec.kind);
		FUZZ_CHECK(sst_iter_next(it, &err) == SST_OK);
	}
	FUZZ_CHECK(nrec == p.records && dels == p.deletes);
	FUZZ_CHECK(kbytes == p.raw_key_bytes && vbytes == p.raw_value_bytes);
	if (nrec > 0) {
		FUZZ_CHECK(p.smallest != NULL && p.largest != NULL);
		FUZZ_CHECK(sst_keycmp(p.smallest, p.smallest_len, rs.r[0].key, rs.r[0].klen) == 0);
		FUZZ_CHECK(sst_keycmp(p.largest, p.largest_len, rs.r[rs.n - 1].key, rs.r[rs.n - 1].klen) == 0);
	}
	/* Lookups twice: chunk by chunk from the filter, then with it loaded. */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			FUZZ_CHECK(sst_table_load_filter(t, &err) == SST_OK);
		for (i = 0; i < rs.n && rs.r[i].vlen <= MAX_COLLECT; i++) {
			const fuzz_rec *r = &rs.r[i];
			uint8_t *succ;

			if (i > 0 && rs.r[i - 1].key == NULL)
				break;
			FUZZ_CHECK(sst_table_get(t, r->key, r->klen, &rec, &found, &err) == SST_OK);
			FUZZ_CHECK(found && rec.kind == r->kind && rec.klen == r->klen);
			FUZZ_CHECK(memcmp(rec.key, r->key, r->klen) == 0);
			if (rs.bytes < MAX_COLLECT) {
				FUZZ_CHECK(rec.vlen == r->vlen);
				FUZZ_CHECK(r->vlen == 0 || memcmp(rec.val, r->val, r->vlen) == 0);
			}
			if (r->klen >= SST_MAX_KEY || pass == 1)
				continue;
			/* key || 0 is the smallest key after key. */
			succ = malloc(r->klen + 1);
			FUZZ_CHECK(succ != NULL);
			memcpy(succ, r->key, r->klen);
			succ[r->klen] = 0;
			FUZZ_CHECK(sst_table_get(t, succ, r->klen + 1, &rec, &found, &err) == SST_OK);
			if (found)
				FUZZ_CHECK(i + 1 < rs.n && rs.r[i + 1].klen == r->klen + 1 &&
				    memcmp(rs.r[i + 1].key, succ, r->klen + 1) == 0);
			FUZZ_CHECK(sst_iter_seek(it, succ, r->klen + 1, &err) == SST_OK);
			if (i + 1 < rs.n) {
				FUZZ_CHECK(it->valid && it->rec.klen == rs.r[i + 1].klen &&
				    memcmp(it->rec.key, rs.r[i + 1].key, it->rec.klen) == 0);
			} else {
				FUZZ_CHECK(!it->valid);
			}
			free(succ);
		}
	}
	sst_iter_destroy(&it);
	fuzz_recs_free(&rs);
}

static void
check_table(const uint8_t *data, size_t size)
{
	char path[64];
	sst_props vp;
	sst_table *t = NULL;
	sst_err err;
	int fd, vrc, orc;

	if ((fd = fuzz_memfile(data, size, path, sizeof(path))) < 0)
		return;
	vrc = sst_table_verify(path, &vp, &err);
	FUZZ_CHECK(vrc == SST_OK || vrc == SST_EDAMAGE);
	orc = sst_table_open_fd(&t, dup(fd), path, &err);
	if (vrc == SST_OK) {
		FUZZ_CHECK(orc == SST_OK);
		check_clean(t, &vp);
	} else if (orc == SST_OK) {
		FUZZ_CHECK(orc == SST_OK);
		poke_damaged(t, data, size);
	} else {
		FUZZ_CHECK(orc == SST_EDATA);
	}
	sst_table_close(&t);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	check_table(data, size);
	if (size < SST_FOOTER_SIZE || (copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if (fixup(copy, size, data))
		check_table(copy, size);
	free(copy);
	return 0;
}
