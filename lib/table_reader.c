#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_createDDict_byReference: exported by libzstd */
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "filter.h"
#include "table_int.h"

/* Damage in structure what at off: SST_EDATA, "PATH@OFF: WHAT: WHY" (CONTRACT's PATH@OFFSET). */
static int
corrupt(sst_table *t, const char *what, uint64_t off, const char *why, sst_err *err)
{
	return sst_error(err, SST_EDATA, "%s@%llu: %s: %s", t->path,
	    (unsigned long long)off, what, why);
}

/* The message of a block decoder's failure rc (SST_EDATA or SST_ESYS, block.h). */
static int
bad_block(sst_table *t, const char *what, uint64_t off, int rc, const char *why, sst_err *err)
{
	if (rc == SST_ESYS)
		return sst_nomem(err, t->path);
	return corrupt(t, what, off, why, err);
}

int
sst_decode_handle(const uint8_t *p, size_t n, sst_handle *h)
{
	const uint8_t *end = p + n;

	if (sst_get_varint(&p, end, &h->off) != SST_OK || sst_get_varint(&p, end, &h->len) != SST_OK ||
	    p != end)
		return SST_EDATA;
	return SST_OK;
}

int
sst_table_load_dict(sst_table *t, sst_err *err)
{
	const uint8_t *tr;
	size_t n;
	int rc;

	if (t->ddict != NULL || t->f.dict.len == 0)
		return SST_OK;
	/* The footer's handle was checked at open: inside the file, <= SST_MAX_DICT. */
	n = (size_t)t->f.dict.len + SST_TRAILER_SIZE;
	if ((rc = sst_buf_reserve(&t->dict_file, n, err)) != SST_OK)
		return rc;
	if ((rc = sst_pread_full(t->fd, t->dict_file.p, n, t->f.dict.off, t->path, err)) != SST_OK)
		return rc;
	tr = t->dict_file.p + t->f.dict.len;
	if (sst_get_le32(tr + 5) != sst_checksum(t->dict_file.p, (size_t)t->f.dict.len + 5, t->f.dict.off))
		return corrupt(t, "dictionary", t->f.dict.off, "checksum mismatch", err);
	if (tr[0] != SST_BLOCK_RAW || sst_get_le32(tr + 1) != t->f.dict.len)
		return corrupt(t, "dictionary", t->f.dict.off, "not a raw block of its length", err);
	if (ZSTD_getDictID_fromDict(t->dict_file.p, (size_t)t->f.dict.len) == 0)
		return corrupt(t, "dictionary", t->f.dict.off, "not a zstd dictionary", err);
	/* dict_file outlives the DDict: sst_table_close frees it after. */
	t->ddict = ZSTD_createDDict_byReference(t->dict_file.p, (size_t)t->f.dict.len);
	if (t->ddict == NULL)
		return corrupt(t, "dictionary", t->f.dict.off, "zstd rejects the dictionary", err);
	return SST_OK;
}

int
sst_read_block(sst_table *t, sst_handle h, const char *what, sst_buf *file,
    sst_buf *raw, const uint8_t **data, size_t *len, sst_err *err)
{
	return sst_read_block_ctx(t, NULL, h, what, file, raw, data, len, err);
}

/* Checks that block h lies before the footer, with its trailer. */
static int
block_in_bounds(sst_table *t, sst_handle h, const char *what, sst_err *err)
{
	if (h.off > t->footer_off || h.len > t->footer_off - h.off ||
	    SST_TRAILER_SIZE > t->footer_off - h.off - h.len)
		return corrupt(t, what, h.off, "block handle out of bounds", err);
	return SST_OK;
}

/*
 * Checks and decodes block h from its stored bytes p (h.len bytes and the
 * trailer): *data is p itself for a block stored raw, else raw's bytes.
 */
static int
decode_block(sst_table *t, ZSTD_DCtx *dctx, sst_handle h, const char *what,
    const uint8_t *p, sst_buf *raw, const uint8_t **data, size_t *len, sst_err *err)
{
	const uint8_t *tr = p + h.len;
	uint32_t raw_len = sst_get_le32(tr + 1);
	int rc;

	if (sst_get_le32(tr + 5) != sst_checksum(p, (size_t)h.len + 5, h.off))
		return corrupt(t, what, h.off, "checksum mismatch", err);
	if (raw_len > SST_MAX_BLOCK_RAW)
		return corrupt(t, what, h.off, "block too large", err);
	switch (tr[0]) {
	case SST_BLOCK_RAW:
		if (raw_len != h.len)
			return corrupt(t, what, h.off, "raw block length mismatch", err);
		*data = p;
		*len = (size_t)h.len;
		return SST_OK;
	case SST_BLOCK_ZSTD:
	case SST_BLOCK_ZSTD_DICT: {
		unsigned long long fcs = ZSTD_getFrameContentSize(p, (size_t)h.len);
		size_t got;

		/* The frame header must record raw_len before it is allocated. */
		if (fcs != raw_len)
			return corrupt(t, what, h.off, "block does not decompress", err);
		if (tr[0] == SST_BLOCK_ZSTD_DICT && t->f.dict.len == 0)
			return corrupt(t, what, h.off, "dictionary block type in a table without a dictionary", err);
		if (tr[0] == SST_BLOCK_ZSTD_DICT && t->ddict == NULL &&
		    (rc = sst_table_load_dict(t, err)) != SST_OK)
			return rc;
		raw->len = 0;
		if ((rc = sst_buf_reserve(raw, raw_len, err)) != SST_OK)
			return rc;
		if (dctx == NULL) {
			if (t->dctx == NULL && (t->dctx = ZSTD_createDCtx()) == NULL)
				return sst_nomem(err, t->path);
			dctx = t->dctx;
		}
		if (tr[0] == SST_BLOCK_ZSTD_DICT)
			got = ZSTD_decompress_usingDDict(dctx, raw->p, raw_len, p, (size_t)h.len, t->ddict);
		else
			got = ZSTD_decompressDCtx(dctx, raw->p, raw_len, p, (size_t)h.len);
		if (ZSTD_isError(got) || got != raw_len)
			return corrupt(t, what, h.off, "block does not decompress", err);
		raw->len = raw_len;
		*data = raw->p;
		*len = raw_len;
		return SST_OK;
	}
	default:
		return corrupt(t, what, h.off, "unknown block type", err);
	}
}

int
sst_read_block_ctx(sst_table *t, ZSTD_DCtx *dctx, sst_handle h, const char *what,
    sst_buf *file, sst_buf *raw, const uint8_t **data, size_t *len, sst_err *err)
{
	size_t n;
	int rc;

	if ((rc = block_in_bounds(t, h, what, err)) != SST_OK)
		return rc;
	n = (size_t)h.len + SST_TRAILER_SIZE;
	if (file == &t->index_file && t->tail_len > 0 && h.off >= t->tail_off &&
	    n <= t->tail_len - (h.off - t->tail_off)) {
		/* in the tail read at open: no read */
		memmove(file->p, file->p + (h.off - t->tail_off), n);
	} else {
		file->len = 0;
		if ((rc = sst_buf_reserve(file, n, err)) != SST_OK)
			return rc;
		if ((rc = sst_pread_full(t->fd, file->p, n, h.off, t->path, err)) != SST_OK)
			return rc;
	}
	if (file == &t->index_file)
		t->tail_len = 0;
	file->len = n;
	return decode_block(t, dctx, h, what, file->p, raw, data, len, err);
}

int
sst_table_open_fd(sst_table **tp, int fd, const char *path, sst_err *err)
{
	struct stat st;
	int rc;

	*tp = NULL;
	if (fstat(fd, &st) != 0) {
		rc = sst_syserr(err, "%s", path);
		close(fd);
		return rc;
	}
	return sst_table_open_stat(tp, fd, path, &st, err);
}

int
sst_table_open_stat(sst_table **tp, int fd, const char *path, const struct stat *st,
    sst_err *err)
{
	const uint8_t *foot;
	const char *why;
	size_t tail, ftail, fsz;
	sst_table *t;
	int rc;

	*tp = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL || (t->path = strdup(path)) == NULL) {
		free(t);
		close(fd);
		return sst_nomem(err, path);
	}
	t->fd = fd;
	t->chunk_no = -1;
	t->cached_off = UINT64_MAX;
	sst_block_iter_init(&t->blk_it, &t->blk);
	sst_ic_init(&t->ic, t);
	if (S_ISDIR(st->st_mode)) {
		/* a directory that sst_store_is() did not take: not a table, not a store */
		rc = sst_err_notwhat(err, path, "a store (no MANIFEST)");
		goto fail;
	}
	t->size = (uint64_t)st->st_size;
	if (t->size < SST_FOOTER_SIZE) {
		rc = sst_error(err, SST_EDATA, "%s: not an sstkit table (%llu bytes: too short)",
		    path, (unsigned long long)t->size);
		goto fail;
	}
	/*
	 * One read of the tail: the footer, and what comes before it (the
	 * top-level index, kept in index_file for sst_table_load_index).
	 */
	tail = t->size < SST_TAIL_READ ? (size_t)t->size : SST_TAIL_READ;
	if ((rc = sst_buf_reserve(&t->index_file, tail, err)) != SST_OK ||
	    (rc = sst_pread_full(fd, t->index_file.p, tail, t->size - tail, path, err)) != SST_OK)
		goto fail;
	t->tail_off = t->size - tail;
	t->tail_len = tail;
	/* The version, 16 bytes before the end, says how long the footer is. */
	ftail = tail < SST_FOOTER_MAX ? tail : SST_FOOTER_MAX;
	foot = t->index_file.p + (tail - ftail);
	fsz = sst_footer_size(foot, ftail);
	if (fsz == 0 || fsz > ftail)
		fsz = SST_FOOTER_SIZE;
	t->footer_off = t->size - fsz;
	if (sst_footer_decode(foot + (ftail - fsz), fsz, t->footer_off, &t->f, &why) != 0) {
		rc = sst_error(err, SST_EDATA, "%s@%llu: %s", path, (unsigned long long)t->footer_off, why);
		goto fail;
	}
	if (t->f.dict.len > 0 && (t->f.dict.off > t->footer_off ||
	    t->f.dict.len + SST_TRAILER_SIZE > t->footer_off - t->f.dict.off)) {
		rc = sst_error(err, SST_EDATA, "%s@%llu: dictionary handle out of bounds", path,
		    (unsigned long long)t->footer_off);
		goto fail;
	}
	if (t->f.filter_lines > 0 &&
	    (t->f.filter_k < 1 || t->f.filter_k > 30 ||
	    t->f.filter.len != (uint64_t)t->f.filter_lines * SST_FILTER_LINE +
	    4 * (((uint64_t)t->f.filter_lines + SST_FILTER_CHUNK_LINES - 1) / SST_FILTER_CHUNK_LINES) ||
	    t->f.filter.off > t->footer_off || t->f.filter.len > t->footer_off - t->f.filter.off)) {
		rc = sst_error(err, SST_EDATA, "%s@%llu: bad filter geometry in footer", path,
		    (unsigned long long)t->footer_off);
		goto fail;
	}
	*tp = t;
	return SST_OK;
fail:
	close(fd);
	sst_buf_free(&t->index_file);
	free(t->path);
	free(t);
	return rc;
}

int
sst_table_open(sst_table **tp, const char *path, sst_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*tp = NULL;
	if (fd < 0)
		return sst_err_path(err, path);
	return sst_table_open_fd(tp, fd, path, err);
}

void
sst_table_close(sst_table **tp)
{
	sst_table *t = *tp;

	if (t == NULL)
		return;
	*tp = NULL;
	close(t->fd);
	ZSTD_freeDCtx(t->dctx);
	ZSTD_freeDDict(t->ddict);
	sst_buf_free(&t->dict_file);
	sst_buf_free(&t->index_file);
	sst_buf_free(&t->props_file);
	sst_buf_free(&t->props_raw);
	sst_buf_free(&t->filter_file);
	sst_buf_free(&t->filter_raw);
	sst_buf_free(&t->index_raw);
	sst_buf_free(&t->blk_file);
	sst_buf_free(&t->blk_raw);
	sst_ic_free(&t->ic);
	sst_block_iter_free(&t->blk_it);
	sst_buf_free(&t->cached_first);
	sst_buf_free(&t->cached_sep);
	free(t->path);
	free(t);
}

const char *
sst_table_path(const sst_table *t)
{
	return t->path;
}

int
sst_table_load_index(sst_table *t, sst_err *err)
{
	const uint8_t *data;
	const char *why;
	size_t len;
	int rc;

	if (t->index_loaded)
		return SST_OK;
	if ((rc = sst_read_block(t, t->f.index, "index", &t->index_file, &t->index_raw,
	    &data, &len, err)) != SST_OK)
		return rc;
	if ((rc = sst_block_init(&t->index, data, len, &why)) != SST_OK)
		return bad_block(t, "index", t->f.index.off, rc, why, err);
	t->index_loaded = 1;
	return SST_OK;
}

/* ---- index cursor ---- */

void
sst_ic_init(sst_icursor *c, sst_table *t)
{
	memset(c, 0, sizeof(*c));
	c->t = t;
	sst_block_iter_init(&c->top, &t->index);
	sst_block_iter_init(&c->pit, &c->part);
}

void
sst_ic_free(sst_icursor *c)
{
	sst_block_iter_free(&c->top);
	sst_block_iter_free(&c->pit);
	sst_buf_free(&c->file);
	sst_buf_free(&c->raw);
}

/* Loads the partition the top-level entry names (unless already loaded). */
static int
ic_load(sst_icursor *c, sst_err *err)
{
	sst_table *t = c->t;
	const uint8_t *data;
	const char *why;
	sst_handle h;
	size_t len;
	int rc;

	c->pit.valid = 0;
	if (!c->top.valid)
		return SST_OK;
	if (sst_decode_handle(c->top.val, c->top.vlen, &h) != SST_OK)
		return corrupt(t, "index", t->f.index.off, "bad partition handle", err);
	if (c->loaded && h.off == c->ph.off && h.len == c->ph.len)
		return SST_OK;
	c->loaded = 0;
	if ((rc = sst_read_block_ctx(t, c->dctx, h, "index partition", &c->file, &c->raw, &data,
	    &len, err)) != SST_OK)
		return rc;
	if ((rc = sst_block_init(&c->part, data, len, &why)) != SST_OK)
		return bad_block(t, "index partition", h.off, rc, why, err);
	c->ph = h;
	c->loaded = 1;
	return SST_OK;
}

/* Moves on over partitions until pit is valid or the top level ends. */
static int
ic_settle(sst_icursor *c, sst_err *err)
{
	const char *why;
	int rc;

	while (!c->pit.valid && c->top.valid) {
		if ((rc = sst_block_iter_next(&c->top, &why)) != SST_OK)
			return bad_block(c->t, "index", c->t->f.index.off, rc, why, err);
		if ((rc = ic_load(c, err)) != SST_OK)
			return rc;
		if (c->top.valid && (rc = sst_block_iter_first(&c->pit, &why)) != SST_OK)
			return bad_block(c->t, "index partition", c->ph.off, rc, why, err);
	}
	return SST_OK;
}

int
sst_ic_first(sst_icursor *c, sst_err *err)
{
	const char *why;
	int rc;

	if ((rc = sst_table_load_index(c->t, err)) != SST_OK)
		return rc;
	if ((rc = sst_block_iter_first(&c->top, &why)) != SST_OK)
		return bad_block(c->t, "index", c->t->f.index.off, rc, why, err);
	if ((rc = ic_load(c, err)) != SST_OK)
		return rc;
	if (c->top.valid && (rc = sst_block_iter_first(&c->pit, &why)) != SST_OK)
		return bad_block(c->t, "index partition", c->ph.off, rc, why, err);
	return ic_settle(c, err);
}

int
sst_ic_seek(sst_icursor *c, const uint8_t *key, size_t klen, sst_err *err)
{
	const char *why;
	int rc;

	if ((rc = sst_table_load_index(c->t, err)) != SST_OK)
		return rc;
	if ((rc = sst_block_iter_seek(&c->top, key, klen, &why)) != SST_OK)
		return bad_block(c->t, "index", c->t->f.index.off, rc, why, err);
	if ((rc = ic_load(c, err)) != SST_OK)
		return rc;
	if (c->top.valid && (rc = sst_block_iter_seek(&c->pit, key, klen, &why)) != SST_OK)
		return bad_block(c->t, "index partition", c->ph.off, rc, why, err);
	return ic_settle(c, err);
}

int
sst_ic_next(sst_icursor *c, sst_err *err)
{
	const char *why;
	int rc;

	if ((rc = sst_block_iter_next(&c->pit, &why)) != SST_OK)
		return bad_block(c->t, "index partition", c->ph.off, rc, why, err);
	return ic_settle(c, err);
}

int
sst_table_props(sst_table *t, sst_props *p, sst_err *err)
{
	const uint8_t *data;
	const char *why;
	sst_block blk;
	sst_block_iter it;
	size_t len;
	int rc;

	if (!t->props_loaded) {
		rc = sst_read_block(t, t->f.props, "properties", &t->props_file, &t->props_raw, &data, &len, err);
		if (rc != SST_OK)
			return rc;
		if ((rc = sst_block_init(&blk, data, len, &why)) != SST_OK)
			return bad_block(t, "properties", t->f.props.off, rc, why, err);
		memset(&t->props, 0, sizeof(t->props));
		sst_block_iter_init(&it, &blk);
		for (rc = sst_block_iter_first(&it, &why); rc == SST_OK && it.valid;
		    rc = sst_block_iter_next(&it, &why)) {
			static const struct { const char *name; size_t off; } num[] = {
#define P(n) { #n, offsetof(sst_props, n) }
				P(block_size), P(bloom_bits), P(compression), P(created),
				P(data_blocks), P(data_bytes), P(deletes), P(level),
				P(raw_data_bytes), P(raw_key_bytes), P(raw_value_bytes), P(records),
#undef P
			};
			size_t i;

			for (i = 0; i < sizeof(num) / sizeof(num[0]); i++)
				if (it.key.len == strlen(num[i].name) &&
				    memcmp(it.key.p, num[i].name, it.key.len) == 0 && it.vlen == 8)
					memcpy((uint8_t *)&t->props + num[i].off, &(uint64_t){ sst_get_le64(it.val) }, 8);
			if (it.key.len == 11 && memcmp(it.key.p, "largest_key", 11) == 0) {
				t->props.largest = it.val;
				t->props.largest_len = it.vlen;
			}
			if (it.key.len == 12 && memcmp(it.key.p, "smallest_key", 12) == 0) {
				t->props.smallest = it.val;
				t->props.smallest_len = it.vlen;
			}
		}
		sst_block_iter_free(&it);
		if (rc != SST_OK)
			return bad_block(t, "properties", t->f.props.off, rc, why, err);
		t->props.format_version = t->f.version;
		t->props.dict_bytes = t->f.dict.len;
		t->props.file_size = t->size;
		t->props.filter_k = t->f.filter_k;
		t->props.filter_bytes = (uint64_t)t->f.filter_lines * SST_FILTER_LINE;
		t->props_loaded = 1;
	}
	*p = t->props;
	return SST_OK;
}

int
sst_table_load_filter(sst_table *t, sst_err *err)
{
	const uint8_t *data;
	size_t len;
	int rc;

	if (t->filter_loaded || t->f.filter_lines == 0)
		return SST_OK;
	if ((rc = sst_read_block(t, t->f.filter, "filter", &t->filter_file, &t->filter_raw,
	    &data, &len, err)) != SST_OK)
		return rc;
	if (data != t->filter_file.p)
		return corrupt(t, "filter", t->f.filter.off, "filter block must be stored raw", err);
	t->filter_loaded = 1;
	return SST_OK;
}

/* The filter line for hash h: from the whole filter, or from its 4 KiB chunk. */
static int
filter_line(sst_table *t, uint64_t h, const uint8_t **line, sst_err *err)
{
	uint64_t lineno = sst_filter_line_of(h, t->f.filter_lines);
	uint64_t chunk = lineno / SST_FILTER_CHUNK_LINES;
	uint64_t bytes = (uint64_t)t->f.filter_lines * SST_FILTER_LINE;
	uint64_t coff = chunk * SST_FILTER_CHUNK;
	size_t clen;
	uint8_t ck[4];
	int rc;

	if (t->filter_loaded) {
		*line = t->filter_file.p + lineno * SST_FILTER_LINE;
		return SST_OK;
	}
	if ((int64_t)chunk != t->chunk_no) {
		clen = bytes - coff < SST_FILTER_CHUNK ? (size_t)(bytes - coff) : SST_FILTER_CHUNK;
		t->chunk_no = -1;
		if ((rc = sst_pread_full(t->fd, t->chunk, clen, t->f.filter.off + coff, t->path, err)) != SST_OK ||
		    (rc = sst_pread_full(t->fd, ck, 4, t->f.filter.off + bytes + 4 * chunk, t->path, err)) != SST_OK)
			return rc;
		if (sst_get_le32(ck) != sst_checksum(t->chunk, clen, t->f.filter.off + coff))
			return corrupt(t, "filter chunk", t->f.filter.off + coff, "checksum mismatch", err);
		t->chunk_no = (int64_t)chunk;
	}
	*line = t->chunk + (lineno % SST_FILTER_CHUNK_LINES) * SST_FILTER_LINE;
	return SST_OK;
}

/* Reads data block h into the lookup cache, with its first key and separator. */
static int
load_cached(sst_table *t, sst_handle h, sst_err *err)
{
	const uint8_t *data;
	const char *why;
	size_t len;
	int rc;

	t->cached_off = UINT64_MAX;
	if ((rc = sst_read_block(t, h, "data block", &t->blk_file, &t->blk_raw, &data, &len, err)) != SST_OK)
		return rc;
	if ((rc = sst_block_init(&t->blk, data, len, &why)) != SST_OK)
		return bad_block(t, "data block", h.off, rc, why, err);
	if ((rc = sst_block_iter_first(&t->blk_it, &why)) != SST_OK)
		return bad_block(t, "data block", h.off, rc, why, err);
	if (!t->blk_it.valid)
		return corrupt(t, "data block", h.off, "empty data block", err);
	t->cached_first.len = t->cached_sep.len = 0;
	if ((rc = sst_buf_append(&t->cached_first, t->blk_it.key.p, t->blk_it.key.len, err)) != SST_OK ||
	    (rc = sst_buf_append(&t->cached_sep, t->ic.pit.key.p, t->ic.pit.key.len, err)) != SST_OK)
		return rc;
	t->cached_off = h.off;
	return SST_OK;
}

int
sst_table_get(sst_table *t, const uint8_t *key, size_t klen, sst_rec *out,
    int *found, sst_err *err)
{
	const char *why;
	sst_handle h;
	int rc, walk;

	*found = 0;
	if (klen == 0 || klen > SST_MAX_KEY)
		return SST_OK;
	if (t->f.filter_lines > 0) {
		uint64_t hv = sst_hash64(key, klen);
		const uint8_t *line = NULL;

		if ((rc = filter_line(t, hv, &line, err)) != SST_OK)
			return rc;
		if (!sst_filter_line_match(line, t->f.filter_k, hv))
			return SST_OK;
	}
	/* Sorted batches hit the cached block again: skip the index then. */
	walk = t->cached_off != UINT64_MAX;
	if (t->cached_off == UINT64_MAX ||
	    sst_keycmp(key, klen, t->cached_first.p, t->cached_first.len) < 0 ||
	    sst_keycmp(key, klen, t->cached_sep.p, t->cached_sep.len) > 0) {
		if ((rc = sst_ic_seek(&t->ic, key, klen, err)) != SST_OK)
			return rc;
		if (!t->ic.pit.valid)
			return SST_OK;
		if (sst_decode_handle(t->ic.pit.val, t->ic.pit.vlen, &h) != SST_OK)
			return corrupt(t, "index partition", t->ic.ph.off, "bad block handle", err);
		walk = h.off == t->cached_off;
		if (!walk && (rc = load_cached(t, h, err)) != SST_OK)
			return rc;
	}
	/*
	 * The block is the cached one: h is not set when the index was skipped.
	 * A key a little past the last one asked (a sorted batch) is reached by
	 * stepping on (a few entries) rather than by a binary search.
	 */
	if (walk && t->blk_it.valid && sst_keycmp(t->blk_it.key.p, t->blk_it.key.len, key, klen) <= 0) {
		int steps = 0;

		while (t->blk_it.valid && steps++ < 12 &&
		    sst_keycmp(t->blk_it.key.p, t->blk_it.key.len, key, klen) < 0)
			if ((rc = sst_block_iter_next(&t->blk_it, &why)) != SST_OK)
				goto bad;
		if (!t->blk_it.valid || sst_keycmp(t->blk_it.key.p, t->blk_it.key.len, key, klen) >= 0)
			goto at;
	}
	if ((rc = sst_block_iter_seek(&t->blk_it, key, klen, &why)) != SST_OK) {
bad:;
		uint64_t off = t->cached_off;

		t->cached_off = UINT64_MAX;
		return bad_block(t, "data block", off, rc, why, err);
	}
at:
	if (t->blk_it.valid && sst_keycmp(t->blk_it.key.p, t->blk_it.key.len, key, klen) == 0) {
		*found = 1;
		out->key = t->blk_it.key.p;
		out->klen = t->blk_it.key.len;
		out->val = t->blk_it.val;
		out->vlen = t->blk_it.vlen;
		out->kind = t->blk_it.kind;
	}
	return SST_OK;
}

/* ---- iterator ---- */

/*
 * With readahead, a thread of the iterator's own reads, checks and
 * decompresses the data blocks after the current one into a ring of
 * RA_SLOTS slots, while the caller decodes records: a merge's inputs are
 * decompressed beside the merge instead of in it. The thread owns the
 * index cursor while it runs; first and seek stop it, position the cursor
 * and load the first block in the caller, then start it again. Slots come
 * back in file order, a failure (err filled) or the end as the last one.
 *
 * Reads: one pread fills a window of the file of up to RA_WIN bytes from
 * the first block not in the current window (never past the footer, and
 * exactly one block when the block is larger); every block inside it is
 * then checked and decompressed from there, whatever lies between the
 * blocks. A block stored raw is copied into its slot (the window moves on
 * under a slot the caller still holds).
 *
 * Wake-ups: the thread fills slots while they hold fewer than RA_SLOTS
 * blocks and less than RA_BYTES (or fewer than two blocks), then sleeps
 * until the caller has emptied about half the ring; the caller is woken
 * only when it waits for a block.
 *
 * Memory per iterator, so a merge's memory grows with its inputs and not
 * their size: the window (RA_WIN, or one larger block while it is
 * decoded: such a window is freed at once), the filled slots' blocks
 * (under RA_BYTES plus one block), and the slots' buffers kept for reuse
 * (at most RA_BIG each: a larger one is freed when its block is released):
 * at most RA_WIN + RA_SLOTS * RA_BIG (576 KiB), plus the blocks larger
 * than RA_BIG while they are in the ring (under RA_BYTES plus one block).
 * 32 slots rather than 16 halve the thread's wake-ups again (the byte
 * budget, not the slots, then bounds 8 KiB blocks) for about 200 KiB more
 * an input.
 */
#define RA_SLOTS	32
#define RA_BYTES	(256u << 10)
#define RA_BIG		(16u << 10)
#define RA_WIN		(64u << 10)

typedef struct ra_slot {
	sst_buf raw;		/* the block's bytes, decompressed */
	const uint8_t *data;
	size_t len;
	uint64_t off;
	int rc;			/* SST_OK, or the failure (err) */
	int end;		/* no block: the index ended */
	sst_err err;
} ra_slot;

typedef struct ra_state {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t more;	/* a slot was filled: the caller waits on it */
	pthread_cond_t room;	/* slots were freed: the thread waits on it */
	int quit;
	int caller_waits, thread_waits;
	size_t head, tail;	/* slots[head % RA_SLOTS] .. [tail % RA_SLOTS] filled */
	size_t bytes;		/* block bytes of the filled slots */
	int held;		/* the caller's block is in slots[head % RA_SLOTS] */
	ZSTD_DCtx *dctx;
	sst_buf win;		/* the thread's: file bytes from win_off */
	uint64_t win_off;
	ra_slot slots[RA_SLOTS];
} ra_state;

typedef struct titer {
	sst_iter base;
	sst_table *t;
	sst_icursor ic;		/* over the index entries */
	sst_buf file, raw;
	sst_block blk;
	sst_block_iter di;	/* over the current data block */
	uint64_t blk_off;
	int ahead;		/* readahead wanted */
	int ra_on;		/* its thread runs */
	int ra_end;		/* the thread gave its last slot */
	ra_state *ra;
} titer;
static void
titer_set(titer *it)
{
	it->base.valid = it->di.valid;
	if (it->di.valid) {
		it->base.rec.key = it->di.key.p;
		it->base.rec.klen = it->di.key.len;
		it->base.rec.val = it->di.val;
		it->base.rec.vlen = it->di.vlen;
		it->base.rec.kind = it->di.kind;
	}
}

/* Loads the data block the index cursor points at. */
static int
titer_load(titer *it, sst_err *err)
{
	sst_table *t = it->t;
	const uint8_t *data;
	const char *why;
	sst_handle h;
	size_t len;
	int rc;

	it->di.valid = 0;
	if (!it->ic.pit.valid)
		return SST_OK;
	if (sst_decode_handle(it->ic.pit.val, it->ic.pit.vlen, &h) != SST_OK)
		return corrupt(t, "index partition", it->ic.ph.off, "bad block handle", err);
	if ((rc = sst_read_block(t, h, "data block", &it->file, &it->raw, &data, &len, err)) != SST_OK)
		return rc;
	if ((rc = sst_block_init(&it->blk, data, len, &why)) != SST_OK)
		return bad_block(t, "data block", h.off, rc, why, err);
	it->blk_off = h.off;
	return SST_OK;
}

/* The thread waits: the ring holds enough. */
static int
ra_full(const ra_state *ra)
{
	size_t n = ra->tail - ra->head;

	return n == RA_SLOTS || (n >= 2 && ra->bytes >= RA_BYTES);
}

/* The thread may go on: about half the ring is free (always when at most one slot is filled). */
static int
ra_roomy(const ra_state *ra)
{
	size_t n = ra->tail - ra->head;

	return n <= 1 || (n <= RA_SLOTS / 2 && ra->bytes <= RA_BYTES / 2);
}

/* Reads the window of the file that starts at block h (n bytes with its trailer). */
static int
ra_window(titer *it, sst_handle h, size_t n, sst_err *err)
{
	sst_table *t = it->t;
	ra_state *ra = it->ra;
	uint64_t avail = t->footer_off - h.off;		/* >= n: block_in_bounds */
	size_t want = avail < RA_WIN ? (size_t)avail : RA_WIN;
	sst_err e;
	int rc;

	if (want < n)
		want = n;
	ra->win.len = 0;
	if ((rc = sst_buf_reserve(&ra->win, want, err)) != SST_OK)
		return rc;
	/* A failure past the block is not the block's: then it is read alone, as without a window. */
	if (want == n || sst_pread_full(t->fd, ra->win.p, want, h.off, t->path, &e) != SST_OK) {
		want = n;
		if ((rc = sst_pread_full(t->fd, ra->win.p, n, h.off, t->path, err)) != SST_OK)
			return rc;
	}
	ra->win_off = h.off;
	ra->win.len = want;
	return SST_OK;
}

/* Reads, checks and decompresses block h into slot s, from the window. */
static int
ra_read(titer *it, sst_handle h, ra_slot *s)
{
	sst_table *t = it->t;
	ra_state *ra = it->ra;
	const uint8_t *p;
	size_t n;
	int rc;

	if ((rc = block_in_bounds(t, h, "data block", &s->err)) != SST_OK)
		return rc;
	n = (size_t)h.len + SST_TRAILER_SIZE;
	if ((h.off < ra->win_off || h.off - ra->win_off > ra->win.len ||
	    n > ra->win.len - (h.off - ra->win_off)) &&
	    (rc = ra_window(it, h, n, &s->err)) != SST_OK)
		return rc;
	p = ra->win.p + (h.off - ra->win_off);
	rc = decode_block(t, ra->dctx, h, "data block", p, &s->raw, &s->data, &s->len, &s->err);
	if (rc == SST_OK && s->data == p) {
		s->raw.len = 0;
		if ((rc = sst_buf_reserve(&s->raw, s->len + 1, &s->err)) == SST_OK) {
			memcpy(s->raw.p, p, s->len);
			s->raw.len = s->len;
			s->data = s->raw.p;
		}
	}
	if (ra->win.cap > RA_WIN)
		sst_buf_free(&ra->win);		/* one big block's */
	return rc;
}

/* Fills slot s with the block after the cursor's; 1 when it is the last slot. */
static int
ra_fill(titer *it, ra_slot *s)
{
	sst_table *t = it->t;
	sst_handle h;

	s->rc = SST_OK;
	s->end = 0;
	s->raw.len = s->len = 0;
	if ((s->rc = sst_ic_next(&it->ic, &s->err)) != SST_OK)
		return 1;
	if (!it->ic.pit.valid) {
		s->end = 1;
		return 1;
	}
	if (sst_decode_handle(it->ic.pit.val, it->ic.pit.vlen, &h) != SST_OK) {
		s->rc = corrupt(t, "index partition", it->ic.ph.off, "bad block handle", &s->err);
		return 1;
	}
	s->off = h.off;
	if ((s->rc = ra_read(it, h, s)) != SST_OK)
		s->len = 0;
	return s->rc != SST_OK;
}

/*
 * The readahead thread. Each side wakes the other only when it waits, and
 * signals after unlocking (the woken side does not then block on the mutex).
 */
static void *
ra_main(void *arg)
{
	titer *it = arg;
	ra_state *ra = it->ra;

	pthread_mutex_lock(&ra->mu);
	for (;;) {
		ra_slot *s;
		int last, wake;

		while (!ra->quit && ra_full(ra)) {
			ra->thread_waits = 1;
			pthread_cond_wait(&ra->room, &ra->mu);
		}
		if (ra->quit)
			break;
		s = &ra->slots[ra->tail % RA_SLOTS];
		pthread_mutex_unlock(&ra->mu);
		last = ra_fill(it, s);
		pthread_mutex_lock(&ra->mu);
		ra->bytes += s->len;
		ra->tail++;
		wake = ra->caller_waits;
		ra->caller_waits = 0;
		if (last || wake) {
			pthread_mutex_unlock(&ra->mu);
			if (wake)
				pthread_cond_signal(&ra->more);
			if (last)
				return NULL;
			pthread_mutex_lock(&ra->mu);
		}
	}
	pthread_mutex_unlock(&ra->mu);
	return NULL;
}

/* Stops the readahead thread (the caller owns the cursor again). */
static void
ra_stop(titer *it)
{
	ra_state *ra = it->ra;

	if (!it->ra_on)
		return;
	pthread_mutex_lock(&ra->mu);
	ra->quit = 1;
	pthread_cond_signal(&ra->room);
	pthread_mutex_unlock(&ra->mu);
	pthread_join(ra->th, NULL);
	it->ra_on = 0;
	it->ic.dctx = NULL;
}

/*
 * Starts reading ahead from the cursor's block (loaded by the caller), when
 * wanted and possible; else the caller goes on reading blocks itself.
 */
static void
ra_start(titer *it)
{
	sst_table *t = it->t;
	ra_state *ra = it->ra;
	sst_err e;

	if (!it->ahead || !it->ic.pit.valid)
		return;
	/* The thread must not load it: a damaged one is reported by the caller's reads. */
	if (sst_table_load_dict(t, &e) != SST_OK)
		return;
	if (ra == NULL) {
		if ((ra = calloc(1, sizeof(*ra))) == NULL)
			return;
		if ((ra->dctx = ZSTD_createDCtx()) == NULL) {
			free(ra);
			return;
		}
		pthread_mutex_init(&ra->mu, NULL);
		pthread_cond_init(&ra->more, NULL);
		pthread_cond_init(&ra->room, NULL);
		it->ra = ra;
	}
	ra->quit = ra->held = ra->caller_waits = ra->thread_waits = 0;
	ra->head = ra->tail = ra->bytes = 0;
	it->ic.dctx = ra->dctx;
	if (pthread_create(&ra->th, NULL, ra_main, it) != 0) {
		it->ic.dctx = NULL;
		return;
	}
	it->ra_on = 1;
	it->ra_end = 0;
}

/* Moves to the next slot's block: di at its first record, or ra_end set. */
static int
ra_next_block(titer *it, sst_err *err)
{
	ra_state *ra = it->ra;
	const char *why;
	ra_slot *s;
	int rc, wake = 0;

	it->di.valid = 0;
	pthread_mutex_lock(&ra->mu);
	if (ra->held) {
		s = &ra->slots[ra->head % RA_SLOTS];
		ra->bytes -= s->len;
		if (s->raw.cap > RA_BIG)
			sst_buf_free(&s->raw);
		ra->head++;
		ra->held = 0;
		if (ra->thread_waits && ra_roomy(ra)) {
			ra->thread_waits = 0;
			wake = 1;
		}
	}
	while (ra->head == ra->tail) {
		if (wake) {		/* before waiting for it */
			pthread_cond_signal(&ra->room);
			wake = 0;
		}
		ra->caller_waits = 1;
		pthread_cond_wait(&ra->more, &ra->mu);
	}
	ra->held = 1;
	pthread_mutex_unlock(&ra->mu);
	if (wake)
		pthread_cond_signal(&ra->room);
	s = &ra->slots[ra->head % RA_SLOTS];
	if (s->rc != SST_OK || s->end) {
		it->ra_end = 1;
		if (s->rc != SST_OK)
			*err = s->err;
		return s->rc;
	}
	if ((rc = sst_block_init(&it->blk, s->data, s->len, &why)) != SST_OK)
		return bad_block(it->t, "data block", s->off, rc, why, err);
	it->blk_off = s->off;
	if ((rc = sst_block_iter_first(&it->di, &why)) != SST_OK)
		return bad_block(it->t, "data block", it->blk_off, rc, why, err);
	return SST_OK;
}

/* Moves forward over blocks until di is valid or the index ends. */
static int
titer_settle(titer *it, sst_err *err)
{
	const char *why;
	int rc;

	if (it->ra_on) {
		while (!it->di.valid && !it->ra_end)
			if ((rc = ra_next_block(it, err)) != SST_OK)
				return rc;
		titer_set(it);
		return SST_OK;
	}
	while (!it->di.valid && it->ic.pit.valid) {
		if ((rc = sst_ic_next(&it->ic, err)) != SST_OK ||
		    (rc = titer_load(it, err)) != SST_OK)
			return rc;
		if (it->ic.pit.valid && (rc = sst_block_iter_first(&it->di, &why)) != SST_OK)
			return bad_block(it->t, "data block", it->blk_off, rc, why, err);
	}
	titer_set(it);
	return SST_OK;
}

static int
titer_first(sst_iter *base, sst_err *err)
{
	titer *it = (titer *)base;
	const char *why;
	int rc;

	ra_stop(it);
	if ((rc = sst_ic_first(&it->ic, err)) != SST_OK || (rc = titer_load(it, err)) != SST_OK)
		return rc;
	if (it->ic.pit.valid && (rc = sst_block_iter_first(&it->di, &why)) != SST_OK)
		return bad_block(it->t, "data block", it->blk_off, rc, why, err);
	ra_start(it);
	return titer_settle(it, err);
}

static int
titer_seek(sst_iter *base, const uint8_t *key, size_t klen, sst_err *err)
{
	titer *it = (titer *)base;
	const char *why;
	int rc;

	ra_stop(it);
	if ((rc = sst_ic_seek(&it->ic, key, klen, err)) != SST_OK || (rc = titer_load(it, err)) != SST_OK)
		return rc;
	if (it->ic.pit.valid && (rc = sst_block_iter_seek(&it->di, key, klen, &why)) != SST_OK)
		return bad_block(it->t, "data block", it->blk_off, rc, why, err);
	ra_start(it);
	return titer_settle(it, err);
}

static int
titer_next(sst_iter *base, sst_err *err)
{
	titer *it = (titer *)base;
	const char *why;
	int rc;

	if ((rc = sst_block_iter_next(&it->di, &why)) != SST_OK)
		return bad_block(it->t, "data block", it->blk_off, rc, why, err);
	return titer_settle(it, err);
}

static void
titer_destroy(sst_iter *base)
{
	titer *it = (titer *)base;
	size_t i;

	ra_stop(it);
	if (it->ra != NULL) {
		for (i = 0; i < RA_SLOTS; i++)
			sst_buf_free(&it->ra->slots[i].raw);
		sst_buf_free(&it->ra->win);
		ZSTD_freeDCtx(it->ra->dctx);
		pthread_mutex_destroy(&it->ra->mu);
		pthread_cond_destroy(&it->ra->more);
		pthread_cond_destroy(&it->ra->room);
		free(it->ra);
	}
	sst_ic_free(&it->ic);
	sst_block_iter_free(&it->di);
	sst_buf_free(&it->file);
	sst_buf_free(&it->raw);
	free(it);
}

static const struct sst_iter_ops titer_ops = {
	titer_first, titer_seek, titer_next, titer_destroy
};

static int
table_iter(sst_table *t, int ahead, sst_iter **out, sst_err *err)
{
	titer *it;
	int rc;

	*out = NULL;
	if ((rc = sst_table_load_index(t, err)) != SST_OK)
		return rc;
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return sst_nomem(err, t->path);
	it->base.ops = &titer_ops;
	it->t = t;
	it->ahead = ahead;
	sst_ic_init(&it->ic, t);
	sst_block_iter_init(&it->di, &it->blk);
	*out = &it->base;
	return SST_OK;
}

int
sst_table_iter(sst_table *t, sst_iter **out, sst_err *err)
{
	return table_iter(t, 0, out, err);
}

int
sst_table_iter_ahead(sst_table *t, sst_iter **out, sst_err *err)
{
	return table_iter(t, 1, out, err);
}
