/*
 * fuzz_wal.c - libFuzzer target for the WAL reader (lib/wal.c): replay
 * without and with skip-corrupt, and the writer's tail check.
 *
 * Each input is tried as it is, then again with every fragment checksum
 * recomputed (walking the 32 KiB blocks as a reader does), so mutations
 * reach the fragment assembly and record decoding.
 *
 * Invariants: every record has a key of 1..SST_MAX_KEY bytes, at most
 * SST_MAX_VALUE of value and none for a delete; record offsets grow and lie
 * inside the file; without skip-corrupt the reader ends cleanly or with
 * SST_EDATA naming an offset, and what it yielded is a prefix of what the
 * skip-corrupt reader yields (which never fails on damage); when the plain
 * reader met no damage, both yield the same records; the records written
 * again by the WAL writer read back the same.
 */
#include <sys/stat.h>

#include "fuzz_common.h"
#include "util.h"
#include "wal.h"

#define MAX_RECORDS	200000

typedef struct events {
	int torn, damage;
	uint64_t size;
} events;

static void
report(void *arg, const sst_wal_event *ev)
{
	events *e = arg;

	FUZZ_CHECK(ev->why != NULL && ev->path != NULL);
	FUZZ_CHECK(ev->offset <= e->size && ev->dropped <= e->size - ev->offset);
	if (ev->torn) {
		FUZZ_CHECK(ev->offset + ev->dropped == e->size);
		e->torn++;
	} else {
		e->damage++;
	}
}

static int
replay(const char *path, uint64_t size, int skip, fuzz_recs *rs, events *ev)
{
	sst_wal_reader_opts o;
	sst_wal_reader *r = NULL;
	uint64_t last = 0;
	sst_rec rec;
	sst_err err;
	int rc, eof = 0;

	memset(ev, 0, sizeof(*ev));
	ev->size = size;
	o.skip_corrupt = skip;
	o.report = report;
	o.report_arg = ev;
	if ((rc = sst_wal_reader_open(&r, path, &o, &err)) != SST_OK) {
		FUZZ_CHECK(rc == SST_EDATA);
		return rc;
	}
	FUZZ_CHECK(sst_wal_reader_size(r) == size);
	while (rs->n < MAX_RECORDS) {
		if ((rc = sst_wal_reader_next(r, &rec, &eof, &err)) != SST_OK) {
			FUZZ_CHECK(rc == SST_EDATA && !skip && strchr(err.msg, '@') != NULL);
			break;
		}
		if (eof) {
			FUZZ_CHECK(sst_wal_reader_end(r) <= size);
			break;
		}
		FUZZ_CHECK(rec.klen >= 1 && rec.klen <= SST_MAX_KEY);
		FUZZ_CHECK(rec.vlen <= SST_MAX_VALUE);
		FUZZ_CHECK(rec.kind == SST_PUT || (rec.kind == SST_DEL && rec.vlen == 0));
		FUZZ_CHECK(sst_wal_reader_offset(r) < size);
		FUZZ_CHECK(rs->n == 0 || sst_wal_reader_offset(r) > last);
		last = sst_wal_reader_offset(r);
		fuzz_recs_push(rs, rec.key, rec.klen, rec.val, rec.vlen, rec.kind);
	}
	sst_wal_reader_close(&r);
	return rc;
}

/* Writes rs to a fresh WAL and reads it back. */
static void
rewrite(const fuzz_recs *rs)
{
	sst_wal_writer_opts wo;
	sst_wal_writer *w = NULL;
	fuzz_recs back = { 0 };
	events ev;
	char path[64];
	struct stat st;
	sst_err err;
	size_t i;
	int fd;

	if ((fd = fuzz_memfile(NULL, 0, path, sizeof(path))) < 0)
		return;
	sst_wal_writer_opts_default(&wo);
	wo.sync = SST_WAL_SYNC_NONE;
	wo.buffer = 65536;
	FUZZ_CHECK(sst_wal_writer_open(&w, path, &wo, &err) == SST_OK);
	for (i = 0; i < rs->n; i++) {
		sst_rec r = { rs->r[i].key, rs->r[i].klen, rs->r[i].val, rs->r[i].vlen, rs->r[i].kind };

		FUZZ_CHECK(sst_wal_writer_add(w, &r, &err) == SST_OK);
	}
	FUZZ_CHECK(sst_wal_writer_close(&w, &err) == SST_OK);
	FUZZ_CHECK(fstat(fd, &st) == 0);
	FUZZ_CHECK(replay(path, (uint64_t)st.st_size, 0, &back, &ev) == SST_OK);
	FUZZ_CHECK(ev.torn == 0 && ev.damage == 0);
	FUZZ_CHECK(fuzz_recs_eq(rs, &back));
	fuzz_recs_free(&back);
	close(fd);
}

/* Recomputes the checksum of every fragment a block walk finds. */
static int
fixup(uint8_t *d, size_t size, const uint8_t *orig)
{
	size_t p = 0;

	while (p + SST_WAL_FRAG_HEADER <= size) {
		size_t bend = (p / SST_WAL_BLOCK + 1) * SST_WAL_BLOCK;
		size_t len;

		if (bend - p < SST_WAL_FRAG_HEADER) {
			p = bend;
			continue;
		}
		len = (size_t)d[p + 4] | (size_t)d[p + 5] << 8;
		if (p + SST_WAL_FRAG_HEADER + len > bend || p + SST_WAL_FRAG_HEADER + len > size) {
			p = bend;
			continue;
		}
		sst_put_le32(d + p, sst_checksum(d + p + 4, 3 + len, p));
		p += SST_WAL_FRAG_HEADER + len;
	}
	return memcmp(d, orig, size) != 0;
}

static void
check_wal(const uint8_t *data, size_t size)
{
	fuzz_recs plain = { 0 }, skip = { 0 };
	events ep, es;
	char path[64];
	size_t i;
	int fd, rp, rs;

	if ((fd = fuzz_memfile(data, size, path, sizeof(path))) < 0)
		return;
	rp = replay(path, size, 0, &plain, &ep);
	rs = replay(path, size, 1, &skip, &es);
	FUZZ_CHECK((rp == SST_EDATA && rs == SST_EDATA && plain.n == 0) || rs == SST_OK ||
	    skip.n >= MAX_RECORDS);
	if (rs == SST_OK && skip.n < MAX_RECORDS) {
		FUZZ_CHECK(plain.n <= skip.n);
		for (i = 0; i < plain.n; i++)
			FUZZ_CHECK(fuzz_rec_eq(&plain.r[i], &skip.r[i]));
		if (rp == SST_OK && ep.damage == 0)
			FUZZ_CHECK(plain.n == skip.n);
		FUZZ_CHECK(es.torn <= 1 && ep.torn <= 1);
	}
	if (rp == SST_OK && skip.bytes < (8u << 20))
		rewrite(&plain);
	close(fd);
	fuzz_recs_free(&plain);
	fuzz_recs_free(&skip);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	check_wal(data, size);
	if (size < SST_WAL_FRAG_HEADER || (copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if (fixup(copy, size, data))
		check_wal(copy, size);
	free(copy);
	return 0;
}
