/*
 * record: validation and shrinking of one result record value (SPEC
 * Contract A, 2.1 to 2.5).
 *
 * record_check reads the caller's bytes value[0..len) (not necessarily
 * NUL-terminated, never modified, not kept after the call) and fills the
 * caller's struct record_out.  The caller owns out and its report buffer:
 * it buf_init()s out->report once, may reuse it for any number of calls
 * (each call empties it first), and buf_free()s it at the end.  Nothing
 * else is allocated that outlives the call.  Running out of memory is fatal
 * (EX_OSERR), as everywhere in buf.
 */
#ifndef CCX_RECORD_H
#define CCX_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Records longer than this are rejected "too_large" unless told otherwise. */
#define RECORD_MAX_DEFAULT	(8u * 1024 * 1024)

struct record_out {
	char		reason_code[64];	/* "syntax", "type:OrgID", "missing:Report", "report_key:system", "cluster_uuid", "last_checked", "future", "range:OrgID", "empty", "encoding", "not_object", "too_large" ... */
	char		reason[512];		/* a sentence a person can act on, e.g. "OrgID is a string, expected an integer" or "JSON syntax error at byte 17: ..." */
	int64_t		org_id;
	int64_t		account_number;
	char		cluster[37];		/* as received */
	int		version;		/* 0 when absent/null */
	int		version_warn;		/* 1 when Version != 2 (step 8) */
	struct buf	report;			/* the shrunk report (SPEC 2.5); caller buf_init()s and buf_free()s it */
};

/*
 * Validates one record value (SPEC 2.2 steps 1-10, in order, first failure
 * decides).  Returns 1 when the record is to be stored (org_id..report
 * filled, reason_code and reason empty), 0 when rejected (reason_code,
 * reason filled; report empty).  max_size: records longer are rejected
 * "too_large" (0 = RECORD_MAX_DEFAULT, 8 MiB).  now_us: the host clock,
 * microseconds since epoch, for step 10.  value may be NULL when len is 0
 * (a tombstone).  The reason is printable ASCII; parts of the record quoted
 * in it are cut short and have other bytes replaced by '?'.
 */
int	record_check(const char *value, size_t len, size_t max_size,
	    int64_t now_us, struct record_out *out);

#endif
