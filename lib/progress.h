/*
 * progress.h - progress lines on stderr for long-running tools: phase,
 * records, bytes, rate and, where the total is known, the time left.
 * Shown when stderr is a terminal (or forced), redrawn at most ~6 times a
 * second, erased at the end.
 *
 * Thread-safety: one thread.
 */
#ifndef SST_PROGRESS_H
#define SST_PROGRESS_H

#include <stdint.h>

enum sst_progress_mode { SST_PROGRESS_AUTO = 0, SST_PROGRESS_FORCE = 1, SST_PROGRESS_QUIET = 2 };

typedef struct sst_progress {
	const char *tool;
	int enabled;
	double start, last;
	const char *phase;
	double phase_start;
	unsigned tick;
	int drawn;
} sst_progress;

void sst_progress_init(sst_progress *p, const char *tool, int mode);
/* total: bytes expected in this phase, 0 if unknown. Cheap: call per record. */
void sst_progress_update(sst_progress *p, const char *phase, uint64_t records,
    uint64_t bytes, uint64_t total);
/* Erases the progress line. */
void sst_progress_done(sst_progress *p);

#endif
