/*
 * test_input.c - the libarchive-backed input: compressed streams, archives
 * and their members, standard input, detection by content, plain data that
 * only looks like an archive, and the errors for missing, unreadable and
 * damaged inputs. Fixtures are made with the real tools; absent tools are
 * skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "records.h"
#include "table.h"
#include "unit.h"
#include "util.h"
#include "wal.h"

/* Runs a shell command in the scratch directory; its exit status. */
static int
sh(const char *fmt, ...)
{
	char cmd[4096];
	int n;
	va_list ap;

	n = snprintf(cmd, sizeof(cmd), "cd '%s' && (", unit_tmpdir());
	va_start(ap, fmt);
	n += vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, ") >/dev/null 2>&1");
	return system(cmd);
}

static int
have(const char *tool)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	if (system(cmd) == 0)
		return 1;
	printf("skip: %s not installed\n", tool);
	return 0;
}

struct got {
	sst_buf data;		/* all members' bytes */
	char names[2048];	/* member names, "|"-separated */
	int members;
};

/* Reads every member of path; returns the code. */
static int
slurp(const char *path, struct got *g, sst_err *e)
{
	sst_input *in;
	const uint8_t *p;
	size_t n;
	int eof, rc;

	memset(g, 0, sizeof(*g));
	if ((rc = sst_input_open(&in, path, e)) != SST_OK)
		return rc;
	for (;;) {
		if ((rc = sst_input_next_member(in, &eof, e)) != SST_OK || eof)
			break;
		g->members++;
		if (g->names[0])
			strncat(g->names, "|", sizeof(g->names) - strlen(g->names) - 1);
		strncat(g->names, sst_input_name(in), sizeof(g->names) - strlen(g->names) - 1);
		for (;;) {
			if ((rc = sst_input_read(in, &p, &n, e)) != SST_OK)
				goto out;
			if (n == 0)
				break;
			if (sst_buf_append(&g->data, p, n, e) != SST_OK)
				abort();
		}
	}
	if (rc == SST_OK) {
		/* stays at the end */
		CHECK_RC(sst_input_next_member(in, &eof, e), SST_OK);
		CHECK(eof == 1);
	}
out:
	sst_input_close(&in);
	CHECK(in == NULL);
	return rc;
}

static int
same(const struct got *g, const void *want, size_t n)
{
	return g->data.len == n && (n == 0 || memcmp(g->data.p, want, n) == 0);
}

static uint8_t *data;
static size_t datalen;

/* About 3 MiB of tsv, so that streams span many blocks. */
static void
make_data(void)
{
	uint64_t x = 12345;
	size_t cap = 3u << 20, i;

	data = malloc(cap + 256);
	if (data == NULL)
		abort();
	for (i = 0; datalen < cap; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		datalen += (size_t)sprintf((char *)data + datalen, "key%016llx\tvalue %llu %s\n",
		    (unsigned long long)x, (unsigned long long)(x >> 20),
		    i % 3 ? "abcabcabc" : "zz\tz");
	}
	unit_put_file(unit_path("d.tsv"), data, datalen);
}

static void
test_plain_and_compressed(void)
{
	static const struct { const char *tool, *cmd; } z[] = {
		{ "gzip", "gzip -c d.tsv > c.gzip" },
		{ "bzip2", "bzip2 -c d.tsv > c.bzip2" },
		{ "xz", "xz -0 -c d.tsv > c.xz" },
		{ "zstd", "zstd -q -c d.tsv > c.zstd" },
		{ "lz4", "lz4 -q -c d.tsv > c.lz4" },
	};
	struct got g;
	sst_err e;

	CHECK_RC(slurp(unit_path("d.tsv"), &g, &e), SST_OK);
	CHECK(g.members == 1 && same(&g, data, datalen));
	CHECK(strcmp(g.names, unit_path("d.tsv")) == 0);
	sst_buf_free(&g.data);
	for (size_t i = 0; i < sizeof(z) / sizeof(z[0]); i++) {
		char out[64];

		if (!have(z[i].tool))
			continue;
		CHECK(sh("%s", z[i].cmd) == 0);
		/* the name says nothing: detection is by content */
		snprintf(out, sizeof(out), "c.%s", z[i].tool);
		if (i % 2 == 0) {
			CHECK(sh("mv %s %s.txt", out, out) == 0);
			strcat(out, ".txt");
		}
		CHECK_RC(slurp(unit_path(out), &g, &e), SST_OK);
		CHECK(g.members == 1 && same(&g, data, datalen));
		CHECK(strcmp(g.names, unit_path(out)) == 0);
		if (!same(&g, data, datalen))
			fprintf(stderr, "%s: %zu bytes, want %zu (%s)\n", out, g.data.len, datalen, e.msg);
		sst_buf_free(&g.data);
	}
	/* two gzip streams one after the other, and nested compression */
	if (have("gzip") && have("zstd")) {
		unit_put_file(unit_path("p1"), "a\t1\n", 4);
		unit_put_file(unit_path("p2"), "b\t2\n", 4);
		CHECK(sh("gzip -c p1 > cat.gz && gzip -c p2 >> cat.gz") == 0);
		CHECK_RC(slurp(unit_path("cat.gz"), &g, &e), SST_OK);
		CHECK(g.members == 1 && same(&g, "a\t1\nb\t2\n", 8));
		sst_buf_free(&g.data);
		CHECK(sh("gzip -c d.tsv | zstd -q -c > nested") == 0);
		CHECK_RC(slurp(unit_path("nested"), &g, &e), SST_OK);
		CHECK(same(&g, data, datalen));
		sst_buf_free(&g.data);
	}
}

static void
test_small_and_empty(void)
{
	struct got g;
	sst_err e;

	unit_put_file(unit_path("empty"), "", 0);
	CHECK_RC(slurp(unit_path("empty"), &g, &e), SST_OK);
	CHECK(g.members == 0 && g.data.len == 0);
	sst_buf_free(&g.data);
	for (int c = 0; c < 256; c++) {
		uint8_t b = (uint8_t)c;

		unit_put_file(unit_path("one"), &b, 1);
		CHECK_RC(slurp(unit_path("one"), &g, &e), SST_OK);
		CHECK(g.members == 1 && same(&g, &b, 1));
		sst_buf_free(&g.data);
	}
	unit_put_file(unit_path("two"), "\x1f\x8b", 2);
	CHECK_RC(slurp(unit_path("two"), &g, &e), SST_OK);
	CHECK(same(&g, "\x1f\x8b", 2));
	sst_buf_free(&g.data);
	if (have("gzip")) {
		CHECK(sh("gzip -c empty > empty.gz") == 0);
		CHECK_RC(slurp(unit_path("empty.gz"), &g, &e), SST_OK);
		CHECK(g.data.len == 0);
		sst_buf_free(&g.data);
	}
}

/* Plain data whose start looks like an archive is read as plain data. */
static void
test_lookalikes(void)
{
	static const char *texts[] = {
		"070707\tcpio odc magic\nk\tv\n",
		"070701\tcpio newc magic\n",
		"PK\x03\x04\tzip magic\nk\tv\n",
		"begin 644 uuencoded\nM86)C\n`\nend\n",
		"x\tv\nbegin 644 later\n",
		"!<arch>\nar\tmagic\n",
		"#mtree\nk\tv\n",
		"ustar\tk\n",
		"\xed\xab\xee\xdb rpm\n",
	};
	struct got g;
	sst_err e;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		size_t n = strlen(texts[i]);

		unit_put_file(unit_path("look"), texts[i], n);
		if (i == 0 || i == 2)
			unit_put_file(unit_path(i == 0 ? "look0" : "look2"), texts[i], n);
		CHECK_RC(slurp(unit_path("look"), &g, &e), SST_OK);
		if (!same(&g, texts[i], n))
			fprintf(stderr, "lookalike %zu: %s\n", i, e.msg);
		CHECK(g.members == 1 && same(&g, texts[i], n));
		sst_buf_free(&g.data);
	}
}

/*
 * libarchive takes any data that starts with a 512-byte zero block for an
 * empty tar. Plain data that only starts so (a tsv key of NUL bytes) is
 * read as plain data, whole; an input of zeros only is the empty archive.
 */
static void
test_zero_led(void)
{
	static const size_t lead[] = { 512, 513, 1024, 10240, 70000, (1u << 20) + 3 };
	struct got g;
	sst_err e;

	for (size_t i = 0; i < sizeof(lead) / sizeof(lead[0]); i++) {
		size_t n = lead[i] + 5;
		uint8_t *d = calloc(1, n);

		if (d == NULL)
			abort();
		memcpy(d + lead[i], "\tv\nx", 5);
		unit_put_file(unit_path("zeros"), d, n);
		if (i == 1)
			unit_put_file(unit_path("zeros1"), d, n);
		CHECK_RC(slurp(unit_path("zeros"), &g, &e), SST_OK);
		CHECK(g.members == 1 && same(&g, d, n));
		CHECK(strcmp(g.names, unit_path("zeros")) == 0);
		sst_buf_free(&g.data);
		if (have("gzip")) {
			CHECK(sh("gzip -c zeros > zeros.gz") == 0);
			CHECK_RC(slurp(unit_path("zeros.gz"), &g, &e), SST_OK);
			CHECK(g.members == 1 && same(&g, d, n));
			sst_buf_free(&g.data);
		}
		free(d);
	}
	/*
	 * Zeros and two 0x80 bytes: a tar header whose (signed) checksum holds,
	 * with no name; plain data all the same (found by fuzz_records).
	 */
	{
		uint8_t d[900] = { 0 };

		d[165] = 0x80;
		d[461] = 0x80;
		d[800] = '\t';
		d[801] = 'v';
		d[802] = '\n';
		unit_put_file(unit_path("nameless"), d, sizeof(d));
		CHECK_RC(slurp(unit_path("nameless"), &g, &e), SST_OK);
		CHECK(g.members == 1 && same(&g, d, sizeof(d)));
		sst_buf_free(&g.data);
	}
	/*
	 * Plain data that starts with zip's end record ("PK\5\6"): an empty
	 * zip is that record and its comment only (found while fixing F8).
	 */
	{
		static const char zip_like[] = "PK\005\006\tv\nk\tv\n";
		uint8_t ez[22 + 3] = { 'P', 'K', 5, 6 };

		unit_put_file(unit_path("pk56"), zip_like, sizeof(zip_like) - 1);
		CHECK_RC(slurp(unit_path("pk56"), &g, &e), SST_OK);
		CHECK(g.members == 1 && same(&g, zip_like, sizeof(zip_like) - 1));
		sst_buf_free(&g.data);
		unit_put_file(unit_path("empty.zip"), ez, 22);		/* no comment */
		CHECK_RC(slurp(unit_path("empty.zip"), &g, &e), SST_OK);
		CHECK(g.members == 0 && g.data.len == 0);
		sst_buf_free(&g.data);
		ez[20] = 3;					/* a 3-byte comment */
		ez[22] = 'a';
		ez[23] = 'b';
		ez[24] = 'c';
		unit_put_file(unit_path("empty.zip"), ez, sizeof(ez));
		CHECK_RC(slurp(unit_path("empty.zip"), &g, &e), SST_OK);
		CHECK(g.members == 0 && g.data.len == 0);
		sst_buf_free(&g.data);
		unit_put_file(unit_path("empty-short.zip"), ez, sizeof(ez) - 1);	/* comment cut */
		CHECK_RC(slurp(unit_path("empty-short.zip"), &g, &e), SST_OK);
		CHECK(g.members == 1 && same(&g, ez, sizeof(ez) - 1));
		sst_buf_free(&g.data);
	}
	/*
	 * Plain data with a zip end record near its end, whose bytes 20-21
	 * (an end record's comment length) count the rest of the file: read
	 * as an empty zip, all records lost (F13, found by fuzz_records).
	 * libarchive's seekable zip reader finds that record anywhere near
	 * the end; an empty zip is one that starts with it.
	 */
	{
		size_t n = 22 + 0x4141, at = 0;
		uint8_t *d = malloc(n);

		if (d == NULL)
			abort();
		at += (size_t)sprintf((char *)d, "k\t%018dAA\n", 0);
		for (int i = 0; at < n - 22; i++)
			at += (size_t)snprintf((char *)d + at, n - 22 - at + 1, "key%05d\tval\n", i);
		d[n - 23] = '\n';
		memset(d + n - 22, 0, 22);	/* "PK\5\6", then 18 zero bytes */
		d[n - 22] = 'P';
		d[n - 21] = 'K';
		d[n - 20] = 5;
		d[n - 19] = 6;
		CHECK(d[20] == 'A' && d[21] == 'A');
		unit_put_file(unit_path("eocd-end"), d, n);
		CHECK_RC(slurp(unit_path("eocd-end"), &g, &e), SST_OK);
		CHECK(g.members == 1 && same(&g, d, n));
		sst_buf_free(&g.data);
		free(d);
	}
	/* Zeros only: an empty tar (what tar cf of nothing writes). */
	for (size_t n = 512; n <= 20480; n *= 2) {
		uint8_t *d = calloc(1, n);

		if (d == NULL)
			abort();
		unit_put_file(unit_path("zeros-only"), d, n);
		if (n == 1024)
			unit_put_file(unit_path("zeros-only1"), d, n);
		CHECK_RC(slurp(unit_path("zeros-only"), &g, &e), SST_OK);
		CHECK(g.members == 0 && g.data.len == 0);
		sst_buf_free(&g.data);
		free(d);
	}
}

/* A newc cpio archive written by hand (cpio(1) is often absent). */
static void
cpio_entry(FILE *f, const char *name, unsigned mode, const char *body, size_t n)
{
	size_t nl = strlen(name) + 1, hdr = 110 + nl;

	fprintf(f, "070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08zx%08x",
	    1u, mode, 0u, 0u, 1u, 0u, n, 0u, 0u, 0u, 0u, nl, 0u);
	fwrite(name, 1, nl, f);
	for (; hdr % 4; hdr++)
		fputc(0, f);
	fwrite(body, 1, n, f);
	for (; n % 4; n++)
		fputc(0, f);
}

/*
 * Member names come from the file: messages show them escaped on one line
 * and short enough to keep the reason. A cpio member that claims more data
 * than the file holds is damage (exit 3), not "out of memory": libarchive
 * fails it without an error string (fuzz_records, F12).
 */
static void
test_hostile_members(void)
{
	char name[700], *body;
	const char *nl;
	struct got g;
	sst_err e;
	FILE *f;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memcpy(name, "a\nb\tc\x01\\", 7);
	if ((f = fopen(unit_path("names.cpio"), "wb")) == NULL)
		abort();
	cpio_entry(f, name, 0100644, "k\tv\n", 4);
	cpio_entry(f, "TRAILER!!!", 0, "", 0);
	fclose(f);
	CHECK_RC(slurp(unit_path("names.cpio"), &g, &e), SST_OK);
	CHECK(g.members == 1 && same(&g, "k\tv\n", 4));
	CHECK(strchr(g.names, '\n') == NULL && strchr(g.names, '\t') == NULL);
	CHECK(strstr(g.names, "/a\\x0ab\\x09c\\x01\\x5cnnn") != NULL);
	CHECK(strstr(g.names, "n...") != NULL && strlen(g.names) < strlen(unit_path("names.cpio")) + 260);
	sst_buf_free(&g.data);

	/* the member says 100000 bytes, the file has a few */
	if ((body = calloc(1, 100000)) == NULL)
		abort();
	if ((f = fopen(unit_path("short.cpio"), "wb")) == NULL)
		abort();
	cpio_entry(f, name, 0100644, body, 100000);
	fclose(f);
	free(body);
	CHECK(truncate(unit_path("short.cpio"), 1000) == 0);
	CHECK_RC(slurp(unit_path("short.cpio"), &g, &e), SST_EDATA);
	nl = strchr(e.msg, '\n');
	CHECK(nl == NULL && strstr(e.msg, "short.cpio/a\\x0a") != NULL);
	CHECK(strstr(e.msg, "...: cannot read: ") != NULL);
	sst_buf_free(&g.data);
}

static void
test_archives(void)
{
	struct got g;
	sst_err e;
	char want[600];
	FILE *f;

	CHECK(sh("mkdir -p t/sub/dir && printf 'a\\tb' > t/m1.tsv && "
	    "printf 'c\\td\\n' > t/sub/m2.tsv && ln -sf m1.tsv t/link") == 0);
	if (have("tar")) {
		CHECK(sh("cd t && tar cf ../a.tar m1.tsv sub link") == 0);
		CHECK_RC(slurp(unit_path("a.tar"), &g, &e), SST_OK);
		snprintf(want, sizeof(want), "%s/m1.tsv|%s/sub/m2.tsv", unit_path("a.tar"), unit_path("a.tar"));
		CHECK(g.members == 2 && strcmp(g.names, want) == 0);
		CHECK(same(&g, "a\tbc\td\n", 7));
		sst_buf_free(&g.data);
		if (have("zstd")) {
			CHECK(sh("zstd -q -c a.tar > a.tzst && gzip -c a.tar > a.tgz && xz -c a.tar > a.txz") == 0);
			CHECK_RC(slurp(unit_path("a.tzst"), &g, &e), SST_OK);
			CHECK(g.members == 2 && same(&g, "a\tbc\td\n", 7));
			sst_buf_free(&g.data);
			CHECK_RC(slurp(unit_path("a.txz"), &g, &e), SST_OK);
			CHECK(g.members == 2 && same(&g, "a\tbc\td\n", 7));
			sst_buf_free(&g.data);
		}
		/* a big member, a truncated archive */
		CHECK(sh("tar cf big.tar d.tsv t/m1.tsv") == 0);
		CHECK_RC(slurp(unit_path("big.tar"), &g, &e), SST_OK);
		CHECK(g.members == 2 && g.data.len == datalen + 3 &&
		    memcmp(g.data.p, data, datalen) == 0);
		sst_buf_free(&g.data);
		CHECK(sh("head -c 1000000 big.tar > trunc.tar") == 0);
		CHECK_RC(slurp(unit_path("trunc.tar"), &g, &e), SST_EDATA);
		CHECK(strstr(e.msg, "trunc.tar") != NULL);
		sst_buf_free(&g.data);
	}
	if (have("zip")) {
		CHECK(sh("cd t && zip -q -r ../a.zip m1.tsv sub && zip -q -0 ../s.zip m1.tsv") == 0);
		CHECK_RC(slurp(unit_path("a.zip"), &g, &e), SST_OK);
		snprintf(want, sizeof(want), "%s/m1.tsv|%s/sub/m2.tsv", unit_path("a.zip"), unit_path("a.zip"));
		CHECK(g.members == 2 && strcmp(g.names, want) == 0);
		CHECK(same(&g, "a\tbc\td\n", 7));
		sst_buf_free(&g.data);
		CHECK_RC(slurp(unit_path("s.zip"), &g, &e), SST_OK);
		CHECK(g.members == 1 && same(&g, "a\tb", 3));
		sst_buf_free(&g.data);
	}
	f = fopen(unit_path("a.cpio"), "wb");
	if (f == NULL)
		abort();
	cpio_entry(f, "sub", 040755, "", 0);
	cpio_entry(f, "sub/m2.tsv", 0100644, "c\td\n", 4);
	cpio_entry(f, "m1.tsv", 0100644, "a\tb", 3);
	cpio_entry(f, "TRAILER!!!", 0, "", 0);
	fclose(f);
	CHECK_RC(slurp(unit_path("a.cpio"), &g, &e), SST_OK);
	snprintf(want, sizeof(want), "%s/sub/m2.tsv|%s/m1.tsv", unit_path("a.cpio"), unit_path("a.cpio"));
	CHECK(g.members == 2 && strcmp(g.names, want) == 0);
	CHECK(same(&g, "c\td\na\tb", 7));
	sst_buf_free(&g.data);
	/* An empty cpio (its trailer, zero padding) has no member; with more
	 * data after it, it was plain data all along. */
	for (int more = 0; more < 2; more++) {
		long end;

		f = fopen(unit_path("e.cpio"), "wb");
		if (f == NULL)
			abort();
		cpio_entry(f, "TRAILER!!!", 0, "", 0);
		for (end = ftell(f); end % 512; end++)
			fputc(0, f);
		if (more)
			fputs("k\tv\n", f);
		end = ftell(f);
		fclose(f);
		CHECK_RC(slurp(unit_path("e.cpio"), &g, &e), SST_OK);
		CHECK(g.members == more && g.data.len == (size_t)(more ? end : 0));
		sst_buf_free(&g.data);
	}
	if (have("cpio")) {
		CHECK(sh("cd t && find m1.tsv sub | cpio -o -H odc > ../odc.cpio") == 0);
		CHECK_RC(slurp(unit_path("odc.cpio"), &g, &e), SST_OK);
		CHECK(g.members == 2 && g.data.len == 7);
		sst_buf_free(&g.data);
	}
}

struct rec1 {
	int kind;
	char k[16], v[16];
};

static int
read_recs(const char *path, int fmt, struct rec1 *out, int max, int *n, sst_err *e)
{
	sst_rec_opts o = { fmt, 0, 0 };
	sst_reader *r;
	sst_rec rec;
	int eof, rc;

	*n = 0;
	if ((rc = sst_reader_open(&r, path, &o, e)) != SST_OK)
		return rc;
	while ((rc = sst_reader_next(r, &rec, &eof, e)) == SST_OK && !eof) {
		if (*n < max) {
			out[*n].kind = rec.kind;
			snprintf(out[*n].k, sizeof(out[*n].k), "%.*s", (int)rec.klen, rec.key);
			snprintf(out[*n].v, sizeof(out[*n].v), "%.*s", (int)rec.vlen, rec.val ? (const char *)rec.val : "");
		}
		(*n)++;
	}
	sst_reader_close(&r);
	return rc;
}

/* Records of archive members: each member parsed alone, errors name it. */
static void
test_member_records(void)
{
	struct rec1 r[8];
	sst_err e;
	int n;

	if (!have("tar"))
		return;
	CHECK_RC(read_recs(unit_path("a.tar"), SST_FMT_TSV, r, 8, &n, &e), SST_OK);
	CHECK(n == 2 && strcmp(r[0].k, "a") == 0 && strcmp(r[0].v, "b") == 0 &&
	    strcmp(r[1].k, "c") == 0 && strcmp(r[1].v, "d") == 0);
	CHECK(sh("mkdir -p u && printf 'x\\ty\\n' > u/ok.tsv && printf 'k\\tv\\n\\n' > u/bad.tsv && "
	    "cd u && tar cf ../bad.tar ok.tsv bad.tsv && gzip -c ../bad.tar > ../bad.tgz") == 0);
	CHECK_RC(read_recs(unit_path("bad.tgz"), SST_FMT_TSV, r, 8, &n, &e), SST_EDATA);
	CHECK(n == 2);
	CHECK(strstr(e.msg, "bad.tgz/bad.tsv:2: empty key") != NULL);
	/* cdb members: a member's end marker ends only that member */
	CHECK(sh("mkdir -p c && printf '+1,1:a->b\\n\\nignored' > c/1 && printf -- '-1:c\\n' > c/2 && "
	    "printf '+1,1:x->' > c/3 && cd c && tar cf ../c.tar 1 2 && tar cf ../c3.tar 1 3") == 0);
	CHECK_RC(read_recs(unit_path("c.tar"), SST_FMT_CDB, r, 8, &n, &e), SST_OK);
	CHECK(n == 2 && r[0].kind == SST_PUT && strcmp(r[0].k, "a") == 0 &&
	    r[1].kind == SST_DEL && strcmp(r[1].k, "c") == 0);
	CHECK_RC(read_recs(unit_path("c3.tar"), SST_FMT_CDB, r, 8, &n, &e), SST_EDATA);
	CHECK(strstr(e.msg, "c3.tar/3@0: ") != NULL);
}

static void
test_errors(void)
{
	sst_input *in;
	sst_err e;
	struct got g;

	CHECK_RC(sst_input_open(&in, unit_path("missing"), &e), SST_ESYS);
	CHECK(in == NULL && strstr(e.msg, unit_path("missing")) != NULL);
	CHECK_RC(sst_input_open(&in, unit_tmpdir(), &e), SST_ESYS);
	CHECK(in == NULL && strstr(e.msg, unit_tmpdir()) != NULL);
	if (geteuid() != 0) {
		unit_put_file(unit_path("noperm"), "a\tb\n", 4);
		chmod(unit_path("noperm"), 0);
		CHECK_RC(sst_input_open(&in, unit_path("noperm"), &e), SST_ESYS);
		CHECK(strstr(e.msg, "noperm") != NULL);
	}
	if (have("gzip")) {
		CHECK(sh("gzip -c d.tsv | head -c 20000 > trunc.gz") == 0);
		CHECK_RC(slurp(unit_path("trunc.gz"), &g, &e), SST_EDATA);
		CHECK(strstr(e.msg, "trunc.gz") != NULL);
		sst_buf_free(&g.data);
	}
	if (have("zstd")) {
		/* damage in the middle of a zstd frame */
		CHECK(sh("zstd -q -c d.tsv > bad.zst && printf 'XXXXXXXXXXXXXXXX' | "
		    "dd of=bad.zst bs=1 seek=5000 conv=notrunc") == 0);
		CHECK_RC(slurp(unit_path("bad.zst"), &g, &e), SST_EDATA);
		sst_buf_free(&g.data);
	}
	if (have("xz")) {
		CHECK(sh("xz -c d.tsv | head -c 3000 > trunc.xz") == 0);
		CHECK_RC(slurp(unit_path("trunc.xz"), &g, &e), SST_EDATA);
		sst_buf_free(&g.data);
	}
}

/* Flips bit mask x of byte off (from the end when off < 0) of src into dst. */
static void
flip_copy(const char *src, const char *dst, long off, int x)
{
	FILE *f = fopen(unit_path(src), "rb");
	uint8_t *d;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0)
		abort();
	rewind(f);
	if ((d = malloc((size_t)n)) == NULL || fread(d, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	d[off < 0 ? n + off : off] ^= (uint8_t)x;
	unit_put_file(unit_path(dst), d, (size_t)n);
	free(d);
}

/*
 * gzip is decoded by zlib, which checks every member's CRC-32 and length
 * (libarchive's gzip reader checks neither): a flip in the body, in the
 * CRC or in ISIZE is bad data, so are a cut and trailing garbage; zero
 * padding after the last member is not (as for gzip(1)).
 */
static void
test_gzip_integrity(void)
{
	static const struct { const char *name; long off; int x; const char *why; } bad[] = {
		{ "body.gz", 5000, 0x10, "damaged gzip data" },
		{ "crc.gz", -7, 1, "incorrect data check" },
		{ "isize.gz", -3, 1, "incorrect length check" },
		{ "flg.gz", 3, 0xe0, "damaged gzip data" },
	};
	struct got g;
	sst_err e;

	if (!have("gzip"))
		return;
	CHECK(sh("gzip -n -c d.tsv > g.gz") == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		flip_copy("g.gz", bad[i].name, bad[i].off, bad[i].x);
		CHECK_RC(slurp(unit_path(bad[i].name), &g, &e), SST_EDATA);
		CHECK(strstr(e.msg, bad[i].name) != NULL && strstr(e.msg, bad[i].why) != NULL);
		if (strstr(e.msg, bad[i].why) == NULL)
			fprintf(stderr, "%s: %s\n", bad[i].name, e.msg);
		sst_buf_free(&g.data);
	}
	/* cut in the header, in the body, in the trailer */
	CHECK(sh("head -c 10 g.gz > c1.gz && head -c 30000 g.gz > c2.gz && "
	    "head -c $(($(stat -c %%s g.gz) - 1)) g.gz > c3.gz") == 0);
	for (int i = 1; i <= 3; i++) {
		char n[16];

		snprintf(n, sizeof(n), "c%d.gz", i);
		CHECK_RC(slurp(unit_path(n), &g, &e), SST_EDATA);
		CHECK(strstr(e.msg, "truncated gzip data") != NULL);
		sst_buf_free(&g.data);
	}
	/* garbage after the last member; zero padding; three members */
	CHECK(sh("(cat g.gz; printf x) > garbage.gz && (cat g.gz; head -c 3000 /dev/zero) > pad.gz && "
	    "(cat g.gz; head -c 10 /dev/zero; printf x) > padx.gz") == 0);
	CHECK_RC(slurp(unit_path("garbage.gz"), &g, &e), SST_EDATA);
	CHECK(strstr(e.msg, "trailing garbage") != NULL);
	sst_buf_free(&g.data);
	CHECK_RC(slurp(unit_path("padx.gz"), &g, &e), SST_EDATA);
	sst_buf_free(&g.data);
	CHECK_RC(slurp(unit_path("pad.gz"), &g, &e), SST_OK);
	CHECK(same(&g, data, datalen));
	sst_buf_free(&g.data);
	CHECK(sh("head -c 1000000 d.tsv | gzip -c > m3.gz && head -c 0 d.tsv | gzip -c >> m3.gz && "
	    "tail -c +1000001 d.tsv | gzip -1 -c >> m3.gz") == 0);
	CHECK_RC(slurp(unit_path("m3.gz"), &g, &e), SST_OK);
	CHECK(g.members == 1 && same(&g, data, datalen));
	sst_buf_free(&g.data);
	/* damage in the last member */
	flip_copy("m3.gz", "m3-bad.gz", -6, 2);
	CHECK_RC(slurp(unit_path("m3-bad.gz"), &g, &e), SST_EDATA);
	sst_buf_free(&g.data);
	/* a compressor's whole magic number that libarchive does not decode */
	unit_put_file(unit_path("zhead"), "\x28\xb5\x2f\xfd\x24\x00", 6);
	CHECK_RC(slurp(unit_path("zhead"), &g, &e), SST_EDATA);
	CHECK(strstr(e.msg, "zstd") != NULL);
	sst_buf_free(&g.data);
}

/*
 * Compressed members are decompressed, named ARCHIVE/MEMBER; an archive
 * in an archive is bad data; gzip under another compressor is decoded.
 */
static void
test_compressed_members(void)
{
	struct got g;
	sst_err e;

	if (!have("tar") || !have("zstd") || !have("gzip"))
		return;
	CHECK(sh("mkdir -p cm && head -c 100000 d.tsv > cm/a && tail -c +100001 d.tsv > cm/b && "
	    "gzip -c cm/a > cm/a.gz && zstd -q -c cm/b > cm/b.zst && "
	    "cd cm && tar cf ../cm.tar a.gz b.zst && tar cf ../in.tar a && "
	    "gzip -c ../in.tar > ../in.tgz && cd .. && tar cf nest.tar in.tar && "
	    "tar cf nestz.tar in.tgz && zstd -q -c in.tgz > in.tgz.zst") == 0);
	CHECK_RC(slurp(unit_path("cm.tar"), &g, &e), SST_OK);
	CHECK(g.members == 2 && same(&g, data, datalen));
	CHECK(strstr(g.names, "cm.tar/a.gz|") != NULL && strstr(g.names, "cm.tar/b.zst") != NULL);
	sst_buf_free(&g.data);
	CHECK_RC(slurp(unit_path("nest.tar"), &g, &e), SST_EDATA);
	CHECK(strstr(e.msg, "nest.tar/in.tar: holds an archive") != NULL);
	sst_buf_free(&g.data);
	CHECK_RC(slurp(unit_path("nestz.tar"), &g, &e), SST_EDATA);
	CHECK(strstr(e.msg, "nestz.tar/in.tgz: holds an archive") != NULL);
	sst_buf_free(&g.data);
	CHECK_RC(slurp(unit_path("in.tgz.zst"), &g, &e), SST_OK);
	CHECK(g.members == 1 && g.data.len == 100000 && memcmp(g.data.p, data, 100000) == 0);
	CHECK(strstr(g.names, "in.tgz.zst/a") != NULL);
	sst_buf_free(&g.data);
	/* plain data that merely starts with gzip's magic inside a member */
	CHECK(sh("printf '\\037\\213' > cm/short && cd cm && tar cf ../short.tar short") == 0);
	CHECK_RC(slurp(unit_path("short.tar"), &g, &e), SST_OK);
	CHECK(same(&g, "\x1f\x8b", 2));
	sst_buf_free(&g.data);
}

static void
write_table(const char *path, int comp, int nrec)
{
	sst_table_opts o;
	sst_writer *w;
	sst_err e;
	char k[32];

	sst_table_opts_default(&o);
	o.compression = comp;
	o.threads = 1;
	CHECK_RC(sst_writer_open(&w, path, &o, &e), SST_OK);
	for (int i = 0; i < nrec; i++) {
		sst_rec r = { (const uint8_t *)k, 0, (const uint8_t *)"value", 5, SST_PUT };

		r.klen = (size_t)snprintf(k, sizeof(k), "key%08d", i);
		CHECK_RC(sst_writer_add(w, &r, &e), SST_OK);
	}
	CHECK_RC(sst_writer_finish(&w, &e), SST_OK);
}

/* sstkit's own files are not records: each names the tool to use. */
static void
test_own_files(void)
{
	static const char *tables[] = { "z.sst", "n.sst", "e.sst" };
	sst_wal_writer_opts wo;
	sst_wal_writer *w;
	sst_rec r = { (const uint8_t *)"k", 1, (const uint8_t *)"v", 1, SST_PUT };
	struct got g;
	sst_err e;

	write_table(unit_path("z.sst"), SST_COMP_ZSTD, 5000);
	write_table(unit_path("n.sst"), SST_COMP_NONE, 5000);
	write_table(unit_path("e.sst"), SST_COMP_ZSTD, 0);
	for (size_t i = 0; i < 3; i++) {
		CHECK_RC(slurp(unit_path(tables[i]), &g, &e), SST_EDATA);
		CHECK(strstr(e.msg, tables[i]) != NULL && strstr(e.msg, "is an sstkit table: use sst-merge or sst-ingest") != NULL);
		sst_buf_free(&g.data);
	}
	sst_wal_writer_opts_default(&wo);
	CHECK_RC(sst_wal_writer_open(&w, unit_path("w.wal"), &wo, &e), SST_OK);
	CHECK_RC(sst_wal_writer_add(w, &r, &e), SST_OK);
	CHECK_RC(sst_wal_writer_close(&w, &e), SST_OK);
	CHECK_RC(slurp(unit_path("w.wal"), &g, &e), SST_EDATA);
	CHECK(strstr(e.msg, "is an sstkit WAL: use wal-replay") != NULL);
	sst_buf_free(&g.data);
	if (have("gzip") && have("tar")) {
		/* compressed, in an archive: found from the first block */
		CHECK(sh("gzip -c z.sst > z.sst.gz && gzip -c w.wal > w.wal.gz && tar cf own.tar n.sst") == 0);
		CHECK_RC(slurp(unit_path("z.sst.gz"), &g, &e), SST_EDATA);
		CHECK(strstr(e.msg, "z.sst.gz: is an sstkit table") != NULL);
		sst_buf_free(&g.data);
		CHECK_RC(slurp(unit_path("w.wal.gz"), &g, &e), SST_EDATA);
		CHECK(strstr(e.msg, "w.wal.gz: is an sstkit WAL") != NULL);
		sst_buf_free(&g.data);
		CHECK_RC(slurp(unit_path("own.tar"), &g, &e), SST_EDATA);
		CHECK(strstr(e.msg, "own.tar/n.sst: is an sstkit table") != NULL);
		sst_buf_free(&g.data);
	}
	/* a table's first block whose checksum fails is data like any other */
	flip_copy("n.sst", "n-bad", 20, 1);
	CHECK(sh("head -c 9000 n-bad > n-head") == 0);
	CHECK_RC(slurp(unit_path("n-head"), &g, &e), SST_OK);
	CHECK(g.data.len == 9000);
	sst_buf_free(&g.data);
	/* a store; a directory that is none stays a system error */
	CHECK(sh("mkdir -p st nost && : > st/MANIFEST") == 0);
	CHECK_RC(slurp(unit_path("st"), &g, &e), SST_EDATA);
	CHECK(strstr(e.msg, "is an sstkit store: use sst-merge or sst-dump") != NULL);
	sst_buf_free(&g.data);
	CHECK_RC(slurp(unit_path("nost"), &g, &e), SST_ESYS);
	sst_buf_free(&g.data);
}

/* The first line of a member read as tsv that is a whole cdb record. */
static void
test_cdb_hint(void)
{
	static const struct { const char *text; int hint; } t[] = {
		{ "+1,2:a->bc\n+1,1:x->y\n", 1 },
		{ "-3:abc\n", 1 },
		{ "+1,2:a->bc", 1 },
		{ "+1,2:a->b\n", 0 },
		{ "+1,2:a->bcd\n", 0 },
		{ "+1,2:a-bc\n", 0 },
		{ "+0,2:->bc\n", 0 },
		{ "k\tv\n+1,2:a->bc\n", 0 },
		{ "+12345678901,1:a->b\n", 0 },
	};
	sst_rec_opts o = { SST_FMT_TSV, 0, 0 };
	sst_reader *r;
	sst_rec rec;
	sst_err e;
	int eof, n;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unit_put_file(unit_path("hint"), t[i].text, strlen(t[i].text));
		CHECK_RC(sst_reader_open(&r, unit_path("hint"), &o, &e), SST_OK);
		CHECK(sst_reader_hint(r) == NULL);
		n = 0;
		while (sst_reader_next(r, &rec, &eof, &e) == SST_OK && !eof)
			n++;
		CHECK(n >= 1);
		CHECK((sst_reader_hint(r) != NULL) == t[i].hint);
		if (t[i].hint)
			CHECK(strstr(sst_reader_hint(r), "hint: looks like cdb input") != NULL &&
			    strstr(sst_reader_hint(r), "-f cdb") != NULL);
		sst_reader_close(&r);
	}
}

/* slurp() of the scratch file name read from standard input, a pipe. */
static int
slurp_pipe(const char *name, const char *path, struct got *g, sst_err *e)
{
	char cmd[600];
	FILE *p;
	int saved = dup(0), rc;

	snprintf(cmd, sizeof(cmd), "cat '%s'", unit_path(name));
	if (saved < 0 || (p = popen(cmd, "r")) == NULL)
		abort();
	dup2(fileno(p), 0);
	rc = slurp(path, g, e);
	dup2(saved, 0);
	close(saved);
	pclose(p);
	return rc;
}

/* Standard input, through a pipe (no seeking): "-" and NULL. */
static void
test_stdin(void)
{
	static const char *files[] = { "d.tsv", "c.bzip2", "a.tar", "a.zip", "look", "a.cpio", "a.tzst", "empty", "look0", "look2",
	    "zeros1", "zeros-only1", "nameless", "pk56", "empty.zip", "m3.gz", "cm.tar", "in.tgz.zst", "pad.gz", "short.tar" };
	struct got g, ref;
	sst_err e;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (access(unit_path(files[i]), R_OK) != 0)
			continue;
		CHECK_RC(slurp(unit_path(files[i]), &ref, &e), SST_OK);
		CHECK_RC(slurp_pipe(files[i], i % 2 ? "-" : NULL, &g, &e), SST_OK);
		CHECK(g.members == ref.members && same(&g, ref.data.p, ref.data.len));
		if (strcmp(files[i], "d.tsv") == 0)
			CHECK(strcmp(g.names, "-") == 0);
		if (strcmp(files[i], "a.tar") == 0)
			CHECK(strncmp(g.names, "-/m1.tsv", 8) == 0);
		sst_buf_free(&g.data);
		sst_buf_free(&ref.data);
	}
}

/* The same checks when the data comes through a pipe. */
static void
test_stdin_errors(void)
{
	static const struct { const char *file, *why; } t[] = {
		{ "crc.gz", "-: damaged gzip data (incorrect data check)" },
		{ "c2.gz", "-: truncated gzip data" },
		{ "garbage.gz", "trailing garbage" },
		{ "z.sst", "-: is an sstkit table" },
		{ "n.sst", "-: is an sstkit table" },
		{ "w.wal", "-: is an sstkit WAL" },
		{ "own.tar", "-/n.sst: is an sstkit table" },
		{ "nest.tar", "-/in.tar: holds an archive" },
	};
	struct got g;
	sst_err e;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (access(unit_path(t[i].file), R_OK) != 0)
			continue;
		CHECK_RC(slurp_pipe(t[i].file, "-", &g, &e), SST_EDATA);
		CHECK(strstr(e.msg, t[i].why) != NULL);
		if (strstr(e.msg, t[i].why) == NULL)
			fprintf(stderr, "%s: %s\n", t[i].file, e.msg);
		sst_buf_free(&g.data);
	}
}

int
main(void)
{
	make_data();
	test_plain_and_compressed();
	test_small_and_empty();
	test_lookalikes();
	test_zero_led();
	test_archives();
	test_hostile_members();
	test_member_records();
	test_errors();
	test_gzip_integrity();
	test_compressed_members();
	test_own_files();
	test_cdb_hint();
	test_stdin();
	test_stdin_errors();
	free(data);
	UNIT_DONE();
}
