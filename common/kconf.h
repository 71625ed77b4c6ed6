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
/* 1 when the property's value is a secret, never to be printed:
 * sasl.password, ssl.key.password, ssl.keystore.password, ssl.key.pem,
 * ssl_key, sasl.oauthbearer.client.secret, sasl.oauthbearer.config and
 * whatever else redact_is_secret_key (redact.h) calls secret. */
int	kconf_is_secret(const char *key);

#endif
