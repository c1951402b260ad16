/* sst-ingest: add finished tables to a store in one commit (lib/ingest.h). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "ingest.h"

enum { OPT_MOVE = SST_OPT_FIRST_TOOL, OPT_WAIT };

static const char usage_text[] =
"Usage: sst-ingest [--move] [--wait] [-q] STORE TABLE...\n"
"Add finished tables to STORE (created if absent) in one commit: all of them\n"
"become live, or none. Each TABLE is fully checked first. They become the\n"
"store's newest data for their keys (later TABLEs newer); in a leveled store\n"
"pairwise disjoint tables go to the deepest level that nothing in it or\n"
"above it overlaps, other sets to level 0.\n"
"\n"
"      --move      remove the TABLE files after the commit\n"
"      --wait      wait for a store locked by another writer (else exit 75)\n"
"  -q, --quiet     no summary line\n"
"  -h, --help      this help\n"
"      --version   print the version\n";

static const struct option longopts[] = {
	{ "move", no_argument, NULL, OPT_MOVE },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, SST_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char **argv)
{
	sst_ingest_opts o = { 0, 0 };
	sst_ingest_result res;
	sst_err err = { 0, "" };
	int c, quiet = 0;

	sst_cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_MOVE: o.move = 1; break;
		case OPT_WAIT: o.wait = 1; break;
		case 'q': quiet = 1; break;
		case 'h': sst_cli_help(usage_text);
		case SST_OPT_VERSION: sst_cli_version();
		default: sst_cli_bad_option();
		}
	}
	if (argc - optind < 2)
		sst_cli_usage_error(optind == argc ? "no STORE given" : "no TABLE given");
	if (sst_ingest(argv[optind], argv + optind + 1, (size_t)(argc - optind - 1), &o, &res,
	    &err) != SST_OK)
		return sst_cli_fail(&err);
	if (!quiet)
		printf("%s: %zu table%s, %" PRIu64 " records, %" PRIu64 " bytes -> level %d%s\n",
		    sst_prog, res.tables, res.tables == 1 ? "" : "s", res.records, res.bytes,
		    res.level, res.copied ? " (copied)" : " (linked)");
	if (fflush(stdout) != 0) {
		sst_syserr(&err, "stdout: write");
		return sst_cli_fail(&err);
	}
	return 0;
}
