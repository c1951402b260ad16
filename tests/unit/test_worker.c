/*
 * test_worker.c - the one-slot worker (lib/worker.h) and the piecewise
 * checksum (util.h: sst_checksum_begin/update/final, sst_checksumv).
 */
#include <sys/uio.h>

#include "unit.h"
#include "util.h"
#include "worker.h"

struct log {
	int order[16];
	int n;
	int skipped;
	int fail_at;	/* job number that fails, or -1 */
};

static int
job_fn(void *arg, void *job, int skip, sst_err *err)
{
	struct log *l = arg;
	int id = *(int *)job;

	if (skip) {
		l->skipped++;
		return SST_OK;
	}
	l->order[l->n++] = id;
	if (id == l->fail_at)
		return sst_error(err, SST_EDATA, "job %d: failed", id);
	return SST_OK;
}

static void
test_worker(void)
{
	int ids[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, i;
	struct log l;
	sst_worker w;
	sst_err err;

	/* jobs run one at a time, in submit order; wait sees their effects */
	memset(&l, 0, sizeof(l));
	l.fail_at = -1;
	sst_worker_init(&w, job_fn, &l, "test");
	CHECK_RC(sst_worker_wait(&w, &err), SST_OK);	/* not started: idle */
	for (i = 0; i < 8; i++)
		CHECK_RC(sst_worker_submit(&w, &ids[i], &err), SST_OK);
	CHECK_RC(sst_worker_wait(&w, &err), SST_OK);
	CHECK(l.n == 8);
	for (i = 0; i < 8; i++)
		CHECK(l.order[i] == i);
	sst_worker_destroy(&w);

	/* the first error is kept: later submits return it, take no job */
	memset(&l, 0, sizeof(l));
	l.fail_at = 1;
	sst_worker_init(&w, job_fn, &l, "test");
	CHECK_RC(sst_worker_submit(&w, &ids[0], &err), SST_OK);
	CHECK_RC(sst_worker_submit(&w, &ids[1], &err), SST_OK);
	CHECK_RC(sst_worker_wait(&w, &err), SST_EDATA);
	CHECK(strcmp(err.msg, "job 1: failed") == 0);
	memset(&err, 0, sizeof(err));
	CHECK_RC(sst_worker_submit(&w, &ids[2], &err), SST_EDATA);
	CHECK(strcmp(err.msg, "job 1: failed") == 0);
	CHECK(l.n == 2 && l.skipped == 0);
	sst_worker_stop(&w, 0);
	sst_worker_stop(&w, 0);	/* idempotent */
	sst_worker_destroy(&w);

	/* stop without cancel runs the job in the slot */
	memset(&l, 0, sizeof(l));
	l.fail_at = -1;
	sst_worker_init(&w, job_fn, &l, "test");
	CHECK_RC(sst_worker_submit(&w, &ids[3], &err), SST_OK);
	sst_worker_stop(&w, 0);
	CHECK(l.n + l.skipped == 1 && l.n == 1);
	/* a stopped worker starts again on the next submit */
	CHECK_RC(sst_worker_submit(&w, &ids[4], &err), SST_OK);
	CHECK_RC(sst_worker_wait(&w, &err), SST_OK);
	CHECK(l.n == 2 && l.order[1] == 4);
	sst_worker_destroy(&w);
}

static void
test_checksum(void)
{
	uint8_t data[5000];
	sst_checksum_state cs;
	struct iovec iov[3];
	uint32_t whole;
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + 7);
	whole = sst_checksum(data, sizeof(data), 4096);
	CHECK(whole != sst_checksum(data, sizeof(data), 4097));	/* the seed counts */
	sst_checksum_begin(&cs, 4096);
	sst_checksum_update(&cs, data, 3);
	sst_checksum_update(&cs, data + 3, 0);
	sst_checksum_update(&cs, data + 3, 1997);
	sst_checksum_update(&cs, data + 2000, 3000);
	CHECK(sst_checksum_final(&cs) == whole);
	iov[0].iov_base = data;
	iov[0].iov_len = 8;
	iov[1].iov_base = data + 8;
	iov[1].iov_len = 300;
	iov[2].iov_base = data + 308;
	iov[2].iov_len = sizeof(data) - 308;
	CHECK(sst_checksumv(iov, 3, 4096) == whole);
	CHECK(sst_checksum2(data, 100, data + 100, sizeof(data) - 100, 4096) == whole);
}

int
main(void)
{
	test_worker();
	test_checksum();
	UNIT_DONE();
}
