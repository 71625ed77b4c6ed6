/*
 * spool: outcome lines kept on disk until reported holds them.
 *
 * db-writer -r writes each batch of outcome lines to its own spool file
 * (and syncs it) before the transaction that records them, and empties
 * the file after the COMMIT.  So the outcome of a message that went out is
 * on disk or in the database at every moment: when db-writer -r is killed,
 * or the database refuses the batch for longer than -R seconds (then it
 * also spools every further line until its input ends, and exits
 * EX_TEMPFAIL), the next db-writer -r for the same database replays the
 * file before it records anything else.
 *
 * The files of one database live in DIR/<key>, key a hash of the server
 * and database the conninfo names, so that a file is never offered to
 * another database; replay is guarded on top of that: a line is recorded
 * only while its claim (notification_outbox) is there.  Each file is
 * locked (flock) by the process that writes it, so a replay never takes
 * the file of a db-writer -r that is still running.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "buf.h"
#include "log.h"
#include "spool.h"

static uint64_t	db_key(const char *);
static int	mkdirs(char *);
static int	create(struct spool *);
static int	write_all(int, const char *, size_t);

/* The base directory: the setting, else the usual state directories. */
static int
base_dir(const char *setting, char *out, size_t outsz)
{
	const char *s, *home;
	size_t n;

	if (setting != NULL && *setting != '\0')
		return snprintf(out, outsz, "%s", setting) < (int)outsz ? 0 : -1;
	if ((s = getenv("STATE_DIRECTORY")) != NULL && *s != '\0') {
		n = strcspn(s, ":");	/* systemd: the first of a list */
		return snprintf(out, outsz, "%.*s/spool", (int)n, s) <
		    (int)outsz ? 0 : -1;
	}
	if (geteuid() == 0)
		return snprintf(out, outsz, "/var/lib/ccx-notify/spool") <
		    (int)outsz ? 0 : -1;
	if ((s = getenv("XDG_STATE_HOME")) != NULL && *s == '/')
		return snprintf(out, outsz, "%s/ccx-notify/spool", s) <
		    (int)outsz ? 0 : -1;
	if ((home = getenv("HOME")) != NULL && *home == '/')
		return snprintf(out, outsz, "%s/.local/state/ccx-notify/spool",
		    home) < (int)outsz ? 0 : -1;
	return -1;
}

int
spool_init(struct spool *sp, const char *setting, const char *conninfo)
{
	char base[PATH_MAX - 32];

	memset(sp, 0, sizeof(*sp));
	sp->fd = -1;
	if (setting != NULL && strcmp(setting, "none") == 0) {
		log_warn("no spool (--spool none): an outcome the database "
		    "refuses is lost, and its message may be sent again");
		return 0;
	}
	if (base_dir(setting, base, sizeof(base)) == -1) {
		log_error("no spool directory: set --spool DIR "
		    "(or CCX_SPOOL_DIR)");
		return -1;
	}
	snprintf(sp->dir, sizeof(sp->dir), "%s/%016llx", base,
	    (unsigned long long)db_key(conninfo));
	if (mkdirs(sp->dir) == -1) {
		log_error("unable to create the spool directory %s: %s",
		    sp->dir, strerror(errno));
		return -1;
	}
	if (access(sp->dir, W_OK | X_OK) == -1) {
		log_error("unable to use the spool directory %s: %s", sp->dir,
		    strerror(errno));
		return -1;
	}
	sp->on = 1;
	log_debug("spool directory %s", sp->dir);
	return 0;
}

/*
 * The server and database a conninfo names, with libpq's defaults (the
 * PG* variables) filled in: FNV-1a over "host port dbname".
 */
static uint64_t
db_key(const char *conninfo)
{
	static const char *const kw[] = { "host", "hostaddr", "port",
	    "dbname", "user" };
	PQconninfoOption *opts = NULL, *defs = PQconndefaults(), *o;
	const char *val[5] = { NULL, NULL, NULL, NULL, NULL };
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p;
	char *err = NULL;
	size_t i;

	if (conninfo != NULL && *conninfo != '\0')
		opts = PQconninfoParse(conninfo, &err);
	PQfreemem(err);
	for (i = 0; i < 5; i++) {
		for (o = opts; o != NULL && o->keyword != NULL; o++)
			if (strcmp(o->keyword, kw[i]) == 0 && o->val != NULL &&
			    *o->val != '\0')
				val[i] = o->val;
		for (o = defs; val[i] == NULL && o != NULL &&
		    o->keyword != NULL; o++)
			if (strcmp(o->keyword, kw[i]) == 0 && o->val != NULL)
				val[i] = o->val;
	}
	if (val[3] == NULL)
		val[3] = val[4];	/* libpq: dbname defaults to the user */
	for (i = 0; i < 4; i++) {
		for (p = (const unsigned char *)(val[i] ? val[i] : ""); *p;
		    p++)
			h = (h ^ *p) * 1099511628211ULL;
		h = (h ^ ' ') * 1099511628211ULL;
	}
	PQconninfoFree(opts);
	PQconninfoFree(defs);
	return h;
}

static int
mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(path, 0700) == -1 && errno != EEXIST ? -1 : 0;
}

/* Our own file, made on the first write and locked while we live. */
static int
create(struct spool *sp)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(sp->path, sizeof(sp->path), "%s/outcomes-%lld-%ld-%09ld.jsonl",
	    sp->dir, (long long)getpid(), (long)ts.tv_sec, ts.tv_nsec);
	if ((sp->fd = open(sp->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		log_error("unable to create %s: %s", sp->path, strerror(errno));
		return -1;
	}
	if (flock(sp->fd, LOCK_EX | LOCK_NB) == -1) {
		log_error("unable to lock %s: %s", sp->path, strerror(errno));
		close(sp->fd);
		sp->fd = -1;
		unlink(sp->path);
		return -1;
	}
	return 0;
}

static int
write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, s, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Appends lines (NUL-separated, as the batch holds them) one a line. */
int
spool_append(struct spool *sp, const char *lines, size_t len)
{
	const char *p = lines, *end = lines + len;
	size_t n;

	if (!sp->on || len == 0)
		return 0;
	if (sp->fd == -1 && create(sp) == -1)
		return -1;
	for (; p < end; p += n + 1) {
		n = strlen(p);
		if (write_all(sp->fd, p, n) == -1 ||
		    write_all(sp->fd, "\n", 1) == -1) {
			log_error("unable to write %s: %s", sp->path,
			    strerror(errno));
			return -1;
		}
	}
	sp->dirty = 1;
	return 0;
}

int
spool_sync(struct spool *sp)
{
	if (sp->fd == -1 || !sp->dirty)
		return 0;
	if (fdatasync(sp->fd) == -1) {
		log_error("unable to sync %s: %s", sp->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Everything in the file is recorded: empty it. */
int
spool_clear(struct spool *sp)
{
	if (sp->fd == -1 || !sp->dirty)
		return 0;
	if (ftruncate(sp->fd, 0) == -1 || lseek(sp->fd, 0, SEEK_SET) == -1) {
		log_error("unable to empty %s: %s", sp->path, strerror(errno));
		return -1;
	}
	sp->dirty = 0;
	return 0;
}

/* Closes our file: removed when empty, kept (for a replay) otherwise. */
void
spool_close(struct spool *sp)
{
	if (sp->fd == -1)
		return;
	if (!sp->dirty)
		unlink(sp->path);
	else
		log_warn("%s keeps outcomes the database has not recorded: "
		    "the next db-writer -r for this database replays them",
		    sp->path);
	close(sp->fd);		/* and with it the lock */
	sp->fd = -1;
}

/*
 * Offers each file of a db-writer -r that is gone (its lock is free) to
 * fn, oldest name first; a file fn took completely (0) is removed.
 * Returns the number of files kept because fn failed.
 */
int
spool_replay(struct spool *sp, int (*fn)(void *, const char *, int),
    void *arg)
{
	struct dirent **ents = NULL;
	char path[PATH_MAX + 256];
	int i, n, fd, kept = 0;

	if (!sp->on)
		return 0;
	if ((n = scandir(sp->dir, &ents, NULL, alphasort)) == -1) {
		log_warn("unable to read the spool directory %s: %s", sp->dir,
		    strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		size_t len = strlen(name);

		if (strncmp(name, "outcomes-", 9) != 0 || len < 6 ||
		    strcmp(name + len - 6, ".jsonl") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", sp->dir, name);
		if (sp->fd != -1 && strcmp(path, sp->path) == 0)
			continue;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			close(fd);	/* its writer is still running */
			continue;
		}
		if (fn(arg, path, fd) == 0)
			unlink(path);
		else
			kept++;
		close(fd);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return kept;
}
