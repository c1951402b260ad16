#include "input.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/*
 * The read buffer; a smaller file gets one of its size (at least READ_MIN).
 * In the fuzz build the target picks the size per input (fuzz_common.h
 * defines sst_fuzz_read_size): tiny odd sizes make records cross read
 * blocks, large ones keep the executions per second up.
 */
#ifdef SST_FUZZ_READ_SIZE
extern size_t sst_fuzz_read_size;
#define READ_SIZE	sst_fuzz_read_size
#define READ_MIN	1u
#else
#define READ_SIZE	(1u << 20)
#define READ_MIN	4096u
#endif
/* At most this much of a member's name (escaped) in messages. */
#define MEMBER_SHOWN	256
#define CAPTURE_MAX	(8u << 20)
#define ZEROS_SIZE	65536

static const uint8_t zeros[ZEROS_SIZE];

struct sst_input {
	struct archive *a;
	char *path;
	char *name;
	int fd;
	int own_fd;
	int seekable;
	uint64_t total;
	uint64_t bytes;		/* file position (bytes read from a pipe) */
	uint8_t *buf;
	size_t bufsize;
	struct archive_entry *entry;	/* ours: libarchive's own is unchecked */
	int sys_errno;		/* errno of a failed read/seek of ours */

	/* Pipe fallback: what the first try read, replayed to the second. */
	uint8_t *cap;
	size_t caplen;
	int capturing;
	int cap_overflow;
	size_t replay;
	int replaying;

	int headers;		/* headers read so far */
	int fell_back;
	/*
	 * Fell back from an archive with no member: the bytes of an empty
	 * archive's own structure (pre_need; a zip's grows by its comment),
	 * copied to pre, must be followed by zero bytes only, else it is
	 * plain data and pre, the zeros and the rest are handed out.
	 */
	int zero_scan;
	int pre_zip;
	uint64_t pre_need;
	sst_buf pre;
	size_t pre_given;
	int done;
	int in_member;
	int is_raw;

	/* A data block held back while zeros fill a sparse hole before it. */
	const uint8_t *pend;
	size_t pendlen;
	int64_t pendoff;
	int64_t moff;		/* member bytes handed out so far */
	int64_t msize;		/* member size, -1 if unknown */
};

static int
is_sys_errno(int e)
{
	return e == ENOMEM || e == EIO || e == EACCES || e == EPERM ||
	    e == EISDIR || e == ENOSPC || e == EBADF || e == ENXIO ||
	    e == ENODEV || e == ESTALE || e == ETIMEDOUT;
}

static la_ssize_t
cb_read(struct archive *a, void *data, const void **buf)
{
	sst_input *in = data;
	ssize_t n;

	if (in->replaying && in->replay < in->caplen) {
		*buf = in->cap + in->replay;
		n = (ssize_t)(in->caplen - in->replay);
		in->replay = in->caplen;
		return n;
	}
	do
		n = read(in->fd, in->buf, in->bufsize);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		in->sys_errno = errno;
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	in->bytes += (uint64_t)n;
	if (in->capturing && n > 0) {
		if (in->caplen + (size_t)n > CAPTURE_MAX) {
			in->cap_overflow = 1;
			in->capturing = 0;
		} else {
			uint8_t *p = realloc(in->cap, in->caplen + (size_t)n);

			if (p == NULL) {
				in->cap_overflow = 1;
				in->capturing = 0;
			} else {
				memcpy(p + in->caplen, in->buf, (size_t)n);
				in->cap = p;
				in->caplen += (size_t)n;
			}
		}
	}
	*buf = in->buf;
	return n;
}

static la_int64_t
cb_seek(struct archive *a, void *data, la_int64_t off, int whence)
{
	sst_input *in = data;
	off_t r = lseek(in->fd, (off_t)off, whence);

	if (r < 0) {
		in->sys_errno = errno;
		archive_set_error(a, errno, "seek: %s", strerror(errno));
		return ARCHIVE_FATAL;
	}
	in->bytes = (uint64_t)r;
	return (la_int64_t)r;
}

static int
cb_close(struct archive *a, void *data)
{
	(void)a;
	(void)data;
	return ARCHIVE_OK;
}

/* Fills err from the archive's last error (SST_ESYS for our own I/O). */
static int
arch_error(sst_input *in, const char *what, sst_err *err)
{
	int sys = errno;	/* cleared before the failed libarchive call */
	const char *name = in->in_member ? in->name : in->path;
	const char *s = archive_error_string(in->a);
	int e = archive_errno(in->a);

	if (in->sys_errno != 0) {
		errno = in->sys_errno;
		return sst_syserr(err, "%s: %s", in->path, what);
	}
	if (e > 0 && is_sys_errno(e)) {
		errno = e;
		return sst_syserr(err, "%s: %s", name, what);
	}
	/*
	 * A bare failure: a failed allocation inside libarchive (errno says
	 * so), or data it gave up on without saying why (a cpio member longer
	 * than the file was one: found by fuzz_records).
	 */
	if (s == NULL && e == 0 && sys == ENOMEM)
		return sst_nomem(err, name);
	return sst_error(err, SST_EDATA, "%s: %s: %s", name, what,
	    s != NULL ? s : "damaged or truncated archive");
}

static int
arch_open(sst_input *in, int raw_only, sst_err *err)
{
	struct archive *a = archive_read_new();
	int r = 0;

	if (a == NULL)
		return sst_nomem(err, in->path);
	in->a = a;
	/*
	 * Each call below allocates; libarchive does not remember a failure,
	 * so one is caught here (ARCHIVE_WARN only means an external program).
	 */
	r |= archive_read_support_filter_gzip(a) == ARCHIVE_FATAL;
	r |= archive_read_support_filter_bzip2(a) == ARCHIVE_FATAL;
	r |= archive_read_support_filter_xz(a) == ARCHIVE_FATAL;
	r |= archive_read_support_filter_zstd(a) == ARCHIVE_FATAL;
	r |= archive_read_support_filter_lz4(a) == ARCHIVE_FATAL;
	r |= archive_read_support_filter_compress(a) == ARCHIVE_FATAL;
	if (!raw_only) {
		r |= archive_read_support_format_tar(a) == ARCHIVE_FATAL;
		r |= archive_read_support_format_cpio(a) == ARCHIVE_FATAL;
		r |= archive_read_support_format_zip(a) == ARCHIVE_FATAL;
	}
	r |= archive_read_support_format_raw(a) == ARCHIVE_FATAL;
	r |= archive_read_support_format_empty(a) == ARCHIVE_FATAL;
	r |= archive_read_set_callback_data(a, in) != ARCHIVE_OK;
	r |= archive_read_set_read_callback(a, cb_read) != ARCHIVE_OK;
	r |= archive_read_set_close_callback(a, cb_close) != ARCHIVE_OK;
	if (in->seekable)
		r |= archive_read_set_seek_callback(a, cb_seek) != ARCHIVE_OK;
	if (r)
		return sst_nomem(err, in->path);
	errno = 0;
	if (archive_read_open1(a) != ARCHIVE_OK || in->sys_errno != 0)
		return arch_error(in, "cannot read", err);
	return SST_OK;
}

int
sst_input_open(sst_input **inp, const char *path, sst_err *err)
{
	sst_input *in;
	struct stat st;
	int rc;

	*inp = NULL;
	if ((in = sst_calloc(1, sizeof(*in), err)) == NULL)
		return SST_ESYS;
	in->fd = -1;
	if (path == NULL)
		path = "-";
	if ((in->path = strdup(path)) == NULL ||
	    (in->entry = archive_entry_new()) == NULL) {
		sst_input_close(&in);
		return sst_nomem(err, path);
	}
	if (strcmp(path, "-") == 0) {
		in->fd = 0;
	} else {
		do
			in->fd = open(path, O_RDONLY | O_CLOEXEC);
		while (in->fd < 0 && errno == EINTR);
		if (in->fd < 0) {
			rc = sst_syserr(err, "%s", path);
			sst_input_close(&in);
			return rc;
		}
		in->own_fd = 1;
	}
	if (fstat(in->fd, &st) != 0) {
		rc = sst_syserr(err, "%s", path);
		sst_input_close(&in);
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		rc = sst_syserr(err, "%s", path);
		sst_input_close(&in);
		return rc;
	}
	if (S_ISREG(st.st_mode)) {
		in->total = (uint64_t)st.st_size;
		in->seekable = lseek(in->fd, 0, SEEK_CUR) == 0;
	}
	/* A small file gets a small buffer (one read, and +1 to see its end). */
	in->bufsize = READ_SIZE;
	if (in->seekable && in->total < READ_SIZE)
		in->bufsize = in->total < READ_MIN ? READ_MIN : (size_t)in->total + 1;
	if ((in->buf = malloc(in->bufsize)) == NULL) {
		rc = sst_nomem(err, path);
		sst_input_close(&in);
		return rc;
	}
	in->capturing = !in->seekable;
	if ((rc = arch_open(in, 0, err)) != SST_OK) {
		sst_input_close(&in);
		return rc;
	}
	*inp = in;
	return SST_OK;
}

/* Reads the input again as plain (possibly compressed) data. */
static int
fall_back(sst_input *in, sst_err *err)
{
	archive_read_free(in->a);
	in->a = NULL;
	in->fell_back = 1;
	in->capturing = 0;
	if (in->seekable) {
		if (lseek(in->fd, 0, SEEK_SET) != 0)
			return sst_syserr(err, "%s: seek", in->path);
	} else {
		in->replaying = 1;
		in->replay = 0;
	}
	return arch_open(in, 1, err);
}

/* A member's path as the archive gives it, or NULL. */
static const char *
member_path(struct archive_entry *e)
{
	const char *m = archive_entry_pathname(e);

	return m != NULL ? m : archive_entry_pathname_utf8(e);
}

static int
set_name(sst_input *in, struct archive_entry *e, sst_err *err)
{
	const char *m;
	size_t n;

	free(in->name);
	in->name = NULL;
	if (in->is_raw) {
		in->name = strdup(in->path);
	} else {
		/* A member's name comes from the file: messages show it on
		 * one line, escaped, and short enough to leave room for why. */
		char shown[MEMBER_SHOWN];

		if ((m = member_path(e)) == NULL)
			m = "?";
		sst_show_bytes(shown, sizeof(shown), (const uint8_t *)m, strlen(m), 1);
		n = strlen(in->path) + strlen(shown) + 2;
		if ((in->name = malloc(n)) != NULL)
			snprintf(in->name, n, "%s/%s", in->path, shown);
	}
	if (in->name == NULL)
		return sst_nomem(err, in->path);
	return SST_OK;
}

/* Nothing of the input has been taken for an archive's member yet. */
static int
may_fall_back(const sst_input *in)
{
	return in->headers == 0 && !in->fell_back &&
	    archive_format(in->a) != ARCHIVE_FORMAT_RAW;
}

/* Reads the input again as plain data; why names what it only looked like. */
static int
plain_again(sst_input *in, const char *why, sst_err *err)
{
	if (in->cap_overflow)
		return sst_error(err, SST_EDATA, "%s: %s, and more than 8 MiB read from a pipe: "
		    "cannot read it again as plain data", in->path, why);
	return fall_back(in, err);
}

#define PRE_MAX		(1u << 20)	/* bound on an empty archive's bytes */
#define ZIP_EOCD	22		/* zip's end record, before its comment */

/*
 * How many bytes of its own an archive of a with no member is made of,
 * before any zero padding (the zip's is completed once its end record is
 * read); 0 with *ok = 0 when it is no format of ours or too large.
 */
static uint64_t
empty_archive_size(sst_input *in, int *ok)
{
	int base = archive_format(in->a) & ARCHIVE_FORMAT_BASE_MASK;
	la_int64_t used;

	*ok = 1;
	in->pre_zip = 0;
	switch (base) {
	case ARCHIVE_FORMAT_TAR:	/* zero blocks only */
		return 0;
	case ARCHIVE_FORMAT_ZIP:	/* "PK\5\6", 18 bytes, the comment */
		in->pre_zip = 1;
		return ZIP_EOCD;
	case ARCHIVE_FORMAT_CPIO:	/* the TRAILER!!! entry it read */
		used = archive_filter_bytes(in->a, 0);
		if (used >= 0 && used <= PRE_MAX)
			return (uint64_t)used;
		break;
	default:
		break;
	}
	*ok = 0;
	return 0;
}

/* Holds n bytes at p (file offset off) back for sst_input_read(); none: nothing. */
static void
hold_back(sst_input *in, const uint8_t *p, size_t n, int64_t off)
{
	if (n == 0)
		return;
	in->pend = p;
	in->pendlen = n;
	in->pendoff = off;
}

/*
 * Reads the raw member after a fall-back from an archive with no member:
 * copies its first pre_need bytes to pre, then skips zero bytes. *empty =
 * 1 if that is all there is (the empty archive it looked like); else the
 * block holding the first other byte is held back in pend, to be handed
 * out by sst_input_read() after pre and the zeros before it.
 */
static int
scan_empty(sst_input *in, int *empty, sst_err *err)
{
	const uint8_t *b;
	const void *v;
	size_t len, i, n;
	la_int64_t off;
	uint64_t at;
	int r, rc;

	*empty = 0;
	for (;;) {
		errno = 0;
		r = archive_read_data_block(in->a, &v, &len, &off);
		if (in->sys_errno != 0)
			return arch_error(in, "cannot read", err);
		if (r == ARCHIVE_EOF) {
			*empty = in->pre.len == in->pre_need;
			return SST_OK;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return arch_error(in, "cannot read", err);
		b = v;
		/* (raw data comes in order, without holes) */
		if (off < 0 || ((uint64_t)off < in->pre_need && (uint64_t)off != in->pre.len))
			return sst_error(err, SST_EDATA, "%s: cannot read: data out of order", in->path);
		for (i = 0; i < len; ) {
			at = (uint64_t)off + i;
			if (at < in->pre_need) {
				n = len - i;
				if (n > in->pre_need - at)
					n = (size_t)(in->pre_need - at);
				if ((rc = sst_buf_append(&in->pre, b + i, n, err)) != SST_OK)
					return rc;
				i += n;
				if (in->pre_zip && in->pre.len >= ZIP_EOCD) {
					in->pre_zip = 0;
					/*
					 * libarchive's seekable zip reader takes an
					 * end record found anywhere near the file's
					 * end; an empty zip starts with it, else the
					 * data is plain: the rest goes out as it is.
					 */
					if (memcmp(in->pre.p, "PK\5\6", 4) != 0) {
						hold_back(in, b + i, len - i, (int64_t)((uint64_t)off + i));
						return SST_OK;
					}
					in->pre_need = ZIP_EOCD + (uint64_t)(in->pre.p[20] | in->pre.p[21] << 8);
				}
				continue;
			}
			if (b[i] != 0) {
				hold_back(in, b + i, len - i, (int64_t)at);
				return SST_OK;
			}
			i++;
		}
	}
}

int
sst_input_next_member(sst_input *in, int *eof, sst_err *err)
{
	struct archive_entry *e;
	const char *m;
	int r, rc;

	*eof = 0;
	for (;;) {
		if (in->done) {
			*eof = 1;
			return SST_OK;
		}
		in->in_member = 0;
		e = in->entry;
		errno = 0;
		r = archive_read_next_header2(in->a, e);
		if (in->sys_errno != 0)
			return arch_error(in, "cannot read", err);
		if (r == ARCHIVE_EOF) {
			/*
			 * An archive with no member is its end record and zero
			 * padding, nothing else: data that merely starts like
			 * one (512 zero bytes, "PK\5\6") is plain data.
			 */
			uint64_t need;
			int ok;

			if (may_fall_back(in) && (need = empty_archive_size(in, &ok), ok)) {
				if ((rc = plain_again(in, "starts like an empty archive", err)) != SST_OK)
					return rc;
				in->zero_scan = 1;
				in->pre_need = need;
				continue;
			}
			in->done = 1;
			continue;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			if (may_fall_back(in) && in->sys_errno == 0 && !in->cap_overflow) {
				if ((rc = fall_back(in, err)) != SST_OK)
					return rc;
				continue;
			}
			return arch_error(in, "cannot read", err);
		}
		/*
		 * A real archive names its first member: a nameless first
		 * header is plain data that happened to pass the header's
		 * checksum (zero bytes with a 0x80 or two do).
		 */
		if (may_fall_back(in) && ((m = member_path(e)) == NULL || *m == '\0')) {
			if ((rc = plain_again(in, "an archive member without a name", err)) != SST_OK)
				return rc;
			continue;
		}
		if (in->headers++ == 0 && !in->replaying) {
			in->capturing = 0;
			free(in->cap);
			in->cap = NULL;
			in->caplen = 0;
		}
		in->is_raw = archive_format(in->a) == ARCHIVE_FORMAT_RAW;
		if (!in->is_raw && archive_entry_filetype(e) != AE_IFREG)
			continue;
		in->pend = NULL;
		in->pendlen = 0;
		in->moff = 0;
		if (in->zero_scan) {
			int empty;

			in->zero_scan = 0;
			if ((rc = scan_empty(in, &empty, err)) != SST_OK)
				return rc;
			if (empty) {	/* the empty archive it looked like */
				in->done = 1;
				continue;
			}
		}
		if ((rc = set_name(in, e, err)) != SST_OK)
			return rc;
		in->in_member = 1;
		in->msize = !in->is_raw && archive_entry_size_is_set(e) ?
		    archive_entry_size(e) : -1;
		return SST_OK;
	}
}

static void
give_zeros(sst_input *in, int64_t upto, const uint8_t **p, size_t *n)
{
	int64_t gap = upto - in->moff;

	*p = zeros;
	*n = gap > ZEROS_SIZE ? ZEROS_SIZE : (size_t)gap;
	in->moff += (int64_t)*n;
}

int
sst_input_read(sst_input *in, const uint8_t **p, size_t *n, sst_err *err)
{
	const void *b;
	size_t len;
	la_int64_t off;
	int r;

	*p = NULL;
	*n = 0;
	if (!in->in_member)
		return SST_OK;
	if (in->pre_given < in->pre.len) {	/* see scan_empty() */
		*p = in->pre.p + in->pre_given;
		*n = in->pre.len - in->pre_given;
		in->pre_given = in->pre.len;
		in->moff = (int64_t)in->pre.len;
		return SST_OK;
	}
	for (;;) {
		if (in->pend != NULL) {
			if (in->moff < in->pendoff) {
				give_zeros(in, in->pendoff, p, n);
				return SST_OK;
			}
			*p = in->pend;
			*n = in->pendlen;
			in->moff += (int64_t)in->pendlen;
			in->pend = NULL;
			return SST_OK;
		}
		errno = 0;
		r = archive_read_data_block(in->a, &b, &len, &off);
		/* A failed read(2) can surface as a short member or EOF. */
		if (in->sys_errno != 0)
			return arch_error(in, "cannot read", err);
		if (r == ARCHIVE_EOF) {
			if (in->msize > in->moff)
				give_zeros(in, in->msize, p, n);
			return SST_OK;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return arch_error(in, "cannot read", err);
		if (len == 0)
			continue;
		if (off < in->moff)
			return sst_error(err, SST_EDATA,
			    "%s: damaged archive: data blocks out of order",
			    in->name);
		hold_back(in, b, len, off);
	}
}

const char *
sst_input_name(const sst_input *in)
{
	return in->name != NULL ? in->name : in->path;
}

const char *
sst_input_path(const sst_input *in)
{
	return in->path;
}

uint64_t
sst_input_bytes_in(const sst_input *in)
{
	return in->bytes;
}

uint64_t
sst_input_total(const sst_input *in)
{
	return in->total;
}

void
sst_input_close(sst_input **inp)
{
	sst_input *in;

	if (inp == NULL || (in = *inp) == NULL)
		return;
	if (in->a != NULL)
		archive_read_free(in->a);
	if (in->entry != NULL)
		archive_entry_free(in->entry);
	if (in->own_fd && in->fd >= 0)
		close(in->fd);
	free(in->path);
	free(in->name);
	free(in->buf);
	free(in->cap);
	sst_buf_free(&in->pre);
	free(in);
	*inp = NULL;
}
