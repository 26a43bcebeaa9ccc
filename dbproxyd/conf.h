/*
 * conf.h: dbproxyd's section of the topology: its schema (also used by
 * triadctl to check a topology) and the load step.
 *
 *	dbproxyd:
 *	  on: [db1]
 *	  listen: [3307, "unix:/run/triad/dbproxyd.sock"]
 *	  users: [{ name: app, password_hash: "*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9" }]
 *	  backend_user: triad
 *	  backend_password: triadpw
 *	  monitor_user: triad
 *	  monitor_password: triadpw
 *	  read_your_writes: gtid_wait
 *	mariadb: { primary: db1, replicas: [db2, db3], port: 3306 }
 *
 * The servers are the topology's mariadb section resolved to the hosts'
 * addresses; `primary` and `replicas` in dbproxyd's own section (addresses
 * with ports) override it, for servers that do not all listen on one port.
 */
#ifndef DBPROXYD_CONF_H
#define DBPROXYD_CONF_H

#include <stdint.h>

#include "config-t.h"
#include "lifecycle.h"
#include "listeners.h"

struct topology;
struct topo_instance;
struct dbp_monitor;
struct dbp_server;

enum dbp_ryw {
	DBP_RYW_OFF,
	DBP_RYW_PRIMARY,	/* reads after a write go to the primary */
	DBP_RYW_GTID_WAIT,	/* a replica waits for the write's GTID */
};

/* users: one client account: name and mysql_native_password hash. */
struct dbproxyd_user {
	char		*name;
	char		*password_hash;	/* "*" and 40 hex digits */
	uint8_t		 stage2[20];	/* SHA1(SHA1(password)), decoded */
	_Atomic int	 sessions;	/* logged in now (status) */
};

struct dbproxyd_conf {
	/* From the file (dbproxyd's own keys). */
	struct cfg_array	 users;		/* struct dbproxyd_user */
	char			*backend_user, *backend_password;
	char			*monitor_user, *monitor_password;
	int64_t			 monitor_interval_ms;
	int64_t			 monitor_timeout_ms;
	int64_t			 max_replication_lag_ms;
	int			 reads_on_primary_when_no_replica;
	int			 read_your_writes;	/* enum dbp_ryw */
	int64_t			 gtid_wait_timeout_ms;
	int64_t			 pool_min, pool_max;	/* per server, worker */
	int64_t			 connect_timeout_ms;
	int64_t			 login_timeout_ms;
	int64_t			 pool_wait_timeout_ms;
	int64_t			 client_idle_timeout_ms;
	int64_t			 max_connections;	/* per worker */
	uint64_t		 max_packet;
	int64_t			 auth_fail_delay_ms;
	char			*primary;	/* address: overrides mariadb */
	struct cfg_strlist	 replicas;	/* addresses: override mariadb */
	int64_t			 replica_weight;
	int64_t			 busy_poll_us;	/* 0: workers sleep at once */
	int64_t			 multiplex;	/* reads in flight per shared
						   connection; 0: none shared */
	int64_t			 multiplex_stall_ms;
	char			*tls_cert, *tls_key;

	/* Resolved at load. */
	struct topology			*topo;
	const struct topo_instance	*self;
	struct dbp_server		**servers;	/* [0] the primary */
	size_t				 nservers;
	int				 servers_shared;	/* the process's:
							   not freed here */
	struct ssl_ctx_st		*tls;
	struct listeners		 lsn;	/* made by prepare */
	int				 inherit;
};

extern const struct cfg_schema dbproxyd_conf_schema;

/*
 * dbproxyd_conf_load: the lifecycle's load step: the topology with
 * dbproxyd's section, this instance, the users' hashes decoded and the
 * servers resolved. Returns a struct dbproxyd_conf, or NULL with *errors
 * (every error, one per line).
 */
void	*dbproxyd_conf_load(const struct lc_opts *, struct lc_settings *,
	    char **errors);
void	 dbproxyd_conf_free(void *conf);

/* dbproxyd_conf_user: the account named name (len bytes), or NULL. */
const struct dbproxyd_user *dbproxyd_conf_user(const struct dbproxyd_conf *,
	    const char *name, size_t len);

/*
 * dbproxyd_conf_hash: decodes "*HEX40" (as MariaDB prints a
 * mysql_native_password hash) into stage2. 0, or -1 if malformed.
 */
int	dbproxyd_conf_hash(const char *text, uint8_t stage2[20]);

#endif
