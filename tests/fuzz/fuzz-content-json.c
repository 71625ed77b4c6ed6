/*
 * fuzz-content-json: content_load (common/content.c) of JSON content: the
 * json-c parse, the budget check before it, the normalisation against the
 * RuleContentDirectory schema and the index.
 *
 * The input is the text; one whose first byte that is not white space is
 * not '{' goes to the gob decoder, fuzz-gob's business, and is skipped.
 * content-check.h says what is checked; in particular, normalising twice
 * gives the same tree as normalising once.
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
	if (i == size || data[i] != '{')
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
