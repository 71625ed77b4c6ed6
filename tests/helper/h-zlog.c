/*
 * helper zlog FORM LEVEL MESSAGE EPOCH [NAME=T:VALUE ...]: prints one
 * record as common/zlog.c formats it.  FORM is json, console or
 * console-color; LEVEL an upstream level name; T one of s (string), i
 * (integer), b (boolean, 0 or 1), f (float), r (raw JSON).  The zone is
 * TZ's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zlog.h"

int	helper_zlog(int, char **);

#define MAXF	32

int
helper_zlog(int argc, char **argv)
{
	struct zfield f[MAXF];
	struct zlog z;
	char line[8192], names[MAXF][64], *eq;
	int i, n = 0, level;

	if (argc < 5) {
		fprintf(stderr, "usage: helper zlog FORM LEVEL MESSAGE EPOCH "
		    "[NAME=T:VALUE ...]\n");
		return 64;
	}
	zlog_init(&z);
	z.console = strncmp(argv[1], "console", 7) == 0;
	z.color = strcmp(argv[1], "console-color") == 0;
	if ((level = zlog_level_from_name(argv[2])) == -1) {
		fprintf(stderr, "helper zlog: bad level %s\n", argv[2]);
		return 64;
	}
	for (i = 5; i < argc && n < MAXF; i++, n++) {
		if ((eq = strchr(argv[i], '=')) == NULL || eq[1] == '\0' ||
		    eq[2] != ':' || eq - argv[i] >= 64) {
			fprintf(stderr, "helper zlog: bad field %s\n", argv[i]);
			return 64;
		}
		snprintf(names[n], sizeof(names[n]), "%.*s",
		    (int)(eq - argv[i]), argv[i]);
		switch (eq[1]) {
		case 'i':
			f[n] = ZINT(names[n], strtoll(eq + 3, NULL, 10));
			break;
		case 'b':
			f[n] = ZBOOL(names[n], atoi(eq + 3));
			break;
		case 'f':
			f[n] = ZFLOAT(names[n], strtod(eq + 3, NULL));
			break;
		case 'r':
			f[n] = ZRAW(names[n], eq + 3);
			break;
		default:
			f[n] = ZSTR(names[n], eq + 3);
		}
	}
	zlog_format(&z, level, argv[3], f, (size_t)n,
	    strtoll(argv[4], NULL, 10), line, sizeof(line));
	printf("%s\n", line);
	return 0;
}
