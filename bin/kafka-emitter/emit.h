/*
 * emit: the engine of kafka-emitter.
 *
 * One idempotent producer, one ring of input lines in input order, and
 * outcome lines written from the head of the ring as soon as the line
 * there is complete (delivery report received, or nothing to deliver).
 * emit_open installs the signal handlers (sig.h) and creates the producer
 * from conf, which it consumes; it exits with EXIT_BAD_VALUE when
 * librdkafka refuses the configuration.  emit_run reads stdin until EOF, a termination
 * signal, a fatal producer error or EPIPE on stdout.  emit_drain waits
 * (bounded) for the outstanding delivery reports and writes the remaining
 * outcomes.  emit_close destroys the producer, writes the metrics a last
 * time and returns the exit status.
 */
#ifndef KE_EMIT_H
#define KE_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include <json.h>
#include <librdkafka/rdkafka.h>

#include "metrics.h"
#include "prog.h"

#define EMIT_RING	16384	/* most input lines waiting for an outcome */
#define EMIT_ECHO_MAX	4096	/* bytes of an invalid line in its outcome */

enum {
	M_LINES_READ,
	M_PRODUCED,
	M_DELIVERED,
	M_DELIVERY_ERRORS,
	M_INVALID,
	M_PASSED,
	M_NMETRICS
};

/*
 * One input line.  A produced line holds the members its outcome passes
 * on (lines_decision's pass text) until its delivery report; a complete
 * line without a message holds its finished outcome line.
 */
struct slot {
	uint64_t		 seq;		/* serial number of the line */
	unsigned long		 lineno;
	char			*text;		/* owned; NUL-terminated */
	rd_kafka_resp_err_t	 err;		/* of the delivery */
	int			 kafka;		/* has a message to produce */
	int			 produced;	/* librdkafka holds it */
	int			 done;		/* the outcome is known */
};

struct emitter {
	rd_kafka_t		*rk;
	rd_kafka_topic_t	*rkt;
	rd_kafka_queue_t	*mainq;
	int			 evfd[2];	/* main queue has events */
	struct json_tokener	*tok;
	struct prog_io		 io;		/* stdin, stdout */
	struct slot		*ring;		/* EMIT_RING slots */
	size_t			 head;
	size_t			 count;
	uint64_t		 seq;
	size_t			 inflight;	/* produced, no report yet */
	struct metric		 m[M_NMETRICS];
	const char		*metrics_path;
	const char		*pushgateway;	/* Pushgateway URL, or NULL */
	struct metrics_timer	 mtimer;	/* when the file is due */
	int64_t			 drain_ms;	/* -1: no bound */
	int			 reading;
	int			 nterm;		/* termination signals seen */
	int			 fatal;		/* fatal producer error */
};

void	emit_open(struct emitter *, rd_kafka_conf_t *, const char *topic,
	    const char *metrics_path);
void	emit_run(struct emitter *);
void	emit_drain(struct emitter *);
int	emit_close(struct emitter *);

#endif
