/*
 * peers/mtbl.c - the mtbl side of scripts/bench (Debian libmtbl-dev).
 *
 * peer-mtbl build -m BYTES -T TMPDIR -o OUT.mtbl [DATA.tsv]
 *	Reads KEY<TAB>VALUE lines in any order into an mtbl_sorter capped at
 *	BYTES, and writes its merged output with mtbl_writer (zstd level 3,
 *	8 KiB blocks). The sorter cannot tell which of two records of a key
 *	is newer, so each value is tagged with its 8-byte big-endian line
 *	number and the merge function keeps the higher one; the tag is
 *	stripped when writing. Prints "records N" on stderr.
 * peer-mtbl get TABLE < KEYS
 *	Looks up each key (one a line) with mtbl_source_get and prints
 *	KEY<TAB>VALUE for each found one, in input order. Prints on stderr
 *	"lookups L found F loop_us T", T timing only the lookup loop (keys
 *	are read into memory first). Exit 0 if all found, 1 otherwise.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mtbl.h>

#define TAG 8

static void
die(const char *what)
{
	fprintf(stderr, "peer-mtbl: %s%s%s\n", what, errno ? ": " : "",
	    errno ? strerror(errno) : "");
	exit(4);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void
keep_newer(void *clos, const uint8_t *key, size_t len_key,
    const uint8_t *v0, size_t l0, const uint8_t *v1, size_t l1,
    uint8_t **out, size_t *len_out)
{
	const uint8_t *v = memcmp(v0, v1, TAG) > 0 ? v0 : v1;
	size_t l = v == v0 ? l0 : l1;

	(void)clos; (void)key; (void)len_key;
	if ((*out = malloc(l)) == NULL)
		die("out of memory");
	memcpy(*out, v, l);
	*len_out = l;
}

static int
build(size_t mem, const char *tmp, const char *out, const char *in)
{
	struct mtbl_sorter_options *so = mtbl_sorter_options_init();
	struct mtbl_writer_options *wo = mtbl_writer_options_init();
	struct mtbl_sorter *s;
	struct mtbl_writer *w;
	struct mtbl_iter *it;
	const uint8_t *k, *v;
	size_t kl, vl, cap = 0, vcap = 0;
	uint64_t seq = 0, n = 0;
	uint8_t *tagged = NULL;
	char *line = NULL;
	ssize_t len;
	FILE *f = in ? fopen(in, "r") : stdin;

	if (f == NULL)
		die(in);
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	mtbl_sorter_options_set_max_memory(so, mem);
	mtbl_sorter_options_set_temp_dir(so, tmp);
	mtbl_sorter_options_set_merge_func(so, keep_newer, NULL);
	mtbl_writer_options_set_compression(wo, MTBL_COMPRESSION_ZSTD);
	mtbl_writer_options_set_compression_level(wo, 3);
	mtbl_writer_options_set_block_size(wo, 8192);
	if ((s = mtbl_sorter_init(so)) == NULL)
		die("mtbl_sorter_init");
	while ((len = getline(&line, &cap, f)) > 0) {
		char *tab;
		size_t klen;
		int i;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		tab = memchr(line, '\t', (size_t)len);
		klen = tab ? (size_t)(tab - line) : (size_t)len;
		vl = tab ? (size_t)len - klen - 1 : 0;
		if (vl + TAG > vcap) {
			vcap = (vl + TAG) * 2;
			if ((tagged = realloc(tagged, vcap)) == NULL)
				die("out of memory");
		}
		for (i = 0; i < TAG; i++)
			tagged[i] = (uint8_t)(seq >> (56 - 8 * i));
		seq++;
		if (vl)
			memcpy(tagged + TAG, tab + 1, vl);
		if (mtbl_sorter_add(s, (uint8_t *)line, klen, tagged,
		    vl + TAG) != mtbl_res_success)
			die("mtbl_sorter_add");
	}
	if (ferror(f))
		die("read");
	if ((w = mtbl_writer_init(out, wo)) == NULL)
		die(out);
	if ((it = mtbl_sorter_iter(s)) == NULL)
		die("mtbl_sorter_iter");
	while (mtbl_iter_next(it, &k, &kl, &v, &vl) == mtbl_res_success) {
		if (vl < TAG)
			die("untagged value");
		if (mtbl_writer_add(w, k, kl, v + TAG, vl - TAG) !=
		    mtbl_res_success)
			die("mtbl_writer_add");
		n++;
	}
	mtbl_iter_destroy(&it);
	mtbl_writer_destroy(&w);
	mtbl_sorter_destroy(&s);
	mtbl_sorter_options_destroy(&so);
	mtbl_writer_options_destroy(&wo);
	free(line);
	free(tagged);
	fprintf(stderr, "records %llu\n", (unsigned long long)n);
	return 0;
}

static int
get(const char *table)
{
	struct mtbl_reader *r;
	const struct mtbl_source *src;
	char *all, **keys, *p, *end;
	size_t cap = 1 << 20, used = 0, nk = 0, i, found = 0, kcap;
	double t0, t1;
	FILE *out = stdout;

	if ((all = malloc(cap)) == NULL)
		die("out of memory");
	for (;;) {
		size_t got = fread(all + used, 1, cap - used, stdin);
		used += got;
		if (got == 0)
			break;
		if (used == cap && (all = realloc(all, cap *= 2)) == NULL)
			die("out of memory");
	}
	if (ferror(stdin))
		die("read keys");
	kcap = used / 8 + 16;
	if ((keys = malloc(kcap * sizeof(*keys))) == NULL)
		die("out of memory");
	for (p = all, end = all + used; p < end; p++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nk == kcap && (keys = realloc(keys,
		    (kcap *= 2) * sizeof(*keys))) == NULL)
			die("out of memory");
		keys[nk++] = p;
		p = nl;
		if (nl < end)
			*nl = '\0';
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);

	t0 = now_us();
	if ((r = mtbl_reader_init(table, NULL)) == NULL)
		die(table);
	src = mtbl_reader_source(r);
	t1 = now_us();
	for (i = 0; i < nk; i++) {
		size_t kl = strlen(keys[i]), vl, rkl;
		const uint8_t *rk, *v;
		struct mtbl_iter *it = mtbl_source_get(src,
		    (const uint8_t *)keys[i], kl);

		if (it != NULL && mtbl_iter_next(it, &rk, &rkl, &v, &vl) ==
		    mtbl_res_success) {
			fwrite(keys[i], 1, kl, out);
			putc('\t', out);
			fwrite(v, 1, vl, out);
			putc('\n', out);
			found++;
		}
		mtbl_iter_destroy(&it);
	}
	fflush(out);
	fprintf(stderr, "lookups %zu found %zu open_us %.0f loop_us %.0f\n",
	    nk, found, t1 - t0, now_us() - t1);
	mtbl_reader_destroy(&r);
	free(keys);
	free(all);
	return found == nk ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const char *tmp = "/tmp", *out = NULL;
	size_t mem = 64u << 20;
	int c;

	if (argc >= 3 && strcmp(argv[1], "get") == 0)
		return get(argv[2]);
	if (argc < 2 || strcmp(argv[1], "build") != 0)
		goto usage;
	optind = 2;
	while ((c = getopt(argc, argv, "m:T:o:")) != -1) {
		switch (c) {
		case 'm': mem = strtoull(optarg, NULL, 10); break;
		case 'T': tmp = optarg; break;
		case 'o': out = optarg; break;
		default: goto usage;
		}
	}
	if (out == NULL)
		goto usage;
	return build(mem, tmp, out, optind < argc ? argv[optind] : NULL);
usage:
	fprintf(stderr, "usage: peer-mtbl build -m BYTES -T DIR -o OUT [IN]\n"
	    "       peer-mtbl get TABLE < KEYS\n");
	return 2;
}
