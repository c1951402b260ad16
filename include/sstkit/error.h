/*
 * sstkit/error.h - visibility macros, return codes and the error object of
 * the public C API of sstkit (sstkit(3)). Include <sstkit/sstkit.h>.
 *
 * Error convention. Every function that can fail returns an int:
 *
 *   SSTKIT_OK        0   success
 *   SSTKIT_NOTFOUND  1   a negative answer, not an error: a key that is
 *                        absent or deleted (get), the end of an iterator
 *   SSTKIT_EUSAGE    2   misuse: a NULL handle, a bad option value, a key
 *                        that is empty or too long, a call out of order
 *   SSTKIT_EDATA     3   bad data: not an sstkit file, a damaged table,
 *                        store, manifest or WAL, keys out of order given
 *                        to a sorted writer
 *   SSTKIT_ESYS      4   a system error (I/O, permission, missing file, no
 *                        space, out of memory); sstkit_error_errno() gives
 *                        the errno
 *   SSTKIT_EBUSY    75   a store is locked by another writer
 *
 * The codes are those of the command-line tools' exit statuses. When the
 * caller passes an sstkit_error object (the last argument; NULL is
 * allowed), a failing call fills it with the code, the errno (for
 * SSTKIT_ESYS) and one line naming the file and place:
 * "PATH[:LINE|@OFFSET]: what is wrong". A successful call, or one that
 * returns SSTKIT_NOTFOUND, leaves the code SSTKIT_OK and the message empty.
 *
 * Thread safety: an sstkit_error belongs to one thread at a time. Handles
 * (readers, iterators, writers, ...) belong to one thread at a time too;
 * different handles may be used by different threads at once, even on the
 * same files. The library needs no initialisation, installs no signal
 * handlers, and locks what little state it shares between handles.
 */
#ifndef SSTKIT_ERROR_H
#define SSTKIT_ERROR_H

#include <stddef.h>
#include <stdint.h>

#if defined(SSTKIT_BUILD)
#define SST_API __attribute__((visibility("default")))
#else
#define SST_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SSTKIT_WUR __attribute__((warn_unused_result))
#else
#define SSTKIT_WUR
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define SSTKIT_OK	0
#define SSTKIT_NOTFOUND	1
#define SSTKIT_EUSAGE	2
#define SSTKIT_EDATA	3
#define SSTKIT_ESYS	4
#define SSTKIT_EBUSY	75

/* The library's version, "MAJOR.MINOR.PATCH"; a static string. */
SST_API const char *sstkit_version(void);

typedef struct sstkit_error sstkit_error;

/* Allocates an error object (code SSTKIT_OK). SSTKIT_ESYS when out of memory. */
SST_API SSTKIT_WUR int sstkit_error_new(sstkit_error **e);
/* Frees *e and sets *e to NULL; NULL-safe. */
SST_API void sstkit_error_free(sstkit_error **e);
/* The code of the last failure recorded in e (SSTKIT_OK if none). */
SST_API int sstkit_error_code(const sstkit_error *e);
/* The errno of the last SSTKIT_ESYS failure, else 0. */
SST_API int sstkit_error_errno(const sstkit_error *e);
/* The message of the last failure ("" if none); owned by e, valid until
 * its next use. */
SST_API const char *sstkit_error_message(const sstkit_error *e);
/* Resets e to SSTKIT_OK and an empty message. */
SST_API void sstkit_error_clear(sstkit_error *e);
/* A static name of a code: "ok", "not found", "misuse", "bad data",
 * "system error", "busy" ("unknown" otherwise). */
SST_API const char *sstkit_strcode(int code);

#ifdef __cplusplus
}
#endif

#endif
