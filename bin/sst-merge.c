/*
 * sst-merge - k-way merge of tables into new table(s), and compaction of a
 * store (see man/sst-merge.1).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "compact.h"
#include "err.h"
#include "fileio.h"
#include "cli_progress.h"
#include "sources.h"
#include "splitw.h"
#include "store.h"
#include "table.h"

enum {
	OPT_DROP_DELETES = SST_OPT_FIRST_TOOL,
	OPT_SPLIT,
	OPT_COMPACT,
	OPT_STRATEGY,
	OPT_WAIT,
	OPT_ONCE,
	OPT_SET,
	OPT_SPLIT_AT
};

static const char usage_text[] =
    "Usage: sst-merge [-b SIZE] [-c zstd|none] [-l N] [--bloom-bits N] [-j N] [-q | --progress]\n"
    "                 [--drop-deletes] [--split SIZE | --split-at FILE] -o OUT INPUT...\n"
    "       sst-merge --compact [--strategy size-tiered|leveled] [--set NAME=VALUE]...\n"
    "                 [--wait] [--once] [-b SIZE] [-c zstd|none] [-l N] [--bloom-bits N]\n"
    "                 [-j N] [-q | --progress] STORE\n"
    "\n"
    "Merges tables (later INPUTs newer; a store INPUT stands for its tables) into OUT,\n"
    "or runs the compactions that STORE's strategy finds due.\n"
    "\n"
    "  -o, --output OUT       the merged table (with --split: OUT-0001.sst, OUT-0002.sst, ...)\n"
    "  -b, --block-size SIZE  data block size (default 8K)\n"
    "  -c, --compression C    zstd (default) or none\n"
    "  -l, --level N          zstd level (default 3)\n"
    "      --bloom-bits N     bloom filter bits per key, 0 for none (default 10)\n"
    "      --dict-size SIZE   zstd dictionary size, 0 for none (default 32K)\n"
    "  -j, --threads N        worker threads (default: the number of cores)\n"
    "  -q, --quiet            no progress\n"
    "      --progress         progress on stderr even when it is not a terminal\n"
    "      --drop-deletes     leave deleted keys out (the inputs hold all older data)\n"
    "      --split SIZE       cut the output into tables of about SIZE\n"
    "      --split-at FILE    cut the output at the keys of a split file (sst-sample(1))\n"
    "      --compact          compact STORE\n"
    "      --strategy S       size-tiered or leveled (recorded in the store)\n"
    "      --set NAME=VALUE   set a compaction option (recorded in the store)\n"
    "      --wait             wait for a store locked by another writer (else exit 75)\n"
    "      --once             at most one compaction\n"
    "  -h, --help             this help\n"
    "      --version          the version\n";

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	SST_CLI_TABLE_LONGOPTS,
	{ "threads", required_argument, NULL, 'j' },
	SST_PROGRESS_LONGOPTS,
	{ "drop-deletes", no_argument, NULL, OPT_DROP_DELETES },
	{ "split", required_argument, NULL, OPT_SPLIT },
	{ "split-at", required_argument, NULL, OPT_SPLIT_AT },
	{ "compact", no_argument, NULL, OPT_COMPACT },
	{ "strategy", required_argument, NULL, OPT_STRATEGY },
	{ "wait", no_argument, NULL, OPT_WAIT },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "set", required_argument, NULL, OPT_SET },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, SST_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static int
do_merge(const char *out, char **inputs, int ninputs, sst_merge_opts *mo, int pmode,
    uint64_t split, const char *split_at)
{
	sst_splits keys = { 0 };
	sst_splitw *sw = NULL;
	int parts = split > 0 || split_at != NULL;
	sst_progress prog;
	sst_sources src = { NULL, 0 };
	char **outs = NULL;
	size_t nouts = 0;
	sst_err e = { 0 };
	int rc;

	/* The outputs before any input is read; stale temporary parts go. */
	rc = parts ? sst_out_check_split(out, &e) : sst_out_check(out, &e);
	if (rc == SST_OK && parts)
		rc = sst_out_clean_split(out, &e);
	if (rc == SST_OK && split_at != NULL)
		rc = sst_splits_read(&keys, split_at, &e);
	if (rc != SST_OK)
		return sst_cli_fail(&e);
	/* Any number of inputs: sources.h keeps a bounded number open. */
	if ((rc = sst_sources_open(&src, inputs, (size_t)ninputs, &e)) != SST_OK) {
		sst_splits_free(&keys);
		return sst_cli_fail(&e);
	}
	sst_progress_init(&prog, sst_prog, pmode);
	mo->progress = sst_progress_cb;
	mo->progress_arg = &prog;
	mo->keep_empty = 1;
	/* Parts (splitw.h) are published all at once, or none. */
	if (split_at != NULL)
		rc = sst_splitw_open(&sw, out, &keys, &mo->table, &e);
	else if (split > 0)
		rc = sst_splitw_open_size(&sw, out, split, &mo->table, &e);
	if (rc == SST_OK) {
		mo->split_at = sw;
		rc = sst_merge_sources(&src, mo, sst_merge_out_path, (void *)out, &outs, &nouts,
		    NULL, &e);
	}
	if (rc == SST_OK && sw != NULL)
		rc = sst_splitw_finish(&sw, &e);
	sst_splitw_abort(&sw);
	mo->split_at = NULL;
	sst_splits_free(&keys);
	sst_progress_done(&prog);
	mo->progress = NULL;	/* prog ends with this function */
	mo->progress_arg = NULL;
	sst_merge_outs_free(outs, nouts);
	sst_sources_close(&src);
	return rc == SST_OK ? 0 : sst_cli_fail(&e);
}

typedef struct compact_out {
	sst_progress prog;
	int pmode;
	int werrno;		/* the first failed write's errno, 0 if none */
} compact_out;

/* The merge's progress ends; one line on stdout per compaction, then a
 * fresh progress for the next. */
static void
print_compaction(void *arg, const sst_compaction *c)
{
	compact_out *co = arg;
	const char *strategy = sst_strategy_name(c->strategy);

	sst_progress_done(&co->prog);
	if (c->move && c->moved != NULL)
		printf("%s: compact %s: moved %s from level %d to level %d "
		    "(%" PRIu64 " bytes, not rewritten: a trivial move)\n", sst_prog,
		    strategy, c->moved, c->from_level, c->out_level, c->moved_bytes);
	else if (c->move)
		printf("%s: compact %s: moved %zu tables from level %d to level "
		    "%d (%" PRIu64 " bytes, not rewritten: a trivial move)\n", sst_prog,
		    strategy, c->st.inputs, c->from_level, c->out_level, c->moved_bytes);
	else
		printf("%s: compact %s: %zu tables (level %d) -> %zu tables "
		    "(level %d): %" PRIu64 " bytes in, %" PRIu64 " bytes out, %" PRIu64
		    " records in, %" PRIu64 " out, %" PRIu64 " dropped%s, %.2f s\n", sst_prog,
		    strategy, c->st.inputs, c->from_level, c->st.outputs,
		    c->out_level, c->st.bytes_in, c->st.bytes_out, c->st.records_in,
		    c->st.records_out, c->st.records_in - c->st.records_out,
		    c->drop ? " (deletes dropped)" : "", c->st.seconds);
	if (fflush(stdout) != 0 && co->werrno == 0)
		co->werrno = errno;
	sst_progress_init(&co->prog, sst_prog, co->pmode);
}

static int
do_compact(const char *store, const sst_compact_opts *o, int pmode)
{
	sst_compact_opts co = *o;
	sst_err e = { 0 };
	compact_out out;
	int rc;

	out.pmode = pmode;
	out.werrno = 0;
	sst_progress_init(&out.prog, sst_prog, pmode);
	co.progress = sst_progress_cb;
	co.progress_arg = &out.prog;
	co.on_compaction = print_compaction;
	co.arg = &out;
	rc = sst_compact(store, &co, NULL, &e);
	sst_progress_done(&out.prog);
	if (rc == SST_OK && (fflush(stdout) != 0 || ferror(stdout))) {
		if (out.werrno != 0)
			errno = out.werrno;	/* the summary's write failed first */
		rc = sst_err_write(&e, "stdout");
	}
	return rc == SST_OK ? 0 : sst_cli_fail(&e);
}

int
main(int argc, char **argv)
{
	sst_merge_opts mo;
	sst_compact_opts co;
	const char *out = NULL, *split_at = NULL;
	uint64_t split = 0;
	char **sets = NULL;
	size_t nset = 0;
	int c, compact = 0, pmode = SST_PROGRESS_AUTO, threads;

	sst_cli_init(argv[0]);
	memset(&mo, 0, sizeof(mo));
	sst_table_opts_default(&mo.table);
	sst_compact_opts_default(&co);
	threads = sst_cli_ncpu();
	if ((sets = calloc((size_t)argc + 1, sizeof(*sets))) == NULL) {
		fprintf(stderr, "%s: out of memory\n", sst_prog);
		return SST_ESYS;
	}
	while ((c = getopt_long(argc, argv, "o:b:c:l:j:qh", longopts, NULL)) != -1) {
		if (sst_cli_table_opt(c, optarg, &mo.table) || sst_progress_opt(c, &pmode))
			continue;
		switch (c) {
		case 'o': out = optarg; break;
		case 'j': threads = (int)sst_cli_int("--threads", optarg, 1, 256); break;
		case OPT_DROP_DELETES: mo.drop_deletes = 1; break;
		case OPT_SPLIT:
			split = sst_cli_size("--split", optarg, 1, UINT64_C(1) << 50);
			break;
		case OPT_SPLIT_AT: split_at = optarg; break;
		case OPT_COMPACT: compact = 1; break;
		case OPT_STRATEGY:
			if (sst_strategy_parse(optarg, &co.strategy) != 0)
				sst_cli_usage_error("--strategy: want size-tiered or leveled, not '%s'",
				    optarg);
			break;
		case OPT_WAIT: co.wait = 1; break;
		case OPT_ONCE: co.once = 1; break;
		case OPT_SET: {
			sst_store_knobs k;
			sst_err e = { 0 };
			const char *eq = strchr(optarg, '=');
			char name[64];

			sst_store_knobs_default(&k);
			if (eq == NULL || (size_t)(eq - optarg) >= sizeof(name))
				sst_cli_usage_error("--set: want NAME=VALUE, not '%s'", optarg);
			memcpy(name, optarg, (size_t)(eq - optarg));
			name[eq - optarg] = '\0';
			if (sst_store_knob_set(&k, name, eq + 1, &e) != SST_OK)
				sst_cli_usage_error("--set: %s", e.msg);
			sets[nset++] = optarg;
			break;
		}
		case 'h': free(sets); sst_cli_help(usage_text);
		case SST_OPT_VERSION: sst_cli_version();
		default: free(sets); sst_cli_bad_option();
		}
	}
	mo.table.threads = threads;
	if (compact) {
		if (out != NULL || mo.drop_deletes || split || split_at != NULL)
			sst_cli_usage_error("--compact takes no -o, --drop-deletes, --split or --split-at");
		if (argc - optind != 1)
			sst_cli_usage_error("--compact wants exactly one STORE");
		co.table = mo.table;
		co.set = sets;
		co.nset = nset;
		c = do_compact(argv[optind], &co, pmode);
	} else {
		if (co.strategy >= 0 || co.wait || co.once || nset)
			sst_cli_usage_error("--strategy, --set, --wait and --once go with --compact");
		if (out == NULL)
			sst_cli_usage_error("no output: -o OUT is required (or --compact STORE)");
		if (optind >= argc)
			sst_cli_usage_error("no INPUT tables");
		if (split && split_at != NULL)
			sst_cli_usage_error("--split SIZE and --split-at FILE exclude each other");
		c = do_merge(out, argv + optind, argc - optind, &mo, pmode, split, split_at);
	}
	free(sets);
	return c;
}
