#include "fileio.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int
sst_pread_full(int fd, void *buf, size_t n, uint64_t off, const char *path, sst_err *err)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = pread(fd, p, n, (off_t)off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return sst_syserr(err, "%s@%llu: read", path, (unsigned long long)off);
		}
		if (r == 0)
			return sst_error(err, SST_EDATA, "%s@%llu: unexpected end of file",
			    path, (unsigned long long)off);
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return SST_OK;
}

int
sst_write_full(int fd, const void *buf, size_t n, const char *path, sst_err *err)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = write(fd, p, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return sst_syserr(err, "%s: write", path);
		}
		p += r;
		n -= (size_t)r;
	}
	return SST_OK;
}

/* ---- cleanup registry ---- */

/*
 * A fixed array: the signal handler reads it without locking or allocating.
 * fd >= 0: a descriptor of the file at path, kept open (and so its flock
 * held) until the path is unregistered; see sst_cleanup_register_locked().
 */
#define MAX_CLEANUP 1024
#define REG_FILE	0	/* unlinked */
#define REG_LOCKED	1	/* unlinked; see sst_cleanup_register_locked() */
#define REG_DIR		2	/* removed (rmdir) once the files are unlinked */
#define REG_TRUNC	3	/* cut back to a size; at 0 unlinked too */
static pthread_mutex_t cleanup_mu = PTHREAD_MUTEX_INITIALIZER;
static char *volatile cleanup_paths[MAX_CLEANUP];
static int cleanup_fds[MAX_CLEANUP];
static unsigned char cleanup_keep[MAX_CLEANUP];	/* a REG_* kind */
static int cleanup_tfd[MAX_CLEANUP];		/* REG_TRUNC: the caller's fd */
static off_t cleanup_size[MAX_CLEANUP];		/* REG_TRUNC: its size to keep */
/* Slots ever used: the exit and signal cleaners look no further. */
static volatile int cleanup_used;

static void
register_path(const char *path, int keep, int tfd, uint64_t size)
{
	int i;

	pthread_mutex_lock(&cleanup_mu);
	for (i = 0; i < MAX_CLEANUP; i++) {
		if (cleanup_paths[i] == NULL) {
			cleanup_fds[i] = -1;
			cleanup_keep[i] = (unsigned char)keep;
			cleanup_tfd[i] = tfd;
			cleanup_size[i] = (off_t)size;
			if (i >= cleanup_used)
				cleanup_used = i + 1;
			cleanup_paths[i] = strdup(path);
			break;
		}
	}
	pthread_mutex_unlock(&cleanup_mu);
}

void
sst_cleanup_register(const char *path)
{
	register_path(path, REG_FILE, -1, 0);
}

void
sst_cleanup_register_locked(const char *path)
{
	register_path(path, REG_LOCKED, -1, 0);
}

void
sst_cleanup_register_dir(const char *path)
{
	register_path(path, REG_DIR, -1, 0);
}

void
sst_cleanup_register_trunc(const char *path, int fd, uint64_t size)
{
	register_path(path, REG_TRUNC, fd, size);
}

void
sst_cleanup_unregister(const char *path)
{
	int i;

	pthread_mutex_lock(&cleanup_mu);
	for (i = 0; i < MAX_CLEANUP; i++) {
		char *p = cleanup_paths[i];

		if (p != NULL && strcmp(p, path) == 0) {
			cleanup_paths[i] = NULL;
			if (cleanup_fds[i] >= 0)
				close(cleanup_fds[i]);
			cleanup_fds[i] = -1;
			free(p);
			break;
		}
	}
	pthread_mutex_unlock(&cleanup_mu);
}

/* Keeps fd (open on path) if path was registered with _locked; returns 1 then. */
static int
cleanup_keep_fd(const char *path, int fd)
{
	int i, kept = 0;

	pthread_mutex_lock(&cleanup_mu);
	for (i = 0; i < MAX_CLEANUP; i++) {
		char *p = cleanup_paths[i];

		if (p != NULL && cleanup_keep[i] == REG_LOCKED && cleanup_fds[i] < 0 &&
		    strcmp(p, path) == 0) {
			cleanup_fds[i] = fd;
			kept = 1;
			break;
		}
	}
	pthread_mutex_unlock(&cleanup_mu);
	return kept;
}

static void
cleanup_all(void)
{
	int i, n = cleanup_used;

	for (i = 0; i < n; i++) {
		char *p = cleanup_paths[i];

		if (p == NULL || cleanup_keep[i] == REG_DIR)
			continue;
		if (cleanup_keep[i] == REG_TRUNC) {
			if (ftruncate(cleanup_tfd[i], cleanup_size[i]) == 0)
				(void)fdatasync(cleanup_tfd[i]);
			if (cleanup_size[i] == 0)
				unlink(p);
		} else {
			unlink(p);
		}
	}
	for (i = 0; i < n; i++) {
		char *p = cleanup_paths[i];

		if (p != NULL && cleanup_keep[i] == REG_DIR)
			rmdir(p);
	}
}

static void
cleanup_handler(int sig)
{
	cleanup_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

void
sst_cleanup_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cleanup_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/*
	 * Only temporary names are ever registered, and every path of ours
	 * unregisters them, so this acts only when a library calls exit()
	 * itself (libarchive does when some allocations fail).
	 */
	atexit(cleanup_all);
}

/* ---- output paths ---- */

static char *
dir_of(const char *path)
{
	char *copy = strdup(path), *d;

	if (copy == NULL)
		return NULL;
	d = strdup(dirname(copy));
	free(copy);
	return d;
}

static char *
base_of(const char *path)
{
	char *copy = strdup(path), *b;

	if (copy == NULL)
		return NULL;
	b = strdup(basename(copy));
	free(copy);
	return b;
}

/* "dir/name", or name alone when dir is "." (messages stay as typed). */
static char *
join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p;

	if (strcmp(dir, ".") == 0)
		return strdup(name);
	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static const char *
kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

int
sst_out_target(const char *path, char **target, sst_err *err)
{
	char link[PATH_MAX], *cur, *next, *d;
	struct stat st;
	ssize_t n;
	int hops;

	*target = NULL;
	if ((cur = strdup(path)) == NULL)
		return sst_nomem(err, path);
	for (hops = 0;; hops++) {
		if (lstat(cur, &st) != 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				break;	/* absent: the directory check says more */
			goto sys;
		}
		if (!S_ISLNK(st.st_mode))
			break;
		if (hops == 40) {
			errno = ELOOP;
			goto sys;
		}
		if ((n = readlink(cur, link, sizeof(link) - 1)) < 0)
			goto sys;
		link[n] = '\0';
		if (link[0] == '/') {
			next = strdup(link);
		} else {
			if ((d = dir_of(cur)) == NULL)
				goto nomem;
			next = join(d, link);
			free(d);
		}
		if (next == NULL)
			goto nomem;
		free(cur);
		cur = next;
	}
	*target = cur;
	return SST_OK;
sys:
	free(cur);
	return sst_syserr(err, "%s", path);
nomem:
	free(cur);
	return sst_nomem(err, path);
}

/* The checks of sst_out_check() on target, the file that path names. */
static int
check_target(const char *path, const char *target, sst_err *err)
{
	struct stat st;
	char *dir;
	int rc = SST_OK, bad;

	if (lstat(target, &st) == 0) {
		if (S_ISREG(st.st_mode))
			;
		else if (strcmp(path, target) == 0)
			return sst_error(err, SST_EUSAGE, "%s: output is %s, not a regular file",
			    path, kind_of(st.st_mode));
		else
			return sst_error(err, SST_EUSAGE, "%s: output links to %s, %s, not a regular file",
			    path, target, kind_of(st.st_mode));
	} else if (errno != ENOENT && errno != ENOTDIR) {
		return sst_syserr(err, "%s", path);
	}
	if ((dir = dir_of(target)) == NULL)
		return sst_nomem(err, path);
	/* errno says why: stat's, ENOTDIR, or faccessat's */
	bad = stat(dir, &st) != 0;
	if (!bad && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		bad = 1;
	}
	if (!bad && faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0)
		bad = 1;
	if (bad)
		rc = sst_syserr(err, "%s: directory %s", path, dir);
	free(dir);
	return rc;
}

int
sst_out_check(const char *path, sst_err *err)
{
	char *target;
	int rc;

	if ((rc = sst_out_target(path, &target, err)) != SST_OK)
		return rc;
	rc = check_target(path, target, err);
	free(target);
	return rc;
}

/* A name with its leading dots skipped. */
static const char *
undotted(const char *name)
{
	while (*name == '.')
		name++;
	return name;
}

/*
 * Opens and locks (LOCK_NB) the file nm of directory dfd if it is a regular
 * file that no process holds locked and the name still refers to it: *fd
 * is then that descriptor, else -1. A file gone, or another user's (no
 * permission to open it), is skipped; any other failure is an error, as
 * then nothing tells a killed writer's file from a live one's.
 */
static int
try_take(const char *dir, int dfd, const char *nm, int *fd, sst_err *err)
{
	struct stat st, cur;
	int f;

	*fd = -1;
	f = openat(dfd, nm, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (f < 0) {
		if (errno == ENOENT || errno == EACCES || errno == EPERM || errno == ELOOP ||
		    errno == ENXIO)
			return SST_OK;
		return sst_syserr(err, "%s/%s: open", dir, nm);
	}
	if (fstat(f, &st) != 0) {
		close(f);
		return sst_syserr(err, "%s/%s: stat", dir, nm);
	}
	if (!S_ISREG(st.st_mode)) {
		close(f);
		return SST_OK;
	}
	while (flock(f, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		close(f);
		if (errno == EWOULDBLOCK)
			return SST_OK;	/* a live writer's */
		return sst_syserr(err, "%s/%s: lock", dir, nm);
	}
	if (fstatat(dfd, nm, &cur, AT_SYMLINK_NOFOLLOW) != 0) {
		close(f);
		return errno == ENOENT ? SST_OK : sst_syserr(err, "%s/%s: stat", dir, nm);
	}
	if (cur.st_dev != st.st_dev || cur.st_ino != st.st_ino) {
		close(f);
		return SST_OK;
	}
	*fd = f;
	return SST_OK;
}

/*
 * Removes the files in dir whose name is one or more dots followed by a
 * name that match() accepts, each only if no process holds a lock on it.
 */
static int
clean_stale(const char *dir, int (*match)(const char *name, const void *arg), const void *arg,
    sst_err *err)
{
	struct dirent *de;

	DIR *d;
	int dfd, fd, rc = SST_OK;

	if ((d = opendir(dir)) == NULL)
		return sst_syserr(err, "%s: open directory", dir);
	dfd = dirfd(d);
	for (;;) {
		const char *nm;

		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				rc = sst_syserr(err, "%s: read directory", dir);
			break;
		}
		nm = de->d_name;
		if (nm[0] != '.' || !match(undotted(nm), arg))
			continue;
		/*
		 * Locked: a live writer's. Unlocked and still under this name:
		 * left by a killed writer (a writer locks its file before it
		 * uses it, and checks afterwards that the name is still its).
		 */
		if ((rc = try_take(dir, dfd, nm, &fd, err)) != SST_OK)
			break;
		if (fd < 0)
			continue;
		if (unlinkat(dfd, nm, 0) != 0 && errno != ENOENT)
			rc = sst_syserr(err, "%s/%s: cannot remove a stale temporary file", dir, nm);
		close(fd);
		if (rc != SST_OK)
			break;
	}
	closedir(d);
	return rc;
}

/* NAME.tmp-* for the NAME in arg (leading dots of both skipped). */
static int
match_tmp(const char *name, const void *arg)
{
	const char *base = undotted(arg);
	size_t n = strlen(base);

	return strncmp(name, base, n) == 0 && strncmp(name + n, ".tmp-", 5) == 0;
}

int
sst_out_clean(const char *target, sst_err *err)
{
	char *dir = dir_of(target), *base = base_of(target);
	int rc;

	if (dir == NULL || base == NULL)
		rc = sst_nomem(err, target);
	else
		rc = clean_stale(dir, match_tmp, base, err);
	free(dir);
	free(base);
	return rc;
}

char *
sst_out_tmp_name(const char *target, const char *tag)
{
	char *dir = dir_of(target), *base = base_of(target), *p = NULL;
	size_t n;

	if (dir != NULL && base != NULL) {
		n = strlen(dir) + strlen(base) + strlen(tag) + 8;
		if ((p = malloc(n)) != NULL)
			snprintf(p, n, "%s/.%s.tmp-%s", dir, base, tag);
	}
	free(dir);
	free(base);
	return p;
}

/* ---- split outputs: OUT "d/day.sst" names d/day-0001.sst, d/day-0002.sst, ... ---- */

typedef struct split_pat {
	const char *stem, *ext;
	size_t nstem;
} split_pat;

static void
split_pat_init(split_pat *sp, const char *base)
{
	const char *dot = strrchr(base, '.');

	if (dot == NULL || dot == base)
		dot = base + strlen(base);
	sp->stem = base;
	sp->nstem = (size_t)(dot - base);
	sp->ext = dot;
}

/* The length of the part name at the start of name ("STEM-DDDD[D...]EXT"), or 0. */
static size_t
split_match_len(const split_pat *sp, const char *name)
{
	size_t i = sp->nstem + 1, d = 0, ne = strlen(sp->ext);

	if (strncmp(name, sp->stem, sp->nstem) != 0 || name[sp->nstem] != '-')
		return 0;
	while (name[i + d] >= '0' && name[i + d] <= '9')
		d++;
	if (d < 4 || strncmp(name + i + d, sp->ext, ne) != 0)
		return 0;
	return i + d + ne;
}

static int
match_split_tmp(const char *name, const void *arg)
{
	size_t n = split_match_len(arg, name);

	return n > 0 && strncmp(name + n, ".tmp-", 5) == 0;
}

int
sst_out_check_split(const char *out, sst_err *err)
{
	char *dir = dir_of(out), *base = base_of(out), *p;
	struct dirent *de;
	split_pat sp;
	DIR *d = NULL;
	int rc = SST_OK;

	if (dir == NULL || base == NULL) {
		rc = sst_nomem(err, out);
		goto done;
	}
	/* The directory, as for a file in it that does not exist yet. */
	if ((p = join(dir, ".sstkit-split-check")) == NULL) {
		rc = sst_nomem(err, out);
		goto done;
	}
	rc = check_target(out, p, err);
	free(p);
	if (rc != SST_OK)
		goto done;
	split_pat_init(&sp, base);
	if ((d = opendir(dir)) == NULL) {
		rc = sst_syserr(err, "%s: open directory", dir);
		goto done;
	}
	for (;;) {
		char *t;

		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				rc = sst_syserr(err, "%s: read directory", dir);
			break;
		}
		if (split_match_len(&sp, de->d_name) != strlen(de->d_name))
			continue;
		if ((p = join(dir, de->d_name)) == NULL) {
			rc = sst_nomem(err, out);
			break;
		}
		if ((rc = sst_out_target(p, &t, err)) == SST_OK) {
			rc = check_target(p, t, err);
			free(t);
		}
		free(p);
		if (rc != SST_OK)
			break;
	}
done:
	if (d != NULL)
		closedir(d);
	free(dir);
	free(base);
	return rc;
}

int
sst_out_clean_split(const char *out, sst_err *err)
{
	char *dir = dir_of(out), *base = base_of(out);
	split_pat sp;
	int rc;

	if (dir == NULL || base == NULL) {
		rc = sst_nomem(err, out);
	} else {
		split_pat_init(&sp, base);
		rc = clean_stale(dir, match_split_tmp, &sp, err);
	}
	free(dir);
	free(base);
	return rc;
}

/* ---- atomic output ---- */

/* Creates and locks "dir/.base.tmp-XXXXXX"; *fd, o->tmp set. */
static int
create_locked_tmp(sst_out *o, const char *dir, const char *base, sst_err *err)
{
	struct stat a, b;
	size_t n = strlen(dir) + strlen(base) + 32;
	int tries;

	if ((o->tmp = malloc(n)) == NULL)
		return sst_nomem(err, o->path);
	for (tries = 0;; tries++) {
		snprintf(o->tmp, n, "%s/.%s.tmp-XXXXXX", dir, base);
		if ((o->fd = mkstemp(o->tmp)) < 0)
			return sst_syserr(err, "%s: cannot create temporary file", o->path);
		sst_cleanup_register(o->tmp);
		while (flock(o->fd, LOCK_EX) != 0) {
			if (errno != EINTR)
				return sst_syserr(err, "%s: lock temporary file %s", o->path, o->tmp);
		}
		/* A cleaner that took the file between mkstemp and flock removed it. */
		if (fstat(o->fd, &a) != 0)
			return sst_syserr(err, "%s: stat temporary file %s", o->path, o->tmp);
		if (lstat(o->tmp, &b) == 0) {
			if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
				return SST_OK;
		} else if (errno != ENOENT) {
			return sst_syserr(err, "%s: stat temporary file %s", o->path, o->tmp);
		}
		if (tries == 8) {
			errno = EAGAIN;
			return sst_syserr(err, "%s: temporary file %s removed by another process",
			    o->path, o->tmp);
		}
		sst_cleanup_unregister(o->tmp);
		close(o->fd);
		o->fd = -1;
	}
}

int
sst_out_open(sst_out *o, const char *path, sst_err *err)
{
	char *dir = NULL, *base = NULL;
	int rc;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if ((o->path = strdup(path)) == NULL)
		return sst_nomem(err, path);
	if ((rc = sst_out_target(path, &o->dest, err)) != SST_OK ||
	    (rc = check_target(path, o->dest, err)) != SST_OK)
		goto fail;
	if ((dir = dir_of(o->dest)) == NULL || (base = base_of(o->dest)) == NULL) {
		rc = sst_nomem(err, path);
		goto fail;
	}
	if ((rc = clean_stale(dir, match_tmp, base, err)) != SST_OK ||
	    (rc = create_locked_tmp(o, dir, base, err)) != SST_OK)
		goto fail;
	free(dir);
	free(base);
	return SST_OK;
fail:
	free(dir);
	free(base);
	sst_out_abort(o);
	return rc;
}

int
sst_out_write(sst_out *o, const void *buf, size_t n, sst_err *err)
{
	int rc = sst_write_full(o->fd, buf, n, o->path, err);

	if (rc == SST_OK)
		o->off += n;
	return rc;
}

int
sst_fsync_dir(const char *path, sst_err *err)
{
	char dir[PATH_MAX];
	const char *d;
	struct stat st;
	size_t n = strlen(path);
	int fd, rc = SST_OK;

	/* No allocation: this runs after renames, where failing is costly. */
	if (n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return sst_syserr(err, "%s", path);
	}
	memcpy(dir, path, n + 1);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		d = dir;
	else
		d = dirname(dir);	/* in place, or a static "." or "/" */
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		rc = sst_syserr(err, "%s: open directory", d);
	else if (fsync(fd) != 0 && errno != EINVAL)
		rc = sst_syserr(err, "%s: fsync directory", d);
	if (fd >= 0)
		close(fd);
	return rc;
}

int
sst_out_commit(sst_out *o, sst_err *err)
{
	mode_t um;
	char *dir;
	int rc, dfd;

	um = umask(0);
	umask(um);
	if (fsync(o->fd) != 0) {
		rc = sst_syserr(err, "%s: fsync", o->path);
		sst_out_abort(o);
		return rc;
	}
	if (fchmod(o->fd, 0666 & ~um) != 0) {
		rc = sst_syserr(err, "%s: chmod", o->path);
		sst_out_abort(o);
		return rc;
	}
	/* Everything that can fail but the fsync comes before the rename. */
	if ((dir = dir_of(o->dest)) == NULL) {
		rc = sst_nomem(err, o->path);
		sst_out_abort(o);
		return rc;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = sst_syserr(err, "%s: open directory", dir);
		free(dir);
		sst_out_abort(o);
		return rc;
	}
	/* The lock is held through the rename: a cleaner never takes the file. */
	if (rename(o->tmp, o->dest) != 0) {
		rc = sst_syserr(err, "%s: rename", o->path);
		close(dfd);
		free(dir);
		sst_out_abort(o);
		return rc;
	}
	sst_cleanup_unregister(o->tmp);
	o->published = 1;
	if (!cleanup_keep_fd(o->dest, o->fd))
		close(o->fd);
	o->fd = -1;
	rc = SST_OK;
	if (fsync(dfd) != 0 && errno != EINVAL)
		rc = sst_syserr(err, "%s: fsync directory", dir);
	close(dfd);
	free(dir);
	free(o->tmp);
	free(o->path);
	free(o->dest);
	o->tmp = o->path = o->dest = NULL;
	return rc;
}

void
sst_out_abort(sst_out *o)
{
	/* Unlinked before it is closed (unlocked): no cleaner races for it. */
	if (o->tmp != NULL && o->fd >= 0)
		unlink(o->tmp);
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp != NULL)
		sst_cleanup_unregister(o->tmp);
	free(o->tmp);
	free(o->path);
	free(o->dest);
	o->tmp = o->path = o->dest = NULL;
}

/* ---- groups of temporary files ---- */

#define GROUP_ID_LEN 6	/* mkstemps' XXXXXX */

/* The XXXXXX of "PREFIX-XXXXXX.lock", or NULL when name is not an anchor. */
static const char *
anchor_id(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(name, prefix, n) != 0 || name[n] != '-' ||
	    strlen(name + n + 1) != GROUP_ID_LEN + 5 || strcmp(name + n + 1 + GROUP_ID_LEN, ".lock") != 0)
		return NULL;
	return name + n + 1;
}

/* Whether name (leading dots skipped) is a member "PREFIX-ID-..." of group id. */
static int
is_group_member(const char *name, const char *prefix, const char *id)
{
	size_t n = strlen(prefix);

	name = undotted(name);
	return strncmp(name, prefix, n) == 0 && name[n] == '-' &&
	    strncmp(name + n + 1, id, GROUP_ID_LEN) == 0 && name[n + 1 + GROUP_ID_LEN] == '-';
}

/* Removes every member of the dead group id (its anchor locked by us), then the anchor. */
static int
remove_group(DIR *d, const char *dir, const char *prefix, const char *id, const char *anchor,
    sst_err *err)
{
	struct dirent *de;
	int dfd = dirfd(d);

	rewinddir(d);
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				return sst_syserr(err, "%s: read directory", dir);
			break;
		}
		if (is_group_member(de->d_name, prefix, id) && unlinkat(dfd, de->d_name, 0) != 0 &&
		    errno != ENOENT)
			return sst_syserr(err, "%s/%s: cannot remove a stale temporary file", dir,
			    de->d_name);
	}
	if (unlinkat(dfd, anchor, 0) != 0 && errno != ENOENT)
		return sst_syserr(err, "%s/%s: cannot remove a stale temporary file", dir, anchor);
	return SST_OK;
}

static int
clean_groups(const char *dir, const char *prefix, sst_err *err)
{
	char anchor[NAME_MAX + 1], id[GROUP_ID_LEN + 1];
	struct dirent *de;

	DIR *d;
	int dfd, fd, rc = SST_OK, again = 1;

	if ((d = opendir(dir)) == NULL)
		return sst_syserr(err, "%s: open directory", dir);
	dfd = dirfd(d);
	/* One dead group at a time: removing one rewinds the directory. */
	while (again && rc == SST_OK) {
		again = 0;
		rewinddir(d);
		for (;;) {
			const char *gid;

			errno = 0;
			if ((de = readdir(d)) == NULL) {
				if (errno != 0)
					rc = sst_syserr(err, "%s: read directory", dir);
				break;
			}
			if ((gid = anchor_id(de->d_name, prefix)) == NULL)
				continue;
			if ((rc = try_take(dir, dfd, de->d_name, &fd, err)) != SST_OK)
				break;
			if (fd < 0)
				continue;
			snprintf(anchor, sizeof(anchor), "%s", de->d_name);
			memcpy(id, gid, GROUP_ID_LEN);
			id[GROUP_ID_LEN] = '\0';
			rc = remove_group(d, dir, prefix, id, anchor, err);
			again = 1;
			close(fd);
			break;
		}
	}
	closedir(d);
	return rc;
}

int
sst_tmpgroup_open(sst_tmpgroup *g, const char *dir, const char *prefix, sst_err *err)
{
	struct stat a, b;
	size_t n = strlen(dir) + strlen(prefix) + 32;
	int rc, tries;

	memset(g, 0, sizeof(*g));
	g->fd = -1;
	if ((rc = clean_groups(dir, prefix, err)) != SST_OK)
		return rc;
	if ((g->anchor = malloc(n)) == NULL)
		return sst_nomem(err, dir);
	for (tries = 0;; tries++) {
		snprintf(g->anchor, n, "%s/%s-XXXXXX.lock", dir, prefix);
		if ((g->fd = mkstemps(g->anchor, 5)) < 0) {
			rc = sst_syserr(err, "%s: cannot create temporary file", dir);
			break;
		}
		sst_cleanup_register(g->anchor);
		while ((rc = flock(g->fd, LOCK_EX)) != 0 && errno == EINTR)
			;
		if (rc != 0 || fstat(g->fd, &a) != 0) {
			rc = sst_syserr(err, "%s: lock temporary file", g->anchor);
			break;
		}
		if (lstat(g->anchor, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return SST_OK;
		sst_cleanup_unregister(g->anchor);
		close(g->fd);
		g->fd = -1;
		if (tries == 8) {
			errno = EAGAIN;
			rc = sst_syserr(err, "%s: temporary file removed by another process", dir);
			break;
		}
	}
	sst_tmpgroup_close(g);
	return rc;
}

char *
sst_tmpgroup_path(const sst_tmpgroup *g, const char *suffix)
{
	size_t n = strlen(g->anchor) + strlen(suffix) + 2;
	char *p = malloc(n);

	/* "DIR/PREFIX-XXXXXX.lock" -> "DIR/PREFIX-XXXXXX-SUFFIX" */
	if (p != NULL)
		snprintf(p, n, "%.*s-%s", (int)(strlen(g->anchor) - 5), g->anchor, suffix);
	return p;
}

void
sst_tmpgroup_close(sst_tmpgroup *g)
{
	char *dir, *base;
	DIR *d;

	if (g->anchor == NULL)
		return;
	/* Members still there go first; if one cannot, the anchor stays too,
	 * unlocked, for the next run to remove the group. */
	dir = dir_of(g->anchor);
	base = base_of(g->anchor);
	if (g->fd >= 0 && dir != NULL && base != NULL && strlen(base) > GROUP_ID_LEN + 6 &&
	    (d = opendir(dir)) != NULL) {
		size_t n = strlen(base) - GROUP_ID_LEN - 6;
		struct dirent *de;
		int left = 0;

		base[n] = '\0';	/* the prefix; the id follows the '-' */
		while ((de = readdir(d)) != NULL)
			if (is_group_member(de->d_name, base, base + n + 1) &&
			    unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT)
				left = 1;
		closedir(d);
		if (!left)
			unlink(g->anchor);
	}
	free(dir);
	free(base);
	sst_cleanup_unregister(g->anchor);
	if (g->fd >= 0)
		close(g->fd);
	free(g->anchor);
	g->anchor = NULL;
	g->fd = -1;
}

const char *
sst_tmpdir(const char *tmpdir)
{
	const char *t;

	if (tmpdir != NULL && *tmpdir != '\0')
		return tmpdir;
	t = getenv("TMPDIR");
	if (t != NULL && *t != '\0')
		return t;
	return "/tmp";
}

int
sst_anon_tmpfile(const char *dir, sst_err *err)
{
	char path[PATH_MAX];
	int fd;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	if ((size_t)snprintf(path, sizeof(path), "%s/sstkit-tmp-XXXXXX", dir) >= sizeof(path))
		return sst_error(err, SST_ESYS, "%s: temporary directory path too long", dir), -1;
	fd = mkstemp(path);
	if (fd < 0)
		return sst_syserr(err, "%s: cannot create temporary file", dir), -1;
	unlink(path);
	return fd;
}
