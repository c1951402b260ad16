/*
 * worker.c - one background thread with a one-job hand-off slot (worker.h).
 */
#include "worker.h"

#include <string.h>

static void *
worker_main(void *arg)
{
	sst_worker *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		sst_err e;
		void *job;
		int rc, skip;

		while (w->job == NULL && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->job == NULL)
			break;
		job = w->job;
		skip = w->rc != SST_OK || w->cancel;
		pthread_mutex_unlock(&w->mu);
		e.code = SST_OK;
		e.msg[0] = '\0';
		rc = w->fn(w->arg, job, skip, &e);
		pthread_mutex_lock(&w->mu);
		if (!skip && rc != SST_OK && w->rc == SST_OK) {
			w->rc = rc;
			w->err = e;
		}
		w->job = NULL;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

void
sst_worker_init(sst_worker *w, sst_worker_fn fn, void *arg, const char *name)
{
	memset(w, 0, sizeof(*w));
	w->fn = fn;
	w->arg = arg;
	w->name = name;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
}

/* REQUIRES: w->mu held. */
static int
wait_locked(sst_worker *w, sst_err *err)
{
	while (w->job != NULL)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->rc != SST_OK && err != NULL)
		*err = w->err;
	return w->rc;
}

int
sst_worker_start(sst_worker *w, sst_err *err)
{
	int rc;

	if (w->started)
		return SST_OK;
	w->quit = w->cancel = 0;
	if ((rc = pthread_create(&w->th, NULL, worker_main, w)) != 0)
		return sst_error(err, SST_ESYS, "%s: cannot start a thread: %s",
		    w->name, strerror(rc));
	w->started = 1;
	return SST_OK;
}

int
sst_worker_submit(sst_worker *w, void *job, sst_err *err)
{
	int rc;

	if ((rc = sst_worker_start(w, err)) != SST_OK)
		return rc;
	pthread_mutex_lock(&w->mu);
	if ((rc = wait_locked(w, err)) == SST_OK) {
		w->job = job;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int
sst_worker_wait(sst_worker *w, sst_err *err)
{
	int rc;

	if (!w->started)
		return SST_OK;
	pthread_mutex_lock(&w->mu);
	rc = wait_locked(w, err);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void
sst_worker_stop(sst_worker *w, int cancel)
{
	if (!w->started)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	w->cancel = cancel;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	w->started = 0;
}

void
sst_worker_destroy(sst_worker *w)
{
	sst_worker_stop(w, 1);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
}
