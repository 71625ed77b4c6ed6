/*
 * fedb: db-writer for the upstream front ends.  See fedb.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "fedb.h"
#include "zlog.h"

/* What one db-writer run hands its callbacks. */
struct run {
	struct fedb	*db;
	fe_line_fn	*out;
	void		*arg;
};

/* What fedb_maintain's run collects. */
struct maint {
	struct fedb	*db;
	const struct fedb_maint *m;
	long		 rows;		/* cleanup: rows of the table */
};

/* Upstream's statements, for the log; db-writer's tables do the work. */
#define SELECT(cols, t)	"SELECT " cols " FROM " t " WHERE updated_at < "	\
	"NOW() - $1::INTERVAL ORDER BY updated_at"
#define DELETE(t)	"DELETE FROM " t " WHERE updated_at < NOW() - "	\
	"$1::INTERVAL"
const struct fedb_maint fedb_maints[FEDB_NOPS] = {
	[FEDB_PRINT_NEW] = { 1, "new_reports", { "new_reports", NULL, NULL },
	    SELECT("org_id, account_number, cluster, updated_at, "
	    "kafka_offset", "new_reports") },
	[FEDB_NEW_CLEANUP] = { 0, "new_reports",
	    { "new_reports", "consumed_records", NULL },
	    DELETE("new_reports") },
	[FEDB_PRINT_OLD] = { 1, "reported", { "reported", NULL, NULL },
	    SELECT("org_id, account_number, cluster, updated_at, 0",
	    "reported") },
	[FEDB_OLD_CLEANUP] = { 0, "reported", { "reported", NULL, NULL },
	    DELETE("reported") },
	[FEDB_PRINT_READ_ERRORS] = { 1, "read_errors",
	    { "read_errors", NULL, NULL },
	    SELECT("org_id, 0, cluster, updated_at, 0", "read_errors") },
	[FEDB_READ_ERRORS_CLEANUP] = { 0, "read_errors",
	    { "read_errors", "dead_letters", NULL }, DELETE("read_errors") },
};

static void	run_out(void *, const char *, size_t);
static void	run_err(void *, const char *, size_t);
static void	maint_out(void *, const char *, size_t);
static void	print_row(struct fedb *, const struct fedb_maint *,
		    struct json_object *);

void
fedb_init(struct fedb *db, const struct config *cfg, const struct zlog *log,
    const char *max_age, char *const *base)
{
	memset(db, 0, sizeof(*db));
	db->cfg = cfg;
	db->log = log;
	db->max_age = max_age;
	db->base = base;
	buf_init(&db->conninfo);
}

void
fedb_free(struct fedb *db)
{
	fe_env_free(db->env);
	db->env = NULL;
	buf_free(&db->conninfo);
}

int
fedb_storage(struct fedb *db, char *err, size_t errsize)
{
	struct buf pw, extra;
	const char *e[2] = { NULL, NULL };

	buf_init(&pw);
	buf_init(&extra);
	buf_reset(&db->conninfo);
	if (config_conninfo(db->cfg, "storage", &db->conninfo, &pw, err,
	    errsize) == -1) {
		buf_free(&pw);
		return -1;
	}
	/* The password reaches db-writer in its environment only. */
	buf_puts(&extra, "PGPASSWORD=");
	buf_add(&extra, pw.data != NULL ? pw.data : "", pw.len);
	e[0] = pw.len > 0 ? extra.data : NULL;
	fe_env_free(db->env);
	db->env = fe_env(db->base, (const char *const[]){ "PGPASSWORD=",
	    "CCX_DB=", NULL }, e);
	fe_buf_wipe(&extra);
	fe_buf_wipe(&pw);
	if (db->env == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return 0;
}

int
fedb_run(struct fedb *db, const char *const *args, fe_line_fn *out,
    void *arg, char *err, size_t errsize)
{
	const char *argv[16] = { "db-writer", "--log-format", "json" };
	struct run r = { db, out, arg };
	size_t n = 3, i;

	if (db->conninfo.len > 0) {
		argv[n++] = "-d";
		argv[n++] = db->conninfo.data;
	}
	if (db->max_age != NULL || strcmp(args[0], "cleanup") == 0 ||
	    strcmp(args[0], "print-for-cleanup") == 0) {
		argv[n++] = "--max-age";
		argv[n++] = config_max_age(db->cfg, db->max_age);
	}
	for (i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return fe_run((char *const *)argv, db->env != NULL ? db->env :
	    db->base, run_out, run_err, &r, err, errsize);
}

void
fedb_text(void *arg, const char *line, size_t len)
{
	struct buf *b = arg;

	buf_add(b, line, len);
	buf_putc(b, '\n');
}

int
fedb_maintain(struct fedb *db, const struct fedb_maint *m,
    const char *cleanup_msg)
{
	const char *age = config_max_age(db->cfg, db->max_age);
	const char *argv[5] = { m->print ? "print-for-cleanup" : "cleanup",
	    m->args[0], m->args[1], m->args[2], NULL };
	struct zfield f[2] = { ZSTR("max age", age),
	    ZSTR(m->print ? "select statement" : "delete statement", m->sql) };
	struct maint mt = { db, m, -1 };
	char err[256], msg[96];
	int r;

	zlog_write(db->log, ZL_INFO, m->print ?
	    "PrintReportsForCleanup operation" : cleanup_msg, f, 2);
	if ((r = fedb_run(db, argv, maint_out, &mt, err, sizeof(err))) != 0) {
		if (r == -1) {
			f[0] = ZSTR("error", err);
			zlog_write(db->log, ZL_ERROR, "Operation failed", f, 1);
		}
		return r;
	}
	if (!m->print) {
		snprintf(msg, sizeof(msg), "Cleanup `%s` finished", m->table);
		f[0] = ZINT("Rows deleted", mt.rows < 0 ? 0 : mt.rows);
		zlog_write(db->log, ZL_INFO, msg, f, 1);
	}
	return 0;
}

static void
run_out(void *arg, const char *line, size_t len)
{
	struct run *r = arg;

	if (r->out != NULL)
		r->out(r->arg, line, len);
}

static void
run_err(void *arg, const char *line, size_t len)
{
	struct run *r = arg;

	fe_relay(r->db->log, "db-writer", line, len);
}

/* A row to print, or the rows deleted from a table. */
static void
maint_out(void *arg, const char *line, size_t len)
{
	struct maint *mt = arg;
	struct json_object *j, *t, *n;

	(void)len;
	if ((j = json_tokener_parse(line)) == NULL)
		return;
	if (mt->m->print)
		print_row(mt->db, mt->m, j);
	else if (json_object_object_get_ex(j, "table", &t) &&
	    strcmp(json_object_get_string(t), mt->m->table) == 0 &&
	    json_object_object_get_ex(j, "rows", &n))
		mt->rows = (long)json_object_get_int64(n);
	json_object_put(j);
}

/* One row of print-for-cleanup as upstream logs it. */
static void
print_row(struct fedb *db, const struct fedb_maint *m, struct json_object *j)
{
	struct json_object *v;
	struct zfield f[5];
	char msg[96], ts[32];
	const char *u = "";

	snprintf(msg, sizeof(msg), "Old report from `%s` table", m->table);
	f[0] = ZINT("Organization ID",
	    json_object_object_get_ex(j, "org_id", &v) ?
	    json_object_get_int64(v) : 0);
	f[1] = ZINT("Account number",
	    json_object_object_get_ex(j, "account_number", &v) ?
	    json_object_get_int64(v) : 0);
	f[2] = ZSTR("Cluster name",
	    json_object_object_get_ex(j, "cluster", &v) ?
	    json_object_get_string(v) : "");
	if (json_object_object_get_ex(j, "updated_at", &v))
		u = json_object_get_string(v);
	/* RFC 3339 cut to whole seconds: 2026-08-11T10:00:00Z. */
	snprintf(ts, sizeof(ts), "%.19sZ", u);
	f[3] = ZSTR("Updated at", ts);
	f[4] = ZINT("Age", json_object_object_get_ex(j, "age_days", &v) ?
	    json_object_get_int64(v) : 0);
	zlog_write(db->log, ZL_INFO, msg, f, 5);
}
