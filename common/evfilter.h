/*
 * evfilter: the event-filter language of SPEC 4.5, compiled once and
 * evaluated per report item.
 *
 * evfilter_compile parses an expression into a compact program (one heap
 * allocation, owned by the caller, released with evfilter_free).  On error
 * it returns NULL and writes into err a message naming the 1-based byte
 * column and the problem, e.g. "unknown identifier 'foo' at column 5".  An
 * empty string (or NULL) compiles EVFILTER_DEFAULT; a blank one is an error.
 * Running out of memory is fatal (EX_OSERR).
 *
 * evfilter_eval runs a compiled program over one set of variables.  It does
 * not allocate, keeps no state, and may be called concurrently on one
 * program.  Arithmetic is signed 64-bit and wraps on overflow (never
 * undefined): INT64_MIN / -1 is INT64_MIN and INT64_MIN % -1 is 0.
 */
#ifndef CCX_EVFILTER_H
#define CCX_EVFILTER_H

#include <stddef.h>
#include <stdint.h>

#define EVFILTER_DEFAULT	"totalRisk >= totalRiskThreshold"
/* Parentheses nested deeper than this are a compile error. */
#define EVFILTER_MAX_DEPTH	100

struct evfilter;

struct evfilter_vars {
	int64_t	totalRisk;
	int64_t	likelihood;
	int64_t	impact;
	int64_t	severity;
	int64_t	totalRiskThreshold;
	int64_t	likelihoodThreshold;
	int64_t	impactThreshold;
	int64_t	severityThreshold;
};

/* Returns a program, or NULL with a message in err[0..errsz). */
struct evfilter	*evfilter_compile(const char *expr, char *err, size_t errsz);
/* Stores the value in *result and returns 0, or returns -1 on a division
 * or modulo by zero anywhere in the expression (*result untouched). */
int	 evfilter_eval(const struct evfilter *, const struct evfilter_vars *,
	    int64_t *result);
void	 evfilter_free(struct evfilter *);

/* Returns the member of v named name[0..len) (case-sensitive), or NULL. */
int64_t	*evfilter_var(struct evfilter_vars *v, const char *name, size_t len);

#endif
