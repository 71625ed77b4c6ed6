/*
 * helper bench-produce BROKERS TOPIC GROUP VALUES N PID WINDOW_KB [TIMEOUT_S]:
 * the producer of tests/bench/bench.sh, paced by the consumer.
 *
 * Produces the first N records of VALUES (tests/bench/gen.py's format: a
 * line "VALUE_BYTES LINE_BYTES", the value, a newline) to partition 0 of
 * TOPIC, in order, and times how long it takes until GROUP's committed
 * offset of that partition reaches N.
 *
 * The mock broker keeps only about 5 MiB per partition and drops older
 * records, consumed or not, so the producer stays at most WINDOW_KB ahead
 * of the consumer: process PID (kafka-reader) writes one record line of
 * LINE_BYTES per record, and the bytes it wrote (wchar of /proc/PID/io,
 * sockets not included) tell which records it has fetched.  Counting the
 * records' line bytes over-states what the broker holds for them, so the
 * window is a safe bound.  Every 100 ms the partition's low watermark is
 * compared with the first record not yet written: a record the broker
 * dropped before it was written is counted as "evicted" (an upper bound:
 * the consumer may have fetched it without writing it yet).
 *
 * Prints one line on stdout:
 *
 *	elapsed_ms=E produce_ms=P records=N value_bytes=B throttled_ms=T
 *	max_ahead_kb=A evicted=V delivery_errors=D
 *
 * E: from the first record produced to the committed offset reaching N.
 * P: until the last record was delivered.  T: time spent waiting for the
 * consumer (the window was full).  With BENCH_DEBUG set in the environment
 * each advance of the committed offset goes to stderr with its time.
 * Exits 0, or 1 on delivery errors, 2
 * when the consumer made no progress for TIMEOUT_S seconds (default 60)
 * or PID went away, 64/66/69/78 on usage, input, broker or setup errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "timeutil.h"

int	helper_bench_produce(int, char **);

static long delivery_errors;

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Bytes PID has written (wchar), or -1 when it is gone. */
static long long
wchar(long pid)
{
	char path[64], line[128];
	long long v = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/io", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "wchar: %lld", &v) == 1)
			break;
	fclose(fp);
	return v;
}

static void
dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->err) {
		if (delivery_errors++ < 5)
			fprintf(stderr, "bench-produce: delivery failed: %s\n",
			    rd_kafka_err2str(m->err));
	}
}

static rd_kafka_t *
handle(rd_kafka_type_t type, const char *brokers, const char *group)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err,
	    sizeof(err)) != RD_KAFKA_CONF_OK ||
	    (type == RD_KAFKA_CONSUMER &&
	    rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK) ||
	    (type == RD_KAFKA_PRODUCER &&
	    (rd_kafka_conf_set(conf, "linger.ms", "2", err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "queue.buffering.max.kbytes", "65536",
	    err, sizeof(err)) != RD_KAFKA_CONF_OK))) {
		fprintf(stderr, "bench-produce: %s\n", err);
		exit(78);
	}
	if (type == RD_KAFKA_PRODUCER)
		rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	if ((rk = rd_kafka_new(type, conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bench-produce: %s\n", err);
		exit(78);
	}
	return rk;
}

/* Reads the next record of VALUES into *buf; returns its line bytes. */
static long long
next_value(FILE *fp, char **buf, size_t *cap, size_t *len)
{
	long long vlen, llen;

	if (fscanf(fp, "%lld %lld", &vlen, &llen) != 2 || fgetc(fp) != '\n' ||
	    vlen < 0) {
		fprintf(stderr, "bench-produce: bad VALUES file\n");
		exit(66);
	}
	if ((size_t)vlen + 1 > *cap) {
		*cap = (size_t)vlen + 1;
		if ((*buf = realloc(*buf, *cap)) == NULL) {
			perror("bench-produce");
			exit(71);
		}
	}
	if (fread(*buf, 1, (size_t)vlen + 1, fp) != (size_t)vlen + 1) {
		fprintf(stderr, "bench-produce: VALUES file cut short\n");
		exit(66);
	}
	*len = (size_t)vlen;
	return llen;
}

int
helper_bench_produce(int argc, char **argv)
{
	rd_kafka_t *rk, *crk;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;
	const char *topic;
	long long n, i = 0, base, w, ahead, max_ahead = 0, vbytes = 0;
	long long *ends, produced = 0, evicted = 0, last = -1;
	int64_t lo, hi;
	long long written = 0;	/* records whose line was written */
	long pid, timeout_s = 60;
	double t0, tprod, tend, throttled = 0, tprog, tlow = 0, t;
	char *buf = NULL;
	size_t cap = 0, len;
	FILE *fp;

	if (argc != 8 && argc != 9) {
		fprintf(stderr, "usage: helper bench-produce BROKERS TOPIC "
		    "GROUP VALUES N PID WINDOW_KB [TIMEOUT_S]\n");
		return 64;
	}
	topic = argv[2];
	n = atoll(argv[5]);
	pid = atol(argv[6]);
	if (argc == 9)
		timeout_s = atol(argv[8]);
	if (n <= 0 || pid <= 0 || atoll(argv[7]) <= 0) {
		fprintf(stderr, "bench-produce: bad N, PID or WINDOW_KB\n");
		return 64;
	}
	if ((fp = fopen(argv[4], "r")) == NULL) {
		perror(argv[4]);
		return 66;
	}
	if ((ends = calloc((size_t)n, sizeof(*ends))) == NULL) {
		perror("bench-produce");
		return 71;
	}
	rk = handle(RD_KAFKA_PRODUCER, argv[1], NULL);
	crk = handle(RD_KAFKA_CONSUMER, argv[1], argv[3]);
	/* Find the group coordinator now: the first query takes a second. */
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, topic, 0);
	if ((e = rd_kafka_committed(crk, l, 10000)) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "bench-produce: committed: %s\n",
		    rd_kafka_err2str(e));
		return 69;
	}
	if ((base = wchar(pid)) < 0) {
		fprintf(stderr, "bench-produce: no process %ld\n", pid);
		return 2;
	}

	t0 = tprog = time_mono_us() / 1e3;
	while (i < n) {
		if ((w = wchar(pid)) < 0) {
			fprintf(stderr, "bench-produce: process %ld is gone "
			    "after %lld records\n", pid, i);
			return 2;
		}
		w -= base;
		while (written < i && ends[written] <= w)
			written++;
		ahead = produced - w;
		if (ahead > max_ahead)
			max_ahead = ahead;
		t = time_mono_us() / 1e3;
		if (t - tlow >= 100) {
			tlow = t;
			if (rd_kafka_query_watermark_offsets(rk, topic, 0, &lo,
			    &hi, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
			    lo > written && (long long)lo - written > evicted)
				evicted = lo - written;
		}
		if (ahead >= atoll(argv[7]) * 1024) {
			if (t - tprog > timeout_s * 1000.0) {
				fprintf(stderr, "bench-produce: no progress "
				    "for %ld s after %lld records\n",
				    timeout_s, i);
				return 2;
			}
			rd_kafka_poll(rk, 0);
			nap_ms(1);
			throttled += time_mono_us() / 1e3 - t;
			continue;
		}
		tprog = t;
		while (i < n && produced - w < atoll(argv[7]) * 1024) {
			long long llen = next_value(fp, &buf, &cap, &len);

			for (;;) {
				e = rd_kafka_producev(rk,
				    RD_KAFKA_V_TOPIC(topic),
				    RD_KAFKA_V_PARTITION(0),
				    RD_KAFKA_V_VALUE(buf, len),
				    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				    RD_KAFKA_V_END);
				if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
					break;
				rd_kafka_poll(rk, 5);
			}
			if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
				fprintf(stderr, "bench-produce: %s\n",
				    rd_kafka_err2str(e));
				return 69;
			}
			produced += llen;
			ends[i++] = produced;
			vbytes += (long long)len;
		}
		rd_kafka_poll(rk, 0);
	}
	if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "bench-produce: records still undelivered\n");
		return 1;
	}
	tprod = time_mono_us() / 1e3;

	tprog = time_mono_us() / 1e3;
	for (;;) {
		l->elems[0].offset = RD_KAFKA_OFFSET_INVALID;
		e = rd_kafka_committed(crk, l, 5000);
		tend = time_mono_us() / 1e3;
		if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (l->elems[0].offset >= n)
				break;
			if (l->elems[0].offset > last) {
				last = l->elems[0].offset;
				if (getenv("BENCH_DEBUG") != NULL)
					fprintf(stderr, "%.1f ms: committed "
					    "%lld\n", tend - t0, last);
				tprog = tend;
			}
		}
		if (tend - tprog > timeout_s * 1000.0 || kill((pid_t)pid, 0)) {
			fprintf(stderr, "bench-produce: the committed offset "
			    "stays at %lld of %lld\n", last, n);
			return 2;
		}
		nap_ms(10);
	}
	printf("elapsed_ms=%.1f produce_ms=%.1f records=%lld value_bytes=%lld "
	    "throttled_ms=%.1f max_ahead_kb=%lld evicted=%lld "
	    "delivery_errors=%ld\n", tend - t0, tprod - t0, n, vbytes,
	    throttled, max_ahead / 1024, evicted, delivery_errors);
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(crk);
	rd_kafka_destroy(rk);
	free(ends);
	free(buf);
	fclose(fp);
	return delivery_errors ? 1 : 0;
}
