/*
 * fuzz_records.c - libFuzzer target for the record parsers (lib/records.c
 * over lib/input.c): tsv, tsv with -e escapes, cdb, with or without
 * --delete. The first input byte picks the format (bits 0-1: 0 tsv, 1 tsv
 * -e, 2-3 cdb; bit 2: every record a delete) and the input layer's read
 * size (bits 3-4: a 64th, a 16th or a 4th of the input, at least 61
 * bytes, or 1 MiB, so that records cross read blocks of several sizes
 * without costing a read(2) per 61 bytes of every input), and bit 5 reads
 * the input through a pipe instead of a file (no seeking: the fall back
 * replays what it read); the rest is the input file,
 * read through libarchive like any input (so compressed and archived
 * inputs are fuzzed too: gzip through zlib, archive members compressed or
 * not, nested archives, tables and WALs given as records).
 *
 * Invariants: every record parsed has a key of 1..SST_MAX_KEY bytes, a value
 * of at most SST_MAX_VALUE, and no value when it is a delete; a parse error
 * is SST_EDATA (bad data) with a location; the records written back with
 * sst_rec_write as cdb, as escaped tsv and (where it can carry them) as
 * plain tsv parse back to the same records; plain tsv refuses exactly the
 * records it cannot carry (TAB or LF in the key, LF in the value). Written
 * data that starts like a compressed stream, like a table or a WAL, or
 * whose first block libarchive reads as an archive member with a name, is
 * exempt from the identity (input.h: the content decides).
 */
#include <archive.h>
#include <archive_entry.h>

#include <fcntl.h>

#include "fuzz_common.h"
#include "input.h"
#include "records.h"
#include "util.h"

#define MAX_RECORDS	100000

/* Parses path with o into rs; returns the last rc. */
static int
parse(const char *path, const sst_rec_opts *o, fuzz_recs *rs)
{
	sst_reader *r = NULL;
	sst_rec rec;
	sst_err err;
	int rc, eof = 0;

	if ((rc = sst_reader_open(&r, path, o, &err)) != SST_OK)
		return rc;
	while (rs->n < MAX_RECORDS) {
		if ((rc = sst_reader_next(r, &rec, &eof, &err)) != SST_OK) {
			FUZZ_CHECK(rc == SST_EDATA || rc == SST_ESYS);
			FUZZ_CHECK(strchr(err.msg, ':') != NULL || strchr(err.msg, '@') != NULL);
			break;
		}
		if (eof)
			break;
		FUZZ_CHECK(rec.klen >= 1 && rec.klen <= SST_MAX_KEY && rec.key != NULL);
		FUZZ_CHECK(rec.vlen <= SST_MAX_VALUE);
		FUZZ_CHECK(rec.kind == SST_PUT || (rec.kind == SST_DEL && rec.vlen == 0));
		FUZZ_CHECK(!o->all_delete || rec.kind == SST_DEL);
		fuzz_recs_push(rs, rec.key, rec.klen, rec.val, rec.vlen, rec.kind);
	}
	sst_reader_close(&r);
	return rc;
}

/*
 * Plain data that starts like a compressed stream or an archive is taken
 * for one (input.h): a round trip through a file that starts so cannot be
 * the identity, by design.
 */
static int
looks_special(const uint8_t *p, size_t n)
{
	static const struct { const char *m; size_t n; } magic[] = {
		{ "\x1f\x8b", 2 }, { "\x1f\x9d", 2 }, { "BZh", 3 }, { "\xfd" "7zXZ", 5 },
		{ "\x28\xb5\x2f\xfd", 4 }, { "\x04\x22\x4d\x18", 4 }, { "\x02\x21\x4c\x18", 4 },
		{ "PK", 2 }, { "0707", 4 }, { "\xc7\x71", 2 }, { "\x71\xc7", 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if (n >= magic[i].n && memcmp(p, magic[i].m, magic[i].n) == 0)
			return 1;
	if (n >= 2 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a)	/* zstd skippable frame */
		return 1;
	if (sst_input_own_file(p, n < 65536 ? n : 65536) != NULL)
		return 1;
	return n >= 262 && memcmp(p + 257, "ustar", 5) == 0;
}

/*
 * Plain data whose first block libarchive takes for a tar, cpio or zip
 * header with a named member (binary keys in plain tsv can be one: a
 * checksum is all a tar header needs) is read as that archive, by design.
 */
static int
archive_lookalike(const uint8_t *p, size_t n)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	const char *name;
	int r, yes = 0;

	if (a == NULL)
		return 1;
	archive_read_support_format_tar(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_zip(a);
	if (archive_read_open_memory(a, p, n) == ARCHIVE_OK) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_OK || r == ARCHIVE_WARN) {
			name = archive_entry_pathname(e);
			yes = name != NULL && name[0] != '\0';
		}
	}
	archive_read_free(a);
	return yes;
}

/* Writes rs in format o, parses it back, and checks it is rs again. */
static void
round_trip(const fuzz_recs *rs, const sst_rec_opts *wo, const sst_rec_opts *ro)
{
	fuzz_recs back = { 0 };
	char *buf = NULL, path[64];
	size_t len = 0, i;
	sst_err err;
	FILE *f;
	int fd, rc;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return;
	for (i = 0; i < rs->n; i++) {
		sst_rec r = { rs->r[i].key, rs->r[i].klen, rs->r[i].val, rs->r[i].vlen, rs->r[i].kind };

		if (ro->all_delete)
			r.kind = SST_PUT;
		rc = sst_rec_write(f, wo, &r, &err);
		FUZZ_CHECK(rc == SST_OK);
	}
	FUZZ_CHECK(fclose(f) == 0);
	if ((fd = fuzz_memfile((const uint8_t *)buf, len, path, sizeof(path))) >= 0) {
		rc = parse(path, ro, &back);
		/* The exemption is only looked for when it is needed (it costs
		 * another libarchive open). */
		if (rc != SST_OK || !fuzz_recs_eq(rs, &back))
			FUZZ_CHECK(looks_special((const uint8_t *)buf, len) ||
			    archive_lookalike((const uint8_t *)buf, len));
		close(fd);
	}
	fuzz_recs_free(&back);
	free(buf);
}

/* Plain tsv must refuse exactly what it cannot carry. */
static int
plain_ok(const fuzz_rec *r)
{
	return r->kind == SST_PUT && memchr(r->key, '\t', r->klen) == NULL &&
	    memchr(r->key, '\n', r->klen) == NULL &&
	    (r->vlen == 0 || memchr(r->val, '\n', r->vlen) == NULL);
}

static void
check_plain_refusals(const fuzz_recs *rs)
{
	sst_rec_opts o = { SST_FMT_TSV, 0, 0 };
	char *buf = NULL;
	size_t len = 0, i;
	sst_err err;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return;
	for (i = 0; i < rs->n; i++) {
		const fuzz_rec *fr = &rs->r[i];
		sst_rec r = { fr->key, fr->klen, fr->val, fr->vlen, fr->kind };
		size_t before;
		int rc;

		fflush(f);
		before = len;
		rc = sst_rec_write(f, &o, &r, &err);
		fflush(f);
		if (fr->kind == SST_DEL)
			FUZZ_CHECK(rc == SST_EUSAGE);
		else if (plain_ok(fr))
			FUZZ_CHECK(rc == SST_OK);
		else
			FUZZ_CHECK(rc == SST_EDATA && len == before &&
			    strstr(err.msg, "-e") != NULL && strstr(err.msg, "cdb") != NULL);
	}
	fclose(f);
	free(buf);
}

static void
subset(const fuzz_recs *rs, fuzz_recs *out, int (*keep)(const fuzz_rec *))
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (keep(&rs->r[i]))
			fuzz_recs_push(out, rs->r[i].key, rs->r[i].klen, rs->r[i].val,
			    rs->r[i].vlen, rs->r[i].kind);
}

static int
is_put(const fuzz_rec *r)
{
	return r->kind == SST_PUT;
}

/* The input layer's read size for an input of size bytes: see the top. */
static size_t
read_size(size_t size, unsigned pick)
{
	static const unsigned shift[3] = { 6, 4, 2 };

	if (pick == 3)
		return 1u << 20;
	return (size >> shift[pick]) < 61 ? 61 : (size >> shift[pick]) | 1;
}

/* The input as a pipe (it fits the pipe's buffer): a path to its read end. */
static int
pipe_file(const uint8_t *data, size_t size, char *path, size_t pathsz)
{
	size_t done = 0;
	int p[2];

	if (size > 65536 || pipe2(p, O_CLOEXEC) != 0)
		return -1;
	while (done < size) {
		ssize_t n = write(p[1], data + done, size - done);

		if (n <= 0) {
			close(p[0]);
			close(p[1]);
			return -1;
		}
		done += (size_t)n;
	}
	close(p[1]);
	snprintf(path, pathsz, "/proc/self/fd/%d", p[0]);
	return p[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sst_rec_opts o = { SST_FMT_TSV, 0, 0 };
	static const sst_rec_opts cdb = { SST_FMT_CDB, 0, 0 }, etsv = { SST_FMT_TSV, 1, 0 };
	static const sst_rec_opts ptsv = { SST_FMT_TSV, 0, 0 };
	fuzz_recs rs = { 0 }, puts = { 0 }, plain = { 0 };
	char path[64];
	int fd;

	if (size < 1)
		return 0;
	o.fmt = (data[0] & 2) ? SST_FMT_CDB : SST_FMT_TSV;
	o.escape = o.fmt == SST_FMT_TSV && (data[0] & 1);
	o.all_delete = (data[0] & 4) != 0;
	sst_fuzz_read_size = read_size(size, (data[0] >> 3) & 3);
	if (data[0] & 0x20)
		fd = pipe_file(data + 1, size - 1, path, sizeof(path));
	else
		fd = fuzz_memfile(data + 1, size - 1, path, sizeof(path));
	if (fd < 0)
		return 0;
	(void)parse(path, &o, &rs);
	close(fd);
	if (rs.n == 0 || rs.bytes > (16u << 20))
		goto out;
	round_trip(&rs, &cdb, &cdb);
	check_plain_refusals(&rs);
	if (o.all_delete) {
		sst_rec_opts etsv_del = { SST_FMT_TSV, 1, 1 };

		round_trip(&rs, &etsv, &etsv_del);
	} else {
		subset(&rs, &puts, is_put);
		round_trip(&puts, &etsv, &etsv);
		subset(&rs, &plain, plain_ok);
		round_trip(&plain, &ptsv, &ptsv);
	}
out:
	fuzz_recs_free(&rs);
	fuzz_recs_free(&puts);
	fuzz_recs_free(&plain);
	return 0;
}
