/*
 * kconf: librdkafka configuration from "-X key=value" arguments and from
 * property files (one key=value a line, '#' comments, blank lines ignored).
 * On error both return -1 with librdkafka's own text in err.
 */
#ifndef CCX_KCONF_H
#define CCX_KCONF_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>

int	kconf_set(rd_kafka_conf_t *, const char *keyval, char *err, size_t);
int	kconf_file(rd_kafka_conf_t *, const char *path, char *err, size_t);
int	kconf_is_secret(const char *key);

#endif
