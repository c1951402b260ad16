/*
 * test_dict.c - dictionary compression (formats/sstable.md, "Dictionary"):
 * a table big enough gets a dictionary (format version 2) and reads back
 * exactly; a small one, or --dict-size 0, stays version 1; a version-1
 * table written before dictionaries existed (tests/data/v1.sst, embedded
 * below) still opens, reads and verifies.
 */
#include <fcntl.h>
#include <stdlib.h>
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <unistd.h>

#include "dict.h"
#include "format.h"
#include "table.h"
#include "table_int.h"
#include "unit.h"
#include "util.h"

/* tests/data/v1.sst: sst-build of main before version 2 (4 records). */
static const uint8_t v1_table[] = {
  0x00, 0x05, 0x06, 0x61, 0x70, 0x70, 0x6c, 0x65, 0x72, 0x65, 0x64, 0x00,
  0x06, 0x0c, 0x62, 0x61, 0x6e, 0x61, 0x6e, 0x61, 0x79, 0x65, 0x6c, 0x6c,
  0x6f, 0x77, 0x00, 0x06, 0x10, 0x63, 0x68, 0x65, 0x72, 0x72, 0x79, 0x64,
  0x61, 0x72, 0x6b, 0x20, 0x72, 0x65, 0x64, 0x00, 0x06, 0x02, 0x64, 0x65,
  0x6c, 0x2d, 0x6d, 0x65, 0x78, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
  0x00, 0x00, 0x3d, 0x00, 0x00, 0x00, 0xe1, 0x29, 0xcb, 0x26, 0x00, 0x00,
  0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x19, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x10, 0x01, 0x01,
  0x80, 0x00, 0x01, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x04, 0x28,
  0x00, 0x00, 0x02, 0xa0, 0x00, 0x00, 0x11, 0x00, 0x20, 0x00, 0x00, 0x00,
  0x04, 0x00, 0x80, 0x00, 0x08, 0x00, 0x80, 0x00, 0x01, 0x04, 0x00, 0x00,
  0x00, 0x00, 0x51, 0xce, 0x49, 0x2c, 0x00, 0x44, 0x00, 0x00, 0x00, 0x3f,
  0x74, 0x33, 0x34, 0x00, 0x0a, 0x10, 0x62, 0x6c, 0x6f, 0x63, 0x6b, 0x5f,
  0x73, 0x69, 0x7a, 0x65, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x0a, 0x10, 0x62, 0x6c, 0x6f, 0x6f, 0x6d, 0x5f, 0x62, 0x69, 0x74,
  0x73, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x10,
  0x63, 0x6f, 0x6d, 0x70, 0x72, 0x65, 0x73, 0x73, 0x69, 0x6f, 0x6e, 0x01,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x10, 0x63, 0x72,
  0x65, 0x61, 0x74, 0x65, 0x64, 0xc3, 0xb7, 0x14, 0x6b, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x0b, 0x10, 0x64, 0x61, 0x74, 0x61, 0x5f, 0x62, 0x6c, 0x6f,
  0x63, 0x6b, 0x73, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x0a, 0x10, 0x64, 0x61, 0x74, 0x61, 0x5f, 0x62, 0x79, 0x74, 0x65, 0x73,
  0x46, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x10, 0x64,
  0x65, 0x6c, 0x65, 0x74, 0x65, 0x73, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x0b, 0x0c, 0x6c, 0x61, 0x72, 0x67, 0x65, 0x73, 0x74,
  0x5f, 0x6b, 0x65, 0x79, 0x64, 0x65, 0x6c, 0x2d, 0x6d, 0x65, 0x00, 0x05,
  0x10, 0x6c, 0x65, 0x76, 0x65, 0x6c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x0e, 0x10, 0x72, 0x61, 0x77, 0x5f, 0x64, 0x61, 0x74,
  0x61, 0x5f, 0x62, 0x79, 0x74, 0x65, 0x73, 0x3d, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x0d, 0x10, 0x72, 0x61, 0x77, 0x5f, 0x6b, 0x65,
  0x79, 0x5f, 0x62, 0x79, 0x74, 0x65, 0x73, 0x17, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x0f, 0x10, 0x72, 0x61, 0x77, 0x5f, 0x76, 0x61,
  0x6c, 0x75, 0x65, 0x5f, 0x62, 0x79, 0x74, 0x65, 0x73, 0x12, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x10, 0x72, 0x65, 0x63, 0x6f,
  0x72, 0x64, 0x73, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x0c, 0x0a, 0x73, 0x6d, 0x61, 0x6c, 0x6c, 0x65, 0x73, 0x74, 0x5f, 0x6b,
  0x65, 0x79, 0x61, 0x70, 0x70, 0x6c, 0x65, 0x00, 0x00, 0x00, 0x00, 0x15,
  0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x52,
  0x00, 0x00, 0x00, 0x68, 0x00, 0x00, 0x00, 0x7d, 0x00, 0x00, 0x00, 0x8f,
  0x00, 0x00, 0x00, 0xa3, 0x00, 0x00, 0x00, 0xb3, 0x00, 0x00, 0x00, 0xcc,
  0x00, 0x00, 0x00, 0xe4, 0x00, 0x00, 0x00, 0xfe, 0x00, 0x00, 0x00, 0x10,
  0x01, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x60, 0x01, 0x00, 0x00,
  0x3c, 0xbb, 0x07, 0x91, 0x00, 0x06, 0x04, 0x64, 0x65, 0x6c, 0x2d, 0x6d,
  0x65, 0x00, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
  0x13, 0x00, 0x00, 0x00, 0xeb, 0xc9, 0xce, 0x4c, 0x00, 0x06, 0x06, 0x64,
  0x65, 0x6c, 0x2d, 0x6d, 0x65, 0xfc, 0x03, 0x13, 0x00, 0x00, 0x00, 0x00,
  0x01, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x55, 0x58, 0x56,
  0x4a, 0x46, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x44, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x93, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x60, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x18, 0x02, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
  0x00, 0x17, 0x44, 0xbd, 0xb3, 0x89, 0x53, 0x53, 0x54, 0x0d, 0x0a, 0x1a,
  0x0a
};

#define tpath unit_path

/* A value that looks like a package stanza: shared vocabulary, varying parts. */
static size_t
value_of(int i, char *v, size_t cap)
{
	return (size_t)snprintf(v, cap,
	    "Package: pkg%d\nVersion: %d.%d-%d\nArchitecture: amd64\n"
	    "Maintainer: Team %d <team%d@lists.example.org>\nDepends: libc6 (>= 2.%d), libfoo%d\n"
	    "Description: the package number %d of the test\n", i, i % 7, i % 13, i % 3,
	    i % 17, i % 17, i % 40, i % 9, i);
}

static int write_temporary;	/* SST_TEMP_* of the tables write_table writes */

static int
write_table(const char *path, int n, size_t dict, int threads)
{
	sst_table_opts o;
	sst_writer *w;
	sst_err e = { 0, "" };
	char k[32], v[512];
	int i;

	sst_table_opts_default(&o);
	o.dict_size = dict;
	o.temporary = write_temporary;
	o.threads = threads;
	if (sst_writer_open(&w, path, &o, &e) != SST_OK)
		return -1;
	for (i = 0; i < n; i++) {
		sst_rec r = { (uint8_t *)k, (size_t)snprintf(k, sizeof(k), "key%08d", i),
		    (uint8_t *)v, 0, i % 10 == 9 ? SST_DEL : SST_PUT };

		r.vlen = r.kind == SST_DEL ? 0 : value_of(i, v, sizeof(v));
		if (sst_writer_add(w, &r, &e) != SST_OK)
			break;
	}
	if (e.code == SST_OK && sst_writer_finish(&w, &e) == SST_OK)
		return 0;
	fprintf(stderr, "%s: %s\n", path, e.msg);
	sst_writer_abort(&w);	/* NULL after finish */
	return -1;
}

/* Every record reads back by get and by a scan; verify passes. */
static void
check_table(const char *path, int n)
{
	sst_err e = { 0, "" };
	sst_table *t = NULL;
	sst_iter *it = NULL;
	sst_rec r;
	char k[32], v[512];
	int i, found, bad = 0, rc;

	CHECK_RC(sst_table_verify(path, NULL, &e), SST_OK);
	CHECK_RC(sst_table_open(&t, path, &e), SST_OK);
	if (t == NULL)
		return;
	for (i = 0; i < n; i += 7) {
		size_t kl = (size_t)snprintf(k, sizeof(k), "key%08d", i), vl = value_of(i, v, sizeof(v));

		if (sst_table_get(t, (uint8_t *)k, kl, &r, &found, &e) != SST_OK || !found ||
		    (i % 10 == 9 ? r.kind != SST_DEL :
		    (r.kind != SST_PUT || r.vlen != vl || memcmp(r.val, v, vl) != 0)))
			bad++;
	}
	CHECK(bad == 0);
	CHECK_RC(sst_table_get(t, (const uint8_t *)"key9", 4, &r, &found, &e), SST_OK);
	CHECK(!found);
	CHECK_RC(sst_table_iter(t, &it, &e), SST_OK);
	i = 0;
	for (rc = sst_iter_first(it, &e); rc == SST_OK && it->valid; rc = sst_iter_next(it, &e))
		i++;
	CHECK(rc == SST_OK && i == n);
	sst_iter_destroy(&it);
	sst_table_close(&t);
}

static uint64_t
dict_bytes(const char *path, uint32_t *version, uint64_t *size)
{
	sst_err e = { 0, "" };
	sst_table *t = NULL;
	sst_props p;

	memset(&p, 0, sizeof(p));
	if (sst_table_open(&t, path, &e) != SST_OK || sst_table_props(t, &p, &e) != SST_OK) {
		sst_table_close(&t);
		return UINT64_MAX;
	}
	*version = p.format_version;
	*size = p.file_size;
	sst_table_close(&t);
	return p.dict_bytes;
}

static void
test_dictionary(void)
{
	uint32_t v1 = 0, v2 = 0, v3 = 0;
	uint64_t s1 = 0, s2 = 0, s3 = 0, d;
	const int n = 40000;	/* about 7 MiB raw: past the 2 MiB sample */

	CHECK(write_table(unit_path("d.sst"), n, SST_DICT_DEFAULT, 1) == 0);
	CHECK(write_table(unit_path("dt.sst"), n, SST_DICT_DEFAULT, 2) == 0);
	CHECK(write_table(unit_path("n.sst"), n, 0, 1) == 0);
	d = dict_bytes(unit_path("d.sst"), &v1, &s1);
	CHECK(d > 0 && d <= SST_DICT_DEFAULT && v1 == 2);
	CHECK(dict_bytes(unit_path("dt.sst"), &v2, &s2) == d && s2 == s1);
	CHECK(dict_bytes(unit_path("n.sst"), &v3, &s3) == 0 && v3 == 1);
	printf("dict: %llu bytes with a %llu-byte dictionary, %llu without\n",
	    (unsigned long long)s1, (unsigned long long)d, (unsigned long long)s3);
	CHECK(s1 < s3 - s3 / 20);	/* at least 5% smaller (11% when written) */
	check_table(unit_path("d.sst"), n);
	check_table(unit_path("dt.sst"), n);
	check_table(unit_path("n.sst"), n);

	/* Whole table inside the sample, but over 8 x the dictionary: trained at finish. */
	CHECK(write_table(unit_path("m.sst"), 15000, SST_DICT_DEFAULT, 1) == 0);
	CHECK(dict_bytes(unit_path("m.sst"), &v1, &s1) > 0 && v1 == 2);
	check_table(unit_path("m.sst"), 15000);
	/* Below 8 x the dictionary: none (training would not pay). */
	CHECK(write_table(unit_path("s.sst"), 500, SST_DICT_DEFAULT, 1) == 0);
	CHECK(dict_bytes(unit_path("s.sst"), &v1, &s1) == 0 && v1 == 1);
	check_table(unit_path("s.sst"), 500);
	/* Empty table. */
	CHECK(write_table(unit_path("e.sst"), 0, SST_DICT_DEFAULT, 1) == 0);
	CHECK(dict_bytes(unit_path("e.sst"), &v1, &s1) == 0 && v1 == 1);
}

/*
 * sst_dict_train gives zstd's fastCover dictionary with the fixed
 * parameters (k 75, d 8, f 18, accel 4) on two kinds of samples;
 * sst_dict_pays keeps it where it saves more than its size.
 */
static void
test_dict_train(void)
{
	const size_t cap = 16u << 10, nsamples = 160;
	size_t *sizes = malloc(nsamples * sizeof(*sizes)), len1 = 0, zn, i, used = 0;
	uint8_t *samples = malloc(nsamples * 8192), *d1 = NULL, *zd = malloc(cap);
	unsigned kind, x = 12345;
	int pays;

	if (sizes == NULL || samples == NULL || zd == NULL) {
		CHECK(0);
		goto out;
	}
	for (kind = 0; kind < 2; kind++) {
		ZDICT_fastCover_params_t fp;
		ZSTD_CDict *cd;

		used = 0;
		for (i = 0; i < nsamples; i++) {	/* blocks of stanzas, or of words with digits */
			size_t n = 0;
			char v[512];

			while (n < 7600) {
				size_t m;

				x = x * 1103515245u + 12345u;
				if (kind == 0)
					m = value_of((int)(x >> 8) % 5000, v, sizeof(v));
				else
					m = (size_t)snprintf(v, sizeof(v), "w%u-%s-%u ", (x >> 20) % 300,
					    (x >> 9) % 3 ? "alpha" : "omega", (x >> 4) % 100000);
				memcpy(samples + used + n, v, m);
				n += m;
			}
			sizes[i] = n;
			used += n;
		}
		memset(&fp, 0, sizeof(fp));
		fp.k = 75;
		fp.d = 8;
		fp.f = 18;
		fp.accel = 4;
		fp.splitPoint = 1.0;
		fp.zParams.compressionLevel = 3;
		zn = ZDICT_trainFromBuffer_fastCover(zd, cap, samples, sizes, (unsigned)nsamples, fp);
		CHECK(!ZDICT_isError(zn) && zn > 0);
		CHECK(sst_dict_train(samples, sizes, nsamples, cap, 3, &d1, &len1) == 0);
		printf("dict train: kind %u, %zu bytes\n", kind, len1);
		CHECK(len1 == zn && d1 != NULL && memcmp(d1, zd, zn) == 0);
		cd = d1 != NULL ? ZSTD_createCDict(d1, len1, 3) : NULL;
		CHECK(cd != NULL);
		if (cd != NULL) {
			pays = 0;
			CHECK(sst_dict_pays(samples, sizes, nsamples, cd, len1, 3, &pays) == 0 && pays == 1);
			/* a saving below the dictionary's size: not kept */
			pays = 1;
			CHECK(sst_dict_pays(samples, sizes, nsamples, cd, 64u << 20, 3, &pays) == 0 && pays == 0);
			ZSTD_freeCDict(cd);
		}
		free(d1);
		d1 = NULL;
	}
	/* Too little to train on: no dictionary, not an error. */
	CHECK(sst_dict_train(samples, sizes, 2, cap, 3, &d1, &len1) == 0 && d1 == NULL && len1 == 0);
out:
	free(sizes);
	free(samples);
	free(zd);
}

static void
test_v1_table(void)
{
	const char *path = unit_path("v1.sst");
	sst_err e = { 0, "" };
	sst_table *t = NULL;
	sst_props p;
	sst_rec r;
	int fd, found = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, v1_table, sizeof(v1_table)) == (ssize_t)sizeof(v1_table));
	if (fd >= 0)
		close(fd);
	CHECK_RC(sst_table_verify(path, &p, &e), SST_OK);
	CHECK(p.format_version == 1 && p.records == 4 && p.dict_bytes == 0);
	CHECK_RC(sst_table_open(&t, path, &e), SST_OK);
	if (t == NULL)
		return;
	CHECK_RC(sst_table_get(t, (const uint8_t *)"cherry", 6, &r, &found, &e), SST_OK);
	CHECK(found && r.vlen == 8 && memcmp(r.val, "dark red", 8) == 0);
	sst_table_close(&t);
}

/* The dictionary (and filter) of a temporary table (table.h) against a final one. */
static void
test_temporary(void)
{
	static const struct {
		int temp;
		size_t dict;
		int want_dict, want_filter;
	} c[] = {
		{ SST_TEMP_NONE, SST_DICT_AUTO, 1, 1 },
		{ SST_TEMP_NONE, 0, 0, 1 },
		{ SST_TEMP_MERGED, SST_DICT_AUTO, 0, 1 },
		{ SST_TEMP_MERGED, SST_DICT_DEFAULT, 1, 1 },
		{ SST_TEMP_SCRATCH, SST_DICT_AUTO, 0, 0 },
		{ SST_TEMP_SCRATCH, SST_DICT_DEFAULT, 0, 0 },
	};
	sst_table_opts o;
	sst_err e = { 0, "" };
	sst_table *t;
	sst_props p;
	size_t i;

	sst_table_opts_default(&o);
	CHECK(o.dict_size == SST_DICT_AUTO && o.temporary == SST_TEMP_NONE);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		write_temporary = c[i].temp;
		CHECK(write_table(unit_path("tmp.sst"), 15000, c[i].dict, 1) == 0);
		t = NULL;
		CHECK_RC(sst_table_open(&t, unit_path("tmp.sst"), &e), SST_OK);
		if (t != NULL && sst_table_props(t, &p, &e) == SST_OK) {
			CHECK((p.dict_bytes > 0) == c[i].want_dict);
			CHECK((p.bloom_bits > 0) == c[i].want_filter);
		}
		sst_table_close(&t);
		check_table(unit_path("tmp.sst"), 15000);
		unlink(unit_path("tmp.sst"));
	}
	write_temporary = SST_TEMP_NONE;
}

int
main(void)
{
	test_v1_table();
	test_dict_train();
	test_dictionary();
	test_temporary();
	UNIT_DONE();
}
