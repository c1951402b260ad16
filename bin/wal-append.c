/* wal-append: append records to a write-ahead log (formats/wal.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "records.h"
#include "wal.h"

enum { OPT_DELETE = SST_OPT_FIRST_TOOL, OPT_SYNC };

static const char usage_text[] =
"Usage: wal-append [-f FMT] [-e] [--delete] [--sync always|batch|none] WAL [INPUT...]\n"
"Append records to the write-ahead log WAL (created if absent).\n"
"INPUT is a file (plain, compressed or an archive) or - for stdin (default).\n"
"\n"
"  -f, --format FMT       input format: tsv (default) or cdb\n"
"  -e, --escape           decode backslash escapes in tsv keys and values\n"
"      --delete           every input record is a delete of its key\n"
"      --sync MODE        batch (default): one fdatasync per 4 MiB written and\n"
"                         at the end; always: one per record; none: no sync\n"
"  -h, --help             this help\n"
"      --version          print the version\n";

static const struct option longopts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "escape", no_argument, NULL, 'e' },
	{ "delete", no_argument, NULL, OPT_DELETE },
	{ "sync", required_argument, NULL, OPT_SYNC },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, SST_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static void
report(void *arg, const sst_wal_event *ev)
{
	(void)arg;
	if (ev->torn)
		fprintf(stderr, "%s: %s@%llu: torn final record cut off, %llu bytes dropped (%s)\n",
		    sst_prog, ev->path, (unsigned long long)ev->offset,
		    (unsigned long long)ev->dropped, ev->why);
	else
		fprintf(stderr, "%s: %s@%llu: warning: damaged record before the tail left in place, %llu bytes (%s); replay it with --skip-corrupt\n",
		    sst_prog, ev->path, (unsigned long long)ev->offset,
		    (unsigned long long)ev->dropped, ev->why);
}

static int
append_input(sst_wal_writer *w, const char *path, const sst_rec_opts *ro, sst_err *err)
{
	sst_reader *rd;
	sst_rec r;
	int eof = 0, rc;

	sst_cli_records_hint(path, ro->fmt);
	if ((rc = sst_reader_open(&rd, path, ro, err)) != SST_OK)
		return rc;
	while ((rc = sst_reader_next(rd, &r, &eof, err)) == SST_OK && !eof) {
		if (r.kind == SST_DEL)
			r.vlen = 0;
		if ((rc = sst_wal_writer_add(w, &r, err)) != SST_OK)
			break;
	}
	if (sst_reader_hint(rd) != NULL)
		fprintf(stderr, "%s: %s\n", sst_prog, sst_reader_hint(rd));
	sst_reader_close(&rd);
	return rc;
}

int
main(int argc, char **argv)
{
	sst_wal_writer_opts wo;
	sst_wal_writer *w = NULL;
	sst_rec_opts ro;
	const char *wal;
	int c, i, rc;
	sst_err err = { 0, "" };

	sst_cli_init(argv[0]);
	memset(&ro, 0, sizeof(ro));
	sst_wal_writer_opts_default(&wo);
	wo.report = report;
	while ((c = getopt_long(argc, argv, "f:eh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (sst_fmt_parse(optarg, &ro.fmt) != 0)
				sst_cli_usage_error("--format: want tsv or cdb, not '%s'", optarg);
			break;
		case 'e': ro.escape = 1; break;
		case OPT_DELETE: ro.all_delete = 1; break;
		case OPT_SYNC:
			if (sst_wal_sync_parse(optarg, &wo.sync) != 0)
				sst_cli_usage_error("--sync: want always, batch or none, not '%s'", optarg);
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		case SST_OPT_VERSION: sst_cli_version();
		default: sst_cli_bad_option();
		}
	}
	if (optind >= argc)
		sst_cli_usage_error("missing WAL operand");
	wal = argv[optind++];
	if ((rc = sst_wal_writer_open(&w, wal, &wo, &err)) != SST_OK)
		return sst_cli_fail(&err);
	if (optind == argc)
		rc = append_input(w, NULL, &ro, &err);
	for (i = optind; i < argc && rc == SST_OK; i++)
		rc = append_input(w, argv[i], &ro, &err);
	if (rc == SST_OK)
		rc = sst_wal_writer_sync(w, &err);
	if (rc != SST_OK) {
		/* nothing of a failed append stays in the log */
		sst_wal_writer_abort(&w);
		return sst_cli_fail(&err);
	}
	if ((rc = sst_wal_writer_close(&w, &err)) != SST_OK)
		return sst_cli_fail(&err);
	return 0;
}
