/*
 * sig: signals delivered through a self-pipe, for poll loops.
 *
 * sig_setup installs handlers for the given signals (0-terminated list);
 * each delivery writes the signal number as one byte into a non-blocking
 * pipe whose read end sig_fd returns.  sig_read drains it and returns the
 * last signal seen (0 if none).  SIGPIPE is always ignored, so a write to a
 * closed pipe fails with EPIPE instead.  One self-pipe per process.
 * sig_defaults undoes all that (and any other disposition and blocked
 * signal) in a child that is about to exec another program.
 */
#ifndef CCX_SIG_H
#define CCX_SIG_H

int	sig_setup(const int *signals);
int	sig_fd(void);
int	sig_read(void);
/* Non-zero once SIGTERM, SIGINT or SIGHUP... was read by sig_read. */
int	sig_pending_term(void);
/* In a child before exec: every signal to its default action, none
 * blocked. */
void	sig_defaults(void);

#endif
