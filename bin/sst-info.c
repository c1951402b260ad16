/* sst-info: what a table or store holds. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "info.h"
#include "store.h"
#include "table.h"
#include "util.h"

enum { OPT_JSON = SST_OPT_FIRST_TOOL };

static const char usage_text[] =
"Usage: sst-info [--json] TABLE|STORE...\n"
"Print what a table holds: format version, records, deletes, data blocks,\n"
"raw key and value bytes, file size, compression and ratio, dictionary size,\n"
"block size, filter bits per key and expected false-positive rate, smallest\n"
"and largest key, creation time; for a store, its strategy, levels and tables.\n"
"\n"
"      --json      one JSON object per argument (an array for several)\n"
"  -h, --help      this help\n"
"      --version   print the version\n";

static const struct option longopts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, SST_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/*
 * A key in the text output (tables and stores alike, man/sst-info.1):
 * printable ASCII other than the space as it is, a backslash as \\ and
 * every other byte (the space included) as \xHH, so a key is one word.
 */
static void
print_key(FILE *f, const uint8_t *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (k[i] == '\\')
			fputs("\\\\", f);
		else if (k[i] > 0x20 && k[i] < 0x7f)
			putc(k[i], f);
		else
			fprintf(f, "\\x%02x", k[i]);
	}
}

/* A store: its strategy, options, levels and tables (name, level, size,
 * records, deletes, key range). */
static void
print_store(FILE *out, const char *dir, const sst_store_info *si)
{
	const sst_manifest *m = &si->sn.m;
	const char *name;
	size_t i;
	int lev;

	fprintf(out, "store: %s\nformat version: %d\nstrategy: %s\n", dir, m->version,
	    sst_strategy_name(m->strategy));
	fprintf(out, "options:");
	for (i = 0; (name = sst_store_knob_name(i)) != NULL; i++)
		fprintf(out, " %s=%" PRIu64, name, sst_store_knob_get(&m->knobs, i));
	fprintf(out, "\nnext table: %06" PRIu64 ".sst\ntables: %zu\n"
	    "records (sum over %zu tables, duplicates and deletes included): %" PRIu64 "\n"
	    "deletes (sum over %zu tables): %" PRIu64 "\nbytes: %" PRIu64 "\n", m->next, m->n,
	    m->n, si->records, m->n, si->ndeletes, si->bytes);
	for (lev = 0; lev <= SST_STORE_MAX_LEVEL; lev++) {
		uint64_t lb = 0;
		size_t ln = 0;

		for (i = 0; i < m->n; i++)
			if (m->t[i].level == lev) {
				ln++;
				lb += m->t[i].size;
			}
		if (ln)
			fprintf(out, "level %d: %zu tables, %" PRIu64 " bytes\n", lev, ln, lb);
	}
	for (i = 0; i < m->n; i++) {
		const sst_store_entry *e = &m->t[i];

		fprintf(out, "table %s level %d size %" PRIu64 " records %" PRIu64
		    " deletes %" PRIu64 " keys ", e->name, e->level, e->size, e->records,
		    si->deletes[i]);
		if (e->lo != NULL)
			print_key(out, e->lo, e->lolen);
		fprintf(out, " .. ");
		if (e->hi != NULL)
			print_key(out, e->hi, e->hilen);
		fputc('\n', out);
	}
}

static int
show_store(const char *dir, sst_err *err)
{
	sst_store_info si;
	int rc;

	if ((rc = sst_store_info_open(&si, dir, err)) != SST_OK)
		return rc;
	print_store(stdout, dir, &si);
	sst_store_info_close(&si);
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = sst_syserr(err, "write");
	return rc;
}

static void
print_table(const char *path, const sst_props *p)
{
	char when[32];
	time_t ct = (time_t)p->created;
	struct tm tm;
	/* A table without keys has an empty filter (0 probes): nothing can match it. */
	int empty_filter = p->bloom_bits && p->filter_k == 0;
	double fpr = sst_info_fp_rate(p);

	gmtime_r(&ct, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("file:               %s\n", path);
	printf("format version:     %" PRIu32 "\n", p->format_version);
	printf("records:            %" PRIu64 "\n", p->records);
	printf("deletes:            %" PRIu64 "\n", p->deletes);
	printf("data blocks:        %" PRIu64 "\n", p->data_blocks);
	printf("raw key bytes:      %" PRIu64 "\n", p->raw_key_bytes);
	printf("raw value bytes:    %" PRIu64 "\n", p->raw_value_bytes);
	printf("file size:          %" PRIu64 "\n", p->file_size);
	if (p->compression == 1)
		printf("compression:        zstd level %" PRId64 ", ratio %.2f\n", (int64_t)p->level, sst_info_ratio(p));
	else
		printf("compression:        none, ratio %.2f\n", sst_info_ratio(p));
	if (p->dict_bytes > 0)
		printf("dictionary:         %" PRIu64 " bytes\n", p->dict_bytes);
	else
		printf("dictionary:         none\n");
	printf("block size:         %" PRIu64 "\n", p->block_size);
	if (empty_filter)
		printf("filter:             %" PRIu64 " bits per key, empty (no keys), "
		    "expected false-positive rate 0.00%%\n", p->bloom_bits);
	else if (p->bloom_bits)
		printf("filter:             %" PRIu64 " bits per key, %" PRIu64 " probes, "
		    "expected false-positive rate %.2f%%\n", p->bloom_bits, p->filter_k, 100 * fpr);
	else
		printf("filter:             none\n");
	printf("smallest key:       ");
	if (p->smallest) print_key(stdout, p->smallest, p->smallest_len);
	printf("\nlargest key:        ");
	if (p->largest) print_key(stdout, p->largest, p->largest_len);
	printf("\ncreated:            %s\n", when);
}

int
main(int argc, char **argv)
{
	sst_err err = { 0, "" };
	int c, json = 0, rc = 0, i, many;

	sst_cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case SST_OPT_VERSION: sst_cli_version();
		default: sst_cli_bad_option();
		}
	}
	if (optind == argc)
		sst_cli_usage_error("no TABLE or STORE given");
	many = argc - optind > 1;
	if (json && many)
		printf("[");
	for (i = optind; i < argc; i++) {
		int r, store;

		if (i > optind)
			printf(json ? ",\n" : "\n");
		if (json)
			r = sst_info_json(stdout, argv[i], &err);
		else if ((r = sst_store_check_path(argv[i], &store, &err)) == SST_OK && store)
			r = show_store(argv[i], &err);
		else if (r == SST_OK) {
			sst_table *t;
			sst_props p;

			r = sst_table_open(&t, argv[i], &err);
			if (r == SST_OK)
				r = sst_table_props(t, &p, &err);
			if (r == SST_OK)
				print_table(argv[i], &p);
			sst_table_close(&t);
		}
		if (r != SST_OK) {
			fflush(stdout);
			rc = rc ? rc : sst_cli_fail(&err);
			if (json)
				printf("null");
		}
	}
	if (json)
		printf(many ? "]\n" : "\n");
	if (fflush(stdout) != 0) {
		sst_err_write(&err, "stdout");
		return sst_cli_fail(&err);
	}
	return rc;
}
