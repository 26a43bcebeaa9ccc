/*
 * webd.h: webd's types: the configuration of one generation, a worker's
 * state and a client connection. See docs/ARCHITECTURE.md (webd).
 */
#ifndef WEBD_H
#define WEBD_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stdint.h>

#include "alog.h"
#include "cidr.h"
#include "config-t.h"
#include "hconn.h"
#include "hproxy.h"
#include "http1-t.h"
#include "lifecycle.h"
#include "listeners.h"

struct event;
struct bufferevent;
struct metric;
struct net_listener;
struct upstream_group;
struct upstream_pool;
struct topology;
struct topo_instance;
struct webd_fcache;
struct webd_mime;

/* locations: per-prefix response headers for static files. */
struct webd_location {
	char		*prefix;
	char		*cache_control;
	int64_t		 expires_ms;	/* 0: no Expires */
};

/* error_pages: status -> a path under root served with that status. */
struct webd_error_page {
	int64_t		 status;
	char		*path;
};

/* routes: requests under prefix (and host, if set) go to an upstream. */
struct webd_route {
	char			*prefix;
	char			*host;		/* NULL: any Host */
	char			*to;	/* "appd", or "unix:/path", "ip:port" */
	int			 balance;	/* enum upstream_algo */
	struct upstream_group	*group;		/* resolved at load */
	size_t			 index;		/* its pool per worker */
	struct hproxy_conf	 pc;		/* how it forwards */
};

struct webd_conf {
	/* From the file (webd's own keys). */
	char			*root;
	struct cfg_strlist	 index;
	int			 autoindex;
	int			 dotfiles;
	int			 symlinks_outside_root;
	char			*mime_types;
	char			*default_type;
	struct cfg_strlist	 try_files;
	struct cfg_array	 error_pages;	/* struct webd_error_page */
	struct cfg_array	 locations;	/* struct webd_location */
	struct cfg_array	 routes;	/* struct webd_route */
	struct hconn_server_conf srv;	/* timeouts, max_connections... */
	uint64_t		 client_max_body_size;
	uint64_t		 small_file_size;
	int64_t			 open_file_cache_max;
	int64_t			 open_file_cache_ttl_ms;
	int64_t			 max_ranges;
	struct cidr_list	 trusted_proxies;
	struct cidr_list	 proxy_from;
	int			 precompressed;
	int64_t			 upstream_connect_timeout_ms;
	int64_t			 upstream_read_timeout_ms;
	int64_t			 upstream_keepalive;
	int64_t			 upstream_max_fails;
	int64_t			 upstream_fail_timeout_ms;

	/* Resolved at load. */
	struct topology			*topo;
	const struct topo_instance	*self;
	int				 rootfd;
	struct webd_mime		*mime;
	struct alog			*access;
	struct hconn_settings		 hs;	/* limits, timeouts */
	struct listeners		 lsn;	/* made by prepare */
	int				 inherit;	/* same addresses as old */
};

/* webd's metrics (summed per thread by the registry). */
struct webd_metrics {
	struct hconn_metrics	 hm;	/* requests, connections, latency */
	struct hproxy_metrics	 pm;	/* upstream errors, retries, time */
	struct metric		*fcache_hit, *fcache_miss;
};

struct webd_worker {
	struct hconn_worker	 hw;		/* connections, listeners */
	struct lc_worker	*lc;
	struct webd_fcache	*fcache;
	struct alog_worker	 alog;
	struct upstream_pool	**pools;	/* one per route */
	size_t			 npools;
};

/* The daemon's view of a connection's configuration and worker. */
#define WEBD_CONF(c)	((const struct webd_conf *)(c)->conf)
#define WEBD_WORKER(c)	((struct webd_worker *)(c)->w->arg)

/* Set once at setup, read by every worker. */
extern struct webd_metrics webd_metrics;
extern struct metrics *webd_registry;

/*
 * webd_route_resolve: the servers a route's `to` names in topo, added to
 * g (NULL: only checked, as triadctl check does): every instance of a
 * daemon ("appd": its first listen), every instance's host at a port
 * ("appd:8093"), or one address. Returns their count, or -1 with *why
 * (no file or route in it).
 */
int	 webd_route_resolve(const struct topology *topo, const char *to,
	    struct upstream_group *g, char **why);
/*
 * webd_route_daemon_port: "daemon:port" names every instance of a daemon
 * of the topology at that port of its host's address (an appd module
 * app's own listen, served by its workers without appd's master).
 * Returns the daemon, with *port 0 when the port is not 1..65535; NULL
 * when to is not of that form (an address, then).
 */
const struct topo_daemon *webd_route_daemon_port(const struct topology *topo,
	    const char *to, uint16_t *port);

#endif
