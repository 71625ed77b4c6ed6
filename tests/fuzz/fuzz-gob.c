/*
 * fuzz-gob: content_load (common/content.c) of gob streams, which runs the
 * gob decoder of common/gob.c with the RuleContentDirectory schema.
 *
 * The input is the stream.  An input whose first byte that is not white
 * space is '{' is JSON to content_load, and left to fuzz-content-json.
 * content-check.h says what is checked; in particular, the decoded tree,
 * rendered as JSON, must load back through the JSON reader into an equal
 * tree.  run.sh adds the *.gob files of the shared test data, when they
 * are there, to the seeds.
 */
#include <string.h>

#include "content.h"
#include "content-check.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct content c;
	char err[1024];
	size_t i;
	int r;

	for (i = 0; i < size && strchr(" \t\r\n", data[i]) != NULL &&
	    data[i] != '\0'; i++)
		;
	if (i < size && data[i] == '{')
		return 0;
	memset(err, 'x', sizeof(err));
	r = content_load(&c, data, size, err, sizeof(err));
	FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL, "err not "
	    "terminated");
	content_check(&c, r, err);
	if (r == 0)
		content_free(&c);
	return 0;
}
