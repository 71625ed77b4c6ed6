/*
 * lines: the line types of proto/, written and read in this one place.
 *
 * Every line that travels between two programs (proto/lines.md) has here
 * a struct, a writer and a reader:
 *
 *	record		kafka-reader, db-writer resubmit -> db-writer
 *	ack		db-writer -> kafka-reader
 *	deadletter	db-writer dead-letters -> operators
 *	candidate	differ --dump-candidates -> differ -i
 *	decision	differ -> kafka-emitter, servicelog-poster
 *	outcome		kafka-emitter, servicelog-poster -> db-writer -r
 *
 * A writer appends one compact JSON object and a newline to a buf, the
 * members in the order of proto/examples: a line written here, read and
 * written again, gives the same bytes.  Writers trust their input (the
 * values come from the program's own checks or from a reader here).
 *
 * A reader takes line[0..len) (without its newline, not necessarily
 * NUL-terminated, never modified) and returns LINES_OK or one of the
 * LINES_E* classes below, with a sentence in err that names the member at
 * fault: "member "org_id" is a string, not an integer", "partition
 * 2147483648 is out of range (0 to 2147483647)", "member "report" is
 * required".  The integer ranges of the schemas are checked here and
 * nowhere else: org_id and account_number 0 to INT32_MAX, partitions 0 to
 * INT32_MAX, offsets 0 to INT64_MAX, never clamped.  Members a reader does
 * not know are ignored; of a member given twice the last one counts.
 *
 * The record, ack, candidate and deadletter readers scan with jscan (RFC
 * 8259, UTF-8 checked, nothing converted) and allocate nothing but the
 * growth of the caller's store buffer.  The decision and outcome readers
 * parse with json-c, as their programs always did: kafka-emitter and
 * servicelog-poster pass the members of a decision on as they came and
 * hand json-c trees to the producer and the renderer, and db-writer -r
 * leaves the judgement of text bytes to PostgreSQL.
 */
#ifndef CCX_LINES_H
#define CCX_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "jscan.h"

struct json_object;
struct json_tokener;

/* Reader results. */
#define LINES_OK	 0
#define LINES_ESYNTAX	-1	/* not JSON (possibly cut short) */
#define LINES_ETRAIL	-2	/* one JSON object, then more than blanks */
#define LINES_ENOTOBJ	-3	/* one JSON value, but not an object */
#define LINES_EMEMBER	-4	/* a member missing, of the wrong type, or
				 * out of range */

/*
 * The json-c parse of the decision and outcome readers, for any JSON text
 * (a response body too): tok parses text[0..len), which must hold one
 * value and nothing after it but blanks.  Returns LINES_OK with the value
 * in *obj (NULL for a JSON null; the caller puts it), else LINES_ESYNTAX
 * or LINES_ETRAIL with json-c's reason in err, noun naming the text in
 * "unexpected end of NOUN".
 */
int	lines_parse_json(struct json_tokener *, const char *text, size_t len,
	    const char *noun, struct json_object **, char *err, size_t errlen);

/* What kind of value a json-c value is, for a message: "null", "a
 * boolean", "an integer", "a string"... */
const char *lines_json_type(struct json_object *);

/* Event targets (event_targets ids). */
#define LINES_TARGET_NB	1	/* notifications-backend */
#define LINES_TARGET_SL	2	/* service-log */

/* Returns "notifications-backend" or "service-log" (NULL for others). */
const char *lines_target_name(int);

/*
 * record (kafka-reader -> db-writer).  value NULL is a tombstone; a value
 * that is not valid UTF-8 is written as value_b64.  dead_letter_id is the
 * dead letter a resubmitted record comes from (0: none).
 *
 * Reading: topic and value point into the line when they hold no escape,
 * else into *store, which the reader resets and the caller owns.  The
 * kcat -C -J envelope is read too: "payload" stands for the value when
 * there is neither "value" nor "value_b64".  has_id is set when topic
 * (without NUL bytes), partition and offset were read and are in range,
 * whatever else is wrong with the line: even when it is not JSON after
 * them, so that such a line can still be acknowledged.
 */
struct lines_record {
	const char	*topic;
	size_t		 topic_len;
	int32_t		 partition;
	int64_t		 offset;
	int		 has_timestamp;
	int64_t		 timestamp;	/* ms since the epoch */
	const char	*value;
	size_t		 value_len;
	int64_t		 dead_letter_id;
	int		 has_id;
	struct buf	*store;
};

void	lines_write_record(struct buf *, const struct lines_record *);
int	lines_read_record(const char *, size_t, struct lines_record *,
	    char *err, size_t errlen);
/*
 * The identity of a record line that cannot be read as a whole (longer
 * than the line limit, or broken): topic, partition and offset wherever
 * they come in the object, as far as the text can be scanned.  Returns 0
 * with has_id set, or -1.  topic points into the line or *store.
 */
int	lines_record_id(const char *, size_t, struct lines_record *);

/* ack (db-writer -> kafka-reader). */
enum { LINES_STORED, LINES_DUPLICATE, LINES_DEAD_LETTER };

struct lines_ack {
	const char	*topic;
	size_t		 topic_len;
	int32_t		 partition;
	int64_t		 offset;
	int		 status;	/* LINES_STORED ... */
	struct buf	*store;		/* read: for an escaped topic */
};

void	lines_write_ack(struct buf *, const struct lines_ack *);
int	lines_read_ack(const char *, size_t, struct lines_ack *, char *,
	    size_t);
/* The identity alone (topic, partition, offset), as kafka-reader reads an
 * ack: status and other members are not read, and need not be there. */
int	lines_read_ack_id(const char *, size_t, struct lines_ack *, char *,
	    size_t);

/*
 * deadletter (db-writer dead-letters).  An unknown identity is topic "",
 * partition -1 and a negative offset.  value holds the raw bytes (written
 * as value_b64 when they are not valid UTF-8).  Reading: every string is
 * in *store, NUL-terminated.
 */
struct lines_deadletter {
	int64_t		 id;
	const char	*topic;
	size_t		 topic_len;
	int32_t		 partition;
	int64_t		 offset;
	const char	*reason_code;
	const char	*reason;
	const char	*received_at;
	const char	*value;
	size_t		 value_len;
	struct buf	*store;
};

void	lines_write_deadletter(struct buf *, const struct lines_deadletter *);
int	lines_read_deadletter(const char *, size_t,
	    struct lines_deadletter *, char *, size_t);

/*
 * candidate (differ --dump-candidates -> differ -i).  baseline NULL: none
 * (baseline_notified_at is then NULL too).  Reading: every string is in
 * *store, NUL-terminated; kafka_offset may be absent (0); updated_at must
 * be a timestamp.
 */
struct lines_candidate {
	int64_t		 org_id;
	int64_t		 account_number;
	const char	*cluster;
	size_t		 cluster_len;
	const char	*updated_at;
	int64_t		 kafka_offset;
	const char	*report;
	size_t		 report_len;
	const char	*baseline;
	size_t		 baseline_len;
	const char	*baseline_notified_at;
	struct buf	*store;
};

void	lines_write_candidate(struct buf *, const struct lines_candidate *);
int	lines_read_candidate(const char *, size_t, struct lines_candidate *,
	    char *, size_t);

/*
 * One issue of a service-log decision.  details is JSON text as a span
 * (written minified; p NULL: null).  Read, details_obj is its json-c tree
 * (NULL for null or absent) and the strings are NUL-terminated.
 */
struct lines_issue {
	int64_t		 item;
	const char	*type;
	size_t		 type_len;
	const char	*component;
	size_t		 component_len;
	const char	*key;
	size_t		 key_len;
	struct jspan	 details;
	int64_t		 total_risk;
	struct json_object *details_obj;
};

/* Appends one issue object (no newline), for a decision's issues text. */
void	lines_write_issue(struct buf *, const struct lines_issue *);

/*
 * The common members of a decision and an outcome (proto/lines.md), first
 * in both structs: the target, the cluster, its report and when the
 * cluster was last notified.
 */
#define LINES_COMMON_MEMBERS						\
	const char	*target;					\
	int64_t		 org_id;					\
	int64_t		 account_number;				\
	const char	*cluster;					\
	size_t		 cluster_len;					\
	const char	*updated_at;					\
	const char	*notified_at

/* Members of a decision, for have and need. */
#define LD_TARGET	0x001
#define LD_ORG		0x002
#define LD_ACCOUNT	0x004
#define LD_CLUSTER	0x008
#define LD_UPDATED	0x010
#define LD_NOTIFIED	0x020
#define LD_PAYLOAD	0x040
#define LD_ISSUES	0x080
#define LD_CONTENT	0x100
#define LD_STATE	0x200
#define LD_ERROR	0x400
#define LD_ALL		0x7ff
#define LD_NO_PASS	0x800	/* need: the pass text is not wanted */
#define LD_FULL		0x1000	/* need: never the quick path (tests) */

/*
 * decision (differ -> kafka-emitter, servicelog-poster).  payload, issues
 * and content are JSON text (NULL: absent), written as they are.
 *
 * Reading (lines_decision_init first, lines_decision_free after, the
 * strings and trees valid until the next read or the free): the line is
 * parsed with the caller's json-c tokener, whose flags and depth it keeps
 * (its messages are json-c's, without a prefix), and refused when it is
 * not RFC 8259 JSON all the same (json-c takes "1." and "01", and would
 * pass them on) or holds an integer beyond 64 bits, which json-c would
 * silently alter.  have says which members are present and not null.
 * Members in need are checked when present (type, integer range, target
 * name; each issue needs item, type, component, key and total_risk; each
 * content element is an object) and a failure is LINES_EMEMBER; the
 * others are filled only when of the right type and are otherwise left
 * alone.  Presence is for the caller to require.  payload, issues and
 * content are filled with json-c's text of them; issue and nissue with the
 * issues, content_obj with the content array.  pass is the text of every
 * member but payload, issues, content, state, error and drop_items, in
 * their order and without the braces: what an outcome line passes on.
 * With need 0 (kafka-emitter) a compact line with unique keys, no \u or
 * \/ escape, its known members of their types and nested well inside
 * the tokener's depth is read in one scan
 * instead: payload and pass are then its own bytes (payload not
 * NUL-terminated), the text json-c would write for it but for a
 * duplicate key inside a value, which json-c folds into one.
 */
struct lines_decision {
	LINES_COMMON_MEMBERS;
	const char	*payload;
	size_t		 payload_len;
	const char	*issues;
	size_t		 issues_len;
	const char	*content;
	size_t		 content_len;
	const char	*state;
	const char	*error;
	size_t		 error_len;

	/* Read only. */
	unsigned	 have;		/* LD_* */
	int		 target_id;	/* LINES_TARGET_*, 0: another */
	size_t		 nissue;
	struct json_object *content_obj;
	const char	*pass;
	size_t		 pass_len;
	struct lines_issue *issue;	/* from here on kept by a read */

	unsigned	 need;		/* LD_*: set by the caller */

	/* Private. */
	struct json_tokener *tok;
	struct json_object *obj;
	struct json_object *passobj;
	size_t		 capissue;
	struct buf	 qstr;		/* the quick path's strings */
	struct buf	 qpass;		/* and its pass text */
};

void	lines_write_decision(struct buf *, const struct lines_decision *);
void	lines_decision_init(struct lines_decision *, struct json_tokener *,
	    unsigned need);
void	lines_decision_free(struct lines_decision *);
int	lines_read_decision(const char *, size_t, struct lines_decision *,
	    char *, size_t);

/* Members of an outcome, for have. */
#define LO_TARGET	0x001
#define LO_ORG		0x002
#define LO_ACCOUNT	0x004
#define LO_CLUSTER	0x008
#define LO_UPDATED	0x010
#define LO_NOTIFIED	0x020
#define LO_STATE	0x040
#define LO_ERROR	0x080
#define LO_DROP		0x100
#define LO_LINE		0x200
#define LO_INPUT	0x400

/* Outcome states. */
enum { LINES_SENT = 1, LINES_SAME, LINES_ERROR, LINES_READ_ERROR,
    LINES_INVALID };

/*
 * outcome (kafka-emitter, servicelog-poster -> db-writer -r).
 *
 * Writing: state "invalid" gives {"state","line","error"[,"input"]} (the
 * input cut to a character boundary by the caller); otherwise, with pass
 * set (a decision's pass text), the members of the decision come first in
 * place of the common members, then state, error and drop_items.  error,
 * notified_at and drop_items are written when not NULL.
 *
 * Reading (lines_outcome_init first, lines_outcome_free after): the line
 * is parsed with json-c as db-writer -r always did (strings are not
 * required to be UTF-8; PostgreSQL judges them).  state is required: for
 * "invalid", line and error; otherwise target, org_id, account_number,
 * cluster (without NUL bytes), updated_at, and notified_at unless the
 * state is read_error.  drop_items, when present, is an array whose
 * integers are indices (0 to INT32_MAX); its other elements are skipped,
 * as db-writer -r always did.
 */
struct lines_outcome {
	LINES_COMMON_MEMBERS;
	const char	*state;
	const char	*error;
	size_t		 error_len;
	const int64_t	*drop_items;
	size_t		 ndrop;
	int64_t		 line;
	const char	*input;
	size_t		 input_len;
	const char	*pass;		/* write only */
	size_t		 pass_len;

	/* Read only. */
	unsigned	 have;		/* LO_* */
	int		 target_id;
	int		 state_id;	/* LINES_SENT ... */

	/* Private. */
	struct json_object *obj;
	int64_t		*drop;
	size_t		 capdrop;
};

void	lines_write_outcome(struct buf *, const struct lines_outcome *);
/* The outcome of d as a stage passes it on: its pass text, its state (or
 * "same" when it has none) and its error; d must outlive o. */
void	lines_outcome_of(struct lines_outcome *, const struct lines_decision *);
/* The invalid outcome of input line lineno, refused for why, with the
 * start of its text (at most max bytes, cut on a character boundary). */
void	lines_outcome_invalid(struct lines_outcome *, unsigned long lineno,
	    const char *why, const char *line, size_t len, size_t max);
void	lines_outcome_init(struct lines_outcome *);
void	lines_outcome_free(struct lines_outcome *);
int	lines_read_outcome(const char *, size_t, struct lines_outcome *,
	    char *, size_t);

#endif
