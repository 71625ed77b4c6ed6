/*
 * helper lines TYPE: reads lines of TYPE (record, ack, deadletter,
 * candidate, decision, outcome) from stdin with common/lines.c and writes
 * each back with its writer, one output line per input line:
 *
 *	the line as the writer writes it		read fine
 *	error<TAB>CLASS<TAB>MESSAGE[<TAB>ID]		refused
 *
 * CLASS is syntax, trail, notobj or member; a refused record line ends
 * with the identity it still had ("topic/partition/offset"), if any.  A
 * decision is read with every member checked (LD_ALL), with json-c strict
 * and UTF-8 checking as its readers do; it is written back only when it
 * has every common member (else error member, naming the first missing).
 *
 *	helper lines record-id		the identity of each line by the
 *					prefix parser: "TOPIC<TAB>PARTITION
 *					<TAB>OFFSET", or "none"
 *	helper lines pass		each decision line's outcome as
 *					kafka-emitter passes it on: its pass
 *					members, then state (the decision's,
 *					or "same") and error
 *	helper lines quick		each decision line read as
 *					kafka-emitter reads it (need 0) and
 *					by json-c alone (LD_FULL): "quick" or
 *					"full" (the path need 0 took), then
 *					"same" or the first member that
 *					differs
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <json.h>

#include "buf.h"
#include "lineio.h"
#include "lines.h"

int	helper_lines(int, char **);

static int	one(const char *, const char *, size_t, struct buf *,
		    struct buf *, struct json_tokener *);
static int	decision_common(const struct lines_decision *, char *, size_t);
static void	quick(const char *, size_t, struct buf *, struct json_tokener *);
static const char *quick_diff(const struct lines_decision *, int,
		    const struct lines_decision *, int);

static const char *
class_name(int rc)
{
	switch (rc) {
	case LINES_ESYNTAX:
		return "syntax";
	case LINES_ETRAIL:
		return "trail";
	case LINES_ENOTOBJ:
		return "notobj";
	default:
		return "member";
	}
}

/* The first common member a decision lacks (as the schema requires). */
static int
decision_common(const struct lines_decision *d, char *err, size_t errlen)
{
	static const struct { unsigned bit; const char *name; } req[] = {
		{ LD_TARGET, "target" }, { LD_ORG, "org_id" },
		{ LD_ACCOUNT, "account_number" }, { LD_CLUSTER, "cluster" },
		{ LD_UPDATED, "updated_at" }, { LD_NOTIFIED, "notified_at" },
	};
	size_t i;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (!(d->have & req[i].bit)) {
			snprintf(err, errlen, "member \"%s\" is required",
			    req[i].name);
			return LINES_EMEMBER;
		}
	return LINES_OK;
}

/* Reads one line of type t and appends the output line to out. */
static int
one(const char *t, const char *line, size_t len, struct buf *out,
    struct buf *store, struct json_tokener *tok)
{
	struct lines_record rec;
	struct lines_ack ack;
	struct lines_deadletter dl;
	struct lines_candidate cand;
	struct lines_decision dec;
	struct lines_outcome oc;
	char err[512] = "";
	int rc;

	memset(&rec, 0, sizeof(rec));
	rec.store = store;
	if (strcmp(t, "record") == 0) {
		if ((rc = lines_read_record(line, len, &rec, err,
		    sizeof(err))) == LINES_OK)
			lines_write_record(out, &rec);
	} else if (strcmp(t, "record-id") == 0) {
		if (lines_record_id(line, len, &rec) == 0) {
			buf_add(out, rec.topic, rec.topic_len);
			buf_printf(out, "\t%d\t%lld\n", rec.partition,
			    (long long)rec.offset);
		} else
			buf_puts(out, "none\n");
		return 0;
	} else if (strcmp(t, "ack") == 0) {
		ack.store = store;
		if ((rc = lines_read_ack(line, len, &ack, err,
		    sizeof(err))) == LINES_OK)
			lines_write_ack(out, &ack);
	} else if (strcmp(t, "deadletter") == 0) {
		dl.store = store;
		if ((rc = lines_read_deadletter(line, len, &dl, err,
		    sizeof(err))) == LINES_OK)
			lines_write_deadletter(out, &dl);
	} else if (strcmp(t, "candidate") == 0) {
		cand.store = store;
		if ((rc = lines_read_candidate(line, len, &cand, err,
		    sizeof(err))) == LINES_OK)
			lines_write_candidate(out, &cand);
	} else if (strcmp(t, "decision") == 0 || strcmp(t, "pass") == 0) {
		lines_decision_init(&dec, tok, strcmp(t, "pass") == 0 ? 0 :
		    LD_ALL);
		rc = lines_read_decision(line, len, &dec, err, sizeof(err));
		if (rc == LINES_OK && strcmp(t, "pass") == 0) {
			lines_outcome_of(&oc, &dec);
			lines_write_outcome(out, &oc);
		} else if (rc == LINES_OK && (rc = decision_common(&dec, err,
		    sizeof(err))) == LINES_OK)
			lines_write_decision(out, &dec);
		lines_decision_free(&dec);
	} else if (strcmp(t, "quick") == 0) {
		quick(line, len, out, tok);
		return 0;
	} else if (strcmp(t, "outcome") == 0) {
		lines_outcome_init(&oc);
		if ((rc = lines_read_outcome(line, len, &oc, err,
		    sizeof(err))) == LINES_OK)
			lines_write_outcome(out, &oc);
		lines_outcome_free(&oc);
	} else
		return -1;
	if (rc != LINES_OK) {
		buf_printf(out, "error\t%s\t%s", class_name(rc), err);
		if (strcmp(t, "record") == 0 && rec.has_id) {
			buf_putc(out, '\t');
			buf_add(out, rec.topic, rec.topic_len);
			buf_printf(out, "/%d/%lld", rec.partition,
			    (long long)rec.offset);
		}
		buf_putc(out, '\n');
	}
	return 0;
}

int
helper_lines(int argc, char **argv)
{
	struct json_tokener *tok;
	struct lineio in;
	struct buf out, store;
	char *line;
	size_t len;
	int r, rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: helper lines TYPE\n");
		return EX_USAGE;
	}
	if ((tok = json_tokener_new_ex(JSCAN_DEPTH_MAX + 1)) == NULL) {
		fprintf(stderr, "helper lines: unable to allocate a "
		    "tokener\n");
		return EX_OSERR;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	buf_init(&out);
	buf_init(&store);
	lineio_init(&in, 0, 0);
	while ((r = lineio_get(&in, &line, &len)) == LINE_OK ||
	    r == LINE_TOOLONG) {
		buf_reset(&out);
		if (one(argv[1], line, len, &out, &store, tok) == -1) {
			fprintf(stderr, "helper lines: unknown type %s\n",
			    argv[1]);
			rc = EX_USAGE;
			break;
		}
		fwrite(out.data, 1, out.len, stdout);
	}
	if (r == -1) {
		perror("helper lines: stdin");
		rc = EX_IOERR;
	}
	lineio_free(&in);
	buf_free(&out);
	buf_free(&store);
	json_tokener_free(tok);
	return rc;
}

/* The two readings of a decision line, compared. */
static void
quick(const char *line, size_t len, struct buf *out, struct json_tokener *tok)
{
	struct lines_decision q, f;
	char err[512];
	int rq, rf;

	lines_decision_init(&q, tok, 0);
	rq = lines_read_decision(line, len, &q, err, sizeof(err));
	buf_printf(out, "%s\t", rq == LINES_OK && q.obj == NULL ? "quick" :
	    "full");
	lines_decision_init(&f, tok, LD_FULL);
	rf = lines_read_decision(line, len, &f, err, sizeof(err));
	buf_printf(out, "%s\n", quick_diff(&q, rq, &f, rf));
	lines_decision_free(&q);
	lines_decision_free(&f);
}

#define SPAN_NE(a, al, b, bl)	(((a) == NULL) != ((b) == NULL) || \
	((a) != NULL && ((al) != (bl) || memcmp((a), (b), (al)) != 0)))
#define STR_NE(a, b)		(((a) == NULL) != ((b) == NULL) || \
	((a) != NULL && strcmp((a), (b)) != 0))

static const char *
quick_diff(const struct lines_decision *q, int rq,
    const struct lines_decision *f, int rf)
{
	if (rq != rf)
		return "status";
	if (rq != LINES_OK)
		return "same";
	if (q->have != f->have)
		return "have";
	if (SPAN_NE(q->payload, q->payload_len, f->payload, f->payload_len))
		return "payload";
	if (SPAN_NE(q->pass, q->pass_len, f->pass, f->pass_len))
		return "pass";
	if (STR_NE(q->target, f->target) || q->target_id != f->target_id)
		return "target";
	if (q->org_id != f->org_id || q->account_number != f->account_number)
		return "org_id or account_number";
	if (SPAN_NE(q->cluster, q->cluster_len, f->cluster, f->cluster_len))
		return "cluster";
	if (STR_NE(q->updated_at, f->updated_at) ||
	    STR_NE(q->notified_at, f->notified_at))
		return "updated_at or notified_at";
	if (STR_NE(q->state, f->state))
		return "state";
	if (SPAN_NE(q->error, q->error_len, f->error, f->error_len))
		return "error";
	return "same";
}
