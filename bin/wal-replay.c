/*
 * wal-replay: replay write-ahead logs into a table (-o) or a store (--into).
 *
 * Option parsing, progress and messages; the pipeline (memtable, flusher
 * thread, final merge) is sst_replay (lib/replay.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fileio.h"
#include "cli_progress.h"
#include "replay.h"
#include "store.h"

enum { OPT_MEMTABLE = SST_OPT_FIRST_TOOL, OPT_SKIP, OPT_REMOVE, OPT_INTO, OPT_WAIT };

static const char usage_text[] =
"Usage: wal-replay [--memtable-size SIZE] [--skip-corrupt] [--remove] (-o OUT.sst | --into STORE) WAL...\n"
"Replay write-ahead logs, in order (later records win), into one table or a store.\n"
"\n"
"  -o, --output FILE        write one table holding the result to FILE (atomically)\n"
"      --into STORE         add each memtable flush to STORE as its newest table\n"
"      --wait               with --into: wait for the store's lock instead of exit 75\n"
"      --memtable-size SIZE flush the memtable once it holds SIZE bytes (default 4M)\n"
"      --skip-corrupt       skip damaged records (reporting the bytes dropped)\n"
"      --remove             delete the WALs once their records are durable\n"
"  -b, --block-size SIZE    data block size before compression (default 8K)\n"
"  -c, --compression ALG    zstd (default) or none\n"
"  -l, --level N            zstd level (default 3)\n"
"      --bloom-bits N       bloom filter bits per key, 0 for none (default 10)\n"
"      --dict-size SIZE     zstd dictionary size, 0 for none (default 32K for -o;\n"
"                           with --into none unless given: flushes are small)\n"
"  -q, --quiet              no progress\n"
"      --progress           progress on stderr even when it is not a terminal\n"
"  -h, --help               this help\n"
"      --version            print the version\n";

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "into", required_argument, NULL, OPT_INTO },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "memtable-size", required_argument, NULL, OPT_MEMTABLE },
	{ "skip-corrupt", no_argument, NULL, OPT_SKIP },
	{ "remove", no_argument, NULL, OPT_REMOVE },
	SST_CLI_TABLE_LONGOPTS,
	SST_PROGRESS_LONGOPTS,
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, SST_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static void
report(void *arg, const sst_wal_event *ev)
{
	(void)arg;
	fprintf(stderr, "%s: %s@%llu: %s, %llu bytes dropped (%s)\n", sst_prog, ev->path,
	    (unsigned long long)ev->offset,
	    ev->torn ? "torn final record ignored" : "damaged record skipped",
	    (unsigned long long)ev->dropped, ev->why);
}

static int
remove_wals(char **wals, int n, sst_err *err)
{
	int i, rc;

	for (i = 0; i < n; i++)
		if (unlink(wals[i]) != 0 && errno != ENOENT)
			return sst_syserr(err, "%s: remove", wals[i]);
	for (i = 0; i < n; i++)
		if ((rc = sst_fsync_dir(wals[i], err)) != SST_OK)
			return rc;
	return SST_OK;
}

int
main(int argc, char **argv)
{
	const char *into = NULL, *out = NULL;
	int c, rc, remove = 0, wait = 0, progress = SST_PROGRESS_AUTO;
	sst_replay_opts ro;
	sst_progress prog;
	sst_store *store = NULL;
	sst_err err = { 0, "" };

	sst_cli_init(argv[0]);
	sst_replay_opts_default(&ro);
	while ((c = getopt_long(argc, argv, "o:b:c:l:qh", longopts, NULL)) != -1) {
		if (sst_cli_table_opt(c, optarg, &ro.table) || sst_progress_opt(c, &progress))
			continue;
		switch (c) {
		case 'o': out = optarg; break;
		case OPT_INTO: into = optarg; break;
		case OPT_WAIT: wait = 1; break;
		case OPT_MEMTABLE:
			ro.memtable_size = sst_cli_size("--memtable-size", optarg, 64u << 10,
			    (uint64_t)1 << 40);
			break;
		case OPT_SKIP: ro.skip_corrupt = 1; break;
		case OPT_REMOVE: remove = 1; break;
		case 'h': sst_cli_help(usage_text);
		case SST_OPT_VERSION: sst_cli_version();
		default: sst_cli_bad_option();
		}
	}
	sst_cli_out_or_into(out, into, wait);
	if (optind >= argc)
		sst_cli_usage_error("missing WAL operand");
	for (c = optind; remove && c < argc; c++)
		if (strcmp(argv[c], "-") == 0)
			sst_cli_usage_error("--remove: standard input ('-') cannot be removed");
	sst_progress_init(&prog, sst_prog, progress);
	ro.progress = sst_progress_cb;
	ro.progress_arg = &prog;
	ro.report = report;
	/* Before any input is read. */
	if (out != NULL && (rc = sst_out_check(out, &err)) != SST_OK)
		goto done;
	if (into != NULL && (rc = sst_store_open_writer(&store, into, 1, wait, &err)) != SST_OK)
		goto done;
	if ((rc = sst_replay(out, store, argv + optind, (size_t)(argc - optind), &ro, &err)) != SST_OK)
		goto done;
	if (remove)
		rc = remove_wals(argv + optind, argc - optind, &err);
done:
	sst_progress_done(&prog);
	if (rc != SST_OK)
		sst_store_discard(&store);	/* a store this run created goes */
	sst_store_close(&store);
	if (rc != SST_OK)
		return sst_cli_fail(&err);
	return 0;
}
