#include <sysexits.h>

#include "dbw.h"
#include "log.h"

int
dbw_reported(struct dbw *d)
{
	(void)d;
	log_error("--reported is not available in this build yet");
	return EX_USAGE;
}
