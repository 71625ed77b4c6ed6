/*
 * kafka-reader: a Kafka consumer-group member that writes one record line
 * per Kafka record on stdout and commits, per partition, only offsets
 * below which every record was acknowledged on the ack channel (-a), so
 * that a crash anywhere downstream loses nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "buf.h"
#include "kconf.h"
#include "lineio.h"
#include "lines.h"
#include "log.h"
#include "metrics.h"
#include "prog.h"
#include "sig.h"
#include "timeutil.h"

#define OUT_HIGH	(4u << 20)	/* pause fetching at this much output */
#define OUT_LOW		(1u << 20)	/* resume below this much */
#define METRICS_IDLE_MS	60000		/* rewrite an unchanged metrics file */
#define COMMITTED_MS	10000		/* wait for the committed offsets */

/* One record written downstream and not yet acknowledged. */
struct pending {
	int64_t		 offset;
	uint64_t	 end;		/* stream position after its line */
	int		 acked;
};

/* An assigned partition and its records in flight, in offset order. */
struct part {
	char		*topic;
	int32_t		 partition;
	struct pending	*q;		/* ring */
	size_t		 head, n, cap;
	int64_t		 store;		/* offset to store, -1 = none */
	int64_t		 last;		/* last offset received, -1 = none */
	int64_t		 committed;	/* committed when assigned, -1 = unknown */
	int		 live;
};

enum {
	M_RECORDS, M_BYTES, M_ACKS, M_BAD_ACKS, M_STORED, M_COMMITS,
	M_REBALANCES, M_ERRORS, M_GAPS, M_SKIPPED, M_INFLIGHT, M_NMETRICS
};

struct reader {
	rd_kafka_t	*rk;
	struct part	*parts;
	size_t		 nparts;
	size_t		 inflight;
	size_t		 max_inflight;
	int64_t		 drain_ms;
	const char	*ackpath;
	int		 ackfd;
	struct lineio	 acks;
	struct buf	 out;		/* bytes not yet written to stdout, */
	size_t		 out_off;	/* from out_off on */
	uint64_t	 written;	/* stream position written */
	uint64_t	 queued;	/* stream position queued */
	int		 paused;
	int		 term;
	int		 gone;		/* downstream closed */
	int		 ack_eof;
	int		 out_closed;
	int		 fatal;
	int		 qpipe[2];	/* consumer queue not empty */
	const char	*metrics_file;
	struct metrics_timer mtimer;
	struct metric	 metrics[M_NMETRICS];
};

enum {
	S_ACK_PATH, S_BROKERS, S_DRAIN, S_PROPERTY_FILE, S_GROUP,
	S_MAX_IN_FLIGHT, S_READY, S_TOPIC, S_PROPERTY, S_METRICS_FILE,
	S_CHECK, S_NSETTINGS
};

static struct prog_setting settings[S_NSETTINGS] = {
	[S_ACK_PATH] = { .name = "ack-path", .letter = 'a', .arg = "ackpath",
	    .help = "read ack lines from this FIFO or file (a number: an open "
	    "fd); without it, a record written is acknowledged" },
	[S_BROKERS] = { .name = "brokers", .letter = 'b', .required = 1,
	    .arg = "brokers", .help = "the bootstrap brokers, host:port,..." },
	[S_DRAIN] = { .name = "drain-time", .letter = 'D', .def = "30",
	    .type = PROG_DURATION, .min = 0, .max = 3600, .unit = 1000,
	    .arg = "drain-seconds", .help = "how long to wait for the "
	    "outstanding acks on a revocation and at exit" },
	[S_PROPERTY_FILE] = { .name = "property-file" },
	[S_GROUP] = { .name = "group", .letter = 'G',
	    .arg = "group", .help = "the consumer group" },
	[S_MAX_IN_FLIGHT] = { .name = "max-in-flight", .letter = 'm',
	    .def = "10000", .type = PROG_INT, .min = 1, .max = 10000000,
	    .arg = "max-in-flight",
	    .help = "the most records written and not yet acknowledged" },
	[S_READY] = { .name = "ready-fd", .letter = 'n', .type = PROG_FD,
	    .help = "write a newline to fd once subscribed" },
	[S_TOPIC] = { .name = "topic", .letter = 't', .type = PROG_LIST,
	    .arg = "topic", .help = "a topic to subscribe to "
	    "(^ starts a regular expression)" },
	[S_PROPERTY] = { .name = "property" },
	[S_METRICS_FILE] = { .name = "metrics-file" },
	[S_CHECK] = { .name = "check-brokers", .type = PROG_BOOL,
	    .help = "only ask each broker of -b in turn for metadata (10 s "
	    "each): exit 0 once one answers, 69 when none does" },
};

static struct prog P = {
	.name = "kafka-reader",
	.about = "Writes a record line for every Kafka record of the topics; "
	    "commits only offsets acknowledged on the ack channel.",
	.usage =
	    "[-qv] -b brokers -G group -t topic [-t topic ...]\n"
	    "    [-X prop=val ...] [-F propfile] [-a ackpath] [-m "
	    "max-in-flight]\n"
	    "    [-D drain-seconds] [-n fd] [--log-format text|json] "
	    "[--metrics-file path]\n"
	    "[-qv] -b brokers --check-brokers [-X prop=val ...] [-F propfile]",
	.settings = settings, .nsettings = S_NSETTINGS,
	.exits = (const enum exit_condition[]){
	    EXITC_SERVICE_DOWN, EXITC_POLL_FAILED, EXITC_DOWNSTREAM_GONE,
	    EXITC_COMMIT_FAILED, EXITC_END
	},
};

static const struct metric metric_defs[M_NMETRICS] = {
	[M_RECORDS] = { "records", "Records written downstream", "counter", 0 },
	[M_BYTES] = { "record_bytes", "Bytes of record values", "counter", 0 },
	[M_ACKS] = { "acks", "Acknowledgements received", "counter", 0 },
	[M_BAD_ACKS] = { "bad_acks", "Unparsable or unknown ack lines",
	    "counter", 0 },
	[M_STORED] = { "offsets_stored", "Offsets stored for commit",
	    "counter", 0 },
	[M_COMMITS] = { "commits", "Synchronous commits", "counter", 0 },
	[M_REBALANCES] = { "rebalances", "Partition assignments and revocations",
	    "counter", 0 },
	[M_ERRORS] = { "consumer_errors", "Errors reported by the consumer",
	    "counter", 0 },
	[M_GAPS] = { "offset_gaps", "Gaps in the offsets received: records "
	    "deleted or compacted before they were read", "counter", 0 },
	[M_SKIPPED] = { "skipped_offsets", "Offsets missing in those gaps",
	    "counter", 0 },
	[M_INFLIGHT] = { "in_flight", "Records written and not acknowledged",
	    "gauge", 0 },
};

static rd_kafka_conf_t *consumer_conf(void);
static void	user_props(rd_kafka_conf_t *);
static int	check_brokers(void);
static void	consumer_open(struct reader *);
static struct part *find_part(struct reader *, const char *, int32_t);
static size_t	pending(const struct reader *);
static void	track(struct reader *, struct part *, int64_t);
static void	settle(struct reader *, struct part *);
static void	store_offsets(struct reader *);
static void	handle_message(struct reader *, rd_kafka_message_t *);
static void	handle_error(struct reader *, rd_kafka_message_t *);
static void	check_gap(struct reader *, struct part *, int64_t);
static void	read_committed(struct reader *,
		    const rd_kafka_topic_partition_list_t *);
static void	read_acks(struct reader *);
static void	ack_line(struct reader *, const char *, size_t, unsigned long);
static void	write_out(struct reader *);
static void	pump(struct reader *, int);
static void	drain(struct reader *, const char *, int64_t);
static void	rebalance_cb(rd_kafka_t *, rd_kafka_resp_err_t,
		    rd_kafka_topic_partition_list_t *, void *);
static void	set_pause(struct reader *, int);
static int	above_high_water(const struct reader *);
static int	below_low_water(const struct reader *);
static void	run(struct reader *);
static int	shutdown_reader(struct reader *);
static void	reader_free(struct reader *);
static void	open_acks(struct reader *);
static void	metrics_flush(struct reader *, int);

/* Bytes of record lines not yet written to stdout. */
static size_t
pending(const struct reader *r)
{
	return r->out.len - r->out_off;
}

static struct part *
find_part(struct reader *r, const char *topic, int32_t partition)
{
	size_t i;

	for (i = 0; i < r->nparts; i++)
		if (r->parts[i].live && r->parts[i].partition == partition &&
		    strcmp(r->parts[i].topic, topic) == 0)
			return &r->parts[i];
	return NULL;
}

static struct part *
add_part(struct reader *r, const char *topic, int32_t partition)
{
	struct part *p;
	size_t i;

	if ((p = find_part(r, topic, partition)) != NULL)
		return p;
	for (i = 0; i < r->nparts; i++)
		if (!r->parts[i].live)
			break;
	if (i == r->nparts) {
		p = reallocarray(r->parts, r->nparts + 1, sizeof(*p));
		if (p == NULL)
			log_fatal(EXIT_NOMEM, "unable to allocate partitions");
		r->parts = p;
		r->nparts++;
		memset(&r->parts[i], 0, sizeof(*p));
	}
	p = &r->parts[i];
	free(p->topic);
	free(p->q);
	memset(p, 0, sizeof(*p));
	if ((p->topic = strdup(topic)) == NULL)
		log_fatal(EXIT_NOMEM, "unable to allocate a partition");
	p->partition = partition;
	p->store = -1;
	p->last = -1;
	p->committed = -1;
	p->live = 1;
	return p;
}

static void
drop_part(struct reader *r, struct part *p)
{
	r->inflight -= p->n;
	free(p->q);
	free(p->topic);
	memset(p, 0, sizeof(*p));
}

/* Remembers that offset was written downstream (ending at r->queued). */
static void
track(struct reader *r, struct part *p, int64_t offset)
{
	struct pending *q;
	size_t i, ncap;

	if (p->n == p->cap) {
		ncap = p->cap ? p->cap * 2 : 64;
		if ((q = reallocarray(NULL, ncap, sizeof(*q))) == NULL)
			log_fatal(EXIT_NOMEM, "unable to allocate the ack window");
		for (i = 0; i < p->n; i++)
			q[i] = p->q[(p->head + i) % p->cap];
		free(p->q);
		p->q = q;
		p->head = 0;
		p->cap = ncap;
	}
	q = &p->q[(p->head + p->n) % p->cap];
	q->offset = offset;
	q->end = r->queued;
	q->acked = 0;
	p->n++;
	r->inflight++;
}

/* Pops acknowledged records off the head of the window. */
static void
settle(struct reader *r, struct part *p)
{
	struct pending *q;

	while (p->n > 0) {
		q = &p->q[p->head];
		if (!q->acked && !(r->ackpath == NULL && q->end <= r->written))
			break;
		p->store = q->offset + 1;
		p->head = (p->head + 1) % p->cap;
		p->n--;
		r->inflight--;
	}
}

static void
store_offsets(struct reader *r)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;
	size_t i;

	l = rd_kafka_topic_partition_list_new((int)(r->nparts ? r->nparts : 1));
	for (i = 0; i < r->nparts; i++) {
		if (!r->parts[i].live)
			continue;
		settle(r, &r->parts[i]);
		if (r->parts[i].store < 0)
			continue;
		rd_kafka_topic_partition_list_add(l, r->parts[i].topic,
		    r->parts[i].partition)->offset = r->parts[i].store;
		r->parts[i].store = -1;
	}
	if (l->cnt > 0) {
		err = rd_kafka_offsets_store(r->rk, l);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
			log_warn("unable to store offsets: %s",
			    rd_kafka_err2str(err));
		else
			r->metrics[M_STORED].value += (uint64_t)l->cnt;
	}
	rd_kafka_topic_partition_list_destroy(l);
	r->metrics[M_INFLIGHT].value = r->inflight;
}

/*
 * An error event of the consumer.  Most carry no topic (a group error such
 * as __MAX_POLL_EXCEEDED), so nothing but the code and text is read unless
 * m->rkt is set.
 */
static void
handle_error(struct reader *r, rd_kafka_message_t *m)
{
	char why[512];

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
		return;
	r->metrics[M_ERRORS].value++;
	if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(r->rk, why, sizeof(why));
		log_error("fatal consumer error: %s", why);
		r->fatal = 1;
		return;
	}
	if (m->rkt != NULL)
		log_warn("consumer error %s on %s partition %d: %s",
		    rd_kafka_err2name(m->err), rd_kafka_topic_name(m->rkt),
		    m->partition, rd_kafka_message_errstr(m));
	else
		log_warn("consumer error %s: %s", rd_kafka_err2name(m->err),
		    rd_kafka_message_errstr(m));
}

/*
 * Warns about and counts the offsets missing before offset: those between
 * the last record received and this one, or, for the first record after an
 * assignment, between the committed offset and this one.
 */
static void
check_gap(struct reader *r, struct part *p, int64_t offset)
{
	int64_t from = p->last >= 0 ? p->last + 1 : p->committed;

	p->last = offset;
	if (from < 0 || offset == from)
		return;
	if (offset < from) {
		log_warn("topic %s partition %d: offset %lld received where "
		    "%lld was expected (the log was truncated or the position "
		    "reset); records may be delivered again", p->topic,
		    p->partition, (long long)offset, (long long)from);
		return;
	}
	if (offset - from == 1)
		log_warn("topic %s partition %d: offset %lld skipped by the "
		    "broker (deleted or compacted before it was read)",
		    p->topic, p->partition, (long long)from);
	else
		log_warn("topic %s partition %d: offsets %lld-%lld skipped by "
		    "the broker (deleted or compacted before they were read)",
		    p->topic, p->partition, (long long)from,
		    (long long)offset - 1);
	r->metrics[M_GAPS].value++;
	r->metrics[M_SKIPPED].value += (uint64_t)(offset - from);
}

static void
handle_message(struct reader *r, rd_kafka_message_t *m)
{
	const char *topic;
	struct part *p;
	struct lines_record rec;
	rd_kafka_timestamp_type_t tstype;

	if (m->err) {
		handle_error(r, m);
		return;
	}
	topic = rd_kafka_topic_name(m->rkt);
	if ((p = find_part(r, topic, m->partition)) == NULL)
		p = add_part(r, topic, m->partition);
	check_gap(r, p, m->offset);
	memset(&rec, 0, sizeof(rec));
	rec.topic = topic;
	rec.topic_len = strlen(topic);
	rec.partition = m->partition;
	rec.offset = m->offset;
	rec.timestamp = rd_kafka_message_timestamp(m, &tstype);
	rec.has_timestamp = tstype != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
	rec.value = m->payload;		/* NULL: a tombstone */
	rec.value_len = m->len;
	lines_write_record(&r->out, &rec);
	r->queued = r->written + pending(r);
	track(r, p, m->offset);
	r->metrics[M_RECORDS].value++;
	r->metrics[M_BYTES].value += m->len;
}

/* Kafka's longest topic name is 249 bytes. */
#define TOPIC_MAX	249

/*
 * One ack line: only its identity is read (lines_read_ack_id), every status
 * acknowledges the record.
 */
static void
ack_line(struct reader *r, const char *line, size_t len, unsigned long lineno)
{
	char topic[TOPIC_MAX + 1], why[256];
	struct lines_ack a;
	struct buf store;
	struct part *p = NULL;
	size_t i;

	buf_init(&store);
	a.store = &store;
	if (lines_read_ack_id(line, len, &a, why, sizeof(why)) != LINES_OK) {
		log_warn("ack line %lu is not an ack (topic, partition, "
		    "offset): %s; ignored", lineno, why);
		r->metrics[M_BAD_ACKS].value++;
		buf_free(&store);
		return;
	}
	if (a.topic_len <= TOPIC_MAX) {
		memcpy(topic, a.topic, a.topic_len);
		topic[a.topic_len] = '\0';
		p = find_part(r, topic, a.partition);
	}
	buf_free(&store);
	r->metrics[M_ACKS].value++;
	/* In flight in offset order (track), nearly always: a binary
	 * search first. */
	if (p != NULL && p->n > 0) {
		size_t lo = 0, hi = p->n;

		while (lo < hi) {
			i = lo + (hi - lo) / 2;
			if (p->q[(p->head + i) % p->cap].offset < a.offset)
				lo = i + 1;
			else
				hi = i;
		}
		if (lo < p->n && p->q[(p->head + lo) % p->cap].offset ==
		    a.offset) {
			p->q[(p->head + lo) % p->cap].acked = 1;
			return;
		}
		/* Not in order after all (the broker reset the offset): look
		 * at every one. */
		for (i = 0; i < p->n; i++)
			if (p->q[(p->head + i) % p->cap].offset == a.offset) {
				p->q[(p->head + i) % p->cap].acked = 1;
				return;
			}
	}
	/* A partition given up since, or a line from an earlier run. */
	log_debug("ack for an offset not in flight: line %lu", lineno);
}

static void
read_acks(struct reader *r)
{
	char *line;
	size_t len;
	ssize_t n;
	int k;

	if (r->ackfd < 0 || r->ack_eof)
		return;
	/* Everything the channel holds, so a whole batch settles at once. */
	do {
		n = lineio_fill(&r->acks);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			log_error("unable to read acks: %s", strerror(errno));
			r->ack_eof = 1;
		}
		while ((k = lineio_next(&r->acks, &line, &len)) == LINE_OK ||
		    k == LINE_TOOLONG) {
			if (k == LINE_TOOLONG) {
				log_warn("ack line %lu too long; ignored",
				    r->acks.lineno);
				r->metrics[M_BAD_ACKS].value++;
				continue;
			}
			ack_line(r, line, len, r->acks.lineno);
		}
	} while (n > 0 && k != LINE_EOF);
	if (k == LINE_EOF && !r->ack_eof) {
		r->ack_eof = 1;
		if (!r->term && !sig_pending_term())
			log_error("the ack channel closed: downstream is gone");
	}
}

static void
write_out(struct reader *r)
{
	ssize_t n;

	while (pending(r) > 0 && !r->gone) {
		n = write(1, r->out.data + r->out_off, pending(r));
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno != EPIPE)
				log_error("unable to write stdout: %s",
				    strerror(errno));
			else if (!r->term && !sig_pending_term())
				log_error("stdout closed: downstream is gone");
			r->gone = 1;
			return;
		}
		r->out_off += (size_t)n;
		r->written += (uint64_t)n;
		/* Written out: start again at the front; a long tail moves
		 * down once in a while, not after every write. */
		if (r->out_off == r->out.len) {
			buf_reset(&r->out);
			r->out_off = 0;
		} else if (r->out_off >= OUT_LOW) {
			memmove(r->out.data, r->out.data + r->out_off,
			    pending(r));
			r->out.len -= r->out_off;
			r->out_off = 0;
		}
	}
}

/* One round of fd work: acks in, records out, signals; waits up to ms. */
static void
pump(struct reader *r, int ms)
{
	struct pollfd pfd[4];
	int n = 0;
	char drainbuf[64];

	pfd[n].fd = sig_fd();
	pfd[n++].events = POLLIN;
	pfd[n].fd = pending(r) > 0 && !r->gone ? 1 : -1;
	pfd[n++].events = POLLOUT;
	pfd[n].fd = r->ackfd >= 0 && !r->ack_eof ? r->ackfd : -1;
	pfd[n++].events = POLLIN;
	pfd[n].fd = r->qpipe[0];
	pfd[n++].events = POLLIN;
	if (poll(pfd, (nfds_t)n, ms) == -1) {
		if (errno != EINTR)
			log_fatal(EXIT_POLL_FAILED, "poll: %s", strerror(errno));
		/* Interrupted: no events; the signal shows on its pipe. */
		for (int i = 0; i < n; i++)
			pfd[i].revents = 0;
	}
	if (pfd[0].revents & POLLIN) {
		sig_read();
		if (sig_pending_term() && !r->term) {
			r->term = 1;
			log_info("terminating: draining in-flight records");
		}
	}
	if (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP))
		write_out(r);
	if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))
		read_acks(r);
	if (pfd[3].revents & POLLIN)
		while (read(r->qpipe[0], drainbuf, sizeof(drainbuf)) > 0)
			;
	/* No more records will go out: let downstream see EOF. */
	if ((r->term || r->fatal) && pending(r) == 0 && !r->out_closed) {
		close(1);
		r->out_closed = 1;
	}
	store_offsets(r);
	metrics_flush(r, 0);
}

/*
 * Waits (up to ms) until the records in flight for topic (NULL = all) are
 * acknowledged, or downstream is gone.
 */
static void
drain(struct reader *r, const char *topic, int64_t ms)
{
	int64_t end = time_mono_ms() + ms;
	size_t i, left;

	for (;;) {
		left = 0;
		for (i = 0; i < r->nparts; i++)
			if (r->parts[i].live && (topic == NULL ||
			    strcmp(r->parts[i].topic, topic) == 0))
				left += r->parts[i].n;
		if (left == 0 || r->ack_eof || r->ackpath == NULL ||
		    (r->gone && r->ackfd < 0) || time_mono_ms() >= end)
			break;
		pump(r, 20);
	}
	if (left > 0)
		log_warn("%zu records still unacknowledged; they will be "
		    "delivered again", left);
}

/*
 * Remembers the committed offset of each partition of l, where delivery
 * should start, so that a first record beyond it shows as a gap.
 */
static void
read_committed(struct reader *r, const rd_kafka_topic_partition_list_t *l)
{
	rd_kafka_topic_partition_list_t *c;
	rd_kafka_resp_err_t err;
	struct part *p;
	int i;

	if ((c = rd_kafka_topic_partition_list_copy(l)) == NULL)
		log_fatal(EXIT_NOMEM, "unable to allocate a partition list");
	err = rd_kafka_committed(r->rk, c, COMMITTED_MS);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warn("unable to read the committed offsets: %s; a gap "
		    "before the first record goes unnoticed",
		    rd_kafka_err2str(err));
	for (i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < c->cnt; i++) {
		if (c->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR ||
		    c->elems[i].offset < 0)
			continue;
		if ((p = find_part(r, c->elems[i].topic,
		    c->elems[i].partition)) != NULL && p->last < 0)
			p->committed = c->elems[i].offset;
	}
	rd_kafka_topic_partition_list_destroy(c);
}

static void
rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *l, void *opaque)
{
	struct reader *r = opaque;
	int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	struct part *p;
	rd_kafka_error_t *e = NULL;
	int i;

	r->metrics[M_REBALANCES].value++;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		for (i = 0; i < l->cnt; i++)
			(void)add_part(r, l->elems[i].topic,
			    l->elems[i].partition);
		log_info("assigned %d partition(s)", l->cnt);
		read_committed(r, l);
		if (coop)
			e = rd_kafka_incremental_assign(rk, l);
		else
			rd_kafka_assign(rk, l);
		if (r->paused)
			rd_kafka_pause_partitions(rk, l);
	} else {
		log_info("revoking %d partition(s): committing what is "
		    "acknowledged", l->cnt);
		drain(r, NULL, r->drain_ms);
		store_offsets(r);
		if (!rd_kafka_assignment_lost(rk)) {
			rd_kafka_resp_err_t ce = rd_kafka_commit(rk, NULL, 0);

			if (ce == RD_KAFKA_RESP_ERR_NO_ERROR)
				r->metrics[M_COMMITS].value++;
			else if (ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
				log_warn("unable to commit: %s",
				    rd_kafka_err2str(ce));
		}
		for (i = 0; i < l->cnt; i++)
			if ((p = find_part(r, l->elems[i].topic,
			    l->elems[i].partition)) != NULL)
				drop_part(r, p);
		if (coop)
			e = rd_kafka_incremental_unassign(rk, l);
		else
			rd_kafka_assign(rk, NULL);
	}
	if (e != NULL) {
		log_warn("rebalance: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
}

static void
set_pause(struct reader *r, int pause)
{
	rd_kafka_topic_partition_list_t *l;

	if (rd_kafka_assignment(r->rk, &l) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (pause)
		rd_kafka_pause_partitions(r->rk, l);
	else
		rd_kafka_resume_partitions(r->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	r->paused = pause;
	log_debug("%s fetching (%zu in flight, %zu bytes to write)",
	    pause ? "paused" : "resumed", r->inflight, pending(r));
}

/* Too many records in flight, or too much output waiting to be written. */
static int
above_high_water(const struct reader *r)
{
	return r->inflight >= r->max_inflight || pending(r) >= OUT_HIGH;
}

static int
below_low_water(const struct reader *r)
{
	return r->inflight <= r->max_inflight / 2 && pending(r) < OUT_LOW;
}

/*
 * Consumes until told to stop.  The consumer is polled on every round,
 * paused or not, so that it stays in the group however long downstream
 * takes (max.poll.interval.ms) and errors and rebalances are served; a
 * paused partition delivers nothing more, and fetching resumes at the
 * record after the last one received.
 */
static void
run(struct reader *r)
{
	rd_kafka_message_t *m;
	int got;

	while (!r->term && !r->gone && !r->ack_eof && !r->fatal) {
		if (r->paused && below_low_water(r))
			set_pause(r, 0);
		got = 0;
		while (got < 1000 &&
		    (m = rd_kafka_consumer_poll(r->rk, 0)) != NULL) {
			handle_message(r, m);
			rd_kafka_message_destroy(m);
			got++;
			if (!r->paused && above_high_water(r))
				set_pause(r, 1);
		}
		write_out(r);
		pump(r, got > 0 && pending(r) == 0 ? 0 : 50);
	}
}

static int
shutdown_reader(struct reader *r)
{
	rd_kafka_resp_err_t err;
	int rc = 0;

	if (!r->gone)
		drain(r, NULL, r->drain_ms);
	/* After EPIPE the acks already written may still be read. */
	if (r->gone && r->ackfd >= 0)
		drain(r, NULL, r->drain_ms < 2000 ? r->drain_ms : 2000);
	store_offsets(r);
	err = rd_kafka_commit(r->rk, NULL, 0);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		r->metrics[M_COMMITS].value++;
	else if (err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		log_error("unable to commit offsets: %s", rd_kafka_err2str(err));
		rc = EXIT_COMMIT_FAILED;
	}
	r->drain_ms = 0;	/* nothing more to wait for on revoke */
	if (r->fatal) {
		/*
		 * The group is lost already, and librdkafka 2.0.2 spins
		 * for ever in rd_kafka_destroy after a consumer close that
		 * followed a fatal error.
		 */
		rd_kafka_destroy_flags(r->rk,
		    RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	} else {
		rd_kafka_consumer_close(r->rk);
		rd_kafka_destroy(r->rk);
	}
	if (r->fatal)
		rc = EXIT_SERVICE_DOWN;
	else if (!r->term && !sig_pending_term() && (r->gone || r->ack_eof))
		rc = EXIT_DOWNSTREAM_GONE;
	return rc;
}

static void
open_acks(struct reader *r)
{
	const char *err;
	int fd;

	if (r->ackpath == NULL) {
		r->ackfd = -1;
		return;
	}
	fd = (int)strtonum(r->ackpath, 0, 1 << 20, &err);
	if (err != NULL) {
		/*
		 * Non-blocking, so that the writer's open (the shell's
		 * "> acks") completes at once.  Poll reports neither data
		 * nor hang-up until a writer has come, so its absence is
		 * never taken for EOF.
		 */
		fd = open(r->ackpath, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd == -1)
			log_fatal(EXIT_BAD_VALUE, "unable to open %s: %s",
			    r->ackpath, strerror(errno));
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	r->ackfd = fd;
	lineio_init(&r->acks, fd, 1u << 20);
}

/*
 * Rewrites the metrics file (metrics_refresh): at once the first time, then
 * within METRICS_MS of a change, every METRICS_IDLE_MS when nothing
 * changed (its time stamp says the reader is alive), and when forced (at
 * exit).  Called from every round of fd work, records or not.
 */
static void
metrics_flush(struct reader *r, int force)
{
	r->metrics[M_INFLIGHT].value = r->inflight;
	(void)metrics_refresh(&r->mtimer, r->metrics_file, "ccx_kafka_reader_",
	    r->metrics, M_NMETRICS, force);
}

/*
 * -X and -F in the order given.  A secret given with -X works, with a
 * warning: the process list shows it.
 */
static void
user_props(rd_kafka_conf_t *conf)
{
	const char *v;
	char err[512], key[256];
	size_t i, k;

	for (i = 0; prog_item(&P, i, &k, &v); i++) {
		if (k == S_PROPERTY_FILE && kconf_file(conf, v, err,
		    sizeof(err)) == -1)
			log_fatal(EXIT_BAD_VALUE, "%s", err);
		if (k != S_PROPERTY)
			continue;
		if (kconf_set(conf, v, err, sizeof(err)) == -1)
			log_fatal(EXIT_BAD_VALUE, "-X: %s", err);
		snprintf(key, sizeof(key), "%.*s", (int)strcspn(v, "="), v);
		if (kconf_is_secret(key))
			log_warn("-X %s: a secret on the command line shows in "
			    "the process list; use -F", key);
	}
}

/* A consumer's configuration: ours, then -X and -F, then the brokers. */
static rd_kafka_conf_t *
consumer_conf(void)
{
	rd_kafka_conf_t *conf;
	char err[512];

	if ((conf = rd_kafka_conf_new()) == NULL)
		log_fatal(EXIT_NOMEM, "unable to allocate a configuration");
	kconf_set(conf, "enable.auto.commit=true", err, sizeof(err));
	kconf_set(conf, "auto.offset.reset=latest", err, sizeof(err));
	user_props(conf);
	if (kconf_set(conf, "enable.auto.offset.store=false", err,
	    sizeof(err)) == -1 ||
	    rd_kafka_conf_set(conf, "bootstrap.servers",
	    settings[S_BROKERS].value, err, sizeof(err)) != RD_KAFKA_CONF_OK ||
	    (settings[S_GROUP].value != NULL && rd_kafka_conf_set(conf,
	    "group.id", settings[S_GROUP].value, err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK))
		log_fatal(EXIT_BAD_VALUE, "%s", err);
	return conf;
}

/*
 * --check-brokers: each broker of -b alone, with the properties of -X and
 * -F, asked for metadata; the first that answers ends the check.
 */
static int
check_brokers(void)
{
	rd_kafka_conf_t *conf;
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t e;
	rd_kafka_t *rk;
	char *list, *b, *save = NULL, err[512];
	int ok = 0;

	if ((list = strdup(settings[S_BROKERS].value)) == NULL)
		log_fatal(EXIT_NOMEM, "out of memory");
	for (b = strtok_r(list, ",", &save); b != NULL && !ok;
	    b = strtok_r(NULL, ",", &save)) {
		if ((conf = rd_kafka_conf_new()) == NULL)
			log_fatal(EXIT_NOMEM, "out of memory");
		/* Quiet: the outcome of each broker is logged below. */
		kconf_set(conf, "log_level=0", err, sizeof(err));
		user_props(conf);
		if (rd_kafka_conf_set(conf, "bootstrap.servers", b, err,
		    sizeof(err)) != RD_KAFKA_CONF_OK ||
		    (rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err,
		    sizeof(err))) == NULL) {
			rd_kafka_conf_destroy(conf);
			log_warn("broker %s: %s", b, err);
			continue;
		}
		e = rd_kafka_metadata(rk, 0, NULL, &md, 10000);
		if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
			log_info("broker %s answered: %d broker(s) in the "
			    "cluster", b, md->broker_cnt);
			rd_kafka_metadata_destroy(md);
			ok = 1;
		} else
			log_warn("broker %s: %s", b, rd_kafka_err2str(e));
		rd_kafka_destroy(rk);
	}
	free(list);
	if (!ok)
		log_error("no broker of %s answered", settings[S_BROKERS].value);
	return ok ? EXIT_OK : EXIT_SERVICE_DOWN;
}

/* Creates the consumer, its wake-up pipe, and subscribes to the topics. */
static void
consumer_open(struct reader *r)
{
	rd_kafka_conf_t *conf = consumer_conf();
	rd_kafka_topic_partition_list_t *topics;
	rd_kafka_queue_t *cq;
	const char *v;
	char err[512];
	size_t i, k;

	rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	rd_kafka_conf_set_opaque(conf, r);
	if ((r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err,
	    sizeof(err))) == NULL)
		log_fatal(EXIT_BAD_VALUE, "unable to create the consumer: %s",
		    err);
	rd_kafka_poll_set_consumer(r->rk);
	/* The consumer queue wakes the poll loop through a pipe. */
	cq = rd_kafka_queue_get_consumer(r->rk);
	if (pipe2(r->qpipe, O_NONBLOCK | O_CLOEXEC) == -1)
		log_fatal(EXIT_SYSTEM, "unable to make a pipe: %s",
		    strerror(errno));
	rd_kafka_queue_io_event_enable(cq, r->qpipe[1], "1", 1);
	rd_kafka_queue_destroy(cq);
	topics = rd_kafka_topic_partition_list_new(
	    (int)settings[S_TOPIC].count);
	for (i = 0; prog_item(&P, i, &k, &v); i++)
		if (k == S_TOPIC)
			rd_kafka_topic_partition_list_add(topics, v,
			    RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(r->rk, topics) != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_fatal(EXIT_BAD_VALUE, "unable to subscribe");
	rd_kafka_topic_partition_list_destroy(topics);
}

/*
 * Reads the settings, subscribes, opens the ack channel, consumes until
 * SIGTERM or until downstream goes away, then commits what was
 * acknowledged.
 */
int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, 0 };
	struct reader r;
	int rc;

	prog_parse(&P, argc, argv);
	if (settings[S_CHECK].num)
		return check_brokers();
	if (settings[S_GROUP].value == NULL || settings[S_TOPIC].count == 0) {
		log_error("a group (-G) and a topic (-t) are required");
		prog_usage(&P);
	}
	memset(&r, 0, sizeof(r));
	r.max_inflight = (size_t)settings[S_MAX_IN_FLIGHT].num;
	r.drain_ms = settings[S_DRAIN].num;
	r.ackpath = settings[S_ACK_PATH].value;
	r.metrics_file = settings[S_METRICS_FILE].value;
	r.mtimer.idle_ms = METRICS_IDLE_MS;
	memcpy(r.metrics, metric_defs, sizeof(r.metrics));
	buf_init(&r.out);
	prog_signals(sigs);
	consumer_open(&r);
	open_acks(&r);
	fcntl(1, F_SETFL, fcntl(1, F_GETFL) | O_NONBLOCK);
	prog_ready(&P);
	run(&r);
	rc = shutdown_reader(&r);
	metrics_flush(&r, 1);
	reader_free(&r);
	prog_free(&P);
	return rc;
}

/* Releases what shutdown_reader left: pipes, partitions, buffers. */
static void
reader_free(struct reader *r)
{
	size_t i;

	close(r->qpipe[0]);
	close(r->qpipe[1]);
	for (i = 0; i < r->nparts; i++) {
		free(r->parts[i].q);
		free(r->parts[i].topic);
	}
	free(r->parts);
	buf_free(&r->out);
	if (r->ackfd >= 0) {
		lineio_free(&r->acks);
		close(r->ackfd);
	}
}
