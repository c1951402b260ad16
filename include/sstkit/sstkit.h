/*
 * sstkit/sstkit.h - the public C API of sstkit: SSTables and stores of
 * them, read and written from C and C++ programs. Overview, error
 * convention, thread safety and an example: sstkit(3). The headers it
 * includes are the reference:
 *
 *   sstkit/error.h    return codes, the error object, SST_API
 *   sstkit/options.h  the options object of every writing call
 *   sstkit/read.h     readers of tables and stores, iterators, properties
 *   sstkit/write.h    table writers, the sorting builder, merge, store
 *                     ingest and compaction, the write-ahead log
 *
 * Link with `pkg-config --libs sstkit` (shared library libsstkit.so.0) or
 * `pkg-config --static --libs sstkit` (libsstkit.a).
 */
#ifndef SSTKIT_SSTKIT_H
#define SSTKIT_SSTKIT_H

#include "error.h"
#include "options.h"
#include "read.h"
#include "write.h"

#endif
