/*
 * helper bench-produce BROKERS TOPIC GROUP VALUES N PID[,PID...] WINDOW_KB
 *     [TIMEOUT_S [PARTITIONS]]:
 * the producer of tests/bench/bench.sh, paced by the consumers.
 *
 * Produces the first N records of VALUES (tests/bench/gen.py's format: a
 * line "VALUE_BYTES LINE_BYTES", the value, a newline) to TOPIC, in order,
 * record i to partition i % PARTITIONS (default 1), and times how long it
 * takes until the sum of GROUP's committed offsets of those partitions
 * reaches N (every partition has then committed all of its records).
 *
 * The mock broker keeps only about 5 MiB per partition and drops older
 * records, consumed or not, so the producer stays at most WINDOW_KB ahead
 * of the consumers: each process PID (a kafka-reader of the group) writes
 * one record line of LINE_BYTES per record, and the bytes they wrote
 * together (wchar of /proc/PID/io, sockets not included) tell how many
 * records they have fetched.  Counting the records' line bytes over-states
 * what the broker holds for them, so the window is a safe bound.  The
 * window is global, not per partition: the records not yet written of any
 * one partition are at most all those not yet written, so WINDOW_KB bounds
 * every partition whatever the group's members and however unevenly they
 * read.  (A window P times larger would hold only while the partitions
 * are read evenly.)  Every 100 ms each partition's low watermark is
 * compared with the first record of that partition not yet written,
 * assuming that the partitions are read evenly: a record the broker
 * dropped before it was written is counted as "evicted" (a hint, not a
 * proof: bench.sh counts the rows).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "timeutil.h"

#define MAX_PIDS	64	/* kafka-readers of the group */
#define MAX_PARTS	1024

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

/* The bytes the processes of PIDS wrote together, or -1 (said). */
static long long
wchar_sum(const long *pids, int npids)
{
	long long v, sum = 0;
	int k;

	for (k = 0; k < npids; k++) {
		if ((v = wchar(pids[k])) < 0) {
			fprintf(stderr, "bench-produce: process %ld is gone\n",
			    pids[k]);
			return -1;
		}
		sum += v;
	}
	return sum;
}

/* PID[,PID...] into pids: their number, or -1. */
static int
parse_pids(const char *s, long *pids)
{
	char *end;
	int k = 0;

	for (;;) {
		if (k == MAX_PIDS)
			return -1;
		errno = 0;
		pids[k] = strtol(s, &end, 10);
		if (errno != 0 || end == s || pids[k] <= 0)
			return -1;
		k++;
		if (*end == '\0')
			return k;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
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
	long long *ends, produced = 0, evicted = 0, last = -1, sum, np;
	int64_t lo, hi;
	long long written = 0;	/* records whose line was written */
	long pids[MAX_PIDS], timeout_s = 60;
	int npids, nparts = 1, p, done;
	double t0, tprod, tend, throttled = 0, tprog, tlow = 0, t;
	char *buf = NULL;
	size_t cap = 0, len;
	FILE *fp;

	if (argc < 8 || argc > 10) {
		fprintf(stderr, "usage: helper bench-produce BROKERS TOPIC "
		    "GROUP VALUES N PID[,PID...] WINDOW_KB [TIMEOUT_S "
		    "[PARTITIONS]]\n");
		return 64;
	}
	topic = argv[2];
	n = atoll(argv[5]);
	npids = parse_pids(argv[6], pids);
	if (argc >= 9)
		timeout_s = atol(argv[8]);
	if (argc == 10)
		nparts = atoi(argv[9]);
	if (n <= 0 || npids <= 0 || atoll(argv[7]) <= 0 || nparts <= 0 ||
	    nparts > MAX_PARTS) {
		fprintf(stderr, "bench-produce: bad N, PID, WINDOW_KB or "
		    "PARTITIONS\n");
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
	if ((l = rd_kafka_topic_partition_list_new(nparts)) == NULL) {
		fprintf(stderr, "bench-produce: out of memory\n");
		return 71;
	}
	for (p = 0; p < nparts; p++)
		rd_kafka_topic_partition_list_add(l, topic, p);
	if ((e = rd_kafka_committed(crk, l, 10000)) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "bench-produce: committed: %s\n",
		    rd_kafka_err2str(e));
		return 69;
	}
	if ((base = wchar_sum(pids, npids)) < 0)
		return 2;

	t0 = tprog = time_mono_us() / 1e3;
	while (i < n) {
		if ((w = wchar_sum(pids, npids)) < 0) {
			fprintf(stderr, "bench-produce: gone after %lld "
			    "records\n", i);
			return 2;
		}
		w -= base;
		while (written < i && ends[written] <= w)
			written++;
		ahead = produced - w;
		if (ahead > max_ahead)
			max_ahead = ahead;
		t = time_mono_us() / 1e3;
		for (p = 0; t - tlow >= 100 && p < nparts; p++) {
			/* Records of p among the first `written'. */
			np = written > p ? (written - p + nparts - 1) /
			    nparts : 0;
			if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo,
			    &hi, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
			    lo > np && (long long)lo - np > evicted)
				evicted = lo - np;
		}
		if (t - tlow >= 100)
			tlow = t;
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
				    RD_KAFKA_V_PARTITION(
				    (int32_t)(i % nparts)),
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
		for (p = 0; p < nparts; p++)
			l->elems[p].offset = RD_KAFKA_OFFSET_INVALID;
		e = rd_kafka_committed(crk, l, 5000);
		tend = time_mono_us() / 1e3;
		if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
			sum = 0;
			done = 1;
			for (p = 0; p < nparts; p++) {
				/* Partition p holds records p, p + P, ... */
				np = n > p ? (n - p + nparts - 1) / nparts : 0;
				if (l->elems[p].offset > 0)
					sum += l->elems[p].offset;
				if (np > 0 && l->elems[p].offset < np)
					done = 0;
			}
			if (done)
				break;
			if (sum > last) {
				last = sum;
				if (getenv("BENCH_DEBUG") != NULL)
					fprintf(stderr, "%.1f ms: committed "
					    "%lld\n", tend - t0, last);
				tprog = tend;
			}
		}
		if (tend - tprog > timeout_s * 1000.0 || wchar_sum(pids,
		    npids) < 0) {
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
