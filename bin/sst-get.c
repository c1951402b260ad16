/* sst-get: point lookups in tables and stores, later sources win. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "records.h"
#include "batch.h"
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

/* Where the answers go. */
typedef struct out {
	sst_rec_opts wopts;
	int use_k, list_missing, unwritable;
} out;

static int
on_answer(void *clos, const uint8_t *key, size_t klen, const sst_rec *r, sst_err *err)
{
	out *o = clos;
	int rc = SST_OK;

	if (r == NULL) {
		sst_rec k = { key, klen, NULL, 0, SST_PUT };

		return o->list_missing ? write_key(&k, o->wopts.escape, err) : SST_OK;
	}
	if (o->list_missing)
		return SST_OK;
	if (o->use_k && o->wopts.fmt == SST_FMT_TSV) {
		if (o->wopts.escape)
			return write_escaped(r->val, r->vlen, err);
		if ((r->vlen && fwrite(r->val, 1, r->vlen, stdout) != r->vlen) || putchar('\n') == EOF)
			return sst_err_write(err, "stdout");
		return SST_OK;
	}
	if ((rc = sst_rec_write(stdout, &o->wopts, r, err)) == SST_EDATA)
		o->unwritable = 1;
	return rc;
}

static int
on_flush(void *clos, sst_err *err)
{
	(void)clos;
	return fflush(stdout) != 0 ? sst_err_write(err, "stdout") : SST_OK;
}

/*
 * A key given with -k, decoded with -e into dec (*k, *n); a bad one is a
 * usage error. With bt, it is added to the batch.
 */
static int
add_arg(sst_batch *bt, const char *arg, int escape, sst_err *err)
{
	sst_buf dec = SST_BUF_INIT;
	const uint8_t *k = (const uint8_t *)arg;
	size_t n = strlen(arg);
	int rc = SST_OK;

	if (escape) {
		if (sst_unescape(k, n, &dec, err) != SST_OK) {
			sst_buf_free(&dec);
			return sst_err_arg(err, "-k", err->msg);
		}
		k = dec.p;
		n = dec.len;
	}
	if (n == 0 || n > SST_MAX_KEY)
		rc = sst_err_arg(err, "-k", n ? "key longer than 65536 bytes" : "empty key");
	else if (bt != NULL)
		rc = sst_batch_add(bt, k, n, 0, err);
	sst_buf_free(&dec);
	return rc;
}

static char obuf[1 << 16];	/* stdout's buffer */

int
main(int argc, char **argv)
{
	out o = { { SST_FMT_TSV, 0, 0 }, 0, 0, 0 };
	sst_batch *bt = NULL;
	sst_batch_opts bo = { 0, 0, 0, 0, 0, NULL };
	sst_sources src = { NULL, 0 };
	sst_err err = { 0, "" };
	uint64_t asked = 0, missing = 0, cr_missing = 0;
	int c, rc;

	sst_cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, "k:f:eh", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o.use_k = 1; break;
		case 'f':
			if (sst_fmt_parse(optarg, &o.wopts.fmt) != 0)
				sst_cli_usage_error("--format: want tsv or cdb, not '%s'", optarg);
			break;
		case 'e': o.wopts.escape = 1; break;
		case OPT_MISSING: o.list_missing = 1; break;
		case 'h': sst_cli_help(usage_text);
		case SST_OPT_VERSION: sst_cli_version();
		default: sst_cli_bad_option();
		}
	}
	if (optind == argc)
		sst_cli_usage_error("no SOURCE given");
	bo.escape = o.wopts.escape;
	/* Ours, not stdio's: no fstat and isatty probe of stdout, no malloc. */
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	if (o.use_k) {
		/* Keys given with -k are checked before any source is opened. */
		int opt_end = optind;

		optind = 0;
		while ((c = getopt_long(argc, argv, "k:f:eh", longopts, NULL)) != -1)
			if (c == 'k' && (rc = add_arg(NULL, optarg, o.wopts.escape, &err)) != SST_OK)
				sst_cli_usage_error("%s", err.msg);
		optind = opt_end;
	}
	rc = sst_sources_open(&src, argv + optind, (size_t)(argc - optind), &err);
	if (rc == SST_OK)
		rc = sst_batch_new(&bt, &src, &bo, on_answer, on_flush, &o, &err);
	if (rc == SST_OK && o.use_k) {
		int opt_end = optind;

		optind = 0;
		while (rc == SST_OK &&
		    (c = getopt_long(argc, argv, "k:f:eh", longopts, NULL)) != -1)
			if (c == 'k')
				rc = add_arg(bt, optarg, o.wopts.escape, &err);
		optind = opt_end;
	} else if (rc == SST_OK) {
		sst_cli_stdin_hint("keys", "one a line");
		rc = sst_batch_read(bt, 0, SST_STDIN_NAME, &err);
	}
	if (rc == SST_OK)
		rc = sst_batch_finish(bt, &err);
	if (bt != NULL)
		sst_batch_stats(bt, &asked, &missing, &cr_missing);
	sst_batch_free(&bt);
	sst_sources_close(&src);
	if (o.unwritable) {
		/* a record plain tsv cannot carry: name where it is from */
		char msg[sizeof(err.msg)];

		snprintf(msg, sizeof(msg), "%s", err.msg);
		sst_error(&err, SST_EDATA, "%s: %s", argc - optind == 1 ? argv[optind] : "stdout", msg);
	}
	if (rc == SST_OK && fflush(stdout) != 0)
		rc = sst_err_write(&err, "stdout");
	if (rc == SST_OK && cr_missing > 0)
		fprintf(stderr, "%s: " SST_STDIN_NAME ": keys end in CR (a CRLF file?); "
		    "nothing found for %llu of them\n", sst_prog, (unsigned long long)cr_missing);
	if (rc != SST_OK)
		return sst_cli_fail(&err);
	return missing ? 1 : 0;
}
