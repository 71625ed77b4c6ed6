/*
 * helper: runs one module of common/ on stdin, for the t0xxx tests.
 *
 *	helper NAME [ARGS...]
 *
 * Each tests/helper/h-NAME.c file defines `int helper_NAME(int, char **)`;
 * the build generates the table of them (helper-table.h), so adding a
 * module's test driver needs no edit here.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"

#define HELPER(name)	int helper_##name(int, char **);
#include "helper-table.h"
#undef HELPER

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
} cmds[] = {
#define HELPER(name)	{ #name, helper_##name },
#include "helper-table.h"
#undef HELPER
};

int
main(int argc, char **argv)
{
	size_t i;
	char name[64];

	log_init("helper");
	if (argc < 2) {
		fprintf(stderr, "usage: helper NAME [ARGS...]\n");
		return EX_USAGE;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(name, sizeof(name), "%s", cmds[i].name);
		for (char *p = name; *p; p++)
			if (*p == '_')
				*p = '-';
		if (strcmp(argv[1], name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "helper: unknown command %s\n", argv[1]);
	return EX_USAGE;
}
