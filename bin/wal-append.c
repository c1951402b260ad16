/* wal-append: append records to a write-ahead log (formats/wal.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "records.h"
#include "wal.h"

enum { OPT_SYNC = SST_OPT_FIRST_TOOL };

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
	{ "delete", no_argument, NULL, SST_OPT_DELETE },
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

/* One input record into the log (a delete carries no value). */
static int
append_record(void *arg, sst_reader *rd, sst_rec *r, uint64_t before, sst_err *err)
{
	(void)rd;
	(void)before;
	if (r->kind == SST_DEL)
		r->vlen = 0;
	return sst_wal_writer_add(arg, r, err);
}

int
main(int argc, char **argv)
{
	sst_wal_writer_opts wo;
	sst_wal_writer *w = NULL;
	sst_rec_opts ro;
	const char *wal;
	int c, rc;
	sst_err err = { 0, "" };

	sst_cli_init(argv[0]);
	memset(&ro, 0, sizeof(ro));
	sst_wal_writer_opts_default(&wo);
	wo.report = report;
	while ((c = getopt_long(argc, argv, "f:eh", longopts, NULL)) != -1) {
		if (sst_cli_records_opt(c, optarg, &ro))
			continue;
		switch (c) {
		case OPT_SYNC:
			if (sst_wal_sync_parse(optarg, &wo.sync) != 0)
				sst_cli_usage_error("--sync: want always, batch or none, not '%s'", optarg);
			break;
		case 'h': sst_cli_help(usage_text);
		case SST_OPT_VERSION: sst_cli_version();
		default: sst_cli_bad_option();
		}
	}
	if (optind >= argc)
		sst_cli_usage_error("missing WAL operand");
	wal = argv[optind++];
	if ((rc = sst_wal_writer_open(&w, wal, &wo, &err)) != SST_OK)
		return sst_cli_fail(&err);
	rc = sst_cli_read_inputs(argv + optind, argc - optind, &ro, append_record, w, &err);
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
