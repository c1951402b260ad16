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
 * peer-rocksdb merge DBDIR SEG.sst...
 *	The merge of scripts/bench-merge, set up as a RocksDB user sets up a
 *	bulk merge (every option is listed in docs/bench.md and in
 *	merge_options() below): a fresh DB, the segment files (written by
 *	`write`, oldest first) ingested in one IngestExternalFile call
 *	(moved, not copied; later files are newer, so they win), then one
 *	CompactRange of the whole key space (up to 2 subcompactions). Prints
 *	"ingest_s I compact_s C records R bytes B" on stdout (both steps
 *	timed; the count is made after the timing) and the files per level
 *	after each step on stderr.
 * peer-rocksdb dump DBDIR
 *	Prints every record of the DB as KEY<TAB>VALUE in key order.
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
	/* blocks compressed on 2 threads, as sst-build and sst-merge do */
	rocksdb_options_set_compression_options_parallel_threads(o, 2);
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

/*
 * The merge's options: make_options() (zstd level 3, 8 KiB blocks, a
 * 10-bit full bloom filter) plus what a bulk merge wants: zstd 3 also for
 * the bottommost level, no automatic compactions (the one manual
 * compaction does the work), levels sized from the last level up (so
 * level 0 compacts straight into the last level: the data is written
 * once), 2 background jobs and 2 subcompactions on this 2-core machine,
 * and output files of up to 1 GiB (one file per subcompaction, as
 * sst-merge writes one table).
 */
static rocksdb_options_t *
merge_options(void)
{
	rocksdb_options_t *o = make_options();

	rocksdb_options_set_error_if_exists(o, 1);
	/* (no bottommost compression options: compression_opts apply) */
	rocksdb_options_set_bottommost_compression(o, rocksdb_zstd_compression);
	rocksdb_options_set_disable_auto_compactions(o, 1);
	rocksdb_options_set_level_compaction_dynamic_level_bytes(o, 1);
	rocksdb_options_set_max_background_jobs(o, 2);
	rocksdb_options_set_max_subcompactions(o, 2);
	rocksdb_options_set_target_file_size_base(o, 1ull << 30);
	return o;
}

static void
levels(rocksdb_t *db, const char *when)
{
	char *stats, *c;
	int l;

	fprintf(stderr, "files per level %s:", when);
	for (l = 0; l < 7; l++) {
		char name[64], *v;

		snprintf(name, sizeof(name), "rocksdb.num-files-at-level%d", l);
		v = rocksdb_property_value(db, name);
		fprintf(stderr, " %s", v ? v : "?");
		rocksdb_free(v);
	}
	stats = rocksdb_property_value(db, "rocksdb.stats");
	c = stats ? strstr(stats, "Cumulative compaction: ") : NULL;
	if (c != NULL) {	/* "Cumulative compaction: X GB write, ..." */
		c += strlen("Cumulative compaction: ");
		fprintf(stderr, "; compaction %.*s", (int)strcspn(c, ","), c);
	}
	rocksdb_free(stats);
	fputc('\n', stderr);
}

static int
merge(const char *dir, const char *const *segs, size_t nsegs)
{
	rocksdb_options_t *o = merge_options();
	rocksdb_ingestexternalfileoptions_t *io =
	    rocksdb_ingestexternalfileoptions_create();
	rocksdb_compactoptions_t *co = rocksdb_compactoptions_create();
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_iterator_t *it;
	char *err = NULL, *sz;
	unsigned long long recs = 0;
	double t0, t1, t1b, t2;
	rocksdb_t *db;

	/* the segments are ours to move; nothing reads the DB meanwhile */
	rocksdb_ingestexternalfileoptions_set_move_files(io, 1);
	rocksdb_ingestexternalfileoptions_set_snapshot_consistency(io, 0);
	rocksdb_ingestexternalfileoptions_set_allow_global_seqno(io, 1);
	rocksdb_ingestexternalfileoptions_set_allow_blocking_flush(io, 1);
	/* exclusive (no automatic compaction runs anyway); the bottommost
	 * level is not rewritten a second time once level 0 is merged into it */
	rocksdb_compactoptions_set_exclusive_manual_compaction(co, 1);
	rocksdb_compactoptions_set_bottommost_level_compaction(co, 1);	/* kIfHaveCompactionFilter */

	t0 = now_us();
	db = rocksdb_open(o, dir, &err);
	if (err)
		die(dir, err);
	rocksdb_ingest_external_file(db, segs, nsegs, io, &err);
	if (err)
		die("ingest", err);
	t1 = now_us();
	levels(db, "after the ingest");
	t1b = now_us();		/* (the property reads are not timed) */
	rocksdb_compact_range_opt(db, co, NULL, 0, NULL, 0);
	t2 = now_us();
	levels(db, "after the compaction");
	it = rocksdb_create_iterator(db, ro);
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it))
		recs++;
	rocksdb_iter_destroy(it);
	sz = rocksdb_property_value(db, "rocksdb.total-sst-files-size");
	printf("ingest_s %.3f compact_s %.3f records %llu bytes %s\n",
	    (t1 - t0) / 1e6, (t2 - t1b) / 1e6, recs, sz ? sz : "0");
	rocksdb_free(sz);
	rocksdb_close(db);
	rocksdb_readoptions_destroy(ro);
	rocksdb_compactoptions_destroy(co);
	rocksdb_ingestexternalfileoptions_destroy(io);
	rocksdb_options_destroy(o);
	return 0;
}

static int
dump(const char *dir)
{
	rocksdb_options_t *o = make_options();
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_iterator_t *it;
	char *err = NULL;
	rocksdb_t *db;

	rocksdb_options_set_create_if_missing(o, 0);
	db = rocksdb_open(o, dir, &err);
	if (err)
		die(dir, err);
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	it = rocksdb_create_iterator(db, ro);
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t kl, vl;
		const char *k = rocksdb_iter_key(it, &kl), *v = rocksdb_iter_value(it, &vl);

		fwrite(k, 1, kl, stdout);
		putchar('\t');
		fwrite(v, 1, vl, stdout);
		putchar('\n');
	}
	rocksdb_iter_destroy(it);
	rocksdb_close(db);
	rocksdb_readoptions_destroy(ro);
	rocksdb_options_destroy(o);
	return fflush(stdout) == 0 ? 0 : 4;
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
	if (argc >= 4 && strcmp(argv[1], "merge") == 0)
		return merge(argv[2], (const char *const *)argv + 3, (size_t)argc - 3);
	if (argc == 3 && strcmp(argv[1], "dump") == 0)
		return dump(argv[2]);
	fprintf(stderr, "usage: peer-rocksdb write OUT.sst < SORTED.tsv\n"
	    "       peer-rocksdb ingest DBDIR FILE.sst\n"
	    "       peer-rocksdb get DBDIR < KEYS\n"
	    "       peer-rocksdb merge DBDIR SEG.sst...\n"
	    "       peer-rocksdb dump DBDIR\n");
	return 2;
}
