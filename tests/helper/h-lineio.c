/*
 * helper lineio [MAX]: reads stdin with the bounded line reader and prints
 * one line per input line: "ok LINENO LEN TEXT", "partial LINENO LEN TEXT"
 * (the last line, without a newline) or "toolong LINENO LEN".
 */
#include <stdio.h>
#include <stdlib.h>

#include "lineio.h"

int	helper_lineio(int, char **);

int
helper_lineio(int argc, char **argv)
{
	struct lineio l;
	char *line;
	size_t len;
	int r;

	lineio_init(&l, 0, argc > 1 ? strtoul(argv[1], NULL, 10) : 0);
	while ((r = lineio_get(&l, &line, &len)) == LINE_OK ||
	    r == LINE_TOOLONG) {
		if (r == LINE_OK)
			printf("%s %lu %zu %s\n", l.partial ? "partial" : "ok",
			    l.lineno, len, line);
		else
			printf("toolong %lu %zu\n", l.lineno, len);
	}
	lineio_free(&l);
	return r == -1 ? 1 : 0;
}
