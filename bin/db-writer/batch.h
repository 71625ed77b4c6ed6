/*
 * batch: the one loop of db-writer's two input modes, ingest (result
 * records into new_reports) and -r (outcome lines into reported).
 *
 * batch_run connects first: the mode's start (the spool replay of -r)
 * follows, then readiness (-n); a database that cannot be reached there
 * is not ready and an outage.  Then it reads stdin line by line into the
 * mode's batch, and writes the batch in the database when it holds -b
 * lines or 16 MiB, when -w ms have passed since its first line, at the end
 * of the input, on SIGTERM (the lines already read still join it, nothing
 * more is read) and when stdin fails (then EXIT_INPUT_FAILED).  A write
 * that fails for an outage is tried again with backoff (dbw_backoff) for
 * -R seconds while nothing more is read; then the run gives up with
 * EXIT_DB_UNREACHABLE, and the mode's outage keeps the rest of its input.
 * After each COMMIT the mode's committed acknowledges the batch.
 *
 * Overlap: a mode that gives a second instance of its state (spare) has
 * each full batch written by a thread while the loop reads the next one
 * into the other instance, so that the server's work on batch k and the
 * parsing of batch k+1 run side by side.  Only the first attempt runs in
 * the thread; its COMMIT is seen by the loop (a pipe wakes it), which then
 * runs committed, so acknowledgements still follow COMMIT and come out in
 * order.  An outage met by the thread is retried by the loop as without
 * overlap, with nothing more read; at most one more batch has been read.
 * The thread touches only the instance it writes and the connection;
 * write must not count metrics nor read signals.
 */
#ifndef DBW_BATCH_H
#define DBW_BATCH_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct dbw;
struct lineio;

/* What write returns besides an exit status. */
#define BATCH_DONE	0	/* committed */
#define BATCH_OUTAGE	(-1)	/* not written: try again after a backoff */

struct batch_ops {
	/* Takes one line (toolong: cut at the limit; partial: no newline at
	 * the end of the input) into the batch: 1 and the bytes it added in
	 * *bytes, or 0 when it did not join the batch. */
	int	(*take)(void *, const char *line, size_t len, int toolong,
		    int partial, unsigned long lineno, size_t *bytes);
	/* One attempt (1, 2, ...) at writing the batch in one transaction:
	 * BATCH_DONE, BATCH_OUTAGE or an exit status. */
	int	(*write)(void *, int attempt);
	/* After the COMMIT: acknowledges and empties the batch; 0 or an exit
	 * status. */
	int	(*committed)(void *);
	/* Optional: once connected, before readiness; 0, BATCH_OUTAGE or an
	 * exit status. */
	int	(*start)(void *);
	/* Optional: after an outage (not on SIGTERM, nor when a readiness fd
	 * was never written): keeps what is left of the input. */
	void	(*outage)(void *, struct lineio *);
	/* What an outage leaves of the batch, for the log: "records not
	 * acknowledged". */
	const char *lost;
};

struct batch_inflight {
	void			*arg;		/* the instance being written */
	size_t			 n;		/* its lines */
	int			 running;	/* a thread writes it */
	int			 rc;		/* the thread's write */
	int			 done;		/* its byte came */
	int64_t			 start;		/* when it started */
	int			 pipe[2];	/* the thread's end: one byte */
	pthread_t		 thread;
};

struct batch {
	struct dbw		*d;
	const struct batch_ops	*ops;
	void			*arg;		/* the mode's, for ops */
	void			*spare;		/* a second one: overlap */
	struct batch_inflight	 w;
	size_t			 n;		/* lines in the batch */
	size_t			 bytes;		/* what they added */
	int64_t			 first_ms;	/* when its first line came */
	int			 impatient;	/* an outage: give up at once */
	int			 term;		/* SIGTERM or SIGINT came */
	int			 outage;	/* gave up on the database */
};

/* Connects, starts, reports readiness and runs the loop; returns 0 or an
 * exit status. */
int	batch_run(struct batch *);
/* Counts a line the mode took outside take (bytes it added) and writes
 * the batch when full; 0 or an exit status. */
int	batch_took(struct batch *, size_t bytes);
/* Writes the batch (tried again through outages, unless impatient), then
 * committed; 0, or an exit status (EXIT_DB_UNREACHABLE: gave up).  Waits
 * for a batch in flight first. */
int	batch_flush(struct batch *);

#endif
