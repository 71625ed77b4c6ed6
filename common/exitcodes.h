/*
 * exitcodes: the exit statuses every ccx-notify program uses, from
 * <sysexits.h>, and what a supervisor makes of them.
 *
 *	0		success, or a clean EOF or SIGTERM drain
 *	EX_USAGE 64	bad command line		permanent
 *	EX_DATAERR 65	bad input data			permanent
 *	EX_CONFIG 78	bad configuration		permanent
 *	EX_UNAVAILABLE 69 a service is unreachable	transient
 *	EX_TEMPFAIL 75	try again later (outage, downstream gone)  transient
 *	EX_SOFTWARE 70	a bug				transient
 *	EX_OSERR 71	out of memory, a failing system call	transient
 *	128 + N		killed by signal N (as reported by a supervisor)
 *
 * A permanent status means restarting cannot help: a supervisor stops and
 * says so.  Anything else is restarted with backoff.
 */
#ifndef CCX_EXITCODES_H
#define CCX_EXITCODES_H

#include <sysexits.h>

#define EXIT_IS_PERMANENT(s)	\
	((s) == EX_USAGE || (s) == EX_DATAERR || (s) == EX_CONFIG)

#endif
