/* sst-dump: the merged, ordered view of tables and stores. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "merge_iter.h"
#include "records.h"
#include "sources.h"
#include "util.h"

enum { OPT_PREFIX = SST_OPT_FIRST_TOOL, OPT_FROM, OPT_TO, OPT_TOMBSTONES, OPT_COUNT };

static const char usage_text[] =
"Usage: sst-dump [--prefix P | --from A] [--to B] [-f FMT] [-e] [--tombstones] [--count] SOURCE...\n"
"Print the records of tables and stores in key order, later SOURCEs winning,\n"
"deleted keys left out.\n"
"\n"
"      --prefix P     only keys that start with P\n"
"      --from A       start at key A (inclusive)\n"
"      --to B         stop before key B (exclusive)\n"
"  -f, --format FMT   output format: tsv (default) or cdb\n"
"  -e, --escape       backslash escapes in output (and in P, A, B)\n"
"      --tombstones   show deletes too; the output is then in cdb form\n"
"      --count        print only the number of records\n"
"  -h, --help         this help\n"
"      --version      print the version\n";

static const struct option longopts[] = {
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "format", required_argument, NULL, 'f' },
	{ "escape", no_argument, NULL, 'e' },
	{ "tombstones", no_argument, NULL, OPT_TOMBSTONES },
	{ "count", no_argument, NULL, OPT_COUNT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, SST_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* Decodes an option's key argument (with -e) into b. */
static void
key_arg(const char *opt, const char *arg, int escape, sst_buf *b)
{
	sst_err err;

	b->len = 0;
	if (escape) {
		if (sst_unescape((const uint8_t *)arg, strlen(arg), b, &err) != SST_OK)
			sst_cli_usage_error("%s: %s", opt, err.msg);
	} else if (sst_buf_append(b, arg, strlen(arg), &err) != SST_OK)
		sst_cli_usage_error("%s: %s", opt, err.msg);
}

int
main(int argc, char **argv)
{
	sst_rec_opts wopts = { SST_FMT_TSV, 0, 0 };
	const char *prefix_arg = NULL, *from_arg = NULL, *to_arg = NULL;
	sst_buf prefix = SST_BUF_INIT, from = SST_BUF_INIT, to = SST_BUF_INIT;
	int c, rc, tombstones = 0, count_only = 0, have_to = 0;
	sst_sources src = { NULL, 0 };
	sst_err err = { 0, "" };
	sst_iter *it = NULL;
	uint64_t count = 0;

	sst_cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, "f:eh", longopts, NULL)) != -1) {
		if (sst_cli_records_opt(c, optarg, &wopts))
			continue;
		switch (c) {
		case OPT_PREFIX: prefix_arg = optarg; break;
		case OPT_FROM: from_arg = optarg; break;
		case OPT_TO: to_arg = optarg; break;
		case OPT_TOMBSTONES: tombstones = 1; break;
		case OPT_COUNT: count_only = 1; break;
		case 'h': sst_cli_help(usage_text);
		case SST_OPT_VERSION: sst_cli_version();
		default: sst_cli_bad_option();
		}
	}
	if (optind == argc)
		sst_cli_usage_error("no SOURCE given");
	if (prefix_arg != NULL && from_arg != NULL)
		sst_cli_usage_error("--prefix and --from exclude each other");
	if (prefix_arg != NULL)
		key_arg("--prefix", prefix_arg, wopts.escape, &prefix);
	if (from_arg != NULL)
		key_arg("--from", from_arg, wopts.escape, &from);
	if (to_arg != NULL) {
		key_arg("--to", to_arg, wopts.escape, &to);
		have_to = 1;
	}
	if (tombstones)
		wopts.fmt = SST_FMT_CDB;

	if ((rc = sst_sources_open(&src, argv + optind, (size_t)(argc - optind), &err)) != SST_OK ||
	    (rc = sst_sources_iter(&src, tombstones ? 0 : SST_MERGE_HIDE_DELETES, &it, &err)) != SST_OK)
		goto done;
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (prefix.len > 0)
		rc = sst_iter_seek(it, prefix.p, prefix.len, &err);
	else if (from_arg != NULL && from.len > 0)
		rc = sst_iter_seek(it, from.p, from.len, &err);
	else
		rc = sst_iter_first(it, &err);
	for (; rc == SST_OK && it->valid; rc = sst_iter_next(it, &err)) {
		const sst_rec *r = &it->rec;

		if (prefix.len > 0 && (r->klen < prefix.len || memcmp(r->key, prefix.p, prefix.len) != 0))
			break;
		if (have_to && sst_keycmp(r->key, r->klen, to.p, to.len) >= 0)
			break;
		count++;
		if (!count_only && (rc = sst_rec_write(stdout, &wopts, r, &err)) != SST_OK) {
			/* a record plain tsv cannot carry: name where it is from */
			if (rc == SST_EDATA) {
				char msg[sizeof(err.msg)];

				snprintf(msg, sizeof(msg), "%s", err.msg);
				sst_error(&err, SST_EDATA, "%s: %s", argc - optind == 1 ?
				    argv[optind] : "stdout", msg);
			}
			break;
		}
	}
	if (rc == SST_OK && count_only)
		printf("%" PRIu64 "\n", count);
	else if (rc == SST_OK && wopts.fmt == SST_FMT_CDB && !tombstones)
		/* cdbmake's closing empty line; not after --tombstones, whose
		 * deletes no cdbmake takes, so that such dumps concatenate */
		putchar('\n');
	if (rc == SST_OK && fflush(stdout) != 0)
		rc = sst_err_write(&err, "stdout");
done:
	sst_iter_destroy(&it);
	sst_sources_close(&src);
	sst_buf_free(&prefix);
	sst_buf_free(&from);
	sst_buf_free(&to);
	if (rc != SST_OK)
		return sst_cli_fail(&err);
	return 0;
}
