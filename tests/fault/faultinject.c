/*
 * faultinject.c - an LD_PRELOAD shim that makes one chosen libc call fail,
 * for the fault-injection tests (tests/cli/fault.bats).
 *
 * Environment:
 *   FI_CLASS   which calls are counted: a comma list of
 *              write   write pwrite pwrite64 writev pwritev ftruncate fallocate
 *              read    read pread pread64 readv preadv
 *              sync    fsync fdatasync
 *              rename  rename renameat renameat2 link linkat
 *              open    open open64 openat openat64 creat mkstemp mkostemp mkstemps
 *              malloc  malloc calloc realloc posix_memalign aligned_alloc
 *              stat    stat lstat fstat fstatat (and *64) readlink access faccessat
 *              lock    flock
 *              unlink  unlink unlinkat rmdir
 *              dir     opendir fdopendir readdir mkdir
 *   FI_N       the counted call to fail (1 = the first); 0 or unset: count only
 *   FI_ERRNO   ENOSPC, EIO, ENOMEM, EACCES, EDQUOT or EROFS (default: ENOSPC
 *              for write, EIO for read/sync/rename, ENOMEM for malloc,
 *              EACCES for open)
 *   FI_MATCH   count only calls on a path (or an fd open on a path) that
 *              contains this string
 *   FI_STDIO   1: count reads and writes on fds 0-2 too (default: not)
 *   FI_LOG     file to append to: "fail CLASS FUNC N ERRNO PATH" when the
 *              failure is injected, and "calls N" at exit
 *
 * The counter is shared by all threads (atomic). Calls made by libc on
 * itself (stdio's internal writes) are not interposed, so the counted calls
 * are those the program and its libraries make through the PLT.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum {
	C_WRITE = 1, C_READ = 2, C_SYNC = 4, C_RENAME = 8, C_OPEN = 16, C_MALLOC = 32,
	C_STAT = 64, C_LOCK = 128, C_UNLINK = 256, C_DIR = 512
};

static int fi_classes = -1;	/* -1: not configured yet */
static long fi_n;
static int fi_errno;
static const char *fi_match;
static int fi_stdio;
static const char *fi_log;
static atomic_long fi_count;

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static int
parse_errno(const char *s, int dflt)
{
	static const struct { const char *n; int e; } t[] = {
		{ "ENOSPC", ENOSPC }, { "EIO", EIO }, { "ENOMEM", ENOMEM },
		{ "EACCES", EACCES }, { "EDQUOT", EDQUOT }, { "EROFS", EROFS },
	};
	size_t i;

	if (s != NULL)
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (strcmp(s, t[i].n) == 0)
				return t[i].e;
	return dflt;
}

static const char *
errno_name(int e)
{
	switch (e) {
	case ENOSPC: return "ENOSPC";
	case EIO: return "EIO";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EDQUOT: return "EDQUOT";
	case EROFS: return "EROFS";
	default: return "?";
	}
}

static const char *
class_name(int c)
{
	switch (c) {
	case C_WRITE: return "write";
	case C_READ: return "read";
	case C_SYNC: return "sync";
	case C_RENAME: return "rename";
	case C_OPEN: return "open";
	case C_STAT: return "stat";
	case C_LOCK: return "lock";
	case C_UNLINK: return "unlink";
	case C_DIR: return "dir";
	default: return "malloc";
	}
}

static void
configure(void)
{
	const char *s;

	if (fi_classes != -1)
		return;
	fi_n = (s = getenv("FI_N")) != NULL ? strtol(s, NULL, 10) : 0;
	fi_match = getenv("FI_MATCH");
	fi_stdio = (s = getenv("FI_STDIO")) != NULL && strcmp(s, "1") == 0;
	fi_log = getenv("FI_LOG");
	fi_errno = parse_errno(getenv("FI_ERRNO"), 0);
	s = getenv("FI_CLASS");
	if (s == NULL) {
		fi_classes = 0;
		return;
	}
	fi_classes = (strstr(s, "write") ? C_WRITE : 0) | (strstr(s, "read") ? C_READ : 0) |
	    (strstr(s, "sync") ? C_SYNC : 0) | (strstr(s, "rename") ? C_RENAME : 0) |
	    (strstr(s, "open") ? C_OPEN : 0) | (strstr(s, "malloc") ? C_MALLOC : 0) |
	    (strstr(s, "stat") ? C_STAT : 0) | (strstr(s, "lock") ? C_LOCK : 0) |
	    (strstr(s, "unlink") ? C_UNLINK : 0) | (strstr(s, "dir") ? C_DIR : 0);
}

/* Appends a line to FI_LOG with raw system calls (no stdio, no malloc). */
static void
log_line(const char *line)
{
	int fd;

	if (fi_log == NULL)
		return;
	fd = (int)syscall(SYS_openat, AT_FDCWD, fi_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	syscall(SYS_write, fd, line, strlen(line));
	syscall(SYS_close, fd);
}

static void
fd_path(int fd, char *buf, size_t n)
{
	char link[64];
	long r;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	r = (long)syscall(SYS_readlinkat, AT_FDCWD, link, buf, n - 1);
	buf[r > 0 ? r : 0] = '\0';
}

/*
 * Counts a call of class c on path (or fd when path is NULL and fd >= 0);
 * returns the errno to fail it with, or 0 to let it run.
 */
static int
hit(int c, const char *func, int fd, const char *path)
{
	char pbuf[PATH_MAX], line[PATH_MAX + 128];
	long n;
	int e;

	configure();
	if (!(fi_classes & c))
		return 0;
	if (fd >= 0 && fd <= 2 && !fi_stdio && (c == C_WRITE || c == C_READ))
		return 0;
	pbuf[0] = '\0';
	if (path == NULL && fd >= 0 && (fi_match != NULL || fi_log != NULL))
		fd_path(fd, pbuf, sizeof(pbuf));
	else if (path != NULL)
		snprintf(pbuf, sizeof(pbuf), "%s", path);
	if (fi_match != NULL && strstr(pbuf, fi_match) == NULL)
		return 0;
	n = atomic_fetch_add(&fi_count, 1) + 1;
	if (fi_n <= 0 || n != fi_n)
		return 0;
	e = fi_errno ? fi_errno : c == C_WRITE ? ENOSPC : c == C_MALLOC ? ENOMEM :
	    c == C_OPEN ? EACCES : EIO;
	snprintf(line, sizeof(line), "fail %s %s %ld %s %s\n", class_name(c), func, n,
	    errno_name(e), pbuf[0] ? pbuf : "-");
	log_line(line);
	return e;
}

__attribute__((destructor)) static void
fi_fini(void)
{
	char line[64];

	configure();
	if (fi_classes > 0) {
		snprintf(line, sizeof(line), "calls %ld\n", (long)atomic_load(&fi_count));
		log_line(line);
	}
}

/* args is a parenthesised parameter list: it cannot be wrapped in more. */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define REAL(ret, name, args) \
	static ret (*real_##name) args; \
	if (real_##name == NULL) \
		real_##name = (ret (*) args)dlsym(RTLD_NEXT, #name)
/* NOLINTEND(bugprone-macro-parentheses) */

#define FAIL_IF(c, fd, path, rv) do { \
	int e_ = hit(c, __func__, fd, path); \
	if (e_ != 0) { errno = e_; return rv; } \
} while (0)

/* ---- write ---- */

ssize_t
write(int fd, const void *buf, size_t n)
{
	REAL(ssize_t, write, (int, const void *, size_t));
	FAIL_IF(C_WRITE, fd, NULL, -1);
	return real_write(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(ssize_t, pwrite, (int, const void *, size_t, off_t));
	FAIL_IF(C_WRITE, fd, NULL, -1);
	return real_pwrite(fd, buf, n, off);
}

ssize_t
pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	REAL(ssize_t, pwrite64, (int, const void *, size_t, off_t));
	FAIL_IF(C_WRITE, fd, NULL, -1);
	return real_pwrite64(fd, buf, n, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	REAL(ssize_t, writev, (int, const struct iovec *, int));
	FAIL_IF(C_WRITE, fd, NULL, -1);
	return real_writev(fd, iov, cnt);
}

ssize_t
pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	REAL(ssize_t, pwritev, (int, const struct iovec *, int, off_t));
	FAIL_IF(C_WRITE, fd, NULL, -1);
	return real_pwritev(fd, iov, cnt, off);
}

int
ftruncate(int fd, off_t len)
{
	REAL(int, ftruncate, (int, off_t));
	FAIL_IF(C_WRITE, fd, NULL, -1);
	return real_ftruncate(fd, len);
}

int
fallocate(int fd, int mode, off_t off, off_t len)
{
	REAL(int, fallocate, (int, int, off_t, off_t));
	FAIL_IF(C_WRITE, fd, NULL, -1);
	return real_fallocate(fd, mode, off, len);
}

/* ---- read ---- */

ssize_t
read(int fd, void *buf, size_t n)
{
	REAL(ssize_t, read, (int, void *, size_t));
	FAIL_IF(C_READ, fd, NULL, -1);
	return real_read(fd, buf, n);
}

ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
	REAL(ssize_t, pread, (int, void *, size_t, off_t));
	FAIL_IF(C_READ, fd, NULL, -1);
	return real_pread(fd, buf, n, off);
}

ssize_t
pread64(int fd, void *buf, size_t n, off_t off)
{
	REAL(ssize_t, pread64, (int, void *, size_t, off_t));
	FAIL_IF(C_READ, fd, NULL, -1);
	return real_pread64(fd, buf, n, off);
}

ssize_t
readv(int fd, const struct iovec *iov, int cnt)
{
	REAL(ssize_t, readv, (int, const struct iovec *, int));
	FAIL_IF(C_READ, fd, NULL, -1);
	return real_readv(fd, iov, cnt);
}

ssize_t
preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
	REAL(ssize_t, preadv, (int, const struct iovec *, int, off_t));
	FAIL_IF(C_READ, fd, NULL, -1);
	return real_preadv(fd, iov, cnt, off);
}

/* ---- sync ---- */

int
fsync(int fd)
{
	REAL(int, fsync, (int));
	FAIL_IF(C_SYNC, fd, NULL, -1);
	return real_fsync(fd);
}

int
fdatasync(int fd)
{
	REAL(int, fdatasync, (int));
	FAIL_IF(C_SYNC, fd, NULL, -1);
	return real_fdatasync(fd);
}

/* ---- rename ---- */

int
rename(const char *a, const char *b)
{
	REAL(int, rename, (const char *, const char *));
	FAIL_IF(C_RENAME, -1, b, -1);
	return real_rename(a, b);
}

int
renameat(int da, const char *a, int db, const char *b)
{
	REAL(int, renameat, (int, const char *, int, const char *));
	FAIL_IF(C_RENAME, -1, b, -1);
	return real_renameat(da, a, db, b);
}

int
renameat2(int da, const char *a, int db, const char *b, unsigned int fl)
{
	REAL(int, renameat2, (int, const char *, int, const char *, unsigned int));
	FAIL_IF(C_RENAME, -1, b, -1);
	return real_renameat2(da, a, db, b, fl);
}

int
link(const char *a, const char *b)
{
	REAL(int, link, (const char *, const char *));
	FAIL_IF(C_RENAME, -1, b, -1);
	return real_link(a, b);
}

int
linkat(int da, const char *a, int db, const char *b, int fl)
{
	REAL(int, linkat, (int, const char *, int, const char *, int));
	FAIL_IF(C_RENAME, -1, b, -1);
	return real_linkat(da, a, db, b, fl);
}

/* ---- open ---- */

static mode_t
open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	REAL(int, open, (const char *, int, ...));
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	FAIL_IF(C_OPEN, -1, path, -1);
	return real_open(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	REAL(int, open64, (const char *, int, ...));
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	FAIL_IF(C_OPEN, -1, path, -1);
	return real_open64(path, flags, mode);
}

int
openat(int dfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	REAL(int, openat, (int, const char *, int, ...));
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	FAIL_IF(C_OPEN, -1, path, -1);
	return real_openat(dfd, path, flags, mode);
}

int
openat64(int dfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	REAL(int, openat64, (int, const char *, int, ...));
	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	FAIL_IF(C_OPEN, -1, path, -1);
	return real_openat64(dfd, path, flags, mode);
}

int
creat(const char *path, mode_t mode)
{
	REAL(int, creat, (const char *, mode_t));
	FAIL_IF(C_OPEN, -1, path, -1);
	return real_creat(path, mode);
}

int
mkstemp(char *tmpl)
{
	REAL(int, mkstemp, (char *));
	FAIL_IF(C_OPEN, -1, tmpl, -1);
	return real_mkstemp(tmpl);
}

int
mkostemp(char *tmpl, int flags)
{
	REAL(int, mkostemp, (char *, int));
	FAIL_IF(C_OPEN, -1, tmpl, -1);
	return real_mkostemp(tmpl, flags);
}

int
mkstemps(char *tmpl, int suffixlen)
{
	REAL(int, mkstemps, (char *, int));
	FAIL_IF(C_OPEN, -1, tmpl, -1);
	return real_mkstemps(tmpl, suffixlen);
}

/* ---- stat ---- */

#define STAT_FN(name, stype) \
int \
name(const char *path, struct stype *st) \
{ \
	REAL(int, name, (const char *, struct stype *)); \
	FAIL_IF(C_STAT, -1, path, -1); \
	return real_##name(path, st); \
}
STAT_FN(stat, stat)
STAT_FN(lstat, stat)
STAT_FN(stat64, stat64)
STAT_FN(lstat64, stat64)

int
fstat(int fd, struct stat *st)
{
	REAL(int, fstat, (int, struct stat *));
	FAIL_IF(C_STAT, fd, NULL, -1);
	return real_fstat(fd, st);
}

int
fstat64(int fd, struct stat64 *st)
{
	REAL(int, fstat64, (int, struct stat64 *));
	FAIL_IF(C_STAT, fd, NULL, -1);
	return real_fstat64(fd, st);
}

int
fstatat(int dfd, const char *path, struct stat *st, int fl)
{
	REAL(int, fstatat, (int, const char *, struct stat *, int));
	FAIL_IF(C_STAT, -1, path, -1);
	return real_fstatat(dfd, path, st, fl);
}

int
fstatat64(int dfd, const char *path, struct stat64 *st, int fl)
{
	REAL(int, fstatat64, (int, const char *, struct stat64 *, int));
	FAIL_IF(C_STAT, -1, path, -1);
	return real_fstatat64(dfd, path, st, fl);
}

ssize_t
readlink(const char *path, char *buf, size_t n)
{
	REAL(ssize_t, readlink, (const char *, char *, size_t));
	FAIL_IF(C_STAT, -1, path, -1);
	return real_readlink(path, buf, n);
}

int
access(const char *path, int mode)
{
	REAL(int, access, (const char *, int));
	FAIL_IF(C_STAT, -1, path, -1);
	return real_access(path, mode);
}

int
faccessat(int dfd, const char *path, int mode, int fl)
{
	REAL(int, faccessat, (int, const char *, int, int));
	FAIL_IF(C_STAT, -1, path, -1);
	return real_faccessat(dfd, path, mode, fl);
}

/* ---- lock, unlink, dir ---- */

int
flock(int fd, int op)
{
	REAL(int, flock, (int, int));
	FAIL_IF(C_LOCK, fd, NULL, -1);
	return real_flock(fd, op);
}

int
unlink(const char *path)
{
	REAL(int, unlink, (const char *));
	FAIL_IF(C_UNLINK, -1, path, -1);
	return real_unlink(path);
}

int
unlinkat(int dfd, const char *path, int fl)
{
	REAL(int, unlinkat, (int, const char *, int));
	FAIL_IF(C_UNLINK, -1, path, -1);
	return real_unlinkat(dfd, path, fl);
}

int
rmdir(const char *path)
{
	REAL(int, rmdir, (const char *));
	FAIL_IF(C_UNLINK, -1, path, -1);
	return real_rmdir(path);
}

int
mkdir(const char *path, mode_t mode)
{
	REAL(int, mkdir, (const char *, mode_t));
	FAIL_IF(C_DIR, -1, path, -1);
	return real_mkdir(path, mode);
}

DIR *
opendir(const char *path)
{
	REAL(DIR *, opendir, (const char *));
	FAIL_IF(C_DIR, -1, path, NULL);
	return real_opendir(path);
}

DIR *
fdopendir(int fd)
{
	REAL(DIR *, fdopendir, (int));
	FAIL_IF(C_DIR, fd, NULL, NULL);
	return real_fdopendir(fd);
}

struct dirent *
readdir(DIR *d)
{
	REAL(struct dirent *, readdir, (DIR *));
	FAIL_IF(C_DIR, dirfd(d), NULL, NULL);
	return real_readdir(d);
}

/* ---- malloc (glibc's __libc_* entry points: no dlsym bootstrap) ---- */

void *
malloc(size_t n)
{
	if (fi_classes != 0 && hit(C_MALLOC, "malloc", -1, NULL)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	if (fi_classes != 0 && hit(C_MALLOC, "calloc", -1, NULL)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	if (fi_classes != 0 && n != 0 && hit(C_MALLOC, "realloc", -1, NULL)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}

int
posix_memalign(void **p, size_t align, size_t n)
{
	if (fi_classes != 0 && hit(C_MALLOC, "posix_memalign", -1, NULL))
		return ENOMEM;
	*p = __libc_memalign(align, n);
	return *p == NULL ? ENOMEM : 0;
}

void *
aligned_alloc(size_t align, size_t n)
{
	if (fi_classes != 0 && hit(C_MALLOC, "aligned_alloc", -1, NULL)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_memalign(align, n);
}
