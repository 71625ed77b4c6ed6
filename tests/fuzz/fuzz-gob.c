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
#include "content.h"
#include "content-check.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return content_check_load(data, size, 0);
}
