/*
 * test_fileio.c - output paths (sst-build(1), OUTPUT: "checked before the
 * work"), atomic output through symbolic links, stale temporary files of
 * killed writers, split-output checks, and undoing a failed store creation.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fileio.h"
#include "store.h"
#include "unit.h"

static char dir[300];

static const char *
P(const char *name)
{
	static char buf[4][600];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static int
has(const char *path, const char *text)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strcmp(buf, text) == 0;
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Writes text to path through sst_out. */
static int
out_write(const char *path, const char *text, sst_err *err)
{
	sst_out o;
	int rc;

	if ((rc = sst_out_open(&o, path, err)) != SST_OK)
		return rc;
	if ((rc = sst_out_write(&o, text, strlen(text), err)) != SST_OK) {
		sst_out_abort(&o);
		return rc;
	}
	return sst_out_commit(&o, err);
}

static void
test_check(void)
{
	sst_err e;
	char *t;
	struct sockaddr_un sa;
	int s;

	put(P("reg"), "x");
	CHECK_RC(sst_out_check(P("reg"), &e), SST_OK);
	CHECK_RC(sst_out_check(P("absent"), &e), SST_OK);
	mkdir(P("d"), 0777);
	CHECK_RC(sst_out_check(P("d"), &e), SST_EUSAGE);
	CHECK(strstr(e.msg, "/d: output is a directory") != NULL);
	CHECK_RC(sst_out_check("/dev/null", &e), SST_EUSAGE);
	CHECK(strcmp(e.msg, "/dev/null: output is a character device, not a regular file") == 0);
	mkfifo(P("fifo"), 0666);
	CHECK_RC(sst_out_check(P("fifo"), &e), SST_EUSAGE);
	CHECK(strstr(e.msg, "fifo: output is a FIFO") != NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", P("sock"));
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0 &&
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		CHECK_RC(sst_out_check(P("sock"), &e), SST_EUSAGE);
		CHECK(strstr(e.msg, "a socket") != NULL);
	}
	if (s >= 0)
		close(s);
	/* missing directory: a system error naming the path and the directory */
	CHECK_RC(sst_out_check(P("nodir/x.sst"), &e), SST_ESYS);
	CHECK(strstr(e.msg, "nodir/x.sst: directory ") != NULL && strstr(e.msg, "No such file") != NULL);
	CHECK_RC(sst_out_check(P("reg/x.sst"), &e), SST_ESYS);
	/* links: followed to what they name */
	CHECK(symlink("reg", P("l-reg")) == 0);
	CHECK_RC(sst_out_check(P("l-reg"), &e), SST_OK);
	CHECK_RC(sst_out_target(P("l-reg"), &t, &e), SST_OK);
	CHECK(t != NULL && strcmp(t, P("reg")) == 0);
	free(t);
	CHECK(symlink("l-reg", P("l-l-reg")) == 0);
	CHECK_RC(sst_out_target(P("l-l-reg"), &t, &e), SST_OK);
	CHECK(t != NULL && strcmp(t, P("reg")) == 0);
	free(t);
	CHECK(symlink(P("d"), P("l-d")) == 0);	/* absolute */
	CHECK_RC(sst_out_check(P("l-d"), &e), SST_EUSAGE);
	CHECK(strstr(e.msg, "l-d: output links to ") != NULL && strstr(e.msg, "a directory") != NULL);
	CHECK(symlink("/dev/full", P("l-full")) == 0);
	CHECK_RC(sst_out_check(P("l-full"), &e), SST_EUSAGE);
	CHECK(symlink("new", P("l-new")) == 0);	/* dangling: the file is created */
	CHECK_RC(sst_out_check(P("l-new"), &e), SST_OK);
	CHECK(symlink("nodir/x", P("l-nodir")) == 0);
	CHECK_RC(sst_out_check(P("l-nodir"), &e), SST_ESYS);
	CHECK(symlink("loop2", P("loop1")) == 0 && symlink("loop1", P("loop2")) == 0);
	CHECK_RC(sst_out_check(P("loop1"), &e), SST_ESYS);
	CHECK(strstr(e.msg, "loop1: ") != NULL);
	/* an unwritable directory (root passes access checks: skipped then) */
	mkdir(P("ro"), 0555);
	if (geteuid() != 0) {
		CHECK_RC(sst_out_check(P("ro/x"), &e), SST_ESYS);
		CHECK(strstr(e.msg, "Permission denied") != NULL);
	}
}

static void
test_symlink_output(void)
{
	sst_err e;
	struct stat st;

	put(P("target"), "old");
	CHECK(symlink("target", P("link")) == 0);
	CHECK_RC(out_write(P("link"), "new", &e), SST_OK);
	CHECK(lstat(P("link"), &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(has(P("target"), "new"));
	/* a dangling link: its target is created, the link stays */
	CHECK(symlink("made", P("link2")) == 0);
	CHECK_RC(out_write(P("link2"), "m", &e), SST_OK);
	CHECK(lstat(P("link2"), &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(has(P("made"), "m"));
	/* devices, FIFOs and directories are never replaced */
	CHECK_RC(out_write(P("fifo"), "x", &e), SST_EUSAGE);
	CHECK(lstat(P("fifo"), &st) == 0 && S_ISFIFO(st.st_mode));
	CHECK_RC(out_write(P("l-full"), "x", &e), SST_EUSAGE);
	CHECK(lstat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode));
	CHECK_RC(out_write(P("d"), "x", &e), SST_EUSAGE);
}

/* A temporary file as a killed writer leaves it: unlocked. */
static void
stale(const char *name)
{
	put(P(name), "stale");
}

static void
test_stale(void)
{
	sst_err e;
	sst_out o;
	int fd;

	mkdir(P("s"), 0777);
	stale("s/.int.sst.tmp-AAAAAA");
	stale("s/..int.sst.tmp-BBBBBB.tmp-CCCCCC");	/* a nested one (split part) */
	stale("s/.other.sst.tmp-DDDDDD");		/* another output's */
	stale("s/.int.sst.tmpfoo");			/* not the pattern */
	put(P("s/.int.sst.tmp-LIVE00"), "live");		/* a live writer's: locked */
	fd = open(P("s/.int.sst.tmp-LIVE00"), O_RDONLY);
	CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0);
	mkfifo(P("s/.int.sst.tmp-FIFO00"), 0666);
	CHECK_RC(sst_out_open(&o, P("s/int.sst"), &e), SST_OK);
	/* the writer's own file is locked: a second cleaner leaves it */
	CHECK_RC(sst_out_clean(P("s/int.sst"), &e), SST_OK);
	CHECK(exists(o.tmp));
	CHECK(!exists(P("s/.int.sst.tmp-AAAAAA")));
	CHECK(!exists(P("s/..int.sst.tmp-BBBBBB.tmp-CCCCCC")));
	CHECK(exists(P("s/.other.sst.tmp-DDDDDD")));
	CHECK(exists(P("s/.int.sst.tmpfoo")));
	CHECK(exists(P("s/.int.sst.tmp-LIVE00")));
	CHECK(exists(P("s/.int.sst.tmp-FIFO00")));
	CHECK_RC(sst_out_write(&o, "t", 1, &e), SST_OK);
	CHECK_RC(sst_out_commit(&o, &e), SST_OK);
	CHECK(has(P("s/int.sst"), "t"));
	/* released: the next writer takes it */
	close(fd);
	CHECK_RC(sst_out_clean(P("s/int.sst"), &e), SST_OK);
	CHECK(!exists(P("s/.int.sst.tmp-LIVE00")));
	/* abort leaves nothing */
	CHECK_RC(sst_out_open(&o, P("s/int.sst"), &e), SST_OK);
	CHECK(exists(o.tmp));
	{
		char tmp[600];

		snprintf(tmp, sizeof(tmp), "%s", o.tmp);
		sst_out_abort(&o);
		CHECK(!exists(tmp));
	}
	CHECK(has(P("s/int.sst"), "t"));
	/* an output whose name starts with a dot */
	stale("s/..hid.tmp-EEEEEE");
	CHECK_RC(out_write(P("s/.hid"), "h", &e), SST_OK);
	CHECK(!exists(P("s/..hid.tmp-EEEEEE")));
}

static void
test_split(void)
{
	sst_err e;
	int fd;

	mkdir(P("p"), 0777);
	CHECK_RC(sst_out_check_split(P("p/day.sst"), &e), SST_OK);
	put(P("p/day-0001.sst"), "1");
	CHECK(symlink("day-0001.sst", P("p/day-0002.sst")) == 0);
	mkdir(P("p/day-01.sst"), 0777);		/* 2 digits: not a part */
	mkdir(P("p/day-0003.sstx"), 0777);	/* other extension */
	CHECK_RC(sst_out_check_split(P("p/day.sst"), &e), SST_OK);
	mkfifo(P("p/day-10000.sst"), 0666);
	CHECK_RC(sst_out_check_split(P("p/day.sst"), &e), SST_EUSAGE);
	CHECK(strstr(e.msg, "day-10000.sst: output is a FIFO") != NULL);
	unlink(P("p/day-10000.sst"));
	CHECK(symlink("/dev/null", P("p/day-0004.sst")) == 0);
	CHECK_RC(sst_out_check_split(P("p/day.sst"), &e), SST_EUSAGE);
	CHECK(strstr(e.msg, "day-0004.sst: output links to /dev/null") != NULL);
	unlink(P("p/day-0004.sst"));
	CHECK_RC(sst_out_check_split(P("p/nodir/day.sst"), &e), SST_ESYS);
	CHECK(strstr(e.msg, "nodir/day.sst: directory") != NULL);
	/* no extension */
	mkdir(P("p/part-0001"), 0777);
	CHECK_RC(sst_out_check_split(P("p/part"), &e), SST_EUSAGE);
	/* stale part temporaries go, live ones and other names stay */
	stale("p/.day-0001.sst.tmp-part123");
	stale("p/..day-0007.sst.tmp-part123.tmp-XYZXYZ");
	stale("p/.day-0001.sst.tmpx");
	stale("p/.night-0001.sst.tmp-part1");
	put(P("p/.day-0002.sst.tmp-part9"), "live");
	fd = open(P("p/.day-0002.sst.tmp-part9"), O_RDONLY);
	CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0);
	CHECK_RC(sst_out_clean_split(P("p/day.sst"), &e), SST_OK);
	CHECK(!exists(P("p/.day-0001.sst.tmp-part123")));
	CHECK(!exists(P("p/..day-0007.sst.tmp-part123.tmp-XYZXYZ")));
	CHECK(exists(P("p/.day-0001.sst.tmpx")));
	CHECK(exists(P("p/.night-0001.sst.tmp-part1")));
	CHECK(exists(P("p/.day-0002.sst.tmp-part9")));
	close(fd);
	CHECK(has(P("p/day-0001.sst"), "1"));
}

/* A finished output registered _locked keeps its lock until unregistered. */
static void
test_held(void)
{
	char *part = sst_out_tmp_name(P("p/day-0005.sst"), "part77");
	sst_err e;

	CHECK(part != NULL && strcmp(part, P("p/.day-0005.sst.tmp-part77")) == 0);
	if (part == NULL)
		return;
	sst_cleanup_register_locked(part);
	CHECK_RC(out_write(part, "p", &e), SST_OK);
	CHECK_RC(sst_out_clean_split(P("p/day.sst"), &e), SST_OK);
	CHECK(has(part, "p"));
	sst_cleanup_unregister(part);
	CHECK_RC(sst_out_clean_split(P("p/day.sst"), &e), SST_OK);
	CHECK(!exists(part));
	free(part);
}

static void
test_group(void)
{
	sst_tmpgroup g1, g2, z;
	sst_err e;
	char *m1, *m2;

	memset(&z, 0, sizeof(z));
	sst_tmpgroup_close(&z);		/* zeroed: nothing, stdin stays open */
	CHECK(fcntl(0, F_GETFD) >= 0 || errno != EBADF);
	mkdir(P("g"), 0777);
	/* a killed run's group: unlocked anchor, members, a member's temp */
	stale("g/wr-DEAD00.lock");
	stale("g/wr-DEAD00-1.sst");
	stale("g/.wr-DEAD00-2.sst.tmp-ABCDEF");
	stale("g/wr-DEAD01-1.sst");	/* no anchor: not a group's */
	stale("g/wrx-DEAD02.lock");	/* another prefix */
	CHECK_RC(sst_tmpgroup_open(&g1, P("g"), "wr", &e), SST_OK);
	CHECK(!exists(P("g/wr-DEAD00.lock")) && !exists(P("g/wr-DEAD00-1.sst")));
	CHECK(!exists(P("g/.wr-DEAD00-2.sst.tmp-ABCDEF")));
	CHECK(exists(P("g/wr-DEAD01-1.sst")) && exists(P("g/wrx-DEAD02.lock")));
	m1 = sst_tmpgroup_path(&g1, "1.sst");
	CHECK(m1 != NULL);
	if (m1 == NULL) {
		sst_tmpgroup_close(&g1);
		return;
	}
	CHECK(strncmp(m1, g1.anchor, strlen(g1.anchor) - 5) == 0);
	put(m1, "flushed");
	/* a live group stays */
	CHECK_RC(sst_tmpgroup_open(&g2, P("g"), "wr", &e), SST_OK);
	CHECK(exists(g1.anchor) && has(m1, "flushed"));
	m2 = sst_tmpgroup_path(&g2, "1.sst");
	put(m2, "other");
	sst_tmpgroup_close(&g1);
	CHECK(!exists(m1));
	CHECK(has(m2, "other"));
	sst_tmpgroup_close(&g2);
	CHECK(!exists(m2));
	free(m1);
	free(m2);
}

static void
test_store_abort(void)
{
	sst_store *s;
	sst_err e;
	char *t;

	/* created here and failed: nothing left */
	CHECK_RC(sst_store_open_writer(&s, P("st1"), 1, 0, &e), SST_OK);
	CHECK(exists(P("st1/MANIFEST")));
	CHECK_RC(sst_store_new_table(s, &t, &e), SST_OK);
	put(t, "half a table");
	stale("st1/.000009.sst.tmp-QQQQQQ");
	free(t);
	sst_store_discard(&s);
	CHECK(s == NULL);
	CHECK(!exists(P("st1")));
	/* an existing empty directory: emptied again, kept */
	mkdir(P("st2"), 0777);
	CHECK_RC(sst_store_open_writer(&s, P("st2"), 1, 0, &e), SST_OK);
	sst_store_discard(&s);
	CHECK(exists(P("st2")) && !exists(P("st2/MANIFEST")) && !exists(P("st2/LOCK")));
	CHECK(rmdir(P("st2")) == 0);
	/* a store that existed before: never removed */
	CHECK_RC(sst_store_open_writer(&s, P("st4"), 1, 0, &e), SST_OK);
	sst_store_close(&s);
	CHECK_RC(sst_store_open_writer(&s, P("st4"), 1, 0, &e), SST_OK);
	sst_store_discard(&s);
	CHECK(exists(P("st4/MANIFEST")));
	sst_store_discard(&s);	/* NULL-safe */
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "%s", unit_tmpdir());
	test_check();
	test_symlink_output();
	test_stale();
	test_split();
	test_held();
	test_group();
	test_store_abort();
	UNIT_DONE();
}
