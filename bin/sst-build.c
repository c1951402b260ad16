/* sst-build: records in any order to one table (or a store's newest table). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dedup.h"
#include "cli_progress.h"
#include "records.h"
#include "sorter.h"
#include "splitw.h"
#include "store.h"
#include "table.h"
#include "util.h"

enum { OPT_SORTED = SST_OPT_FIRST_TOOL, OPT_INTO, OPT_WAIT, OPT_SPLIT_AT };

static const char usage_text[] =
"Usage: sst-build [OPTIONS] -o OUT.sst [INPUT...]\n"
"       sst-build [OPTIONS] --into STORE [INPUT...]\n"
"Build one table from records in any order (later records win).\n"
"INPUT is a file (plain, compressed or an archive) or - for stdin (default).\n"
"\n"
"  -o, --output FILE      write the table to FILE (atomically)\n"
"      --into STORE       add the table to STORE as its newest (creates STORE)\n"
"      --wait             with --into: wait for the store's lock instead of exit 75\n"
"      --split-at FILE    with -o: one table per key range of a split file\n"
"                         (OUT-0001.sst ... OUT-N.sst for N-1 keys)\n"
"  -f, --format FMT       input format: tsv (default) or cdb\n"
"  -e, --escape           decode backslash escapes in tsv keys and values\n"
"      --delete           every input record is a delete of its key\n"
"      --sorted           input is sorted: no sort; disorder is an error\n"
"  -m, --memory SIZE      memory cap for sorting (default 256M)\n"
"  -T, --tmpdir DIR       directory for sorted runs (default $TMPDIR or /tmp)\n"
"  -b, --block-size SIZE  data block size before compression (default 8K)\n"
"  -c, --compression ALG  zstd (default) or none\n"
"  -l, --level N          zstd level (default 3)\n"
"      --bloom-bits N     bloom filter bits per key, 0 for none (default 10)\n"
"      --dict-size SIZE   zstd dictionary size, 0 for none (default 32K)\n"
"  -j, --threads N        worker threads (default: number of cores)\n"
"  -q, --quiet            no progress\n"
"      --progress         progress on stderr even when it is not a terminal\n"
"  -h, --help             this help\n"
"      --version          print the version\n";

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "into", required_argument, NULL, OPT_INTO },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "split-at", required_argument, NULL, OPT_SPLIT_AT },
	{ "format", required_argument, NULL, 'f' },
	{ "escape", no_argument, NULL, 'e' },
	{ "delete", no_argument, NULL, SST_OPT_DELETE },
	{ "sorted", no_argument, NULL, OPT_SORTED },
	{ "memory", required_argument, NULL, 'm' },
	{ "tmpdir", required_argument, NULL, 'T' },
	SST_CLI_TABLE_LONGOPTS,
	{ "threads", required_argument, NULL, 'j' },
	SST_PROGRESS_LONGOPTS,
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, SST_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

typedef struct build {
	sst_rec_opts ropts;
	int sorted;
	sst_progress prog;
	uint64_t records;
	sst_writer *w;
	sst_splitw *sw;		/* --split-at: the parts, instead of w */
	sst_sorter *sorter;
	sst_dedup dedup;	/* --sorted: the last of equal keys, in order */
} build;

static int
out_add(void *arg, const sst_rec *r, sst_err *err)
{
	build *b = arg;

	return b->sw != NULL ? sst_splitw_add(b->sw, r, err) : sst_writer_add(b->w, r, err);
}

/*
 * One input record: into the sorter, or with --sorted into the writer,
 * keeping only the last of equal keys.
 */
static int
add_record(void *arg, sst_reader *rd, sst_rec *r, uint64_t before, sst_err *err)
{
	build *b = arg;
	int rc;

	if (!b->sorted)
		rc = sst_sorter_add(b->sorter, r, err);
	else if ((rc = sst_dedup_add(&b->dedup, r, err)) != SST_OK && b->dedup.disorder)
		return sst_error(err, SST_EDATA, "%s: key out of order (--sorted input must be sorted)",
		    sst_reader_where(rd));
	if (rc != SST_OK)
		return rc;
	b->records++;
	sst_progress_update(&b->prog, "reading", b->records, before + sst_reader_bytes_in(rd),
	    sst_reader_total(rd));
	return SST_OK;
}

static int
drain_sorter(build *b, sst_err *err)
{
	sst_iter *it;
	uint64_t n = 0;
	int rc;

	if ((rc = sst_sorter_finish(b->sorter, &it, err)) != SST_OK)
		return rc;
	for (rc = sst_iter_first(it, err); rc == SST_OK && it->valid; rc = sst_iter_next(it, err)) {
		if ((rc = out_add(b, &it->rec, err)) != SST_OK)
			break;
		sst_progress_update(&b->prog, "writing", ++n, 0, 0);
	}
	sst_iter_destroy(&it);
	return rc;
}

int
main(int argc, char **argv)
{
	sst_table_opts topts;
	sst_sorter_opts sopts;
	const char *out = NULL, *into = NULL, *split_at = NULL;
	sst_splits splits = { 0 };
	char *table_path = NULL;
	int c, rc, wait = 0, progress = SST_PROGRESS_AUTO;
	sst_store *store = NULL;
	build b;
	sst_err err = { 0, "" };

	sst_cli_init(argv[0]);
	memset(&b, 0, sizeof(b));
	sst_dedup_init(&b.dedup, out_add, &b);
	sst_table_opts_default(&topts);
	sst_sorter_opts_default(&sopts);
	topts.threads = sopts.threads = sst_cli_ncpu();
	while ((c = getopt_long(argc, argv, "o:f:em:T:b:c:l:j:qh", longopts, NULL)) != -1) {
		if (sst_cli_table_opt(c, optarg, &topts) || sst_cli_records_opt(c, optarg, &b.ropts) ||
		    sst_progress_opt(c, &progress))
			continue;
		switch (c) {
		case 'o': out = optarg; break;
		case OPT_INTO: into = optarg; break;
		case OPT_WAIT: wait = 1; break;
		case OPT_SPLIT_AT: split_at = optarg; break;
		case OPT_SORTED: b.sorted = 1; break;
		case 'm': sopts.memory = sst_cli_size("--memory", optarg, 1u << 20, UINT64_MAX / 4); break;
		case 'T': sopts.tmpdir = optarg; break;
		case 'j': topts.threads = sopts.threads = (int)sst_cli_int("--threads", optarg, 1, 256); break;
		case 'h': sst_cli_help(usage_text);
		case SST_OPT_VERSION: sst_cli_version();
		default: sst_cli_bad_option();
		}
	}
	sst_cli_out_or_into(out, into, wait);
	if (split_at != NULL && into != NULL)
		sst_cli_usage_error("--split-at goes with -o, not --into");
	/*
	 * The filter is built after the sort has freed its memory, in slices
	 * of half of -m (at least 1 MiB): it never adds to the peak.
	 */
	topts.filter_mem = sopts.memory / 2 > (1u << 20) ? (size_t)(sopts.memory / 2) : 1u << 20;
	/* The dictionary's sample is held while the sort's merge runs: a quarter of -m, 1..2 MiB. */
	topts.dict_sample = sopts.memory / 4 < (1u << 20) ? 1u << 20 :
	    sopts.memory / 4 > SST_DICT_SAMPLE ? SST_DICT_SAMPLE : (size_t)(sopts.memory / 4);
	sst_progress_init(&b.prog, sst_prog, progress);

	if (into != NULL) {
		if ((rc = sst_store_open_writer(&store, into, 1, wait, &err)) != SST_OK ||
		    (rc = sst_store_new_table(store, &table_path, &err)) != SST_OK)
			goto done;
		out = table_path;
	}
	if (split_at != NULL) {
		if ((rc = sst_splits_read(&splits, split_at, &err)) != SST_OK ||
		    (rc = sst_splitw_open(&b.sw, out, &splits, &topts, &err)) != SST_OK)
			goto done;
	} else if ((rc = sst_writer_open(&b.w, out, &topts, &err)) != SST_OK)
		goto done;
	if (!b.sorted && (rc = sst_sorter_new(&b.sorter, &sopts, &err)) != SST_OK)
		goto done;
	if ((rc = sst_cli_read_inputs(argv + optind, argc - optind, &b.ropts, add_record, &b,
	    &err)) != SST_OK)
		goto done;
	if (b.sorted)
		rc = sst_dedup_finish(&b.dedup, &err);
	else
		rc = drain_sorter(&b, &err);
	sst_sorter_free(&b.sorter);	/* its memory is the filter's now */
	if (rc != SST_OK)
		goto done;
	if (into != NULL && sst_writer_count(b.w) == 0) {
		sst_writer_abort(&b.w);	/* nothing to add; the store exists */
		goto done;
	}
	if ((rc = b.sw != NULL ? sst_splitw_finish(&b.sw, &err) : sst_writer_finish(&b.w, &err)) != SST_OK)
		goto done;
	if (store != NULL) {
		rc = sst_store_add(store, &table_path, 1, &err);
		if (rc != SST_OK && !sst_store_lists(store, table_path))
			unlink(table_path);
	}
done:
	sst_progress_done(&b.prog);
	sst_writer_abort(&b.w);
	sst_splitw_abort(&b.sw);
	sst_splits_free(&splits);
	sst_sorter_free(&b.sorter);
	if (rc != SST_OK)
		sst_store_discard(&store);	/* a store this run created goes */
	sst_store_close(&store);
	sst_dedup_free(&b.dedup);
	free(table_path);
	if (rc != SST_OK)
		return sst_cli_fail(&err);
	return 0;
}
