/*
 * table_verify.c - sst_table_verify: reads every byte of a table and
 * checks it against formats/sstable.md. Any fault is reported as
 * SST_EDAMAGE (verify's "damage found") naming the file, the structure,
 * its offset and the fault; I/O failures stay SST_ESYS.
 */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "table_int.h"

typedef struct vstate {
	sst_table *t;
	sst_err *err;
	sst_props got;		/* counted */
	sst_buf prev;		/* previous key */
	sst_buf first, last;
	uint64_t next_off;	/* where the next structure must begin */
} vstate;

static int
damage(vstate *v, const char *what, uint64_t off, const char *fmt, const char *why)
{
	sst_error(v->err, SST_EDAMAGE, "%s@%llu: %s: %s%s", v->t->path,
	    (unsigned long long)off, what, fmt, why ? why : "");
	return SST_EDAMAGE;
}

/* A block decoder's failure rc (block.h): out of memory, or damage. */
static int
bad_block(vstate *v, const char *what, uint64_t off, int rc, const char *why)
{
	if (rc == SST_ESYS)
		return sst_nomem(v->err, v->t->path);
	return damage(v, what, off, "", why);
}

/* Maps a reader error to verify's code: data faults are damage. */
static int
as_damage(int rc, sst_err *err)
{
	if (rc == SST_EDATA)
		err->code = rc = SST_EDAMAGE;
	return rc;
}

static int
check_block_entries(vstate *v, const uint8_t *data, size_t len, uint64_t off,
    const sst_buf *sep, const sst_buf *prev_sep, const uint8_t *filter)
{
	sst_block blk;
	sst_block_iter it;
	const char *why = NULL;
	uint64_t n = 0;
	int rc = SST_OK;

	if ((rc = sst_block_init(&blk, data, len, &why)) != SST_OK)
		return bad_block(v, "data block", off, rc, why);
	sst_block_iter_init(&it, &blk);
	for (rc = sst_block_iter_first(&it, &why); rc == SST_OK && it.valid;
	    rc = sst_block_iter_next(&it, &why)) {
		if (v->got.records > 0 &&
		    sst_keycmp(v->prev.p, v->prev.len, it.key.p, it.key.len) >= 0) {
			rc = damage(v, "data block", off, "keys not strictly increasing", NULL);
			goto out;
		}
		if (n == 0 && prev_sep != NULL &&
		    sst_keycmp(prev_sep->p, prev_sep->len, it.key.p, it.key.len) >= 0) {
			rc = damage(v, "index", v->t->f.index.off, "separator not below the next block's first key", NULL);
			goto out;
		}
		if (filter != NULL) {
			uint64_t h = sst_hash64(it.key.p, it.key.len);
			const uint8_t *line = filter + sst_filter_line_of(h, v->t->f.filter_lines) * SST_FILTER_LINE;

			if (!sst_filter_line_match(line, v->t->f.filter_k, h)) {
				rc = damage(v, "filter", v->t->f.filter.off, "a key of the table is missing from the filter", NULL);
				goto out;
			}
		}
		if (v->got.records == 0) {
			v->first.len = 0;
			sst_buf_append(&v->first, it.key.p, it.key.len, NULL);
		}
		v->prev.len = 0;
		if (sst_buf_append(&v->prev, it.key.p, it.key.len, v->err) != SST_OK) {
			rc = SST_ESYS;
			goto out;
		}
		v->got.records++;
		v->got.deletes += it.kind == SST_DEL;
		v->got.raw_key_bytes += it.key.len;
		v->got.raw_value_bytes += it.vlen;
		n++;
	}
	if (rc != SST_OK) {
		rc = bad_block(v, "data block", off, rc, why);
		goto out;
	}
	if (n == 0) {
		rc = damage(v, "data block", off, "empty data block", NULL);
		goto out;
	}
	if (sst_keycmp(v->prev.p, v->prev.len, sep->p, sep->len) > 0)
		rc = damage(v, "index", v->t->f.index.off, "separator below the block's last key", NULL);
out:
	sst_block_iter_free(&it);
	return rc;
}

static int
check_structure(vstate *v, const char *what, sst_handle h)
{
	if (h.off != v->next_off)
		return damage(v, what, h.off, "not where the previous structure ends", NULL);
	v->next_off = h.off + h.len + SST_TRAILER_SIZE;
	return SST_OK;
}

static int
check_filter(vstate *v, const uint8_t **filter)
{
	sst_table *t = v->t;
	uint64_t bytes, nchunks, i;
	int rc;

	*filter = NULL;
	if (t->f.filter_lines == 0) {
		if (t->f.filter.off != 0 || t->f.filter.len != 0 || t->f.filter_k != 0)
			return damage(v, "footer", t->footer_off, "filter fields set without a filter", NULL);
		return SST_OK;
	}
	if ((rc = sst_table_load_filter(t, v->err)) != SST_OK)
		return as_damage(rc, v->err);
	bytes = (uint64_t)t->f.filter_lines * SST_FILTER_LINE;
	nchunks = (t->f.filter_lines + SST_FILTER_CHUNK_LINES - 1) / SST_FILTER_CHUNK_LINES;
	for (i = 0; i < nchunks; i++) {
		uint64_t coff = i * SST_FILTER_CHUNK;
		size_t clen = bytes - coff < SST_FILTER_CHUNK ? (size_t)(bytes - coff) : SST_FILTER_CHUNK;

		if (sst_get_le32(t->filter_file.p + bytes + 4 * i) !=
		    sst_checksum(t->filter_file.p + coff, clen, t->f.filter.off + coff))
			return damage(v, "filter chunk", t->f.filter.off + coff, "checksum mismatch", NULL);
	}
	*filter = t->filter_file.p;
	return SST_OK;
}

static int
check_props(vstate *v)
{
	sst_table *t = v->t;
	sst_props p;
	int rc;

	if ((rc = sst_table_props(t, &p, v->err)) != SST_OK)
		return as_damage(rc, v->err);
#define SAME(fld) if (p.fld != v->got.fld) return damage(v, "properties", t->f.props.off, #fld " disagrees with the data", NULL)
	SAME(records);
	SAME(deletes);
	SAME(data_blocks);
	SAME(raw_key_bytes);
	SAME(raw_value_bytes);
	SAME(raw_data_bytes);
	SAME(data_bytes);
#undef SAME
	if (v->got.records > 0 &&
	    (p.smallest == NULL || p.largest == NULL ||
	    sst_keycmp(p.smallest, p.smallest_len, v->first.p, v->first.len) != 0 ||
	    sst_keycmp(p.largest, p.largest_len, v->prev.p, v->prev.len) != 0))
		return damage(v, "properties", t->f.props.off, "smallest/largest key disagrees with the data", NULL);
	if (v->got.records == 0 && (p.smallest != NULL || p.largest != NULL))
		return damage(v, "properties", t->f.props.off, "key range in an empty table", NULL);
	if (p.bloom_bits > SST_MAX_BLOOM_BITS ||
	    t->f.filter_lines != sst_filter_lines(p.records, (int)p.bloom_bits) ||
	    (t->f.filter_lines > 0 && t->f.filter_k != sst_filter_k((int)p.bloom_bits)))
		return damage(v, "footer", t->footer_off, "filter geometry disagrees with the properties", NULL);
	return SST_OK;
}

/* Checks the data blocks one index partition names, in order. */
static int
check_partition(vstate *v, const uint8_t *pdata, size_t plen, sst_handle ph,
    const sst_buf *top_key, const uint8_t *filter, sst_buf *sep, sst_buf *prev_sep,
    sst_buf *file, sst_buf *raw)
{
	sst_block part;
	sst_block_iter pi;
	const char *why = NULL;
	const uint8_t *data;
	size_t len, n = 0;
	int rc;

	if ((rc = sst_block_init(&part, pdata, plen, &why)) != SST_OK)
		return bad_block(v, "index partition", ph.off, rc, why);
	sst_block_iter_init(&pi, &part);
	for (rc = sst_block_iter_first(&pi, &why); rc == SST_OK && pi.valid;
	    rc = sst_block_iter_next(&pi, &why), n++) {
		sst_handle h;

		if (v->got.data_blocks > 0 && sst_keycmp(sep->p, sep->len, pi.key.p, pi.key.len) >= 0) {
			rc = damage(v, "index partition", ph.off, "separators not increasing", NULL);
			goto out;
		}
		prev_sep->len = 0;
		sst_buf_append(prev_sep, sep->p, sep->len, NULL);
		sep->len = 0;
		if (sst_buf_append(sep, pi.key.p, pi.key.len, v->err) != SST_OK) {
			rc = SST_ESYS;
			goto out;
		}
		if (sst_decode_handle(pi.val, pi.vlen, &h) != SST_OK) {
			rc = damage(v, "index partition", ph.off, "bad block handle", NULL);
			goto out;
		}
		if ((rc = check_structure(v, "data block", h)) != SST_OK)
			goto out;
		if ((rc = sst_read_block(v->t, h, "data block", file, raw, &data, &len, v->err)) != SST_OK) {
			rc = as_damage(rc, v->err);
			goto out;
		}
		if ((rc = check_block_entries(v, data, len, h.off, sep,
		    v->got.data_blocks > 0 ? prev_sep : NULL, filter)) != SST_OK)
			goto out;
		v->got.data_blocks++;
		v->got.raw_data_bytes += len;
		v->got.data_bytes += h.len + SST_TRAILER_SIZE;
	}
	if (rc != SST_OK)
		rc = bad_block(v, "index partition", ph.off, rc, why);
	else if (n == 0)
		rc = damage(v, "index partition", ph.off, "empty index partition", NULL);
	else if (sst_keycmp(top_key->p, top_key->len, sep->p, sep->len) != 0)
		rc = damage(v, "index", v->t->f.index.off, "top-level key is not its partition's last separator", NULL);
out:
	sst_block_iter_free(&pi);
	return rc;
}

int
sst_table_verify(const char *path, sst_props *out, sst_err *err)
{
	sst_buf file = SST_BUF_INIT, raw = SST_BUF_INIT, sep = SST_BUF_INIT, prev_sep = SST_BUF_INIT;
	sst_buf pfile = SST_BUF_INIT, praw = SST_BUF_INIT, top_key = SST_BUF_INIT;
	sst_handle *parts = NULL;
	size_t nparts = 0, i;
	const uint8_t *filter = NULL, *pdata;
	sst_block_iter ti;
	const char *why = NULL;
	vstate v;
	size_t plen;
	int rc;

	memset(&v, 0, sizeof(v));
	v.err = err;
	if ((rc = sst_table_open(&v.t, path, err)) != SST_OK)
		return as_damage(rc, err);
	sst_block_iter_init(&ti, &v.t->index);
	if ((rc = sst_table_load_index(v.t, err)) != SST_OK) {
		rc = as_damage(rc, err);
		goto out;
	}
	if ((rc = check_filter(&v, &filter)) != SST_OK)
		goto out;
	/* The dictionary: checksum, a zstd dictionary; the blocks then decompress with it. */
	if ((rc = sst_table_load_dict(v.t, err)) != SST_OK) {
		rc = as_damage(rc, err);
		goto out;
	}
	for (rc = sst_block_iter_first(&ti, &why); rc == SST_OK && ti.valid;
	    rc = sst_block_iter_next(&ti, &why)) {
		sst_handle ph, *np;

		if (sst_decode_handle(ti.val, ti.vlen, &ph) != SST_OK) {
			rc = damage(&v, "index", v.t->f.index.off, "bad partition handle", NULL);
			goto out;
		}
		if ((np = realloc(parts, (nparts + 1) * sizeof(*parts))) == NULL) {
			rc = sst_nomem(err, path);
			goto out;
		}
		parts = np;
		parts[nparts++] = ph;
		top_key.len = 0;
		sst_buf_append(&top_key, ti.key.p, ti.key.len, NULL);
		if ((rc = sst_read_block(v.t, ph, "index partition", &pfile, &praw, &pdata, &plen, err)) != SST_OK) {
			rc = as_damage(rc, err);
			goto out;
		}
		if ((rc = check_partition(&v, pdata, plen, ph, &top_key, filter, &sep, &prev_sep,
		    &file, &raw)) != SST_OK)
			goto out;
	}
	if (rc != SST_OK) {
		rc = bad_block(&v, "index", v.t->f.index.off, rc, why);
		goto out;
	}
	if ((v.t->f.dict.len > 0 && (rc = check_structure(&v, "dictionary", v.t->f.dict)) != SST_OK) ||
	    (v.t->f.filter_lines > 0 && (rc = check_structure(&v, "filter", v.t->f.filter)) != SST_OK) ||
	    (rc = check_structure(&v, "properties", v.t->f.props)) != SST_OK)
		goto out;
	for (i = 0; i < nparts; i++)
		if ((rc = check_structure(&v, "index partition", parts[i])) != SST_OK)
			goto out;
	if ((rc = check_structure(&v, "index", v.t->f.index)) != SST_OK)
		goto out;
	if (v.next_off != v.t->footer_off) {
		rc = damage(&v, "footer", v.t->footer_off, "index does not end where the footer begins", NULL);
		goto out;
	}
	if ((rc = check_props(&v)) != SST_OK)
		goto out;
	if (out != NULL && sst_table_props(v.t, out, err) == SST_OK) {
		out->smallest = out->largest = NULL;	/* freed with the table */
		out->smallest_len = out->largest_len = 0;
	}
out:
	sst_block_iter_free(&ti);
	sst_buf_free(&file);
	sst_buf_free(&raw);
	sst_buf_free(&pfile);
	sst_buf_free(&praw);
	sst_buf_free(&top_key);
	sst_buf_free(&sep);
	sst_buf_free(&prev_sep);
	sst_buf_free(&v.prev);
	sst_buf_free(&v.first);
	free(parts);
	sst_table_close(&v.t);
	return rc;
}
