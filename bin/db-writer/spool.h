/*
 * spool: outcome lines on disk until reported holds them (see spool.c).
 */
#ifndef SPOOL_H
#define SPOOL_H

#include <limits.h>
#include <stddef.h>

struct spool {
	int	 on;			/* 0: --spool none */
	int	 fd;			/* our file, -1 until the first write */
	int	 dirty;			/* it holds unrecorded lines */
	char	 dir[PATH_MAX];
	char	 path[PATH_MAX + 64];
};

/* Finds (makes) the directory of this database; -1 (logged) if none can
 * be used.  setting: --spool, NULL for the default, "none" for none. */
int	spool_init(struct spool *, const char *setting, const char *conninfo);
/* Appends NUL-separated lines, one a line; -1 (logged) on failure. */
int	spool_append(struct spool *, const char *lines, size_t len);
int	spool_sync(struct spool *);
int	spool_clear(struct spool *);
void	spool_close(struct spool *);
/* Offers each left-over file to fn(arg, path, fd); removes those fn took
 * (0).  Returns how many were kept. */
int	spool_replay(struct spool *, int (*fn)(void *, const char *, int),
	    void *arg);

#endif
