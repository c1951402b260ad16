/*
 * size-proto.c - a measurement prototype (issue 15, target 2): how large
 * would a table's data blocks be in other block layouts or zstd settings?
 * Not part of the library and not a format: it writes no table, only
 * sums sizes. docs/bench.md ("Table size: candidates measured") has the
 * figures and the commands.
 *
 *   size-proto [OPTIONS] < records.cdb      sizes for one candidate
 *   size-proto --info TABLE                 the table's structures
 *   size-proto --lookup DICT BLOCKS         one DDict, then each block, for
 *                                           callgrind (instruction counts)
 *
 * records.cdb: `sst-dump -f cdb TABLE` (sorted, distinct keys).
 * Options: -b BLOCK (8192), -r RESTART interval (16; 0: one restart a
 * block), -L LAYOUT (row: today's; row2: today's with varints shared,
 * unshared * 2 + kind, value length; fixhdr: u16 shared, u16 unshared, u32
 * tag; col: all headers, then all key deltas, then all values; colf: each
 * header field its own column, then keys, then values; colf2: colf with
 * row2's header fields; a column layout leads with varints: entries and
 * the columns' lengths, and its restart entries hold the offset of the
 * entry in each column: 3 or 5 u32), -D DICTSIZE (32768; 0: no
 * dictionary), -S SAMPLE (2 MiB), -z ZMODE (default: what
 * the writer does, ZSTD_createCDict(level); or a comma-separated list of:
 * adv: the CDict made with ZSTD_getCParams(level, block, dictsize);
 * attach, copy: ZSTD_c_forceAttachDict; lit: literals always
 * Huffman-coded; magicless: frames without the 4-byte magic), -l LEVEL
 * (3), -o DIR (writes DIR/dict and DIR/blocks, the dictionary and
 * every 5th compressed block, for --lookup; not with magicless), -s
 * (no compression: looks every 50th record up in its raw block, with
 * lib/block.c for -L row, seek_colf for -L colf -r 0, and with -F
 * (-r 0 only) the scans seek_row_scan and seek_colf_scan (colf, colf2),
 * for callgrind: the in-block search's instructions).
 *
 * Build: cc -std=c11 -D_GNU_SOURCE -O2 -Ilib -o size-proto scripts/size-proto.c lib/block.c \
 *     lib/dict.c lib/util.c lib/err.c -lzstd -lxxhash
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "block.h"	/* the library's block reader, for -s */
#include "dict.h"	/* the library's dictionary training */
#include "util.h"

#define TRAILER 9

typedef struct {
	uint8_t *p;
	size_t len, cap;
} buf;

static _Noreturn void
die(const char *m)
{
	fprintf(stderr, "size-proto: %s\n", m);
	exit(1);
}

static void
reserve(buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	while (b->len + n > b->cap)
		b->cap = b->cap ? 2 * b->cap : 1 << 16;
	if ((b->p = realloc(b->p, b->cap)) == NULL)
		die("out of memory");
}

static void
put(buf *b, const void *p, size_t n)
{
	reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
putv(buf *b, uint64_t v)
{
	uint8_t t[10];

	put(b, t, sst_put_varint(t, v));
}

static void
put32(buf *b, uint32_t v)
{
	uint8_t t[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	put(b, t, 4);
}

static void
put16(buf *b, uint16_t v)
{
	uint8_t t[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(b, t, 2);
}

/* The records, and each one's offset in them. */
static buf recs;
static size_t *roff, nrec;

static const uint8_t *
rec_key(size_t i, size_t *klen, const uint8_t **val, size_t *vlen)
{
	const uint8_t *p = recs.p + roff[i];
	uint32_t k, v;

	memcpy(&k, p, 4);
	memcpy(&v, p + 4, 4);
	*klen = k;
	*vlen = v;
	*val = p + 8 + k;
	return p + 8;
}

/* Reads cdb form: +klen,vlen:key->value\n ... \n */
static void
read_cdb(FILE *f)
{
	size_t cap = 0;
	int c;

	while ((c = getc(f)) == '+') {
		unsigned long k, v;
		uint32_t k32, v32;

		if (fscanf(f, "%lu,%lu:", &k, &v) != 2)
			die("bad cdb record");
		if (nrec == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			if ((roff = realloc(roff, cap * sizeof(*roff))) == NULL)
				die("out of memory");
		}
		roff[nrec++] = recs.len;
		k32 = (uint32_t)k;
		v32 = (uint32_t)v;
		put(&recs, &k32, 4);
		put(&recs, &v32, 4);
		reserve(&recs, k + v);
		if (fread(recs.p + recs.len, 1, k, f) != k || getc(f) != '-' || getc(f) != '>')
			die("bad cdb key");
		recs.len += k;
		if (fread(recs.p + recs.len, 1, v, f) != v || getc(f) != '\n')
			die("bad cdb value");
		recs.len += v;
	}
}

/* Options */
static size_t block_size = 8192, dict_size = 32768, sample_size = 2 << 20;
static int interval = 16, level = 3, search_only, fast_scan;
static const char *layout = "row", *zmode = "default", *outdir;

/*
 * Builds the blocks of records [from, i) for the chosen layout; returns the
 * next record. Cuts, as the writer does, once the block's size (restart
 * array included) reaches block_size.
 */
static size_t
build_block(size_t from, buf *out)
{
	buf hdr = { 0 }, keys = { 0 }, vals = { 0 }, f1 = { 0 }, f2 = { 0 }, f3 = { 0 }, rst = { 0 };
	const uint8_t *prev = NULL;
	size_t prevlen = 0, i, n = 0, nrst = 0, size = 0;
	int row2 = strcmp(layout, "row2") == 0, row = row2 || strcmp(layout, "row") == 0;
	int fix = strcmp(layout, "fixhdr") == 0;
	int colf2 = strcmp(layout, "colf2") == 0, colf = colf2 || strcmp(layout, "colf") == 0;

	out->len = 0;
	for (i = from; i < nrec; i++) {
		size_t klen, vlen, shared = 0, h;
		const uint8_t *val, *key = rec_key(i, &klen, &val, &vlen);
		uint64_t tag = (uint64_t)vlen << 1;

		if (n == 0 || (interval > 0 && n % (size_t)interval == 0)) {
			/* a column layout's restart: where entry n starts in each column */
			if (row || fix)
				put32(&rst, (uint32_t)out->len);
			else if (colf) {
				put32(&rst, (uint32_t)f1.len);
				put32(&rst, (uint32_t)f2.len);
				put32(&rst, (uint32_t)f3.len);
				put32(&rst, (uint32_t)keys.len);
				put32(&rst, (uint32_t)vals.len);
			} else {
				put32(&rst, (uint32_t)hdr.len);
				put32(&rst, (uint32_t)keys.len);
				put32(&rst, (uint32_t)vals.len);
			}
			nrst++;
		} else {
			size_t m = prevlen < klen ? prevlen : klen;

			while (shared < m && prev[shared] == key[shared])
				shared++;
		}
		if (row2) {	/* the kind in unshared's low bit: value lengths < 128 take a byte */
			putv(out, shared);
			putv(out, (uint64_t)(klen - shared) << 1);
			putv(out, vlen);
			put(out, key + shared, klen - shared);
			put(out, val, vlen);
			h = 0;
		} else if (row) {
			putv(out, shared);
			putv(out, klen - shared);
			putv(out, tag);
			put(out, key + shared, klen - shared);
			put(out, val, vlen);
			h = 0;
		} else if (fix) {
			put16(out, (uint16_t)shared);
			put16(out, (uint16_t)(klen - shared));
			put32(out, (uint32_t)tag);
			put(out, key + shared, klen - shared);
			put(out, val, vlen);
			h = 0;
		} else if (colf) {
			putv(&f1, shared);
			putv(&f2, colf2 ? (uint64_t)(klen - shared) << 1 : klen - shared);
			putv(&f3, colf2 ? vlen : tag);
			put(&keys, key + shared, klen - shared);
			put(&vals, val, vlen);
			h = f1.len + f2.len + f3.len + keys.len + vals.len;
		} else {
			putv(&hdr, shared);
			putv(&hdr, klen - shared);
			putv(&hdr, tag);
			put(&keys, key + shared, klen - shared);
			put(&vals, val, vlen);
			h = hdr.len + keys.len + vals.len;
		}
		prev = key;
		prevlen = klen;
		n++;
		/* columns: varints (entries, column lengths) lead the block */
		size = (row || fix ? out->len : h + sst_varint_len(n) + 12) + rst.len + 4;
		if (size >= block_size) {
			i++;
			break;
		}
	}
	if (!row && !fix) {
		putv(out, n);
		if (colf) {
			putv(out, f1.len);
			putv(out, f2.len);
			putv(out, f3.len);
			putv(out, keys.len);
			put(out, f1.p, f1.len);
			put(out, f2.p, f2.len);
			put(out, f3.p, f3.len);
		} else {
			putv(out, hdr.len);
			putv(out, keys.len);
			put(out, hdr.p, hdr.len);
		}
		put(out, keys.p, keys.len);
		put(out, vals.p, vals.len);
	}
	put(out, rst.p, rst.len);
	put32(out, (uint32_t)nrst);
	free(hdr.p);
	free(keys.p);
	free(vals.p);
	free(f1.p);
	free(f2.p);
	free(f3.p);
	free(rst.p);
	return i;
}

static void
write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		die("cannot write the -o files");
}

static void
set(ZSTD_CCtx *c, ZSTD_cParameter p, int v)
{
	if (ZSTD_isError(ZSTD_CCtx_setParameter(c, p, v)))
		die("zstd parameter");
}

/* -s: a point lookup inside a raw block, as the library does it (row layouts) */
static __attribute__((noinline)) int
seek_row(const uint8_t *blk, size_t len, const uint8_t *key, size_t klen, const uint8_t **val,
    size_t *vlen)
{
	static sst_buf keep;
	sst_block b;
	sst_block_iter it;
	const char *why;

	if (sst_block_init(&b, blk, len, &why) != SST_OK)
		die(why);
	sst_block_iter_init(&it, &b);
	it.key = keep;
	if (sst_block_iter_seek(&it, key, klen, &why) != SST_OK)
		die(why);
	keep = it.key;
	if (!it.valid || sst_keycmp(it.key.p, it.key.len, key, klen) != 0)
		return 0;
	*val = it.val;
	*vlen = it.vlen;
	return 1;
}

/*
 * One entry of a -F scan: d its key delta (un bytes after sh shared), m
 * the length of the prefix the previous key shares with the target, which
 * it precedes. Returns 1 (the target), 0 (past it: absent), or -1 (before
 * it: go on, m updated).
 */
static inline int
scan_step(const uint8_t *d, size_t sh, size_t un, const uint8_t *key, size_t klen, size_t *m)
{
	size_t i = 0, lim;

	if (sh > *m)
		return -1;
	if (sh < *m)
		return 0;
	lim = un < klen - *m ? un : klen - *m;
	while (i < lim && d[i] == key[*m + i])
		i++;
	if (i < lim)
		return d[i] > key[*m + i] ? 0 : (*m += i, -1);
	if (un == klen - *m)
		return 1;
	if (un > klen - *m)
		return 0;
	*m += i;
	return -1;
}

/*
 * -s -F: the lookup in a row block scanned from its first entry without
 * building keys: m is the length of the prefix the previous key shares
 * with the target (which it precedes), so an entry sharing more than m
 * bytes with its predecessor precedes the target too, one sharing fewer
 * follows it, and only one sharing exactly m is compared, from byte m.
 */
static __attribute__((noinline)) int
seek_row_scan(const uint8_t *blk, size_t len, const uint8_t *key, size_t klen, const uint8_t **val,
    size_t *vlen)
{
	const uint8_t *p = blk, *end;
	uint32_t n;
	size_t m = 0, cur = 0;
	int r;

	if (len < 4 || (n = (uint32_t)blk[len - 4] | (uint32_t)blk[len - 3] << 8 |
	    (uint32_t)blk[len - 2] << 16 | (uint32_t)blk[len - 1] << 24) > (len - 4) / 4)
		die("bad block");
	end = blk + len - 4 - 4 * (size_t)n;
	while (p < end) {
		uint64_t sh, un, tag;
		const uint8_t *d;

		if (sst_get_varint(&p, end, &sh) || sst_get_varint(&p, end, &un) ||
		    sst_get_varint(&p, end, &tag))
			die("truncated entry header");
		if (sh > cur || sh + un == 0 || un > (uint64_t)(end - p) ||
		    (tag >> 1) > (uint64_t)(end - p) - un)
			die("bad entry");
		d = p;
		p += un + (tag >> 1);
		cur = (size_t)(sh + un);
		if ((r = scan_step(d, (size_t)sh, (size_t)un, key, klen, &m)) >= 0) {
			*val = d + un;
			*vlen = (size_t)(tag >> 1);
			return r;
		}
	}
	return 0;
}

/* A varint, its one-byte case inline (for the -F scans). */
static inline int
getv(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	if (*p < end && **p < 0x80) {
		*v = *(*p)++;
		return 0;
	}
	return sst_get_varint(p, end, v) != SST_OK;
}

/*
 * A colf block's columns: c[0..4] the shared, unshared and tag (or value
 * length) columns, the key deltas and the values; *end where the values
 * end. Returns the number of entries.
 */
static uint64_t
colf_cols(const uint8_t *blk, size_t len, const uint8_t **c, const uint8_t **end)
{
	const uint8_t *p = blk;
	uint64_t n, l[4];
	int i;

	*end = blk + len - 4 - 20;
	if (len < 24 || getv(&p, *end, &n) || getv(&p, *end, &l[0]) || getv(&p, *end, &l[1]) ||
	    getv(&p, *end, &l[2]) || getv(&p, *end, &l[3]) ||
	    l[0] + l[1] + l[2] + l[3] > (uint64_t)(*end - p))
		die("bad colf block");
	c[0] = p;
	for (i = 0; i < 4; i++)
		c[i + 1] = c[i] + l[i];
	return n;
}

/*
 * -s: the same lookup in a colf block with one restart (-L colf -r 0): the
 * columns walked from the first entry, with the library's checks.
 */
static __attribute__((noinline)) int
seek_colf(const uint8_t *blk, size_t len, const uint8_t *key, size_t klen, const uint8_t **val,
    size_t *vlen)
{
	static sst_buf k;
	const uint8_t *col[5], *end;
	uint64_t n = colf_cols(blk, len, col, &end), lk = (uint64_t)(col[4] - col[3]), j, kpos = 0, voff = 0;
	const uint8_t *f1 = col[0], *f2 = col[1], *f3 = col[2], *ks = col[3], *vs = col[4];

	k.len = 0;
	for (j = 0; j < n; j++) {
		uint64_t shared, unshared, tag;
		int c;

		if (sst_get_varint(&f1, f2, &shared) || sst_get_varint(&f2, f3, &unshared) ||
		    sst_get_varint(&f3, ks, &tag))
			die("truncated colf header");
		if (shared > k.len || shared + unshared == 0 || unshared > lk - kpos ||
		    (tag >> 1) > (uint64_t)(end - vs) - voff)
			die("bad colf entry");
		k.len = (size_t)shared;
		if (sst_buf_append(&k, ks + kpos, (size_t)unshared, NULL) != SST_OK)
			die("out of memory");
		kpos += unshared;
		if ((c = sst_keycmp(k.p, k.len, key, klen)) >= 0) {
			if (c > 0)
				return 0;
			*val = vs + voff;
			*vlen = (size_t)(tag >> 1);
			return 1;
		}
		voff += tag >> 1;
	}
	return 0;
}

/*
 * -s -F on -L colf or colf2 -r 0: seek_row_scan's comparison over the
 * columns; the value's offset is the sum of the lengths before it.
 */
static __attribute__((noinline)) int
seek_colf_scan(const uint8_t *blk, size_t len, const uint8_t *key, size_t klen, const uint8_t **val,
    size_t *vlen, int two)
{
	const uint8_t *col[5], *end;
	uint64_t n = colf_cols(blk, len, col, &end), lk = (uint64_t)(col[4] - col[3]), j, kpos = 0, voff = 0;
	const uint8_t *f1 = col[0], *f2 = col[1], *f3 = col[2], *ks = col[3], *vs = col[4];
	size_t m = 0, cur = 0;
	int r;

	for (j = 0; j < n; j++) {
		uint64_t sh, un, vl;
		const uint8_t *d = ks + kpos;

		if (getv(&f1, f2, &sh) || getv(&f2, f3, &un) || getv(&f3, ks, &vl))
			die("truncated colf header");
		if (two)
			un >>= 1;
		else
			vl >>= 1;
		if (sh > cur || sh + un == 0 || un > lk - kpos || vl > (uint64_t)(end - vs) - voff)
			die("bad colf entry");
		kpos += un;
		cur = (size_t)(sh + un);
		if ((r = scan_step(d, (size_t)sh, (size_t)un, key, klen, &m)) >= 0) {
			*val = vs + voff;
			*vlen = (size_t)vl;
			return r;
		}
		voff += vl;
	}
	return 0;
}

/* -s: looks every 50th record up in its raw block; checks the value. */
static void
search(const uint8_t *all, const size_t *bsz, const size_t *bfirst, size_t nb)
{
	size_t b = 0, i, found = 0;
	const uint8_t *p = all;
	int colf2 = strcmp(layout, "colf2") == 0, colf = colf2 || strcmp(layout, "colf") == 0, ok;

	if (!(strcmp(layout, "row") == 0 || (colf && interval == 0)))
		die("-s: row layouts, or colf/colf2 with -r 0");
	if (fast_scan && interval != 0)
		die("-F: with -r 0 only (a restart's shared 0 says nothing of the keys)");
	if (colf2 && !fast_scan)
		die("-s: colf2 with -F only");
	for (i = 0; i < nrec; i += 50) {
		size_t klen, vlen, gl = 0;
		const uint8_t *val, *got = NULL, *key = rec_key(i, &klen, &val, &vlen);

		while (b + 1 < nb && bfirst[b + 1] <= i)
			p += bsz[b++];
		if (colf && fast_scan)
			ok = seek_colf_scan(p, bsz[b], key, klen, &got, &gl, colf2);
		else if (colf)
			ok = seek_colf(p, bsz[b], key, klen, &got, &gl);
		else if (fast_scan)
			ok = seek_row_scan(p, bsz[b], key, klen, &got, &gl);
		else
			ok = seek_row(p, bsz[b], key, klen, &got, &gl);
		if (!ok || gl != vlen ||
		    memcmp(got, val, vlen) != 0)
			die("-s: a lookup failed");
		found++;
	}
	printf("layout=%s interval=%d%s: %zu lookups in raw blocks, all found\n", layout, interval,
	    fast_scan ? " (scan)" : "", found);
}

/* Is word w one of the comma-separated words of list? */
static int
has(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (;;) {
		if (strncmp(list, w, n) == 0 && (list[n] == ',' || list[n] == 0))
			return 1;
		if ((list = strchr(list, ',')) == NULL)
			return 0;
		list++;
	}
}

static int
sizes(void)
{
	buf blk = { 0 }, all = { 0 }, cbuf = { 0 }, sel = { 0 };
	size_t *bsz = NULL, *bfirst = NULL, nb = 0, bcap = 0, i, next, sample = 0, nsample = 0;
	uint64_t raw = 0, disk = 0, nraw = 0;
	uint8_t *dict = NULL;
	size_t dlen = 0;
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_CDict *cd = NULL;

	/* all blocks, raw, kept (100 MB of records: fine for a prototype) */
	for (i = 0; i < nrec; i = next) {
		next = build_block(i, &blk);
		if (nb == bcap) {
			bcap = bcap ? 2 * bcap : 1024;
			if ((bsz = realloc(bsz, bcap * sizeof(*bsz))) == NULL ||
			    (bfirst = realloc(bfirst, bcap * sizeof(*bfirst))) == NULL)
				die("out of memory");
		}
		bfirst[nb] = i;
		bsz[nb++] = blk.len;
		put(&all, blk.p, blk.len);
		raw += blk.len;
		if (sample < sample_size) {
			sample += blk.len;
			nsample++;
		}
	}
	if (search_only) {
		search(all.p, bsz, bfirst, nb);
		free(bsz);
		free(bfirst);
		free(all.p);
		free(blk.p);
		ZSTD_freeCCtx(c);
		return 0;
	}
	if (dict_size > 0 && sample >= 8 * dict_size) {
		/* the library's training (lib/dict.c), on the first blocks */
		if (sst_dict_train(all.p, bsz, nsample, dict_size, level, &dict, &dlen) != 0)
			die("out of memory");
		if (dlen == 0)
			die("zstd cannot train on the sample");
		if (has(zmode, "adv"))
			cd = ZSTD_createCDict_advanced(dict, dlen, ZSTD_dlm_byCopy, ZSTD_dct_auto,
			    ZSTD_getCParams(level, block_size, dlen), ZSTD_defaultCMem);
		else
			cd = ZSTD_createCDict(dict, dlen, level);
		if (cd == NULL || ZSTD_isError(ZSTD_CCtx_refCDict(c, cd)))
			die("cdict");
		set(c, ZSTD_c_dictIDFlag, 0);
	}
	set(c, ZSTD_c_compressionLevel, level);
	if (has(zmode, "attach"))
		set(c, ZSTD_c_forceAttachDict, ZSTD_dictForceAttach);
	if (has(zmode, "copy"))
		set(c, ZSTD_c_forceAttachDict, ZSTD_dictForceCopy);
	if (has(zmode, "lit"))
		set(c, ZSTD_c_literalCompressionMode, ZSTD_ps_enable);
	if (has(zmode, "magicless"))
		set(c, ZSTD_c_format, ZSTD_f_zstd1_magicless);
	/* ZSTD_compress2 keeps the level and the CDict (when there is one) */
	reserve(&cbuf, ZSTD_compressBound(block_size * 16 + 65536));
	{
		const uint8_t *p = all.p;

		for (i = 0; i < nb; i++) {
			size_t z = bsz[i], r;

			reserve(&cbuf, ZSTD_compressBound(z));
			r = ZSTD_compress2(c, cbuf.p, cbuf.cap, p, z);
			if (ZSTD_isError(r))
				die(ZSTD_getErrorName(r));
			if (r < z - z / 8)
				disk += r;
			else {
				disk += z;
				nraw++;
			}
			disk += TRAILER;
			if (outdir != NULL && i % 5 == 0)
				put(&sel, cbuf.p, r);
			p += z;
		}
	}
	if (outdir != NULL && dlen > 0) {
		write_file(outdir, "dict", dict, dlen);
		write_file(outdir, "blocks", sel.p, sel.len);
	}
	/* data bytes = the blocks with trailers; dict = its block with trailer */
	printf("layout=%s interval=%d block=%zu dict=%zu zmode=%s level=%d: records %zu blocks %zu "
	    "raw %llu data %llu dictblock %zu raw-stored %llu data+dict %llu\n",
	    layout, interval, block_size, dict_size, zmode, level, nrec, nb,
	    (unsigned long long)raw, (unsigned long long)disk, dlen ? dlen + TRAILER : 0,
	    (unsigned long long)nraw, (unsigned long long)(disk + (dlen ? dlen + TRAILER : 0)));
	ZSTD_freeCDict(cd);
	ZSTD_freeCCtx(c);
	free(dict);
	free(bsz);
	free(bfirst);
	free(all.p);
	free(blk.p);
	free(cbuf.p);
	free(sel.p);
	return 0;
}

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The structures of a table, from its footer (formats/sstable.md). */
static int
info(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t ft[88];
	long size;
	uint64_t doff = 0, dlen = 0, foff, flen, poff, plen, ioff, ilen, data_end, parts;
	uint32_t version, lines;
	const uint8_t *q;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 88 ||
	    fseek(f, size - 88, SEEK_SET) != 0 || fread(ft, 1, 88, f) != 88)
		die("cannot read the table");
	fclose(f);
	version = le32(ft + 88 - 16);
	q = version == 2 ? ft : ft + 16;
	if (version == 2) {
		doff = le64(q);
		dlen = le64(q + 8);
		q += 16;
	}
	foff = le64(q);
	flen = le64(q + 8);
	poff = le64(q + 16);
	plen = le64(q + 24);
	ioff = le64(q + 32);
	ilen = le64(q + 40);
	lines = le32(q + 48);
	data_end = version == 2 ? doff : foff ? foff : poff;
	parts = ioff - (poff + plen + TRAILER);
	printf("file %ld\n", size);
	printf("data blocks (with trailers)  %llu  %.2f%%\n", (unsigned long long)data_end, 100.0 * (double)data_end / (double)size);
	printf("dictionary block             %llu  %.2f%%\n", (unsigned long long)(dlen ? dlen + TRAILER : 0), 100.0 * (double)(dlen ? dlen + TRAILER : 0) / (double)size);
	printf("filter block                 %llu  %.2f%% (%u lines, %u probes)\n", (unsigned long long)(flen ? flen + TRAILER : 0), 100.0 * (double)(flen ? flen + TRAILER : 0) / (double)size, lines, q[52]);
	printf("properties block             %llu\n", (unsigned long long)(plen + TRAILER));
	printf("index partitions             %llu  %.2f%%\n", (unsigned long long)parts, 100.0 * (double)parts / (double)size);
	printf("top-level index              %llu\n", (unsigned long long)(ilen + TRAILER));
	printf("footer                       %d\n", version == 2 ? 88 : 72);
	return 0;
}

/*
 * A reader's dictionary work: one DDict by reference (as lib/table_reader.c
 * makes it), then each frame of BLOCKS decompressed with it.
 */
static int
lookup(const char *dpath, const char *bpath)
{
	static uint8_t d[1 << 20], b[1 << 26], out[1 << 24];
	FILE *f;
	size_t dn, bn, r, off = 0, nb = 0, raw = 0;
	ZSTD_DCtx *dc;
	ZSTD_DDict *dd;

	if ((f = fopen(dpath, "rb")) == NULL)
		die("dict");
	dn = fread(d, 1, sizeof(d), f);
	fclose(f);
	if ((f = fopen(bpath, "rb")) == NULL)
		die("blocks");
	bn = fread(b, 1, sizeof(b), f);
	if (bn == sizeof(b))
		die("blocks: too large");
	fclose(f);
	dc = ZSTD_createDCtx();
	dd = ZSTD_createDDict_byReference(d, dn);
	if (dc == NULL || dd == NULL)
		die("zstd");
	while (off < bn) {
		size_t fl = ZSTD_findFrameCompressedSize(b + off, bn - off);

		if (ZSTD_isError(fl))
			die(ZSTD_getErrorName(fl));
		r = ZSTD_decompress_usingDDict(dc, out, sizeof(out), b + off, fl, dd);
		if (ZSTD_isError(r))
			die(ZSTD_getErrorName(r));
		off += fl;
		raw += r;
		nb++;
	}
	printf("dict %zu: %zu blocks, %zu bytes -> %zu\n", dn, nb, bn, raw);
	ZSTD_freeDDict(dd);
	ZSTD_freeDCtx(dc);
	return 0;
}

int
main(int argc, char **argv)
{
	int o;

	if (argc == 3 && strcmp(argv[1], "--info") == 0)
		return info(argv[2]);
	if (argc == 4 && strcmp(argv[1], "--lookup") == 0)
		return lookup(argv[2], argv[3]);
	while ((o = getopt(argc, argv, "b:r:L:D:S:z:l:o:sF")) != -1) {
		switch (o) {
		case 'b': block_size = strtoul(optarg, NULL, 10); break;
		case 'r': interval = atoi(optarg); break;
		case 'L': layout = optarg; break;
		case 'D': dict_size = strtoul(optarg, NULL, 10); break;
		case 'S': sample_size = strtoul(optarg, NULL, 10); break;
		case 'z': zmode = optarg; break;
		case 'l': level = atoi(optarg); break;
		case 'o': outdir = optarg; break;
		case 's': search_only = 1; break;
		case 'F': fast_scan = 1; break;
		default: die("usage: size-proto [-b N] [-r N] [-L row|row2|fixhdr|col|colf|colf2] [-D N] [-S N] [-z MODE] [-l N] [-o DIR] [-s [-F]] < cdb");
		}
	}
	if (strcmp(layout, "row") && strcmp(layout, "row2") && strcmp(layout, "fixhdr") &&
	    strcmp(layout, "col") && strcmp(layout, "colf") && strcmp(layout, "colf2"))
		die("unknown -L");
	read_cdb(stdin);
	if (nrec == 0)
		die("no records");
	return sizes();
}
