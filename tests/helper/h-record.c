/*
 * helper record [NOW_US [MAX_SIZE]]: runs record_check on records read
 * from stdin, one a line, each line a JSON string literal holding the exact
 * record value (decoded with json-c, so "\u0000" gives a NUL byte and raw
 * bytes that are not UTF-8 pass through).  Prints one line per input line:
 *
 *	stored<TAB>ORG<TAB>ACCOUNT<TAB>CLUSTER<TAB>REPORT
 *	rejected<TAB>CODE<TAB>REASON
 *
 * or "badline<TAB>LINENO" when a line is not a string literal.  NOW_US is
 * the clock for the future check (default: now); MAX_SIZE the size limit
 * (default 0: RECORD_MAX_DEFAULT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <json.h>

#include "buf.h"
#include "lineio.h"
#include "record.h"
#include "timeutil.h"

int	helper_record(int, char **);

int
helper_record(int argc, char **argv)
{
	struct json_tokener *tok;
	struct json_object *obj;
	struct record_out out;
	struct lineio l;
	struct buf line;
	int64_t now_us;
	size_t max_size, len, end;
	char *text;
	int r;

	now_us = argc > 1 ? strtoll(argv[1], NULL, 10) : time_now_us();
	max_size = argc > 2 ? strtoull(argv[2], NULL, 10) : 0;
	if ((tok = json_tokener_new()) == NULL) {
		fprintf(stderr, "helper record: unable to allocate a "
		    "tokener\n");
		return EX_OSERR;
	}
	buf_init(&out.report);
	buf_init(&line);
	lineio_init(&l, 0, 0);
	while ((r = lineio_get(&l, &text, &len)) == LINE_OK) {
		json_tokener_reset(tok);
		obj = json_tokener_parse_ex(tok, text, (int)len);
		end = json_tokener_get_parse_end(tok);
		while (end < len && (text[end] == ' ' || text[end] == '\t' ||
		    text[end] == '\r'))
			end++;
		if (obj == NULL || end != len ||
		    !json_object_is_type(obj, json_type_string)) {
			printf("badline\t%lu\n", l.lineno);
			json_object_put(obj);
			continue;
		}
		if (record_check(json_object_get_string(obj),
		    (size_t)json_object_get_string_len(obj), max_size, now_us,
		    &out)) {
			buf_reset(&line);
			buf_printf(&line, "stored\t%lld\t%lld\t%s\t",
			    (long long)out.org_id,
			    (long long)out.account_number, out.cluster);
			buf_add(&line, out.report.data, out.report.len);
			buf_putc(&line, '\n');
			fwrite(line.data, 1, line.len, stdout);
		} else
			printf("rejected\t%s\t%s\n", out.reason_code,
			    out.reason);
		json_object_put(obj);
	}
	lineio_free(&l);
	buf_free(&line);
	buf_free(&out.report);
	json_tokener_free(tok);
	if (r == LINE_TOOLONG) {
		fprintf(stderr, "helper record: line %lu too long\n", l.lineno);
		return 1;
	}
	return r == -1 || fflush(stdout) == EOF ? 1 : 0;
}
