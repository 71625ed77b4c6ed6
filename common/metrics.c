#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "timeutil.h"

void
metrics_format(struct buf *b, const char *prefix, const struct metric *m,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		buf_printf(b, "# HELP %s%s %s\n# TYPE %s%s %s\n%s%s %llu\n",
		    prefix, m[i].name, m[i].help, prefix, m[i].name,
		    m[i].type ? m[i].type : "counter", prefix, m[i].name,
		    (unsigned long long)m[i].value);
	}
}

int
metrics_write(const char *path, const char *prefix, const struct metric *m,
    size_t n)
{
	char tmp[4096];
	struct buf b;
	ssize_t w;
	int fd, rc = -1;

	if (path == NULL)
		return 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -1;
	buf_init(&b);
	metrics_format(&b, prefix, m, n);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
		goto out;
	w = write(fd, b.data, b.len);
	if (w != (ssize_t)b.len || fsync(fd) == -1) {
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

int
metrics_refresh(struct metrics_timer *t, const char *path, const char *prefix,
    const struct metric *m, size_t n, int force)
{
	int64_t now = time_mono_ms();
	size_t i, nt = n < METRICS_MAX ? n : METRICS_MAX;
	int changed = 0;

	if (path == NULL)
		return 0;
	for (i = 0; i < nt; i++)
		if (m[i].value != t->written[i])
			changed = 1;
	t->due_ms = 0;
	if (!force && t->last_ms != 0) {
		if (!changed && !t->failed && (t->idle_ms == 0 ||
		    now - t->last_ms < t->idle_ms)) {
			if (t->idle_ms != 0)
				t->due_ms = t->last_ms + t->idle_ms;
			return 0;
		}
		if (now - t->last_ms < METRICS_MS) {
			t->due_ms = t->last_ms + METRICS_MS;
			return 0;
		}
	}
	t->last_ms = now;
	if (metrics_write(path, prefix, m, n) == -1) {
		if (!t->failed)
			log_warn("unable to write metrics to %s: %s", path,
			    strerror(errno));
		t->failed = 1;
		t->due_ms = now + METRICS_MS;
		return -1;
	}
	t->failed = 0;
	for (i = 0; i < nt; i++)
		t->written[i] = m[i].value;
	if (t->idle_ms != 0)
		t->due_ms = now + t->idle_ms;
	return 0;
}

int64_t
metrics_timer_wait(const struct metrics_timer *t, int64_t now)
{
	if (t->due_ms == 0)
		return -1;
	return t->due_ms > now ? t->due_ms - now : 0;
}

void
metrics_log_counts(const struct metric *m, const struct metric_label *l,
    size_t n)
{
	char line[1024];
	struct buf b;
	size_t i;

	buf_init_fixed(&b, line, sizeof(line));
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%llu %s", i == 0 ? "" : i == 1 ? ": " : ", ",
		    (unsigned long long)m[l[i].index].value, l[i].words);
	log_info("%s", line);
}
