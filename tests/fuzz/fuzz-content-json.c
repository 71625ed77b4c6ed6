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
#include "content.h"
#include "content-check.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return content_check_load(data, size, 1);
}
