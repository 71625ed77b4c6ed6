/*
 * timeutil: clocks and time formatting.
 */
#ifndef CCX_TIMEUTIL_H
#define CCX_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Microseconds since the epoch (CLOCK_REALTIME). */
int64_t	time_now_us(void);
/* Milliseconds of CLOCK_MONOTONIC, for deadlines. */
int64_t	time_mono_ms(void);
/* Microseconds of CLOCK_MONOTONIC, for measuring. */
int64_t	time_mono_us(void);
/* Writes "YYYY-MM-DD HH:MM:SS.ffffff" (PostgreSQL timestamp text, UTC) for
 * us into out (at least 27 bytes); returns out. */
char	*time_fmt_pg(int64_t us, char *out, size_t outsz);
/* RFC 3339 UTC with the fraction cut of trailing zeros (Contract E). */
char	*time_fmt_rfc3339(int64_t us, char *out, size_t outsz);
/* Parses PostgreSQL timestamp text ("YYYY-MM-DD HH:MM:SS[.ffffff]") as UTC;
 * returns 0 or -1. */
int	time_parse_pg(const char *s, int64_t *us);
/* Sleeps ms milliseconds (restarting after signals only if !interruptible). */
void	time_sleep_ms(int64_t ms);

#endif
