/*
 * progress.h - how the library reports the progress of a long run (a merge,
 * a replay): a callback the caller supplies, with its closure. The library
 * prints nothing; the tools' progress lines are cli/cli_progress.h.
 *
 * Thread-safety: called on the thread that runs the operation.
 */
#ifndef SST_PROGRESS_H
#define SST_PROGRESS_H

#include <stdint.h>

/*
 * Called per record (keep it cheap): phase names the stage ("merge",
 * "replaying"), records and bytes are the counts so far in it, total the
 * bytes expected (0 when unknown).
 */
typedef void (*sst_progress_fn)(void *arg, const char *phase, uint64_t records,
    uint64_t bytes, uint64_t total);

#endif
