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
static int
print_store(void *arg, const char *dir, const sst_store_info *si, sst_err *err)
{
	FILE *out = arg;
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
		uint64_t lb;
		size_t ln = sst_store_level_sum(m, lev, &lb);

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
	if (fflush(out) != 0 || ferror(out))
		return sst_syserr(err, "write");
	return SST_OK;
}

static int
print_table(void *arg, const char *path, const sst_props *p, sst_err *err)
{
	FILE *out = arg;
	char when[32];
	time_t ct = (time_t)p->created;
	struct tm tm;
	/* A table without keys has an empty filter (0 probes): nothing can match it. */
	int empty_filter = p->bloom_bits && p->filter_k == 0;
	double fpr = sst_info_fp_rate(p);

	gmtime_r(&ct, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(out, "file:               %s\n", path);
	fprintf(out, "format version:     %" PRIu32 "\n", p->format_version);
	fprintf(out, "records:            %" PRIu64 "\n", p->records);
	fprintf(out, "deletes:            %" PRIu64 "\n", p->deletes);
	fprintf(out, "data blocks:        %" PRIu64 "\n", p->data_blocks);
	fprintf(out, "raw key bytes:      %" PRIu64 "\n", p->raw_key_bytes);
	fprintf(out, "raw value bytes:    %" PRIu64 "\n", p->raw_value_bytes);
	fprintf(out, "file size:          %" PRIu64 "\n", p->file_size);
	if (p->compression == 1)
		fprintf(out, "compression:        zstd level %" PRId64 ", ratio %.2f\n", (int64_t)p->level, sst_info_ratio(p));
	else
		fprintf(out, "compression:        none, ratio %.2f\n", sst_info_ratio(p));
	if (p->dict_bytes > 0)
		fprintf(out, "dictionary:         %" PRIu64 " bytes\n", p->dict_bytes);
	else
		fprintf(out, "dictionary:         none\n");
	fprintf(out, "block size:         %" PRIu64 "\n", p->block_size);
	if (empty_filter)
		fprintf(out, "filter:             %" PRIu64 " bits per key, empty (no keys), "
		    "expected false-positive rate 0.00%%\n", p->bloom_bits);
	else if (p->bloom_bits)
		fprintf(out, "filter:             %" PRIu64 " bits per key, %" PRIu64 " probes, "
		    "expected false-positive rate %.2f%%\n", p->bloom_bits, p->filter_k, 100 * fpr);
	else
		fprintf(out, "filter:             none\n");
	fprintf(out, "smallest key:       ");
	if (p->smallest) print_key(out, p->smallest, p->smallest_len);
	fprintf(out, "\nlargest key:        ");
	if (p->largest) print_key(out, p->largest, p->largest_len);
	fprintf(out, "\ncreated:            %s\n", when);
	(void)err;
	return SST_OK;
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
		case 'h': sst_cli_help(usage_text);
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
		int r;

		if (i > optind)
			printf(json ? ",\n" : "\n");
		if (json)
			r = sst_info_json(stdout, argv[i], &err);
		else
			r = sst_info_show(argv[i], print_table, print_store, stdout, &err);
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
