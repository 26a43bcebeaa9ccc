/*
 * appd.h: appd's types: the configuration of one generation (the `appd:`
 * section of the topology, its apps and database), the pools of worker
 * processes, a worker's state. See docs/ARCHITECTURE.md (appd).
 */
#ifndef APPD_H
#define APPD_H

#include <sys/types.h>

#include <stdint.h>

#include "cidr.h"
#include "config-t.h"
#include "fcgi.h"
#include "hconn.h"
#include "lifecycle.h"
#include "listeners.h"
#include "alog.h"
#include "scoreboard.h"

struct topology;
struct topo_instance;
struct alog;

/* The kinds of application (the order of appd_kind_names). */
enum appd_kind {
	APPD_MODULE,	/* a C shared object, dlopen'ed in the workers */
	APPD_FASTCGI,	/* FastCGI workers appd spawns, or an address */
	APPD_CGI,	/* one process per request (RFC 3875) */
};

/* Pool modes, php-fpm's (the order of appd_pm_names). */
enum appd_pm {
	APPD_PM_STATIC,		/* max_children, always */
	APPD_PM_DYNAMIC,	/* between min_spare and max_spare idle */
	APPD_PM_ONDEMAND,	/* on demand, idle ones end after idle_timeout */
};

#define APPD_MAX_LISTEN	8	/* addresses of an app's own listen */

/* rlimits of an app's workers (0: unchanged). */
struct appd_rlimits {
	uint64_t	 as;		/* RLIMIT_AS, bytes */
	int64_t		 cpu_ms;	/* RLIMIT_CPU, rounded up to seconds */
	int64_t		 nofile;	/* RLIMIT_NOFILE */
};

/* The database of the modules: dbproxyd of this host, or an address. */
struct appd_db {
	char		*address;	/* "dbproxyd", "host:port", "unix:/p" */
	char		*user;
	char		*password;
	char		*db;
	int64_t		 pool;		/* connections per worker */
	int64_t		 connect_timeout_ms;
	struct net_addr	 addr;		/* resolved at load; len 0: none */
};

/* One app of the `apps:` list. */
struct appd_app {
	char			*name;
	int			 kind;		/* enum appd_kind */
	struct cfg_strlist	 routes;	/* path prefixes */
	struct cfg_strlist	 listen;	/* module: its own listeners */
	char			*module;	/* module: the .so */
	struct cfg_strlist	 command;	/* fastcgi: argv of a worker */
	char			*address;	/* fastcgi: external address */
	char			*root;		/* fastcgi, cgi: scripts' folder */
	char			*script;	/* fastcgi: front controller */
	int			 pm;		/* enum appd_pm */
	int64_t			 max_children;
	int64_t			 min_spare, max_spare;
	int64_t			 idle_timeout_ms;
	int64_t			 max_requests;	/* 0: never recycled */
	int64_t			 request_timeout_ms;
	int64_t			 kill_grace_ms;
	int64_t			 queue;		/* waiting requests */
	int64_t			 queue_timeout_ms;
	int64_t			 retry_after;	/* seconds, in 503s */
	int64_t			 pipeline;	/* module: requests per worker */
	char			*user, *group;	/* NULL: appd's */
	char			*chdir;
	struct cfg_strlist	 env;		/* "NAME=value" */
	struct appd_rlimits	 rlimits;
	uint64_t		 client_max_body_size;
	struct cfg_mark		 mark;

	/* Resolved at load. */
	size_t			 index;
	char			*module_path;	/* absolute */
	char			*root_path;	/* absolute */
	struct net_addr		 fcgi_addr;	/* external; len 0: spawned */
	struct net_addr		 laddrs[APPD_MAX_LISTEN];	/* listen */
	size_t			 nladdrs;	/* 0: served by the master */
	int			 lfds[APPD_MAX_LISTEN];	/* bound at prepare */
};

struct appd_conf {
	/* From the file (appd's own keys). */
	struct cfg_array	 apps;		/* struct appd_app */
	struct appd_db		 database;
	struct cidr_list	 trusted_proxies;
	struct hconn_server_conf srv;	/* timeouts, max_connections... */
	uint64_t		 max_response_size;
	int64_t			 respawn_backoff_max_ms;

	/* Resolved at load. */
	struct topology			*topo;
	const struct topo_instance	*self;
	char				*conf_path;
	struct alog			*access;
	struct hconn_settings		 hs;
	struct listeners		 lsn;
	int				 inherit;
};

/* ---- the master: pools of worker processes, per event-loop thread ---- */

struct appd_cgi;
struct appd_pool;
struct direct_pool;
struct appd_req;
struct appd_worker;
struct bufferevent;
struct event;
struct evbuffer;
struct metric;

/* Per app, summed over threads (labels app="name"). */
struct appd_app_metrics {
	struct metric	*running, *idle, *busy, *queued;	/* gauges */
	struct metric	*requests, *errors, *timeouts, *crashes;
	struct metric	*recycles, *rejections, *spawns;
	struct metric	*latency;				/* histogram */
};

enum appd_proc_state {
	APPD_PROC_IDLE,		/* waiting for a request */
	APPD_PROC_BUSY,		/* running p->req */
	APPD_PROC_STOPPING,	/* told to end (recycle, reload, timeout) */
	APPD_PROC_DEAD,		/* its socket closed: being reaped */
};

/* One worker process (or one connection to an external FastCGI server). */
struct appd_proc {
	struct appd_proc	*next, *prev;		/* pool->procs */
	struct appd_pool	*pool;
	pid_t			 pid;		/* 0: external connection */
	struct bufferevent	*bev;
	enum appd_proc_state	 state;
	uint64_t		 requests;
	uint64_t		 idle_since_ms;
	struct appd_req		*req;		/* BUSY: the request it runs */
	struct appd_req		*phead, *ptail;	/* sent ahead, in order */
	unsigned		 depth;		/* req and those ahead */
	uint16_t		 next_id;	/* FastCGI request ids */
	struct fcgi_buf		 wbuf, pbuf;	/* records and params, reused */
	struct event		*timer;		/* request timeout, kill grace */
	struct event		*reaper;	/* DEAD: waitpid polling */
	unsigned		 reap_tries;
	int			 timed_out;	/* killed for request_timeout */
	int			 recycled;
	int			 slot;		/* direct: scoreboard; -1 */
	uint64_t		 seen_requests;	/* direct: summed so far */
	uint64_t		 seen_hist[SB_BUCKETS];
	char			 last[160];	/* method and path, for logs */
};

struct appd_pool {
	struct appd_pool	*next;		/* worker's retired pools */
	struct appd_worker	*w;
	const struct appd_app	*app;
	struct lc_gen		*gen;		/* keeps app alive */
	struct appd_proc	*procs;		/* every live or dying process */
	size_t			 nprocs, nidle, nbusy, nlive;
	size_t			 max;		/* this thread's share */
	struct appd_req		*qhead, *qtail;
	size_t			 qlen;
	struct appd_cgi		*cgis;		/* cgi: running scripts */
	unsigned		 crashes_in_row;
	int			 backoff;	/* respawn timer armed */
	struct event		*respawn;
	struct event		*maint;		/* dynamic, ondemand: 1 s */
	int			 retired;
	int			 holding;	/* pool_retire is walking it */
	struct appd_app_metrics	*m;
	struct direct_pool	*dp;		/* own listen, first thread */
};

/* A worker thread of the master. */
struct appd_worker {
	struct hconn_worker	 hw;
	struct lc_worker	*lc;
	struct appd_pool	**pools;	/* current gen, one per app */
	size_t			 npools;
	struct appd_pool	*retired;	/* older gens, draining */
	struct alog_worker	 alog;
};

#define APPD_CONF(c)	((const struct appd_conf *)(c)->conf)
#define APPD_WORKER(c)	((struct appd_worker *)(c)->w->arg)

extern struct hconn_metrics appd_hconn_metrics;
extern struct metrics *appd_registry;

#endif
