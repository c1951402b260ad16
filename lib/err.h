/*
 * err.h - the one error convention of sstkit.
 *
 * Every library function that can fail takes a `sst_err *` as its last
 * argument and returns an int: SST_OK (0) on success, otherwise one of the
 * codes below. The tools map them to their exit statuses (sst_cli_status
 * in cli/cli.h; each man page's EXIT STATUS): the same numbers, but for
 * SST_EDAMAGE.
 * On failure the function has filled err->msg with one line naming the file
 * and place: "PATH[:LINE|@OFFSET]: what is wrong". A tool prints
 * "TOOL: <msg>" and exits with the code.
 *
 * Three kinds of function keep to the convention without an sst_err, and
 * nothing else is allowed (no -1 for failure, no sentinel strings):
 *
 *   Decoders of bytes that cannot know the file or its path (a block, a
 *   footer, a block handle, a varint, a WAL record): return SST_OK,
 *   SST_EDATA for bytes that are malformed, or SST_ESYS when out of
 *   memory; when there is more to say than the code, a `const char **why`
 *   argument receives a static detail string ("bad restart offset"). The
 *   caller owns the message: on SST_EDATA it writes err->msg with the path,
 *   the structure and its offset ("PATH: data block @OFFSET: WHY"), on
 *   SST_ESYS "PATH: out of memory". Decide by the code, never by comparing
 *   why.
 *
 *   Parsers of one word or number (a format name, a size, a table name):
 *   return SST_OK or SST_EDATA and leave the message to the caller, which
 *   knows where the text came from (an option: SST_EUSAGE, "OPT: what";
 *   a file: SST_EDATA, "PATH:LINE: what").
 *
 *   Predicates and lookups that cannot fail report no error: they return
 *   1 or 0, an order (-1, 0, 1), or an index (-1 for none).
 *
 * Callbacks handed to another library keep that library's convention
 * (libarchive's read callbacks return -1) and keep our code and message
 * aside for the caller.
 *
 * Thread-safety: an sst_err belongs to one thread.
 */
#ifndef SST_ERR_H
#define SST_ERR_H

#include <stddef.h>

enum sst_code {
	SST_OK = 0,
	SST_NOTFOUND = 1,	/* a negative answer (get: not found) */
	SST_EUSAGE = 2,		/* bad command line */
	SST_EDATA = 3,		/* malformed input, not a table, damaged file */
	SST_ESYS = 4,		/* I/O, no space, permission, out of memory */
	SST_EDAMAGE = 5,	/* verify: damage found (sst-verify exits 1) */
	SST_ELOCKED = 75	/* a store is locked by another writer */
};

typedef struct sst_err {
	int code;
	char msg[1024];
} sst_err;

/* Sets err (if not NULL) to code and a printf-formatted message; returns code. */
int sst_error(sst_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * For a failed system call: code SST_ESYS, message
 * "<formatted>: strerror(errno)". Reads errno; returns SST_ESYS.
 */
int sst_syserr(sst_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Out of memory: "<what>: out of memory", SST_ESYS. */
int sst_nomem(sst_err *err, const char *what);

/*
 * The situations of the contract's exit-status table ("Common conventions"),
 * each built in one place so that every tool says the same thing:
 *
 *   a path that does not exist or cannot be opened or read (ENOENT, EACCES,
 *   EISDIR for a file input)            sst_err_path     4 "PATH: strerror"
 *   a path that exists but is not what the tool reads (a directory with no
 *   MANIFEST given as a table or store, a text file given as a table)
 *                                       sst_err_notwhat  3 "PATH: not ..."
 *   a bad escape, key or number in a command-line argument
 *                                       sst_err_arg      2 "OPT: what"
 *   a bad escape or malformed record in data (records, keys on stdin)
 *                                       sst_err_data     3 "WHERE: what"
 *   an output stream that cannot be written (stdout closed early with
 *   SIGPIPE ignored, a full disk)       sst_err_write    4 "NAME: write: strerror"
 *
 * Standard input is named SST_STDIN_NAME ("-") in every message.
 */
#define SST_STDIN_NAME "-"

/* A failed open/stat/read of path: SST_ESYS, "PATH: strerror(errno)". Reads errno. */
int sst_err_path(sst_err *err, const char *path);
/* path is not what the tool reads: SST_EDATA, "PATH: not <what>". */
int sst_err_notwhat(sst_err *err, const char *path, const char *what);
/* A bad command-line argument: SST_EUSAGE, "OPT: <what>". */
int sst_err_arg(sst_err *err, const char *opt, const char *what);
/* Malformed data at where ("PATH:LINE" or "PATH@OFFSET"): SST_EDATA, "WHERE: <what>". */
int sst_err_data(sst_err *err, const char *where, const char *what);
/* A failed write to an output stream: SST_ESYS, "NAME: write: strerror(errno)". */
int sst_err_write(sst_err *err, const char *name);

/* malloc/realloc/calloc that set err on failure (return NULL). */
void *sst_malloc(size_t n, sst_err *err);
void *sst_realloc(void *p, size_t n, sst_err *err);
void *sst_calloc(size_t n, size_t size, sst_err *err);

/*
 * For the static analyser only (make lint): it sees this header, not err.c,
 * and would otherwise assume the error constructors may return SST_OK and
 * follow `return sst_error(...)` into the caller's success path. They always
 * return their code; these macros say so, and change nothing in a build.
 */
#ifdef __clang_analyzer__
#define sst_error(err, code, ...) (sst_error((err), (code), __VA_ARGS__), (code))
#define sst_syserr(err, ...) (sst_syserr((err), __VA_ARGS__), SST_ESYS)
#define sst_nomem(err, what) (sst_nomem((err), (what)), SST_ESYS)
#endif

#endif
