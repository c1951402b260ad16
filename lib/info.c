/* info.c - a table's or a store's figures and their JSON (info.h). */
#include "info.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filter.h"
#include "util.h"

int
sst_store_info_open(sst_store_info *si, const char *dir, sst_err *err)
{
	size_t i;
	int rc;

	memset(si, 0, sizeof(*si));
	if ((rc = sst_store_snap_open(&si->sn, dir, err)) != SST_OK)
		return rc;
	if ((si->deletes = sst_calloc(si->sn.m.n + 1, sizeof(*si->deletes), err)) == NULL) {
		sst_store_snap_close(&si->sn);
		return SST_ESYS;
	}
	/* One table open at a time: any number of tables. */
	for (i = 0; i < si->sn.m.n && rc == SST_OK; i++) {
		sst_table *t;
		sst_props p;

		if ((rc = sst_store_snap_table(&si->sn, i, &t, err)) != SST_OK)
			break;
		if ((rc = sst_table_props(t, &p, err)) == SST_OK)
			si->deletes[i] = p.deletes;
		sst_table_close(&t);
		si->bytes += si->sn.m.t[i].size;
		si->records += si->sn.m.t[i].records;
		si->ndeletes += si->deletes[i];
	}
	if (rc != SST_OK)
		sst_store_info_close(si);
	return rc;
}

void
sst_store_info_close(sst_store_info *si)
{
	if (si->deletes == NULL)
		return;
	free(si->deletes);
	si->deletes = NULL;
	sst_store_snap_close(&si->sn);
}

/* ,"FIELD":KEY,"FIELD_hex":HEX (util.h: UTF-8 as its characters, exact hex). */
static void
print_json_key(FILE *out, const char *field, const uint8_t *k, size_t n)
{
	fprintf(out, ",\"%s\":", field);
	if (k == NULL) {
		fprintf(out, "null,\"%s_hex\":null", field);
		return;
	}
	sst_json_str(out, k, n);
	fprintf(out, ",\"%s_hex\":", field);
	sst_json_hex(out, k, n);
}

size_t
sst_store_level_sum(const sst_manifest *m, int lev, uint64_t *bytes)
{
	size_t i, n = 0;

	*bytes = 0;
	for (i = 0; i < m->n; i++)
		if (m->t[i].level == lev) {
			n++;
			*bytes += m->t[i].size;
		}
	return n;
}

/* The levels that hold tables, shallowest first: {"level":L,"tables":N,"bytes":B}. */
static void
print_json_levels(FILE *out, const sst_manifest *m)
{
	const char *sep = "";
	int lev;

	for (lev = 0; lev <= SST_STORE_MAX_LEVEL; lev++) {
		uint64_t lb;
		size_t ln = sst_store_level_sum(m, lev, &lb);

		if (ln == 0)
			continue;
		fprintf(out, "%s{\"level\":%d,\"tables\":%zu,\"bytes\":%" PRIu64 "}", sep, lev,
		    ln, lb);
		sep = ",";
	}
}

void
sst_store_info_json(FILE *out, const char *dir, const sst_store_info *si)
{
	const sst_manifest *m = &si->sn.m;
	const char *name;
	size_t i;

	fprintf(out, "{\"store\":");
	sst_json_str(out, (const uint8_t *)dir, strlen(dir));
	fprintf(out, ",\"type\":\"store\",\"format_version\":%d,\"strategy\":\"%s\""
	    ",\"next\":%" PRIu64 ",\"options\":{", m->version, sst_strategy_name(m->strategy),
	    m->next);
	for (i = 0; (name = sst_store_knob_name(i)) != NULL; i++)
		fprintf(out, "%s\"%s\":%" PRIu64, i ? "," : "", name,
		    sst_store_knob_get(&m->knobs, i));
	fprintf(out, "},\"tables_summed\":%zu,\"records_sum_over_tables\":%" PRIu64
	    ",\"deletes_sum_over_tables\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"levels\":[",
	    m->n, si->records, si->ndeletes, si->bytes);
	print_json_levels(out, m);
	fprintf(out, "],\"tables\":[");
	for (i = 0; i < m->n; i++) {
		const sst_store_entry *e = &m->t[i];

		fprintf(out, "%s{\"name\":\"%s\",\"level\":%d,\"size\":%" PRIu64 ",\"records\":%"
		    PRIu64 ",\"deletes\":%" PRIu64, i ? "," : "", e->name, e->level, e->size,
		    e->records, si->deletes[i]);
		print_json_key(out, "smallest", e->lo, e->lolen);
		print_json_key(out, "largest", e->hi, e->hilen);
		fputc('}', out);
	}
	fprintf(out, "]}\n");
}

double
sst_info_ratio(const sst_props *p)
{
	return p->data_bytes ? (double)p->raw_data_bytes / (double)p->data_bytes : 1.0;
}

double
sst_info_fp_rate(const sst_props *p)
{
	/* A table without keys has an empty filter (0 probes): nothing can match it. */
	int empty_filter = p->bloom_bits && p->filter_k == 0;

	return !p->bloom_bits ? 1.0 : empty_filter ? 0.0 :
	    sst_filter_fpr((double)p->bloom_bits, (int)p->filter_k);
}

static void
json_key(FILE *f, const char *field, const uint8_t *k, size_t n)
{
	fprintf(f, ", \"%s\": ", field);
	if (k != NULL) sst_json_str(f, k, n); else fputs("null", f);
	fprintf(f, ", \"%s_hex\": ", field);
	if (k != NULL) sst_json_hex(f, k, n); else fputs("null", f);
}

void
sst_table_info_json(FILE *f, const char *path, const sst_props *p)
{
	char when[32];
	time_t ct = (time_t)p->created;
	struct tm tm;

	gmtime_r(&ct, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs("{\"file\": ", f);
	sst_json_str(f, (const uint8_t *)path, strlen(path));
	fprintf(f, ", \"type\": \"table\", \"format_version\": %" PRIu32 ", \"records\": %" PRIu64
	    ", \"deletes\": %" PRIu64 ", \"data_blocks\": %" PRIu64
	    ", \"raw_key_bytes\": %" PRIu64 ", \"raw_value_bytes\": %" PRIu64
	    ", \"raw_data_bytes\": %" PRIu64 ", \"data_bytes\": %" PRIu64
	    ", \"file_size\": %" PRIu64 ", \"compression\": \"%s\", \"zstd_level\": %" PRId64
	    ", \"compression_ratio\": %.3f, \"block_size\": %" PRIu64
	    ", \"bloom_bits_per_key\": %" PRIu64 ", \"filter_probes\": %" PRIu64
	    ", \"filter_bytes\": %" PRIu64 ", \"filter_fp_rate\": %.6f",
	    p->format_version, p->records, p->deletes, p->data_blocks,
	    p->raw_key_bytes, p->raw_value_bytes, p->raw_data_bytes, p->data_bytes,
	    p->file_size, p->compression == SST_COMP_ZSTD ? "zstd" : "none", (int64_t)p->level,
	    sst_info_ratio(p), p->block_size, p->bloom_bits, p->filter_k, p->filter_bytes,
	    sst_info_fp_rate(p));
	if (p->dict_bytes > 0)
		fprintf(f, ", \"dictionary_bytes\": %" PRIu64, p->dict_bytes);
	else
		fputs(", \"dictionary_bytes\": null", f);
	json_key(f, "smallest_key", p->smallest, p->smallest_len);
	json_key(f, "largest_key", p->largest, p->largest_len);
	fprintf(f, ", \"created\": %" PRIu64 ", \"created_utc\": \"%s\"}", p->created, when);
}

int
sst_info_show(const char *path, sst_info_table_fn table, sst_info_store_fn store, void *arg,
    sst_err *err)
{
	sst_table *t = NULL;
	sst_store_info si;
	sst_props p;
	int rc, is_store;

	if ((rc = sst_store_check_path(path, &is_store, err)) != SST_OK)
		return rc;
	if (is_store) {
		if ((rc = sst_store_info_open(&si, path, err)) != SST_OK)
			return rc;
		rc = store(arg, path, &si, err);
		sst_store_info_close(&si);
		return rc;
	}
	if ((rc = sst_table_open(&t, path, err)) == SST_OK &&
	    (rc = sst_table_props(t, &p, err)) == SST_OK)
		rc = table(arg, path, &p, err);
	sst_table_close(&t);
	return rc;
}

static int
table_json(void *arg, const char *path, const sst_props *p, sst_err *err)
{
	(void)err;
	sst_table_info_json(arg, path, p);
	return SST_OK;
}

static int
store_json(void *arg, const char *dir, const sst_store_info *si, sst_err *err)
{
	FILE *out = arg;

	sst_store_info_json(out, dir, si);
	if (fflush(out) != 0 || ferror(out))
		return sst_syserr(err, "write");
	return SST_OK;
}

int
sst_info_json(FILE *out, const char *path, sst_err *err)
{
	return sst_info_show(path, table_json, store_json, out, err);
}
