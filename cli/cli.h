/*
 * cli.h (cli/, linked into the tools, never into the library) - what every
 * tool's main shares: the program name, "TOOL: message"
 * errors with the contract's exit codes, usage errors (exit 2), --version,
 * range-checked SIZE and integer options, and the table options common to
 * sst-build, sst-merge and wal-replay (-b, -c, -l, --bloom-bits, --dict-size).
 *
 * Thread-safety: call from the main thread.
 */
#ifndef SST_CLI_H
#define SST_CLI_H

#include <stdint.h>

#include "err.h"
#include "records.h"
#include "table.h"

/* Long-only option codes shared by the tools (getopt_long `val`s). */
enum {
	SST_OPT_VERSION = 1000,
	SST_OPT_BLOOM_BITS,
	SST_OPT_PROGRESS,
	SST_OPT_DICT_SIZE,
	SST_OPT_DELETE,
	SST_OPT_FIRST_TOOL = 1100	/* tools number their own from here */
};

extern const char *sst_prog;

/*
 * Sets the program name (argv[0] is cut to its last component, so that
 * getopt_long's messages read "TOOL: ..."), installs the temp-file
 * cleanup handlers and raises the open-file limit to its hard limit.
 */
void sst_cli_init(char *prog);

/* Raises the soft RLIMIT_NOFILE to the hard limit (sst_cli_init does). */
void sst_cli_raise_nofile(void);

/* The exit status of a library code (err.h): the code itself, but 1 for SST_EDAMAGE. */
int sst_cli_status(int code);
/* Prints "PROG: msg" to stderr and returns the exit status of e->code
 * (for `return sst_cli_fail(&e)`). */
int sst_cli_fail(const sst_err *e);

/* Prints "PROG: <fmt>" and "Try 'PROG --help'." to stderr; exits 2. */
void sst_cli_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* After getopt_long reported a bad option: prints the --help hint; exits 2. */
void sst_cli_bad_option(void) __attribute__((noreturn));

/* Prints "PROG (sstkit) VERSION" to stdout; exits 0 (4 as sst_cli_help). */
void sst_cli_version(void) __attribute__((noreturn));
/* -h/--help: prints text to stdout and exits 0, or 4 naming stdout when
 * it cannot be written (/dev/full, a closed pipe with SIGPIPE ignored). */
void sst_cli_help(const char *text) __attribute__((noreturn));

/* Parse an option argument or exit 2 naming the option. */
uint64_t sst_cli_size(const char *opt, const char *arg, uint64_t min, uint64_t max);
long long sst_cli_int(const char *opt, const char *arg, long long min, long long max);

/*
 * When standard input is a terminal, says once on stderr what the tool now
 * waits for: "PROG: reading WHAT from the terminal (FORM; end with Ctrl-D)".
 * Call before reading WHAT (records, keys) from stdin.
 */
void sst_cli_stdin_hint(const char *what, const char *form);
/* The hint for records of format fmt (enum sst_fmt) read from path (NULL or "-": stdin). */
void sst_cli_records_hint(const char *path, int fmt);

/* Number of online cores (>= 1). */
int sst_cli_ncpu(void);

/*
 * Reads the records of the inputs paths[0..n) in order (n == 0: stdin),
 * each through a reader with ro (records.h), and gives each record to fn
 * until fn or a reader returns a code other than SST_OK (returned). Before
 * an input from stdin it prints the terminal hint (sst_cli_records_hint),
 * after each input the reader's hint, if any ("PROG: HINT"). fn gets the
 * reader (for sst_reader_where, sst_reader_bytes_in) and before: the input
 * bytes of the inputs read before this one.
 */
typedef int (*sst_cli_rec_fn)(void *arg, sst_reader *rd, sst_rec *r, uint64_t before,
    sst_err *err);
int sst_cli_read_inputs(char *const *paths, int n, const sst_rec_opts *ro, sst_cli_rec_fn fn,
    void *arg, sst_err *err);

/*
 * Handles the record format options (c = 'f', 'e' or SST_OPT_DELETE) into
 * ro; returns 1 if c was one of them, 0 otherwise. Exits 2 on a bad format.
 */
int sst_cli_records_opt(int c, const char *arg, sst_rec_opts *ro);

/*
 * The output rule of the tools that write a table or into a store: exactly
 * one of -o OUT (out) and --into STORE (into), and --wait only with --into;
 * exits 2 otherwise.
 */
void sst_cli_out_or_into(const char *out, const char *into, int wait);

/* The getopt_long entries of the options sst_cli_table_opt handles. */
#define SST_CLI_TABLE_LONGOPTS \
	{ "block-size", required_argument, NULL, 'b' }, \
	{ "compression", required_argument, NULL, 'c' }, \
	{ "level", required_argument, NULL, 'l' }, \
	{ "bloom-bits", required_argument, NULL, SST_OPT_BLOOM_BITS }, \
	{ "dict-size", required_argument, NULL, SST_OPT_DICT_SIZE }

/*
 * Handles one of the shared table options (c = 'b', 'c', 'l',
 * SST_OPT_BLOOM_BITS or SST_OPT_DICT_SIZE) into o; returns 1 if c was one of them, 0 otherwise.
 * Exits 2 on a bad argument.
 */
int sst_cli_table_opt(int c, const char *arg, sst_table_opts *o);

#endif
