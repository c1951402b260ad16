/*
 * cli_input.c - sst_cli_read_inputs (cli.h): its own object in
 * build/libsstcli.a, so that only the tools that read record inputs link
 * the record readers (and libarchive).
 */
#include <stdio.h>

#include "cli.h"
#include "records.h"

/* One input: the hint, its records to fn, the reader's hint. */
static int
read_input(const char *path, const sst_rec_opts *ro, sst_cli_rec_fn fn, void *arg,
    uint64_t *before, sst_err *err)
{
	sst_reader *rd;
	sst_rec r;
	int eof = 0, rc;

	sst_cli_records_hint(path, ro->fmt);
	if ((rc = sst_reader_open(&rd, path, ro, err)) != SST_OK)
		return rc;
	while ((rc = sst_reader_next(rd, &r, &eof, err)) == SST_OK && !eof)
		if ((rc = fn(arg, rd, &r, *before, err)) != SST_OK)
			break;
	*before += sst_reader_bytes_in(rd);
	if (sst_reader_hint(rd) != NULL)
		fprintf(stderr, "%s: %s\n", sst_prog, sst_reader_hint(rd));
	sst_reader_close(&rd);
	return rc;
}

int
sst_cli_read_inputs(char *const *paths, int n, const sst_rec_opts *ro, sst_cli_rec_fn fn,
    void *arg, sst_err *err)
{
	uint64_t before = 0;
	int i, rc = SST_OK;

	if (n == 0)
		return read_input(NULL, ro, fn, arg, &before, err);
	for (i = 0; i < n && rc == SST_OK; i++)
		rc = read_input(paths[i], ro, fn, arg, &before, err);
	return rc;
}
