/*
 * store.h - a store: a directory of tables with a checksummed manifest that
 * lists the live tables, their levels and their read order, replaced
 * atomically, and a lock file for the single writer (formats/store.md).
 *
 * Readers (sst_store_snap_open and what uses it: sources.h, sst_store_verify,
 * info.h) pin one manifest with flock(LOCK_SH) on it, never wait
 * and never block a writer, and see that manifest's set of tables for as
 * long as they run. A writer (sst_store_open_writer) holds flock(LOCK_EX)
 * on STORE/LOCK until closed, and keeps the tables of pinned manifests.
 *
 * Thread-safety: an sst_store belongs to one thread.
 */
#ifndef SST_STORE_H
#define SST_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "table.h"

enum sst_strategy { SST_STRATEGY_SIZE_TIERED = 0, SST_STRATEGY_LEVELED = 1 };

#define SST_STORE_MAX_LEVEL	15

/* Compaction knobs (formats/store.md, "Options"). */
typedef struct sst_store_knobs {
	uint64_t min_threshold;
	uint64_t max_threshold;
	uint64_t bucket_low;		/* percent */
	uint64_t bucket_high;		/* percent */
	uint64_t min_size;
	uint64_t l0_trigger;
	uint64_t level1_size;
	uint64_t level_growth;
	uint64_t file_size;
	uint64_t max_levels;
} sst_store_knobs;

void sst_store_knobs_default(sst_store_knobs *k);

/* Parses a strategy name: SST_OK, or SST_EDATA for another word. */
int sst_strategy_parse(const char *s, int *strategy);
const char *sst_strategy_name(int strategy);

/* Sets knob NAME to VALUE (decimal, or SIZE for the sizes). SST_EUSAGE on
 * an unknown name or a bad value. */
int sst_store_knob_set(sst_store_knobs *k, const char *name, const char *value, sst_err *err);
/* Knob i's name (NULL past the last) and value, in the manifest's order. */
const char *sst_store_knob_name(size_t i);
uint64_t sst_store_knob_get(const sst_store_knobs *k, size_t i);

/* One live table as the manifest lists it. */
typedef struct sst_store_entry {
	char *name;		/* "NNNNNN.sst", relative to the store */
	uint64_t number;
	int level;
	uint64_t size;		/* file size in bytes */
	/* Version 2 (or filled in from the table for version 1): */
	int ranged;		/* records, lo and hi are known */
	uint64_t records;	/* entries, tombstones included */
	uint8_t *lo, *hi;	/* smallest and largest key; NULL when records == 0 */
	size_t lolen, hilen;
} sst_store_entry;

#define SST_STORE_VERSION	2	/* the version writers write */

/* A parsed manifest. Entries are in read order, oldest first. */
typedef struct sst_manifest {
	int version;		/* 1 or 2 (formats/store.md) */
	uint64_t next;
	int strategy;
	sst_store_knobs knobs;
	uint64_t knobs_set;	/* bit i: knob i was given explicitly */
	sst_store_entry *t;
	size_t n;
} sst_manifest;

/* Parses manifest bytes (path names the file in messages). SST_EDATA when
 * damaged. */
int sst_manifest_parse(const uint8_t *buf, size_t len, const char *path,
    sst_manifest *m, sst_err *err);
/* Reads and parses DIR/MANIFEST. */
int sst_manifest_read(const char *dir, sst_manifest *m, sst_err *err);
/* Serialises m (with its checksum line) into a malloc'd buffer. */
int sst_manifest_format(const sst_manifest *m, char **out, size_t *len, sst_err *err);
/* Deep copy. */
int sst_manifest_copy(sst_manifest *dst, const sst_manifest *src, sst_err *err);
/* Appends an entry (copies name) without a key range. */
int sst_manifest_push(sst_manifest *m, const char *name, uint64_t number, int level,
    uint64_t size, sst_err *err);
/* Appends a deep copy of *e. */
int sst_manifest_push_entry(sst_manifest *m, const sst_store_entry *e, sst_err *err);
/* Sets e's records and key range from p (copies the keys). */
int sst_store_entry_set_range(sst_store_entry *e, const sst_props *p, sst_err *err);
void sst_manifest_free(sst_manifest *m);

/* 1 if path is a store directory (a directory holding a manifest), else 0. */
int sst_store_is(const char *path);

/*
 * Classifies a SOURCE argument: *is_store = 1 for a store; 0 for anything
 * that is not a directory (to be opened as a table, whose open reports a
 * missing path); SST_EDATA "PATH: not a store (no MANIFEST)" for a
 * directory without a manifest.
 */
int sst_store_check_path(const char *path, int *is_store, sst_err *err);

/*
 * A reader's snapshot: one manifest, pinned (formats/store.md, "Reading the
 * store") so that every table it lists stays on disk until the snapshot is
 * closed, however many compactions commit meanwhile. Takes no writer lock
 * and never blocks a writer. Every entry is ranged (a version-1 manifest's
 * ranges are read from its tables, one table open at a time). Holds one
 * file descriptor.
 */
typedef struct sst_store_snap {
	char *dir;
	sst_manifest m;
	int fd;			/* the pinned manifest, flock(LOCK_SH) */
} sst_store_snap;

int sst_store_snap_open(sst_store_snap *s, const char *dir, sst_err *err);
void sst_store_snap_close(sst_store_snap *s);
/*
 * Opens table i of the snapshot, checking that it exists and has the listed
 * size (else SST_EDATA: damage, as the snapshot pins its tables).
 */
int sst_store_snap_table(const sst_store_snap *s, size_t i, sst_table **t, sst_err *err);
/* The same for entry e of the store at dir (a writer's own manifest). */
int sst_store_open_entry(const char *dir, const sst_store_entry *e, sst_table **t, sst_err *err);

/*
 * A consistent read view: the store's live tables, oldest first (so a later
 * table wins), all opened (one descriptor each: for few tables only; see
 * sst_store_snap for any number). Caller frees with sst_store_tables_free.
 */
int sst_store_open_tables(const char *dir, sst_table ***tables, size_t *n, sst_err *err);
void sst_store_tables_free(sst_table **tables, size_t n);

typedef struct sst_store sst_store;

/*
 * Writer: takes the store's lock (flock on DIR/LOCK). create: make the store
 * if absent. wait: block until the lock is free, else SST_ELOCKED at once
 * with a message. Removes leftovers of crashed writers (temp files,
 * unreferenced tables).
 */
int sst_store_open_writer(sst_store **s, const char *dir, int create, int wait, sst_err *err);

/* A fresh, never-reused path for a new table inside the store (not live
 * until added). The caller frees *path. */
int sst_store_new_table(sst_store *s, char **path, sst_err *err);

/*
 * Makes the given tables (already written and fsynced at paths from
 * sst_store_new_table) the newest live tables, level 0, in the given order
 * (last = newest), by atomically replacing the manifest.
 */
int sst_store_add(sst_store *s, char *const *paths, size_t n, sst_err *err);

/* The writer's current manifest (valid until the next commit). */
const sst_manifest *sst_store_manifest(const sst_store *s);
const char *sst_store_dir(const sst_store *s);

/*
 * Replaces the manifest by m (its `next` is raised to the writer's counter):
 * writes it atomically, then unlinks the tables the old manifest listed and
 * m does not. On success the store adopts a copy of m; it does too when
 * the manifest was renamed into place but the directory fsync failed (an
 * error is returned, and the old tables are kept for the next writer).
 */
int sst_store_commit(sst_store *s, const sst_manifest *m, sst_err *err);
/*
 * Whether the table file path (its last component) is listed by the store's
 * current manifest. After a failed commit or add, a caller removes only the
 * new tables this says are not listed: a manifest renamed into place before
 * a failed directory fsync is adopted, and its tables must stay.
 */
int sst_store_lists(const sst_store *s, const char *path);

/* Releases the lock and frees *s; NULL-safe. */
void sst_store_close(sst_store **s);
/*
 * For a command that failed: as sst_store_close, but a store that this
 * writer created (sst_store_open_writer with create, on a missing or empty
 * directory) and that still lists no table is removed again: its files,
 * and the directory if this writer made it (sst-build(1) OUTPUT: a command
 * that fails while creating a store leaves no store behind). A directory that
 * holds anything else is left as it is. NULL-safe.
 */
void sst_store_discard(sst_store **s);

/*
 * For a command that failed: when this writer created the store (made its
 * directory, or made an empty directory a store), removes the store's files
 * (and the directory it made), then closes as sst_store_close. Otherwise
 * just closes.
 */
void sst_store_discard(sst_store **s);

/*
 * Puts m's entries in read order (formats/store.md): deeper levels first,
 * each level >= 1 by smallest key, level 0 and ties in their current order.
 */
int sst_manifest_sort(sst_manifest *m, sst_err *err);

/*
 * Checks the manifest's checksum, that the files and manifest agree (each
 * listed table exists with the listed size), each table (sst_table_verify),
 * and the level rules (levels in order, levels >= 1 sorted and
 * non-overlapping). SST_OK, or SST_EDAMAGE (sst-verify exits 1) with err
 * naming the file and fault; SST_ESYS on I/O failure.
 */
int sst_store_verify(const char *dir, sst_err *err);

#endif
