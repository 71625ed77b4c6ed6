/*
 * replay: a main() for the fuzz targets without libFuzzer.  Each file
 * named on the command line is read into a buffer of exactly its size
 * (so that AddressSanitizer sees a read of one byte more) and given to
 * LLVMFuzzerTestOneInput once; "-v" names each file on stderr first.  A
 * broken invariant aborts; otherwise the exit status is 0, or 1 when a
 * file cannot be read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int	replay(const char *, int);

static int
replay(const char *path, int verbose)
{
	unsigned char *data = NULL, *p;
	size_t len = 0, cap = 0, n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: unable to open %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((p = realloc(data, cap)) == NULL) {
				perror("replay");
				exit(1);
			}
			data = p;
		}
		if ((n = fread(data + len, 1, cap - len, f)) == 0)
			break;
		len += n;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: unable to read %s\n", path);
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	/* Exactly len bytes (malloc(0) may give NULL; keep one then). */
	if ((p = malloc(len > 0 ? len : 1)) == NULL) {
		perror("replay");
		exit(1);
	}
	memcpy(p, data, len);
	free(data);
	if (verbose)
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(p, len);
	free(p);
	return 0;
}

int
main(int argc, char **argv)
{
	int i = 1, verbose = 0, status = 0, count = 0;

	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = 1;
		i++;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (; i < argc; i++) {
		if (replay(argv[i], verbose) == -1)
			status = 1;
		else
			count++;
	}
	printf("replayed %d file(s)\n", count);
	return status;
}
