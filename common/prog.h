/*
 * prog: the frame of every ccx-notify program.
 *
 * A program declares one static table of its settings (struct
 * prog_setting: long name, short letter, environment variable, default,
 * type, one line of help) and one struct prog naming it, its usage lines
 * and the exit conditions it can end with beyond those of the frame
 * (exitcodes.h).  prog_parse then does the rest: getopt_long over the
 * table, the environment for what the command line did not give, the
 * defaults, and the check of every value against its type, with messages
 * that name the flag and the variable:
 *
 *	differ: error: --cooldown "x" (from CCX_DIFFER_COOLDOWN): ...
 *
 * Common to every program: -q and -v (log less, more), --log-format
 * text|json, --help (usage and settings on stdout, exit 0), --version
 * ("NAME (ccx-notify) VERSION", exit 0) and the hidden --exit-codes (the
 * program's exit conditions, one "STATUS NAME what" a line, exit 0).
 *
 * The statuses (exitcodes.h): a bad command line (an unknown option, a
 * missing argument or operand, a required setting not given, a value on
 * the command line that is not of its type) is EXIT_BAD_FLAG, with the
 * usage on stderr; a value of the environment or of prog_set that is not
 * of its type is EXIT_BAD_VALUE, and so is a value of the right type that
 * the program cannot use (prog_invalid), wherever it came from.
 *
 * Where a value comes from, first match: the command line (of a flag
 * given twice, the last one), the environment, prog_set, the default.
 * A secret (PROG_SECRET) never comes from the command line: it is read
 * from the file its "file" setting names, else from its variable.
 *
 * Settings several programs have are known to the frame by name:
 * ready-fd (-n, PROG_FD), metrics-file, pushgateway, property (-X,
 * PROG_LIST) and property-file (-F, PROG_LIST).  A program names them in
 * its table with what is its own (the variable, a help line of its own)
 * and prog_args fills in the rest, so that they read alike everywhere.
 *
 * The table is plain data: a front end may walk it (prog_nsettings,
 * prog_setting) and give values (prog_set) between prog_args and
 * prog_check, which prog_parse calls one after the other.
 *
 * Errors are fatal (log_fatal) and happen in prog_args, prog_check and
 * prog_parse only; the table's strings are borrowed, never copied.
 */
#ifndef CCX_PROG_H
#define CCX_PROG_H

#include <stddef.h>

#include "exitcodes.h"
#include "lineio.h"

enum prog_type {
	PROG_STRING,	/* any text */
	PROG_INT,	/* a whole number from min to max, in num */
	PROG_BOOL,	/* a flag without argument; a variable holds 1, true,
			 * yes, on or 0, false, no, off, ""; num 0 or 1 */
	PROG_DURATION,	/* a whole number of units (unit: ms a unit), or
			 * with ms, s, m or h after it; min and max in units,
			 * num in milliseconds */
	PROG_CHOICE,	/* one of the words of arg ("text|json"), num its
			 * index */
	PROG_SECRET,	/* never on the command line: see above */
	PROG_LIST,	/* a flag given any number of times (-X): each value
			 * is an item, in command-line order (prog_item) */
	PROG_FD,	/* an open file descriptor, num; -1 when not given
			 * (prog_ready writes to the one named ready-fd) */
};

enum prog_source {
	PROG_UNSET,	/* no value */
	PROG_DEFAULT,
	PROG_SET,	/* prog_set */
	PROG_ENV,
	PROG_ARGV,
};

struct prog_setting {
	/* The declaration. */
	const char	*name;		/* the long option, without "--" */
	int		 letter;	/* the short option, or 0 */
	const char	*env;		/* its environment variable, or NULL */
	const char	*def;		/* the default as text, or NULL */
	enum prog_type	 type;
	long long	 min, max;	/* PROG_INT, PROG_DURATION */
	long long	 unit;		/* PROG_DURATION: ms of one unit */
	const char	*arg;		/* the argument in --help; PROG_CHOICE:
					 * the words, "a|b" */
	const char	*help;		/* one line */
	const char	*file;		/* PROG_SECRET: the name of the setting
					 * naming its file, or NULL */
	int		 required;	/* a value must come from somewhere */

	/* The outcome, set by the frame. */
	const char	*value;		/* the text, or NULL */
	enum prog_source source;
	const char	*origin;	/* PROG_SET: where from, for messages */
	long long	 num;		/* see the types */
	size_t		 count;		/* PROG_LIST: items; else 0 or 1 */
	int		 order;		/* argv position of its last flag */
	int		 given_as;	/* the letter or 0 (--name), on argv */
	char		*owned;		/* PROG_SECRET: the text read */
};

/* One value of a PROG_LIST setting. */
struct prog_item {
	size_t		 setting;	/* index in the program's table */
	const char	*value;
};

struct prog {
	const char		 *name;		/* "differ" */
	const char		 *about;	/* what it does, one line */
	const char		 *usage;	/* its forms after "usage: NAME",
						 * a line each; a line that
						 * starts with blanks goes on
						 * with the form above */
	struct prog_setting	 *settings;
	size_t			  nsettings;
	const char		 *log_env;	/* --log-format's variable */
	int			  operands;	/* the most; -1: any */
	int			  in_order;	/* options stop at the first
						 * operand (getopt's '+') */
	const enum exit_condition *exits;	/* ... EXITC_END: beyond the
						 * frame's own (OK, BAD_FLAG,
						 * NOMEM, SYSTEM, BAD_VALUE) */

	/* The frame's. */
	struct prog_setting	  logfmt;
	struct prog_item	 *items;
	size_t			  nitems, capitems;
	int			  optind;	/* the first operand */
	int			  checked;
};

/* prog_args, then prog_check; returns the index of the first operand. */
int	prog_parse(struct prog *, int argc, char **argv);
/* Makes the pipe fd (if it is one) 1 MiB deep where the system allows;
 * prog_parse does it for stdout. */
void	prog_widen_pipe(int fd);
/* Reads the command line (exits on --help, --version, --exit-codes and on
 * a bad flag); returns the index of the first operand. */
int	prog_args(struct prog *, int argc, char **argv);
/* Takes the environment and defaults, checks every value and sets the
 * log format. */
void	prog_check(struct prog *);

/* Every setting, the program's then the frame's (log-format). */
size_t	prog_nsettings(const struct prog *);
struct prog_setting *prog_setting(struct prog *, size_t);
struct prog_setting *prog_find(struct prog *, const char *name);
/* Gives a value before prog_check, below the command line and the
 * environment; origin says where it comes from ("ccx.toml: broker").
 * Returns 0, or -1 for an unknown name, a PROG_LIST or after prog_check. */
int	prog_set(struct prog *, const char *name, const char *value,
	    const char *origin);

/* Item i of the PROG_LIST values, in command-line order: returns 1 and
 * sets *setting (an index in the table) and *value, or 0 past the last. */
int	prog_item(const struct prog *, size_t i, size_t *setting,
	    const char **value);

/* Exits EXIT_BAD_VALUE: "--name "value" (from VAR): why" (a secret's
 * value is never shown). */
void	prog_invalid(const struct prog *, const struct prog_setting *,
	    const char *fmt, ...)
	    __attribute__((format(printf, 3, 4), noreturn));
/* Exits EXIT_BAD_FLAG with the usage on stderr: "no WHAT: use -x or set
 * VAR". */
void	prog_missing(const struct prog *, const struct prog_setting *,
	    const char *what) __attribute__((noreturn));
/* Prints the usage on stderr and exits EXIT_BAD_FLAG. */
void	prog_usage(const struct prog *) __attribute__((noreturn));

/* Installs the handlers of sig.h for the signals of the 0-terminated
 * list; exits EXIT_SYSTEM when it cannot. */
void	prog_signals(const int *);

/*
 * Runs argv[0] (execvpe): a name without a slash is looked for on PATH
 * first, then beside the running program (the directory of
 * /proc/self/exe), so that the programs of one installation find each
 * other when PATH does not name their directory, then among the programs
 * the running binary carries (prog_embedded, below).  Returns -1 only: errno
 * is that of the program found beside it if it could not run, else that
 * of the lookup on PATH.
 */
int	prog_exec(char *const argv[], char *const envp[]);

/*
 * A binary may carry other programs besides its own (each front end
 * carries the filters it runs, so that the one file works when copied
 * alone): it defines prog_embedded, their names and main functions up to
 * a NULL name (GNUmakefile generates it from the front end's list), and
 * calls prog_multicall first thing in its main, which
 * runs the listed program that argv[0]'s base name names and exits with
 * its status.  prog_exec runs a listed program as /proc/self/exe when
 * neither PATH nor the binary's directory has it.  Other binaries do not
 * define prog_embedded (a weak reference: NULL).
 */
struct prog_main {
	const char	*name;
	int		(*main)(int, char **);
};
extern const struct prog_main prog_embedded[] __attribute__((weak));
void	prog_multicall(int, char **);

/*
 * The two ends of a filter that reads lines on stdin and writes lines on
 * stdout.  prog_io_fill reads stdin (lineio_fill); a read error other
 * than EINTR or EAGAIN is logged and kept in in_err.  prog_io_write and
 * prog_io_flush write stdout until the first failure, which they log
 * ("downstream gone" for EPIPE) and keep in out_dead; after it they write
 * nothing.  Each returns 0, or -1 once that end has failed.
 * prog_io_status is the exit status they make: EXIT_DOWNSTREAM_GONE,
 * else EXIT_INPUT_FAILED, else 0.
 */
struct prog_io {
	struct lineio	 in;		/* stdin */
	int		 in_err;
	int		 out_dead;
};

/* lineio_init of stdin with max (0: the default); lineio_free. */
void	prog_io_init(struct prog_io *, size_t max);
void	prog_io_free(struct prog_io *);
int	prog_io_fill(struct prog_io *);
int	prog_io_write(struct prog_io *, const void *, size_t);
int	prog_io_flush(struct prog_io *);
int	prog_io_status(const struct prog_io *);

/* Reports readiness on the PROG_FD setting's descriptor, if one was
 * given: writes a newline and closes it; once. */
void	prog_ready(struct prog *);
/* Closes stdout (a failure turns status 0 into EXIT_DOWNSTREAM_GONE,
 * logged), frees what the frame holds (a secret's text is zeroed) and
 * returns the status. */
int	prog_finish(struct prog *, int status);
/* Frees what the frame holds, without closing stdout. */
void	prog_free(struct prog *);

#endif
