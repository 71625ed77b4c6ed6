#include <stdlib.h>
#include <sysexits.h>

#include "log.h"
#include "opt.h"

long long
opt_number(const char *s, const char *what, long long lo, long long hi)
{
	const char *errstr;
	long long v;

	v = strtonum(s, lo, hi, &errstr);
	if (errstr != NULL)
		log_fatal(EX_USAGE, "%s \"%s\" is %s", what, s, errstr);
	return v;
}
