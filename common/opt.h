/*
 * opt: command-line helpers shared by the programs.
 */
#ifndef CCX_OPT_H
#define CCX_OPT_H

/* s as a number from lo to hi (strtonum); anything else is fatal with
 * EX_USAGE: "WHAT "S" is too large" and the like. */
long long	opt_number(const char *s, const char *what, long long lo,
		    long long hi);

#endif
