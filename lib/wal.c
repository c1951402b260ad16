/*
 * The WAL of formats/wal.md: 32 KiB blocks of fragments
 *   check u32 | len u16 | type u8 | payload[len]
 * where check = sst_checksum(len || type || payload, seed = fragment offset).
 * A record payload (kind u8, klen varint, key, value) is one FULL fragment
 * or FIRST, MIDDLE..., LAST. The file starts with a HEADER fragment.
 */
#include "wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

enum { FT_FULL = 1, FT_FIRST = 2, FT_MIDDLE = 3, FT_LAST = 4, FT_HEADER = 5 };

#define WAL_MAGIC	"sstkit-wal"
#define WAL_MAGIC_LEN	10
#define WAL_VERSION	1
#define READ_WINDOW	(32u * SST_WAL_BLOCK)	/* 1 MiB, block aligned */
#define NO_START	UINT64_MAX

static void
file_header(uint8_t h[SST_WAL_FILE_HEADER])
{
	h[4] = WAL_MAGIC_LEN + 4;
	h[5] = 0;
	h[6] = FT_HEADER;
	memcpy(h + 7, WAL_MAGIC, WAL_MAGIC_LEN);
	sst_put_le32(h + 7 + WAL_MAGIC_LEN, WAL_VERSION);
	sst_put_le32(h, sst_checksum(h + 4, SST_WAL_FILE_HEADER - 4, 0));
}

int
sst_wal_sync_parse(const char *s, int *sync)
{
	if (strcmp(s, "always") == 0)
		*sync = SST_WAL_SYNC_ALWAYS;
	else if (strcmp(s, "batch") == 0)
		*sync = SST_WAL_SYNC_BATCH;
	else if (strcmp(s, "none") == 0)
		*sync = SST_WAL_SYNC_NONE;
	else
		return SST_EDATA;
	return SST_OK;
}

/* ---- reader ---- */

struct sst_wal_reader {
	int fd;
	char *path;
	uint64_t size;
	sst_wal_reader_opts o;
	uint8_t *win;		/* [wstart, wstart + wlen) of the file */
	uint64_t wstart;
	size_t wlen;
	uint64_t pos;		/* next fragment */
	uint64_t end;		/* after the last complete record */
	uint64_t last;		/* start of the last record returned */
	int in_rec;
	uint64_t rec_start;
	sst_buf rec;
	int done;
};

enum { FR_OK = 0, FR_BAD = 1 };

/* Makes the block holding off resident; returns its bytes and sets *avail. */
static const uint8_t *
load_block(sst_wal_reader *r, uint64_t off, size_t *avail, sst_err *err, int *rc)
{
	uint64_t bs = off - off % SST_WAL_BLOCK;

	*rc = SST_OK;
	if (bs < r->wstart || bs >= r->wstart + r->wlen) {
		uint64_t n = r->size - bs;

		if (n > READ_WINDOW)
			n = READ_WINDOW;
		r->wlen = 0;
		if ((*rc = sst_pread_full(r->fd, r->win, (size_t)n, bs, r->path, err)) != SST_OK)
			return NULL;
		r->wstart = bs;
		r->wlen = (size_t)n;
	}
	*avail = r->size - bs < SST_WAL_BLOCK ? (size_t)(r->size - bs) : SST_WAL_BLOCK;
	return r->win + (bs - r->wstart);
}

/*
 * Parses the fragment at off (REQUIRES: at least 7 bytes left in its block).
 * FR_OK with type/payload/len, or FR_BAD with *why; errors in *rc.
 */
static int
parse_frag(sst_wal_reader *r, uint64_t off, int *type, const uint8_t **payload,
    size_t *len, const char **why, sst_err *err, int *rc)
{
	size_t avail, bo = (size_t)(off % SST_WAL_BLOCK), n;
	const uint8_t *b, *f;

	if (off + SST_WAL_FRAG_HEADER > r->size) {
		*why = "fragment header cut short by the end of the file";
		*rc = SST_OK;
		return FR_BAD;
	}
	if ((b = load_block(r, off, &avail, err, rc)) == NULL)
		return FR_BAD;
	f = b + bo;
	n = (size_t)f[4] | (size_t)f[5] << 8;
	if (bo + SST_WAL_FRAG_HEADER + n > SST_WAL_BLOCK) {
		*why = "fragment length runs past its block";
		return FR_BAD;
	}
	if (bo + SST_WAL_FRAG_HEADER + n > avail) {
		*why = "fragment cut short by the end of the file";
		return FR_BAD;
	}
	if (sst_get_le32(f) != sst_checksum(f + 4, 3 + n, off)) {
		*why = "fragment checksum mismatch";
		return FR_BAD;
	}
	if (f[6] < FT_FULL || f[6] > FT_HEADER) {
		*why = "unknown fragment type";
		return FR_BAD;
	}
	*type = f[6];
	*payload = f + SST_WAL_FRAG_HEADER;
	*len = n;
	return FR_OK;
}

/* The smallest offset >= from holding a well-formed FULL or FIRST fragment. */
static uint64_t
find_start(sst_wal_reader *r, uint64_t from, sst_err *err, int *rc)
{
	uint64_t off = from;

	*rc = SST_OK;
	while (off < r->size) {
		uint64_t bs = off - off % SST_WAL_BLOCK;
		size_t avail, o;
		const uint8_t *b = load_block(r, off, &avail, err, rc);

		if (b == NULL)
			return NO_START;
		for (o = (size_t)(off - bs); o + SST_WAL_FRAG_HEADER <= avail; o++) {
			const uint8_t *f = b + o;
			size_t n;

			if (f[6] != FT_FULL && f[6] != FT_FIRST)
				continue;
			n = (size_t)f[4] | (size_t)f[5] << 8;
			if (o + SST_WAL_FRAG_HEADER + n > avail)
				continue;
			if (sst_get_le32(f) == sst_checksum(f + 4, 3 + n, bs + o))
				return bs + o;
		}
		off = bs + SST_WAL_BLOCK;
	}
	return NO_START;
}

/*
 * A fault at fault_off (the open record's start, or the faulty fragment);
 * a new record start is searched from search_from on. Returns SST_OK to go
 * on (pos moved, or done set at a torn tail) or SST_EDATA.
 */
static int
fault(sst_wal_reader *r, uint64_t fault_off, uint64_t search_from, const char *why,
    sst_err *err)
{
	sst_wal_event ev;
	uint64_t start;
	int rc;

	if (r->in_rec)
		fault_off = r->rec_start;
	r->in_rec = 0;
	sst_buf_clear(&r->rec);
	start = find_start(r, search_from, err, &rc);
	if (rc != SST_OK)
		return rc;
	ev.path = r->path;
	ev.offset = fault_off;
	ev.why = why;
	if (start == NO_START) {
		ev.dropped = r->size - fault_off;
		ev.torn = 1;
		r->end = fault_off;
		r->done = 1;
		if (r->o.report != NULL)
			r->o.report(r->o.report_arg, &ev);
		return SST_OK;
	}
	if (!r->o.skip_corrupt)
		return sst_error(err, SST_EDATA, "%s@%llu: %s (damaged record before the end of the log; --skip-corrupt skips it)",
		    r->path, (unsigned long long)fault_off, why);
	ev.dropped = start - fault_off;
	ev.torn = 0;
	if (r->o.report != NULL)
		r->o.report(r->o.report_arg, &ev);
	r->pos = start;
	return SST_OK;
}

/* Decodes a record payload into rec: SST_OK, or SST_EDATA with *why the fault. */
static int
decode(const uint8_t *p, size_t n, sst_rec *rec, const char **why)
{
	const uint8_t *q, *end;
	uint64_t klen;

	if (n < 1 || p[0] > SST_DEL) {	/* (an empty payload may be NULL) */
		*why = "unknown record kind";
		return SST_EDATA;
	}
	q = p + 1;
	end = p + n;
	if (sst_get_varint(&q, end, &klen) != SST_OK || klen < 1 || klen > SST_MAX_KEY ||
	    klen > (uint64_t)(end - q)) {
		*why = "bad key length in record";
		return SST_EDATA;
	}
	rec->kind = p[0];
	rec->key = q;
	rec->klen = (size_t)klen;
	rec->val = q + klen;
	rec->vlen = (size_t)(end - q - klen);
	if (rec->kind == SST_DEL && rec->vlen != 0) {
		*why = "delete record with a value";
		return SST_EDATA;
	}
	if (rec->vlen > SST_MAX_VALUE) {
		*why = "value longer than the limit";
		return SST_EDATA;
	}
	if (rec->vlen == 0)
		rec->val = NULL;
	return SST_OK;
}

int
sst_wal_reader_open(sst_wal_reader **rp, const char *path,
    const sst_wal_reader_opts *o, sst_err *err)
{
	uint8_t want[SST_WAL_FILE_HEADER], got[SST_WAL_FILE_HEADER];
	sst_wal_reader *r;
	struct stat st;
	size_t n;
	int rc;

	*rp = NULL;
	if ((r = sst_calloc(1, sizeof(*r), err)) == NULL)
		return SST_ESYS;
	r->fd = -1;
	if (o != NULL)
		r->o = *o;
	if ((r->path = strdup(path)) == NULL) {
		rc = sst_nomem(err, path);
		goto fail;
	}
	/* "-": standard input, redirected from a WAL file */
	r->fd = strcmp(path, "-") == 0 ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0) :
	    open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		rc = sst_syserr(err, "%s", path);
		goto fail;
	}
	if (fstat(r->fd, &st) != 0) {
		rc = sst_syserr(err, "%s: stat", path);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;	/* an I/O error (exit 4), as for every tool */
		rc = sst_syserr(err, "%s", path);
		goto fail;
	}
	/* read by offset, up to the size it has now: a pipe would read as empty */
	if (!S_ISREG(st.st_mode)) {
		rc = sst_error(err, SST_EDATA, "%s: not a regular file (a WAL is read "
		    "from a file, not a pipe or device)", path);
		goto fail;
	}
	r->size = (uint64_t)st.st_size;
	if ((r->win = sst_malloc(r->size < READ_WINDOW ? (size_t)r->size + 1 : READ_WINDOW, err)) == NULL) {
		rc = SST_ESYS;
		goto fail;
	}
	(void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	file_header(want);
	n = r->size < SST_WAL_FILE_HEADER ? (size_t)r->size : SST_WAL_FILE_HEADER;
	if ((rc = sst_pread_full(r->fd, got, n, 0, path, err)) != SST_OK)
		goto fail;
	if (n < SST_WAL_FILE_HEADER) {
		if (memcmp(got, want, n) != 0) {
			rc = sst_error(err, SST_EDATA, "%s: not an sstkit WAL", path);
			goto fail;
		}
		if (n > 0 && r->o.report != NULL) {
			sst_wal_event ev = { r->path, 0, n, 1, "file header cut short" };

			r->o.report(r->o.report_arg, &ev);
		}
		r->done = 1;
		*rp = r;
		return SST_OK;
	}
	if (got[6] != FT_HEADER || memcmp(got + 7, WAL_MAGIC, WAL_MAGIC_LEN) != 0) {
		rc = sst_error(err, SST_EDATA, "%s: not an sstkit WAL", path);
		goto fail;
	}
	if (sst_get_le32(got + 7 + WAL_MAGIC_LEN) != WAL_VERSION && got[4] == want[4] &&
	    sst_get_le32(got) == sst_checksum(got + 4, SST_WAL_FILE_HEADER - 4, 0)) {
		rc = sst_error(err, SST_EDATA, "%s: unsupported WAL version %u", path,
		    sst_get_le32(got + 7 + WAL_MAGIC_LEN));
		goto fail;
	}
	r->pos = r->end = SST_WAL_FILE_HEADER;
	if (memcmp(got, want, SST_WAL_FILE_HEADER) != 0 &&
	    (rc = fault(r, 0, 1, "file header checksum mismatch", err)) != SST_OK)
		goto fail;
	*rp = r;
	return SST_OK;
fail:
	sst_wal_reader_close(&r);
	return rc;
}

/*
 * Appends a fragment to the record being gathered: SST_OK, SST_EDATA (no
 * message: the caller reports the fault) when the record grows past the
 * limit, or SST_ESYS with err set.
 */
static int
append_frag(sst_wal_reader *r, const uint8_t *p, size_t n, sst_err *err)
{
	if (r->rec.len + n > SST_WAL_MAX_RECORD)
		return SST_EDATA;
	return sst_buf_append(&r->rec, p, n, err);
}

int
sst_wal_reader_next(sst_wal_reader *r, sst_rec *rec, int *eof, sst_err *err)
{
	const uint8_t *payload;
	const char *why = "read error";
	size_t len;
	int type, rc, a;

	*eof = 0;
	for (;;) {
		uint64_t off = r->pos;
		size_t left;

		if (r->done || off >= r->size) {
			if (!r->done && r->in_rec) {
				if ((rc = fault(r, off, off, "record cut short by the end of the file", err)) != SST_OK)
					return rc;
				continue;
			}
			r->done = 1;
			*eof = 1;
			return SST_OK;
		}
		left = SST_WAL_BLOCK - (size_t)(off % SST_WAL_BLOCK);
		if (left < SST_WAL_FRAG_HEADER) {
			r->pos += left;
			continue;
		}
		rc = SST_OK;
		if (parse_frag(r, off, &type, &payload, &len, &why, err, &rc) != FR_OK) {
			if (rc != SST_OK)
				return rc;
			if ((rc = fault(r, off, off + 1, why, err)) != SST_OK)
				return rc;
			continue;
		}
		if (type == FT_HEADER) {
			if ((rc = fault(r, off, off + 1, "file header fragment inside the log", err)) != SST_OK)
				return rc;
			continue;
		}
		if ((type == FT_FULL || type == FT_FIRST) && r->in_rec) {
			if ((rc = fault(r, off, off, "record not finished before the next one", err)) != SST_OK)
				return rc;
			continue;
		}
		if ((type == FT_MIDDLE || type == FT_LAST) && !r->in_rec) {
			if ((rc = fault(r, off, off + 1, "fragment of a record whose start is missing", err)) != SST_OK)
				return rc;
			continue;
		}
		r->pos = off + SST_WAL_FRAG_HEADER + len;
		if (type == FT_FIRST) {
			r->in_rec = 1;
			r->rec_start = off;
			sst_buf_clear(&r->rec);
		}
		if (type != FT_FULL) {
			if ((a = append_frag(r, payload, len, err)) != SST_OK) {
				if (a != SST_EDATA)
					return a;
				if ((rc = fault(r, off, off + 1, "record longer than the limit", err)) != SST_OK)
					return rc;
				continue;
			}
			if (type != FT_LAST)
				continue;
			payload = r->rec.p;
			len = r->rec.len;
		}
		if (decode(payload, len, rec, &why) != SST_OK) {
			if ((rc = fault(r, off, off + 1, why, err)) != SST_OK)
				return rc;
			continue;
		}
		r->last = type == FT_FULL ? off : r->rec_start;
		r->in_rec = 0;
		r->end = r->pos;
		return SST_OK;
	}
}

uint64_t sst_wal_reader_offset(const sst_wal_reader *r) { return r->last; }
uint64_t sst_wal_reader_pos(const sst_wal_reader *r) { return r->pos < r->size ? r->pos : r->size; }
uint64_t sst_wal_reader_size(const sst_wal_reader *r) { return r->size; }
uint64_t sst_wal_reader_end(const sst_wal_reader *r) { return r->end; }

void
sst_wal_reader_close(sst_wal_reader **rp)
{
	sst_wal_reader *r = *rp;

	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->win);
	free(r->path);
	sst_buf_free(&r->rec);
	free(r);
	*rp = NULL;
}

/* ---- writer ---- */

struct sst_wal_writer {
	int fd;
	char *path;
	sst_wal_writer_opts o;
	uint8_t *buf;
	size_t blen, cap;
	uint64_t base;		/* file offset of buf[0] */
	uint64_t synced;	/* file size at the last fdatasync */
	uint64_t start_size;	/* size after open (abort truncates back) */
	int created;		/* this writer made the file (abort removes it) */
	int failed;
};

void
sst_wal_writer_opts_default(sst_wal_writer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sync = SST_WAL_SYNC_BATCH;
	o->buffer = 4u << 20;
}

static int
write_out(sst_wal_writer *w, int sync, sst_err *err)
{
	int rc;

	if (w->blen > 0) {
		if ((rc = sst_write_full(w->fd, w->buf, w->blen, w->path, err)) != SST_OK) {
			w->failed = 1;
			return rc;
		}
		w->base += w->blen;
		w->blen = 0;
	}
	if (sync && w->synced != w->base) {
		if (fdatasync(w->fd) != 0) {
			w->failed = 1;
			return sst_syserr(err, "%s: fdatasync", w->path);
		}
		w->synced = w->base;
	}
	return SST_OK;
}

/* Reads the existing log and cuts its torn tail; sets start_size. */
static int
recover_tail(sst_wal_writer *w, uint64_t size, sst_err *err)
{
	sst_wal_reader_opts ro;
	sst_wal_reader *r;
	sst_rec rec;
	int rc, eof = 0;

	memset(&ro, 0, sizeof(ro));
	ro.skip_corrupt = 1;
	ro.report = w->o.report;
	ro.report_arg = w->o.report_arg;
	if ((rc = sst_wal_reader_open(&r, w->path, &ro, err)) != SST_OK)
		return rc;
	while (!eof && (rc = sst_wal_reader_next(r, &rec, &eof, err)) == SST_OK)
		;
	w->start_size = sst_wal_reader_end(r);
	sst_wal_reader_close(&r);
	if (rc != SST_OK)
		return rc;
	if (w->start_size < SST_WAL_FILE_HEADER)
		w->start_size = 0;
	if (w->start_size != size) {
		if (ftruncate(w->fd, (off_t)w->start_size) != 0)
			return sst_syserr(err, "%s: truncate", w->path);
		if (fsync(w->fd) != 0)
			return sst_syserr(err, "%s: fsync", w->path);
	}
	return SST_OK;
}

int
sst_wal_writer_open(sst_wal_writer **wp, const char *path,
    const sst_wal_writer_opts *o, sst_err *err)
{
	sst_wal_writer *w;
	struct stat st;
	int rc, created = 0;

	*wp = NULL;
	if ((w = sst_calloc(1, sizeof(*w), err)) == NULL)
		return SST_ESYS;
	w->fd = -1;
	if (o != NULL)
		w->o = *o;
	else
		sst_wal_writer_opts_default(&w->o);
	w->cap = w->o.buffer < 65536 ? 65536 : w->o.buffer;
	if ((w->path = strdup(path)) == NULL || (w->buf = malloc(w->cap)) == NULL) {
		rc = sst_nomem(err, path);
		goto fail;
	}
again:
	while (w->fd < 0) {
		w->fd = open(path, O_RDWR | O_CLOEXEC);
		if (w->fd >= 0 || errno != ENOENT)
			break;
		w->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (w->fd >= 0)
			created = 1;
		else if (errno != EEXIST)
			break;
	}
	if (w->fd < 0) {
		rc = sst_syserr(err, "%s", path);
		goto fail;
	}
	while (flock(w->fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			rc = sst_syserr(err, "%s: lock", path);
			goto fail;
		}
	}
	if (fstat(w->fd, &st) != 0) {
		rc = sst_syserr(err, "%s: stat", path);
		goto fail;
	}
	if (!created && S_ISREG(st.st_mode)) {
		struct stat now;

		/* a writer that created it and failed removed it meanwhile */
		if (stat(path, &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
			close(w->fd);
			w->fd = -1;
			goto again;
		}
	}
	if (!S_ISREG(st.st_mode)) {
		rc = sst_error(err, SST_EDATA, "%s: not a regular file", path);
		goto fail;
	}
	if ((rc = recover_tail(w, (uint64_t)st.st_size, err)) != SST_OK)
		goto fail;
	if (w->start_size == 0) {
		uint8_t h[SST_WAL_FILE_HEADER];

		file_header(h);
		if ((rc = sst_write_full(w->fd, h, sizeof(h), path, err)) != SST_OK)
			goto fail;
		if (fdatasync(w->fd) != 0) {
			rc = sst_syserr(err, "%s: fdatasync", path);
			goto fail;
		}
		w->start_size = SST_WAL_FILE_HEADER;
	}
	if (created && (rc = sst_fsync_dir(path, err)) != SST_OK)
		goto fail;
	if (lseek(w->fd, (off_t)w->start_size, SEEK_SET) < 0) {
		rc = sst_syserr(err, "%s: seek", path);
		goto fail;
	}
	w->base = w->synced = w->start_size;
	w->created = created;
	/* SIGINT/SIGTERM: nothing of this append stays (a new log goes) */
	sst_cleanup_register_trunc(w->path, w->fd, created ? 0 : w->start_size);
	*wp = w;
	return SST_OK;
fail:
	if (created && w->fd >= 0 && w->start_size <= SST_WAL_FILE_HEADER)
		unlink(path);
	if (w->fd >= 0)
		close(w->fd);
	free(w->buf);
	free(w->path);
	free(w);
	return rc;
}

uint64_t
sst_wal_writer_offset(const sst_wal_writer *w)
{
	return w->base + w->blen;
}

/* Copies n bytes of the concatenation of the segments, from (*seg, *at) on. */
static void
gather(uint8_t *dst, size_t n, const uint8_t *const segp[3], const size_t segn[3],
    int *seg, size_t *at)
{
	while (n > 0) {
		size_t k = segn[*seg] - *at;

		if (k == 0) {
			(*seg)++;
			*at = 0;
			continue;
		}
		if (k > n)
			k = n;
		memcpy(dst, segp[*seg] + *at, k);
		dst += k;
		n -= k;
		*at += k;
	}
}

int
sst_wal_writer_add(sst_wal_writer *w, const sst_rec *r, sst_err *err)
{
	uint8_t pre[16];
	const uint8_t *segp[3];
	size_t segn[3], total, done = 0, at = 0;
	int seg = 0, rc, first = 1;

	if (w->failed)
		return sst_error(err, SST_ESYS, "%s: writer failed earlier", w->path);
	if (r->klen < 1 || r->klen > SST_MAX_KEY || r->vlen > SST_MAX_VALUE ||
	    (r->kind != SST_PUT && r->kind != SST_DEL) || (r->kind == SST_DEL && r->vlen != 0))
		return sst_error(err, SST_EDATA, "%s: record out of bounds (key %zu bytes, value %zu bytes)",
		    w->path, r->klen, r->vlen);
	pre[0] = (uint8_t)r->kind;
	segp[0] = pre;
	segn[0] = 1 + sst_put_varint(pre + 1, r->klen);
	segp[1] = r->key;
	segn[1] = r->klen;
	segp[2] = r->val;
	segn[2] = r->vlen;
	total = segn[0] + segn[1] + segn[2];
	for (;;) {
		uint64_t off = w->base + w->blen;
		size_t left = SST_WAL_BLOCK - (size_t)(off % SST_WAL_BLOCK), n;
		uint8_t *f;
		int type;

		if (w->blen + SST_WAL_BLOCK > w->cap && (rc = write_out(w,
		    w->o.sync == SST_WAL_SYNC_BATCH, err)) != SST_OK)
			return rc;
		if (left < SST_WAL_FRAG_HEADER) {
			memset(w->buf + w->blen, 0, left);
			w->blen += left;
			continue;
		}
		n = left - SST_WAL_FRAG_HEADER;
		if (n > total - done)
			n = total - done;
		if (first)
			type = n == total ? FT_FULL : FT_FIRST;
		else
			type = done + n == total ? FT_LAST : FT_MIDDLE;
		f = w->buf + w->blen;
		gather(f + SST_WAL_FRAG_HEADER, n, segp, segn, &seg, &at);
		f[4] = (uint8_t)n;
		f[5] = (uint8_t)(n >> 8);
		f[6] = (uint8_t)type;
		sst_put_le32(f, sst_checksum(f + 4, 3 + n, off));
		w->blen += SST_WAL_FRAG_HEADER + n;
		done += n;
		first = 0;
		if (type == FT_FULL || type == FT_LAST)
			break;
	}
	if (w->o.sync == SST_WAL_SYNC_ALWAYS)
		return write_out(w, 1, err);
	return SST_OK;
}

int
sst_wal_writer_sync(sst_wal_writer *w, sst_err *err)
{
	if (w->failed)
		return sst_error(err, SST_ESYS, "%s: writer failed earlier", w->path);
	return write_out(w, w->o.sync != SST_WAL_SYNC_NONE, err);
}

int
sst_wal_writer_close(sst_wal_writer **wp, sst_err *err)
{
	sst_wal_writer *w = *wp;
	int rc;

	if (w == NULL)
		return SST_OK;
	rc = sst_wal_writer_sync(w, err);
	sst_cleanup_unregister(w->path);
	if (close(w->fd) != 0 && rc == SST_OK)
		rc = sst_syserr(err, "%s: close", w->path);
	free(w->buf);
	free(w->path);
	free(w);
	*wp = NULL;
	return rc;
}

void
sst_wal_writer_abort(sst_wal_writer **wp)
{
	sst_wal_writer *w = *wp;

	if (w == NULL)
		return;
	sst_cleanup_unregister(w->path);
	if (w->created) {
		/* under the lock: a writer waiting for it opens the path again */
		if (unlink(w->path) == 0)
			(void)sst_fsync_dir(w->path, &(sst_err){ 0, "" });
	} else if (ftruncate(w->fd, (off_t)w->start_size) == 0) {
		(void)fdatasync(w->fd);
	}
	close(w->fd);
	free(w->buf);
	free(w->path);
	free(w);
	*wp = NULL;
}
