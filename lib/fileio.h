/*
 * fileio.h - robust file I/O: full reads and writes that retry on EINTR,
 * checks of output paths, atomic publication of outputs, and removal of
 * temporary files on error, on SIGINT/SIGTERM and after a kill -9.
 *
 * Output paths (sst-build(1) OUTPUT, checked before the work): an
 * output PATH may be absent, a regular file, or a symbolic link to one (or
 * to a name that does not exist yet): the chain of links is followed to the
 * file it names, the TARGET, which is what gets replaced; the links stay as
 * they were. A directory, device, FIFO or socket as TARGET is SST_EUSAGE
 * ("PATH: output is a FIFO, not a regular file"); a TARGET directory that
 * is missing, not a directory, or not writable is SST_ESYS ("PATH:
 * directory DIR: Permission denied"). Tools call sst_out_check() before
 * they open any input; sst_out_open() checks again.
 *
 * Atomic output (sst-build(1) OUTPUT, nothing lost on failure): sst_out_open()
 * creates "DIR/.NAME.tmp-XXXXXX" beside the TARGET (DIR and NAME are the
 * TARGET's) with exclusive creation (mkstemp, mode 0600), registers it for
 * cleanup and takes flock(LOCK_EX) on it; sst_out_commit() fsyncs it, gives
 * it mode 0666 & ~umask, renames it over the TARGET and fsyncs the
 * directory, and only then closes it; sst_out_abort() unlinks it, then
 * closes it. Until commit, an existing file of the final name is untouched.
 *
 * Temporary files left by a kill -9: a writer holds the lock on its
 * temporary file for as long as the file exists under that name (from just
 * after mkstemp to just after the rename or unlink). Before creating its
 * own, sst_out_open() scans DIR for the temporary files of the same NAME:
 * names of one or more dots, NAME (leading dots skipped), ".tmp-" and
 * anything. It removes each one that is a regular file it can open and
 * lock with LOCK_NB while the name still refers to the file it locked: a
 * killed writer's lock died with it, a live writer's is held, so a live
 * writer's file is never removed. A writer that met a cleaner between
 * mkstemp and its flock finds its name gone afterwards (it compares the
 * inode) and takes a new one. A file that cannot be opened (another user's)
 * is left alone; one that is locked but cannot be unlinked is an error.
 * So no temporary file outlives the next successful run that writes the
 * same TARGET. (An unlocked file of that pattern is taken for garbage:
 * flock must work on DIR's file system, as on local ones and NFSv4.)
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
	char *path;		/* final name as given (in messages) */
	char *dest;		/* the file replaced: path with its links followed */
	char *tmp;		/* temporary name */
	uint64_t off;		/* bytes written so far */
	int published;		/* renamed into place (set by commit) */
} sst_out;

/*
 * Checks the output path: SST_OK, SST_EUSAGE for a directory, device, FIFO
 * or socket (a link followed), SST_ESYS for a missing or unwritable
 * directory or a failed system call. Reads nothing but metadata.
 */
int sst_out_check(const char *path, sst_err *err);
/* *target: path with its chain of symbolic links followed (malloc'd). */
int sst_out_target(const char *path, char **target, sst_err *err);
/*
 * Removes stale temporary files of the file `target` (no links followed):
 * those of its directory that no live writer holds (see above).
 */
int sst_out_clean(const char *target, sst_err *err);

/*
 * Split outputs: OUT "DIR/STEM.EXT" names the parts DIR/STEM-0001.EXT, ...
 * (4 or more digits; EXT from the last dot of the base name, or none).
 * sst_out_check_split() checks DIR as sst_out_check() does and every
 * existing part name in it as an output path (links followed);
 * sst_out_clean_split() removes the stale temporary files of every part
 * name (".STEM-NNNN.EXT.tmp-*", with any number of leading dots).
 */
int sst_out_check_split(const char *out, sst_err *err);
/* "DIR/.BASE.tmp-TAG" for target "DIR/BASE" (malloc'd; NULL: out of memory). */
char *sst_out_tmp_name(const char *target, const char *tag);
int sst_out_clean_split(const char *out, sst_err *err);

/* Checks path, removes stale temporary files, creates and locks the temporary file. */
int sst_out_open(sst_out *o, const char *path, sst_err *err);
/* Appends bytes (write_full). */
int sst_out_write(sst_out *o, const void *buf, size_t n, sst_err *err);
/*
 * fsync, chmod, rename, fsync dir; frees o's strings and closes fd (unless
 * dest was registered with sst_cleanup_register_locked(): then the fd, and
 * so the lock, stays with the registry until dest is unregistered). On an
 * error after the rename (the directory fsync), o->published is 1: the new
 * file is in place, but its name may not survive a crash.
 */
int sst_out_commit(sst_out *o, sst_err *err);
/* Unlinks the temporary file and closes it; safe on a zeroed or committed o. */
void sst_out_abort(sst_out *o);

/*
 * A group of temporary files that live as long as the run that made them
 * (wal-replay's flushed tables): DIR/PREFIX-XXXXXX.lock, the anchor, which
 * the run holds locked, and members DIR/PREFIX-XXXXXX-SUFFIX (and their own
 * sst_out temporaries, ".PREFIX-XXXXXX-SUFFIX.tmp-*"). sst_tmpgroup_open()
 * first removes every dead group of PREFIX in DIR (an anchor it can lock:
 * the members, then the anchor), then creates and locks a new anchor the
 * way sst_out_open() does its temporary file. Close removes the members
 * left, then the anchor (kept, unlocked, if a member could not be removed:
 * the next run removes the group). Close is safe on a zeroed group.
 */
typedef struct sst_tmpgroup {
	int fd;			/* the anchor, locked; -1: none */
	char *anchor;
} sst_tmpgroup;

int sst_tmpgroup_open(sst_tmpgroup *g, const char *dir, const char *prefix, sst_err *err);
/* The member path "DIR/PREFIX-XXXXXX-SUFFIX" (malloc'd; NULL: out of memory). */
char *sst_tmpgroup_path(const sst_tmpgroup *g, const char *suffix);
void sst_tmpgroup_close(sst_tmpgroup *g);

/* fsyncs the directory that holds `path` (or `path` itself if a directory). */
int sst_fsync_dir(const char *path, sst_err *err);

/*
 * Creates an anonymous temporary file in dir (unlinked at once, so nothing
 * is left even after kill -9). Returns the fd or -1 with err set.
 */
int sst_anon_tmpfile(const char *dir, sst_err *err);

/* The temp directory: tmpdir if set, else $TMPDIR, else /tmp. */
const char *sst_tmpdir(const char *tmpdir);

/*
 * Cleanup registry for temporary paths (at most 1024 at a time; more are not
 * registered). sst_cleanup_register_locked(): path is a temporary name of
 * this process that an sst_out will publish to (a split part before all
 * parts are done): sst_out_commit() leaves its descriptor, with the lock,
 * in the registry, so cleaners leave the file alone until unregistered.
 * Unregistering closes it. sst_cleanup_register_dir(): a directory this
 * process made, removed (if empty) after every registered file is unlinked.
 * sst_cleanup_register_trunc(): a file appended to through fd (the
 * caller's, open until unregistered) is cut back to size; at size 0 it is
 * unlinked too (a file this process created).
 */
void sst_cleanup_register(const char *path);
void sst_cleanup_register_locked(const char *path);
void sst_cleanup_register_dir(const char *path);
void sst_cleanup_register_trunc(const char *path, int fd, uint64_t size);
void sst_cleanup_unregister(const char *path);
/*
 * Installs SIGINT/SIGTERM/SIGHUP handlers that remove every registered path
 * and re-raise the signal, and the same unlinking at exit() (for libraries
 * that exit themselves). Call once at tool start.
 */
void sst_cleanup_install(void);

#endif
