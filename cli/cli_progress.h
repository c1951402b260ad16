/*
 * cli_progress.h - progress lines on stderr for long-running tools: phase,
 * records, bytes, rate and, where the total is known, the time left.
 * Shown when stderr is a terminal (or forced), redrawn at most ~6 times a
 * second, erased at the end. A line reads
 *   "TOOL: PHASE  1.25M records  143.2 MiB  98.4 MiB/s  12% ETA 0:07"
 * and is redrawn in place with \r (padded with spaces over the last one).
 * When stderr is not a terminal (--progress into a log file or a pipe),
 * each update is instead a whole line ending in LF, never a CR: at most one
 * every SST_PROGRESS_LOG_EVERY seconds, plus a final line at the end.
 *
 * Thread-safety: one thread.
 */
#ifndef SST_CLI_PROGRESS_H
#define SST_CLI_PROGRESS_H

#include <stdint.h>

#define SST_PROGRESS_LOG_EVERY 5.0

enum sst_progress_mode { SST_PROGRESS_AUTO = 0, SST_PROGRESS_FORCE = 1, SST_PROGRESS_QUIET = 2 };

typedef struct sst_progress {
	const char *tool;
	int enabled;
	double start, last;
	const char *phase;
	double phase_start;
	unsigned tick;
	int drawn;		/* width of the line on screen, 0 if none */
	uint64_t check_bytes;	/* look at the clock again past these bytes */
	int lines;		/* stderr is no terminal: whole lines, no CR */
	double every;		/* seconds between lines (lines mode) */
	uint64_t records, bytes, total;	/* the last update, for the final line */
} sst_progress;

/*
 * The progress options: -q (--quiet) and --progress (SST_OPT_PROGRESS,
 * cli.h) into *mode; returns 1 if c was one of them, 0 otherwise.
 */
int sst_progress_opt(int c, int *mode);
#define SST_PROGRESS_LONGOPTS \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "progress", no_argument, NULL, SST_OPT_PROGRESS }

/* mode: enum sst_progress_mode (AUTO: shown when stderr is a terminal). */
void sst_progress_init(sst_progress *p, const char *tool, int mode);
/*
 * total: bytes expected in this phase, 0 if unknown (then no ETA). Cheap:
 * call per record; the clock is read only every 4096 calls or 8 MiB.
 * A new phase (a different string) starts its own rate and is drawn at once.
 */
void sst_progress_update(sst_progress *p, const char *phase, uint64_t records,
    uint64_t bytes, uint64_t total);
/* Erases the progress line (the tool may then print its summary). */
void sst_progress_done(sst_progress *p);

/*
 * The library's progress callback (lib/progress.h sst_progress_fn) drawing
 * on the sst_progress that arg points to: sst_progress_update.
 */
void sst_progress_cb(void *arg, const char *phase, uint64_t records, uint64_t bytes,
    uint64_t total);

#endif
