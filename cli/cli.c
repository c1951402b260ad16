#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fileio.h"
#include "records.h"
#include "util.h"

#ifndef SST_VERSION
#define SST_VERSION "0.0.0"
#endif

const char *sst_prog = "sstkit";

void
sst_cli_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);	/* best effort */
	}
}

void
sst_cli_init(char *prog)
{
	char *slash = strrchr(prog, '/');

	/* getopt_long names argv[0] in its messages: make it the bare name. */
	if (slash != NULL)
		memmove(prog, slash + 1, strlen(slash + 1) + 1);
	sst_prog = prog;
	sst_cleanup_install();
	sst_cli_raise_nofile();
}

int
sst_cli_status(int code)
{
	return code == SST_EDAMAGE ? 1 : code;
}

int
sst_cli_fail(const sst_err *e)
{
	fprintf(stderr, "%s: %s\n", sst_prog, e->msg[0] ? e->msg : "error");
	return sst_cli_status(e->code ? e->code : SST_ESYS);
}

void
sst_cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", sst_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", sst_prog);
	exit(SST_EUSAGE);
}

void
sst_cli_bad_option(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", sst_prog);
	exit(SST_EUSAGE);
}

/* Exits 0 once stdout holds what was printed, else 4 naming stdout. */
static void __attribute__((noreturn))
exit_printed(void)
{
	sst_err e = { 0, "" };

	if (fflush(stdout) != 0 || ferror(stdout)) {
		(void)sst_err_write(&e, "stdout");
		exit(sst_cli_fail(&e));
	}
	exit(0);
}

void
sst_cli_version(void)
{
	printf("%s (sstkit) %s\n", sst_prog, SST_VERSION);
	exit_printed();
}

void
sst_cli_help(const char *text)
{
	fputs(text, stdout);
	exit_printed();
}

uint64_t
sst_cli_size(const char *opt, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (sst_parse_size(arg, min, max, &v) != 0)
		sst_cli_usage_error("%s: invalid size '%s' (want %llu to %llu, K/M/G suffix allowed)",
		    opt, arg, (unsigned long long)min, (unsigned long long)max);
	return v;
}

long long
sst_cli_int(const char *opt, const char *arg, long long min, long long max)
{
	long long v;

	if (sst_parse_int(arg, min, max, &v) != 0)
		sst_cli_usage_error("%s: invalid number '%s' (want %lld to %lld)", opt, arg, min, max);
	return v;
}

void
sst_cli_stdin_hint(const char *what, const char *form)
{
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "%s: reading %s from the terminal (%s; end with Ctrl-D)\n",
		    sst_prog, what, form);
}

void
sst_cli_records_hint(const char *path, int fmt)
{
	if (path == NULL || strcmp(path, "-") == 0)
		sst_cli_stdin_hint("records", fmt == SST_FMT_CDB ?
		    "cdb: +KLEN,VLEN:KEY->VALUE per record" : "tsv: KEY<TAB>VALUE per line");
}

int
sst_cli_ncpu(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (n > 256 ? 256 : (int)n);
}

int
sst_cli_table_opt(int c, const char *arg, sst_table_opts *o)
{
	switch (c) {
	case 'b':
		o->block_size = (size_t)sst_cli_size("--block-size", arg,
		    SST_MIN_BLOCK_SIZE, SST_MAX_BLOCK_SIZE);
		return 1;
	case 'c':
		if (strcmp(arg, "zstd") == 0)
			o->compression = SST_COMP_ZSTD;
		else if (strcmp(arg, "none") == 0)
			o->compression = SST_COMP_NONE;
		else
			sst_cli_usage_error("--compression: want zstd or none, not '%s'", arg);
		return 1;
	case 'l':
		o->level = (int)sst_cli_int("--level", arg, -7, 22);
		return 1;
	case SST_OPT_BLOOM_BITS:
		o->bloom_bits = (int)sst_cli_int("--bloom-bits", arg, 0, SST_MAX_BLOOM_BITS);
		return 1;
	case SST_OPT_DICT_SIZE:
		o->dict_size = (size_t)sst_cli_size("--dict-size", arg, 0, SST_DICT_MAX);
		if (o->dict_size > 0 && o->dict_size < SST_DICT_MIN)
			sst_cli_usage_error("--dict-size: invalid size '%s' (want 0 for none, or %u to %u)",
			    arg, SST_DICT_MIN, SST_DICT_MAX);
		return 1;
	default:
		return 0;
	}
}

void
sst_cli_out_or_into(const char *out, const char *into, int wait)
{
	if ((out == NULL) == (into == NULL))
		sst_cli_usage_error("give exactly one of -o OUT.sst and --into STORE");
	if (wait && into == NULL)
		sst_cli_usage_error("--wait goes with --into");
}

int
sst_cli_records_opt(int c, const char *arg, sst_rec_opts *ro)
{
	switch (c) {
	case 'f':
		if (sst_fmt_parse(arg, &ro->fmt) != 0)
			sst_cli_usage_error("--format: want tsv or cdb, not '%s'", arg);
		return 1;
	case 'e':
		ro->escape = 1;
		return 1;
	case SST_OPT_DELETE:
		ro->all_delete = 1;
		return 1;
	default:
		return 0;
	}
}
