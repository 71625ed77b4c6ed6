/*
 * sup: the supervisor's pipelines, as read from the pipeline file
 * (supervisor(5)) and as they run.
 *
 * conf.c reads the file into a struct sup; run.c starts, watches and stops
 * the pipelines through a table of (state, event) -> action; report.c
 * writes the status table and the metrics.  The struct sup owns
 * everything it points to; sup_free releases it.
 */
#ifndef CCX_SUP_H
#define CCX_SUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "lineio.h"

/* The first descriptor past the standard ones, and the longest line of a
 * child's standard error passed on whole. */
#define SUP_FIRST_FD		3
#define SUP_LINE_MAX		4096
/* Restart throttling: the first delay, its cap, and how long a pipeline
 * must stay up for the delay to go back to the first one. */
#define SUP_BACKOFF_MIN_MS	1000
#define SUP_BACKOFF_MAX_MS	60000
#define SUP_STABLE_MS		60000

/* What a word of a run line stands for. */
enum arg_kind { ARG_WORD, ARG_ACK, ARG_READY };

/* The states of a pipeline; see the table in run.c. */
enum pstate {
	ST_IDLE,		/* waiting for its first start or due time */
	ST_BACKOFF,		/* long-running: waiting to be restarted */
	ST_STARTING,		/* forking stages, waiting for readiness */
	ST_RUNNING,		/* every stage started (and ready) */
	ST_STOPPING,		/* waiting for the members to exit */
	ST_FAILED,		/* permanent failure: never started again */
	ST_DONE,		/* finished for good (shutdown, -1) */
	ST_NSTATES
};

struct stage {
	/* From the file. */
	char		**argv;		/* NULL-terminated, fds substituted */
	unsigned char	*kind;		/* enum arg_kind of each argv word */
	int		 ack_fd;	/* the ack channel's fd, or -1 */
	int		 ready_fd;	/* the readiness fd, or -1 */
	unsigned long	 line;
	char		*label;		/* "pipeline/prog" for messages */
	const char	*prog;		/* base name of argv[0], in it */
	/* While it runs. */
	pid_t		 pid;		/* 0 when not running */
	int		 errfd;		/* its standard error, or -1 */
	struct lineio	 err;
};

struct pipeline {
	/* From the file. */
	char		*name;
	unsigned long	 line;
	int64_t		 period_ms;	/* 0: long-running */
	unsigned long	 ack_line;	/* 0: no ack back-edge */
	struct stage	*stages;
	size_t		 nstages;
	/* While it runs. */
	enum pstate	 state;
	size_t		 top;		/* the most upstream stage forked */
	size_t		 nlive;		/* members not reaped yet */
	int		 held_w;	/* write end for the next stage up */
	int		 ack_r;		/* read end of the ack channel */
	int		 ready_r;	/* readiness pipe being waited on */
	int64_t		 timer_ms;	/* state deadline, 0 = none */
	int64_t		 due_ms;	/* periodic: next run, 0 = none */
	int64_t		 backoff_ms;
	int64_t		 up_ms;		/* when it reached ST_RUNNING */
	int		 first_status;	/* first non-zero member status */
	size_t		 first_stage;
	int		 start_failed;
	int		 last_status;	/* of the last run, -1 = none */
	int64_t		 last_run_us;	/* wall clock of the last start */
	uint64_t	 runs;
	uint64_t	 restarts;
	uint64_t	 skipped;
};

struct sup {
	const char	*file;
	struct pipeline	*pipes;
	size_t		 npipes;
	int64_t		 grace_ms;
	int64_t		 ready_ms;
	const char	*status_file;
	const char	*metrics_file;
	int		 devnull;
	struct pipeline	*once;		/* -1: the one pipeline to run */
	int		 json;		/* --log-format json */
	int		 stopping;	/* a shutdown signal arrived */
	int		 killed;	/* the shutdown had to SIGKILL */
	int		 dirty;		/* status changed since written */
	struct buf	 out;		/* scratch for output lines */
};

/*
 * Reads the pipeline file path into s (which must be zeroed), expanding
 * variables from the environment.  Returns 0, or -1 with "file:line:
 * message" (or "file: message") in err[0..errsz) and s freed.
 */
int	conf_load(struct sup *s, const char *path, char *err, size_t errsz);
/* Writes the pipelines of s to b in the file's own syntax. */
void	conf_print(const struct sup *s, struct buf *b);
/* Releases everything s owns (pipes, buffers); s can be loaded again. */
void	sup_free(struct sup *s);

/* Gets every pipeline of s ready to start (only s->once if set). */
void	run_init(struct sup *s);
/* Runs the poll loop until the supervisor is done; returns its status. */
int	run_loop(struct sup *s);

/* The status table (a header and one line per pipeline) appended to b. */
void	report_status(const struct sup *s, struct buf *b);
/* Rewrites the status and metrics files, when asked for and s->dirty. */
void	report_files(struct sup *s);

#endif
