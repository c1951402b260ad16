/*
 * splitw.c - a set of tables cut at split keys (see splitw.h).
 */
#include "splitw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

char *
sst_part_name(const char *out, size_t i, int hidden, const char *suffix)
{
	const char *slash = strrchr(out, '/');
	const char *base = slash ? slash + 1 : out;
	const char *dot = strrchr(base, '.');
	size_t dirlen = (size_t)(base - out), stem;
	size_t cap = strlen(out) + strlen(suffix) + 32;
	char *p;

	if (dot == NULL || dot == base)
		dot = base + strlen(base);
	stem = (size_t)(dot - base);
	if ((p = malloc(cap)) == NULL)
		return NULL;
	snprintf(p, cap, "%.*s%s%.*s-%04zu%s%s", (int)dirlen, out, hidden ? "." : "",
	    (int)stem, base, i + 1, dot, suffix);
	return p;
}

struct sst_splitw {
	const sst_splits *s;		/* cut at keys; NULL: cut by size */
	uint64_t size;			/* cut by size: a part ends at this size */
	sst_table_opts o;
	char *out;
	char tag[32];
	size_t nparts;			/* parts named so far (by keys: all) */
	char **finals, **hidden;	/* nparts each */
	size_t cur;			/* the part being written; parts 0..cur may
					 * exist under their hidden names (a part's
					 * finish can fail after its rename) */
	int published;			/* all renamed to their final names */
	sst_writer *w;
};

static void
names_free(sst_splitw *sw)
{
	size_t i;

	for (i = 0; i < sw->nparts; i++) {
		if (sw->hidden != NULL && sw->hidden[i] != NULL) {
			sst_cleanup_unregister(sw->hidden[i]);
			free(sw->hidden[i]);
		}
		if (sw->finals != NULL)
			free(sw->finals[i]);
	}
	free(sw->hidden);
	free(sw->finals);
	free(sw->out);
	free(sw);
}

/*
 * Names part i: its final name (a link there followed) and the locked
 * temporary name beside it where it waits until all are done.
 */
static int
name_part(sst_splitw *sw, size_t i, sst_err *err)
{
	char **f, **h, *name;
	int rc;

	if (i < sw->nparts)
		return SST_OK;
	if ((f = sst_realloc(sw->finals, (i + 1) * sizeof(*f), err)) == NULL)
		return SST_ESYS;
	sw->finals = f;
	if ((h = sst_realloc(sw->hidden, (i + 1) * sizeof(*h), err)) == NULL)
		return SST_ESYS;
	sw->hidden = h;
	f[i] = h[i] = NULL;
	sw->nparts = i + 1;
	if ((name = sst_part_name(sw->out, i, 0, "")) == NULL)
		return sst_nomem(err, sw->out);
	rc = sst_out_target(name, &f[i], err);
	free(name);
	if (rc != SST_OK)
		return rc;
	if ((h[i] = sst_out_tmp_name(f[i], sw->tag)) == NULL)
		return sst_nomem(err, sw->out);
	sst_cleanup_register_locked(h[i]);
	return SST_OK;
}

/* The writer's state for either cut: the names checked, nothing written. */
static int
splitw_new(sst_splitw **swp, const char *out, const sst_splits *s, uint64_t size,
    const sst_table_opts *o, sst_err *err)
{
	sst_splitw *sw;
	int rc;

	*swp = NULL;
	if ((sw = sst_calloc(1, sizeof(*sw), err)) == NULL)
		return SST_ESYS;
	sw->s = s;
	sw->size = size;
	sw->o = *o;
	snprintf(sw->tag, sizeof(sw->tag), "part%ld", (long)getpid());
	if ((sw->out = strdup(out)) == NULL) {
		names_free(sw);
		return sst_nomem(err, out);
	}
	/*
	 * The output rules of fileio.h for every part, before any input: the
	 * names' directory and types checked, stale temporary parts of killed
	 * runs removed, a link at a part's name followed. A finished part waits
	 * under a temporary name beside its file, locked, until all are done.
	 */
	if ((rc = sst_out_check_split(out, err)) != SST_OK ||
	    (rc = sst_out_clean_split(out, err)) != SST_OK) {
		names_free(sw);
		return rc;
	}
	*swp = sw;
	return SST_OK;
}

int
sst_splitw_open(sst_splitw **swp, const char *out, const sst_splits *s,
    const sst_table_opts *o, sst_err *err)
{
	size_t i;
	int rc;

	if ((rc = splitw_new(swp, out, s, 0, o, err)) != SST_OK)
		return rc;
	for (i = 0; rc == SST_OK && i < s->n + 1; i++)
		rc = name_part(*swp, i, err);
	if (rc == SST_OK)
		rc = sst_writer_open(&(*swp)->w, (*swp)->hidden[0], &(*swp)->o, err);
	if (rc != SST_OK) {
		names_free(*swp);
		*swp = NULL;
	}
	return rc;
}

int
sst_splitw_open_size(sst_splitw **swp, const char *out, uint64_t size,
    const sst_table_opts *o, sst_err *err)
{
	return splitw_new(swp, out, NULL, size > 0 ? size : 1, o, err);
}

size_t
sst_splitw_parts(const sst_splitw *sw)
{
	return sw->nparts;
}

/* Opens the writer of part cur. */
static int
open_part(sst_splitw *sw, sst_err *err)
{
	int rc;

	if ((rc = name_part(sw, sw->cur, err)) != SST_OK)
		return rc;
	return sst_writer_open(&sw->w, sw->hidden[sw->cur], &sw->o, err);
}

/* Finishes the current part and opens the next. */
static int
next_part(sst_splitw *sw, sst_err *err)
{
	int rc;

	if ((rc = sst_writer_finish(&sw->w, err)) != SST_OK)
		return rc;
	sw->cur++;
	return open_part(sw, err);
}

int
sst_splitw_add(sst_splitw *sw, const sst_rec *r, sst_err *err)
{
	const uint8_t *k;
	size_t kl;
	int rc;

	if (sw->s == NULL) {	/* by size: a part ends once it reaches the size */
		if (sw->w == NULL && (rc = open_part(sw, err)) != SST_OK)
			return rc;
		if ((rc = sst_writer_add(sw->w, r, err)) != SST_OK)
			return rc;
		if (sst_writer_size(sw->w) < sw->size)
			return SST_OK;
		if ((rc = sst_writer_finish(&sw->w, err)) == SST_OK)
			sw->cur++;
		return rc;
	}
	while (sw->cur < sw->s->n) {
		k = sst_splits_key(sw->s, sw->cur, &kl);
		if (sst_keycmp(r->key, r->klen, k, kl) < 0)
			break;
		if ((rc = next_part(sw, err)) != SST_OK)
			return rc;
	}
	return sst_writer_add(sw->w, r, err);
}

int
sst_splitw_finish(sst_splitw **swp, sst_err *err)
{
	sst_splitw *sw = *swp;
	size_t i, j;
	int rc = SST_OK;

	if (sw->s == NULL) {	/* by size: at least one part, maybe empty */
		if (sw->w == NULL && sw->cur == 0)
			rc = open_part(sw, err);
	} else {
		while (rc == SST_OK && sw->cur < sw->s->n)
			rc = next_part(sw, err);
	}
	if (rc == SST_OK && sw->w != NULL)
		rc = sst_writer_finish(&sw->w, err);
	for (i = 0; rc == SST_OK && i < sw->nparts; i++)
		if (rename(sw->hidden[i], sw->finals[i]) != 0) {
			rc = sst_syserr(err, "%s: rename", sw->finals[i]);
			for (j = 0; j < i; j++)
				unlink(sw->finals[j]);
		}
	if (rc == SST_OK) {
		sw->published = 1;	/* nothing hidden is left */
		rc = sst_fsync_dir(sw->finals[0], err);
	}
	sst_splitw_abort(swp);
	return rc;
}

void
sst_splitw_abort(sst_splitw **swp)
{
	sst_splitw *sw = *swp;
	size_t i;

	if (sw == NULL)
		return;
	sst_writer_abort(&sw->w);
	for (i = 0; !sw->published && i <= sw->cur && i < sw->nparts; i++)
		if (sw->hidden[i] != NULL)
			unlink(sw->hidden[i]);
	names_free(sw);
	*swp = NULL;
}
