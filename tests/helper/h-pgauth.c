/*
 * helper pgauth: the connection-failure classes of common/pg.c and the
 * redaction of common/redact.c.
 *
 *	helper pgauth CONNINFO
 *		connects (pg_connect_perm) and prints "ok", or the class
 *		(transient, auth, config), a tab and the message
 *	helper pgauth -c [CONNINFO]
 *		prints the class of each libpq message read on stdin (one a
 *		line, "\n" standing for a line break inside it)
 *	helper pgauth -r
 *		prints each line of stdin through redact_text
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "pg.h"
#include "redact.h"

int	helper_pgauth(int, char **);

static const char *const classes[] = { "transient", "auth", "config" };

int
helper_pgauth(int argc, char **argv)
{
	char err[1024], line[4096], *p, *q;
	PGconn *conn;
	int perm;

	if (argc >= 2 && strcmp(argv[1], "-r") == 0) {
		while (fgets(line, sizeof(line), stdin) != NULL) {
			redact_text(line, sizeof(line));
			fputs(line, stdout);
		}
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "-c") == 0) {
		while (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			for (p = q = line; *p != '\0'; p++, q++) {
				if (p[0] == '\\' && p[1] == 'n') {
					*q = '\n';
					p++;
				} else
					*q = *p;
			}
			*q = '\0';
			printf("%s\n", classes[pg_connfail(argc > 2 ? argv[2] :
			    NULL, line, NULL)]);
		}
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: helper pgauth CONNINFO | -c | -r\n");
		return EX_USAGE;
	}
	if ((conn = pg_connect_perm(argv[1], "h-pgauth", &perm, err,
	    sizeof(err))) == NULL) {
		printf("%s\t%s\n", classes[perm], err);
		return 1;
	}
	printf("ok\n");
	PQfinish(conn);
	return 0;
}
