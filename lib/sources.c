#include "sources.h"

#include <stdlib.h>

#include "merge_iter.h"
#include "store.h"

static int
append(sst_sources *s, sst_table *t, sst_err *err)
{
	sst_table **nt = realloc(s->t, (s->n + 1) * sizeof(*nt));

	if (nt == NULL) {
		sst_table_close(&t);
		return sst_nomem(err, "sources");
	}
	s->t = nt;
	s->t[s->n++] = t;
	return SST_OK;
}

int
sst_sources_open(sst_sources *s, char *const *paths, size_t npaths, sst_err *err)
{
	size_t i, j;
	int rc;

	s->t = NULL;
	s->n = 0;
	for (i = 0; i < npaths; i++) {
		int store;

		if ((rc = sst_store_check_path(paths[i], &store, err)) != SST_OK)
			goto fail;
		if (store) {
			sst_table **tt;
			size_t nt;

			if ((rc = sst_store_open_tables(paths[i], &tt, &nt, err)) != SST_OK)
				goto fail;
			for (j = 0; j < nt; j++) {
				if ((rc = append(s, tt[j], err)) != SST_OK) {
					for (j++; j < nt; j++)
						sst_table_close(&tt[j]);
					free(tt);
					goto fail;
				}
			}
			free(tt);
		} else {
			sst_table *t;

			if ((rc = sst_table_open(&t, paths[i], err)) != SST_OK ||
			    (rc = append(s, t, err)) != SST_OK)
				goto fail;
		}
	}
	return SST_OK;
fail:
	sst_sources_close(s);
	return rc;
}

void
sst_sources_close(sst_sources *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		sst_table_close(&s->t[i]);
	free(s->t);
	s->t = NULL;
	s->n = 0;
}

int
sst_sources_get(sst_sources *s, const uint8_t *key, size_t klen, sst_rec *out,
    int *found, sst_err *err)
{
	size_t i;
	int rc;

	*found = 0;
	for (i = s->n; i-- > 0;) {
		if ((rc = sst_table_get(s->t[i], key, klen, out, found, err)) != SST_OK)
			return rc;
		if (*found)
			return SST_OK;
	}
	return SST_OK;
}

int
sst_sources_iter(sst_sources *s, int flags, sst_iter **it, sst_err *err)
{
	sst_iter **kids;
	size_t i;
	int rc;

	*it = NULL;
	if ((kids = calloc(s->n ? s->n : 1, sizeof(*kids))) == NULL)
		return sst_nomem(err, "sources");
	for (i = 0; i < s->n; i++) {
		if ((rc = sst_table_iter(s->t[i], &kids[i], err)) != SST_OK) {
			while (i-- > 0)
				sst_iter_destroy(&kids[i]);
			free(kids);
			return rc;
		}
	}
	rc = sst_merge_iter_new(it, kids, s->n, flags, err);
	free(kids);
	return rc;
}
