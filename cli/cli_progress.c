#include "cli_progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

#define REDRAW		(1.0 / 6)
#define TICKS		4096
#define CHECK_BYTES	(8u << 20)
#define LINE_MAX_W	200

void
sst_progress_init(sst_progress *p, const char *tool, int mode)
{
	memset(p, 0, sizeof(*p));
	p->tool = tool != NULL ? tool : "";
	if (mode == SST_PROGRESS_FORCE)
		p->enabled = 1;
	else if (mode == SST_PROGRESS_QUIET)
		p->enabled = 0;
	else
		p->enabled = isatty(STDERR_FILENO);
	p->lines = p->enabled && !isatty(STDERR_FILENO);
	p->every = SST_PROGRESS_LOG_EVERY;
	p->start = p->last = p->phase_start = sst_now();
}

static void
fmt_count(char *out, size_t n, uint64_t v)
{
	if (v < 10000)
		snprintf(out, n, "%llu", (unsigned long long)v);
	else if (v < 1000000)
		snprintf(out, n, "%.1fK", (double)v / 1e3);
	else if (v < 1000000000)
		snprintf(out, n, "%.2fM", (double)v / 1e6);
	else
		snprintf(out, n, "%.2fG", (double)v / 1e9);
}

static void
fmt_bytes(char *out, size_t n, double v)
{
	if (v < 1024)
		snprintf(out, n, "%.0f B", v);
	else if (v < 1024.0 * 1024)
		snprintf(out, n, "%.1f KiB", v / 1024);
	else if (v < 1024.0 * 1024 * 1024)
		snprintf(out, n, "%.1f MiB", v / (1024.0 * 1024));
	else
		snprintf(out, n, "%.2f GiB", v / (1024.0 * 1024 * 1024));
}

static void
fmt_time(char *out, size_t n, double s)
{
	unsigned long t = s > 359999 ? 359999 : (unsigned long)(s + 0.5);

	if (t >= 3600)
		snprintf(out, n, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, n, "%lu:%02lu", t / 60, t % 60);
}

static void
draw(sst_progress *p, double now, uint64_t records, uint64_t bytes, uint64_t total)
{
	char line[LINE_MAX_W + 64], num[32], sz[32], rate[40], eta[48], t[24];
	double el = now - p->phase_start;
	int w;

	fmt_count(num, sizeof(num), records);
	fmt_bytes(sz, sizeof(sz), (double)bytes);
	rate[0] = eta[0] = '\0';
	if (el > 0.05 && bytes > 0) {
		fmt_bytes(rate, sizeof(rate), (double)bytes / el);
		strcat(rate, "/s");
	} else if (el > 0.05 && records > 0) {
		fmt_count(rate, sizeof(rate) - 10, (uint64_t)((double)records / el));
		strcat(rate, " rec/s");
	}
	if (total > 0 && bytes > 0 && bytes <= total && el > 0.05) {
		fmt_time(t, sizeof(t), el * (double)(total - bytes) / (double)bytes);
		snprintf(eta, sizeof(eta), "%3.0f%% ETA %s",
		    100.0 * (double)bytes / (double)total, t);
	}
	w = snprintf(line, sizeof(line), "%s: %s  %s records%s%s%s%s%s%s",
	    p->tool, p->phase != NULL ? p->phase : "", num,
	    bytes > 0 ? "  " : "", bytes > 0 ? sz : "",
	    rate[0] ? "  " : "", rate, eta[0] ? "  " : "", eta);
	if (w < 0)
		return;
	if (w > LINE_MAX_W)
		w = LINE_MAX_W;
	line[w] = '\0';
	if (p->lines)
		fprintf(stderr, "%s\n", line);
	else
		fprintf(stderr, "\r%s%*s", line, p->drawn > w ? p->drawn - w : 0, "");
	fflush(stderr);
	p->drawn = w;
	p->last = now;
}

void
sst_progress_update(sst_progress *p, const char *phase, uint64_t records,
    uint64_t bytes, uint64_t total)
{
	double now;
	int newphase;

	if (!p->enabled)
		return;
	p->records = records;
	p->bytes = bytes;
	p->total = total;
	newphase = phase != p->phase &&
	    (phase == NULL || p->phase == NULL || strcmp(phase, p->phase) != 0);
	if (!newphase && (p->tick++ % TICKS) != 0 && bytes < p->check_bytes)
		return;
	p->check_bytes = bytes + CHECK_BYTES;
	now = sst_now();
	if (p->lines) {
		/* a log: a line every p->every seconds, whatever the phase */
		if (newphase) {
			p->phase = phase;
			p->phase_start = now;
			p->tick = 1;
		}
		if (now - p->last >= p->every)
			draw(p, now, records, bytes, total);
		return;
	}
	if (newphase) {
		p->phase = phase;
		p->phase_start = now;
		p->tick = 1;
	} else if (now - p->last < REDRAW && p->drawn > 0) {
		return;
	}
	if (newphase && p->drawn > 0 && now - p->last < REDRAW)
		return;
	draw(p, now, records, bytes, total);
}

void
sst_progress_done(sst_progress *p)
{
	if (p->enabled && p->lines && p->phase != NULL) {
		/* the final line of a log: where the last phase ended */
		draw(p, sst_now(), p->records, p->bytes, p->total);
		p->phase = NULL;
		p->drawn = 0;
		return;
	}
	if (!p->enabled || p->drawn == 0)
		return;
	fprintf(stderr, "\r%*s\r", p->drawn, "");
	fflush(stderr);
	p->drawn = 0;
}

void
sst_progress_cb(void *arg, const char *phase, uint64_t records, uint64_t bytes, uint64_t total)
{
	sst_progress_update(arg, phase, records, bytes, total);
}

int
sst_progress_opt(int c, int *mode)
{
	if (c == 'q')
		*mode = SST_PROGRESS_QUIET;
	else if (c == SST_OPT_PROGRESS)
		*mode = SST_PROGRESS_FORCE;
	else
		return 0;
	return 1;
}
