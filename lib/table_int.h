/*
 * table_int.h - the table reader's state and block reading, shared by
 * table_reader.c and table_verify.c. Internal to lib/.
 */
#ifndef SST_TABLE_INT_H
#define SST_TABLE_INT_H

#include <zstd.h>

#include "block.h"
#include "format.h"
#include "table.h"
#include "util.h"

/*
 * A cursor over every index entry (separator -> data block handle) across
 * the index partitions named by the top-level index.
 */
typedef struct sst_icursor {
	struct sst_table *t;
	sst_block_iter top;	/* over t->index, the top level */
	sst_handle ph;		/* the partition loaded */
	int loaded;
	sst_buf file, raw;
	ZSTD_DCtx *dctx;	/* decompresses partitions; NULL: the table's */
	sst_block part;
	sst_block_iter pit;	/* over the partition: valid = cursor valid */
} sst_icursor;

void sst_ic_init(sst_icursor *c, struct sst_table *t);
void sst_ic_free(sst_icursor *c);
int sst_ic_first(sst_icursor *c, sst_err *err);
int sst_ic_seek(sst_icursor *c, const uint8_t *key, size_t klen, sst_err *err);
int sst_ic_next(sst_icursor *c, sst_err *err);

struct sst_table {
	int fd;
	char *path;
	uint64_t size;
	uint64_t footer_off;
	sst_footer f;
	ZSTD_DCtx *dctx;
	ZSTD_DDict *ddict;	/* the table's dictionary, loaded on first use */
	sst_buf dict_file;

	int index_loaded;
	sst_buf index_file, index_raw;
	/*
	 * Until the index is loaded, index_file holds the table's last
	 * tail_len bytes (read at open with the footer, from tail_off): the
	 * top-level index, just before the footer, is usually among them.
	 */
	uint64_t tail_off;
	size_t tail_len;
	sst_block index;

	int props_loaded;
	sst_buf props_file, props_raw;
	sst_props props;

	int filter_loaded;	/* whole filter in filter_file */
	sst_buf filter_file, filter_raw;
	int64_t chunk_no;	/* chunk cached in chunk[] (-1: none) */
	uint8_t chunk[4096];

	/* point lookups */
	sst_icursor ic;
	uint64_t cached_off;	/* data block in blk (UINT64_MAX: none) */
	sst_buf cached_first;	/* its first key */
	sst_buf cached_sep;	/* its index separator (>= its last key) */
	sst_buf blk_file, blk_raw;
	sst_block blk;
	sst_block_iter blk_it;
};

/*
 * Reads the block at h into file (payload + trailer), checks bounds and
 * checksum, decompresses into raw when needed; sets data and len to the
 * block's contents. `what` names the block in messages ("data block", "index").
 * Damage is SST_EDATA "PATH: WHAT @OFF: fault".
 */
int sst_read_block(sst_table *t, sst_handle h, const char *what, sst_buf *file,
    sst_buf *raw, const uint8_t **data, size_t *len, sst_err *err);
/* The same with dctx for the decompression (NULL: the table's own). */
int sst_read_block_ctx(sst_table *t, ZSTD_DCtx *dctx, sst_handle h, const char *what,
    sst_buf *file, sst_buf *raw, const uint8_t **data, size_t *len, sst_err *err);

/*
 * Reads and checks the dictionary block (once) and makes the table's
 * ZSTD_DDict; SST_OK at once for a table without a dictionary.
 */
int sst_table_load_dict(sst_table *t, sst_err *err);

/* Decodes an index entry's value into a handle: SST_OK, or SST_EDATA on garbage. */
int sst_decode_handle(const uint8_t *p, size_t n, sst_handle *h);

/* Reads the top-level index (once). */
int sst_table_load_index(sst_table *t, sst_err *err);


#endif
