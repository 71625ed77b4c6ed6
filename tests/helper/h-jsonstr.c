/*
 * helper jsonstr: prints stdin as one JSON string literal (buf_json_str),
 * then its base64 form and whether it is valid UTF-8.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "slurp.h"

int	helper_jsonstr(int, char **);

int
helper_jsonstr(int argc, char **argv)
{
	struct buf in, out, dec;

	(void)argc;
	(void)argv;
	buf_init(&in);
	buf_init(&out);
	buf_init(&dec);
	(void)slurp(NULL, &in);
	buf_json_str(&out, in.data ? in.data : "", in.len);
	buf_putc(&out, '\n');
	buf_base64(&out, in.data ? in.data : "", in.len);
	buf_putc(&out, '\n');
	printf("%s", out.data);
	if (buf_unbase64(&dec, out.data + out.len - 1 - (in.len + 2) / 3 * 4,
	    (in.len + 2) / 3 * 4) == 0)
		printf("roundtrip %d\n", dec.len == in.len &&
		    (in.len == 0 || memcmp(dec.data, in.data, in.len) == 0));
	printf("utf8 %d\n", utf8_valid(in.data ? in.data : "", in.len));
	buf_free(&in);
	buf_free(&out);
	buf_free(&dec);
	return 0;
}
