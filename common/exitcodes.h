/*
 * exitcodes: the one table of the exit statuses of ccx-notify, a named
 * condition each, mapped to <sysexits.h>, and what a supervisor makes of
 * them.
 *
 *	0		success, or a clean EOF or SIGTERM drain
 *	EX_USAGE 64	bad command line		permanent
 *	EX_DATAERR 65	bad input data			permanent
 *	EX_NOINPUT 66	the aggregator's database (differ)	transient
 *	EX_CONFIG 78	bad configuration		permanent
 *	EX_UNAVAILABLE 69 a service is unreachable	transient
 *	EX_TEMPFAIL 75	try again later (outage, downstream gone)  transient
 *	EX_SOFTWARE 70	a bug				transient
 *	EX_OSERR 71	out of memory, a failing system call	transient
 *	128 + N		killed by signal N (as reported by a supervisor)
 *
 * A permanent status means restarting cannot help: a supervisor stops and
 * says so.  Anything else is restarted with backoff.
 *
 * Code exits with the conditions' names (EXIT_POLL_FAILED, not EX_OSERR),
 * so that the same condition has the same status in every program.  Each
 * program lists the conditions it can exit on beyond those of the frame
 * (prog.h, struct prog); its hidden option --exit-codes prints both, and
 * t0160 compares them with the EXIT STATUS section of its man page.
 */
#ifndef CCX_EXITCODES_H
#define CCX_EXITCODES_H

#include <sysexits.h>

/* X(CONDITION, STATUS, WHAT): one line each, in order of status. */
#define EXIT_CONDITIONS(X)						\
	X(OK, 0, "success: the input handled to its end, a drain on "	\
	    "SIGTERM, the command done")				\
	X(BAD_FLAG, EX_USAGE, "the command line: an unknown option, a "	\
	    "missing argument or operand, a required setting not given, " \
	    "a value on it that is not of its setting's type")		\
	X(BAD_INPUT, EX_DATAERR, "some input lines were invalid")	\
	X(DB_REFUSED, EX_DATAERR, "the database refused a migration, a " \
	    "maintenance command or some outcomes")			\
	X(AGGREGATOR, EX_NOINPUT, "the rules users disabled could not "	\
	    "be read: the aggregator's database unreachable, refusing "	\
	    "the login or a query, or lacking its tables")		\
	X(SERVICE_DOWN, EX_UNAVAILABLE, "a service the run needs "	\
	    "failed: a fatal Kafka error, messages not delivered, the "	\
	    "rule content, the database for a command")		\
	X(BUG, EX_SOFTWARE, "a bug: something that cannot happen did")	\
	X(NOMEM, EX_OSERR, "out of memory")				\
	X(POLL_FAILED, EX_OSERR, "poll(2) failed")			\
	X(SYSTEM, EX_OSERR, "a system call that should not fail did")	\
	X(DOWNSTREAM_GONE, EX_TEMPFAIL, "standard output or the ack "	\
	    "channel closed or could not be written")			\
	X(INPUT_FAILED, EX_TEMPFAIL, "standard input could not be read") \
	X(DB_UNREACHABLE, EX_TEMPFAIL, "the database could not be "	\
	    "reached, or stayed unavailable")				\
	X(STOPPED, EX_TEMPFAIL, "a signal stopped the run early, or "	\
	    "another run holds its lock")				\
	X(COMMIT_FAILED, EX_TEMPFAIL, "the offsets could not be "	\
	    "committed")						\
	X(GRACE_EXCEEDED, EX_TEMPFAIL, "a member had to be killed at "	\
	    "the end of the grace period")				\
	X(BAD_VALUE, EX_CONFIG, "a setting that cannot be used (a URL "	\
	    "without its scheme, a property librdkafka refuses, a file "	\
	    "that cannot be read), or a bad value from the environment") \
	X(DB_ACCESS, EX_CONFIG, "the database refused the login, or "	\
	    "lacks a table: no retry mends it")

/* The statuses: EXIT_OK, EXIT_BAD_FLAG... */
enum exit_status {
#define EXIT_STATUS_(c, s, w)	EXIT_##c = (s),
	EXIT_CONDITIONS(EXIT_STATUS_)
#undef EXIT_STATUS_
};

/* The conditions, for the list of a program: EXITC_OK... EXITC_END. */
enum exit_condition {
#define EXIT_COND_(c, s, w)	EXITC_##c,
	EXIT_CONDITIONS(EXIT_COND_)
#undef EXIT_COND_
	EXITC_END
};

#define EXIT_IS_PERMANENT(s)	\
	((s) == EX_USAGE || (s) == EX_DATAERR || (s) == EX_CONFIG)

#endif
