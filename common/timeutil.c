#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

static int64_t	clock_us(clockid_t);

/* Microseconds of the clock id. */
static int64_t
clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
time_now_us(void)
{
	return clock_us(CLOCK_REALTIME);
}

int64_t
time_mono_ms(void)
{
	return clock_us(CLOCK_MONOTONIC) / 1000;
}

int64_t
time_mono_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

static void
split(int64_t us, struct tm *tm, long *frac)
{
	time_t sec = (time_t)(us / 1000000);
	long f = (long)(us % 1000000);

	if (f < 0) {
		f += 1000000;
		sec--;
	}
	gmtime_r(&sec, tm);
	*frac = f;
}

char *
time_fmt_pg(int64_t us, char *out, size_t outsz)
{
	struct tm tm;
	long f;

	split(us, &tm, &f);
	snprintf(out, outsz, "%04d-%02d-%02d %02d:%02d:%02d.%06ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, f);
	return out;
}

char *
time_fmt_rfc3339(int64_t us, char *out, size_t outsz)
{
	struct tm tm;
	char frac[16];
	long f;
	int i;

	split(us, &tm, &f);
	frac[0] = '\0';
	if (f != 0) {
		snprintf(frac, sizeof(frac), ".%06ld", f);
		for (i = (int)strlen(frac) - 1; frac[i] == '0'; i--)
			frac[i] = '\0';
	}
	snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d%sZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, frac);
	return out;
}

int
time_parse_pg(const char *s, int64_t *us)
{
	int y, mo, d, h, mi, sec, n = 0;
	long frac = 0;
	int digits = 0;
	struct tm tm;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%*[ T]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
	    &sec, &n) != 6)
		return -1;
	s += n;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, digits++)
			if (digits < 6)
				frac = frac * 10 + (*s - '0');
		for (; digits < 6; digits++)
			frac *= 10;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*us = (int64_t)t * 1000000 + frac;
	return 0;
}

void
time_sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
}
