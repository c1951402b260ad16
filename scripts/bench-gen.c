/*
 * bench-gen.c - deterministic data for scripts/bench.
 *
 * bench-gen -n RECORDS [-l LOOKUPS] [-s SEED] -d DIR
 *
 * Writes into DIR:
 *   data.tsv     RECORDS lines KEY<TAB>VALUE, unsorted; 10% of the lines
 *                repeat an earlier key with a new value (the later wins)
 *   keys.txt     LOOKUPS keys, one a line, half present and half absent,
 *                shuffled
 *   expect.tsv   KEY<TAB>VALUE for each present key of keys.txt, in order:
 *                what a correct batch lookup prints
 *   final.cdbin  the latest record of every key in cdbmake form
 *   single.txt   one present key, LF, its latest value, LF
 *   stats        "records R unique U lookups L present P"
 *
 * Keys are 'k' and 16 hex digits of a bijective hash of a key number, so
 * they are 17 bytes, distinct, and unordered; absent keys hash numbers past
 * the last present one. A value is a function of (key number, version):
 * words from a small vocabulary and runs of random digits, 76 to 116 bytes,
 * about 2.5x compressible by zstd. Nothing is held per record but a 16-bit
 * version per key, so the expected answers need no second pass.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *words[] = {
	"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
	"hotel", "india", "juliet", "kilo", "lima", "mike", "november",
	"oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform",
	"victor", "whiskey", "xray", "yankee", "zulu", "red", "green", "blue",
	"amber", "north", "south", "east", "west", "status=ok", "status=err",
	"region=eu", "region=us", "region=ap", "tier=gold", "tier=free",
	"GET", "PUT", "POST", "DELETE", "/api/v1/items", "/api/v2/users",
	"/static/app.js", "Mozilla/5.0", "curl/8.1", "200", "404", "500",
	"ms", "bytes", "user", "session", "cache", "hit", "miss", "true",
	"false", "null", "id",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t
rnd(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return mix64(*s);
}

static uint64_t seed;

static size_t
make_key(uint64_t id, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h = mix64(id ^ seed);
	int i;

	out[0] = 'k';
	for (i = 0; i < 16; i++)
		out[1 + i] = hex[(h >> (60 - 4 * i)) & 15];
	return 17;
}

static size_t
make_value(uint64_t id, unsigned ver, char *out)
{
	uint64_t s = mix64(mix64(id ^ seed) + ver * 0x632be59bd9b4e019ULL);
	size_t len = 76 + rnd(&s) % 41, n = 0;

	while (n < len) {
		uint64_t r = rnd(&s);
		if (n > 0)
			out[n++] = ' ';
		if (r % 3 == 0) {
			int d = 3 + (int)((r >> 8) % 6);
			while (d-- > 0) {
				out[n++] = (char)('0' + (r >> 16) % 10);
				r = rnd(&s);
			}
		} else {
			const char *w = words[(r >> 8) % NWORDS];
			size_t wl = strlen(w);
			memcpy(out + n, w, wl);
			n += wl;
		}
	}
	return len;
}

static FILE *
open_out(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "bench-gen: %s: %s\n", path, strerror(errno));
		exit(4);
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

static void
close_out(FILE *f)
{
	if (fclose(f) != 0) {
		fprintf(stderr, "bench-gen: write: %s\n", strerror(errno));
		exit(4);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench-gen -n RECORDS [-l LOOKUPS] [-s SEED] -d DIR\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	uint64_t n = 0, nlook = 0, uniq, i, emitted = 0, s, *look;
	const char *dir = NULL;
	uint16_t *ver;
	char key[32], val[256];
	FILE *f;
	int c;

	seed = 42;
	while ((c = getopt(argc, argv, "n:l:s:d:")) != -1) {
		switch (c) {
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'l': nlook = strtoull(optarg, NULL, 10); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'd': dir = optarg; break;
		default: usage();
		}
	}
	if (n < 10 || dir == NULL)
		usage();
	if (nlook == 0)
		nlook = n / 4;
	uniq = n - n / 10;
	if ((ver = calloc(uniq, sizeof(*ver))) == NULL ||
	    (look = malloc(nlook * sizeof(*look))) == NULL) {
		fprintf(stderr, "bench-gen: out of memory\n");
		return 4;
	}

	/* Records: new keys in id order, each line a repeat with p = R/N. */
	f = open_out(dir, "data.tsv");
	s = seed * 7919 + 1;
	for (i = 0; i < n; i++) {
		uint64_t left = n - i, newleft = uniq - emitted, id;
		int repeat = emitted > 0 && rnd(&s) % left >= newleft;
		if (repeat) {
			id = rnd(&s) % emitted;
			if (ver[id] < UINT16_MAX)
				ver[id]++;
		} else
			id = emitted++;
		fwrite(key, 1, make_key(id, key), f);
		putc('\t', f);
		fwrite(val, 1, make_value(id, ver[id], val), f);
		putc('\n', f);
	}
	close_out(f);

	/* Lookups: half present (uniform over keys), half absent; shuffled. */
	for (i = 0; i < nlook; i++)
		look[i] = i < nlook / 2 ? rnd(&s) % uniq : uniq + i;
	for (i = nlook; i > 1; i--) {
		uint64_t j = rnd(&s) % i, t = look[i - 1];
		look[i - 1] = look[j];
		look[j] = t;
	}
	f = open_out(dir, "keys.txt");
	for (i = 0; i < nlook; i++) {
		fwrite(key, 1, make_key(look[i], key), f);
		putc('\n', f);
	}
	close_out(f);
	f = open_out(dir, "expect.tsv");
	for (i = 0; i < nlook; i++) {
		if (look[i] >= uniq)
			continue;
		fwrite(key, 1, make_key(look[i], key), f);
		putc('\t', f);
		fwrite(val, 1, make_value(look[i], ver[look[i]], val), f);
		putc('\n', f);
	}
	close_out(f);

	f = open_out(dir, "final.cdbin");
	for (i = 0; i < uniq; i++) {
		size_t kl = make_key(i, key), vl = make_value(i, ver[i], val);
		fprintf(f, "+%zu,%zu:", kl, vl);
		fwrite(key, 1, kl, f);
		fputs("->", f);
		fwrite(val, 1, vl, f);
		putc('\n', f);
	}
	putc('\n', f);
	close_out(f);

	f = open_out(dir, "single.txt");
	i = uniq / 2;
	fwrite(key, 1, make_key(i, key), f);
	putc('\n', f);
	fwrite(val, 1, make_value(i, ver[i], val), f);
	putc('\n', f);
	close_out(f);

	f = open_out(dir, "stats");
	fprintf(f, "records %llu unique %llu lookups %llu present %llu\n",
	    (unsigned long long)n, (unsigned long long)uniq,
	    (unsigned long long)nlook, (unsigned long long)(nlook / 2));
	close_out(f);
	free(ver);
	free(look);
	return 0;
}
