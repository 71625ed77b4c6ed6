/*
 * ccx-notification-service: the upstream notification service's interface
 * (COMPAT.md) over differ, kafka-emitter or servicelog-poster, and
 * db-writer -r.
 *
 * main.c parses the command line as Go does, loads the configuration and
 * takes upstream's steps in upstream's order; args.c turns the
 * configuration into the stages' command lines, environments and files;
 * run.c runs the one pipeline of the enabled target with the lines between
 * the stages passing through it; tap.c reads those lines for upstream's
 * per-cluster records and counters; pgw.c keeps the 14 series and pushes
 * them to the Pushgateway.
 */
#ifndef CCX_SERVICE_H
#define CCX_SERVICE_H

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "config.h"
#include "fedb.h"
#include "zlog.h"

/* Upstream's exit statuses (COMPAT 5.2). */
#define SV_OK		0
#define SV_CONFIG	1
#define SV_STORAGE	3
#define SV_CONTENT	4
#define SV_KAFKA	5
#define SV_CLEANER	8
#define SV_SERVICELOG	11
#define SV_AGGREGATOR	12

/* The event targets. */
#define TARGET_NB	1	/* notifications-backend, Kafka */
#define TARGET_SL	2	/* service-log */

/* The series (COMPAT 7.2), in upstream's order. */
enum {
	C_FETCH_CONTENT_ERRORS, C_READ_CLUSTER_LIST_ERRORS,
	C_READ_REPORTED_ERRORS, C_PRODUCER_SETUP_ERRORS,
	C_STORAGE_SETUP_ERRORS, C_READ_REPORT_FOR_CLUSTER_ERRORS,
	C_DESERIALIZE_REPORT_ERRORS, C_REPORT_WITH_HIGH_IMPACT,
	C_NOT_SENT_SAME_STATE, C_NOT_SENT_ERROR_STATE, C_SENT,
	C_TOTAL_RISK_NO_SEVERITY, NCOUNTERS
};

/* The labels of operation_duration_seconds that ccx-notify observes. */
enum {
	OP_FETCH_CONTENT, OP_PROCESS_CLUSTERS, OP_SEND_KAFKA,
	OP_SEND_SERVICELOG, NOPS
};

#define NBUCKETS	11

/* service_status (COMPAT 7.2). */
#define ST_INACTIVE	0
#define ST_STARTING	1
#define ST_FETCHING	2
#define ST_READING	3
#define ST_PROCESSING	5

struct hist {
	uint64_t	 bucket[NBUCKETS];	/* cumulative */
	uint64_t	 count;
	double		 sum;
};

/* The Pushgateway and what is pushed. */
struct pgw {
	int		 on;		/* namespace and token set */
	struct buf	 url;		/* .../metrics/job/... */
	struct buf	 auth;		/* the header line; a secret */
	struct buf	 prefix;	/* namespace_subsystem_ */
	int64_t		 retries;
	int64_t		 retry_after_ms;
	int64_t		 period_ms;	/* the loop; 0: none */
	uint64_t	 counter[NCOUNTERS];
	struct hist	 op[NOPS];
	int		 status;	/* service_status */
};

struct svc {
	struct config	*cfg;
	struct zlog	 log;
	struct fedb	 db;		/* conninfo, password environment */
	int		 target;	/* TARGET_NB or TARGET_SL */
	const char	*section;	/* kafka_broker or service_log */
	int		 ignore_disabled;	/* -ignore-disabled-rules */
	const char	*max_age;	/* -max-age, or NULL */
	struct pgw	 pgw;
};

/* The command lines and environments of one run (args.c). */
struct strv {
	char		**v;		/* NULL-terminated */
	size_t		 n;
	size_t		 cap;
};

struct plan {
	char		 dir[256];	/* private temporary directory */
	char		 props[300];	/* Kafka property file */
	char		 differ_prom[300];
	char		 sender_prom[300];
	struct strv	 differ;
	struct strv	 sender;	/* empty: no sender (renderer unusable) */
	struct strv	 dbwriter;
	char		**env;		/* the stages' environment */
	char		**sender_env;	/* the sender's (the client secret) */
	struct buf	 content_url;
	struct buf	 renderer_error;	/* the unusable renderer's */
	int		 no_run;	/* an empty allow list */
	size_t		 allowed;	/* entries of the lists */
	size_t		 blocked;
	int		 allow_on;
	int		 block_on;
};

/* args.c */
void	strv_init(struct strv *);
void	strv_add(struct strv *, const char *);
void	strv_addl(struct strv *, ...) __attribute__((sentinel));
void	strv_free(struct strv *);
/* The plan of a run; 0, or an exit status after logging why. */
int	plan_make(struct svc *, struct plan *);
void	plan_free(struct plan *);

/* run.c: runs the plan; the exit status (COMPAT 5.2).  *term is set
 * when SIGTERM (or SIGINT) came: the caller re-raises it. */
int	run_pipeline(struct svc *, struct plan *, int *term);

/* pgw.c */
void	pgw_init(struct pgw *);
void	pgw_free(struct pgw *);
/* From the configuration; logs when nothing will be pushed. */
void	pgw_setup(struct pgw *, const struct config *, const struct zlog *);
void	pgw_observe(struct pgw *, int op, double seconds);
/* The exposition text of the 14 series. */
void	pgw_format(const struct pgw *, struct buf *);
/* One push; 0, or -1 with err. */
int	pgw_push(struct pgw *, char *err, size_t errsize);
/* The push after a run, with upstream's records and retries; a term
 * signal (sig.h) ends the retries. */
void	pgw_final(struct pgw *, const struct zlog *);
/* The value of the counter name (without prefix) in a Prometheus text
 * file; 0 when absent. */
uint64_t pgw_file_value(const char *path, const char *name, int *found);

/* tap.c: the lines between the stages. */
struct tap;
struct tap	*tap_new(struct svc *, struct plan *);
void		 tap_free(struct tap *);
/* A decision line from differ: appends what goes downstream to fwd (the
 * line, or in place of the missing sender its outcome line). */
void	tap_decision(struct tap *, const char *line, size_t len, int partial,
	    struct buf *fwd);
/* An outcome line for db-writer -r. */
void	tap_outcome(struct tap *, const char *line, size_t len, int partial,
	    struct buf *fwd);
/* Decisions read so far. */
uint64_t tap_decisions(const struct tap *);

/* Monotonic time in seconds. */
double	svc_now(void);

#endif
