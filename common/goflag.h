/*
 * goflag: a command line parsed as Go's flag package parses it, for the
 * front ends that stand in for upstream's Go programs (COMPAT.md 2.1).
 *
 * -name and --name are the same flag; a string flag takes -name=value or
 * -name value; a boolean flag takes no separate value, only -name=VALUE
 * with Go's strconv.ParseBool spellings; the last of a repeated flag wins;
 * parsing stops at the first argument that is not a flag, or after "--";
 * -h and -help print the usage.  Nothing here is a convention of
 * ccx-notify's own programs, which use prog.h: these are upstream's quirks,
 * kept out of the filters.
 */
#ifndef CCX_GOFLAG_H
#define CCX_GOFLAG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum goflag_type { GOFLAG_BOOL, GOFLAG_STRING };

struct goflag {
	const char	*name;		/* without the dash */
	int		 type;		/* enum goflag_type */
	const char	*usage;		/* one line of help */
	/* Filled by goflag_parse: */
	int		 set;		/* given on the command line */
	int		 on;		/* a boolean's value */
	const char	*value;		/* a string's value (from argv) */
};

/* goflag_parse's result when the program goes on. */
#define GOFLAG_OK	(-1)

/*
 * Parses argv[1..argc-1] into flags (n of them; their set, on and value
 * are reset first).  Returns GOFLAG_OK with *rest the index of the first
 * argument left over (argc when none), or the status the program must
 * exit with after goflag_parse wrote to err what Go writes: the usage for
 * -h or -help (0), an error line and the usage for anything else (2).
 */
int	goflag_parse(struct goflag *flags, size_t n, int argc, char *argv[],
	    FILE *err, int *rest);

/* "Usage of ARGV0:" and the flags in byte order of their names. */
void	goflag_usage(const char *argv0, const struct goflag *flags, size_t n,
	    FILE *out);

/* The flag named name, or NULL. */
struct goflag *goflag_find(struct goflag *flags, size_t n, const char *name);

/* Go's strconv.ParseBool: 1 or 0, or -1 for anything else. */
int	goflag_parse_bool(const char *s);

/*
 * Go's strconv.ParseInt(s, 0, 64), as flag.Int64 and viper's weakly typed
 * decoding use it: an optional sign, then decimal, 0x, 0o, 0b or
 * leading-0 octal digits, underscores only between digits.  Returns 0
 * with *i set, GOFLAG_ESYNTAX or GOFLAG_ERANGE.
 */
#define GOFLAG_ESYNTAX	(-1)
#define GOFLAG_ERANGE	(-2)
int	goflag_parse_int(const char *s, int64_t *i);

#endif
