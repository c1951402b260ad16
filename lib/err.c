#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The definitions, not the analyser's model of them in err.h. */
#undef sst_error
#undef sst_syserr
#undef sst_nomem

int
sst_error(sst_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int
sst_syserr(sst_err *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (err == NULL)
		return SST_ESYS;
	err->code = SST_ESYS;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(saved));
	errno = saved;
	return SST_ESYS;
}

int
sst_nomem(sst_err *err, const char *what)
{
	return sst_error(err, SST_ESYS, "%s: out of memory", what);
}

int
sst_err_path(sst_err *err, const char *path)
{
	return sst_syserr(err, "%s", path);
}

int
sst_err_notwhat(sst_err *err, const char *path, const char *what)
{
	return sst_error(err, SST_EDATA, "%s: not %s", path, what);
}

int
sst_err_arg(sst_err *err, const char *opt, const char *what)
{
	char m[sizeof(err->msg)];

	/* what may be err->msg itself */
	snprintf(m, sizeof(m), "%s", what);
	return sst_error(err, SST_EUSAGE, "%s: %s", opt, m);
}

int
sst_err_data(sst_err *err, const char *where, const char *what)
{
	char m[sizeof(err->msg)];

	/* what may be err->msg itself */
	snprintf(m, sizeof(m), "%s", what);
	return sst_error(err, SST_EDATA, "%s: %s", where, m);
}

int
sst_err_write(sst_err *err, const char *name)
{
	return sst_syserr(err, "%s: write", name);
}

void *
sst_malloc(size_t n, sst_err *err)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		sst_nomem(err, "malloc");
	return p;
}

void *
sst_realloc(void *p, size_t n, sst_err *err)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		sst_nomem(err, "realloc");
	return q;
}

void *
sst_calloc(size_t n, size_t size, sst_err *err)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		sst_nomem(err, "calloc");
	return p;
}
