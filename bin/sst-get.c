/* sst-get: point lookups in tables and stores, later sources win. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "records.h"
#include "sources.h"
#include "util.h"

static const char usage_text[] =
"Usage: sst-get [-k KEY]... [-f FMT] [-e] [--missing] SOURCE...\n"
"Look keys up in tables and stores (later SOURCEs are newer).\n"
"With -k: print each found value followed by LF, in the order asked.\n"
"Without -k: read keys from stdin, one a line, and print KEY<TAB>VALUE\n"
"(or a cdb record with -f cdb) for each found key, in input order.\n"
"Exit 0 when every key was found, 1 when any was not.\n"
"\n"
"  -k, --key KEY      look KEY up (repeatable)\n"
"  -f, --format FMT   output format: tsv (default) or cdb\n"
"  -e, --escape       keys (-k and stdin) and output use backslash escapes\n"
"      --missing      print, instead, each asked key that was not found (one a\n"
"                     line, escaped with -e), in the order asked\n"
"  -h, --help         this help\n"
"      --version      print the version\n";

enum { OPT_MISSING = SST_OPT_FIRST_TOOL };

static const struct option longopts[] = {
	{ "key", required_argument, NULL, 'k' },
	{ "missing", no_argument, NULL, OPT_MISSING },
	{ "format", required_argument, NULL, 'f' },
	{ "escape", no_argument, NULL, 'e' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, SST_OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* The batch: keys in one arena, answers in another. */
typedef struct query {
	size_t koff, klen;
	size_t voff, vlen;
	int state;		/* 0 unresolved, 1 put, 2 delete */
	int cr;			/* read from a line that ended in CR */
} query;

typedef struct batch {
	sst_buf keys, vals;
	query *q;
	size_t n, cap;
} batch;

/* Sort entries: the key's first 8 bytes big-endian, then the query. */
typedef struct order_ent {
	uint64_t prefix;
	size_t q;
} order_ent;

static const uint8_t *batch_keys;
static const query *batch_q;

static uint64_t
key_prefix(const uint8_t *k, size_t n)
{
	uint64_t p = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		p = p << 8 | (i < n ? k[i] : 0);
	return p;
}

static int
cmp_order(const void *a, const void *b)
{
	const order_ent *x = a, *y = b;
	const query *qx, *qy;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	qx = &batch_q[x->q];
	qy = &batch_q[y->q];
	return sst_keycmp(batch_keys + qx->koff, qx->klen, batch_keys + qy->koff, qy->klen);
}

/*
 * Adds one asked key (decoded with escape). A bad key is a usage error for
 * -k (is_arg) and bad data for a line of stdin, named by where.
 */
static int
add_key(batch *bt, const uint8_t *k, size_t n, int escape, const char *where, int is_arg,
    sst_err *err)
{
	sst_buf dec = SST_BUF_INIT;
	const char *bad = NULL;
	int rc, cr = !is_arg && n > 0 && k[n - 1] == '\r';

	if (escape) {
		if ((rc = sst_unescape(k, n, &dec, err)) != SST_OK) {
			sst_buf_free(&dec);
			bad = err->msg;
			goto bad;
		}
		k = dec.p;
		n = dec.len;
	}
	if (n == 0 || n > SST_MAX_KEY) {
		sst_buf_free(&dec);
		bad = n ? "key longer than 65536 bytes" : "empty key";
		goto bad;
	}
	if (bt->n == bt->cap) {
		size_t cap = bt->cap ? 2 * bt->cap : 1024;
		query *q = realloc(bt->q, cap * sizeof(*q));

		if (q == NULL) {
			sst_buf_free(&dec);
			return sst_nomem(err, "keys");
		}
		bt->q = q;
		bt->cap = cap;
	}
	bt->q[bt->n] = (query){ bt->keys.len, n, 0, 0, 0, cr };
	rc = sst_buf_append(&bt->keys, k, n, err);
	sst_buf_free(&dec);
	if (rc == SST_OK)
		bt->n++;
	return rc;
bad:
	return is_arg ? sst_err_arg(err, where, bad) : sst_err_data(err, where, bad);
}

static int
read_stdin_keys(batch *bt, int escape, sst_err *err)
{
	char *line = NULL, where[64];
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = SST_OK;

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		snprintf(where, sizeof(where), SST_STDIN_NAME ":%zu", lineno);
		if ((rc = add_key(bt, (const uint8_t *)line, (size_t)len, escape, where, 0,
		    err)) != SST_OK)
			break;
	}
	if (rc == SST_OK && ferror(stdin))
		rc = sst_err_path(err, SST_STDIN_NAME);
	free(line);
	return rc;
}

typedef struct found_ctx {
	batch *bt;
	const order_ent *order;
} found_ctx;

static int
on_found(void *clos, size_t i, const sst_rec *r, sst_err *err)
{
	found_ctx *c = clos;
	query *q = &c->bt->q[c->order[i].q];

	q->voff = c->bt->vals.len;
	q->vlen = r->vlen;
	return sst_buf_append(&c->bt->vals, r->val, r->vlen, err);
}

/* Resolves every query in key order (sources.h: newest source first). */
static int
resolve(sst_sources *src, batch *bt, sst_err *err)
{
	order_ent *order;
	const uint8_t **keys;
	size_t *klens, i;
	int *state, rc = SST_OK;
	found_ctx c;

	order = malloc((bt->n ? bt->n : 1) * sizeof(*order));
	keys = malloc((bt->n ? bt->n : 1) * sizeof(*keys));
	klens = malloc((bt->n ? bt->n : 1) * sizeof(*klens));
	state = calloc(bt->n ? bt->n : 1, sizeof(*state));
	if (order == NULL || keys == NULL || klens == NULL || state == NULL)
		rc = sst_nomem(err, "keys");
	for (i = 0; i < bt->n && rc == SST_OK; i++)
		order[i] = (order_ent){ key_prefix(bt->keys.p + bt->q[i].koff, bt->q[i].klen), i };
	batch_keys = bt->keys.p;
	batch_q = bt->q;
	if (rc == SST_OK && bt->n > 1)
		qsort(order, bt->n, sizeof(*order), cmp_order);
	for (i = 0; i < bt->n && rc == SST_OK; i++) {
		keys[i] = bt->keys.p + bt->q[order[i].q].koff;
		klens[i] = bt->q[order[i].q].klen;
	}
	c.bt = bt;
	c.order = order;
	if (rc == SST_OK)
		rc = sst_sources_get_sorted(src, keys, klens, bt->n, state, on_found, &c, err);
	for (i = 0; i < bt->n && rc == SST_OK; i++)
		bt->q[order[i].q].state = state[i];
	free(order);
	free(keys);
	free(klens);
	free(state);
	return rc;
}

/* -k with -e, and --missing -e: v with the tsv escapes of records.h, then LF. */
static int
write_escaped(const uint8_t *v, size_t n, sst_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int ch = v[i], ok;

		switch (ch) {
		case '\\': ok = fputs("\\\\", stdout); break;
		case '\t': ok = fputs("\\t", stdout); break;
		case '\n': ok = fputs("\\n", stdout); break;
		case '\r': ok = fputs("\\r", stdout); break;
		case '\0': ok = fputs("\\0", stdout); break;
		default: ok = putchar(ch); break;
		}
		if (ok == EOF)
			return sst_err_write(err, "stdout");
	}
	if (putchar('\n') == EOF)
		return sst_err_write(err, "stdout");
	return SST_OK;
}

/* --missing: the key, one a line (escaped with -e). */
static int
write_key(const sst_rec *r, int escape, sst_err *err)
{
	char shown[160];

	if (escape)
		return write_escaped(r->key, r->klen, err);
	if (memchr(r->key, '\n', r->klen) != NULL) {
		sst_show_bytes(shown, sizeof(shown), r->key, r->klen, 0);
		return sst_error(err, SST_EDATA, "stdout: key \"%s\" holds a LF, which "
		    "a line cannot carry: use -e (escapes)", shown);
	}
	if (fwrite(r->key, 1, r->klen, stdout) != r->klen || putchar('\n') == EOF)
		return sst_err_write(err, "stdout");
	return SST_OK;
}

int
main(int argc, char **argv)
{
	sst_rec_opts wopts = { SST_FMT_TSV, 0, 0 };
	batch bt;
	sst_sources src = { NULL, 0 };
	sst_err err = { 0, "" };
	int c, rc, use_k = 0, missing = 0, unwritable = 0, list_missing = 0;
	size_t i, cr_missing = 0;

	sst_cli_init(argv[0]);
	memset(&bt, 0, sizeof(bt));
	/* Keys given with -k are kept raw until -e is known. */
	while ((c = getopt_long(argc, argv, "k:f:eh", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': use_k = 1; break;
		case 'f':
			if (sst_fmt_parse(optarg, &wopts.fmt) != 0)
				sst_cli_usage_error("--format: want tsv or cdb, not '%s'", optarg);
			break;
		case 'e': wopts.escape = 1; break;
		case OPT_MISSING: list_missing = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case SST_OPT_VERSION: sst_cli_version();
		default: sst_cli_bad_option();
		}
	}
	if (optind == argc)
		sst_cli_usage_error("no SOURCE given");
	rc = SST_OK;
	if (use_k) {
		optind = 0;
		while (rc == SST_OK &&
		    (c = getopt_long(argc, argv, "k:f:eh", longopts, NULL)) != -1)
			if (c == 'k' && (rc = add_key(&bt, (const uint8_t *)optarg, strlen(optarg),
			    wopts.escape, "-k", 1, &err)) == SST_EUSAGE)
				sst_cli_usage_error("%s", err.msg);
	} else {
		sst_cli_stdin_hint("keys", "one a line");
		rc = read_stdin_keys(&bt, wopts.escape, &err);
	}
	if (rc == SST_OK &&
	    (rc = sst_sources_open(&src, argv + optind, (size_t)(argc - optind), &err)) == SST_OK)
		rc = resolve(&src, &bt, &err);
	sst_sources_close(&src);
	if (rc == SST_OK)
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	for (i = 0; i < bt.n && rc == SST_OK; i++) {
		query *q = &bt.q[i];
		sst_rec r = { bt.keys.p + q->koff, q->klen, bt.vals.p + q->voff, q->vlen, SST_PUT };

		if (q->state != 1) {
			missing = 1;
			cr_missing += q->cr;
			if (list_missing)
				rc = write_key(&r, wopts.escape, &err);
			continue;
		}
		if (list_missing)
			continue;
		if (use_k && wopts.fmt == SST_FMT_TSV) {
			if (wopts.escape)
				rc = write_escaped(r.val, r.vlen, &err);
			else if ((r.vlen && fwrite(r.val, 1, r.vlen, stdout) != r.vlen) || putchar('\n') == EOF)
				rc = sst_err_write(&err, "stdout");
		} else if ((rc = sst_rec_write(stdout, &wopts, &r, &err)) == SST_EDATA)
			unwritable = 1;
	}
	if (unwritable) {
		/* a record plain tsv cannot carry: name where it is from */
		char msg[sizeof(err.msg)];

		snprintf(msg, sizeof(msg), "%s", err.msg);
		sst_error(&err, SST_EDATA, "%s: %s", argc - optind == 1 ? argv[optind] : "stdout", msg);
	}
	if (rc == SST_OK && fflush(stdout) != 0)
		rc = sst_err_write(&err, "stdout");
	if (rc == SST_OK && cr_missing > 0)
		fprintf(stderr, "%s: " SST_STDIN_NAME ": keys end in CR (a CRLF file?); "
		    "nothing found for %zu of them\n", sst_prog, cr_missing);
	sst_buf_free(&bt.keys);
	sst_buf_free(&bt.vals);
	free(bt.q);
	if (rc != SST_OK)
		return sst_cli_fail(&err);
	return missing ? 1 : 0;
}
