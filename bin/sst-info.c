/* sst-info: what a table or store holds. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "filter.h"
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

/* A key for humans: printable bytes as they are, others as \xHH. */
static void
print_key(FILE *f, const uint8_t *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (k[i] == '\\')
			fputs("\\\\", f);
		else if (k[i] >= 0x20 && k[i] < 0x7f)
			putc(k[i], f);
		else
			fprintf(f, "\\x%02x", k[i]);
	}
}

static double
ratio(const sst_props *p)
{
	return p->data_bytes ? (double)p->raw_data_bytes / (double)p->data_bytes : 1.0;
}

static void
print_table(const char *path, const sst_props *p, int json)
{
	char when[32];
	time_t ct = (time_t)p->created;
	struct tm tm;
	/* A table without keys has an empty filter (0 probes): nothing can match it. */
	int empty_filter = p->bloom_bits && p->filter_k == 0;
	double fpr = !p->bloom_bits ? 1.0 : empty_filter ? 0.0 :
	    sst_filter_fpr((double)p->bloom_bits, (int)p->filter_k);
	const char *comp = p->compression == 1 ? "zstd" : "none";

	gmtime_r(&ct, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (json) {
		printf("{\"file\": ");
		sst_json_str(stdout, (const uint8_t *)path, strlen(path));
		printf(", \"type\": \"table\", \"format_version\": %" PRIu32 ", \"records\": %" PRIu64
		    ", \"deletes\": %" PRIu64 ", \"data_blocks\": %" PRIu64
		    ", \"raw_key_bytes\": %" PRIu64 ", \"raw_value_bytes\": %" PRIu64
		    ", \"raw_data_bytes\": %" PRIu64 ", \"data_bytes\": %" PRIu64
		    ", \"file_size\": %" PRIu64 ", \"compression\": \"%s\", \"zstd_level\": %" PRId64
		    ", \"compression_ratio\": %.3f, \"block_size\": %" PRIu64
		    ", \"bloom_bits_per_key\": %" PRIu64 ", \"filter_probes\": %" PRIu64
		    ", \"filter_bytes\": %" PRIu64 ", \"filter_fp_rate\": %.6f",
		    p->format_version, p->records, p->deletes, p->data_blocks,
		    p->raw_key_bytes, p->raw_value_bytes, p->raw_data_bytes, p->data_bytes,
		    p->file_size, comp, (int64_t)p->level, ratio(p), p->block_size,
		    p->bloom_bits, p->filter_k, p->filter_bytes, fpr);
		if (p->dict_bytes > 0)
			printf(", \"dictionary_bytes\": %" PRIu64, p->dict_bytes);
		else
			printf(", \"dictionary_bytes\": null");
		printf(", \"smallest_key\": ");
		if (p->smallest) sst_json_str(stdout, p->smallest, p->smallest_len); else printf("null");
		printf(", \"smallest_key_hex\": ");
		if (p->smallest) sst_json_hex(stdout, p->smallest, p->smallest_len); else printf("null");
		printf(", \"largest_key\": ");
		if (p->largest) sst_json_str(stdout, p->largest, p->largest_len); else printf("null");
		printf(", \"largest_key_hex\": ");
		if (p->largest) sst_json_hex(stdout, p->largest, p->largest_len); else printf("null");
		printf(", \"created\": %" PRIu64 ", \"created_utc\": \"%s\"}", p->created, when);
		return;
	}
	printf("file:               %s\n", path);
	printf("format version:     %" PRIu32 "\n", p->format_version);
	printf("records:            %" PRIu64 "\n", p->records);
	printf("deletes:            %" PRIu64 "\n", p->deletes);
	printf("data blocks:        %" PRIu64 "\n", p->data_blocks);
	printf("raw key bytes:      %" PRIu64 "\n", p->raw_key_bytes);
	printf("raw value bytes:    %" PRIu64 "\n", p->raw_value_bytes);
	printf("file size:          %" PRIu64 "\n", p->file_size);
	if (p->compression == 1)
		printf("compression:        zstd level %" PRId64 ", ratio %.2f\n", (int64_t)p->level, ratio(p));
	else
		printf("compression:        none, ratio %.2f\n", ratio(p));
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
		r = sst_store_check_path(argv[i], &store, &err);
		if (r == SST_OK && store)
			r = sst_store_info(argv[i], stdout, json, &err);
		else if (r == SST_OK) {
			sst_table *t;
			sst_props p;

			r = sst_table_open(&t, argv[i], &err);
			if (r == SST_OK)
				r = sst_table_props(t, &p, &err);
			if (r == SST_OK)
				print_table(argv[i], &p, json);
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
