/*
 * log: diagnostics on stderr, as human text or as JSON lines.
 *
 * The level and format are set once at start (log_init, log_set_*); all
 * calls after that are safe from one thread.  Nothing here allocates on the
 * heap, and nothing ever writes to stdout.  Every message goes through
 * redact_text (redact.h) first: a URL's password, a secret setting's value
 * or an Authorization header never reaches the log, whoever formatted it.
 */
#ifndef CCX_LOG_H
#define CCX_LOG_H

#include <stdarg.h>
#include <stdlib.h>	/* exit, for log_fatal */

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };
enum log_format { LOG_TEXT = 0, LOG_JSON = 1 };

void	log_init(const char *prog);
void	log_set_level(int level);
int	log_get_level(void);
/* Returns 0, or -1 when name is neither "text" nor "json". */
int	log_set_format_name(const char *name);
/* LOG_TEXT or LOG_JSON. */
int	log_get_format(void);
/* -q lowers and -v raises the level by one step. */
void	log_quieter(void);
void	log_louder(void);

void	log_msg(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_vmsg(int level, const char *fmt, va_list ap);

#define log_error(...)	log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

/* Prints the message and exits with status code (like errx(3)). */
#define log_fatal(code, ...)	\
	(log_msg(LOG_ERROR, __VA_ARGS__), exit(code))

#endif
