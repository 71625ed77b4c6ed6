/*
 * slurp: the whole of a file in a buffer (slurp.h).
 */
#include <stdio.h>

#include "slurp.h"

int
slurp(const char *path, struct buf *b)
{
	char tmp[4096];
	size_t n;
	FILE *f = stdin;

	if (path != NULL && (f = fopen(path, "rb")) == NULL)
		return -1;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(b, tmp, n);
	if (f != stdin)
		fclose(f);
	return 0;
}
