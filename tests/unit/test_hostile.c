/*
 * Hostile tables (issue 5, "limits against hostile files"): a zstd bomb in
 * a data block with a valid checksum, and a block declaring a raw size past
 * the format's limit, and one whose frame header contradicts the block's
 * declared raw size or does not record one. The reader must refuse each as damage (SST_EDATA),
 * allocating no more than the declared, bounded raw size, and nothing when
 * the frame header disagrees with it.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zstd.h>

#include "format.h"
#include "table.h"
#include "table_int.h"
#include "unit.h"
#include "util.h"

#define BOMB_SIZE	(256ull << 20)	/* what the bomb inflates to */

#define tpath unit_path

/* One data block of about 60 KiB, stored raw, no filter. */
static int
build_one_block(const char *path)
{
	sst_table_opts o;
	sst_writer *w;
	sst_err e = { 0, "" };
	uint8_t k[16], v[600];
	uint64_t x = 88172645463325252ull;
	int i;
	size_t j;

	sst_table_opts_default(&o);
	o.block_size = 64 << 10;
	o.compression = SST_COMP_NONE;
	o.bloom_bits = 0;
	if (sst_writer_open(&w, path, &o, &e) != SST_OK)
		return -1;
	for (i = 0; i < 100; i++) {
		sst_rec r = { k, (size_t)snprintf((char *)k, sizeof(k), "k%05d", i), v, sizeof(v), SST_PUT };

		for (j = 0; j < sizeof(v); j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			v[j] = (uint8_t)x;
		}
		if (sst_writer_add(w, &r, &e) != SST_OK) {
			sst_writer_abort(&w);
			return -1;
		}
	}
	return sst_writer_finish(&w, &e) == SST_OK ? 0 : -1;
}

/* A zstd frame of BOMB_SIZE zero bytes (a few KiB); *len its size. */
static uint8_t *
make_bomb(size_t *len)
{
	static uint8_t zeros[1 << 20];
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t cap = 1 << 20, pos = 0;
	uint8_t *out = malloc(cap);
	uint64_t fed;

	if (c == NULL || out == NULL) {
		ZSTD_freeCCtx(c);	/* both accept NULL */
		free(out);
		return NULL;
	}
	ZSTD_CCtx_setPledgedSrcSize(c, BOMB_SIZE);
	for (fed = 0; fed < BOMB_SIZE; fed += sizeof(zeros)) {
		ZSTD_inBuffer in = { zeros, sizeof(zeros), 0 };
		ZSTD_EndDirective end = fed + sizeof(zeros) >= BOMB_SIZE ? ZSTD_e_end : ZSTD_e_continue;
		size_t left;

		do {
			ZSTD_outBuffer ob = { out, cap, pos };

			left = ZSTD_compressStream2(c, &ob, &in, end);
			pos = ob.pos;
			if (ZSTD_isError(left) || pos == cap) {
				ZSTD_freeCCtx(c);
				free(out);
				return NULL;
			}
		} while (in.pos < in.size || (end == ZSTD_e_end && left != 0));
	}
	ZSTD_freeCCtx(c);
	*len = pos;
	return out;
}

/*
 * Replaces the table's only data block (at offset 0, L bytes of payload)
 * by the bomb padded with a zstd skippable frame to the same L bytes, as a
 * zstd block declaring raw_len (0: its true raw size L), with a valid
 * checksum.
 */
static int
plant(const char *path, const uint8_t *bomb, size_t blen, uint32_t raw_len)
{
	sst_err e = { 0, "" };
	sst_table *t = NULL;
	uint8_t *blk;
	size_t L;
	int fd, ok;

	if (sst_table_open(&t, path, &e) != SST_OK)
		return -1;
	L = (size_t)t->f.props.off - SST_TRAILER_SIZE;	/* no filter: props follow */
	sst_table_close(&t);
	if (blen + 8 > L || (blk = calloc(1, L + SST_TRAILER_SIZE)) == NULL)
		return -1;
	memcpy(blk, bomb, blen);
	sst_put_le32(blk + blen, 0x184D2A50u);		/* skippable frame magic */
	sst_put_le32(blk + blen + 4, (uint32_t)(L - blen - 8));
	blk[L] = SST_BLOCK_ZSTD;
	sst_put_le32(blk + L + 1, raw_len ? raw_len : (uint32_t)L);
	sst_put_le32(blk + L + 5, sst_checksum(blk, L + 5, 0));
	fd = open(path, O_WRONLY);
	ok = fd >= 0 && pwrite(fd, blk, L + SST_TRAILER_SIZE, 0) == (ssize_t)(L + SST_TRAILER_SIZE);
	if (fd >= 0)
		close(fd);
	free(blk);
	return ok ? 0 : -1;
}

/* Every way of reading the table meets the block and refuses it. */
static void
check_refused(const char *path, const char *why)
{
	sst_err e = { 0, "" };
	sst_table *t = NULL;
	sst_iter *it = NULL;
	sst_rec r;
	int found = 0;

	CHECK_RC(sst_table_open(&t, path, &e), SST_OK);
	if (t == NULL)
		return;
	CHECK_RC(sst_table_get(t, (const uint8_t *)"k00042", 6, &r, &found, &e), SST_EDATA);
	CHECK(strstr(e.msg, why) != NULL && strstr(e.msg, "@0") != NULL);
	CHECK_RC(sst_table_iter(t, &it, &e), SST_OK);
	if (it != NULL) {
		CHECK_RC(sst_iter_first(it, &e), SST_EDATA);
		sst_iter_destroy(&it);
	}
	sst_table_close(&t);
	CHECK_RC(sst_table_verify(path, NULL, &e), SST_EDAMAGE);
	CHECK(strstr(e.msg, "data block") != NULL);
}


/* ---- the dictionary block (format version 2) ---- */

/* A table with a dictionary: 20000 records sharing words (about 2.5 MiB raw). */
static int
build_dict_table(const char *path, sst_footer *f, uint64_t *foot_off)
{
	sst_table_opts o;
	sst_writer *w;
	sst_table *t = NULL;
	sst_err e = { 0, "" };
	char k[32], v[256];
	int i;

	sst_table_opts_default(&o);
	if (sst_writer_open(&w, path, &o, &e) != SST_OK)
		return -1;
	for (i = 0; i < 20000; i++) {
		static const char *wd[] = { "alpha", "bravo", "charlie", "delta", "echo", "golf",
		    "hotel", "india", "kilo", "lima", "oscar", "romeo", "sierra", "tango" };
		sst_rec r = { (uint8_t *)k, (size_t)snprintf(k, sizeof(k), "k%06d", i), (uint8_t *)v,
		    (size_t)snprintf(v, sizeof(v), "Package: p%d\nVersion: %d.%d\nMaintainer: team %d "
		    "<t%d@example.org>\nDescription: %s %s %s %s %s\n", i, i % 9, i % 31,
		    i % 11, i % 11, wd[i % 14], wd[(i / 14) % 14], wd[(i * 7 + 3) % 14],
		    wd[(i / 196) % 14], wd[(i * 5) % 13]), SST_PUT };

		if (sst_writer_add(w, &r, &e) != SST_OK) {
			sst_writer_abort(&w);
			return -1;
		}
	}
	if (sst_writer_finish(&w, &e) != SST_OK || sst_table_open(&t, path, &e) != SST_OK)
		return -1;
	*f = t->f;
	*foot_off = t->footer_off;
	sst_table_close(&t);
	return f->dict.len > 0 && f->version == 2 ? 0 : -1;
}

static int
pwrite_at(const char *path, const void *p, size_t n, uint64_t off)
{
	int fd = open(path, O_WRONLY), ok;

	ok = fd >= 0 && pwrite(fd, p, n, (off_t)off) == (ssize_t)n;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* Rewrites the footer (a valid checksum) with f. */
static int
put_footer(const char *path, const sst_footer *f, uint64_t foot_off)
{
	uint8_t b[SST_FOOTER_MAX];
	size_t n = sst_footer_encode(f, foot_off, b);

	return pwrite_at(path, b, n, foot_off);
}

/* Opening, or the first lookup, or verify refuses the table naming why. */
static void
check_dict_refused(const char *path, int at_open, const char *why)
{
	sst_err e = { 0, "" };
	sst_table *t = NULL;
	sst_rec r;
	int found = 0;

	if (at_open) {
		CHECK_RC(sst_table_open(&t, path, &e), SST_EDATA);
		CHECK(strstr(e.msg, why) != NULL);
	} else {
		CHECK_RC(sst_table_open(&t, path, &e), SST_OK);
		if (t != NULL) {
			CHECK_RC(sst_table_get(t, (const uint8_t *)"k000042", 7, &r, &found, &e), SST_EDATA);
			CHECK(strstr(e.msg, why) != NULL);
			sst_table_close(&t);
		}
	}
	CHECK_RC(sst_table_verify(path, NULL, &e), SST_EDAMAGE);
	CHECK(strstr(e.msg, why) != NULL);
}

static void
test_dict_block(void)
{
	sst_footer f, g;
	uint64_t fo = 0;
	uint8_t junk[64], tr[SST_TRAILER_SIZE], b = 0;
	const char *p;
	sst_err e = { 0, "" };

	memset(&f, 0, sizeof(f));

	/* A declared length of 1 TiB, and one just past the format's limit. */
	p = unit_path("dhuge.sst");
	CHECK(build_dict_table(p, &f, &fo) == 0);
	g = f;
	g.dict.len = 1ull << 40;
	CHECK(put_footer(p, &g, fo) == 0);
	check_dict_refused(p, 1, "dictionary length out of range");
	g.dict.len = SST_MAX_DICT + 1;
	CHECK(put_footer(p, &g, fo) == 0);
	check_dict_refused(p, 1, "dictionary length out of range");
	/* In range, but running past the footer. */
	g.dict.len = SST_MAX_DICT;
	CHECK(put_footer(p, &g, fo) == 0);
	check_dict_refused(p, 1, "dictionary handle out of bounds");

	/* One byte of the dictionary flipped: its checksum fails. */
	p = unit_path("dflip.sst");
	CHECK(build_dict_table(p, &f, &fo) == 0);
	CHECK(sst_table_verify(p, NULL, &e) == SST_OK);
	{
		int fd = open(p, O_RDONLY);

		CHECK(fd >= 0 && pread(fd, &b, 1, (off_t)(f.dict.off + f.dict.len / 2)) == 1);
		if (fd >= 0)
			close(fd);
	}
	b ^= 0x10;
	CHECK(pwrite_at(p, &b, 1, f.dict.off + f.dict.len / 2) == 0);
	{
		char at[64];

		/* "PATH@OFF: dictionary: checksum mismatch", the dictionary's offset */
		snprintf(at, sizeof(at), "@%llu: dictionary: ", (unsigned long long)f.dict.off);
		check_dict_refused(p, 0, at);
	}

	/* A valid checksum over bytes that are no zstd dictionary. */
	p = unit_path("djunk.sst");
	CHECK(build_dict_table(p, &f, &fo) == 0);
	memset(junk, 'x', sizeof(junk));
	g = f;
	g.dict.len = sizeof(junk);
	/* the junk block sits where the dictionary began */
	tr[0] = SST_BLOCK_RAW;
	sst_put_le32(tr + 1, sizeof(junk));
	{
		uint8_t blk[sizeof(junk) + SST_TRAILER_SIZE];

		memcpy(blk, junk, sizeof(junk));
		memcpy(blk + sizeof(junk), tr, 5);
		sst_put_le32(blk + sizeof(junk) + 5, sst_checksum(blk, sizeof(junk) + 5, g.dict.off));
		CHECK(pwrite_at(p, blk, sizeof(blk), g.dict.off) == 0);
	}
	CHECK(put_footer(p, &g, fo) == 0);
	check_dict_refused(p, 0, "not a zstd dictionary");

	/* A version-1 footer on a table whose blocks need the dictionary. */
	p = unit_path("dnone.sst");
	CHECK(build_dict_table(p, &f, &fo) == 0);
	g = f;
	memset(&g.dict, 0, sizeof(g.dict));
	/* a 72-byte footer now ends the file; the 16 bytes before it are slack */
	CHECK(put_footer(p, &g, fo + 16) == 0);
	check_dict_refused(p, 0, "without a dictionary");
}

int
main(void)
{
	struct rlimit rl;
	uint8_t *bomb;
	size_t blen = 0;

	bomb = make_bomb(&blen);
	CHECK(bomb != NULL && blen < 64 << 10);
	if (bomb == NULL)
		UNIT_DONE();
	printf("hostile: a %zu-byte zstd frame of %llu MiB\n", blen,
	    (unsigned long long)(BOMB_SIZE >> 20));

	/*
	 * Under a 160 MiB address-space limit (no sanitizer shadow to
	 * reserve), inflating the bomb would fail with ENOMEM (exit 4);
	 * refusing it as damage (exit 3) proves it was never inflated.
	 */
#if !defined(__SANITIZE_ADDRESS__)
	/* (not under valgrind either, whose own mappings need the room) */
	const char *pre = getenv("LD_PRELOAD");

	if ((pre == NULL || strstr(pre, "vgpreload") == NULL) &&
	    getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur > (160ull << 20)) {
		rl.rlim_cur = 160ull << 20;
		CHECK(setrlimit(RLIMIT_AS, &rl) == 0);
	}
#else
	(void)rl;
#endif

	/* The block declares its true 60 KiB: the bomb may not exceed it. */
	CHECK(build_one_block(unit_path("bomb.sst")) == 0);
	CHECK(plant(unit_path("bomb.sst"), bomb, blen, 0) == 0);
	check_refused(unit_path("bomb.sst"), "does not decompress");

	/* The block declares the bomb's size: past the format's limit. */
	CHECK(build_one_block(unit_path("huge.sst")) == 0);
	CHECK(plant(unit_path("huge.sst"), bomb, blen, (uint32_t)BOMB_SIZE) == 0);
	check_refused(unit_path("huge.sst"), "block too large");

	/*
	 * The block declares the format's largest raw size, the bomb's frame
	 * header another: refused before the 96 MiB are allocated (with 64
	 * MiB of address space left to this process, allocating them would be
	 * ENOMEM, not damage).
	 */
	CHECK(build_one_block(unit_path("liar.sst")) == 0);
	CHECK(plant(unit_path("liar.sst"), bomb, blen, (uint32_t)SST_MAX_BLOCK_RAW) == 0);
#if !defined(__SANITIZE_ADDRESS__)
	{
		unsigned long vm_pages = 0;
		FILE *f = fopen("/proc/self/statm", "r");
		char line[128];

		if (f != NULL && fgets(line, sizeof(line), f) != NULL)
			vm_pages = strtoul(line, NULL, 10);
		if (vm_pages > 0 &&
		    (pre == NULL || strstr(pre, "vgpreload") == NULL) &&
		    getrlimit(RLIMIT_AS, &rl) == 0) {
			rl.rlim_cur = (rlim_t)vm_pages * (rlim_t)sysconf(_SC_PAGESIZE) + (64ull << 20);
			CHECK(setrlimit(RLIMIT_AS, &rl) == 0);
		}
		if (f != NULL)
			fclose(f);
	}
#endif
	check_refused(unit_path("liar.sst"), "does not decompress");

	/* A frame that does not record its content size is refused too. */
	{
		static uint8_t zeros[1000];
		uint8_t frame[256];
		ZSTD_CCtx *c = ZSTD_createCCtx();
		size_t flen = 0;

		CHECK(c != NULL);
		if (c != NULL) {
			CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0)));
			flen = ZSTD_compress2(c, frame, sizeof(frame), zeros, sizeof(zeros));
			CHECK(!ZSTD_isError(flen));
			CHECK(ZSTD_getFrameContentSize(frame, flen) == ZSTD_CONTENTSIZE_UNKNOWN);
			ZSTD_freeCCtx(c);
		}
		CHECK(build_one_block(unit_path("nofcs.sst")) == 0);
		CHECK(plant(unit_path("nofcs.sst"), frame, flen, (uint32_t)sizeof(zeros)) == 0);
		check_refused(unit_path("nofcs.sst"), "does not decompress");
	}

	free(bomb);
	test_dict_block();
	UNIT_DONE();
}
