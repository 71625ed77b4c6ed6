/*
 * emit: the producer loop of kafka-emitter (see emit.h).
 *
 * Everything runs in the main thread: librdkafka's delivery reports, error
 * and log callbacks are served by rd_kafka_poll (the log through the main
 * queue, log.queue=true), and the main queue signals new events through a
 * pipe, so one poll(2) waits for stdin, signals and Kafka at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "emit.h"
#include "exitcodes.h"
#include "lines.h"
#include "log.h"
#include "prog.h"
#include "sig.h"
#include "timeutil.h"

#define DRAIN_MARGIN_MS	5000	/* added to message.timeout.ms at exit */
#define PURGE_WAIT_MS	2000	/* for the reports of purged messages */
#define IDLE_MS		1000	/* longest sleep of the main loop */
#define RETRY_MS	100	/* rd_kafka_poll while waiting for room */

static void	on_delivery(rd_kafka_t *, const rd_kafka_message_t *, void *);
static void	on_error(rd_kafka_t *, int, const char *, void *);
static void	on_log(const rd_kafka_t *, int, const char *, const char *);
static void	read_lines(struct emitter *);
static void	handle_line(struct emitter *, const char *, size_t, int);
static void	pass_line(struct emitter *, struct slot *,
		    const struct lines_decision *);
static void	invalid_line(struct emitter *, struct slot *, const char *,
		    const char *, size_t);
static void	ready_slot(struct emitter *, struct slot *,
		    const struct lines_outcome *, int);
static void	produce(struct emitter *, struct slot *, const char *, size_t);
static struct slot *new_slot(struct emitter *);
static void	complete(struct emitter *, struct slot *, rd_kafka_resp_err_t);
static void	drain_head(struct emitter *);
static void	write_slot(struct emitter *, struct slot *);
static void	flush_out(struct emitter *);
static void	serve(struct emitter *, int);
static void	check_signals(struct emitter *);
static void	stop_reading(struct emitter *);
static void	wake_drain(struct emitter *);
static void	metrics_tick(struct emitter *, int);
static int	wait_ms(const struct emitter *);
static void	give_up(struct emitter *);

static const struct metric metric_defs[M_NMETRICS] = {
	[M_LINES_READ] = { "lines_read", "Input lines read", "counter", 0 },
	[M_PRODUCED] = { "messages_produced",
	    "Messages handed to the producer", "counter", 0 },
	[M_DELIVERED] = { "messages_delivered",
	    "Messages acknowledged by the brokers", "counter", 0 },
	[M_DELIVERY_ERRORS] = { "delivery_errors",
	    "Messages not delivered", "counter", 0 },
	[M_INVALID] = { "invalid_lines",
	    "Input lines that are not a JSON object or too long",
	    "counter", 0 },
	[M_PASSED] = { "passed_through",
	    "Input lines without a payload, passed through", "counter", 0 },
};

void
emit_open(struct emitter *e, rd_kafka_conf_t *conf, const char *topic,
    const char *metrics_path)
{
	static const int sigs[] = { SIGTERM, SIGINT, 0 };
	char errstr[512], val[32];
	size_t sz = sizeof(val);
	const char *numerr;
	long long tmo;

	prog_signals(sigs);
	memset(e, 0, sizeof(*e));
	memcpy(e->m, metric_defs, sizeof(e->m));
	e->metrics_path = metrics_path;
	e->evfd[0] = e->evfd[1] = -1;
	if (rd_kafka_conf_get(conf, "message.timeout.ms", val, &sz) !=
	    RD_KAFKA_CONF_OK)
		log_fatal(EXIT_BUG, "unable to read message.timeout.ms");
	tmo = strtonum(val, 0, INT_MAX, &numerr);
	if (numerr != NULL)
		log_fatal(EXIT_BUG, "message.timeout.ms is %s", numerr);
	e->drain_ms = tmo == 0 ? -1 : tmo + DRAIN_MARGIN_MS;
	if (rd_kafka_conf_set(conf, "log.queue", "true", errstr,
	    sizeof(errstr)) != RD_KAFKA_CONF_OK)
		log_fatal(EXIT_BUG, "unable to set log.queue: %s", errstr);
	rd_kafka_conf_set_opaque(conf, e);
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_log_cb(conf, on_log);
	/* On success rd_kafka_new owns conf; on failure we still do. */
	e->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (e->rk == NULL) {
		rd_kafka_conf_destroy(conf);
		log_fatal(EXIT_BAD_VALUE, "unable to create producer: %s",
		    errstr);
	}
	rd_kafka_set_log_queue(e->rk, NULL);
	if ((e->rkt = rd_kafka_topic_new(e->rk, topic, NULL)) == NULL)
		log_fatal(EXIT_BAD_VALUE, "unable to use topic %s: %s", topic,
		    rd_kafka_err2str(rd_kafka_last_error()));
	if (pipe2(e->evfd, O_NONBLOCK | O_CLOEXEC) == -1)
		log_fatal(EXIT_SYSTEM, "unable to create pipe: %s",
		    strerror(errno));
	e->mainq = rd_kafka_queue_get_main(e->rk);
	rd_kafka_queue_io_event_enable(e->mainq, e->evfd[1], "k", 1);
	if ((e->ring = calloc(EMIT_RING, sizeof(*e->ring))) == NULL)
		log_fatal(EXIT_NOMEM, "unable to allocate the ring");
	if ((e->tok = json_tokener_new()) == NULL)
		log_fatal(EXIT_NOMEM, "unable to allocate a JSON tokener");
	json_tokener_set_flags(e->tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	prog_io_init(&e->io, 0);
	e->reading = 1;
	log_debug("producing to topic %s, drain bound %lld ms", topic,
	    (long long)e->drain_ms);
}

/*
 * Reads stdin until EOF, a termination signal, a fatal producer error or
 * a dead stdout, producing and writing outcomes on the way.
 */
void
emit_run(struct emitter *e)
{
	struct pollfd pfd[3];

	while (e->reading) {
		serve(e, 0);
		metrics_tick(e, 0);
		if (e->io.in.eof) {
			/* Stopped from a callback: finish the buffer. */
			read_lines(e);
			continue;
		}
		flush_out(e);
		if (!e->reading)
			break;
		pfd[0].fd = sig_fd();
		pfd[1].fd = e->evfd[0];
		pfd[2].fd = e->io.in.fd;
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		if (poll(pfd, 3, wait_ms(e)) == -1) {
			if (errno == EINTR)
				continue;
			log_fatal(EXIT_POLL_FAILED, "poll: %s", strerror(errno));
		}
		if (pfd[0].revents != 0)
			check_signals(e);
		if (pfd[1].revents != 0)
			wake_drain(e);
		if (pfd[2].revents != 0 && !e->io.in.eof &&
		    prog_io_fill(&e->io) == -1)
			stop_reading(e);
		read_lines(e);
	}
}

/*
 * Waits for the delivery reports of everything produced, at most
 * message.timeout.ms plus a margin (or until a second signal), writing
 * outcomes as they complete; what is still undelivered then is purged and
 * reported as an error.
 */
void
emit_drain(struct emitter *e)
{
	int64_t deadline;

	deadline = e->drain_ms < 0 ? -1 : time_mono_ms() + e->drain_ms;
	drain_head(e);
	if (e->inflight > 0)
		log_info("waiting for %zu delivery report(s)", e->inflight);
	while (e->inflight > 0 && e->nterm < 2 &&
	    (deadline < 0 || time_mono_ms() < deadline)) {
		flush_out(e);
		rd_kafka_flush(e->rk, RETRY_MS);
		drain_head(e);
		check_signals(e);
		metrics_tick(e, 0);
		if (e->inflight > 0 && rd_kafka_outq_len(e->rk) == 0)
			break;
	}
	if (e->inflight > 0)
		give_up(e);
	drain_head(e);
	flush_out(e);
}

static const struct metric_label summary[] = {
	{ M_LINES_READ, "lines read" }, { M_DELIVERED, "delivered" },
	{ M_DELIVERY_ERRORS, "not delivered" }, { M_INVALID, "invalid" },
	{ M_PASSED, "passed through" },
};

int
emit_close(struct emitter *e)
{
	const struct metric *m = e->m;
	size_t i;
	int status;

	rd_kafka_queue_destroy(e->mainq);
	rd_kafka_topic_destroy(e->rkt);
	rd_kafka_destroy(e->rk);
	close(e->evfd[0]);
	close(e->evfd[1]);
	for (i = 0; i < EMIT_RING; i++) {
		free(e->ring[i].text);
	}
	free(e->ring);
	json_tokener_free(e->tok);
	prog_io_free(&e->io);
	metrics_tick(e, 1);
	metrics_push_warn(e->pushgateway, "kafka-emitter", "ccx_kafka_emitter_",
	    e->m, M_NMETRICS);
	metrics_log_counts(m, summary, sizeof(summary) / sizeof(summary[0]));
	if ((status = prog_io_status(&e->io)) != 0)
		return status;
	if (m[M_DELIVERY_ERRORS].value > 0 || e->fatal)
		return EXIT_SERVICE_DOWN;
	if (m[M_INVALID].value > 0)
		return EXIT_BAD_INPUT;
	return 0;
}

/* The delivery report of one message, served by rd_kafka_poll. */
static void
on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	struct emitter *e = opaque;
	uint64_t seq = (uint64_t)(uintptr_t)msg->_private;
	struct slot *s = &e->ring[seq % EMIT_RING];

	(void)rk;
	if (s->seq != seq || !s->kafka || s->done) {
		log_debug("delivery report for a forgotten message");
		return;
	}
	if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warn("line %lu: delivery failed: %s", s->lineno,
		    rd_kafka_err2str(msg->err));
	else
		log_debug("line %lu: delivered to partition %d at offset %lld",
		    s->lineno, (int)msg->partition, (long long)msg->offset);
	complete(e, s, msg->err);
}

static void
on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct emitter *e = opaque;
	char buf[512];

	/* The log callback has already told of connection failures. */
	if (err == RD_KAFKA_RESP_ERR__TRANSPORT ||
	    err == RD_KAFKA_RESP_ERR__RESOLVE) {
		log_debug("kafka: %s", reason);
		return;
	}
	if (err != RD_KAFKA_RESP_ERR__FATAL) {
		log_warn("kafka: %s", reason);
		return;
	}
	rd_kafka_fatal_error(rk, buf, sizeof(buf));
	log_error("fatal producer error: %s", buf);
	e->fatal = 1;
	stop_reading(e);
}

static void
on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	/* Syslog levels; what is fatal to us comes through on_error. */
	log_msg(level <= 4 ? LOG_WARN : level == 5 ? LOG_INFO : LOG_DEBUG,
	    "rdkafka: %s: %s", fac, buf);
}

/* Handles the complete lines in the input buffer. */
static void
read_lines(struct emitter *e)
{
	char *line;
	size_t len;
	int r;

	while (e->reading) {
		r = lineio_next(&e->io.in, &line, &len);
		if (r == LINE_AGAIN)
			return;
		if (r == LINE_EOF) {
			e->reading = 0;
			return;
		}
		handle_line(e, line, len, r == LINE_TOOLONG);
	}
}

/*
 * A decision line (common/lines.c): its payload is produced, and its
 * outcome waits for the delivery report; without a payload its outcome is
 * ready now.
 */
static void
handle_line(struct emitter *e, const char *line, size_t len, int toolong)
{
	struct lines_decision d;
	struct slot *s;
	char why[256], msg[300];
	int rc;

	s = new_slot(e);
	if (toolong) {
		snprintf(why, sizeof(why), "line too long (more than %zu "
		    "bytes)", e->io.in.max);
		invalid_line(e, s, why, line, len);
		return;
	}
	/* The members it passes on are not checked, the payload is. */
	lines_decision_init(&d, e->tok, 0);
	if ((rc = lines_read_decision(line, len, &d, why, sizeof(why))) !=
	    LINES_OK) {
		snprintf(msg, sizeof(msg), "%s%s", rc == LINES_EMEMBER ? "" :
		    "not a JSON object: ", why);
		invalid_line(e, s, msg, line, len);
	} else if (!(d.have & LD_PAYLOAD))
		pass_line(e, s, &d);
	else if (d.payload == NULL)
		invalid_line(e, s, "payload is not a JSON object", line, len);
	else {
		/* The outcome is the line without its payload. */
		if ((s->text = strndup(d.pass, d.pass_len)) == NULL)
			log_fatal(EXIT_NOMEM, "unable to allocate an outcome");
		s->kafka = 1;
		produce(e, s, d.payload, d.payload_len);
	}
	lines_decision_free(&d);
}

/* A line without a payload: its outcome is ready now. */
static void
pass_line(struct emitter *e, struct slot *s, const struct lines_decision *d)
{
	struct lines_outcome o;

	lines_outcome_of(&o, d);
	ready_slot(e, s, &o, M_PASSED);
}

/*
 * A line that is not a JSON object, has a payload that is not one, or is
 * too long: its outcome says so with its line number and the start of its
 * text, so that downstream can record it.
 */
static void
invalid_line(struct emitter *e, struct slot *s, const char *why,
    const char *line, size_t len)
{
	struct lines_outcome o;

	log_warn("line %lu: %s", s->lineno, why);
	lines_outcome_invalid(&o, s->lineno, why, line, len, EMIT_ECHO_MAX);
	ready_slot(e, s, &o, M_INVALID);
}

/* The slot's outcome is o, ready now; counted in metric. */
static void
ready_slot(struct emitter *e, struct slot *s, const struct lines_outcome *o,
    int metric)
{
	struct buf b;

	buf_init(&b);
	lines_write_outcome(&b, o);
	s->text = b.data;	/* the buffer's storage, now the slot's */
	s->done = 1;
	e->m[metric].value++;
}

/*
 * Hands the value to librdkafka (which copies it); a full queue is back
 * pressure: serve the producer and retry.  Any other refusal is the line's
 * outcome.
 */
static void
produce(struct emitter *e, struct slot *s, const char *val, size_t len)
{
	rd_kafka_resp_err_t err;

	for (;;) {
		if (e->nterm >= 2) {
			complete(e, s, RD_KAFKA_RESP_ERR__PURGE_QUEUE);
			break;
		}
		if (rd_kafka_produce(e->rkt, RD_KAFKA_PARTITION_UA,
		    RD_KAFKA_MSG_F_COPY, (void *)(uintptr_t)val, len, NULL, 0,
		    (void *)(uintptr_t)s->seq) == 0) {
			e->m[M_PRODUCED].value++;
			e->inflight++;
			s->produced = 1;
			log_debug("line %lu: queued %zu bytes", s->lineno, len);
			break;
		}
		err = rd_kafka_last_error();
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			log_warn("line %lu: unable to produce: %s", s->lineno,
			    rd_kafka_err2str(err));
			complete(e, s, err);
			break;
		}
		serve(e, RETRY_MS);
		check_signals(e);
		metrics_tick(e, 0);
	}
	serve(e, 0);
}

/* The next free slot at the tail, waiting for room if the ring is full. */
static struct slot *
new_slot(struct emitter *e)
{
	struct slot *s;

	while (e->count == EMIT_RING) {
		if (e->nterm >= 2)
			rd_kafka_purge(e->rk, RD_KAFKA_PURGE_F_QUEUE |
			    RD_KAFKA_PURGE_F_INFLIGHT);
		serve(e, RETRY_MS);
		check_signals(e);
		metrics_tick(e, 0);
	}
	s = &e->ring[(e->head + e->count) % EMIT_RING];
	memset(s, 0, sizeof(*s));
	s->seq = e->seq++;
	s->lineno = e->io.in.lineno;
	e->count++;
	e->m[M_LINES_READ].value++;
	return s;
}

static void
complete(struct emitter *e, struct slot *s, rd_kafka_resp_err_t err)
{
	if (s->produced)
		e->inflight--;
	s->err = err;
	s->done = 1;
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		e->m[M_DELIVERED].value++;
	else
		e->m[M_DELIVERY_ERRORS].value++;
}

/* Writes the outcomes of the complete lines at the head of the ring. */
static void
drain_head(struct emitter *e)
{
	struct slot *s;

	while (e->count > 0 && (s = &e->ring[e->head])->done) {
		write_slot(e, s);
		free(s->text);
		s->text = NULL;
		e->head = (e->head + 1) % EMIT_RING;
		e->count--;
	}
}

/*
 * Writes the outcome of a slot: ready in its text, or, for a produced
 * message, its pass text then state sent or error (with the reason).
 */
static void
write_slot(struct emitter *e, struct slot *s)
{
	struct lines_outcome o;
	struct buf b;
	const char *out = s->text;

	if (e->io.out_dead)
		return;
	buf_init(&b);
	if (s->kafka) {
		memset(&o, 0, sizeof(o));
		o.pass = s->text;
		o.pass_len = strlen(s->text);
		o.state = s->err == RD_KAFKA_RESP_ERR_NO_ERROR ? "sent" :
		    "error";
		if (s->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			o.error = rd_kafka_err2str(s->err);
			o.error_len = strlen(o.error);
		}
		lines_write_outcome(&b, &o);
		out = b.data;
	}
	if (prog_io_write(&e->io, out, strlen(out)) == -1)
		e->reading = 0;
	buf_free(&b);
}

/* A dead stdout stops the reading. */
static void
flush_out(struct emitter *e)
{
	if (prog_io_flush(&e->io) == -1)
		e->reading = 0;
}

/* Serves the producer's callbacks (waiting up to ms), then the head. */
static void
serve(struct emitter *e, int ms)
{
	if (ms > 0)
		flush_out(e);
	rd_kafka_poll(e->rk, ms);
	drain_head(e);
}

/* The first signal stops reading; a second one stops waiting. */
static void
check_signals(struct emitter *e)
{
	if (sig_read() == 0)
		return;
	if (++e->nterm == 1) {
		log_info("signal received: finishing");
		stop_reading(e);
	} else if (e->nterm == 2)
		log_warn("second signal: giving up undelivered messages");
}

/* What is in the input buffer is still handled, as at EOF. */
static void
stop_reading(struct emitter *e)
{
	e->io.in.eof = 1;
}

static void
wake_drain(struct emitter *e)
{
	char buf[64];

	while (read(e->evfd[0], buf, sizeof(buf)) > 0)
		;
}

/* Writes the metrics file by the rule of metrics_refresh (metrics.h). */
static void
metrics_tick(struct emitter *e, int force)
{
	(void)metrics_refresh(&e->mtimer, e->metrics_path,
	    "ccx_kafka_emitter_", e->m, M_NMETRICS, force);
}

/* How long the main loop may sleep: IDLE_MS, or until the metrics are
 * due. */
static int
wait_ms(const struct emitter *e)
{
	int64_t due = metrics_timer_wait(&e->mtimer, time_mono_ms());

	return due >= 0 && due < IDLE_MS ? (int)due : IDLE_MS;
}

/*
 * Purges what librdkafka still holds, waits briefly for the purge reports,
 * and completes whatever is left as timed out.
 */
static void
give_up(struct emitter *e)
{
	int64_t end;
	size_t i;
	struct slot *s;

	log_warn("%zu message(s) without a delivery report: purging",
	    e->inflight);
	rd_kafka_purge(e->rk, RD_KAFKA_PURGE_F_QUEUE |
	    RD_KAFKA_PURGE_F_INFLIGHT);
	end = time_mono_ms() + PURGE_WAIT_MS;
	while (e->inflight > 0 && rd_kafka_outq_len(e->rk) > 0 &&
	    time_mono_ms() < end)
		serve(e, RETRY_MS);
	for (i = 0; i < e->count; i++) {
		s = &e->ring[(e->head + i) % EMIT_RING];
		if (!s->done)
			complete(e, s, RD_KAFKA_RESP_ERR__TIMED_OUT);
	}
	drain_head(e);
}
