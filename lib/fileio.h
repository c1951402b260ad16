/*
 * fileio.h - robust file I/O: full reads and writes that retry on EINTR,
 * atomic publication of outputs, and removal of temporary files on error and
 * on SIGINT/SIGTERM.
 *
 * Atomic output (CONTRACT.md, "Nothing is lost on failure"): sst_out_open()
 * creates "DIR/.NAME.tmp-XXXXXX" beside the final path with exclusive
 * creation (mkstemp, mode 0600) and registers it for cleanup;
 * sst_out_commit() fsyncs it, gives it mode 0666 & ~umask, renames it over
 * the final path and fsyncs the directory; sst_out_abort() unlinks it. Until
 * commit, an existing file of the final name is untouched.
 *
 * Thread-safety: the cleanup registry is guarded by a mutex; the signal
 * handler only reads it (paths are never freed while registered).
 */
#ifndef SST_FILEIO_H
#define SST_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* pread/pwrite/write loops. Errors name `path` and the offset. */
int sst_pread_full(int fd, void *buf, size_t n, uint64_t off, const char *path, sst_err *err);
int sst_write_full(int fd, const void *buf, size_t n, const char *path, sst_err *err);

typedef struct sst_out {
	int fd;
	char *path;		/* final name */
	char *tmp;		/* temporary name */
	uint64_t off;		/* bytes written so far */
	int published;		/* renamed into place (set by commit) */
} sst_out;

/* Creates the temporary file for `path`. */
int sst_out_open(sst_out *o, const char *path, sst_err *err);
/* Appends bytes (write_full). */
int sst_out_write(sst_out *o, const void *buf, size_t n, sst_err *err);
/*
 * fsync, chmod, rename, fsync dir; frees o's strings and closes fd. On an
 * error after the rename (the directory fsync), o->published is 1: the new
 * file is in place, but its name may not survive a crash.
 */
int sst_out_commit(sst_out *o, sst_err *err);
/* Closes and unlinks the temporary file; safe on a zeroed or committed o. */
void sst_out_abort(sst_out *o);

/* fsyncs the directory that holds `path` (or `path` itself if a directory). */
int sst_fsync_dir(const char *path, sst_err *err);

/*
 * Creates an anonymous temporary file in dir (unlinked at once, so nothing
 * is left even after kill -9). Returns the fd or -1 with err set.
 */
int sst_anon_tmpfile(const char *dir, sst_err *err);

/* The temp directory: tmpdir if set, else $TMPDIR, else /tmp. */
const char *sst_tmpdir(const char *tmpdir);

/* Cleanup registry for temporary paths. */
void sst_cleanup_register(const char *path);
void sst_cleanup_unregister(const char *path);
/*
 * Installs SIGINT/SIGTERM/SIGHUP handlers that unlink every registered path
 * and re-raise the signal, and the same unlinking at exit() (for libraries
 * that exit themselves). Call once at tool start.
 */
void sst_cleanup_install(void);

#endif
