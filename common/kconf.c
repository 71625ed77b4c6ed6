#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kconf.h"
#include "redact.h"

int
kconf_set(rd_kafka_conf_t *conf, const char *keyval, char *err, size_t errsz)
{
	char key[256];
	const char *eq = strchr(keyval, '=');
	size_t klen;

	if (eq == NULL || eq == keyval) {
		/* Not even the key: "sasl.password S" would show the secret. */
		snprintf(err, errsz, "expected key=value");
		return -1;
	}
	klen = (size_t)(eq - keyval);
	if (klen >= sizeof(key)) {
		snprintf(err, errsz, "property name too long");
		return -1;
	}
	memcpy(key, keyval, klen);
	key[klen] = '\0';
	if (rd_kafka_conf_set(conf, key, eq + 1, err, errsz) !=
	    RD_KAFKA_CONF_OK) {
		/* librdkafka quotes the value: never let a secret through. */
		if (kconf_is_secret(key))
			snprintf(err, errsz, "invalid value for %s", key);
		return -1;
	}
	return 0;
}

int
kconf_file(rd_kafka_conf_t *conf, const char *path, char *err, size_t errsz)
{
	char *line = NULL, *p, *end, msg[512];
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, rc = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "unable to open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		for (p = line; isspace((unsigned char)*p); p++)
			;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if (kconf_set(conf, p, msg, sizeof(msg)) == -1) {
			snprintf(err, errsz, "%s:%d: %s", path, lineno, msg);
			rc = -1;
			break;
		}
	}
	free(line);
	fclose(fp);
	return rc;
}

int
kconf_is_secret(const char *key)
{
	return redact_is_secret_key(key, strlen(key));
}
