/* sst-verify: prove tables and stores intact, or say where not. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "store.h"
#include "table.h"

static const char usage_text[] =
"Usage: sst-verify [-q] TABLE|STORE...\n"
"Check magic and version, every checksum, that every block decompresses,\n"
"that keys strictly increase, that index and filter agree with the data and\n"
"the properties with the counts; for a store, the manifest, its files and\n"
"the level rules. Exit 0 when all is intact, 1 when anything is damaged.\n"
"\n"
"  -q, --quiet     print nothing for intact files (damage is still reported)\n"
"  -h, --help      this help\n"
"      --version   print the version\n";

static const struct option longopts[] = {
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, SST_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
main(int argc, char **argv)
{
	int c, quiet = 0, rc = 0, i;

	sst_cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = 1; break;
		case 'h': sst_cli_help(usage_text);
		case SST_OPT_VERSION: sst_cli_version();
		default: sst_cli_bad_option();
		}
	}
	if (optind == argc)
		sst_cli_usage_error("no TABLE or STORE given");
	for (i = optind; i < argc; i++) {
		sst_err err = { 0, "" };
		sst_props p;
		int r, store;

		memset(&p, 0, sizeof(p));
		if ((r = sst_store_check_path(argv[i], &store, &err)) != SST_OK) {
			sst_cli_fail(&err);	/* not a store: 3, as in every tool */
			rc = rc ? rc : r;
			continue;
		}
		r = store ? sst_store_verify(argv[i], &err) : sst_table_verify(argv[i], &p, &err);
		if (r == SST_OK) {
			if (quiet)
				continue;
			if (store)
				printf("%s: ok (store)\n", argv[i]);
			else
				printf("%s: ok (%" PRIu64 " records, %" PRIu64 " data blocks)\n",
				    argv[i], p.records, p.data_blocks);
			continue;
		}
		/* a file that is no intact table is damage (1); a directory
		 * with no MANIFEST is no table at all (3, as in every tool) */
		if (r == SST_EDATA)
			err.code = r = SST_EDAMAGE;
		if (r == SST_EDAMAGE && !store && is_dir(argv[i]))
			err.code = r = SST_EDATA;
		sst_cli_fail(&err);
		/* Damage (1) outranks nothing; bad data (3) or a system error (4) outranks damage. */
		if (rc == 0 || (r != SST_EDAMAGE && rc == SST_EDAMAGE))
			rc = r;
	}
	if (fflush(stdout) != 0) {
		sst_err err;

		sst_err_write(&err, "stdout");
		return sst_cli_fail(&err);
	}
	return sst_cli_status(rc);
}
