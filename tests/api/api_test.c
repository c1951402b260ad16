/*
 * api_test.c - every function of the public API (include/sstkit/), as a
 * user calls it: built by tests/api/run against a staged install with
 * pkg-config, shared and static, as C and as C++ (it is both). Runs in
 * the current directory (a fresh one); exits 0 when every check passed.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstkit/sstkit.h>

static int failures;

#define CHECK(cond) do { if (!(cond)) { failures++; \
	fprintf(stderr, "api_test:%d: failed: %s (%s)\n", __LINE__, #cond, \
	    sstkit_error_message(e)); } } while (0)
#define OK(call) CHECK((call) == SSTKIT_OK)

static sstkit_error *e;

static int
has(sstkit_reader *r, const char *k, const char *want)
{
	const void *v;
	size_t vl;
	int rc = sstkit_reader_get(r, k, strlen(k), &v, &vl, e);

	if (want == NULL)
		return rc == SSTKIT_NOTFOUND;
	return rc == SSTKIT_OK && vl == strlen(want) && memcmp(v, want, vl) == 0;
}

/* Concatenates the keys of it into out ("k1,k2,"); returns the last code. */
static int
keys_of(sstkit_iter *it, char *out, size_t size)
{
	const void *k;
	size_t kl;
	int rc;

	out[0] = '\0';
	while ((rc = sstkit_iter_next(it, &k, &kl, NULL, NULL, e)) == SSTKIT_OK) {
		size_t n = strlen(out);

		snprintf(out + n, size - n, "%.*s,", (int)kl, (const char *)k);
	}
	return rc;
}

typedef struct seen { int n; size_t idx[8]; char val[8][16]; } seen;

static int
on_found(void *clos, size_t i, const void *val, size_t vlen)
{
	seen *s = (seen *)clos;

	s->idx[s->n] = i;
	snprintf(s->val[s->n], sizeof(s->val[0]), "%.*s", (int)vlen, (const char *)val);
	s->n++;
	return 0;
}

/* The value found for index i ("-" if none). */
static const char *
found_val(const seen *s, size_t i)
{
	int j;

	for (j = 0; j < s->n; j++)
		if (s->idx[j] == i)
			return s->val[j];
	return "-";
}

static int
stop_at_first(void *clos, size_t i, const void *val, size_t vlen)
{
	(void)clos; (void)i; (void)val; (void)vlen;
	return 42;
}

static void
test_errors_and_options(void)
{
	sstkit_options *o = NULL;

	CHECK(strcmp(sstkit_version(), "") != 0);
	CHECK(sstkit_error_code(e) == SSTKIT_OK && sstkit_error_errno(e) == 0);
	CHECK(strcmp(sstkit_strcode(SSTKIT_EDATA), "bad data") == 0);
	CHECK(strcmp(sstkit_strcode(SSTKIT_EBUSY), "busy") == 0);
	OK(sstkit_options_new(&o, e));
	OK(sstkit_options_set_block_size(o, 4096));
	CHECK(sstkit_options_set_block_size(o, 1) == SSTKIT_EUSAGE);
	OK(sstkit_options_set_compression(o, SSTKIT_COMPRESSION_NONE));
	OK(sstkit_options_set_compression(o, SSTKIT_COMPRESSION_ZSTD));
	CHECK(sstkit_options_set_compression(o, 7) == SSTKIT_EUSAGE);
	OK(sstkit_options_set_level(o, 1));
	OK(sstkit_options_set_bloom_bits(o, 12));
	CHECK(sstkit_options_set_bloom_bits(o, 65) == SSTKIT_EUSAGE);
	OK(sstkit_options_set_dict_size(o, 0));
	OK(sstkit_options_set_threads(o, 2));
	OK(sstkit_options_set_memory(o, 2u << 20));
	CHECK(sstkit_options_set_memory(o, 10) == SSTKIT_EUSAGE);
	OK(sstkit_options_set_tmpdir(o, "."));
	OK(sstkit_options_set_drop_deletes(o, 1));
	OK(sstkit_options_set_wait(o, 0));
	OK(sstkit_options_set_move(o, 0));
	OK(sstkit_options_set_once(o, 1));
	OK(sstkit_options_set_strategy(o, "leveled"));
	CHECK(sstkit_options_set_strategy(o, "lazy") == SSTKIT_EUSAGE);
	OK(sstkit_options_set_sync(o, SSTKIT_SYNC_NONE));
	OK(sstkit_options_set_skip_corrupt(o, 0));
	sstkit_options_free(&o);
	CHECK(o == NULL);
	sstkit_options_free(&o);	/* NULL-safe */
}

static void
test_write(void)
{
	sstkit_writer *w = NULL;
	sstkit_builder *b = NULL;
	char k[16], v[16];
	int i;

	/* a.sst: k000..k099 = a000.., sorted */
	OK(sstkit_writer_open(&w, "a.sst", NULL, e));
	for (i = 0; i < 100; i++) {
		snprintf(k, sizeof(k), "k%03d", i);
		snprintf(v, sizeof(v), "a%03d", i);
		OK(i == 50 ? sstkit_writer_delete(w, k, 4, e) : sstkit_writer_put(w, k, 4, v, 4, e));
	}
	OK(sstkit_writer_finish(&w, e));
	CHECK(w == NULL);
	/* out of order: bad data; abandoned: nothing published */
	OK(sstkit_writer_open(&w, "bad.sst", NULL, e));
	OK(sstkit_writer_put(w, "b", 1, "1", 1, e));
	CHECK(sstkit_writer_put(w, "a", 1, "1", 1, e) == SSTKIT_EDATA);
	CHECK(sstkit_writer_put(w, "", 0, "1", 1, e) == SSTKIT_EUSAGE);
	sstkit_writer_abort(&w);
	CHECK(w == NULL && access("bad.sst", F_OK) != 0);

	/* b.sst: newer, unsorted, repeats and a delete */
	OK(sstkit_builder_open(&b, "b.sst", NULL, e));
	OK(sstkit_builder_put(b, "k010", 4, "old", 3, e));
	OK(sstkit_builder_put(b, "zz", 2, "last", 4, e));
	OK(sstkit_builder_put(b, "k010", 4, "b010", 4, e));
	OK(sstkit_builder_delete(b, "k020", 4, e));
	OK(sstkit_builder_put(b, "k050", 4, "b050", 4, e));
	OK(sstkit_builder_put(b, "\0bin", 4, "\0\1", 2, e));
	OK(sstkit_builder_finish(&b, e));
	CHECK(b == NULL);
	OK(sstkit_builder_open(&b, "never.sst", NULL, e));
	OK(sstkit_builder_put(b, "x", 1, "y", 1, e));
	sstkit_builder_abort(&b);
	CHECK(b == NULL && access("never.sst", F_OK) != 0);
}

static void
check_view(const char *const *paths, size_t n)
{
	sstkit_reader *r = NULL;
	sstkit_iter *it = NULL;
	const void *keys[5] = { "zz", "k020", "k010", "nope", "k000" };
	size_t klens[5] = { 2, 4, 4, 4, 4 };
	seen s;
	char got[512];
	const void *v;
	size_t vl;

	OK(sstkit_reader_open(&r, paths, n, e));
	CHECK(has(r, "k010", "b010"));
	CHECK(has(r, "k020", NULL));
	CHECK(has(r, "k050", "b050"));
	CHECK(has(r, "k099", "a099"));
	CHECK(has(r, "nope", NULL));
	OK(sstkit_reader_get(r, "\0bin", 4, &v, &vl, e));
	CHECK(vl == 2 && memcmp(v, "\0\1", 2) == 0);
	memset(&s, 0, sizeof(s));
	OK(sstkit_reader_get_many(r, keys, klens, 5, on_found, &s, e));
	CHECK(s.n == 3);	/* k000, k010, zz, in no particular order */
	CHECK(strcmp(found_val(&s, 4), "a000") == 0);
	CHECK(strcmp(found_val(&s, 2), "b010") == 0);
	CHECK(strcmp(found_val(&s, 0), "last") == 0);
	CHECK(sstkit_reader_get_many(r, keys, klens, 5, stop_at_first, NULL, e) == 42);

	OK(sstkit_iter_open(&it, r, "k017", 4, "k022", 4, NULL, 0, e));
	CHECK(keys_of(it, got, sizeof(got)) == SSTKIT_NOTFOUND);
	CHECK(strcmp(got, "k017,k018,k019,k021,") == 0);
	CHECK(sstkit_iter_next(it, NULL, NULL, NULL, NULL, e) == SSTKIT_NOTFOUND);
	OK(sstkit_iter_seek(it, "k000", 4, e));	/* backwards, clamped to the start */
	CHECK(keys_of(it, got, sizeof(got)) == SSTKIT_NOTFOUND);
	CHECK(strcmp(got, "k017,k018,k019,k021,") == 0);
	sstkit_iter_close(&it);
	CHECK(it == NULL);
	OK(sstkit_iter_open(&it, r, NULL, 0, NULL, 0, "k09", 3, e));
	OK(sstkit_iter_seek(it, "k095", 4, e));
	CHECK(keys_of(it, got, sizeof(got)) == SSTKIT_NOTFOUND);
	CHECK(strcmp(got, "k095,k096,k097,k098,k099,") == 0);
	sstkit_iter_close(&it);
	sstkit_reader_close(&r);
	CHECK(r == NULL);
	sstkit_reader_close(&r);
}

static void
test_read(void)
{
	const char *ab[] = { "a.sst", "b.sst" };
	sstkit_reader *r = NULL;
	char *json = NULL;
	size_t len = 0;

	check_view(ab, 2);
	OK(sstkit_reader_open(&r, ab, 2, e));
	OK(sstkit_reader_info(r, &json, &len, e));
	CHECK(json != NULL && json[0] == '[' && strlen(json) == len);
	CHECK(json != NULL && strstr(json, "\"file\": \"b.sst\"") != NULL);
	CHECK(json != NULL && strstr(json, "\"records\": 100") != NULL);
	free(json);
	sstkit_reader_close(&r);
}

static void
test_merge_store(void)
{
	const char *ab[] = { "a.sst", "b.sst" };
	const char *m[] = { "m.sst" };
	const char *st[] = { "store" };
	sstkit_options *o = NULL;
	sstkit_reader *r = NULL;
	char *json = NULL;
	size_t nc = 99;
	int fd;

	OK(sstkit_merge("m.sst", ab, 2, NULL, e));
	check_view(m, 1);
	OK(sstkit_store_ingest("store", ab, 2, NULL, e));
	check_view(st, 1);
	OK(sstkit_reader_open(&r, st, 1, e));
	OK(sstkit_reader_info(r, &json, NULL, e));
	CHECK(json != NULL && json[0] == '{' && strstr(json, "\"store\":\"store\"") != NULL);
	free(json);
	sstkit_reader_close(&r);

	/* another writer holds the store: busy */
	fd = open("store/LOCK", O_RDWR);
	CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0);
	CHECK(sstkit_store_compact("store", NULL, &nc, e) == SSTKIT_EBUSY);
	CHECK(sstkit_error_code(e) == SSTKIT_EBUSY && strstr(sstkit_error_message(e), "store") != NULL);
	close(fd);

	OK(sstkit_options_new(&o, e));
	OK(sstkit_options_set_strategy(o, "size-tiered"));
	OK(sstkit_store_compact("store", o, &nc, e));
	CHECK(nc <= 1);
	sstkit_options_free(&o);
	check_view(st, 1);
}

/*
 * A replay larger than its memtables (1 MiB of memory: two of 512 KiB):
 * flushed to temporary tables in the tmpdir option, merged, later wins
 * across flushes and logs; nothing left in the tmpdir.
 */
static void
test_wal_flushes(void)
{
	const char *wals[] = { "big1.wal", "big2.wal" };
	const char *out[] = { "big.sst" };
	sstkit_options *o = NULL;
	sstkit_wal *w = NULL;
	sstkit_reader *r = NULL;
	char key[32], val[128];
	int i, n = 0;
	struct dirent *de;
	DIR *d;

	memset(val, 'v', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	OK(sstkit_wal_open(&w, "big1.wal", NULL, e));
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "k%06d", i);
		val[0] = 'a';
		OK(sstkit_wal_put(w, key, strlen(key), val, strlen(val), e));
	}
	OK(sstkit_wal_close(&w, e));
	OK(sstkit_wal_open(&w, "big2.wal", NULL, e));
	for (i = 0; i < 20000; i += 2) {
		snprintf(key, sizeof(key), "k%06d", i);
		val[0] = 'b';
		if (i % 4 == 0)
			OK(sstkit_wal_delete(w, key, strlen(key), e));
		else
			OK(sstkit_wal_put(w, key, strlen(key), val, strlen(val), e));
	}
	OK(sstkit_wal_close(&w, e));
	CHECK(mkdir("rtmp", 0777) == 0);
	OK(sstkit_options_new(&o, e));
	OK(sstkit_options_set_memory(o, 1u << 20));
	OK(sstkit_options_set_tmpdir(o, "rtmp"));
	OK(sstkit_wal_replay("big.sst", wals, 2, o, e));
	sstkit_options_free(&o);
	OK(sstkit_reader_open(&r, out, 1, e));
	CHECK(has(r, "k000000", NULL) && has(r, "k019996", NULL));
	val[0] = 'b';
	CHECK(has(r, "k000002", val) && has(r, "k019998", val));
	val[0] = 'a';
	CHECK(has(r, "k000001", val) && has(r, "k019999", val));
	sstkit_reader_close(&r);
	if ((d = opendir("rtmp")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				n++;
		closedir(d);
	}
	CHECK(d != NULL && n == 0);
	CHECK(rmdir("rtmp") == 0);
}

static void
test_wal(void)
{
	const char *wals[] = { "1.wal", "2.wal" };
	const char *out[] = { "w.sst" };
	sstkit_wal *w = NULL;
	sstkit_reader *r = NULL;
	struct stat sb;
	off_t size;

	OK(sstkit_wal_open(&w, "1.wal", NULL, e));
	OK(sstkit_wal_put(w, "k1", 2, "one", 3, e));
	OK(sstkit_wal_put(w, "k2", 2, "two", 3, e));
	OK(sstkit_wal_sync(w, e));
	OK(sstkit_wal_close(&w, e));
	CHECK(w == NULL);
	OK(sstkit_wal_open(&w, "2.wal", NULL, e));
	OK(sstkit_wal_delete(w, "k1", 2, e));
	OK(sstkit_wal_put(w, "k3", 2, "three", 5, e));
	OK(sstkit_wal_close(&w, e));
	CHECK(stat("2.wal", &sb) == 0);
	size = sb.st_size;
	OK(sstkit_wal_open(&w, "2.wal", NULL, e));
	OK(sstkit_wal_put(w, "k4", 2, "four", 4, e));
	sstkit_wal_abort(&w);	/* appended nothing */
	CHECK(w == NULL && stat("2.wal", &sb) == 0 && sb.st_size == size);

	OK(sstkit_wal_replay("w.sst", wals, 2, NULL, e));
	OK(sstkit_reader_open(&r, out, 1, e));
	CHECK(has(r, "k1", NULL));
	CHECK(has(r, "k2", "two"));
	CHECK(has(r, "k3", "three"));
	CHECK(has(r, "k4", NULL));
	sstkit_reader_close(&r);
	/* a table is not a WAL */
	CHECK(sstkit_wal_replay("x.sst", out, 1, NULL, e) == SSTKIT_EDATA);
	test_wal_flushes();
}

static void
test_failures(void)
{
	const char *missing[] = { "missing.sst" };
	const char *junk[] = { "junk.sst" };
	const char *dmg[] = { "damaged.sst" };
	sstkit_reader *r = NULL;
	sstkit_iter *it = NULL;
	FILE *f;
	char buf[1 << 16];
	size_t n;
	int rc;

	CHECK(sstkit_reader_open(&r, missing, 1, e) == SSTKIT_ESYS);
	CHECK(r == NULL && sstkit_error_errno(e) == ENOENT);
	CHECK(strstr(sstkit_error_message(e), "missing.sst") != NULL);
	sstkit_error_clear(e);
	CHECK(sstkit_error_code(e) == SSTKIT_OK && sstkit_error_message(e)[0] == '\0');

	f = fopen("junk.sst", "w");
	CHECK(f != NULL);
	if (f != NULL) {
		fputs("apple\tred\nthis is not a table, but text long enough to hold a footer\n", f);
		fclose(f);
	}
	CHECK(sstkit_reader_open(&r, junk, 1, e) == SSTKIT_EDATA);
	CHECK(strstr(sstkit_error_message(e), "junk.sst") != NULL);

	/* a byte of a data block flipped: bad data when read, never a crash */
	f = fopen("a.sst", "rb");
	n = f != NULL ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f != NULL)
		fclose(f);
	CHECK(n > 200);
	buf[60] ^= 0x40;
	f = fopen("damaged.sst", "wb");
	if (f != NULL) {
		CHECK(fwrite(buf, 1, n, f) == n);
		fclose(f);
	}
	rc = sstkit_reader_open(&r, dmg, 1, e);
	if (rc == SSTKIT_OK) {
		OK(sstkit_iter_open(&it, r, NULL, 0, NULL, 0, NULL, 0, e));
		while ((rc = sstkit_iter_next(it, NULL, NULL, NULL, NULL, e)) == SSTKIT_OK)
			;
		sstkit_iter_close(&it);
	}
	CHECK(rc == SSTKIT_EDATA);
	CHECK(strstr(sstkit_error_message(e), "damaged.sst") != NULL);
	sstkit_reader_close(&r);

	/* misuse */
	CHECK(sstkit_reader_get(NULL, "k", 1, NULL, NULL, e) == SSTKIT_EUSAGE);
	CHECK(sstkit_reader_open(&r, missing, 0, e) == SSTKIT_EUSAGE);
	CHECK(sstkit_merge("x.sst", NULL, 0, NULL, NULL) == SSTKIT_EUSAGE);
}

int
main(void)
{
	if (sstkit_error_new(&e) != SSTKIT_OK)
		return 4;
	test_errors_and_options();
	test_write();
	test_read();
	test_merge_store();
	test_wal();
	test_failures();
	sstkit_error_free(&e);
	CHECK(e == NULL);
	if (failures != 0) {
		fprintf(stderr, "api_test: %d checks failed\n", failures);
		return 1;
	}
	printf("api_test: all checks passed\n");
	return 0;
}
