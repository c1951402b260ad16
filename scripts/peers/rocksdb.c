/*
 * peers/rocksdb.c - the RocksDB side of scripts/bench, through its C API
 * (Debian librocksdb-dev).
 *
 * peer-rocksdb write OUT.sst < SORTED.tsv
 *	Reads KEY<TAB>VALUE lines sorted by key with equal keys in input
 *	order (`LC_ALL=C sort -t TAB -k1,1 -s`), keeps the last record of
 *	each key (later wins) and writes them with SstFileWriter: zstd
 *	level 3, 8 KiB blocks, a 10-bit full bloom filter. Prints
 *	"records N" on stderr.
 * peer-rocksdb ingest DBDIR FILE.sst
 *	Creates a fresh DB (10-bit bloom) and ingests FILE.sst into it with
 *	IngestExternalFile (the file is copied, not moved).
 * peer-rocksdb get DBDIR < KEYS
 *	Opens the DB, rocksdb_get()s each key (one a line) and prints
 *	KEY<TAB>VALUE for each found one, in input order. Prints on stderr
 *	"lookups L found F open_us O loop_us T", T timing only the lookup
 *	loop (keys are read into memory first). Exit 0 if all found, else 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <rocksdb/c.h>

static void
die(const char *what, char *err)
{
	fprintf(stderr, "peer-rocksdb: %s%s%s\n", what, err ? ": " : "",
	    err ? err : "");
	exit(4);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static rocksdb_options_t *
make_options(void)
{
	rocksdb_options_t *o = rocksdb_options_create();
	rocksdb_block_based_table_options_t *t =
	    rocksdb_block_based_options_create();

	rocksdb_block_based_options_set_block_size(t, 8192);
	rocksdb_block_based_options_set_filter_policy(t,
	    rocksdb_filterpolicy_create_bloom_full(10));
	rocksdb_options_set_block_based_table_factory(o, t);
	rocksdb_options_set_compression(o, rocksdb_zstd_compression);
	rocksdb_options_set_compression_options(o, -14, 3, 0, 0);
	rocksdb_options_set_create_if_missing(o, 1);
	rocksdb_block_based_options_destroy(t);
	return o;
}

static int
write_sst(const char *path)
{
	rocksdb_options_t *o = make_options();
	rocksdb_envoptions_t *eo = rocksdb_envoptions_create();
	rocksdb_sstfilewriter_t *w = rocksdb_sstfilewriter_create(eo, o);
	char *err = NULL, *line = NULL, *prev = NULL;
	size_t cap = 0, pcap = 0, pklen = 0, plen = 0;
	uint64_t n = 0;
	ssize_t len;

	rocksdb_sstfilewriter_open(w, path, &err);
	if (err)
		die(path, err);
	setvbuf(stdin, NULL, _IOFBF, 1 << 20);
	for (;;) {
		size_t klen = 0;
		char *tab;

		len = getline(&line, &cap, stdin);
		if (len > 0) {
			if (line[len - 1] == '\n')
				line[--len] = '\0';
			tab = memchr(line, '\t', (size_t)len);
			klen = tab ? (size_t)(tab - line) : (size_t)len;
		}
		if (prev != NULL && (len <= 0 || klen != pklen ||
		    memcmp(line, prev, klen) != 0)) {
			const char *v = prev + pklen + (plen > pklen);
			rocksdb_sstfilewriter_put(w, prev, pklen, v,
			    plen - (size_t)(v - prev), &err);
			if (err)
				die("put", err);
			n++;
		}
		if (len <= 0)
			break;
		if ((size_t)len + 1 > pcap) {
			pcap = (size_t)len * 2 + 1;
			if ((prev = realloc(prev, pcap)) == NULL)
				die("out of memory", NULL);
		}
		memcpy(prev, line, (size_t)len);
		pklen = klen;
		plen = (size_t)len;
	}
	if (ferror(stdin))
		die("read", NULL);
	rocksdb_sstfilewriter_finish(w, &err);
	if (err)
		die("finish", err);
	rocksdb_sstfilewriter_destroy(w);
	rocksdb_envoptions_destroy(eo);
	rocksdb_options_destroy(o);
	free(line);
	free(prev);
	fprintf(stderr, "records %llu\n", (unsigned long long)n);
	return 0;
}

static int
ingest(const char *dir, const char *sst)
{
	rocksdb_options_t *o = make_options();
	rocksdb_ingestexternalfileoptions_t *io =
	    rocksdb_ingestexternalfileoptions_create();
	char *err = NULL;
	rocksdb_t *db = rocksdb_open(o, dir, &err);

	if (err)
		die(dir, err);
	rocksdb_ingest_external_file(db, &sst, 1, io, &err);
	if (err)
		die("ingest", err);
	rocksdb_close(db);
	rocksdb_ingestexternalfileoptions_destroy(io);
	rocksdb_options_destroy(o);
	return 0;
}

static int
get(const char *dir)
{
	rocksdb_options_t *o = make_options();
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	char *all, **keys, *p, *end, *err = NULL;
	size_t cap = 1 << 20, used = 0, nk = 0, i, found = 0, kcap;
	double t0, t1;
	rocksdb_t *db;
	FILE *out = stdout;

	if ((all = malloc(cap)) == NULL)
		die("out of memory", NULL);
	for (;;) {
		size_t got = fread(all + used, 1, cap - used, stdin);
		used += got;
		if (got == 0)
			break;
		if (used == cap && (all = realloc(all, cap *= 2)) == NULL)
			die("out of memory", NULL);
	}
	if (ferror(stdin))
		die("read keys", NULL);
	kcap = used / 8 + 16;
	if ((keys = malloc(kcap * sizeof(*keys))) == NULL)
		die("out of memory", NULL);
	for (p = all, end = all + used; p < end; p++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nk == kcap && (keys = realloc(keys,
		    (kcap *= 2) * sizeof(*keys))) == NULL)
			die("out of memory", NULL);
		keys[nk++] = p;
		p = nl;
		if (nl < end)
			*nl = '\0';
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);

	t0 = now_us();
	rocksdb_options_set_create_if_missing(o, 0);
	db = rocksdb_open(o, dir, &err);
	if (err)
		die(dir, err);
	t1 = now_us();
	for (i = 0; i < nk; i++) {
		size_t kl = strlen(keys[i]), vl;
		char *v = rocksdb_get(db, ro, keys[i], kl, &vl, &err);

		if (err)
			die("get", err);
		if (v != NULL) {
			fwrite(keys[i], 1, kl, out);
			putc('\t', out);
			fwrite(v, 1, vl, out);
			putc('\n', out);
			rocksdb_free(v);
			found++;
		}
	}
	fflush(out);
	fprintf(stderr, "lookups %zu found %zu open_us %.0f loop_us %.0f\n",
	    nk, found, t1 - t0, now_us() - t1);
	rocksdb_close(db);
	rocksdb_readoptions_destroy(ro);
	rocksdb_options_destroy(o);
	free(keys);
	free(all);
	return found == nk ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "write") == 0)
		return write_sst(argv[2]);
	if (argc == 4 && strcmp(argv[1], "ingest") == 0)
		return ingest(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "get") == 0)
		return get(argv[2]);
	fprintf(stderr, "usage: peer-rocksdb write OUT.sst < SORTED.tsv\n"
	    "       peer-rocksdb ingest DBDIR FILE.sst\n"
	    "       peer-rocksdb get DBDIR < KEYS\n");
	return 2;
}
