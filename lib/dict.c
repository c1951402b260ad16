/*
 * dict.c - trains a table's zstd dictionary and decides whether it pays.
 *
 * One fastCover training with fixed parameters: k = 75, d = 8, f = 18,
 * accel = 4. zstd's own parameter search (5 candidates k = 50 ... 1998,
 * each trained, finalized and tried on the whole sample) picked k = 50 on
 * the bench data and k = 537 on Debian package stanzas, and cost 29% of an
 * sst-build's instructions on 60 MB; k = 75 comes within 0.25% of the
 * search's table on both, and accel 4 (a quarter of the samples for the
 * entropy tables, every 4th position hashed) keeps the training at about
 * 3% (docs/bench.md, "Dictionary training").
 */
#include "dict.h"

#include <stdlib.h>
#include <string.h>
#define ZDICT_STATIC_LINKING_ONLY	/* ZDICT_trainFromBuffer_fastCover: its f, for memory */
#include <zdict.h>

#define DICT_K		75
#define DICT_D		8
#define DICT_F		18	/* a 1 MiB + 0.5 MiB frequency table: 20 (zstd's default) costs 6 MiB */
#define DICT_ACCEL	4
#define PAYS_BLOCKS	16	/* sample blocks compressed both ways by sst_dict_pays */

int
sst_dict_train(const uint8_t *samples, const size_t *sizes, size_t n, size_t cap, int level,
    uint8_t **dict, size_t *len)
{
	ZDICT_fastCover_params_t fp;
	size_t r;

	*len = 0;
	if ((*dict = malloc(cap)) == NULL)
		return SST_ESYS;
	memset(&fp, 0, sizeof(fp));
	fp.k = DICT_K;
	fp.d = DICT_D;
	fp.f = DICT_F;
	fp.accel = DICT_ACCEL;
	fp.splitPoint = 1.0;
	fp.zParams.compressionLevel = level;
	r = ZDICT_trainFromBuffer_fastCover(*dict, cap, samples, sizes, (unsigned)n, fp);
	if (ZDICT_isError(r) || r == 0) {	/* zstd cannot train on it: not an error */
		free(*dict);
		*dict = NULL;
		return SST_OK;
	}
	*len = r;
	return SST_OK;
}

int
sst_dict_pays(const uint8_t *samples, const size_t *sizes, size_t n, const ZSTD_CDict *cd,
    size_t len, int level, int *pays)
{
	size_t i, step = n / PAYS_BLOCKS + 1, cmp = 0, cap = 0;
	uint64_t plain = 0, withd = 0;
	uint8_t *buf = NULL;
	ZSTD_CCtx *c = ZSTD_createCCtx();	/* the table's contexts keep their settings */
	int rc = SST_ESYS;

	*pays = 0;
	if (c == NULL)
		return SST_ESYS;
	for (i = 0; i < n; i++) {
		size_t z = sizes[i], a, b;

		if (i % step == 0) {
			if (ZSTD_compressBound(z) > cap) {
				free(buf);
				cap = ZSTD_compressBound(z);
				if ((buf = malloc(cap)) == NULL)
					goto out;
			}
			a = ZSTD_compressCCtx(c, buf, cap, samples, z, level);
			b = ZSTD_compress_usingCDict(c, buf, cap, samples, z, cd);
			if (ZSTD_isError(a) || ZSTD_isError(b))
				goto out;
			/* as the writer stores them: raw unless 1/8 smaller */
			plain += a < z - z / 8 ? a : z;
			withd += b < z - z / 8 ? b : z;
			cmp++;
		}
		samples += z;
	}
	*pays = cmp > 0 && withd < plain && (plain - withd) * n / cmp > len;
	rc = SST_OK;
out:
	free(buf);
	ZSTD_freeCCtx(c);
	return rc;
}
