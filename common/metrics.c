#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"

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
