/*
 * sst-sample: a uniform random sample of the keys of record inputs, and the
 * split file chosen from samples (see man/sst-sample.1).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "records.h"
#include "sampler.h"
#include "splitfile.h"

enum { OPT_SEED = SST_OPT_FIRST_TOOL, OPT_SPLITS };

static const char usage_text[] =
"Usage: sst-sample [-n COUNT] [--seed N] [-f FMT] [-e] [INPUT...]\n"
"       sst-sample --splits N [SAMPLE...]\n"
"Print a random sample of at most COUNT keys of the records of the INPUTs as\n"
"KEY<TAB>BYTES lines in key order (KEY escaped as with -e; BYTES the input's\n"
"key and value bytes the sample stands for), or, with --splits, combine\n"
"samples into a split file of at most N-1 keys cutting them into N parts.\n"
"INPUT is a file (plain, compressed or an archive) or - for stdin (default).\n"
"\n"
"  -n, --count COUNT      keys to sample (default 10000)\n"
"      --seed N           seed of the random choice (default 0)\n"
"  -f, --format FMT       input format: tsv (default) or cdb\n"
"  -e, --escape           decode backslash escapes in tsv keys and values\n"
"      --splits N         print the split file of N parts of the SAMPLEs\n"
"  -h, --help             this help\n"
"      --version          print the version\n";

static const struct option longopts[] = {
	{ "count", required_argument, NULL, 'n' },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "format", required_argument, NULL, 'f' },
	{ "escape", no_argument, NULL, 'e' },
	{ "splits", required_argument, NULL, OPT_SPLITS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, SST_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* One input record into the sample: its key and the bytes it stands for. */
static int
sample_record(void *arg, sst_reader *rd, sst_rec *r, uint64_t before, sst_err *err)
{
	(void)rd;
	(void)before;
	return sst_sampler_add(arg, r->key, r->klen, r->klen + r->vlen, err);
}

static int
do_sample(char **inputs, int n, size_t count, uint64_t seed, const sst_rec_opts *ro,
    sst_err *err)
{
	sst_sampler *s;
	int rc;

	if ((rc = sst_sampler_new(&s, count, seed, err)) != SST_OK)
		return rc;
	rc = sst_cli_read_inputs(inputs, n, ro, sample_record, s, err);
	if (rc == SST_OK)
		rc = sst_sampler_write(s, stdout, err);
	sst_sampler_free(&s);
	return rc;
}

static int
do_splits(char **samples, int n, size_t nparts, sst_err *err)
{
	sst_sample_set *ss;
	sst_splits cuts;
	size_t i, kl;
	const uint8_t *k;
	int j, rc;

	if ((rc = sst_sample_set_new(&ss, err)) != SST_OK)
		return rc;
	if (n == 0)
		rc = sst_sample_set_read(ss, "-", err);
	for (j = 0; j < n && rc == SST_OK; j++)
		rc = sst_sample_set_read(ss, samples[j], err);
	if (rc == SST_OK && (rc = sst_sample_set_cuts(ss, nparts, &cuts, err)) == SST_OK) {
		for (i = 0; i < cuts.n && rc == SST_OK; i++) {
			k = sst_splits_key(&cuts, i, &kl);
			rc = sst_splits_write_key(stdout, k, kl, err);
		}
		sst_splits_free(&cuts);
	}
	sst_sample_set_free(&ss);
	return rc;
}

int
main(int argc, char **argv)
{
	sst_rec_opts ro = { SST_FMT_TSV, 0, 0 };
	long long count = SST_SAMPLE_DEFAULT_COUNT, splits = 0;
	uint64_t seed = 0;
	int c, rc, sample_opts = 0;
	sst_err err = { 0, "" };

	sst_cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, "n:f:eh", longopts, NULL)) != -1) {
		if (sst_cli_records_opt(c, optarg, &ro)) {
			sample_opts = 1;
			continue;
		}
		switch (c) {
		case 'n':
			count = sst_cli_int("--count", optarg, 1, 100000000);
			sample_opts = 1;
			break;
		case OPT_SEED:
			seed = (uint64_t)sst_cli_int("--seed", optarg, 0, INT64_MAX);
			sample_opts = 1;
			break;
		case OPT_SPLITS: splits = sst_cli_int("--splits", optarg, 1, 10000000); break;
		case 'h': sst_cli_help(usage_text);
		case SST_OPT_VERSION: sst_cli_version();
		default: sst_cli_bad_option();
		}
	}
	if (splits && sample_opts)
		sst_cli_usage_error("--splits reads sample files: -n, --seed, -f and -e go without it");
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (splits)
		rc = do_splits(argv + optind, argc - optind, (size_t)splits, &err);
	else
		rc = do_sample(argv + optind, argc - optind, (size_t)count, seed, &ro, &err);
	if (rc == SST_OK && (fflush(stdout) != 0 || ferror(stdout)))
		rc = sst_syserr(&err, "stdout: write");
	if (rc != SST_OK)
		return sst_cli_fail(&err);
	return 0;
}
