/*
 * lifecycle.h: the frame every triad daemon runs in.
 *
 * lc_main() parses the command line (-c FILE, -t, --host NAME, --instance
 * NAME, -f, -v), loads the configuration through the daemon's ops, opens the
 * status listener, lets the daemon bind its sockets, writes the pidfile,
 * drops privileges, starts `workers` event-loop threads and runs the main
 * loop, which owns the signals and the status port:
 *
 *   SIGHUP          reload: load and validate a new generation; if it is
 *                   invalid the old one stays and the errors are logged.
 *                   New connections take the new generation; in-flight ones
 *                   keep the one they started with (lc_gen_ref).
 *   SIGTERM/SIGINT  graceful stop: /health turns 503, workers stop
 *                   accepting and finish their connections until
 *                   shutdown_timeout; a second signal stops at once.
 *   SIGUSR1         reopen log files.
 *
 * Under systemd it sends READY=1, RELOADING=1, STOPPING=1, STATUS= and,
 * when WatchdogSec is set, WATCHDOG=1, but only while every worker loop
 * still turns (a stuck worker lets the watchdog fire).
 */
#ifndef TRIAD_LIFECYCLE_H
#define TRIAD_LIFECYCLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "addr.h"

struct event_base;
struct lifecycle;
struct metrics;
struct status;

#define LC_MAX_WORKERS		64
#define LC_DEFAULT_CONF		"/etc/triad/triad.yaml"

/* The command line every daemon takes. */
struct lc_opts {
	const char	*conf_path;	/* -c, default LC_DEFAULT_CONF */
	const char	*host;		/* --host, default the hostname */
	const char	*instance;	/* --instance, NULL = the only one */
	int		 test_only;	/* -t */
	int		 foreground;	/* -f */
	int		 verbose;	/* -v, repeatable */
};

/*
 * Generic settings of this instance, filled by the daemon's load from the
 * topology. Zero values mean: workers = number of CPUs, no user switch, no
 * pidfile, shutdown_timeout 10 s, no status listener.
 */
struct lc_settings {
	char		 instance[64];
	unsigned	 workers;
	char		 user[64], group[64];
	char		 pidfile[256];
	char		 error_log[256];	/* "" = stderr/journal */
	int		 log_level;		/* 0 = keep */
	uint64_t	 shutdown_timeout_ms;
	struct net_addr	 status;		/* len 0 = none */
	struct net_addr	 status_unix;		/* len 0 = none */
};

/*
 * One configuration generation. conf is the daemon's; it is freed with
 * ops->free_conf when the last reference goes, on whichever thread drops
 * it. A connection takes a reference at accept and drops it at close.
 */
struct lc_gen {
	_Atomic unsigned	 refs;
	uint64_t		 id;
	void			*conf;
	struct lc_settings	 settings;
	const struct lc_ops	*ops;
};

/* One event-loop thread. Only its own thread touches it after start. */
struct lc_worker {
	struct lifecycle	*lc;
	unsigned		 id;		/* 1..N; metrics slot */
	pthread_t		 thread;
	struct event_base	*base;
	struct lc_gen		*gen;		/* this worker's current gen */
	unsigned		 conns;		/* open connections */
	int			 stopping;
	_Atomic uint64_t	 heartbeat;
	_Atomic uint64_t	 gen_id;	/* the generation it runs */
	_Atomic int		 done;
	struct event		*tick;
	void			*data;		/* the daemon's */
	/* The main thread's requests (lifecycle_worker.c): the base has no
	   lock, so nothing else of it is touched from another thread. */
	int			 knock;		/* eventfd, rung per request */
	struct event		*knock_ev;
	struct lc_gen *_Atomic	 next_gen;	/* to adopt (a reference) */
	_Atomic int		 stop_asked, kill_asked;
};

struct lc_ops {
	const char *name;		/* "webd" */
	/*
	 * load: reads the configuration for opts (conf path, host,
	 * instance) and fills settings. Returns the daemon's conf, or NULL
	 * with *errors set to every error, one per line (caller frees).
	 * Called on the main thread at start and on each SIGHUP.
	 */
	void	*(*load)(const struct lc_opts *, struct lc_settings *,
		    char **errors);
	void	 (*free_conf)(void *conf);
	/*
	 * prepare: main thread, before privileges drop (at start) and for
	 * each valid reload: bind listeners, open files. The old generation
	 * is passed so that unchanged sockets can be carried over (NULL at
	 * start). Returns 0, or -1 with *cause; a reload then keeps old.
	 */
	int	 (*prepare)(struct lifecycle *, struct lc_gen *gen,
		    struct lc_gen *old, char **cause);
	/* worker_start: on the new thread, before its loop runs. 0 or -1. */
	int	 (*worker_start)(struct lc_worker *);
	/* worker_reload: on the worker, after w->gen became the new gen. */
	void	 (*worker_reload)(struct lc_worker *, struct lc_gen *old);
	/* worker_stop_accept: on the worker: close or pause its listeners. */
	void	 (*worker_stop_accept)(struct lc_worker *);
	/* worker_end: on the worker, after its loop ended: free its data,
	   and close the connections a shutdown timeout left open. */
	void	 (*worker_end)(struct lc_worker *);
	/* setup: main thread once, after status exists (register metrics,
	   admin actions, health and JSON callbacks). May be NULL. */
	int	 (*setup)(struct lifecycle *, char **cause);
	/* reopen: main thread on SIGUSR1, after the error log. May be NULL. */
	void	 (*reopen)(struct lifecycle *);
	/* teardown: main thread, after the workers ended. May be NULL. */
	void	 (*teardown)(struct lifecycle *);
};

/*
 * lc_main: runs the daemon; returns the process exit status (0 after a
 * clean stop or a good -t, 1 on a configuration or start-up error).
 */
int	lc_main(int argc, char **argv, const struct lc_ops *ops);
/*
 * lc_parse_args: the command line into opts. Returns 0; -1 after printing
 * usage for bad arguments; 1 after printing help or version (exit 0).
 */
int	lc_parse_args(int argc, char **argv, const char *name,
	    struct lc_opts *opts);

/* Accessors for the daemon's callbacks. */
const struct lc_opts	*lc_opts(struct lifecycle *);
struct event_base	*lc_base(struct lifecycle *);	/* main loop */
/*
 * lc_worker_base_new: an event base made as the workers' are (epoll with
 * libevent's changelist; see lifecycle_worker.c), for a process that runs
 * hconn in a loop of its own (appd's direct workers). NULL on failure.
 */
struct event_base	*lc_worker_base_new(void);
struct metrics		*lc_metrics(struct lifecycle *);
struct status		*lc_status(struct lifecycle *);
struct lc_gen		*lc_current(struct lifecycle *);	/* no ref */
unsigned		 lc_nworkers(struct lifecycle *);
struct lc_worker	*lc_worker(struct lifecycle *, unsigned i);
void			*lc_data(struct lifecycle *);
void			 lc_set_data(struct lifecycle *, void *);

struct lc_gen	*lc_gen_ref(struct lc_gen *);
void		 lc_gen_unref(struct lc_gen *);

/*
 * Connection accounting on a worker (its thread only): a draining worker
 * ends when its count reaches zero.
 */
void	lc_worker_conn_open(struct lc_worker *);
void	lc_worker_conn_close(struct lc_worker *);

/*
 * lc_conf_load: the load step every daemon shares. Reads the topology at
 * opts->conf_path with daemon's section read through schema into dst,
 * finds this instance (opts->host, opts->instance) and fills settings
 * from it. Returns the topology (the daemon keeps it in its conf and frees
 * it with topo_free, and dst with cfg_free), or NULL with *errors set to
 * every error, one per line.
 */
struct cfg_schema;
struct topology;
struct topo_instance;
struct topology *lc_conf_load(const struct lc_opts *opts, const char *daemon,
	    const struct cfg_schema *schema, void *dst,
	    struct lc_settings *settings, const struct topo_instance **self,
	    char **errors);

/*
 * lc_conf_path: a path from the configuration: absolute as written, else
 * taken from the folder of the topology file at conf_path (so a demo or a
 * test can ship relative paths). Returns a new string (caller frees).
 */
char	*lc_conf_path(const char *conf_path, const char *path);

/*
 * lc_conf_alog: opens the access log at path (NULL: none, *out = NULL),
 * relative to the topology file's folder. 0, or -1 with *cause.
 */
struct alog;
int	lc_conf_alog(const char *conf_path, const char *path, struct alog **out,
	    char **cause);

/* Process helpers, exposed for tests. */
int	lc_pidfile_write(const char *path, char **cause);
int	lc_privdrop(const char *user, const char *group, char **cause);

#endif
