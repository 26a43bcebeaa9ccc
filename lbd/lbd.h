/*
 * lbd.h: lbd's types: the configuration of one generation, a worker's
 * state and the metrics. lbd is triad's load balancer (HAProxy's role).
 */
#ifndef LBD_H
#define LBD_H

#include <stdint.h>

#include "acl.h"
#include "alog.h"
#include "cidr.h"
#include "config-t.h"
#include "hconn.h"
#include "hproxy.h"
#include "lifecycle.h"
#include "listeners.h"

struct event;
struct lb_session;
struct metric;
struct metrics;
struct net_listener;
struct topology;
struct topo_instance;
struct upstream_group;
struct upstream_pool;
struct lb_checker;
struct lb_connlimit;
struct lb_rate;

enum lb_mode {
	LB_MODE_TCP,
	LB_MODE_HTTP,
};

/* health: the active check of every server (lbd/health.c). */
struct lb_health {
	int		 type;		/* 0 none, 1 tcp, 2 http */
	char		*method, *path, *host;
	int64_t		 status_min, status_max;
	int64_t		 interval_ms, timeout_ms;
	int64_t		 rise, fall;
};

/* certificates: one certificate (and its chain), chosen by SNI. */
struct lb_cert {
	char			*cert;
	char			*key;
	struct cfg_strlist	 names;
};

/*
 * vip: the address keepalived moves between two lbd hosts (triadctl renders
 * the keepalived side). lbd also listens on it at every listen port, with
 * IP_FREEBIND, so the standby is ready the moment the address arrives.
 */
struct lb_vip {
	char		*text;		/* as written: "10.0.0.100/24" */
	struct net_addr	 addr;		/* port 0; len 0: no VIP */
	int		 prefix;	/* -1: not written */
};

struct lb_conf {
	/* From the file (lbd's own keys). */
	int			 mode;		/* enum lb_mode */
	int			 balance;	/* enum upstream_algo */
	char			*servers;	/* daemon whose instances serve */
	struct cfg_strlist	 backup;	/* instance names kept in reserve */
	int64_t			 slowstart_ms;
	int			 allbackups;
	int			 uri_whole;
	int64_t			 retries;
	int64_t			 connect_timeout_ms;
	int64_t			 client_timeout_ms;
	int64_t			 server_timeout_ms;
	int64_t			 tunnel_timeout_ms;
	int64_t			 max_fails;
	int64_t			 fail_timeout_ms;
	int64_t			 max_connections;
	int64_t			 server_maxconn;	/* 0: no limit */
	int64_t			 queue_timeout_ms;
	struct lb_health	 health;
	/* http mode */
	int64_t			 http_request_timeout_ms;
	int64_t			 keepalive_timeout_ms;
	uint64_t		 max_header_size;
	uint64_t		 max_body_size;
	int64_t			 server_keepalive;
	int64_t			 server_pipeline;
	int			 forwarded;
	struct cidr_list	 trusted_proxies;
	struct cidr_list	 proxy_from;
	int			 send_proxy;	/* 0, 1 (v1) or 2 (v2) */
	/* HTTPS */
	struct cfg_strlist	 tls_listen;
	struct cfg_array	 certificates;	/* struct lb_cert */
	int			 redirect_https;
	int64_t			 hsts_ms;
	int64_t			 ticket_rotation_ms;
	/* The edge: who may come in, and how often. */
	struct lb_acl		 acl;		/* allow, deny */
	int64_t			 rate;		/* requests per period; 0: off */
	int64_t			 rate_period_ms;
	int64_t			 rate_burst;
	int64_t			 rate_table;
	int64_t			 max_conn_per_ip;	/* 0: no limit */
	int64_t			 conn_table;
	/* Active-passive: the VIP (keepalived's, rendered by triadctl). */
	struct lb_vip		 vip;
	/* Where the timeouts were set (line 0: not set; see the warning). */
	struct cfg_mark		 timeout_marks[7];
	char			*vip_interface;
	int64_t			 vrid;

	/* Resolved at load. */
	struct topology			*topo;
	const struct topo_instance	*self;
	struct upstream_group		*group;
	struct alog			*access;
	struct hconn_settings		 hs;	/* http mode */
	struct lb_checker		*checker;	/* main thread only */
	struct lb_rate			*rates;		/* shared by workers, */
	struct lb_connlimit		*conns;		/* kept over reloads */
	struct net_addr			*tls_addrs;
	size_t				 ntls;
	struct ssl_ctx_st		*tls;
	char				 hsts[64];
	struct hproxy_conf		 pc;
	struct net_addr			*addrs;	/* listen, then tls_listen */
	struct net_listen_opts		*addr_opts;	/* freebind on VIPs */
	uint8_t				*addr_tls;	/* 1: HTTPS address */
	size_t				 naddrs;
	struct listeners		 lsn;	/* made by prepare */
	int				 inherit;
};

struct lb_metrics {
	struct metric		*denied;	/* allow/deny lists */
	struct metric		*rate_limited;	/* 429 */
	struct metric		*conn_limited;	/* max_conn_per_ip */
	struct hconn_metrics	 hm;	/* http mode */
	struct hproxy_metrics	 pm;
	struct metric	*sessions_total;
	struct metric	*sessions_active;
	struct metric	*retries;
	struct metric	*redispatches;
	struct metric	*connect_errors;
	struct metric	*no_server;
	struct metric	*bytes_in, *bytes_out;
	struct metric	*connect_time;
	struct metric	*session_time;
};

struct lb_worker {
	struct hconn_worker	 hw;		/* http mode */
	struct lc_worker	*lc;
	struct net_listener	**listeners;
	size_t			 nlisteners;
	struct upstream_pool	*pool;
	struct lb_session	*sessions;	/* open, for shutdown; counted
						   in hw (max_connections) */
	struct alog_worker	 alog;
};

extern struct lb_metrics lb_metrics;

#endif
