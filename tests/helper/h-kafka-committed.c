/*
 * helper kafka-committed BROKERS GROUP TOPIC NPARTITIONS: prints the
 * committed offset of each partition for the group ("P OFFSET", -1001 when
 * none), as the broker's group coordinator has it.
 */
#include <stdio.h>
#include <stdlib.h>

#include <librdkafka/rdkafka.h>

int	helper_kafka_committed(int, char **);

int
helper_kafka_committed(int argc, char **argv)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_conf_t *conf;
	rd_kafka_resp_err_t err;
	rd_kafka_t *rk;
	char errstr[512];
	int i, n;

	if (argc != 5) {
		fprintf(stderr, "usage: helper kafka-committed BROKERS GROUP "
		    "TOPIC NPARTITIONS\n");
		return 64;
	}
	n = atoi(argv[4]);
	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr,
	    sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "group.id", argv[2], errstr,
	    sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "%s\n", errstr);
		return 78;
	}
	if ((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr,
	    sizeof(errstr))) == NULL) {
		fprintf(stderr, "%s\n", errstr);
		return 78;
	}
	l = rd_kafka_topic_partition_list_new(n);
	for (i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(l, argv[3], i);
	err = rd_kafka_committed(rk, l, 10000);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		fprintf(stderr, "committed: %s\n", rd_kafka_err2str(err));
	else
		for (i = 0; i < l->cnt; i++)
			printf("%d %lld\n", l->elems[i].partition,
			    (long long)l->elems[i].offset);
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(rk);
	return err == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : 69;
}
