/*
 * store.c - the store directory, its manifest and its writer lock. The byte
 * format and the commit protocol are in formats/store.md.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "store_int.h"
#include "util.h"

#define SNAP_PREFIX	".MANIFEST.snap-"

struct sst_store {
	char *dir;
	int lockfd;
	int made_dir;		/* this writer made the directory */
	int made_store;		/* ... or wrote the first manifest */
	sst_manifest m;
	uint64_t next;		/* numbers handed out; >= m.next */
	/*
	 * Paths removed on SIGINT/SIGTERM (the cleanup registry): the new
	 * tables handed out and not yet committed, and, while this writer
	 * creates the store and until a commit lists a table, its directory,
	 * LOCK and MANIFEST. Each leaves the registry before the manifest
	 * rename that could make it live (a signal in between leaves what a
	 * kill -9 does: leftovers for the next writer).
	 */
	struct armed {
		char *path;
		uint64_t num;	/* a table's number, else UINT64_MAX */
	} *armed;
	size_t narmed;
};

/* Registers dir/name (name NULL: dir itself) for removal on a signal. */
static void
arm(sst_store *s, const char *name, uint64_t num)
{
	char path[PATH_MAX];
	struct armed *v;
	sst_err e;

	if (name != NULL && sst_store_path_join(path, sizeof(path), s->dir, name, &e) != SST_OK)
		return;
	if ((v = realloc(s->armed, (s->narmed + 1) * sizeof(*v))) == NULL)
		return;	/* best effort, as the registry is */
	s->armed = v;
	v += s->narmed;
	if ((v->path = strdup(name != NULL ? path : s->dir)) == NULL)
		return;
	v->num = num;
	if (name != NULL)
		sst_cleanup_register(v->path);
	else
		sst_cleanup_register_dir(v->path);
	s->narmed++;
}

static int listed(const sst_manifest *m, uint64_t num);

/*
 * Unregisters what a commit of m publishes: its tables and, if it lists
 * any, the store being created. m NULL: everything (the writer is done).
 */
static void
disarm(sst_store *s, const sst_manifest *m)
{
	size_t i, kept = 0;

	for (i = 0; i < s->narmed; i++) {
		struct armed *a = &s->armed[i];

		if (m != NULL && (a->num == UINT64_MAX ? m->n == 0 : !listed(m, a->num))) {
			s->armed[kept++] = *a;
			continue;
		}
		sst_cleanup_unregister(a->path);
		free(a->path);
	}
	s->narmed = kept;
	if (kept == 0) {
		free(s->armed);
		s->armed = NULL;
	}
}

int
sst_store_path_join(char *out, size_t cap, const char *dir, const char *name, sst_err *err)
{
	if ((size_t)snprintf(out, cap, "%s/%s", dir, name) >= cap)
		return sst_error(err, SST_ESYS, "%s/%s: path too long", dir, name);
	return SST_OK;
}

/* Reads the whole manifest file open at fd (path for messages). */
static int
read_fd_bytes(int fd, const char *path, uint8_t **buf, size_t *len, sst_err *err)
{
	struct stat st;
	uint8_t *b;
	int rc;

	*buf = NULL;
	*len = 0;
	if (fstat(fd, &st) != 0)
		return sst_syserr(err, "%s: stat", path);
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)MANIFEST_MAX)
		return sst_error(err, SST_EDATA, "%s: not a manifest file (or too large)", path);
	if ((b = sst_malloc((size_t)st.st_size + 1, err)) == NULL)
		return SST_ESYS;
	if ((rc = sst_pread_full(fd, b, (size_t)st.st_size, 0, path, err)) != SST_OK) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = (size_t)st.st_size;
	return SST_OK;
}

/* Reads DIR/MANIFEST into a malloc'd buffer. */
static int
read_manifest_bytes(const char *dir, uint8_t **buf, size_t *len, sst_err *err)
{
	char path[PATH_MAX];
	int fd, rc;

	*buf = NULL;
	*len = 0;
	if ((rc = sst_store_path_join(path, sizeof(path), dir, "MANIFEST", err)) != SST_OK)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return sst_error(err, SST_EDATA, "%s: not a store (no MANIFEST)", dir);
		return sst_syserr(err, "%s", path);
	}
	rc = read_fd_bytes(fd, path, buf, len, err);
	close(fd);
	return rc;
}

int
sst_manifest_read(const char *dir, sst_manifest *m, sst_err *err)
{
	char path[PATH_MAX];
	uint8_t *buf;
	size_t len;
	int rc;

	sst_manifest_init(m);
	if ((rc = read_manifest_bytes(dir, &buf, &len, err)) != SST_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/MANIFEST", dir);
	rc = sst_manifest_parse(buf, len, path, m, err);
	free(buf);
	return rc;
}

/*
 * Before MANIFEST is replaced, the old one gets a second name,
 * .MANIFEST.snap-INODE, so that the next writers can find the readers that
 * still hold it (formats/store.md, "Reading the store").
 */
static int
keep_old_manifest(const char *dir, const char *mpath, sst_err *err)
{
	char snap[PATH_MAX], name[64];
	struct stat st;

	if (stat(mpath, &st) != 0)
		return errno == ENOENT ? SST_OK : sst_syserr(err, "%s", mpath);
	snprintf(name, sizeof(name), SNAP_PREFIX "%llu", (unsigned long long)st.st_ino);
	if (sst_store_path_join(snap, sizeof(snap), dir, name, err) != SST_OK)
		return SST_ESYS;
	if (link(mpath, snap) != 0 && errno != EEXIST)
		return sst_syserr(err, "%s: link", snap);
	return SST_OK;
}

/* *published: the new MANIFEST is in place, even if rc is an error. */
static int
manifest_write(const char *dir, const sst_manifest *m, int *published, sst_err *err)
{
	char path[PATH_MAX];
	sst_out o;
	char *buf;
	size_t len;
	int rc;

	*published = 0;
	if ((rc = sst_store_path_join(path, sizeof(path), dir, "MANIFEST", err)) != SST_OK)
		return rc;
	if ((rc = sst_manifest_format(m, &buf, &len, err)) != SST_OK)
		return rc;
	if ((rc = keep_old_manifest(dir, path, err)) != SST_OK) {
		free(buf);
		return rc;
	}
	rc = sst_out_open(&o, path, err);
	if (rc == SST_OK) {
		rc = sst_out_write(&o, buf, len, err);
		if (rc == SST_OK) {
			rc = sst_out_commit(&o, err);
			*published = o.published;
		} else
			sst_out_abort(&o);
	}
	free(buf);
	return rc;
}

/* ---- readers ---- */

int
sst_store_is(const char *path)
{
	char p[PATH_MAX];
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	if ((size_t)snprintf(p, sizeof(p), "%s/MANIFEST", path) >= sizeof(p))
		return 0;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int
sst_store_check_path(const char *path, int *is_store, sst_err *err)
{
	struct stat st;

	*is_store = 0;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return SST_OK;
	if (!sst_store_is(path))
		return sst_error(err, SST_EDATA, "%s: not a store (no MANIFEST)", path);
	*is_store = 1;
	return SST_OK;
}

void
sst_store_tables_free(sst_table **tables, size_t n)
{
	size_t i;

	if (tables == NULL)
		return;
	for (i = 0; i < n; i++)
		sst_table_close(&tables[i]);
	free(tables);
}

/* Opens DIR/NAME checking that it is there with the listed size. */
static int
open_listed(const char *dir, const sst_store_entry *e, sst_table **t, sst_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, rc;

	*t = NULL;
	if ((rc = sst_store_path_join(path, sizeof(path), dir, e->name, err)) != SST_OK)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return sst_error(err, SST_EDATA, "%s: table listed in the manifest is "
			    "missing", path);
		return sst_syserr(err, "%s", path);
	}
	if (fstat(fd, &st) != 0) {
		rc = sst_syserr(err, "%s", path);
		close(fd);
		return rc;
	}
	if ((uint64_t)st.st_size != e->size) {
		close(fd);
		return sst_error(err, SST_EDATA, "%s: size %llu, but the manifest says %" PRIu64,
		    path, (unsigned long long)st.st_size, e->size);
	}
	return sst_table_open_stat(t, fd, path, &st, err);
}

/* Every table m lists is there with its listed size (stat only: no descriptor). */
static int
stat_listed(const char *dir, const sst_manifest *m, sst_err *err)
{
	char path[PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; i < m->n; i++) {
		struct stat st;

		if ((rc = sst_store_path_join(path, sizeof(path), dir, m->t[i].name, err)) != SST_OK)
			return rc;
		if (stat(path, &st) != 0)
			return errno == ENOENT ? sst_error(err, SST_EDATA, "%s: table listed in the "
			    "manifest is missing", path) : sst_syserr(err, "%s", path);
		if ((uint64_t)st.st_size != m->t[i].size)
			return sst_error(err, SST_EDATA, "%s: size %llu, but the manifest says %"
			    PRIu64, path, (unsigned long long)st.st_size, m->t[i].size);
	}
	return SST_OK;
}

/* Fills the key ranges of a version-1 manifest's entries from their tables. */
static int
fill_ranges(const char *dir, sst_manifest *m, sst_err *err)
{
	size_t i;
	int rc = SST_OK;

	for (i = 0; i < m->n && rc == SST_OK; i++) {
		sst_table *t;
		sst_props p;

		if (m->t[i].ranged)
			continue;
		if ((rc = open_listed(dir, &m->t[i], &t, err)) != SST_OK)
			break;
		rc = sst_table_props(t, &p, err);
		if (rc == SST_OK)
			rc = sst_store_entry_set_range(&m->t[i], &p, err);
		sst_table_close(&t);
	}
	return rc;
}

/*
 * Pins the current manifest: opens MANIFEST, takes flock(LOCK_SH|LOCK_NB)
 * on it and checks that the file still has a name (a writer that found it
 * unlocked may have dropped it: formats/store.md). Retries, bounded, when a
 * writer got in between; each retry means a writer committed. On success
 * *fd is the locked descriptor and the manifest's bytes are parsed into m.
 */
int
sst_store_pin_manifest(const char *dir, int *fdp, sst_manifest *m, sst_err *err)
{
	char path[PATH_MAX];
	int tries, fd = -1, rc;

	*fdp = -1;
	if ((rc = sst_store_path_join(path, sizeof(path), dir, "MANIFEST", err)) != SST_OK)
		return rc;
	for (tries = 0;; tries++) {
		struct stat st;
		uint8_t *b;
		size_t len;

		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				return sst_error(err, SST_EDATA, "%s: not a store (no MANIFEST)", dir);
			return sst_syserr(err, "%s", path);
		}
		if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
			if (errno != EWOULDBLOCK && errno != EINTR) {
				rc = sst_syserr(err, "%s: flock", path);
				close(fd);
				return rc;
			}
			st.st_nlink = 0;	/* a writer is dropping it: retry */
		} else if (fstat(fd, &st) != 0) {
			rc = sst_syserr(err, "%s: stat", path);
			close(fd);
			return rc;
		}
		if (st.st_nlink == 0) {
			close(fd);
			if (tries >= 100000)
				return sst_error(err, SST_ESYS, "%s: the manifest keeps changing",
				    path);
			continue;
		}
		rc = read_fd_bytes(fd, path, &b, &len, err);
		if (rc == SST_OK)
			rc = sst_manifest_parse(b, len, path, m, err);
		free(b);
		if (rc != SST_OK) {
			close(fd);
			return rc;
		}
		*fdp = fd;
		return SST_OK;
	}
}

int
sst_store_snap_open(sst_store_snap *s, const char *dir, sst_err *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	sst_manifest_init(&s->m);
	if ((s->dir = strdup(dir)) == NULL)
		return sst_nomem(err, dir);
	rc = sst_store_pin_manifest(dir, &s->fd, &s->m, err);
	if (rc == SST_OK)
		rc = stat_listed(dir, &s->m, err);
	if (rc == SST_OK)
		rc = fill_ranges(dir, &s->m, err);
	if (rc != SST_OK)
		sst_store_snap_close(s);
	return rc;
}

void
sst_store_snap_close(sst_store_snap *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	sst_manifest_free(&s->m);
	free(s->dir);
	s->dir = NULL;
}

int
sst_store_open_entry(const char *dir, const sst_store_entry *e, sst_table **t, sst_err *err)
{
	return open_listed(dir, e, t, err);
}

int
sst_store_snap_table(const sst_store_snap *s, size_t i, sst_table **t, sst_err *err)
{
	return open_listed(s->dir, &s->m.t[i], t, err);
}

int
sst_store_open_tables(const char *dir, sst_table ***tables, size_t *n, sst_err *err)
{
	sst_store_snap sn;
	sst_table **t;
	size_t i;
	int rc;

	*tables = NULL;
	*n = 0;
	if ((rc = sst_store_snap_open(&sn, dir, err)) != SST_OK)
		return rc;
	if ((t = sst_calloc(sn.m.n ? sn.m.n : 1, sizeof(*t), err)) == NULL) {
		sst_store_snap_close(&sn);
		return SST_ESYS;
	}
	for (i = 0; i < sn.m.n; i++)
		if ((rc = sst_store_snap_table(&sn, i, &t[i], err)) != SST_OK)
			break;
	if (rc != SST_OK)
		sst_store_tables_free(t, i);
	else {
		*tables = t;
		*n = i;
	}
	sst_store_snap_close(&sn);
	return rc;
}

/* ---- the writer ---- */

static int
is_leftover_tmp(const char *name)
{
	uint64_t num;
	const char *t;

	if (name[0] != '.')
		return 0;
	if (strncmp(name, ".MANIFEST.tmp-", 14) == 0)
		return 1;
	t = strstr(name, ".sst.tmp-");
	return t != NULL && sst_store_table_number(name + 1, (size_t)(t + 4 - (name + 1)), &num) == SST_OK;
}

static int
listed(const sst_manifest *m, uint64_t num)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->t[i].number == num)
			return 1;
	return 0;
}

/* Table numbers that readers still hold (sorted), or all of them. */
typedef struct numset {
	uint64_t *v;
	size_t n;
	int all;
} numset;

static int
numset_has(const numset *h, uint64_t num)
{
	return h->all || (h->n > 0 && bsearch(&num, h->v, h->n, sizeof(*h->v), sst_cmp_u64) != NULL);
}

/* Adds the tables of a held snapshot (its bytes at fd) to h. */
static int
hold_snapshot(int fd, const char *path, numset *h, sst_err *err)
{
	sst_manifest m;
	uint64_t *v;
	uint8_t *b;
	size_t i, len;
	int rc;

	rc = read_fd_bytes(fd, path, &b, &len, err);
	if (rc == SST_OK)
		rc = sst_manifest_parse(b, len, path, &m, err);
	free(b);
	if (rc != SST_OK) {
		h->all = 1;	/* cannot tell which tables it holds: keep every one */
		return SST_OK;
	}
	if ((v = sst_realloc(h->v, (h->n + m.n + 1) * sizeof(*v), err)) == NULL) {
		sst_manifest_free(&m);
		return SST_ESYS;
	}
	h->v = v;
	for (i = 0; i < m.n; i++)
		v[h->n++] = m.t[i].number;
	sst_manifest_free(&m);
	return SST_OK;
}

/*
 * Visits the old manifests (.MANIFEST.snap-*): one that no reader holds
 * (flock(LOCK_EX|LOCK_NB) succeeds) is removed; the tables of those still
 * held go to h, with those of live. Never waits.
 */
static int
release_snapshots(sst_store *s, const sst_manifest *live, numset *h, sst_err *err)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t i;
	DIR *d;
	int rc = SST_OK;

	memset(h, 0, sizeof(*h));
	/* The live tables are kept too: h is the set of all tables to keep. */
	if ((h->v = sst_malloc((live->n + 1) * sizeof(*h->v), err)) == NULL)
		return SST_ESYS;
	for (i = 0; i < live->n; i++)
		h->v[h->n++] = live->t[i].number;
	if ((d = opendir(s->dir)) == NULL) {
		free(h->v);
		h->v = NULL;
		return sst_syserr(err, "%s: open directory", s->dir);
	}
	while (rc == SST_OK && (de = readdir(d)) != NULL) {
		int fd;

		if (strncmp(de->d_name, SNAP_PREFIX, strlen(SNAP_PREFIX)) != 0 ||
		    sst_store_path_join(path, sizeof(path), s->dir, de->d_name, err) != SST_OK)
			continue;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			unlink(path);	/* no reader: it goes (readers retry on nlink 0) */
		else
			rc = hold_snapshot(fd, path, h, err);
		close(fd);
	}
	closedir(d);
	if (rc == SST_OK && h->n > 1)
		qsort(h->v, h->n, sizeof(*h->v), sst_cmp_u64);
	if (rc != SST_OK) {
		free(h->v);
		h->v = NULL;
	}
	return rc;
}

static int
remove_leftovers(sst_store *s, sst_err *err)
{
	char path[PATH_MAX];
	struct dirent *de;
	uint64_t num;
	numset held;
	DIR *d;
	int removed = 0, rc;

	if ((rc = release_snapshots(s, &s->m, &held, err)) != SST_OK)
		return rc;
	if ((d = opendir(s->dir)) == NULL) {
		free(held.v);
		return sst_syserr(err, "%s: open directory", s->dir);
	}
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;
		int tab = sst_store_table_number(nm, strlen(nm), &num) == SST_OK;

		if (tab && num >= s->next)
			s->next = num + 1;
		if (!is_leftover_tmp(nm) && !(tab && !numset_has(&held, num)))
			continue;
		if (sst_store_path_join(path, sizeof(path), s->dir, nm, err) != SST_OK)
			continue;
		if (unlink(path) == 0)
			removed++;
	}
	closedir(d);
	free(held.v);
	if (removed)
		return sst_fsync_dir(s->dir, err);
	return SST_OK;
}

/*
 * The writer's check of the manifest it read: every listed table is there
 * with its listed size (else damage); a version-1 manifest gets its key
 * ranges from the tables (the upgrade commits them).
 */
static int
check_listed(sst_store *s, sst_err *err)
{
	int rc = stat_listed(s->dir, &s->m, err);

	return rc == SST_OK ? fill_ranges(s->dir, &s->m, err) : rc;
}

/* An existing directory may become a store only if it holds nothing but
 * leftovers of an interrupted creation. */
static int
dir_is_fresh(const char *dir, sst_err *err)
{
	struct dirent *de;
	DIR *d;
	int ok = 1;

	if ((d = opendir(dir)) == NULL)
		return sst_syserr(err, "%s: open directory", dir);
	while ((de = readdir(d)) != NULL) {
		const char *nm = de->d_name;

		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0 || strcmp(nm, "LOCK") == 0 ||
		    strncmp(nm, ".MANIFEST.tmp-", 14) == 0)
			continue;
		ok = 0;
		break;
	}
	closedir(d);
	if (!ok)
		return sst_error(err, SST_EDATA, "%s: not a store (no MANIFEST) and not empty: "
		    "refusing to make it one", dir);
	return SST_OK;
}

static int
lock_store(sst_store *s, int create, int wait, sst_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	int rc;

	if (stat(s->dir, &st) != 0) {
		if (errno != ENOENT || !create)
			return sst_syserr(err, "%s", s->dir);
		if (mkdir(s->dir, 0777) == 0) {
			s->made_dir = 1;
			arm(s, NULL, UINT64_MAX);
		} else if (errno != EEXIST) {
			return sst_syserr(err, "%s: cannot create store directory", s->dir);
		}	/* EEXIST: another writer's, which a failure here must leave alone */
		if ((rc = sst_fsync_dir(s->dir, err)) != SST_OK ||
		    (rc = sst_store_path_join(path, sizeof(path), s->dir, "..", err)) != SST_OK ||
		    (rc = sst_fsync_dir(path, err)) != SST_OK)
			return rc;
	} else if (!S_ISDIR(st.st_mode)) {
		return sst_error(err, SST_EDATA, "%s: not a store (not a directory)", s->dir);
	}
	if (!sst_store_is(s->dir)) {
		if (!create)
			return sst_error(err, SST_EDATA, "%s: not a store (no MANIFEST)", s->dir);
		if ((rc = dir_is_fresh(s->dir, err)) != SST_OK)
			return rc;
	}
	if ((rc = sst_store_path_join(path, sizeof(path), s->dir, "LOCK", err)) != SST_OK)
		return rc;
	s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (s->lockfd < 0)
		return sst_syserr(err, "%s", path);
	while (flock(s->lockfd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return sst_error(err, SST_ELOCKED, "%s: store is locked by another writer "
			    "(try again later, or --wait)", s->dir);
		return sst_syserr(err, "%s: flock", path);
	}
	return SST_OK;
}

int
sst_store_open_writer(sst_store **sp, const char *dir, int create, int wait, sst_err *err)
{
	sst_store *s;
	int rc;

	*sp = NULL;
	if ((s = sst_calloc(1, sizeof(*s), err)) == NULL)
		return SST_ESYS;
	s->lockfd = -1;
	sst_manifest_init(&s->m);
	if ((s->dir = strdup(dir)) == NULL) {
		free(s);
		return sst_nomem(err, dir);
	}
	rc = lock_store(s, create, wait, err);
	if (rc == SST_OK && !sst_store_is(dir)) {
		int published;

		s->made_store = 1;	/* its LOCK is ours: discarded on failure */
		arm(s, "LOCK", UINT64_MAX);
		arm(s, "MANIFEST", UINT64_MAX);
		if ((rc = dir_is_fresh(dir, err)) == SST_OK)
			rc = manifest_write(dir, &s->m, &published, err);
	}
	if (rc == SST_OK) {
		sst_manifest_free(&s->m);
		rc = sst_manifest_read(dir, &s->m, err);
	}
	if (rc == SST_OK)
		rc = check_listed(s, err);
	if (rc == SST_OK) {
		s->next = s->m.next;
		rc = remove_leftovers(s, err);
	}
	/* Skip past the numbers of removed leftovers too; upgrade version 1. */
	if (rc == SST_OK && (s->next > s->m.next || s->m.version < SST_STORE_VERSION)) {
		sst_manifest m;

		if ((rc = sst_manifest_copy(&m, &s->m, err)) == SST_OK) {
			m.version = SST_STORE_VERSION;
			rc = sst_store_commit(s, &m, err);
			sst_manifest_free(&m);
		}
	}
	if (rc != SST_OK) {
		sst_store_discard(&s);	/* a store made here goes again */
		return rc;
	}
	*sp = s;
	return SST_OK;
}

int
sst_store_new_table(sst_store *s, char **path, sst_err *err)
{
	char name[32], p[PATH_MAX];
	int rc;

	snprintf(name, sizeof(name), "%06" PRIu64 ".sst", s->next);
	if ((rc = sst_store_path_join(p, sizeof(p), s->dir, name, err)) != SST_OK)
		return rc;
	if ((*path = strdup(p)) == NULL)
		return sst_nomem(err, p);
	arm(s, name, s->next);
	s->next++;
	return SST_OK;
}

const sst_manifest *
sst_store_manifest(const sst_store *s)
{
	return &s->m;
}

const char *
sst_store_dir(const sst_store *s)
{
	return s->dir;
}

int
sst_store_commit(sst_store *s, const sst_manifest *m, sst_err *err)
{
	char path[PATH_MAX];
	sst_manifest nm;
	numset held;
	size_t i;
	int rc, published;

	if ((rc = sst_manifest_copy(&nm, m, err)) != SST_OK)
		return rc;
	nm.version = SST_STORE_VERSION;
	if (nm.next < s->next)
		nm.next = s->next;
	disarm(s, &nm);
	if ((rc = manifest_write(s->dir, &nm, &published, err)) != SST_OK) {
		/*
		 * Renamed but not made durable: readers see nm now, so it is
		 * the store's state; the old tables stay, as a crash may yet
		 * bring the old manifest back (the next writer removes them).
		 */
		if (published) {
			sst_manifest_free(&s->m);
			s->m = nm;
		} else
			sst_manifest_free(&nm);
		return rc;
	}
	/* The old tables go, but for those that readers still hold (a later
	 * writer removes them as leftovers once they are released). */
	if (release_snapshots(s, &nm, &held, err) != SST_OK)
		held.all = 1;
	for (i = 0; i < s->m.n; i++) {
		if (numset_has(&held, s->m.t[i].number))
			continue;
		if (sst_store_path_join(path, sizeof(path), s->dir, s->m.t[i].name, err) == SST_OK)
			unlink(path);
	}
	free(held.v);
	sst_manifest_free(&s->m);
	s->m = nm;
	return SST_OK;
}

int
sst_store_lists(const sst_store *s, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *nm = slash ? slash + 1 : path;
	uint64_t num;

	return sst_store_table_number(nm, strlen(nm), &num) == SST_OK && listed(&s->m, num);
}

/* The file name part of path, which must be directly inside the store. */
static int
entry_of_path(sst_store *s, const char *path, const char **name, uint64_t *num,
    uint64_t *size, sst_err *err)
{
	const char *slash = strrchr(path, '/');
	const char *nm = slash ? slash + 1 : path;
	struct stat st;

	if (sst_store_table_number(nm, strlen(nm), num) != SST_OK || *num >= s->next || listed(&s->m, *num))
		return sst_error(err, SST_EUSAGE, "%s: not a new table of store %s", path, s->dir);
	if (stat(path, &st) != 0)
		return sst_syserr(err, "%s", path);
	*name = nm;
	*size = (uint64_t)st.st_size;
	return SST_OK;
}

int
sst_store_add(sst_store *s, char *const *paths, size_t n, sst_err *err)
{
	sst_manifest m;
	size_t i;
	int rc;

	if ((rc = sst_manifest_copy(&m, &s->m, err)) != SST_OK)
		return rc;
	for (i = 0; i < n && rc == SST_OK; i++) {
		const char *name = NULL;
		uint64_t num = 0, size = 0;

		rc = entry_of_path(s, paths[i], &name, &num, &size, err);
		if (rc == SST_OK)
			rc = sst_manifest_push(&m, name, num, 0, size, err);
		if (rc == SST_OK)
			rc = fill_ranges(s->dir, &m, err);
	}
	if (rc == SST_OK)
		rc = sst_store_commit(s, &m, err);
	sst_manifest_free(&m);
	return rc;
}

void
sst_store_discard(sst_store **sp)
{
	char path[PATH_MAX];
	struct dirent *de;
	sst_store *s;
	sst_err e;
	DIR *d;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	if ((s->made_dir || s->made_store) && (d = opendir(s->dir)) != NULL) {
		/* Only what a store holds: tables, its files and temporaries. */
		while ((de = readdir(d)) != NULL) {
			uint64_t num;
			const char *nm = de->d_name;

			if ((strcmp(nm, "MANIFEST") == 0 || strcmp(nm, "LOCK") == 0 ||
			    is_leftover_tmp(nm) || strncmp(nm, SNAP_PREFIX, strlen(SNAP_PREFIX)) == 0 ||
			    sst_store_table_number(nm, strlen(nm), &num) == SST_OK) &&
			    sst_store_path_join(path, sizeof(path), s->dir, nm, &e) == SST_OK)
				unlink(path);
		}
		closedir(d);
		if (s->made_dir && rmdir(s->dir) == 0 &&
		    sst_store_path_join(path, sizeof(path), s->dir, "..", &e) == SST_OK)
			(void)sst_fsync_dir(path, &e);
	}
	sst_store_close(sp);
}

/* Read order: deeper levels first; in a level >= 1 by smallest key; level 0
 * (and ties) in the order given. */
typedef struct sort_ent {
	sst_store_entry e;
	size_t order;
} sort_ent;

static int
sort_ent_cmp(const void *a, const void *b)
{
	const sort_ent *x = a, *y = b;
	int c;

	if (x->e.level != y->e.level)
		return x->e.level > y->e.level ? -1 : 1;
	if (x->e.level > 0 && x->e.records > 0 && y->e.records > 0 &&
	    (c = sst_keycmp(x->e.lo, x->e.lolen, y->e.lo, y->e.lolen)) != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

int
sst_manifest_sort(sst_manifest *m, sst_err *err)
{
	sort_ent *v;
	size_t i;

	if ((v = sst_calloc(m->n + 1, sizeof(*v), err)) == NULL)
		return SST_ESYS;
	for (i = 0; i < m->n; i++) {
		v[i].e = m->t[i];
		v[i].order = i;
	}
	qsort(v, m->n, sizeof(*v), sort_ent_cmp);
	for (i = 0; i < m->n; i++)
		m->t[i] = v[i].e;
	free(v);
	return SST_OK;
}

void
sst_store_close(sst_store **sp)
{
	sst_store *s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	disarm(s, NULL);
	if (s->lockfd >= 0)
		close(s->lockfd);
	sst_manifest_free(&s->m);
	free(s->dir);
	free(s);
	*sp = NULL;
}
