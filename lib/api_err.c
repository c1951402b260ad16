/* api_err.c - the public API's error and options objects (sstkit/error.h,
 * sstkit/options.h). */
#include "api_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"
#include "wal.h"

const char *
sstkit_version(void)
{
	return SST_VERSION;
}

int
sstkit_error_new(sstkit_error **e)
{
	if (e == NULL)
		return SSTKIT_EUSAGE;
	*e = calloc(1, sizeof(**e));
	return *e == NULL ? SSTKIT_ESYS : SSTKIT_OK;
}

void
sstkit_error_free(sstkit_error **e)
{
	if (e != NULL) {
		free(*e);
		*e = NULL;
	}
}

int
sstkit_error_code(const sstkit_error *e)
{
	return e != NULL ? e->code : SSTKIT_EUSAGE;
}

int
sstkit_error_errno(const sstkit_error *e)
{
	return e != NULL ? e->sys_errno : 0;
}

const char *
sstkit_error_message(const sstkit_error *e)
{
	return e != NULL ? e->msg : "";
}

void
sstkit_error_clear(sstkit_error *e)
{
	if (e != NULL) {
		e->code = SSTKIT_OK;
		e->sys_errno = 0;
		e->msg[0] = '\0';
	}
}

const char *
sstkit_strcode(int code)
{
	switch (code) {
	case SSTKIT_OK: return "ok";
	case SSTKIT_NOTFOUND: return "not found";
	case SSTKIT_EUSAGE: return "misuse";
	case SSTKIT_EDATA: return "bad data";
	case SSTKIT_ESYS: return "system error";
	case SSTKIT_EBUSY: return "busy";
	default: return "unknown";
	}
}

void
sstkit_ok(sstkit_error *e)
{
	sstkit_error_clear(e);
}

/*
 * The errno behind an SST_ESYS message: the library words those
 * "...: strerror(errno)" (err.h), or "...: out of memory".
 */
static int
errno_of(const char *msg)
{
	size_t n = strlen(msg);
	int i;

	for (i = 1; i < 200; i++) {
		const char *s = strerror(i);
		size_t m = strlen(s);

		if (strncmp(s, "Unknown error", 13) != 0 && n >= m + 2 &&
		    strcmp(msg + n - m, s) == 0 && msg[n - m - 2] == ':')
			return i;
	}
	if (n >= 13 && strcmp(msg + n - 13, "out of memory") == 0)
		return ENOMEM;
	return EIO;
}

int
sstkit_fail(sstkit_error *e, int rc, const sst_err *ie)
{
	if (e == NULL)
		return rc;
	e->code = rc;
	snprintf(e->msg, sizeof(e->msg), "%s", ie->msg);
	e->sys_errno = rc == SSTKIT_ESYS ? errno_of(e->msg) : 0;
	return rc;
}

int
sstkit_misuse(sstkit_error *e, const char *fn, const char *what)
{
	if (e != NULL) {
		e->code = SSTKIT_EUSAGE;
		e->sys_errno = 0;
		snprintf(e->msg, sizeof(e->msg), "%s: %s", fn, what);
	}
	return SSTKIT_EUSAGE;
}

int
sstkit_check_rec(sstkit_error *e, const char *fn, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	if (key == NULL || klen == 0)
		return sstkit_misuse(e, fn, "empty key");
	if (klen > SST_MAX_KEY)
		return sstkit_misuse(e, fn, "key longer than 65536 bytes");
	if (vlen > SST_MAX_VALUE)
		return sstkit_misuse(e, fn, "value longer than 64 MiB");
	if (val == NULL && vlen > 0)
		return sstkit_misuse(e, fn, "NULL value");
	return SSTKIT_OK;
}

/* ---- options ---- */

void
sstkit_options_defaults(struct sstkit_options *o)
{
	memset(o, 0, sizeof(*o));
	sst_table_opts_default(&o->table);
	sst_sorter_opts_default(&o->sort);
	o->sort.threads = 1;
	o->table.threads = 1;
	o->strategy = -1;
	o->sync = SSTKIT_SYNC_BATCH;
}

const struct sstkit_options *
sstkit_options_or_default(const sstkit_options *o, struct sstkit_options *tmp)
{
	if (o != NULL)
		return o;
	sstkit_options_defaults(tmp);
	return tmp;
}

int
sstkit_options_new(sstkit_options **o, sstkit_error *err)
{
	if (o == NULL)
		return sstkit_misuse(err, "sstkit_options_new", "NULL pointer");
	if ((*o = malloc(sizeof(**o))) == NULL) {
		sst_err ie;

		return sstkit_fail(err, sst_nomem(&ie, "sstkit_options_new"), &ie);
	}
	sstkit_options_defaults(*o);
	sstkit_ok(err);
	return SSTKIT_OK;
}

void
sstkit_options_free(sstkit_options **o)
{
	if (o != NULL && *o != NULL) {
		free((*o)->tmpdir);
		free(*o);
		*o = NULL;
	}
}

#define CHECK(cond) do { if (o == NULL || !(cond)) return SSTKIT_EUSAGE; } while (0)

int
sstkit_options_set_block_size(sstkit_options *o, size_t bytes)
{
	CHECK(bytes >= SST_MIN_BLOCK_SIZE && bytes <= SST_MAX_BLOCK_SIZE);
	o->table.block_size = bytes;
	return SSTKIT_OK;
}

int
sstkit_options_set_compression(sstkit_options *o, int compression)
{
	CHECK(compression == SSTKIT_COMPRESSION_NONE || compression == SSTKIT_COMPRESSION_ZSTD);
	o->table.compression = compression == SSTKIT_COMPRESSION_ZSTD ? SST_COMP_ZSTD : SST_COMP_NONE;
	return SSTKIT_OK;
}

int
sstkit_options_set_level(sstkit_options *o, int level)
{
	CHECK(level >= -7 && level <= 22);
	o->table.level = level;
	return SSTKIT_OK;
}

int
sstkit_options_set_bloom_bits(sstkit_options *o, int bits)
{
	CHECK(bits >= 0 && bits <= SST_MAX_BLOOM_BITS);
	o->table.bloom_bits = bits;
	return SSTKIT_OK;
}

int
sstkit_options_set_dict_size(sstkit_options *o, size_t bytes)
{
	CHECK(bytes == 0 || (bytes >= SST_DICT_MIN && bytes <= SST_DICT_MAX));
	o->table.dict_size = bytes;
	return SSTKIT_OK;
}

int
sstkit_options_set_threads(sstkit_options *o, int threads)
{
	CHECK(threads >= 1 && threads <= 256);
	o->table.threads = o->sort.threads = threads;
	return SSTKIT_OK;
}

int
sstkit_options_set_memory(sstkit_options *o, uint64_t bytes)
{
	CHECK(bytes >= SST_SORTER_MIN_MEMORY && bytes <= UINT64_MAX / 4);
	o->sort.memory = bytes;
	return SSTKIT_OK;
}

int
sstkit_options_set_tmpdir(sstkit_options *o, const char *dir)
{
	char *copy = NULL;

	CHECK(dir == NULL || *dir != '\0');
	if (dir != NULL && (copy = strdup(dir)) == NULL)
		return SSTKIT_ESYS;
	free(o->tmpdir);
	o->tmpdir = copy;
	o->sort.tmpdir = copy;
	return SSTKIT_OK;
}

int
sstkit_options_set_drop_deletes(sstkit_options *o, int yes)
{
	CHECK(1);
	o->drop_deletes = yes != 0;
	return SSTKIT_OK;
}

int
sstkit_options_set_wait(sstkit_options *o, int yes)
{
	CHECK(1);
	o->wait = yes != 0;
	return SSTKIT_OK;
}

int
sstkit_options_set_move(sstkit_options *o, int yes)
{
	CHECK(1);
	o->move = yes != 0;
	return SSTKIT_OK;
}

int
sstkit_options_set_once(sstkit_options *o, int yes)
{
	CHECK(1);
	o->once = yes != 0;
	return SSTKIT_OK;
}

int
sstkit_options_set_strategy(sstkit_options *o, const char *name)
{
	int s = -1;

	CHECK(name == NULL || sst_strategy_parse(name, &s) == 0);
	o->strategy = s;
	return SSTKIT_OK;
}

int
sstkit_options_set_sync(sstkit_options *o, int sync)
{
	CHECK(sync == SSTKIT_SYNC_NONE || sync == SSTKIT_SYNC_BATCH || sync == SSTKIT_SYNC_ALWAYS);
	o->sync = sync == SSTKIT_SYNC_NONE ? SST_WAL_SYNC_NONE :
	    sync == SSTKIT_SYNC_ALWAYS ? SST_WAL_SYNC_ALWAYS : SST_WAL_SYNC_BATCH;
	return SSTKIT_OK;
}

int
sstkit_options_set_skip_corrupt(sstkit_options *o, int yes)
{
	CHECK(1);
	o->skip_corrupt = yes != 0;
	return SSTKIT_OK;
}
