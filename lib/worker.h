/*
 * worker.h - one background thread with a one-job hand-off slot: the
 * caller fills the next piece of work while the worker does the last one
 * (the sorter's spills, the replay's memtable flushes).
 *
 * The thread starts on the first submit. submit waits until the slot is
 * empty, so at most two pieces of work exist at once: the one the worker
 * runs and the one the caller fills (this is what bounds memory). After a
 * job fails, later jobs are not run but still handed to the job function
 * with skip set, so it can release them; the first error is kept and
 * returned by submit and wait.
 *
 * Ordering: everything the caller wrote before submit is visible to the
 * job; everything the job wrote is visible to the caller once wait (or a
 * later submit) returned.
 *
 * The table writer (table_writer.c) keeps its own queue: eight blocks deep,
 * written in order by its worker while the caller, when the queue is full,
 * compresses the newest queued block itself (each block's state, queued,
 * busy or done, is shared under the queue's lock, and the worker waits for
 * a block the caller is compressing). One slot would leave one core idle
 * while the other compresses and writes.
 *
 * Thread-safety: one thread (the owner) calls these functions.
 */
#ifndef SST_WORKER_H
#define SST_WORKER_H

#include <pthread.h>

#include "err.h"

/*
 * Runs job (skip 0) and returns an sst code with err filled; or, with
 * skip 1 (an earlier job failed, or the worker was stopped with cancel),
 * only releases what job holds and returns SST_OK. Runs in the worker
 * thread, without the worker's lock.
 */
typedef int (*sst_worker_fn)(void *arg, void *job, int skip, sst_err *err);

typedef struct sst_worker {
	sst_worker_fn fn;
	void *arg;
	const char *name;	/* named in messages; borrowed */
	int started;
	int cancel;
	int quit;
	void *job;		/* the slot: NULL when empty */
	int rc;			/* the first error */
	sst_err err;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} sst_worker;

/* Sets w up (no thread yet). name (e.g. a path) is borrowed for messages. */
void sst_worker_init(sst_worker *w, sst_worker_fn fn, void *arg, const char *name);

/*
 * Starts the thread unless it runs: SST_ESYS "NAME: cannot start a
 * thread: ..." (a caller may then do the work itself).
 */
int sst_worker_start(sst_worker *w, sst_err *err);

/*
 * Waits until the slot is empty, then hands job to the worker (starting
 * its thread the first time). Returns the worker's first error instead,
 * without taking job; SST_ESYS "NAME: cannot start a thread: ..." when
 * the thread cannot be started (job not taken either).
 */
int sst_worker_submit(sst_worker *w, void *job, sst_err *err);

/* Waits until the worker is idle; returns its first error (err filled). */
int sst_worker_wait(sst_worker *w, sst_err *err);

/*
 * Stops and joins the thread. With cancel, a job still in the slot is
 * handed over with skip set; otherwise it is run first. Idempotent.
 */
void sst_worker_stop(sst_worker *w, int cancel);

/* Stops the worker (cancel) and frees its lock. */
void sst_worker_destroy(sst_worker *w);

#endif
