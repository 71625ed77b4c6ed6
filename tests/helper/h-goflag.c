/*
 * helper goflag SPEC ARGV0 [ARGS...]: parses ARGS as Go's flag package
 * would (common/goflag.c) and prints what it found.
 *
 * SPEC lists the flags, comma-separated, each "b:NAME" (boolean) or
 * "s:NAME" (string); the help of each is "help of NAME".  Prints, on
 * stdout, one "NAME=VALUE" line per flag given (a boolean as true or
 * false) in the order of SPEC, then "rest:" and the arguments left over,
 * each after a space; exits with goflag_parse's status when it is not
 * GOFLAG_OK (the messages on stderr), else 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goflag.h"

int	helper_goflag(int, char **);

#define MAXFLAGS	64

int
helper_goflag(int argc, char **argv)
{
	struct goflag fl[MAXFLAGS];
	char *spec, *tok, *save = NULL, help[MAXFLAGS][96];
	size_t n = 0, i;
	int rest, r;

	if (argc < 3) {
		fprintf(stderr, "usage: helper goflag SPEC ARGV0 [ARGS...]\n");
		return 64;
	}
	if ((spec = strdup(argv[1])) == NULL)
		return 71;
	for (tok = strtok_r(spec, ",", &save); tok != NULL && n < MAXFLAGS;
	    tok = strtok_r(NULL, ",", &save)) {
		if (strlen(tok) < 3 || tok[1] != ':' ||
		    (tok[0] != 'b' && tok[0] != 's')) {
			fprintf(stderr, "helper goflag: bad spec %s\n", tok);
			free(spec);
			return 64;
		}
		snprintf(help[n], sizeof(help[n]), "help of %s", tok + 2);
		fl[n].name = tok + 2;
		fl[n].type = tok[0] == 'b' ? GOFLAG_BOOL : GOFLAG_STRING;
		fl[n].usage = help[n];
		n++;
	}
	r = goflag_parse(fl, n, argc - 2, argv + 2, stderr, &rest);
	if (r == GOFLAG_OK) {
		for (i = 0; i < n; i++) {
			if (!fl[i].set)
				continue;
			if (fl[i].type == GOFLAG_BOOL)
				printf("%s=%s\n", fl[i].name,
				    fl[i].on ? "true" : "false");
			else
				printf("%s=%s\n", fl[i].name, fl[i].value);
		}
		printf("rest:");
		for (; rest < argc - 2; rest++)
			printf(" %s", argv[2 + rest]);
		printf("\n");
		r = 0;
	}
	free(spec);
	return r;
}
