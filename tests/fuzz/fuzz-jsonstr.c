/*
 * fuzz-jsonstr: buf_json_valid, the one-pass escaper of the results path,
 * against the two-pass reference it replaced (utf8_valid, then
 * buf_json_str).  Both must agree on whether the input is valid UTF-8 and,
 * when it is, write the same bytes; when it is not, buf_json_valid must
 * leave the buffer as it was.  The input is written after a prefix that
 * is already in the buffer, as in a record line.
 */
#include <string.h>

#include "buf.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "{\"topic\":\"t\",\"value\":";
	struct buf got, want;
	int valid, r;

	buf_init(&got);
	buf_init(&want);
	buf_puts(&got, prefix);
	buf_puts(&want, prefix);
	valid = utf8_valid((const char *)data, size);
	if (valid)
		buf_json_str(&want, (const char *)data, size);
	r = buf_json_valid(&got, (const char *)data, size);
	FUZZ_ASSERT(r == (valid ? 0 : -1), "r %d valid %d", r, valid);
	FUZZ_ASSERT(got.len == want.len, "len %zu, want %zu", got.len,
	    want.len);
	FUZZ_ASSERT(memcmp(got.data, want.data, got.len) == 0, "bytes differ");
	FUZZ_ASSERT(got.data[got.len] == '\0', "no NUL after the string");
	buf_free(&got);
	buf_free(&want);
	return 0;
}
