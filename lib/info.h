/*
 * info.h - what sst-info(1) shows of a table or a store, as data, and the
 * JSON object of `sst-info --json` (man/sst-info.1 names the fields). The
 * JSON is data formatting shared by sst-info and sstkit_reader_info; the
 * text form is sst-info's own (bin/sst-info.c).
 *
 * Thread-safety: one thread per sst_store_info.
 */
#ifndef SST_INFO_H
#define SST_INFO_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "store.h"
#include "table.h"

/* A store's manifest (one pinned snapshot) and its tables' deletes. */
typedef struct sst_store_info {
	sst_store_snap sn;	/* sn.m: strategy, knobs, tables in read order */
	uint64_t *deletes;	/* per table, from its properties */
	/* sums over the tables (not counts of the merged view) */
	uint64_t bytes, records, ndeletes;
} sst_store_info;

/* Reads the store at dir, one table open at a time (any number of tables). */
int sst_store_info_open(sst_store_info *si, const char *dir, sst_err *err);
void sst_store_info_close(sst_store_info *si);

/* The number of tables of level lev in m and their bytes (0 when the level is empty). */
size_t sst_store_level_sum(const sst_manifest *m, int lev, uint64_t *bytes);

/* The JSON object of a store (ends with a newline) or of a table (does not). */
void sst_store_info_json(FILE *out, const char *dir, const sst_store_info *si);
void sst_table_info_json(FILE *out, const char *path, const sst_props *p);

/*
 * Shows path, a table or a store: opens it, gives its properties to table
 * or its store info to store (each returns an sst code), closes it.
 */
typedef int (*sst_info_table_fn)(void *arg, const char *path, const sst_props *p,
    sst_err *err);
typedef int (*sst_info_store_fn)(void *arg, const char *dir, const sst_store_info *si,
    sst_err *err);
int sst_info_show(const char *path, sst_info_table_fn table, sst_info_store_fn store,
    void *arg, sst_err *err);

/*
 * The JSON object of path, a table or a store (sst_info_show); SST_ESYS
 * when writing a store's to out fails.
 */
int sst_info_json(FILE *out, const char *path, sst_err *err);

/* Expected false-positive rate of a table's filter: 1 without one, 0 when empty. */
double sst_info_fp_rate(const sst_props *p);
/* raw_data_bytes / data_bytes, 1 when there are none. */
double sst_info_ratio(const sst_props *p);

#endif
