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
#include <zlib.h>
#include <zstd.h>

#include "format.h"
#include "util.h"
#include "wal.h"

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
/* gzip's output block, and how much of a stream's start is looked at for
 * sstkit's own files (a table's first block up to this size is found). */
#define ZBUF_SIZE	(256u << 10)
#define LZ4_LEGACY	"\x02\x21\x4c\x18"	/* lz4 -l's magic number */
#define SNIFF_SIZE	(64u << 10)
/* Levels of decoding: the file, then compressed or archived layers in it. */
#define MAX_NODES	8
#define PEEK_SIZE	10	/* bytes of a member looked at for magic numbers */

static const uint8_t zeros[ZEROS_SIZE];

/* The gzip decoder's state between members of a multi-member stream. */
enum { GZ_MEMBER, GZ_BETWEEN, GZ_ZEROS };

/*
 * One libarchive reader. Node 0 reads the file; node k + 1 reads the
 * current member of node k (a gzip stream in a raw member, or any member
 * of an archive).
 */
struct node {
	sst_input *in;
	struct node *parent;
	int depth;
	int in_archive;		/* an archive (tar, cpio, zip) holds this data */
	struct archive *a;
	int seekable;		/* node 0 of a regular file */
	char *name;

	/* Fall back: what the first try read, replayed to the second. */
	uint8_t *cap;
	size_t caplen;
	int capturing;
	int cap_overflow;
	size_t replay;
	int replaying;

	/* The gzip layer between the source and libarchive. */
	int gz;			/* 0 not known yet, 1 gzip, -1 not gzip */
	int zinit;
	int zstate;
	z_stream z;
	uint8_t *zbuf;
	uint8_t sniff[3];	/* first bytes, when the first reads were short */
	size_t sniffn, sniff_given;
	const uint8_t *hold;	/* a source chunk not handed on yet */
	size_t holdn;
	int checked;		/* the stream's start was checked (own files) */
	sst_buf first;		/* the stream's start, when read in short pieces */

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
	int64_t msize;		/* a sparse member's size (its holes are zeros), else -1 */

	/* The member's first bytes, looked at before they are handed out. */
	sst_buf look;
	size_t look_given;
	const uint8_t *rest;
	size_t restlen;
	int mend;
};

struct sst_input {
	char *path;
	int fd;
	int own_fd;
	int seekable;
	uint64_t total;
	uint64_t bytes;		/* file position (bytes read from a pipe) */
	uint8_t *buf;
	size_t bufsize;
	struct archive_entry *entry;	/* ours: libarchive's own is unchecked */
	int sys_errno;		/* errno of a failed read/seek of ours */
	int at_eof;		/* read(2) gave 0: never read again (until a seek) */
	sst_err cb_err;		/* an error of ours inside a read callback */
	int cb_code;
	struct node *nodes[MAX_NODES];
	int top;
};

static int
is_sys_errno(int e)
{
	return e == ENOMEM || e == EIO || e == EACCES || e == EPERM ||
	    e == EISDIR || e == ENOSPC || e == EBADF || e == ENXIO ||
	    e == ENODEV || e == ESTALE || e == ETIMEDOUT;
}

static int node_read(struct node *nd, const uint8_t **p, size_t *n, sst_err *err);
static int mread(struct node *nd, const uint8_t **p, size_t *n, sst_err *err);

/* What the data of nd is called in messages: the file or the member. */
static const char *
src_name(const struct node *nd)
{
	return nd->parent != NULL ? nd->parent->name : nd->in->path;
}

/* Records an error of ours met inside a read callback; -1 for libarchive. */
static la_ssize_t
cb_fail(struct node *nd, int code, const char *fmt, const char *what)
{
	sst_input *in = nd->in;

	if (in->cb_code == 0) {
		in->cb_code = sst_error(&in->cb_err, code, fmt, src_name(nd), what);
		if (code == SST_ESYS)
			in->sys_errno = ENOMEM;
	}
	archive_set_error(nd->a, -1, "%s", in->cb_err.msg);
	return -1;
}

/*
 * The next chunk of nd's source (*n == 0 at its end): the file, or the
 * parent's member; what the first try read is kept for a fall back.
 * SST_OK, or a code with the error kept in in->cb_err (a member's) or
 * in->sys_errno (the file's read), and set on nd->a for libarchive.
 */
static int
src_chunk(struct node *nd, const uint8_t **p, size_t *n)
{
	sst_input *in = nd->in;
	ssize_t r;

	if (nd->replaying && nd->replay < nd->caplen) {
		*p = nd->cap + nd->replay;
		*n = nd->caplen - nd->replay;
		nd->replay = nd->caplen;
		return SST_OK;
	}
	if (nd->parent != NULL) {
		int rc;

		if ((rc = mread(nd->parent, p, n, &in->cb_err)) != SST_OK) {
			in->cb_code = in->cb_err.code;
			archive_set_error(nd->a, -1, "%s", in->cb_err.msg);
			return rc;
		}
	} else {
		/*
		 * The end is sticky: a terminal gives one 0-byte read for a
		 * Ctrl-D and then waits for more, and the layers above may ask
		 * again after the end (sniffing, fall-back, replay).
		 */
		r = 0;
		while (!in->at_eof && (r = read(in->fd, in->buf, in->bufsize)) < 0 && errno == EINTR)
			;
		if (r < 0) {
			in->sys_errno = errno;
			archive_set_error(nd->a, errno, "read: %s", strerror(errno));
			return SST_ESYS;
		}
		if (r == 0)
			in->at_eof = 1;
		in->bytes += (uint64_t)r;
		*p = in->buf;
		*n = (size_t)r;
	}
	if (nd->capturing && *n > 0) {
		if (nd->caplen + *n > CAPTURE_MAX) {
			nd->cap_overflow = 1;
			nd->capturing = 0;
		} else {
			uint8_t *c = realloc(nd->cap, nd->caplen + *n);

			if (c == NULL) {
				nd->cap_overflow = 1;
				nd->capturing = 0;
			} else {
				memcpy(c + nd->caplen, *p, *n);
				nd->cap = c;
				nd->caplen += *n;
			}
		}
	}
	return SST_OK;
}

static int
gzip_magic(const uint8_t *p)
{
	return p[0] == 0x1f && p[1] == 0x8b && p[2] == 8;
}

/* The source's next chunk after what sniffing held back. */
static int
src_next(struct node *nd, const uint8_t **p, size_t *n)
{
	if (nd->sniff_given < nd->sniffn) {
		*p = nd->sniff + nd->sniff_given;
		*n = nd->sniffn - nd->sniff_given;
		nd->sniff_given = nd->sniffn;
		return SST_OK;
	}
	if (nd->holdn > 0) {
		*p = nd->hold;
		*n = nd->holdn;
		nd->holdn = 0;
		return SST_OK;
	}
	return src_chunk(nd, p, n);
}

/* Decides whether the source is gzip from its first 3 bytes. */
static int
gz_sniff(struct node *nd)
{
	const uint8_t *p;
	size_t n, take;
	int rc;

	while (nd->sniffn < 3) {
		if ((rc = src_chunk(nd, &p, &n)) != SST_OK)
			return rc;
		if (n == 0)
			break;
		if (nd->sniffn == 0 && n >= 3) {
			nd->hold = p;
			nd->holdn = n;
			break;
		}
		take = 3 - nd->sniffn < n ? 3 - nd->sniffn : n;
		memcpy(nd->sniff + nd->sniffn, p, take);
		nd->sniffn += take;
		if (take < n) {
			nd->hold = p + take;
			nd->holdn = n - take;
		}
	}
	if (nd->sniffn == 3)
		nd->gz = gzip_magic(nd->sniff) ? 1 : -1;
	else
		nd->gz = nd->holdn >= 3 && gzip_magic(nd->hold) ? 1 : -1;
	return SST_OK;
}

/*
 * gzip through zlib, which checks each member's CRC-32 and length: members
 * one after the other are one stream; zero bytes after the last member
 * are padding (as gzip(1) takes them); anything else after a member, or a
 * stream that ends inside a member, is bad data.
 */
static la_ssize_t
gz_read(struct node *nd, const void **buf)
{
	z_stream *z = &nd->z;
	const uint8_t *p;
	size_t n;
	int r;

	if (!nd->zinit) {
		if (nd->zbuf == NULL && (nd->zbuf = malloc(ZBUF_SIZE)) == NULL)
			return cb_fail(nd, SST_ESYS, "%s: %s", "out of memory");
		memset(z, 0, sizeof(*z));
		r = inflateInit2(z, 16 + MAX_WBITS);
		if (r != Z_OK)
			return cb_fail(nd, r == Z_MEM_ERROR ? SST_ESYS : SST_EDATA,
			    "%s: gzip: %s", r == Z_MEM_ERROR ? "out of memory" : "cannot start zlib");
		nd->zinit = 1;
		nd->zstate = GZ_MEMBER;
	}
	z->next_out = nd->zbuf;
	z->avail_out = ZBUF_SIZE;
	while (z->avail_out > 0) {
		if (z->avail_in == 0) {
			if (src_next(nd, &p, &n) != SST_OK)
				return -1;	/* libarchive's error */
			if (n == 0) {
				if (nd->zstate == GZ_MEMBER)
					return cb_fail(nd, SST_EDATA, "%s: %s", "truncated gzip data");
				break;
			}
			z->next_in = (Bytef *)(uintptr_t)p;
			z->avail_in = (uInt)n;
		}
		if (nd->zstate == GZ_BETWEEN) {
			if (z->next_in[0] == 0x1f) {
				if (inflateReset(z) != Z_OK)
					return cb_fail(nd, SST_EDATA, "%s: %s", "gzip: cannot reset zlib");
				nd->zstate = GZ_MEMBER;
			} else if (z->next_in[0] == 0) {
				nd->zstate = GZ_ZEROS;
			} else {
				return cb_fail(nd, SST_EDATA, "%s: %s", "damaged gzip data: "
				    "trailing garbage after the last member");
			}
			continue;
		}
		if (nd->zstate == GZ_ZEROS) {
			for (; z->avail_in > 0; z->avail_in--, z->next_in++)
				if (z->next_in[0] != 0)
					return cb_fail(nd, SST_EDATA, "%s: %s", "damaged gzip data: "
					    "trailing garbage after the last member");
			continue;
		}
		r = inflate(z, Z_NO_FLUSH);
		if (r == Z_STREAM_END) {
			nd->zstate = GZ_BETWEEN;
			continue;
		}
		if (r == Z_OK)
			continue;
		if (r == Z_MEM_ERROR)
			return cb_fail(nd, SST_ESYS, "%s: %s", "out of memory");
		if (r == Z_BUF_ERROR && z->avail_in == 0)
			continue;
		return cb_fail(nd, SST_EDATA, "%s: damaged gzip data (%s)",
		    z->msg != NULL ? z->msg : "zlib error");
	}
	*buf = nd->zbuf;
	return (la_ssize_t)(ZBUF_SIZE - z->avail_out);
}

/* The source decoded from gzip, or as it is. */
static la_ssize_t
dec_read(struct node *nd, const void **buf)
{
	const uint8_t *p;
	size_t n;

	if (nd->gz == 0 && gz_sniff(nd) != SST_OK)
		return -1;	/* libarchive's error; ours in nd->in */
	if (nd->gz == 1)
		return gz_read(nd, buf);
	if (src_next(nd, &p, &n) != SST_OK)
		return -1;
	*buf = p;
	return (la_ssize_t)n;
}

/*
 * sstkit's own files, found by whole checked structures only: a WAL's
 * HEADER fragment at offset 0 with its checksum, or a table's first block
 * (a zstd frame or raw bytes, then the 9-byte trailer whose checksum,
 * seeded with offset 0, holds) within the n bytes at p. NULL: neither.
 */
const char *
sst_input_own_file(const uint8_t *p, size_t n)
{
	size_t len;

	if (n >= SST_WAL_FILE_HEADER && p[4] == 14 && p[5] == 0 && p[6] == 5 &&
	    memcmp(p + 7, "sstkit-wal", 10) == 0 &&
	    sst_get_le32(p) == sst_checksum(p + 4, SST_WAL_FILE_HEADER - 4, 0))
		return "is an sstkit WAL: use wal-replay";
	if (n >= 4 && sst_get_le32(p) == 0xfd2fb528u) {	/* a zstd block */
		len = ZSTD_findFrameCompressedSize(p, n);
		if (!ZSTD_isError(len) && len + SST_TRAILER_SIZE <= n && p[len] == 1 &&
		    (unsigned long long)sst_get_le32(p + len + 1) == ZSTD_getFrameContentSize(p, n) &&
		    sst_get_le32(p + len + 5) == sst_checksum(p, len + 5, 0))
			return "is an sstkit table: use sst-merge or sst-ingest";
		return NULL;
	}
	/* a raw block: type 0 and raw_len == its own offset */
	for (len = 0; len + SST_TRAILER_SIZE <= n; len++)
		if (p[len] == 0 && sst_get_le32(p + len + 1) == len &&
		    sst_get_le32(p + len + 5) == sst_checksum(p, len + 5, 0))
			return "is an sstkit table: use sst-merge or sst-ingest";
	return NULL;
}

/*
 * Whether a stream starting with the n bytes at p may be a table or a WAL,
 * so that more of it is worth reading before it goes on: a table starts
 * with a zstd frame or a raw block's first entry (shared = 0: a zero byte),
 * a WAL with its HEADER fragment. Text never does, so a pipe of text lines
 * is handed on as it comes.
 */
static int
may_be_own(const uint8_t *p, size_t n)
{
	return n < SST_WAL_FRAG_HEADER || p[0] == 0 || sst_get_le32(p) == 0xfd2fb528u ||
	    (p[4] == 14 && p[5] == 0 && p[6] == 5);
}

static la_ssize_t
cb_read(struct archive *a, void *data, const void **buf)
{
	struct node *nd = data;
	const char *what;
	const void *b;
	la_ssize_t n;

	(void)a;
	if (nd->checked)
		return dec_read(nd, buf);
	/* The stream's start: a whole first block of a table, if it is one. */
	nd->checked = 1;
	if ((n = dec_read(nd, &b)) <= 0)
		return n;
	if ((size_t)n < SNIFF_SIZE && may_be_own(b, (size_t)n)) {
		for (;;) {
			if (sst_buf_append(&nd->first, b, (size_t)n, &nd->in->cb_err) != SST_OK)
				return cb_fail(nd, SST_ESYS, "%s: %s", "out of memory");
			if (nd->first.len >= SNIFF_SIZE || !may_be_own(nd->first.p, nd->first.len) ||
			    (n = dec_read(nd, &b)) <= 0)
				break;
		}
		if (n < 0)
			return n;
		b = nd->first.p;
		n = (la_ssize_t)nd->first.len;
	}
	if ((what = sst_input_own_file(b, (size_t)n < SNIFF_SIZE ? (size_t)n : SNIFF_SIZE)) != NULL)
		return cb_fail(nd, SST_EDATA, "%s: %s", what);
	*buf = b;
	return n;
}

static la_int64_t
cb_seek(struct archive *a, void *data, la_int64_t off, int whence)
{
	struct node *nd = data;
	off_t r = lseek(nd->in->fd, (off_t)off, whence);

	if (r < 0) {
		nd->in->sys_errno = errno;
		archive_set_error(a, errno, "seek: %s", strerror(errno));
		return ARCHIVE_FATAL;
	}
	nd->in->bytes = (uint64_t)r;
	nd->in->at_eof = 0;
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
arch_error(struct node *nd, const char *what, sst_err *err)
{
	sst_input *in = nd->in;
	int sys = errno;	/* cleared before the failed libarchive call */
	const char *name = nd->in_member ? nd->name : src_name(nd);
	const char *s = archive_error_string(nd->a);
	int e = archive_errno(nd->a);

	if (in->cb_code != 0) {
		*err = in->cb_err;
		return in->cb_code;
	}
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
arch_open(struct node *nd, int raw_only, sst_err *err)
{
	struct archive *a = archive_read_new();
	int r = 0;

	if (a == NULL)
		return sst_nomem(err, src_name(nd));
	nd->a = a;
	/*
	 * Each call below allocates; libarchive does not remember a failure,
	 * so one is caught here (ARCHIVE_WARN only means an external program).
	 * gzip is ours (cb_read): libarchive's does not check CRC and length.
	 */
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
	r |= archive_read_set_callback_data(a, nd) != ARCHIVE_OK;
	r |= archive_read_set_read_callback(a, cb_read) != ARCHIVE_OK;
	r |= archive_read_set_close_callback(a, cb_close) != ARCHIVE_OK;
	/* (a seek would bypass the gzip layer) */
	if (nd->seekable && nd->gz == -1)
		r |= archive_read_set_seek_callback(a, cb_seek) != ARCHIVE_OK;
	if (r)
		return sst_nomem(err, src_name(nd));
	errno = 0;
	if (archive_read_open1(a) != ARCHIVE_OK || nd->in->sys_errno != 0 || nd->in->cb_code != 0)
		return arch_error(nd, "cannot read", err);
	return SST_OK;
}

/* Restarts the gzip layer, for reading the source again from its start. */
static void
gz_restart(struct node *nd)
{
	if (nd->zinit)
		inflateEnd(&nd->z);
	nd->zinit = 0;
	memset(&nd->z, 0, sizeof(nd->z));
	if (!nd->seekable)
		nd->gz = 0;
	nd->sniffn = nd->sniff_given = 0;
	nd->holdn = 0;
}

static void
node_free(struct node *nd)
{
	if (nd == NULL)
		return;
	if (nd->a != NULL)
		archive_read_free(nd->a);
	if (nd->zinit)
		inflateEnd(&nd->z);
	free(nd->zbuf);
	free(nd->cap);
	free(nd->name);
	sst_buf_free(&nd->first);
	sst_buf_free(&nd->pre);
	sst_buf_free(&nd->look);
	free(nd);
}

/* A new node over the file (parent NULL) or the parent's member. */
static int
node_open(sst_input *in, struct node *parent, sst_err *err)
{
	struct node *nd;
	int rc;

	if (in->top + 1 >= MAX_NODES && parent != NULL)
		return sst_error(err, SST_EDATA, "%s: compressed or archived more than %d times over",
		    parent->name, MAX_NODES - 1);
	if ((nd = sst_calloc(1, sizeof(*nd), err)) == NULL)
		return SST_ESYS;
	nd->in = in;
	nd->parent = parent;
	nd->depth = parent != NULL ? parent->depth + 1 : 0;
	nd->in_archive = parent != NULL && (parent->in_archive || !parent->is_raw);
	nd->seekable = parent == NULL && in->seekable;
	nd->capturing = !nd->seekable;
	if (nd->seekable) {
		uint8_t m[3];

		nd->gz = pread(in->fd, m, 3, 0) == 3 && gzip_magic(m) ? 1 : -1;
	}
	if (parent != NULL)
		in->top++;
	in->nodes[nd->depth] = nd;
	if ((rc = arch_open(nd, 0, err)) != SST_OK)
		return rc;
	return SST_OK;
}

/* Reads the node's data again as plain (possibly compressed) data. */
static int
fall_back(struct node *nd, sst_err *err)
{
	archive_read_free(nd->a);
	nd->a = NULL;
	nd->fell_back = 1;
	nd->capturing = 0;
	gz_restart(nd);
	if (nd->seekable) {
		if (lseek(nd->in->fd, 0, SEEK_SET) != 0)
			return sst_syserr(err, "%s: seek", nd->in->path);
		nd->in->at_eof = 0;
	} else {
		nd->replaying = 1;
		nd->replay = 0;
	}
	return arch_open(nd, 1, err);
}

/* A member's path as the archive gives it, or NULL. */
static const char *
member_path(struct archive_entry *e)
{
	const char *m = archive_entry_pathname(e);

	return m != NULL ? m : archive_entry_pathname_utf8(e);
}

static int
set_name(struct node *nd, struct archive_entry *e, sst_err *err)
{
	const char *m, *base = src_name(nd);
	size_t n;

	free(nd->name);
	nd->name = NULL;
	if (nd->is_raw) {
		nd->name = strdup(base);
	} else {
		/* A member's name comes from the file: messages show it on
		 * one line, escaped, and short enough to leave room for why. */
		char shown[MEMBER_SHOWN];

		if ((m = member_path(e)) == NULL)
			m = "?";
		sst_show_bytes(shown, sizeof(shown), (const uint8_t *)m, strlen(m), 1);
		n = strlen(base) + strlen(shown) + 2;
		if ((nd->name = malloc(n)) != NULL)
			snprintf(nd->name, n, "%s/%s", base, shown);
	}
	if (nd->name == NULL)
		return sst_nomem(err, base);
	return SST_OK;
}

/* Nothing of the data has been taken for an archive's member yet. */
static int
may_fall_back(const struct node *nd)
{
	return nd->headers == 0 && !nd->fell_back &&
	    archive_format(nd->a) != ARCHIVE_FORMAT_RAW;
}

/* Reads the data again as plain data; why names what it only looked like. */
static int
plain_again(struct node *nd, const char *why, sst_err *err)
{
	if (nd->cap_overflow)
		return sst_error(err, SST_EDATA, "%s: %s, and more than 8 MiB read from a stream: "
		    "cannot read it again as plain data", src_name(nd), why);
	return fall_back(nd, err);
}

#define PRE_MAX		(1u << 20)	/* bound on an empty archive's bytes */
#define ZIP_EOCD	22		/* zip's end record, before its comment */

/*
 * How many bytes of its own an archive of a with no member is made of,
 * before any zero padding (the zip's is completed once its end record is
 * read); 0 with *ok = 0 when it is no format of ours or too large.
 */
static uint64_t
empty_archive_size(struct node *nd, int *ok)
{
	int base = archive_format(nd->a) & ARCHIVE_FORMAT_BASE_MASK;
	la_int64_t used;

	*ok = 1;
	nd->pre_zip = 0;
	switch (base) {
	case ARCHIVE_FORMAT_TAR:	/* zero blocks only */
		return 0;
	case ARCHIVE_FORMAT_ZIP:	/* "PK\5\6", 18 bytes, the comment */
		nd->pre_zip = 1;
		return ZIP_EOCD;
	case ARCHIVE_FORMAT_CPIO:	/* the TRAILER!!! entry it read */
		used = archive_filter_bytes(nd->a, 0);
		if (used >= 0 && used <= PRE_MAX)
			return (uint64_t)used;
		break;
	default:
		break;
	}
	*ok = 0;
	return 0;
}

/* Holds n bytes at p (member offset off) back for node_read(); none: nothing. */
static void
hold_back(struct node *nd, const uint8_t *p, size_t n, int64_t off)
{
	if (n == 0)
		return;
	nd->pend = p;
	nd->pendlen = n;
	nd->pendoff = off;
}

/*
 * Reads the raw member after a fall-back from an archive with no member:
 * copies its first pre_need bytes to pre, then skips zero bytes. *empty =
 * 1 if that is all there is (the empty archive it looked like); else the
 * block holding the first other byte is held back in pend, to be handed
 * out by node_read() after pre and the zeros before it.
 */
static int
scan_empty(struct node *nd, int *empty, sst_err *err)
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
		r = archive_read_data_block(nd->a, &v, &len, &off);
		if (nd->in->sys_errno != 0 || nd->in->cb_code != 0)
			return arch_error(nd, "cannot read", err);
		if (r == ARCHIVE_EOF) {
			*empty = nd->pre.len == nd->pre_need;
			return SST_OK;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return arch_error(nd, "cannot read", err);
		b = v;
		/* (raw data comes in order, without holes) */
		if (off < 0 || ((uint64_t)off < nd->pre_need && (uint64_t)off != nd->pre.len))
			return sst_error(err, SST_EDATA, "%s: cannot read: data out of order", src_name(nd));
		for (i = 0; i < len; ) {
			at = (uint64_t)off + i;
			if (at < nd->pre_need) {
				n = len - i;
				if (n > nd->pre_need - at)
					n = (size_t)(nd->pre_need - at);
				if ((rc = sst_buf_append(&nd->pre, b + i, n, err)) != SST_OK)
					return rc;
				i += n;
				if (nd->pre_zip && nd->pre.len >= ZIP_EOCD) {
					nd->pre_zip = 0;
					/*
					 * libarchive's seekable zip reader takes an
					 * end record found anywhere near the file's
					 * end; an empty zip starts with it, else the
					 * data is plain: the rest goes out as it is.
					 */
					if (memcmp(nd->pre.p, "PK\5\6", 4) != 0) {
						hold_back(nd, b + i, len - i, (int64_t)((uint64_t)off + i));
						return SST_OK;
					}
					nd->pre_need = ZIP_EOCD + (uint64_t)(nd->pre.p[20] | nd->pre.p[21] << 8);
				}
				continue;
			}
			if (b[i] != 0) {
				hold_back(nd, b + i, len - i, (int64_t)at);
				return SST_OK;
			}
			i++;
		}
	}
}

/* Moves nd to its next member, as sst_input_next_member() does. */
static int
node_next(struct node *nd, int *eof, sst_err *err)
{
	sst_input *in = nd->in;
	struct archive_entry *e;
	const char *m;
	int r, rc;

	*eof = 0;
	for (;;) {
		if (nd->done) {
			*eof = 1;
			return SST_OK;
		}
		nd->in_member = 0;
		e = in->entry;
		errno = 0;
		r = archive_read_next_header2(nd->a, e);
		if (in->sys_errno != 0 || in->cb_code != 0)
			return arch_error(nd, "cannot read", err);
		if (r == ARCHIVE_EOF) {
			/*
			 * An archive with no member is its end record and zero
			 * padding, nothing else: data that merely starts like
			 * one (512 zero bytes, "PK\5\6") is plain data.
			 */
			uint64_t need;
			int ok;

			if (may_fall_back(nd) && (need = empty_archive_size(nd, &ok), ok)) {
				if ((rc = plain_again(nd, "starts like an empty archive", err)) != SST_OK)
					return rc;
				nd->zero_scan = 1;
				nd->pre_need = need;
				continue;
			}
			nd->done = 1;
			continue;
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			if (may_fall_back(nd) && !nd->cap_overflow) {
				if ((rc = fall_back(nd, err)) != SST_OK)
					return rc;
				continue;
			}
			return arch_error(nd, "cannot read", err);
		}
		/*
		 * A real archive names its first member: a nameless first
		 * header is plain data that happened to pass the header's
		 * checksum (zero bytes with a 0x80 or two do).
		 */
		if (may_fall_back(nd) && ((m = member_path(e)) == NULL || *m == '\0')) {
			if ((rc = plain_again(nd, "an archive member without a name", err)) != SST_OK)
				return rc;
			continue;
		}
		if (nd->headers++ == 0 && !nd->replaying) {
			nd->capturing = 0;
			free(nd->cap);
			nd->cap = NULL;
			nd->caplen = 0;
		}
		nd->is_raw = archive_format(nd->a) == ARCHIVE_FORMAT_RAW;
		if (!nd->is_raw && nd->in_archive)
			return sst_error(err, SST_EDATA, "%s: holds an archive (%s): "
			    "an archive inside an archive is not read", src_name(nd),
			    archive_format_name(nd->a));
		if (!nd->is_raw && archive_entry_filetype(e) != AE_IFREG)
			continue;
		nd->pend = NULL;
		nd->pendlen = 0;
		nd->moff = 0;
		nd->look.len = nd->look_given = 0;
		nd->restlen = 0;
		nd->mend = 0;
		if (nd->zero_scan) {
			int empty;

			nd->zero_scan = 0;
			if ((rc = scan_empty(nd, &empty, err)) != SST_OK)
				return rc;
			if (empty) {	/* the empty archive it looked like */
				nd->done = 1;
				continue;
			}
		}
		if ((rc = set_name(nd, e, err)) != SST_OK)
			return rc;
		nd->in_member = 1;
		/*
		 * Only a sparse member ends in a hole filled with zeros: the
		 * size of any other one is no promise (a zip member claiming
		 * 2^62 bytes made zeros without end: fuzz_records).
		 */
		nd->msize = !nd->is_raw && archive_entry_size_is_set(e) &&
		    archive_entry_sparse_count(e) > 0 ? archive_entry_size(e) : -1;
		return SST_OK;
	}
}

static void
give_zeros(struct node *nd, int64_t upto, const uint8_t **p, size_t *n)
{
	int64_t gap = upto - nd->moff;

	*p = zeros;
	*n = gap > ZEROS_SIZE ? ZEROS_SIZE : (size_t)gap;
	nd->moff += (int64_t)*n;
}

/* The member's next block, holes as zeros; *n == 0 at its end. */
static int
node_read(struct node *nd, const uint8_t **p, size_t *n, sst_err *err)
{
	const void *b;
	size_t len;
	la_int64_t off;
	int r;

	*p = NULL;
	*n = 0;
	if (!nd->in_member)
		return SST_OK;
	if (nd->pre_given < nd->pre.len) {	/* see scan_empty() */
		*p = nd->pre.p + nd->pre_given;
		*n = nd->pre.len - nd->pre_given;
		nd->pre_given = nd->pre.len;
		nd->moff = (int64_t)nd->pre.len;
		return SST_OK;
	}
	for (;;) {
		if (nd->pend != NULL) {
			if (nd->moff < nd->pendoff) {
				give_zeros(nd, nd->pendoff, p, n);
				return SST_OK;
			}
			*p = nd->pend;
			*n = nd->pendlen;
			nd->moff += (int64_t)nd->pendlen;
			nd->pend = NULL;
			return SST_OK;
		}
		errno = 0;
		r = archive_read_data_block(nd->a, &b, &len, &off);
		/* A failed read(2) can surface as a short member or EOF. */
		if (nd->in->sys_errno != 0 || nd->in->cb_code != 0)
			return arch_error(nd, "cannot read", err);
		if (r == ARCHIVE_EOF) {
			if (nd->msize > nd->moff)
				give_zeros(nd, nd->msize, p, n);
			return SST_OK;
		}
		/*
		 * A warning on data is damage: a zip member whose CRC-32 or
		 * size does not match (libarchive still hands out its bytes).
		 */
		if (r == ARCHIVE_WARN)
			return arch_error(nd, "damaged archive", err);
		if (r != ARCHIVE_OK)
			return arch_error(nd, "cannot read", err);
		if (len == 0)
			continue;
		if (off < nd->moff)
			return sst_error(err, SST_EDATA,
			    "%s: damaged archive: data blocks out of order",
			    nd->name);
		hold_back(nd, b, len, off);
	}
}

/*
 * Makes the member's first bytes (up to want) visible at *p, *n without
 * handing them out: less than want only when the member is shorter.
 * REQUIRES: nothing of the member was read yet.
 */
static int
mpeek(struct node *nd, size_t want, const uint8_t **p, size_t *n, sst_err *err)
{
	size_t take;
	int rc;

	for (;;) {
		if (nd->look.len == 0 && nd->restlen >= want)
			break;
		if (nd->look.len >= want || nd->mend)
			break;
		if (nd->restlen == 0) {
			if ((rc = node_read(nd, &nd->rest, &nd->restlen, err)) != SST_OK)
				return rc;
			if (nd->restlen == 0)
				nd->mend = 1;
			continue;
		}
		take = want - nd->look.len < nd->restlen ? want - nd->look.len : nd->restlen;
		if ((rc = sst_buf_append(&nd->look, nd->rest, take, err)) != SST_OK)
			return rc;
		nd->rest += take;
		nd->restlen -= take;
	}
	if (nd->look.len > 0) {
		*p = nd->look.p;
		*n = nd->look.len;
	} else {
		*p = nd->rest;
		*n = nd->restlen;
	}
	return SST_OK;
}

/* node_read() after what mpeek() looked at. */
static int
mread(struct node *nd, const uint8_t **p, size_t *n, sst_err *err)
{
	int rc;

	if (nd->look_given < nd->look.len) {
		*p = nd->look.p + nd->look_given;
		*n = nd->look.len - nd->look_given;
		nd->look_given = nd->look.len;
		return SST_OK;
	}
	if (nd->restlen > 0) {
		*p = nd->rest;
		*n = nd->restlen;
		nd->restlen = 0;
		return SST_OK;
	}
	*p = NULL;
	*n = 0;
	if (nd->mend)
		return SST_OK;
	if ((rc = node_read(nd, p, n, err)) != SST_OK)
		return rc;
	if (*n == 0)
		nd->mend = 1;
	return SST_OK;
}

/* A compressor's whole magic number at p (n bytes): its name, or NULL. */
static const char *
compressed_magic(const uint8_t *p, size_t n)
{
	if (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)
		return "zstd";
	if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
		return "xz";
	if (n >= 4 && (memcmp(p, "\x04\x22\x4d\x18", 4) == 0 ||
	    memcmp(p, LZ4_LEGACY, 4) == 0))
		return "lz4";
	if (n >= 10 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9' &&
	    (memcmp(p + 4, "\x31\x41\x59\x26\x53\x59", 6) == 0 ||
	    memcmp(p + 4, "\x17\x72\x45\x38\x50\x90", 6) == 0))
		return "bzip2";
	return NULL;
}

/* A table's footer at the end of a regular file (of size size). */
static int
table_footer(int fd, uint64_t size)
{
	uint8_t f[SST_FOOTER_SIZE];

	if (size < SST_FOOTER_SIZE ||
	    pread(fd, f, sizeof(f), (off_t)(size - SST_FOOTER_SIZE)) != (ssize_t)sizeof(f))
		return 0;
	return memcmp(f + 64, sst_magic, 8) == 0 &&
	    sst_get_le32(f + 60) == sst_checksum(f, 60, size - SST_FOOTER_SIZE);
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
		struct stat ms;

		if (fstatat(in->fd, "MANIFEST", &ms, 0) == 0 && S_ISREG(ms.st_mode))
			rc = sst_error(err, SST_EDATA, "%s: is an sstkit store: use sst-merge or sst-dump", path);
		else {
			errno = EISDIR;
			rc = sst_syserr(err, "%s", path);
		}
		sst_input_close(&in);
		return rc;
	}
	if (S_ISREG(st.st_mode)) {
		in->total = (uint64_t)st.st_size;
		in->seekable = lseek(in->fd, 0, SEEK_CUR) == 0;
		if (in->seekable && table_footer(in->fd, in->total)) {
			rc = sst_error(err, SST_EDATA, "%s: is an sstkit table: use sst-merge or sst-ingest", path);
			sst_input_close(&in);
			return rc;
		}
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
	if ((rc = node_open(in, NULL, err)) != SST_OK) {
		sst_input_close(&in);
		return rc;
	}
	*inp = in;
	return SST_OK;
}

int
sst_input_next_member(sst_input *in, int *eof, sst_err *err)
{
	struct node *nd;
	const uint8_t *p;
	const char *what;
	size_t n;
	int rc;

	for (;;) {
		nd = in->nodes[in->top];
		if ((rc = node_next(nd, eof, err)) != SST_OK)
			return rc;
		if (*eof) {
			if (in->top == 0)
				return SST_OK;
			node_free(nd);
			in->nodes[in->top--] = NULL;
			continue;
		}
		/*
		 * An archive's member is read through a node of its own, like
		 * a file (compressed, or an archive: refused); so is a gzip
		 * stream that another compressor held.
		 */
		if (!nd->is_raw) {
			if ((rc = node_open(in, nd, err)) != SST_OK)
				return rc;
			continue;
		}
		if ((rc = mpeek(nd, PEEK_SIZE, &p, &n, err)) != SST_OK)
			return rc;
		if (n >= 3 && gzip_magic(p)) {
			if ((rc = node_open(in, nd, err)) != SST_OK)
				return rc;
			continue;
		}
		if (n == 4 && memcmp(p, LZ4_LEGACY, 4) == 0) {
			/* lz4 -l of nothing: its magic alone (libarchive wants more) */
			nd->look_given = nd->look.len;
			nd->restlen = 0;
			return SST_OK;
		}
		if ((what = compressed_magic(p, n)) != NULL)
			return sst_error(err, SST_EDATA, "%s: damaged or truncated %s data",
			    nd->name, what);
		/*
		 * What libarchive decompressed (xz, bzip2, zstd, lz4) never
		 * passed cb_read's check: a compressed table or WAL is one.
		 */
		if (n >= PEEK_SIZE && archive_filter_count(nd->a) > 1 && may_be_own(p, n)) {
			if ((rc = mpeek(nd, SNIFF_SIZE, &p, &n, err)) != SST_OK)
				return rc;
			if ((what = sst_input_own_file(p, n < SNIFF_SIZE ? n : SNIFF_SIZE)) != NULL)
				return sst_error(err, SST_EDATA, "%s: %s", nd->name, what);
		}
		return SST_OK;
	}
}

int
sst_input_read(sst_input *in, const uint8_t **p, size_t *n, sst_err *err)
{
	return mread(in->nodes[in->top], p, n, err);
}

const char *
sst_input_name(const sst_input *in)
{
	const struct node *nd = in->nodes[in->top];

	return nd != NULL && nd->name != NULL ? nd->name : in->path;
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
	for (int i = MAX_NODES - 1; i >= 0; i--)
		node_free(in->nodes[i]);
	if (in->entry != NULL)
		archive_entry_free(in->entry);
	if (in->own_fd && in->fd >= 0)
		close(in->fd);
	free(in->path);
	free(in->buf);
	free(in);
	*inp = NULL;
}
