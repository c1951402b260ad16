#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#define MAX_CLEANUP 64
static pthread_mutex_t cleanup_mu = PTHREAD_MUTEX_INITIALIZER;
static char *volatile cleanup_paths[MAX_CLEANUP];

void
sst_cleanup_register(const char *path)
{
	int i;

	pthread_mutex_lock(&cleanup_mu);
	for (i = 0; i < MAX_CLEANUP; i++) {
		if (cleanup_paths[i] == NULL) {
			cleanup_paths[i] = strdup(path);
			break;
		}
	}
	pthread_mutex_unlock(&cleanup_mu);
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
			free(p);
			break;
		}
	}
	pthread_mutex_unlock(&cleanup_mu);
}

static void
cleanup_all(void)
{
	int i;

	for (i = 0; i < MAX_CLEANUP; i++) {
		char *p = cleanup_paths[i];

		if (p != NULL)
			unlink(p);
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

/* ---- atomic output ---- */

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

int
sst_out_open(sst_out *o, const char *path, sst_err *err)
{
	char *copy, *base, *dir;
	size_t n;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if ((o->path = strdup(path)) == NULL || (copy = strdup(path)) == NULL) {
		free(o->path);
		o->path = NULL;
		return sst_nomem(err, path);
	}
	base = basename(copy);
	if ((dir = dir_of(path)) == NULL) {
		free(copy);
		free(o->path);
		o->path = NULL;
		return sst_nomem(err, path);
	}
	n = strlen(dir) + strlen(base) + 32;
	if ((o->tmp = malloc(n)) == NULL) {
		free(copy);
		free(dir);
		free(o->path);
		o->path = NULL;
		return sst_nomem(err, path);
	}
	snprintf(o->tmp, n, "%s/.%s.tmp-XXXXXX", dir, base);
	free(copy);
	free(dir);
	o->fd = mkstemp(o->tmp);
	if (o->fd < 0) {
		int rc = sst_syserr(err, "%s: cannot create temporary file", path);

		free(o->tmp);
		free(o->path);
		o->tmp = o->path = NULL;
		return rc;
	}
	sst_cleanup_register(o->tmp);
	return SST_OK;
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
	if (close(o->fd) != 0) {
		o->fd = -1;
		rc = sst_syserr(err, "%s: close", o->path);
		sst_out_abort(o);
		return rc;
	}
	o->fd = -1;
	/* Everything that can fail but the fsync comes before the rename. */
	if ((dir = dir_of(o->path)) == NULL) {
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
	if (rename(o->tmp, o->path) != 0) {
		rc = sst_syserr(err, "%s: rename", o->path);
		close(dfd);
		free(dir);
		sst_out_abort(o);
		return rc;
	}
	sst_cleanup_unregister(o->tmp);
	o->published = 1;
	rc = SST_OK;
	if (fsync(dfd) != 0 && errno != EINVAL)
		rc = sst_syserr(err, "%s: fsync directory", dir);
	close(dfd);
	free(dir);
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
	return rc;
}

void
sst_out_abort(sst_out *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp != NULL) {
		unlink(o->tmp);
		sst_cleanup_unregister(o->tmp);
	}
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
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
